"""The report prints an analysis on the scale and at the level it was run: ratio measures back
from the log scale with their symbol (RR, not g), and every interval labelled with the plan's
``level`` (results paragraph and summary table). Values: R metafor 3.8-1, ``rma(method =
"REML")`` on the log risk ratios of dat.bcg (tests/reference/pooling.json)."""

from __future__ import annotations

import json
import math

from metareview.plan.plan import load_plan
from metareview.plan.runner import run_plan
from metareview.report.html import render_html
from metareview.report.methods_text import results_paragraph
from metareview.report.tables import format_table, summary_table
from tests.conftest import REPO
from tests.test_plan_conventions import fixture_frame, write_plan

METAFOR = next(
    case["result"]
    for case in json.loads((REPO / "tests" / "reference" / "pooling.json").read_text())["cases"]
    if (case["dataset"], case["method"], case["test"]) == ("bcg", "REML", "z")
)


def _run(tmp_path, level):
    settings = f'preset = "metafor"\nmeasure = "RR"\nmethod = "REML"\nlevel = {level}'
    results = run_plan(load_plan(write_plan(tmp_path, fixture_frame("bcg"), settings)), jobs=1)
    return results, results["all/all-time-points"]


def _ratio(name: str) -> str:
    return f"{math.exp(METAFOR[name]):.2f}"


def test_a_ratio_measure_is_printed_as_a_ratio_with_its_symbol(tmp_path):
    results, record = _run(tmp_path, 0.95)
    text = results_paragraph([record])
    estimate = f"{_ratio('estimate')}, 95% CI {_ratio('ci_lower')} to {_ratio('ci_upper')}"
    assert f"pooling 13 trials gave RR = {estimate}, p" in text
    assert f"prediction interval {_ratio('pi_lower')} to {_ratio('pi_upper')}." in text
    main = format_table(summary_table(results, "All")).iloc[0]
    assert main["RR (95% CI)"] == (
        f"{_ratio('estimate')} ({_ratio('ci_lower')} to {_ratio('ci_upper')})"
    )
    assert main["PI"] == f"{_ratio('pi_lower')} to {_ratio('pi_upper')}"


def test_intervals_are_labelled_with_the_level_of_the_analysis(tmp_path):
    results, record = _run(tmp_path, 0.9)
    text = results_paragraph([record])
    assert text.count("90% CI") == 2 and "95%" not in text  # the estimate's and I²'s
    columns = list(format_table(summary_table(results, "All")).columns)
    assert "RR (90% CI)" in columns and "I² (90% CI)" in columns


def test_leave_one_out_table_prints_ratios_at_the_level_of_the_analysis(tmp_path):
    """metafor leave1out(rma(method = "REML")) on dat.bcg's log risk ratios
    (tests/reference/heterogeneity.json): omitting the first trial."""
    from tests.heterogeneity_reference import cases

    expected = next(c for c in cases("leave1out") if (c["dataset"], c["method"]) == ("bcg", "REML"))
    settings = 'preset = "metafor"\nmeasure = "RR"\nmethod = "REML"'
    plan = write_plan(tmp_path, fixture_frame("bcg"), settings, 'sensitivity = ["leave_one_out"]')
    html = render_html(run_plan(load_plan(plan), jobs=1), [])
    table = html[html.index("Leave-one-out: All") :]
    first = [f"{math.exp(expected[name][0]):.2f}" for name in ("estimate", "ci_lower", "ci_upper")]
    assert f'<td class="num">{first[0]} ({first[1]} to {first[2]})</td>' in table
    assert '<th class="num">RR (95% CI)</th>' in table


