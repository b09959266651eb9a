"""Meta-regression in a plan: the numbers against metafor ``rma(yi, vi, mods = …)``
(``tests/reference/heterogeneity.R``) on the same data run through ``metareview run``, rows
with a missing moderator listed, plan errors, the report's table, text and bubble plot
(compared with a baseline PNG in tests/baseline; METAREVIEW_UPDATE_BASELINES=1 rewrites it)."""

from __future__ import annotations

import os
import shutil

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.testing.compare import compare_images

from metareview.errors import PlanError
from metareview.plan.plan import load_plan, parse_plan
from metareview.plan.runner import run_plan
from metareview.report.bubble_plot import bubble_data, bubble_plot
from metareview.report.build import write_report
from metareview.report.methods_text import methods_paragraph
from tests.conftest import REPO
from tests.heterogeneity_reference import cases
from tests.test_plan_conventions import fixture_frame, write_plan

MAIN = "all/all-time-points"
REL = 1e-6


def metareg_case(dataset: str, mods: list[str], method: str, test: str) -> dict:
    return next(
        c
        for c in cases("metareg")
        if c["dataset"] == dataset
        and (c["mods"] if isinstance(c["mods"], list) else [c["mods"]]) == mods
        and (c["method"], c["test"]) == (method, test)
    )


def run_metareg(tmp_path, dataset, measure, entry, settings="", frame=None):
    plan = write_plan(
        tmp_path,
        fixture_frame(dataset) if frame is None else frame,
        f'preset = "metafor"\nmeasure = "{measure}"\n{settings}',
        f"metaregression = [{entry}]",
    )
    return run_plan(load_plan(plan), jobs=1)


@pytest.mark.parametrize(
    ("dataset", "measure", "mods", "method", "test"),
    [
        ("bcg", "RR", ["ablat", "alloc"], "REML", "z"),
        ("bcg", "RR", ["ablat", "alloc"], "DL", "knha"),
        ("raudenbush1985", "SMD", ["weeks", "tester"], "ML", "knha"),
    ],
)
def test_plan_metaregression_matches_metafor(tmp_path, dataset, measure, mods, method, test):
    ref = metareg_case(dataset, mods, method, test)
    moderators = ", ".join(f'"{m}"' for m in mods)
    entry = f'{{ moderators = [{moderators}], method = "{method}", ci_method = "{test}" }}'
    results = run_metareg(tmp_path, dataset, measure, entry)
    (section,) = results[MAIN].result["metaregression"]
    assert section["k"] == ref["k"] and section["reason"] is None
    coefficients = ref["coefficients"]
    assert len(section["coefficients"]) == len(coefficients["name"])
    for key in ("estimate", "se", "statistic", "pvalue", "ci_lower", "ci_upper"):
        ours = [c[key] for c in section["coefficients"]]
        assert ours == pytest.approx(coefficients[key], rel=REL), key
    for key in ("qm", "qm_pvalue", "qe", "qe_pvalue"):
        assert section[key] == pytest.approx(ref[key], rel=REL), key
    assert section["qm_df2"] == ref["qm_df2"]
    assert section["tau2"] == pytest.approx(ref["tau2"], rel=REL, abs=1e-10)
    assert section["i2"] == pytest.approx(ref["i2"], rel=REL, abs=1e-8)
    assert section["r2"] == pytest.approx(ref["r2"], rel=REL, abs=1e-8)


def test_method_and_test_default_to_the_analysis_and_permutations_are_seeded(tmp_path):
    ref = metareg_case("bcg", ["ablat", "alloc"], "REML", "knha")
    entry = '{ moderators = ["ablat", "alloc"], permutations = 30, seed = 5 }'
    settings = 'method = "REML"\nci_method = "knha"'
    first = run_metareg(tmp_path, "bcg", "RR", entry, settings)[MAIN].result["metaregression"][0]
    again = run_metareg(tmp_path, "bcg", "RR", entry, settings)[MAIN].result["metaregression"][0]
    assert (first["method"], first["ci_method"]) == ("REML", "knha")
    assert first["qm"] == pytest.approx(ref["qm"], rel=REL)
    assert first["permutation"]["iterations"] == 30
    assert first["permutation"] == again["permutation"]


def test_rows_with_a_missing_moderator_are_listed_and_a_failed_fit_has_a_reason(tmp_path):
    frame = fixture_frame("bcg")
    frame.loc[[0, 4], "ablat"] = np.nan
    frame["one_level"] = "same"
    entries = '{ moderators = ["ablat"] }, { moderators = ["one_level"] }'
    record = run_metareg(tmp_path, "bcg", "RR", entries, frame=frame)[MAIN]
    ablat, single = record.result["metaregression"]
    assert record.ok and ablat["k"] == len(frame) - 2
    assert [(d["row"], d["reason"]) for d in ablat["dropped"]] == [
        (2, "missing moderator ablat"),
        (6, "missing moderator ablat"),
    ]
    assert {d["study"] for d in ablat["dropped"]} == set(frame["study"].iloc[[0, 4]])
    assert "coefficients" not in single
    assert single["reason"] == "moderator 'one_level' has a single level ('same')"


