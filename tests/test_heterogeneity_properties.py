"""Properties of the heterogeneity tools (hypothesis): identities that must hold on any data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metareview.stats.gosh import gosh
from metareview.stats.metaregression import metareg
from metareview.stats.pooling import pool
from metareview.stats.subgroups import subgroup_analysis

effects = st.lists(st.floats(-2, 2, allow_nan=False), min_size=6, max_size=9)


def _variances(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.01, 0.3, n)


@settings(max_examples=40, deadline=None)
@given(yi=effects, seed=st.integers(0, 10_000))
def test_fixed_effect_q_splits_into_between_and_within(yi, seed):
    """Common-effect model: Q_total = Q_between + Σ Q_within (Borenstein et al. 2009, ch. 19)."""
    y = np.array(yi)
    v = _variances(len(y), seed)
    groups = ["a", "b"] * (len(y) // 2) + ["a"] * (len(y) % 2)
    res = subgroup_analysis(y, v, groups, method="FE", tau_common=False, preset="revman5")
    within = sum(
        pool(y[np.array(groups) == g], v[np.array(groups) == g], method="FE").q for g in "ab"
    )
    assert res.q_between + within == pytest.approx(pool(y, v, method="FE").q, rel=1e-9, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(yi=effects, seed=st.integers(0, 10_000), scale=st.floats(0.1, 10))
def test_metareg_is_scale_equivariant(yi, seed, scale):
    y = np.array(yi)
    v = _variances(len(y), seed)
    x = np.arange(len(y), dtype=float)
    base = metareg(y, v, {"x": x}, method="DL")
    scaled = metareg(scale * y, scale**2 * v, {"x": x}, method="DL")
    assert scaled.coefficients[1].estimate == pytest.approx(
        scale * base.coefficients[1].estimate, rel=1e-8, abs=1e-10
    )
    assert scaled.qm == pytest.approx(base.qm, rel=1e-8, abs=1e-10)
    assert scaled.tau2 == pytest.approx(scale**2 * base.tau2, rel=1e-8, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(yi=effects, seed=st.integers(0, 10_000), method=st.sampled_from(["FE", "DL", "REML"]))
def test_gosh_full_set_equals_pool(yi, seed, method):
    y = np.array(yi)
    v = _variances(len(y), seed)
    res = gosh(y, v, method=method)
    full = pool(y, v, method=method)
    last = int(np.flatnonzero(res.subset_k == len(y))[0])
    assert res.estimate[last] == pytest.approx(full.random.estimate, rel=1e-7, abs=1e-9)
    assert res.tau2[last] == pytest.approx(full.tau2, rel=1e-6, abs=1e-9)
    assert res.q[last] == pytest.approx(full.q, rel=1e-9, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(yi=effects, seed=st.integers(0, 10_000))
def test_gosh_does_not_depend_on_study_order(yi, seed):
    y = np.array(yi)
    v = _variances(len(y), seed)
    order = np.random.default_rng(seed).permutation(len(y))
    a, b = gosh(y, v, method="DL"), gosh(y[order], v[order], method="DL")
    assert np.sort(a.estimate) == pytest.approx(np.sort(b.estimate), rel=1e-9, abs=1e-12)
