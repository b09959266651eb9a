"""The small-study orchestrator (minimum-k rule, force, JSON keys), PET-PEESE, funnel data and
the funnel plot."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from metareview.stats.bias.funnel import funnel_data
from metareview.stats.bias.pet_peese import pet_peese
from metareview.stats.bias.small_study import small_study_effects
from metareview.stats.presets import PRESETS, get_preset
from tests.bias_reference import bias_data

matplotlib.use("Agg")

KEYS = {
    "egger": {"intercept", "se", "statistic", "df", "pvalue", "limit_estimate"},
    "egger_rma": {"statistic", "pvalue"},
    "begg": {"tau", "pvalue"},
    "trim_and_fill": {
        "k0",
        "side",
        "estimator",
        "estimate",
        "se",
        "ci_lower",
        "ci_upper",
        "pvalue",
        "filled_yi",
        "filled_vi",
    },
    "pet_peese": {"method", "estimate", "ci_lower", "ci_upper"},
    "fail_safe_n": {"rosenthal", "orwin", "rosenberg"},
}


def test_thirdwave_meta_preset_section(shared_data):
    """The book's ThirdWave numbers through the orchestrator (REML + Hartung-Knapp, as the
    book's m.gen): Egger 4.111 (p = 0.00025), 8 studies filled, g = 0.3428 [0.1015; 0.5841]."""
    yi, vi, _ = bias_data("thirdwave", shared_data)
    res = small_study_effects(yi, vi, preset="meta", ci_method="knha")
    doc = res.to_dict()
    assert set(doc) == {"k_min", "run", "reason", *KEYS, "selection", "failed"}
    assert doc["selection"] is None and doc["failed"] == {}
    for section, keys in KEYS.items():
        assert set(doc[section]) == keys
    assert (doc["k_min"], doc["run"], doc["reason"]) == (10, True, None)
    assert round(doc["egger"]["intercept"], 3) == 4.111
    assert round(doc["egger"]["pvalue"], 5) == 0.00025
    tf = doc["trim_and_fill"]
    assert (tf["k0"], round(tf["estimate"], 4)) == (8, 0.3428)
    assert (round(tf["ci_lower"], 4), round(tf["ci_upper"], 4)) == (0.1015, 0.5841)
    assert res.primary_egger is res.egger
    assert "Trim-and-fill" in res.summary()


def test_metafor_preset_uses_the_mixed_effects_egger(shared_data):
    yi, vi, _ = bias_data("thirdwave", shared_data)
    res = small_study_effects(yi, vi)
    assert res.primary_egger is res.egger_rma
    assert res.egger_rma.method == "REML" and res.egger_rma.df is None
    assert res.trim_and_fill.k0 == 0


def test_below_minimum_k_nothing_runs_unless_forced(shared_data):
    yi, vi, _ = bias_data("thirdwave", shared_data)
    res = small_study_effects(yi[:7], vi[:7], preset="meta")
    doc = res.to_dict()
    assert doc["run"] is False and doc["k_min"] == 10
    assert "7 studies, fewer than the 10" in doc["reason"]
    assert all(doc[section] is None for section in KEYS)
    with pytest.warns(UserWarning, match="forced"):
        forced = small_study_effects(yi[:7], vi[:7], preset="meta", force=True)
    assert forced.run and forced.reason.startswith("forced: 7 studies")
    assert forced.to_dict()["egger"]["df"] == 5
    assert small_study_effects(yi[:2], vi[:2], force=True).run is False


def test_min_k_is_a_preset_setting():
    assert {p.min_k_bias for p in PRESETS.values()} == {10}
    preset = get_preset("meta").with_overrides(min_k_bias=5)
    yi = [0.71, 0.35, 1.79, 0.18, 0.42, 0.60]
    vi = [0.068, 0.039, 0.119, 0.014, 0.030, 0.060]
    assert small_study_effects(yi, vi, preset=preset).run


