"""Tier 4: properties of the effect-size formulas (hypothesis, modest example counts)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from metareview.stats.effects import (
    SMD_VARIANCES,
    hedges_correction,
    mean_difference,
    smd,
    smd_from_d,
    two_by_two,
)

CONVENTIONS = [
    ("exact", "LS"),
    ("exact", "UB"),
    ("approx", "revman5"),
    ("approx", "esc"),
    ("approx_df", "cma"),
]
means = st.floats(-100, 100, allow_nan=False)
sds = st.floats(0.1, 50, allow_nan=False)
sizes = st.integers(2, 500)


@settings(max_examples=60, deadline=None)
@given(means, means, sds, sds, sizes, sizes, st.sampled_from(CONVENTIONS))
def test_swapping_arms_flips_smd_and_md_and_keeps_the_variance(m1, m2, s1, s2, n1, n2, conv):
    g, v = smd(m1, m2, s1, s2, n1, n2, *conv)
    g_swapped, v_swapped = smd(m2, m1, s2, s1, n2, n1, *conv)
    np.testing.assert_allclose(g_swapped, -g, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(v_swapped, v, rtol=1e-12)
    md, vmd = mean_difference(m1, m2, s1, s2, n1, n2)
    md_swapped, vmd_swapped = mean_difference(m2, m1, s2, s1, n2, n1)
    assert md_swapped == -md and np.isclose(vmd_swapped, vmd)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 60),
    st.integers(1, 60),
    st.integers(0, 60),
    st.integers(1, 60),
    st.sampled_from(["OR", "RR", "RD"]),
    st.sampled_from(["constant", "sweeting"]),
)
def test_swapping_arms_flips_binary_effects_and_keeps_the_variance(e1, f1, e2, f2, measure, method):
    result = two_by_two(measure, e1, e1 + f1, e2, e2 + f2, zero_cell_method=method)
    swapped = two_by_two(measure, e2, e2 + f2, e1, e1 + f1, zero_cell_method=method)
    np.testing.assert_allclose(swapped.yi, -result.yi, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(swapped.vi, result.vi, rtol=1e-12)
    assert np.all(np.isfinite(result.yi)) and np.all(result.vi > 0)


@settings(max_examples=60, deadline=None)
@given(
    means,
    means,
    sds,
    sds,
    sizes,
    sizes,
    st.floats(1e-3, 1e3),
    st.floats(-1e3, 1e3),
    st.sampled_from(CONVENTIONS),
)
def test_smd_is_invariant_to_linear_rescaling(m1, m2, s1, s2, n1, n2, scale, shift, conv):
    g, v = smd(m1, m2, s1, s2, n1, n2, *conv)
    g2, v2 = smd(scale * m1 + shift, scale * m2 + shift, scale * s1, scale * s2, n1, n2, *conv)
    np.testing.assert_allclose(g2, g, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(v2, v, rtol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(-3, 3),
    st.sampled_from(["exact", "approx", "approx_df"]),
    st.sampled_from(SMD_VARIANCES),
)
def test_g_tends_to_d_as_n_grows(d, correction, variance):
    previous = None
    for n in (10, 1_000, 1_000_000):
        g, v = smd_from_d(d, n, n, correction, variance)
        gap = abs(float(g) - d)
        assert previous is None or gap <= previous + 1e-15
        previous = gap
        assert v > 0
    assert previous < 1e-5 * max(1.0, abs(d))
    assert 0 < hedges_correction(2 * 10 - 2, correction) < 1
