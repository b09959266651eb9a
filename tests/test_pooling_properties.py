"""Properties of pooling that hold for any data (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metareview.stats.pooling import pool
from metareview.stats.tau2 import TAU2_METHODS

effects = st.floats(-3, 3, allow_nan=False, allow_subnormal=False)
variances = st.floats(1e-3, 2.0, allow_nan=False)


@st.composite
def meta_analyses(draw, min_k=2, max_k=15):
    k = draw(st.integers(min_k, max_k))
    yi = draw(st.lists(effects, min_size=k, max_size=k))
    vi = draw(st.lists(variances, min_size=k, max_size=k))
    return np.array(yi), np.array(vi)


methods = st.sampled_from(TAU2_METHODS)
cis = st.sampled_from(["z", "knha", "adhoc"])


@settings(max_examples=40, deadline=None)
@given(meta_analyses(), methods, cis)
def test_estimate_inside_its_intervals(data, method, ci):
    res = pool(*data, method=method, ci_method=ci)
    assert res.converged and res.tau2 >= 0
    assert res.random.ci_lower <= res.random.estimate <= res.random.ci_upper
    assert res.fixed.ci_lower <= res.fixed.estimate <= res.fixed.ci_upper
    if res.tau2_ci is not None:
        lower, upper = res.tau2_ci
        assert lower <= upper
    if res.random.pi_lower is not None:
        assert res.random.pi_lower <= res.random.ci_lower + 1e-12
        assert res.random.pi_upper >= res.random.ci_upper - 1e-12


@settings(max_examples=40, deadline=None)
@given(meta_analyses(), methods, st.randoms(use_true_random=False))
def test_invariant_to_study_order(data, method, rnd):
    yi, vi = data
    order = list(range(yi.size))
    rnd.shuffle(order)
    a = pool(yi, vi, method=method)
    b = pool(yi[order], vi[order], method=method)
    assert b.tau2 == pytest.approx(a.tau2, rel=1e-7, abs=1e-10)
    assert b.random.estimate == pytest.approx(a.random.estimate, rel=1e-7, abs=1e-10)
    assert b.q == pytest.approx(a.q, rel=1e-9, abs=1e-10)
    assert np.array(b.weights) == pytest.approx(np.array(a.weights)[order], rel=1e-6, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(meta_analyses(), methods, st.floats(-5, 5, allow_nan=False), cis)
def test_equivariant_to_shifting_all_effects(data, method, shift, ci):
    yi, vi = data
    a = pool(yi, vi, method=method, ci_method=ci)
    b = pool(yi + shift, vi, method=method, ci_method=ci)
    assert b.tau2 == pytest.approx(a.tau2, rel=1e-6, abs=1e-9)
    assert b.random.estimate == pytest.approx(a.random.estimate + shift, rel=1e-7, abs=1e-7)
    assert b.random.se == pytest.approx(a.random.se, rel=1e-6, abs=1e-9)
    assert b.i2 == pytest.approx(a.i2, rel=1e-6, abs=1e-7)


@settings(max_examples=40, deadline=None)
@given(meta_analyses(), st.sampled_from(["DL", "REML", "ML", "PM", "EB", "HE", "HS"]))
def test_fixed_equals_random_when_tau2_is_zero(data, method):
    yi, vi = data
    # studies scattered much less than their standard errors: τ² = 0 for these estimators
    homogeneous = yi.mean() + (yi - yi.mean()) * 1e-3 * np.sqrt(vi.min())
    res = pool(homogeneous, vi, method=method)
    assert res.tau2 == 0.0
    assert res.random.estimate == pytest.approx(res.fixed.estimate, rel=1e-12, abs=1e-15)
    assert res.random.se == pytest.approx(res.fixed.se, rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(meta_analyses(), st.sampled_from(["REML", "ML", "PM", "DL"]), st.floats(1e-4, 1e4))
def test_scale_equivariance_and_extreme_variances(data, method, scale):
    yi, vi = data
    a = pool(yi, vi, method=method)
    b = pool(yi * scale, vi * scale**2, method=method)
    assert b.tau2 == pytest.approx(a.tau2 * scale**2, rel=1e-6, abs=1e-9 * scale**2)
    assert b.random.estimate == pytest.approx(a.random.estimate * scale, rel=1e-6, abs=1e-9 * scale)