def test_methods_name_the_level_of_the_intervals_and_no_i2_interval_where_none_is_computed(
    tmp_path,
):
    from metareview.report.methods_text import methods_paragraph

    frame = fixture_frame("bcg")
    sensitivity = 'sensitivity = ["outliers_removed"]'
    metafor = tmp_path / "metafor"
    metafor.mkdir()
    plan = write_plan(metafor, frame, 'measure = "RR"\nlevel = 0.9', sensitivity)
    text, _ = methods_paragraph(run_plan(load_plan(plan), jobs=1))
    assert "I² = τ²/(τ² + s²) [" in text and "whose 90% CI was computed from the Q-profile" in text
    assert "Outliers were studies whose 90% CI did not overlap" in text and "95%" not in text
    revman = tmp_path / "revman"
    revman.mkdir()
    plan = write_plan(revman, frame, 'preset = "revman5"\nmeasure = "RR"')
    results = run_plan(load_plan(plan), jobs=1)
    assert results["all/all-time-points"].result["heterogeneity"]["i2_ci"] is None
    text, _ = methods_paragraph(results)
    assert "test-based" not in text and "whose 95% CI" not in text
    assert "without a confidence interval for I² (Cochrane RevMan 5.4 reports none)" in text


def _trimfill_row(tmp_path, level):
    """The trim-and-fill row of the small-study table of the log odds ratios of
    dat.hackshaw1998 (tests/reference/bias.json)."""
    from tests.test_plan_conventions import bias_frame

    settings = f'preset = "metafor"\nmeasure = "OR"\nmethod = "REML"\nlevel = {level}'
    plan = write_plan(tmp_path, bias_frame("hackshaw1998"), settings, 'small_study = ["trimfill"]')
    html = render_html(run_plan(load_plan(plan), jobs=1), [])
    block = html[html.index("Small-study effects: All") :]
    block = block[: block.index("</table>")]
    return block[block.index("Trim-and-fill") :]


def test_small_study_table_prints_adjusted_ratios_at_the_level_of_the_analysis(tmp_path):
    """metafor trimfill(rma(yi, vi, method = "REML")) on dat.hackshaw1998 (log OR, L0,
    side chosen from the data): the adjusted estimate printed as an odds ratio."""
    from tests.test_plan_conventions import trimfill_reference

    ref = trimfill_reference("hackshaw1998", "L0", "auto")
    ratio = [f"{math.exp(ref[name]):.2f}" for name in ("estimate", "ci_lower", "ci_upper")]
    row = _trimfill_row(tmp_path, 0.95)
    assert f"adjusted estimate OR = {ratio[0]} (95% CI {ratio[1]} to {ratio[2]})" in row
    at_90 = _trimfill_row(tmp_path, 0.9)
    assert "90% CI" in at_90 and "95%" not in at_90


def test_summary_of_findings_heads_the_effect_with_the_level_of_the_analysis(tmp_path):
    """The GRADE table's effect column says the level its intervals were computed at, and its
    cells hold them: metafor's estimate ± z·SE at 90% (Wald intervals, ``test = "z"``)."""
    from scipy.stats import norm

    from metareview.plan.grade_review import assess_review
    from metareview.rob.sof import sof_csv, sof_html, summary_of_findings

    results, _ = _run(tmp_path, 0.9)
    assessments = assess_review(results)
    table = summary_of_findings(assessments)
    assert list(table.columns)[2] == "Effect (90% CI)"
    half = norm.ppf(0.95) * METAFOR["se"]
    low, high = (f"{math.exp(METAFOR['estimate'] + sign * half):.2f}" for sign in (-1, 1))
    assert table.iloc[0, 2] == f"RR {_ratio('estimate')} ({low} to {high})"
    assert "<th>Effect (90% CI)</th>" in sof_html(assessments)
    assert sof_csv(assessments).splitlines()[0].split(",")[2] == "Effect (90% CI)"
    assert "95%" not in sof_html(assessments)


def test_summary_of_findings_of_outcomes_at_different_levels_names_each_level():
    from dataclasses import replace

    from metareview.rob.grade import OutcomeEvidence, grade
    from metareview.rob.sof import summary_of_findings

    evidence = OutcomeEvidence(
        "Hope", "SMD", k=8, participants=900, estimate=0.3, ci_lower=0.05, ci_upper=0.55
    )
    table = summary_of_findings([grade(evidence), grade(replace(evidence, level=0.9))])
    assert list(table.columns)[2] == "Effect (CI)"
    assert list(table.iloc[:, 2]) == [
        "SMD 0.30 (95% CI 0.05 to 0.55)",
        "SMD 0.30 (90% CI 0.05 to 0.55)",
    ]