def test_plan_errors_name_the_key(tmp_path):
    with pytest.raises(PlanError, match=r"key 'analyses.metaregression': column 'latitude'"):
        run_metareg(tmp_path, "bcg", "RR", '{ moderators = ["latitude"] }')
    base = '[data]\nfile = "t.csv"\n[analyses]\nmetaregression = [{ moderators = ["a"], '
    with pytest.raises(
        PlanError,
        match=r"key 'analyses.metaregression\[1\].categorical': got 'b', expected one of the "
        r"moderators \(a\)",
    ):
        parse_plan(base + 'categorical = ["b"] }]\n')
    with pytest.raises(
        PlanError, match=r"key 'analyses.metaregression\[1\].ci_method': got 'f', expected one of"
    ):
        parse_plan(base + 'ci_method = "f" }]\n')
    with pytest.raises(PlanError, match=r"metaregression\[1\].moderators': got 0 item"):
        parse_plan('[data]\nfile = "t.csv"\n[analyses]\nmetaregression = [{ moderators = [] }]\n')


def test_report_has_the_table_the_bubble_plot_and_the_methods(tmp_path):
    entries = '{ moderators = ["ablat"], ci_method = "knha" }, { moderators = ["ablat", "alloc"] }'
    results = run_metareg(tmp_path, "bcg", "RR", entries, 'method = "REML"')
    index = write_report(results, tmp_path / "out")
    html = index.read_text()
    figures = {p.name for p in (tmp_path / "out" / "figures").glob("bubble-*.svg")}
    assert figures == {"bubble-all-all-time-points-1.svg"}  # one continuous moderator only
    assert "Meta-regression: All, All time points on ablat, alloc" in html
    assert "alloc[random]" in html and "Test of moderators: F(1, 11)" in html
    assert "Bubble plot: meta-regression of All, All time points on ablat" in html
    methods, references = methods_paragraph(results)
    assert "Meta-regressions (ablat; ablat, alloc) were fitted as mixed-effects models" in methods
    assert "Knapp–Hartung t and F tests" in methods and "z and χ² tests" in methods
    assert any("Raudenbush SW" in r for r in references)


def test_bubble_band_at_zero_is_the_intercepts_confidence_interval(tmp_path):
    """raudenbush1985's weeks start at 0, where the band must be metafor's intercept CI."""
    ref = metareg_case("raudenbush1985", ["weeks"], "REML", "knha")
    entry = '{ moderators = ["weeks"], method = "REML", ci_method = "knha" }'
    section = run_metareg(tmp_path, "raudenbush1985", "SMD", entry)[MAIN].result["metaregression"][
        0
    ]
    data = bubble_data(section)
    assert data.grid[0] == 0
    assert data.lower[0] == pytest.approx(ref["coefficients"]["ci_lower"][0], rel=REL)
    assert data.upper[0] == pytest.approx(ref["coefficients"]["ci_upper"][0], rel=REL)
    slope = ref["coefficients"]["estimate"][1]
    assert np.diff(data.fitted) == pytest.approx(slope * np.diff(data.grid), rel=REL)
    weights = 1 / (np.array([s["vi"] for s in section["studies"]]) + ref["tau2"])
    assert data.weights == pytest.approx(weights, rel=REL)
    with pytest.raises(ValueError, match="one continuous moderator"):
        bubble_data({**section, "moderators": ["weeks", "tester"]})


def test_bubble_plot_matches_baseline(tmp_path):
    entry = '{ moderators = ["weeks"], method = "REML", ci_method = "knha" }'
    section = run_metareg(tmp_path, "raudenbush1985", "SMD", entry)[MAIN].result["metaregression"][
        0
    ]
    figure = Figure(figsize=(5, 3.8))
    ax = bubble_plot(bubble_data(section), ax=figure.add_subplot(), ylabel="SMD")
    assert ax.get_xlabel() == "weeks" and len(ax.collections[1].get_offsets()) == 19
    actual = tmp_path / "bubble-raudenbush.png"
    figure.savefig(actual, dpi=50)
    expected = REPO / "tests" / "baseline" / "bubble-raudenbush.png"
    if os.environ.get("METAREVIEW_UPDATE_BASELINES"):
        shutil.copy(actual, expected)
    assert compare_images(str(expected), str(actual), tol=6) is None


