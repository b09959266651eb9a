"""RevMan 5's "M-H, Random" model against metafor 3.8-1 composed as RevMan computes it
(``rma.mh`` with the zero-cell correction inside MH, Q = its ``QE``, DerSimonian–Laird τ² from
that Q, ``rma(tau2 = …)``): fixture tests/reference/mh_random.R → mh_random.json, 1e-6 relative."""

from __future__ import annotations

import json

import pytest

from metareview.stats.mh_random import mantel_haenszel_random
from metareview.stats.pooling import pool
from tests.conftest import REPO

FIXTURE = json.loads((REPO / "tests" / "reference" / "mh_random.json").read_text())
MODEL_FIELDS = ("estimate", "se", "ci_lower", "ci_upper", "statistic", "pvalue")


def close(value, expected):
    return value == pytest.approx(expected, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: f"{c['dataset']}-{c['measure']}")
def test_against_metafor(case):
    res = mantel_haenszel_random(
        case["ai"], case["bi"], case["ci"], case["di"], measure=case["measure"]
    )
    assert res.k == case["k"] and res.excluded == 0
    for name in MODEL_FIELDS:
        assert close(getattr(res.fixed, name), case["fixed"][name]), f"fixed.{name}"
        assert close(getattr(res.random, name), case["random"][name]), f"random.{name}"
    for name in ("q", "q_df", "q_pvalue", "i2", "tau2"):
        assert close(getattr(res, name), case[name]), name
    assert list(res.yi) == pytest.approx(case["yi"], rel=1e-9)
    assert list(res.weights) == pytest.approx(case["weights"], rel=1e-6)
    assert list(res.fixed_weights) == pytest.approx(case["fixed_weights"], rel=1e-6)


def test_double_zero_tables_are_counted_out_of_ratios_and_kept_for_rd():
    """The ``sparse`` set has one double-zero table: the fixture's OR case was fitted without it
    (k = 5), its RD case with it (k = 6); given all six tables the OR result must equal the
    fixture and say what it left out."""
    odds = next(c for c in FIXTURE["cases"] if c["dataset"] == "sparse" and c["measure"] == "OR")
    rd = next(c for c in FIXTURE["cases"] if c["dataset"] == "sparse" and c["measure"] == "RD")
    full = [rd["ai"], rd["bi"], rd["ci"], rd["di"]]
    res = mantel_haenszel_random(*full, measure="OR", studies=list("ABCDEF"))
    assert res.excluded == 1 and res.studies == ("A", "B", "D", "E", "F")
    assert "C: no events (or only events) in both arms" in res.warnings[0]
    assert close(res.random.estimate, odds["random"]["estimate"])
    assert mantel_haenszel_random(*full, measure="RD").k == 6


def test_q_is_around_the_mantel_haenszel_estimate_not_the_inverse_variance_one():
    """Sparse RD: Q (never smaller than around the IV estimate, where Q is least), τ² and the
    pooled mean differ from inverse-variance DL on the same effects — RevMan's variant."""
    case = next(c for c in FIXTURE["cases"] if c["dataset"] == "sparse" and c["measure"] == "RD")
    res = mantel_haenszel_random(case["ai"], case["bi"], case["ci"], case["di"], measure="RD")
    iv = pool(res.yi, res.vi, method="DL")
    assert iv.q < res.q and iv.tau2 < 0.8 * res.tau2
    assert abs(iv.random.estimate - res.random.estimate) > 1e-3


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="every one is a double-zero table"):
        mantel_haenszel_random([0, 0], [10, 12], [0, 0], [9, 11])
    with pytest.raises(ValueError, match="add must be > 0"):
        mantel_haenszel_random([1, 2], [10, 12], [3, 0], [9, 11], add=0)
    with pytest.raises(ValueError, match="studies must have 2 labels"):
        mantel_haenszel_random([1, 2], [10, 12], [3, 1], [9, 11], studies=["A"])


def test_result_renders_and_serialises():
    res = mantel_haenszel_random([4, 6, 3], [119, 300, 228], [11, 29, 11], [128, 274, 209])
    doc = res.to_dict()
    assert doc["model"] == "MH-random" and len(doc["studies"]) == 3
    assert set(doc["heterogeneity"]) >= {"tau2", "q", "q_df", "q_pvalue", "i2"}
    assert "M-H, Random" in res.summary() and "<pre>" in res._repr_html_()


