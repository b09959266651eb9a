"""Issue 14, items 13-15: ranktest, trim-and-fill after Hartung-Knapp and the selection model
against metafor 3.8-1 (tests/reference/trust_stats.R), and what the other presets do."""

from __future__ import annotations

import numpy as np
import pytest

from metareview.stats.bias.begg import rank_correlation_test
from metareview.stats.bias.selection import selection_model
from metareview.stats.bias.small_study import small_study_effects
from metareview.stats.bias.trimfill import trim_and_fill
from tests.trust_stats_reference import REFERENCE

REL = 1e-6


def _linde2005() -> tuple[list[float], list[float]]:
    """linde2005's log risk ratios without the studies metafor leaves out (no events: NA)."""
    data = REFERENCE["trimfill"]
    kept = [(y, v) for y, v in zip(data["yi"], data["vi"]) if y is not None]
    return [y for y, _ in kept], [v for _, v in kept]


def test_ranktest_is_exact_for_k_of_50_and_more_under_metafor():
    """landenberger2005 (k = 58, no ties): metafor's cor.test(exact = TRUE) gives p = 0.0024080;
    the normal approximation gave 0.0025963."""
    ref = REFERENCE["ranktest"]
    res = rank_correlation_test(ref["yi"], ref["vi"], preset="metafor")
    assert len(ref["yi"]) == 58
    assert res.exact
    assert res.tau == pytest.approx(ref["tau"], rel=REL)
    assert res.pvalue == pytest.approx(ref["pvalue"], rel=REL)
    small = small_study_effects(ref["yi"], ref["vi"], preset="metafor")
    assert small.begg.pvalue == pytest.approx(ref["pvalue"], rel=REL)


def test_ranktest_other_presets_keep_cor_test_default():
    """Presets that are not metafor keep R cor.test's default: exact below 50 studies only."""
    ref = REFERENCE["ranktest"]
    res = rank_correlation_test(ref["yi"], ref["vi"], preset="meta")
    assert not res.exact
    assert res.pvalue == pytest.approx(0.0025963, abs=5e-8)


def test_ranktest_with_ties_uses_the_normal_approximation_under_metafor():
    res = rank_correlation_test([0.1, 0.4, 0.2, 0.5], [0.01, 0.02, 0.02, 0.04], preset="metafor")
    assert not res.exact


@pytest.mark.parametrize("method", ["DL", "REML"])
def test_trimfill_after_knha_refits_with_z_under_metafor(method):
    """linde2005 RR: metafor's trimfill refits the filled data with a z test (DL SE 0.10819,
    not the Hartung-Knapp 0.14841)."""
    ref = REFERENCE["trimfill"]["fits"][method]
    res = trim_and_fill(*_linde2005(), method=method, ci_method="knha", preset="metafor")
    assert res.k0 == ref["k0"] and res.side == ref["side"]
    assert res.ci_method == "z" and res.df is None
    for ours, key in (
        (res.estimate, "estimate"),
        (res.se, "se"),
        (res.ci_lower, "ci_lower"),
        (res.ci_upper, "ci_upper"),
        (res.pvalue, "pvalue"),
        (res.tau2, "tau2"),
    ):
        assert ours == pytest.approx(ref[key], rel=REL), key


@pytest.mark.parametrize("preset", ["meta", "metapsy"])
def test_trimfill_after_knha_keeps_hartung_knapp_under_meta(preset):
    """R meta's trimfill() passes the Hartung-Knapp setting of the meta-analysis on to the
    filled data (docs/small-study-effects.md): the CI stays t-based."""
    res = trim_and_fill(*_linde2005(), method="DL", ci_method="knha", preset=preset)
    assert res.ci_method == "knha" and res.df == res.k + res.k0 - 1


def test_selection_model_bounds_delta_at_100_as_metafor():
    """lopez2019 (sign reversed), alternative "less", cut-points 0.001, 0.025, 0.5: the
    likelihood keeps rising with the last δ (109 unbounded); metafor's delta.max = 100 stops
    it there, and so does metareview, giving no SE for the δ at its bound."""
    data, ref = REFERENCE["selmodel"], REFERENCE["selmodel"]["at_bound"]
    res = selection_model(data["yi"], data["vi"], ref["steps"], alternative=data["alternative"])
    # the likelihood is flat in the δs: 1e-4 as the other selection-model tests, while the
    # log-likelihood shows that metareview's maximum is at least as high as metafor's
    assert res.delta == pytest.approx(ref["delta"], rel=1e-4)
    assert res.loglik >= ref["loglik"] - 1e-9
    assert res.estimate == pytest.approx(ref["estimate"], rel=1e-5)
    assert res.tau2 == pytest.approx(ref["tau2"], rel=1e-5)
    assert res.loglik == pytest.approx(ref["loglik"], rel=1e-8)
    assert res.lrt == pytest.approx(ref["lrt"], rel=1e-5)
    assert res.converged
    assert res.delta_at_bound == (False, False, False, True) and res.se_delta[3] is None
    assert any("delta" in w and "bound" in w for w in res.warnings)


def test_selection_model_finds_the_interior_maximum_metafor_bfgs_misses():
    """With one cut-point (0.025) metafor's default optimiser (BFGS) stops at δ = 100 with
    log-likelihood -290.397; nlminb finds the maximum inside, at δ = 43.36 (-289.621).
    metareview reports that maximum (a documented departure from metafor's default)."""
    data = REFERENCE["selmodel"]
    ref, bfgs = data["interior_nlminb"], data["interior_default"]
    res = selection_model(data["yi"], data["vi"], [ref["steps"]], alternative="less")
    assert bfgs["delta"][1] == pytest.approx(100, rel=1e-6)
    assert res.loglik > bfgs["loglik"] + 0.5
    assert res.loglik == pytest.approx(ref["loglik"], rel=1e-8)
    assert res.delta[1] == pytest.approx(ref["delta"][1], rel=1e-3)
    assert res.estimate == pytest.approx(ref["estimate"], rel=1e-3)
    assert res.delta_at_bound == (False, False) and not res.warnings


@pytest.mark.parametrize("case", REFERENCE["selmodel_empty"]["cases"])
def test_selection_model_refuses_empty_intervals_as_metafor(case):
    """metafor 3.8-1 stops with "One or more intervals do not contain any observed p-values"
    whether the empty interval is the first, a middle or the last one; so does metareview."""
    data = REFERENCE["selmodel_empty"]
    assert case["error"] and "do not contain any observed p-values" in case["message"]
    with pytest.raises(ValueError, match="no study's one-sided p-value lies in"):
        selection_model(data["yi"], data["vi"], list(np.atleast_1d(case["steps"])))
