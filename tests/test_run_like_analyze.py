"""A plan's analysis reports what ``metareview analyze`` reports on the same rows (issue 14,
items 18 and 19): RevMan's "M-H, Random" under preset ``revman5`` with event counts, and rows
of one study label combined into one study are said so in the record, the report and the
methods text, with a warning when they look like distinct cohorts."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from metareview.plan.analysis import AnalysisSettings, analyze
from metareview.plan.plan import load_plan
from metareview.plan.results import ReviewResults
from metareview.plan.runner import run_plan
from metareview.report.build import write_report
from metareview.report.forest_data import forest_data
from metareview.report.methods_text import methods_paragraph, results_paragraph
from tests.conftest import REPO

MH_FIXTURE = json.loads((REPO / "tests" / "reference" / "mh_random.json").read_text())
DEPRESSION_COLUMNS = (
    '{ study = "author", event_arm1 = "event.e", totaln_arm1 = "n.e", '
    'event_arm2 = "event.c", totaln_arm2 = "n.c" }'
)


def _plan(folder: Path, data: Path, settings: str, columns: str = "{}") -> Path:
    plan = folder / "plan.toml"
    plan.write_text(
        f'title = "Trials"\n[data]\nfile = "{data.as_posix()}"\ncolumns = {columns}\n'
        f"[settings]\n{settings}\n"
        '[analyses]\nspecific_outcomes = false\n[[analysis]]\nname = "All"\nfilter = {}\n',
        encoding="utf-8",
    )
    return plan


def _events_csv(folder: Path, dataset: str, higher: str | None = None) -> Path:
    case = next(c for c in MH_FIXTURE["cases"] if c["dataset"] == dataset)
    frame = pd.DataFrame(
        {
            "study": [f"trial {i + 1}" for i in range(len(case["ai"]))],
            "event_arm1": case["ai"],
            "totaln_arm1": [a + b for a, b in zip(case["ai"], case["bi"])],
            "event_arm2": case["ci"],
            "totaln_arm2": [c + d for c, d in zip(case["ci"], case["di"])],
        }
    )
    if higher is not None:
        frame["higher_is_better"] = higher
    path = folder / "trials.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("measure", ["OR", "RR", "RD"])
def test_revman5_plan_pools_by_mantel_haenszel_as_analyze_does(tmp_path, measure):
    data = _events_csv(tmp_path, "bcg")
    plan = load_plan(_plan(tmp_path, data, f'preset = "revman5"\nmeasure = "{measure}"'))
    record = run_plan(plan, jobs=1).analyses[0]
    alone = analyze(data, AnalysisSettings(measure=measure, preset="revman5"))
    assert record.headline().get("model") == "MH-random"
    assert record.pooled()["estimate"] == pytest.approx(
        alone.mantel_haenszel_random.random.estimate, rel=1e-12
    )
    assert record.result["mantel_haenszel"] == alone.to_dict()["mantel_haenszel"]


def test_revman5_plan_report_says_m_h_random(tmp_path):
    data = _events_csv(tmp_path, "bcg")
    plan = load_plan(_plan(tmp_path, data, 'preset = "revman5"\nmeasure = "RR"'))
    results = run_plan(plan, jobs=1)
    html = write_report(results, tmp_path / "out").read_text()
    assert "(Mantel-Haenszel random-effects model)" in html
    assert "M-H, Random" in forest_data(results.analyses[0]).axis_label("revman5")


def test_mantel_haenszel_follows_a_mirrored_direction(tmp_path):
    """Lower event rates better: every row mirrored, the M-H estimate mirrored with them."""
    data = _events_csv(tmp_path, "bcg", higher="no")
    data = data.rename(data.with_name("mirrored.csv"))
    plan = load_plan(_plan(tmp_path, data, 'preset = "revman5"\nmeasure = "RR"'))
    record = run_plan(plan, jobs=1).analyses[0]
    mirrored = analyze(data, AnalysisSettings(measure="RR", preset="revman5"))
    upright = analyze(
        _events_csv(tmp_path, "bcg"), AnalysisSettings(measure="RR", preset="revman5")
    )
    estimate = mirrored.mantel_haenszel_random.random.estimate
    assert estimate == pytest.approx(-upright.mantel_haenszel_random.random.estimate, rel=1e-12)
    assert record.pooled()["estimate"] == pytest.approx(estimate, rel=1e-12)


@pytest.fixture(scope="module")
def depression_run(tmp_path_factory, shared_data):
    folder = tmp_path_factory.mktemp("depression")
    data = shared_data / "dmetar" / "DepressionMortality.csv"
    plan = load_plan(_plan(folder, data, 'measure = "RR"', DEPRESSION_COLUMNS))
    write_report(run_plan(plan, jobs=1), folder / "out")
    return folder / "out"


def test_combined_rows_are_reported_with_a_cohort_warning(depression_run):
    out = depression_run
    results = ReviewResults.from_dict(json.loads((out / "results.json").read_text()))
    record = results.analyses[0]
    assert record.k == 17
    assert record.combined == [
        {"study": "Thomas et al., 1992", "rows": [16, 17], "rho": 0.5, "distinct_cohorts": True}
    ]
    warnings = [w for _where, w in record.warnings()]
    assert any("Thomas et al., 1992" in w and "distinct cohorts" in w for w in warnings)
    html = (out / "report" / "index.html").read_text()
    assert "No row of the extraction table was left out" not in html
    assert "combined with row 17" in html
    methods, _refs = methods_paragraph(results)
    assert "Thomas et al., 1992" in methods and "ρ = 0.5" in methods


def test_rows_of_one_trial_with_shared_arms_combine_without_a_cohort_warning(tmp_path):
    frame = pd.DataFrame(
        {
            "study": ["A", "A", "B", "C"],
            "outcome": ["pain", "function", "pain", "pain"],
            "yi": [0.2, 0.4, 0.1, 0.3],
            "vi": [0.04, 0.05, 0.03, 0.02],
        }
    )
    frame.to_csv(tmp_path / "data.csv", index=False)
    plan = load_plan(_plan(tmp_path, tmp_path / "data.csv", 'measure = "SMD"'))
    record = run_plan(plan, jobs=1).analyses[0]
    assert record.combined == [
        {"study": "A", "rows": [2, 3], "rho": 0.5, "distinct_cohorts": False}
    ]
    assert not any("distinct cohorts" in w for _where, w in record.warnings())


def test_forest_shows_a_mirrored_ratio_as_computed_from_its_counts(tmp_path, shared_data):
    """Lower is better: the effects are pooled mirrored (positive favours the intervention),
    but the forest plot shows each risk ratio as its counts give it (25/215 vs 171/3088:
    2.10, not 0.48), with "Favours intervention" on the side of low ratios."""
    import math

    data = shared_data / "dmetar" / "DepressionMortality.csv"
    settings = 'measure = "RR"\nhigher_is_better = false'
    plan = load_plan(_plan(tmp_path, data, settings, DEPRESSION_COLUMNS))
    record = run_plan(plan, jobs=1).analyses[0]
    assert record.pooled()["estimate"] < 0  # pooled mirrored
    forest = forest_data(record)
    aaroma = next(row for row in forest.rows if row.label.startswith("Aaroma"))
    assert math.exp(aaroma.yi) == pytest.approx((25 / 215) / (171 / 3088), rel=1e-9)
    assert aaroma.arms["event_arm1"] == 25 and aaroma.lower < aaroma.yi < aaroma.upper
    total = forest.summaries[0]
    assert total.estimate == pytest.approx(-record.pooled()["estimate"], rel=1e-12)
    assert total.lower == pytest.approx(-record.pooled()["ci_upper"], rel=1e-12)
    assert forest.favours() == ("Favours intervention", "Favours control")
    text = results_paragraph([record])
    shown = f"RR = {math.exp(total.estimate):.2f}, 95% CI {math.exp(total.lower):.2f} to"
    assert f"RR = {math.exp(record.pooled()['estimate']):.2f}" in text  # as pooled
    assert "lower values are better, so effects were mirrored: RR above 1" in text
    assert f"as computed from the arms, as in the forest plot, {shown}" in text
    upright = forest_data(run_plan(load_plan(_plan(tmp_path, data, 'measure = "RR"',
                                                   DEPRESSION_COLUMNS)), jobs=1).analyses[0])  # fmt: skip
    assert upright.favours() == ("Favours control", "Favours intervention")


def test_a_combined_row_without_counts_is_a_warning_not_a_silent_switch(depression_run):
    """DepressionMortality under revman5 would pool by M-H, but the combined "Thomas et al."
    row has no single 2x2 table: the run says so."""
    results = ReviewResults.from_dict(json.loads((depression_run / "results.json").read_text()))
    warnings = [w for _where, w in results.analyses[0].warnings()]
    assert any(
        w.startswith("Mantel-Haenszel not computed: 1 row(s)") and "Thomas et al., 1992" in w
        for w in warnings
    )
