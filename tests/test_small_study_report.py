"""Small-study analyses through a plan and analyze: each on its own in results.json and the
HTML report (one failing analysis leaves the others standing); the step-function selection
model from plan and CLI, checked against metafor's selmodel (tests/reference/bias.json)."""

from __future__ import annotations

import json
import re
from html import unescape

import pandas as pd
import pytest
from click.testing import CliRunner

from metareview.cli import cli
from metareview.errors import PlanError
from metareview.plan.plan import load_plan
from metareview.plan.runner import run_plan
from metareview.report.build import write_report
from tests.bias_reference import cases
from tests.test_bias_small_study import Q0_UNDEFINED

REL = 1e-4  # as tests/test_bias_selection.py: both fits are numerical optimisations


def _review(folder, settings: str, small_study: str, frame: pd.DataFrame):
    frame.to_csv(folder / "trials.csv", index=False)
    (folder / "plan.toml").write_text(
        '[data]\nfile = "trials.csv"\n'
        f"[settings]\n{settings}\n"
        f"[analyses]\nsmall_study = {small_study}\n"
        '[[analysis]]\nname = "Stress"\nfilter = {}\n'
    )
    results = run_plan(load_plan(folder / "plan.toml"), jobs=1)
    index = write_report(results, folder / "out")
    return results, index.read_text()


def test_a_failed_trim_and_fill_is_listed_and_egger_still_reported(tmp_path):
    yi, vi = Q0_UNDEFINED
    frame = pd.DataFrame({"study": list("ABCDEFGHIJ"), "yi": yi, "vi": vi})
    results, html = _review(tmp_path, 'trimfill_estimator = "Q0"', '["egger", "trimfill"]', frame)
    small = results["stress/all-time-points"].result["small_study"]
    assert small["run"] and small["trim_and_fill"] is None
    assert "Q0 estimator is undefined" in small["failed"]["trim_and_fill"]
    egger = small["egger_rma"]  # the metafor preset reports the mixed-effects variant
    assert egger is not None
    assert "Small-study effects: Stress" in html
    assert "not run: the Q0 estimator is undefined" in html
    assert f"z = {egger['statistic']:.2f}" in html
    assert 'id="funnel-stress-all-time-points"' in html  # drawn without imputed studies


def _thirdwave_reference(steps: list[float]) -> dict:
    """metafor's selmodel on ThirdWave (ML, alternative "greater") from tests/reference/bias.json."""
    return next(
        ref
        for name, _, ref in cases("selmodel")
        if name == "thirdwave"
        and (ref["method"], ref["alternative"], ref["steps"][:-1]) == ("ML", "greater", steps)
    )


def _assert_matches_metafor(section: dict, ref: dict) -> None:
    """As tests/test_bias_selection.py: 1e-4 relative (both are numerical optimisations)."""
    assert section["method"] == "ML" and section["alternative"] == "greater"
    assert section["steps"] == ref["steps"]
    assert [i["k"] for i in section["intervals"]] == ref["ptable_k"]
    assert section["estimate"] == pytest.approx(ref["estimate"], rel=REL)
    assert section["se"] == pytest.approx(ref["se"], rel=REL)
    # metafor's CI is estimate ± z·SE; a bound near 0 is compared on the scale of the SE
    for bound, sign in (("ci_lower", -1), ("ci_upper", 1)):
        expected = ref["estimate"] + sign * 1.959963984540054 * ref["se"]
        assert section[bound] == pytest.approx(expected, rel=REL, abs=REL * ref["se"])
    assert section["tau2"] == pytest.approx(ref["tau2"], rel=REL, abs=1e-6)
    assert [i["delta"] for i in section["intervals"]] == pytest.approx(ref["delta"], rel=REL)
    assert section["lrt"] == pytest.approx(ref["lrt"], rel=REL)
    assert section["lrt_df"] == ref["lrt_df"]
    assert section["lrt_pvalue"] == pytest.approx(ref["lrt_pvalue"], rel=REL)