def _table_csv(tmp_path, case, name="trials.csv"):
    lines = ["study,event_arm1,totaln_arm1,event_arm2,totaln_arm2"]
    for i, (a, b, c, d) in enumerate(zip(case["ai"], case["bi"], case["ci"], case["di"])):
        lines.append(f"trial {i + 1},{a},{a + b},{c},{c + d}")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("measure", ["OR", "RR", "RD"])
def test_analyze_reports_mh_random_under_revman5(tmp_path, measure):
    """The sparse tables as an extraction table under preset revman5: the double-zero row is
    dropped (OR, RR) with its reason, and the "M-H, Random" and M-H sections equal the fixture
    (RevMan's zero-cell increment inside Mantel–Haenszel)."""
    from metareview.plan.analysis import AnalysisSettings, analyze

    rd = next(c for c in FIXTURE["cases"] if c["dataset"] == "sparse" and c["measure"] == "RD")
    case = next(c for c in FIXTURE["cases"] if c["dataset"] == "sparse" and c["measure"] == measure)
    result = analyze(_table_csv(tmp_path, rd), AnalysisSettings(measure=measure, preset="revman5"))
    assert len(result.dropped) == (0 if measure == "RD" else 1)
    doc = result.to_dict()
    section = doc["mantel_haenszel_random"]
    assert section["k"] == case["k"]
    for name in MODEL_FIELDS:
        assert close(section["random"][name], case["random"][name]), name
        assert close(section["fixed"][name], case["fixed"][name]), name
    assert close(section["heterogeneity"]["tau2"], case["tau2"])
    assert close(section["heterogeneity"]["q"], case["q"])
    assert close(doc["mantel_haenszel"]["estimate"], case["fixed"]["estimate"])
    assert [s["weight"] for s in section["studies"]] == pytest.approx(case["weights"], rel=1e-6)
    assert "M-H, Random" in result.summary()


def test_other_presets_and_estimators_leave_mh_random_out(tmp_path):
    """metafor keeps rma.mh's raw-count Mantel–Haenszel and has no M-H, Random; revman5 with
    an estimator other than DL (RevMan 5 offers only DL) has none either."""
    from metareview.plan.analysis import AnalysisSettings, analyze

    rd = next(c for c in FIXTURE["cases"] if c["dataset"] == "sparse" and c["measure"] == "RD")
    path = _table_csv(tmp_path, rd)
    metafor = analyze(path, AnalysisSettings(measure="OR")).to_dict()
    assert "mantel_haenszel_random" not in metafor
    revman = analyze(path, AnalysisSettings(measure="OR", preset="revman5")).to_dict()
    assert metafor["mantel_haenszel"]["estimate"] != pytest.approx(
        revman["mantel_haenszel"]["estimate"], rel=1e-3
    )
    reml = analyze(path, AnalysisSettings(measure="OR", preset="revman5", method="REML"))
    assert reml.mantel_haenszel_random is None


def _revman_record(tmp_path, case, model):
    """The record the runner stores for a revman5 analysis of the case's tables."""
    from metareview.plan.analysis import AnalysisSettings, analyze
    from metareview.plan.results import AnalysisRecord

    measure = case["measure"]
    path = _table_csv(tmp_path, case)
    result = analyze(path, AnalysisSettings(measure=measure, preset="revman5")).to_dict()
    spec = {"id": "x", "title": "BCG", "group": "BCG", "window": "Post-test", "role": "main"}
    rows = [
        {
            "study": f"trial {i + 1}",
            "event_arm1": a,
            "totaln_arm1": a + b,
            "event_arm2": c,
            "totaln_arm2": c + d,
        }
        for i, (a, b, c, d) in enumerate(zip(case["ai"], case["bi"], case["ci"], case["di"]))
    ]
    return AnalysisRecord(spec=spec, status="ok", result=result, input=rows, model=model)


def _summary_row(record):
    from metareview.plan.results import ReviewResults
    from metareview.report.tables import summary_table

    results = ReviewResults(
        title="t", version="0", cache_key="k", plan={}, data={}, analyses=(record,)
    )
    return summary_table(results, "BCG").iloc[0]


