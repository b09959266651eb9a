"""Trim-and-fill against metafor 3.8-1 ``trimfill`` and the ThirdWave results of the book.

Fixture entries: trimmed and pooled with FE, REML or DL (metafor: the model it is called on);
and meta's convention, trimmed with FE and the augmented data pooled by REML (z and
Hartung–Knapp). k0 and side are metafor's; the reference fill is recomputed from them with
fits iterated to convergence, because metafor's own trimmed REML fits ignore ``control`` and
stop at its default threshold — its raw results are checked at 1e-4.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metareview.stats.bias.trimfill import trim_and_fill
from tests.bias_reference import as_list, bias_data, cases

REL = 1e-6
CASES = [
    pytest.param(
        name,
        ref,
        id=f"{name}-{ref['trim_method']}-{ref.get('fill_method', ref['trim_method'])}-"
        f"{ref['estimator']}-{ref['side_given']}-{ref['test']}",
    )
    for name, _, ref in cases("trimfill")
]


def run(name, ref, shared_data):
    yi, vi, _ = bias_data(name, shared_data)
    return trim_and_fill(
        yi,
        vi,
        estimator=ref["estimator"],
        side=None if ref["side_given"] == "auto" else ref["side_given"],
        trim_method=ref["trim_method"],
        method=ref.get("fill_method", ref["trim_method"]),
        ci_method=ref["test"],
        # the entries with a fill_method are meta's convention (common-effect trimming, REML
        # fill, z or Hartung-Knapp): under metafor the filled data are refitted with z
        preset="meta" if "fill_method" in ref else "metafor",
    )


@pytest.mark.parametrize(("name", "ref"), CASES)
def test_trimfill_matches_metafor(name, ref, shared_data):
    if ref.get("error"):
        with pytest.raises(ValueError, match="Q0 estimator is undefined"):
            run(name, ref, shared_data)
        return
    res = run(name, ref, shared_data)
    assert (res.k0, res.side) == (ref["k0"], ref["side"])
    for ours, theirs in ((res.se_k0, ref["se_k0"]), (res.p_k0, ref["p_k0"])):
        assert (ours is None) == (theirs is None)
        if theirs is not None:
            assert ours == pytest.approx(theirs, rel=REL)
    assert sorted(res.filled_yi) == pytest.approx(sorted(as_list(ref["filled_yi"])), rel=REL)
    assert sorted(res.filled_vi) == pytest.approx(sorted(as_list(ref["filled_vi"])), rel=REL)
    for key in ("estimate", "se", "ci_lower", "ci_upper", "pvalue", "statistic"):
        assert getattr(res, key) == pytest.approx(ref[key], rel=REL), key
    assert res.tau2 == pytest.approx(ref["tau2"], rel=REL, abs=1e-12)
    raw = ref.get("metafor")
    if raw is not None:
        for key in ("estimate", "se", "ci_lower", "ci_upper"):
            assert getattr(res, key) == pytest.approx(raw[key], rel=1e-4), key


def test_thirdwave_meta_preset_as_printed_in_doing_meta_analysis_in_r(shared_data):
    """Harrer et al. (2021), "Doing Meta-Analysis in R", ch. 9.2.2.1: ``trimfill(m.gen)`` with
    m.gen = metagen(..., method.tau = "REML", method.random.ci = "HK") adds 8 studies:
    g = 0.3428 [0.1015; 0.5841]."""
    yi, vi, _ = bias_data("thirdwave", shared_data)
    res = trim_and_fill(yi, vi, preset="meta", ci_method="knha")
    assert (res.k0, res.side, res.k + res.k0) == (8, "left", 26)
    assert round(res.estimate, 4) == 0.3428
    assert (round(res.ci_lower, 4), round(res.ci_upper, 4)) == (0.1015, 0.5841)


def test_thirdwave_metafor_preset_fills_nothing(shared_data):
    """The same data trimmed with the analysis model (REML, metafor's default) fill none."""
    yi, vi, _ = bias_data("thirdwave", shared_data)
    res = trim_and_fill(yi, vi, preset="metafor")
    assert res.k0 == 0 and res.trim_method == "REML"
    assert res.estimate == pytest.approx(res.pooled.random.estimate)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["L0", "R0"]))
def test_mirroring_the_data_mirrors_the_fill(seed, estimator):
    """Flipping every effect's sign swaps the sides and negates the filled studies."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(5, 15))
    vi = rng.uniform(0.01, 0.2, k)
    yi = rng.normal(0.3, 0.2, k) + 2 * np.sqrt(vi) * rng.uniform(0, 1, k)
    a = trim_and_fill(yi, vi, estimator=estimator, trim_method="FE", method="FE")
    b = trim_and_fill(-yi, vi, estimator=estimator, trim_method="FE", method="FE")
    assert a.k0 == b.k0
    assert {a.side, b.side} == {"left", "right"}
    assert sorted(a.filled_yi) == pytest.approx(sorted(-np.array(b.filled_yi)))
    assert a.estimate == pytest.approx(-b.estimate)


def test_bad_arguments():
    yi, vi = [0.1, 0.3, 0.2, 0.5], [0.01, 0.02, 0.03, 0.04]
    with pytest.raises(ValueError, match="estimator must be one of L0, R0, Q0"):
        trim_and_fill(yi, vi, estimator="L1")
    with pytest.raises(ValueError, match="side must be one of left, right"):
        trim_and_fill(yi, vi, side="up")
    with pytest.raises(ValueError, match="at least 3 studies"):
        trim_and_fill(yi[:2], vi[:2])