def test_plan_selection_model_reaches_results_report_and_methods(tmp_path, shared_data):
    """ThirdWave with cut-points 0.01 and 0.05: the numbers equal metafor's selmodel."""
    frame = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv")
    frame = frame.rename(columns={"Author": "study", "TE": "yi", "seTE": "sei"})
    results, html = _review(
        tmp_path, "selection_steps = [0.01, 0.05]", '["egger", "selection"]', frame
    )
    small = results["stress/all-time-points"].result["small_study"]
    assert small["failed"] == {}
    section = small["selection"]
    _assert_matches_metafor(section, _thirdwave_reference([0.01, 0.05]))
    text = unescape(html)
    assert "Step-function selection model (Vevea & Hedges), cut-points 0.01, 0.05" in text
    assert f"adjusted estimate g = {section['estimate']:.2f} (95% CI" in text
    assert f"χ²(2) = {section['lrt']:.2f}" in text
    for row in ("0 < p ≤ 0.01", "0.01 < p ≤ 0.05", "0.05 < p ≤ 1"):
        assert f"<td>{row}</td>" in text
    methods = text[text.index('<section id="methods">') : text.index("</section>")]
    assert "Vevea and Hedges' step-function selection model [" in methods
    assert "one-sided p values at 0.01, 0.05" in methods
    assert "Vevea JL, Hedges LV. A general linear model" in text


def test_an_interval_without_studies_fails_the_selection_model_alone(tmp_path):
    """metafor documents an error when an interval holds no p value; here every study's
    one-sided p is below 0.025, so (0.025, 0.5] and (0.5, 1] are empty."""
    yi = [0.9, 0.8, 1.0, 0.85, 0.95, 0.7, 1.2, 0.75, 1.1, 0.88]
    vi = [0.04, 0.05, 0.03, 0.04, 0.05, 0.04, 0.06, 0.03, 0.05, 0.02]
    frame = pd.DataFrame({"study": list("ABCDEFGHIJ"), "yi": yi, "vi": vi})
    results, html = _review(
        tmp_path, "selection_steps = [0.025, 0.5]", '["egger", "selection"]', frame
    )
    small = results["stress/all-time-points"].result["small_study"]
    assert small["selection"] is None and small["egger_rma"] is not None
    reason = small["failed"]["selection"]
    assert "0.025 < p <= 0.5, 0.5 < p <= 1 (studies per interval: 10, 0, 0)" in reason
    assert "not run: no study&#39;s one-sided p-value lies in 0.025" in html


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ("[0.5, 0.025]", "key 'settings.selection_steps': got [0.5, 0.025], expected increasing"),
        ("[1.5]", "key 'settings.selection_steps[1]'"),
        ("[]", "key 'settings.selection_steps'"),
    ],
)
def test_plan_rejects_bad_cut_points_naming_the_key_and_line(tmp_path, steps, message):
    (tmp_path / "plan.toml").write_text(
        f'[data]\nfile = "trials.csv"\n[settings]\nselection_steps = {steps}\n'
    )
    with pytest.raises(PlanError, match=re.escape("plan.toml, line 4, " + message)):
        load_plan(tmp_path / "plan.toml")


def test_analyze_selection_steps_flag(tmp_path, shared_data):
    frame = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv")
    path = tmp_path / "thirdwave.csv"
    frame.rename(columns={"Author": "study", "TE": "yi", "seTE": "sei"}).to_csv(path, index=False)
    runner = CliRunner()
    out = runner.invoke(cli, ["analyze", str(path), "--selection-steps", "0.01,0.05", "--json"])
    assert out.exit_code == 0, out.output
    section = json.loads(out.output)["small_study"]["selection"]
    _assert_matches_metafor(section, _thirdwave_reference([0.01, 0.05]))
    text = runner.invoke(cli, ["analyze", str(path), "--selection-steps", "0.01,0.05"]).output
    assert "Step-function selection model (ML, cut-points 0.01, 0.05, 1, k = 18)" in text
    plain = json.loads(runner.invoke(cli, ["analyze", str(path), "--json"]).output)
    assert plain["small_study"]["selection"] is None  # only when asked for
    for bad in ("0.5,0.1", "0,0.5", "x"):
        wrong = runner.invoke(cli, ["analyze", str(path), "--selection-steps", bad])
        assert wrong.exit_code == 2
        assert "expected increasing one-sided p values in (0, 1)" in wrong.output
