"""Ratios reported with a CI on the ratio scale (data group ``ratio_ci``).

Tier 2: ``tests/reference/effects_ratio_ci.json`` (made by ``effects_ratio_ci.R``): the
back-calculation metafor's ``conv.wald`` documents (yi = ln ratio, v = ((ln U − ln L)/(2z))²),
written out in R because metafor 3.8-1 has no ``conv.wald``, on tables mixing counts and
reported odds ratios (dat.bcg, the conv.wald documentation's example), and reported RRs and HRs
at 90/95/99% CIs; the mixed tables pooled with metafor 3.8-1 ``rma`` (REML, DL).
Tolerance: 1e-6 relative.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metareview.cli import main
from metareview.data.effects import compute_effects
from metareview.errors import DataError
from metareview.plan.analysis import AnalysisSettings, analyze
from tests.tables import table

CASES = json.loads((Path(__file__).parent / "reference" / "effects_ratio_ci.json").read_text())[
    "cases"
]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_effects_and_pooling_match_metafor(case):
    data = pd.DataFrame(case["data"])
    out = compute_effects(data, case["measure"])
    np.testing.assert_allclose(out["yi"], case["yi"], rtol=1e-6)
    np.testing.assert_allclose(out["vi"], case["vi"], rtol=1e-6)
    for expected in case["pooled"]:
        result = analyze(data, AnalysisSettings(measure=case["measure"], method=expected["method"]))
        random = result.pooled.random
        assert result.k == len(data) and result.dropped == ()
        np.testing.assert_allclose(random.estimate, expected["estimate"], rtol=1e-6)
        np.testing.assert_allclose(random.se, expected["se"], rtol=1e-6)
        np.testing.assert_allclose(result.pooled.tau2, expected["tau2"], rtol=1e-6, atol=1e-10)


def test_mixed_table_takes_counts_and_reported_ratios_per_row():
    case = next(c for c in CASES if c["name"] == "bcg_mixed")
    out = compute_effects(pd.DataFrame(case["data"]), "OR")
    sources = out["es_source"].tolist()
    assert sources.count("ratio_ci") == 4 and sources.count("events") == len(out) - 4
    assert out["note"][out["es_source"] == "ratio_ci"].str.contains("from the reported OR").all()


def test_the_measure_is_the_reported_one_when_the_table_does_not_say_otherwise():
    hr = next(c for c in CASES if c["name"] == "reported_HR")
    assert compute_effects(pd.DataFrame(hr["data"]), None).attrs["measure"] == "HR"
    mixed = next(c for c in CASES if c["name"] == "bcg_mixed")
    assert compute_effects(pd.DataFrame(mixed["data"]), None).attrs["measure"] == "OR"


def _ratios(**columns) -> pd.DataFrame:
    base = table(
        "study ratio ratio_ci_lower ratio_ci_upper ratio_measure",
        ("A", 0.62, 0.41, 0.93, "OR"),
        ("B", 1.10, 0.85, 1.42, "OR"),
    )
    return base.assign(**columns)


def test_precomputed_yi_beside_reported_ratios_needs_the_measure():
    """A yi row says nothing of its scale: one reported HR must not make it a log HR."""
    table = pd.concat(
        [
            _ratios(ratio_measure=["HR", "HR"]),
            pd.DataFrame({"study": ["C"], "yi": [0.3], "vi": [0.04]}),
        ],
        ignore_index=True,
    )
    with pytest.raises(DataError, match="the measure must be given"):
        compute_effects(table, None)
    assert compute_effects(table, "HR").attrs["measure"] == "HR"


def test_a_ratio_of_another_measure_is_listed_not_estimable():
    out = compute_effects(_ratios(ratio_measure=["OR", "HR"]), "OR")
    assert out.loc[2, "es_source"] == "ratio_ci" and math.isnan(out.loc[3, "yi"])
    assert out.loc[3, "note"] == (
        "not estimable: the row's data (ratio_ci, a reported HR) cannot give OR"
    )


def test_the_ci_level_column_sets_z_for_ratio_and_yi_cis():
    out = compute_effects(_ratios(ci_level=[0.9, None]), "OR")
    z90 = 1.6448536269514722
    expected = ((math.log(0.93) - math.log(0.41)) / (2 * z90)) ** 2
    assert math.isclose(out.loc[2, "vi"], expected, rel_tol=1e-12)
    assert "90% CI (z = 1.6449)" in out.loc[2, "note"] and "90%" not in out.loc[3, "note"]
    yi = pd.DataFrame(
        {"study": ["A"], "yi": [0.3], "yi_ci_lower": [0.1], "yi_ci_upper": [0.5], "ci_level": [0.9]}
    )
    assert math.isclose(compute_effects(yi, "MD").loc[2, "vi"], (0.4 / (2 * z90)) ** 2)


def test_a_ci_not_centred_on_the_estimate_is_flagged_in_the_note_and_the_analysis():
    # 0.62 (0.30 to 0.94): a CI computed on the ratio scale, far from symmetric on the log scale
    data = _ratios(ratio_ci_lower=[0.30, 0.85], ratio_ci_upper=[0.94, 1.42])
    out = compute_effects(data, "OR")
    assert "check: the estimate (0.62) is not halfway" in out.loc[2, "note"]
    assert "check:" not in out.loc[3, "note"]
    warnings = analyze(data, AnalysisSettings(measure="OR")).warnings
    assert any(w.startswith("row 2 (A): check: the estimate (0.62)") for w in warnings)


def test_a_rounded_report_with_the_point_at_a_limit_is_kept_and_flagged():
    # "RR 0.99 (0.98 to 0.99)": rounding put the estimate on its upper limit
    data = _ratios(ratio=[0.99, 1.10], ratio_ci_lower=[0.98, 0.85], ratio_ci_upper=[0.99, 1.42])
    out = compute_effects(data, "OR")
    assert math.isclose(out.loc[2, "yi"], math.log(0.99))
    assert "check: the estimate (0.99) is not halfway" in out.loc[2, "note"]


@pytest.mark.parametrize(
    ("columns", "column", "value", "expected"),
    [
        ({"ratio_ci_lower": [0.0, 0.85]}, "ratio_ci_lower", "0.0", "a number > 0"),
        ({"ratio": [-0.62, 1.10]}, "ratio", "-0.62", "a number > 0"),
        ({"ratio_ci_lower": [0.95, 0.85]}, "ratio_ci_lower", "0.95", "below ratio_ci_upper"),
        ({"ratio": [0.99, 1.10]}, "ratio", "0.99", "at most ratio_ci_upper (0.93)"),
        ({"ratio": [0.40, 1.10]}, "ratio_ci_lower", "0.41", "at most ratio (0.4)"),
        ({"ratio_measure": ["SMD", "OR"]}, "ratio_measure", "SMD", "one of OR, RR, HR"),
        ({"ci_level": [95, None]}, "ci_level", "95", "(for 95% give 0.95)"),
    ],
)
def test_bad_ratios_are_errors_naming_row_column_value_and_expected(
    columns, column, value, expected
):
    with pytest.raises(DataError) as error:
        compute_effects(_ratios(**columns), "OR")
    problem = error.value.problems[0]
    assert problem.column == column and problem.value == value
    assert problem.row == 2 and expected in problem.expected


def test_cli_reports_a_bad_ratio_in_one_line(tmp_path, capsys):
    path = tmp_path / "trials.csv"
    _ratios(ratio_ci_upper=[0.93, 1.05]).to_csv(path, index=False)
    with pytest.raises(SystemExit) as done:
        main(["validate", str(path)])
    err = capsys.readouterr().err.strip()
    assert done.value.code == 2 and len(err.splitlines()) == 1
    assert "row 3, column 'ratio': got '1.1', expected at most ratio_ci_upper (1.05)" in err


def test_hazard_ratios_pool_and_print_on_the_ratio_scale(tmp_path, capsys):
    case = next(c for c in CASES if c["name"] == "reported_HR")
    path = tmp_path / "hr.csv"
    pd.DataFrame(case["data"]).to_csv(path, index=False)
    with pytest.raises(SystemExit) as done:
        main(["analyze", str(path)])
    out = capsys.readouterr().out
    assert done.value.code == 0 and "Measure: HR" in out
    assert f"{math.exp(case['pooled'][0]['estimate']):.2f}" in out


def test_a_data_check_reaches_results_json_the_report_and_the_console(tmp_path, capsys):
    """``metareview run`` pools yi and vi alone; the table's ``check:`` warnings are kept
    beside the analyses (results.json ``warnings``), printed and shown in the report."""
    import html

    _ratios(ratio_ci_lower=[0.30, 0.85], ratio_ci_upper=[0.94, 1.42]).to_csv(
        tmp_path / "ratios.csv", index=False
    )
    (tmp_path / "plan.toml").write_text(
        '[data]\nfile = "ratios.csv"\n[settings]\nmeasure = "OR"\n'
        '[[analysis]]\nname = "Mortality"\nfilter = {}\n'
    )
    out_dir = tmp_path / "out"
    with pytest.raises(SystemExit) as done:
        main(["run", str(tmp_path / "plan.toml"), "-o", str(out_dir), "--jobs", "1"])
    err = capsys.readouterr().err
    assert done.value.code == 0, err
    expected = "row 2 (A): check: the estimate (0.62) is not halfway between the CI limits"
    assert "1 data check(s)" in err and expected in " ".join(err.split())
    results = json.loads((out_dir / "results.json").read_text())
    assert len(results["warnings"]) == 1 and results["warnings"][0].startswith(expected)
    report = html.unescape((out_dir / "report" / "index.html").read_text())
    checks = report[report.index('<section id="data-checks">') :]
    assert expected in checks[: checks.index("</section>")]