def test_pet_peese_conditional_rule_by_hand():
    """PET is the intercept of yi ~ sei weighted by 1/vi; with a clear effect PEESE (yi ~ vi)
    is chosen, with none PET stays (tier 3: numpy least squares)."""
    rng = np.random.default_rng(7)
    sei = rng.uniform(0.05, 0.4, 20)
    for true, expected in ((0.6, "PEESE"), (0.0, "PET")):
        yi = true + rng.normal(0, sei)
        res = pet_peese(yi, sei**2)
        x = sei if expected == "PET" else sei**2
        design = np.column_stack([np.ones(20), x]) / sei[:, None]
        coef, *_ = np.linalg.lstsq(design, yi / sei, rcond=None)
        assert res.method == expected
        assert res.estimate == pytest.approx(coef[0], rel=1e-10)
        assert res.ci_lower < res.estimate < res.ci_upper


def test_funnel_data_lines():
    fd = funnel_data([0.2, 0.5, 0.9], [0.01, 0.04, 0.09], center=0.4, labels=["a", "b", "c"])
    z = stats.norm.isf(0.025)
    assert fd.pseudo_ci(0.2, ndigits=12) == pytest.approx((0.4 - z * 0.2, 0.4 + z * 0.2))
    doc = fd.to_dict()
    assert [c["alpha"] for c in doc["contours"]] == [0.10, 0.05, 0.01]
    assert doc["contours"][1]["upper_at_se_max"] == pytest.approx(z * 0.3)
    frame = fd.to_frame()
    assert list(frame["study"]) == ["a", "b", "c"]
    assert frame["pvalue"].iloc[0] == pytest.approx(2 * stats.norm.sf(2.0))
    with pytest.raises(ValueError, match="labels must name each"):
        funnel_data([0.2, 0.5], [0.01, 0.04], labels=["a"])


def test_funnel_plot_shows_studies_filled_studies_and_bands(shared_data):
    from metareview.report.funnel_plot import funnel_plot
    from metareview.stats.bias.trimfill import trim_and_fill

    yi, vi, _ = bias_data("thirdwave", shared_data)
    tf = trim_and_fill(yi, vi, preset="meta")
    ax = funnel_plot(funnel_data(yi, vi), trim_and_fill=tf, xlabel="Hedges' g")
    offsets = [c.get_offsets() for c in ax.collections if len(c.get_offsets()) in (18, 8)]
    assert sorted(len(o) for o in offsets) == [8, 18]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Imputed by trim-and-fill (8)" in labels and "p > 0.1" in labels
    assert ax.get_ylim() == pytest.approx((1.05 * float(np.sqrt(vi).max()), 0.0))
    ax.figure.clf()


def test_funnel_plot_of_a_ratio_measure_labels_ratios(shared_data):
    from matplotlib import pyplot as plt

    from metareview.report.funnel_plot import funnel_plot

    yi, vi, _ = bias_data("egger2001", shared_data)
    fig, ax = plt.subplots()
    assert funnel_plot(funnel_data(yi, vi), ax=ax, exp_labels=True, contours=False) is ax
    fig.canvas.draw()
    ticks = {t.get_position()[0]: t.get_text() for t in ax.get_xticklabels()}
    assert ticks[0.0] == "1"
    assert not any(
        isinstance(p, matplotlib.patches.Patch) and p.get_label() == "p > 0.1"
        for p in ax.get_legend().get_patches()
    )
    plt.close(fig)


def _thirdwave_csv(shared_data, tmp_path, rows=None):
    import pandas as pd

    frame = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv").iloc[:rows]
    path = tmp_path / "thirdwave.csv"
    frame.rename(columns={"Author": "study", "TE": "yi", "seTE": "sei"})[
        ["study", "yi", "sei"]
    ].to_csv(path, index=False)
    return path


def test_analyze_json_has_the_small_study_section(shared_data, tmp_path):
    import json

    from click.testing import CliRunner

    from metareview.cli import cli

    path = _thirdwave_csv(shared_data, tmp_path)
    out = CliRunner().invoke(
        cli, ["analyze", str(path), "--preset", "meta", "--ci", "knha", "--json"]
    )
    assert out.exit_code == 0, out.output
    section = json.loads(out.output)["small_study"]
    assert section["run"] and section["trim_and_fill"]["k0"] == 8
    assert round(section["egger"]["intercept"], 3) == 4.111