def test_report_shows_mh_random_as_revman_does(tmp_path):
    """A revman5 record of binary counts: the forest plot (rows, total, axis label, footer),
    the summary table, the results paragraph and the GRADE inputs show M-H, Random."""
    from metareview.plan.grade_review import evidence_from_record
    from metareview.report.forest_data import forest_data
    from metareview.report.methods_text import results_paragraph

    case = next(c for c in FIXTURE["cases"] if c["dataset"] == "bcg" and c["measure"] == "RR")
    record = _revman_record(tmp_path, case, "random")
    data = forest_data(record)
    assert "M-H, Random" in data.axis_label("revman5")
    assert [row.weight for row in data.rows] == pytest.approx(case["weights"], rel=1e-6)
    assert close(data.summaries[0].estimate, case["random"]["estimate"])
    footer = data.heterogeneity_text("revman5")
    assert f"Tau² = {case['tau2']:.2f}; Chi² = {case['q']:.2f}, df = 12" in footer
    assert f"Z = {abs(case['random']['statistic']):.2f}" in data.overall_text("revman5")
    row = _summary_row(record)
    assert close(row["estimate"], case["random"]["estimate"])
    assert close(row["ci_upper"], case["random"]["ci_upper"])
    assert "Mantel-Haenszel random-effects" in results_paragraph([record], symbol="log RR")
    evidence = evidence_from_record(record, rob_column="overall_rob")
    assert close(evidence.estimate, case["random"]["estimate"]) and close(evidence.i2, case["i2"])


@pytest.mark.parametrize(
    "dataset, measure", [("bcg", "OR"), ("bcg", "RR"), ("hine1989", "RD"), ("sparse", "OR")]
)
def test_report_shows_mh_fixed_as_revman_does(tmp_path, dataset, measure):
    """With a fixed-effect headline the forest plot (Mantel–Haenszel weights, total, axis
    label, footer without Tau²), the summary table, the results paragraph and the GRADE
    inputs show RevMan's M-H, Fixed model: rma.mh's estimate, CI, z, QE and I², and
    metafor's weights() of the rma.mh fit."""
    from metareview.plan.grade_review import evidence_from_record
    from metareview.report.forest_data import forest_data, format_p
    from metareview.report.methods_text import results_paragraph

    case = next(c for c in FIXTURE["cases"] if c["dataset"] == dataset and c["measure"] == measure)
    record = _revman_record(tmp_path, case, "fixed")
    data = forest_data(record)
    assert "M-H, Fixed" in data.axis_label("revman5")
    assert [row.weight for row in data.rows] == pytest.approx(case["fixed_weights"], rel=1e-6)
    assert sum(row.weight for row in data.rows) == pytest.approx(100.0)
    total = data.summaries[0]
    for got, name in ((total.estimate, "estimate"), (total.lower, "ci_lower")):
        assert close(got, case["fixed"][name]), name
    assert close(total.upper, case["fixed"]["ci_upper"])
    p = format_p(case["q_pvalue"], "revman5", equals=True)
    assert data.heterogeneity_text("revman5") == (
        f"Heterogeneity: Chi² = {case['q']:.2f}, df = {case['q_df']} (P {p}); "
        f"I² = {case['i2']:.0f}%"
    )
    assert f"Z = {abs(case['fixed']['statistic']):.2f}" in data.overall_text("revman5")
    row = _summary_row(record)
    for name in ("estimate", "ci_lower", "ci_upper"):
        assert close(row[name], case["fixed"][name]), name
    assert "Mantel-Haenszel fixed-effect" in results_paragraph([record], symbol="log OR")
    evidence = evidence_from_record(record, rob_column="overall_rob")
    assert close(evidence.estimate, case["fixed"]["estimate"]) and close(evidence.i2, case["i2"])


def test_inverse_variance_stays_without_counts_or_under_other_presets(tmp_path):
    """The fixed-effect headline stays inverse variance (weights 1/vᵢ) under metafor, and
    under revman5 when the analysis has no M-H section (an estimator other than DL)."""
    from metareview.plan.analysis import AnalysisSettings, analyze
    from metareview.plan.results import AnalysisRecord
    from metareview.report.forest_data import forest_data

    case = next(c for c in FIXTURE["cases"] if c["dataset"] == "bcg" and c["measure"] == "OR")
    path = _table_csv(tmp_path, case)
    spec = {"id": "x", "title": "BCG", "group": "BCG", "window": "Post-test", "role": "main"}
    for settings in (
        AnalysisSettings(measure="OR"),
        AnalysisSettings(measure="OR", preset="revman5", method="REML"),
    ):
        result = analyze(path, settings).to_dict()
        record = AnalysisRecord(spec=spec, status="ok", result=result, model="fixed")
        data = forest_data(record)
        assert "IV, Fixed" in data.axis_label("revman5")
        assert close(data.summaries[0].estimate, result["fixed"]["estimate"])
        inverse = [1 / s["vi"] for s in result["studies"]]
        expected = [100 * w / sum(inverse) for w in inverse]
        assert [row.weight for row in data.rows] == pytest.approx(expected, rel=1e-12)