def test_rows_are_the_tables_rows_when_the_analysis_takes_a_subset(tmp_path):
    """An analysis of some rows names each study and each row left out by the row number of
    the extraction table, not by its position in the analysis."""
    frame = fixture_frame("bcg")
    frame["part"] = ["a"] * 4 + ["b"] * (len(frame) - 4)
    frame.loc[6, "ablat"] = np.nan  # spreadsheet row 8
    frame.to_csv(tmp_path / "data.csv", index=False)
    plan = tmp_path / "plan.toml"
    plan.write_text(
        '[data]\nfile = "data.csv"\n[settings]\nmeasure = "RR"\n'
        '[analyses]\nspecific_outcomes = false\nmetaregression = [{ moderators = ["ablat"] }]\n'
        '[[analysis]]\nname = "B"\nfilter = { part = "b" }\n',
        encoding="utf-8",
    )
    result = run_plan(load_plan(plan), jobs=1)["b/all-time-points"].result
    (section,) = result["metaregression"]
    assert [(d["row"], d["study"]) for d in section["dropped"]] == [(8, frame.loc[6, "study"])]
    assert [s["row"] for s in result["studies"]] == list(range(6, len(frame) + 2))


def test_report_tables_hold_the_metaregressions_of_results_json(tmp_path):
    """tables/metaregression.csv: every coefficient and model test at full precision as in
    results.json; metaregression.xlsx: the report's printed table; neither without models."""
    import json

    import pandas as pd

    entries = (
        '{ moderators = ["ablat"], permutations = 20, seed = 3 }, '
        '{ moderators = ["ablat", "alloc"], ci_method = "knha" }, { moderators = ["one_level"] }'
    )
    frame = fixture_frame("bcg")
    frame.loc[0, "alloc"] = np.nan
    frame["one_level"] = "same"
    results = run_metareg(tmp_path, "bcg", "RR", entries, frame=frame)
    write_report(results, tmp_path / "out")
    document = json.loads((tmp_path / "out" / "results.json").read_text())
    (record,) = [a for a in document["analyses"] if a["result"].get("metaregression")]
    sections = record["result"]["metaregression"]
    table = pd.read_csv(tmp_path / "out" / "tables" / "metaregression.csv")
    expected = [(s, c) for s in sections for c in s.get("coefficients", [{}])]
    assert len(table) == len(expected) == 2 + 4 + 1  # intercept, ablat, alloc[2 levels]
    for (section, coefficient), row in zip(expected, table.to_dict("records"), strict=True):
        assert row["analysis"] == record["spec"]["id"]
        assert row["moderators"] == ", ".join(section["moderators"])
        if section["reason"]:
            assert row["note"] == f"not fitted: {section['reason']}" and pd.isna(row["estimate"])
            continue
        assert row["coefficient"] == coefficient["name"]
        for column, key in [("estimate", "estimate"), ("se", "se"), ("ci_lower", "ci_lower"),
                            ("ci_upper", "ci_upper"), ("statistic", "statistic"), ("p", "pvalue")]:  # fmt: skip
            assert row[column] == pytest.approx(coefficient[key], rel=1e-12), column
        for column, key in [("qm", "qm"), ("qm_p", "qm_pvalue"), ("qe", "qe"), ("qe_p", "qe_pvalue"),
                            ("tau2", "tau2"), ("i2", "i2"), ("r2", "r2"), ("k", "k")]:  # fmt: skip
            assert row[column] == pytest.approx(section[key], rel=1e-12, abs=1e-15), column
        assert row["test"] == ("z" if section["ci_method"] == "z" else "t")
        permutation = section["permutation"]
        if permutation:
            index = [c["name"] for c in section["coefficients"]].index(coefficient["name"])
            assert row["permutation_p"] == permutation["pvalues"][index]
            assert row["permutation_qm_p"] == permutation["qm_pvalue"]
        else:
            assert pd.isna(row["permutation_p"]) and pd.isna(row["permutation_qm_p"])
    left_out = f"1 studies left out for a missing moderator: {frame['study'][0]}"
    assert (table["note"] == left_out).sum() == 4
    sheet = pd.read_excel(tmp_path / "out" / "tables" / "metaregression.xlsx")
    assert sheet["Coefficient"].fillna("").tolist() == table["coefficient"].fillna("").tolist()
    assert sheet["Model and tests"].str.contains("Test of moderators: F(3, ", regex=False).any()
    assert sheet["Permutation p"].notna().sum() == 2

    (tmp_path / "plain").mkdir()
    plan = write_plan(
        tmp_path / "plain", fixture_frame("bcg"), 'preset = "metafor"\nmeasure = "RR"'
    )
    write_report(run_plan(load_plan(plan), jobs=1), tmp_path / "plain")
    assert (tmp_path / "plain" / "tables" / "tables.xlsx").exists()
    assert not list((tmp_path / "plain" / "tables").glob("metaregression*"))