def test_analyze_force_runs_below_the_minimum(shared_data, tmp_path):
    import json

    from click.testing import CliRunner

    from metareview.cli import cli

    path = _thirdwave_csv(shared_data, tmp_path, rows=6)
    runner = CliRunner()
    plain = json.loads(runner.invoke(cli, ["analyze", str(path), "--json"]).output)
    assert plain["small_study"]["run"] is False and plain["small_study"]["egger"] is None
    forced = json.loads(runner.invoke(cli, ["analyze", str(path), "--json", "--force"]).output)
    assert forced["small_study"]["run"] is True
    assert forced["small_study"]["egger"]["df"] == 4
    assert any("forced" in w for w in forced["warnings"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-3, 3), st.floats(1e-4, 4.0)), min_size=3, max_size=14),
    st.sampled_from(list(PRESETS)),
)
def test_forced_analyses_never_crash_and_intervals_hold_their_estimates(studies, preset):
    """Any data a review can hold (tiny and huge variances, k = 3 …) gives either a result or
    a stated reason, never an exception; every CI contains its estimate."""
    yi = np.array([s[0] for s in studies])
    vi = np.array([s[1] for s in studies])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = small_study_effects(yi, vi, preset=preset, force=True)
    doc = res.to_dict()
    if not res.run:
        assert any(why in doc["reason"] for why in ("same standard error", "same effect"))
        return
    # an analysis the data do not allow is null and listed with its reason, never both
    for section in KEYS:
        assert (doc[section] is None) == (section in doc["failed"]), section
    tf, pp = doc["trim_and_fill"], doc["pet_peese"]
    if tf:
        assert tf["ci_lower"] <= tf["estimate"] <= tf["ci_upper"]
        assert 0 <= tf["k0"] <= len(yi) - 1
    if pp:
        assert pp["ci_lower"] <= pp["estimate"] <= pp["ci_upper"]
    for test in ("egger", "begg"):
        assert doc[test] is None or 0 <= doc[test]["pvalue"] <= 1
    assert doc["fail_safe_n"] is None or all(n >= 0 for n in doc["fail_safe_n"].values())


def test_equal_standard_errors_are_reported_not_crashed():
    res = small_study_effects([0.1, 0.4, 0.2, 0.3], [0.02] * 4, force=True)
    assert not res.run and "same standard error" in res.reason


# Q0 is undefined here (2k² − 4Sr + 1/4 < 0): the very precise study at 0 pulls the centre
# below every other effect, so all the ranks but one are positive
Q0_UNDEFINED = ([0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3], [0.0001] + [0.05] * 9)


def test_one_failing_analysis_leaves_the_others_standing():
    yi, vi = Q0_UNDEFINED
    res = small_study_effects(yi, vi, trimfill_estimator="Q0")
    alone = small_study_effects(yi, vi)  # the same data with L0: every analysis runs
    doc = res.to_dict()
    assert res.run and res.reason is None
    assert doc["trim_and_fill"] is None
    assert set(doc["failed"]) == {"trim_and_fill"}
    assert "Q0 estimator is undefined" in doc["failed"]["trim_and_fill"]
    for section in set(KEYS) - {"trim_and_fill"}:
        assert doc[section] == alone.to_dict()[section], section
    assert "Trim-and-fill: not run (the Q0 estimator is undefined" in res.summary()
    assert "Regression test for funnel plot asymmetry" in res.summary()


def test_analyze_cli_lists_the_failed_analysis_and_keeps_the_rest(tmp_path):
    import json

    import pandas as pd
    from click.testing import CliRunner

    from metareview.cli import cli

    yi, vi = Q0_UNDEFINED
    path = tmp_path / "q0.csv"
    pd.DataFrame({"study": list("ABCDEFGHIJ"), "yi": yi, "vi": vi}).to_csv(path, index=False)
    args = ["analyze", str(path), "--trimfill-estimator", "Q0"]
    out = CliRunner().invoke(cli, [*args, "--json"])
    assert out.exit_code == 0, out.output
    section = json.loads(out.output)["small_study"]
    assert section["run"] and section["egger"] is not None and section["begg"] is not None
    assert section["trim_and_fill"] is None and "Q0" in section["failed"]["trim_and_fill"]
    text = CliRunner().invoke(cli, args)
    assert "Trim-and-fill: not run (the Q0 estimator is undefined" in text.output
    assert "Rank correlation" in text.output