def test_plan_rule_reads_revmans_i2(tmp_path):
    """``fixed_if_low_i2`` judges the I² the report shows: under revman5 the one from Q around
    the Mantel–Haenszel estimate (sparse RD: 44%, inverse variance 34%)."""
    from metareview.plan.plan import Settings
    from metareview.plan.rules import choose_model

    case = next(c for c in FIXTURE["cases"] if c["dataset"] == "sparse" and c["measure"] == "RD")
    record = _revman_record(tmp_path, case, "random")
    assert record.result["heterogeneity"]["i2"] < 40 < case["i2"]
    model, why = choose_model(Settings(model="fixed_if_low_i2", i2_threshold=40), record.result)
    assert model == "random" and f"I² = {case['i2']:.0f}%" in why


SUBGROUPS = json.loads((REPO / "tests" / "reference" / "mh_subgroups.json").read_text())


@pytest.mark.parametrize("model", ["fixed", "random"])
@pytest.mark.parametrize("case", SUBGROUPS["cases"], ids=lambda c: f"{c['dataset']}-{c['measure']}")
def test_subgroups_pool_each_level_by_mantel_haenszel(case, model):
    """Under revman5 each subgroup is pooled with RevMan's M-H, Fixed or M-H, Random and the
    test is Q between those estimates (not analyze's inverse-variance subgroup section):
    rma.mh per subgroup, then rma(method = "FE")'s QE on the estimates (mh_subgroups.R)."""
    import pandas as pd

    from metareview.plan.analysis import AnalysisSettings, analyze
    from metareview.plan.results import AnalysisRecord
    from metareview.plan.rules import subgroup_block, subgroup_key
    from metareview.report.forest_data import forest_data

    a, b, c, d = (pd.Series(case[x]) for x in ("ai", "bi", "ci", "di"))
    frame = pd.DataFrame(
        {
            "study": [f"trial {i + 1}" for i in range(len(a))],
            "event_arm1": a,
            "totaln_arm1": a + b,
            "event_arm2": c,
            "totaln_arm2": c + d,
            "group": case["group"],
        }
    )
    settings = AnalysisSettings(measure=case["measure"], preset="revman5")
    fits = {
        subgroup_key("x", "group", level): analyze(rows, settings).to_dict()
        for level, rows in frame.groupby("group")
    }
    section = analyze(frame, AnalysisSettings(**{**vars(settings), "by": "group"}))
    block = subgroup_block("group", frame, fits, "x", 2, model, section.to_dict()["subgroups"])
    for entry in block["levels"]:
        expected = case["levels"][entry["level"]]
        result = entry["result"]
        assert result["k"] == expected["k"]
        for name in ("estimate", "se", "ci_lower", "ci_upper"):
            assert close(result[model][name], expected[model][name]), (entry["level"], name)
        assert close(result["heterogeneity"]["q"], expected["q"])
        assert close(result["heterogeneity"]["i2"], expected["i2"])
    test = case[f"test_{model}"]
    assert block["test"]["df"] == test["df"]
    assert close(block["test"]["q"], test["q"]) and close(block["test"]["pvalue"], test["pvalue"])
    # the forest plot by subgroup draws these subtotals, M-H weights and the M-H total
    record = AnalysisRecord(
        spec={"id": "x", "title": "T", "group": "T", "window": "Post-test", "role": "main"},
        status="ok",
        result=analyze(frame, settings).to_dict(),
        model=model,
        subgroups=[block],
    )
    data = forest_data(record, subgroup="group")
    assert "M-H" in data.axis_label("revman5")
    for section, level in zip(data.sections, sorted(case["levels"]), strict=True):
        expected = case["levels"][level][model]
        assert close(section.summaries[0].estimate, expected["estimate"]), level
        # as RevMan: study weights are shares of the total, a subtotal's weight their sum
        weights = [row.weight for row in section.rows]
        assert section.summaries[0].weight == pytest.approx(sum(weights))
    assert sum(row.weight for row in data.rows) == pytest.approx(100.0)
    whole = record.headline()
    assert close(data.summaries[0].estimate, whole["mantel_haenszel_random"][model]["estimate"])
    assert f"Chi² = {test['q']:.2f}" in data.subgroup_text("revman5")
