"""GOSH against R metafor gosh() (all subsets; tests/reference/heterogeneity.R) and properties."""

from __future__ import annotations

import numpy as np
import pytest

from metareview.stats.gosh import (
    all_subsets,
    bitmask_to_membership,
    fit_subsets,
    gosh,
    membership_to_bitmask,
    random_subsets,
)
from tests.heterogeneity_reference import assert_close, case_id, cases, dataset

GOSH_CASES = cases("gosh")


@pytest.mark.parametrize("case", GOSH_CASES, ids=[case_id(c) for c in GOSH_CASES])
def test_all_subsets_match_metafor(case):
    data = dataset(case["dataset"])
    res = gosh(data["yi"], data["vi"], method=case["method"], studies=data["study"])
    assert res.exhaustive
    assert res.bitmask().tolist() == case["mask"]  # same subsets, in metafor's order
    assert res.subset_k.tolist() == case["k"]
    # τ² estimates at the boundary differ by R's convergence noise (~1e-13), hence atol
    assert_close(res.estimate, case["estimate"], atol=1e-9, what="estimate")
    assert_close(res.tau2, case["tau2"], atol=1e-9, what="tau2")
    assert_close(res.q, case["q"], atol=1e-9, what="Q")
    assert_close(res.i2, case["i2"], atol=1e-6, what="I2 (percent)")
    assert_close(res.h2, case["h2"], atol=1e-9, what="H2")


def test_random_subsets_are_seeded_and_never_empty():
    first = random_subsets(12, 5000, seed=7)
    assert first.any(axis=1).all()
    assert np.array_equal(first, random_subsets(12, 5000, seed=7))
    assert not np.array_equal(first, random_subsets(12, 5000, seed=8))
    # each study is included with probability one half
    assert abs(first.mean() - 0.5) < 0.02


def test_random_subsets_when_all_subsets_exceed_the_limit():
    data = dataset("bcg")
    res = gosh(data["yi"], data["vi"], method="DL", subsets=500, seed=3)
    assert not res.exhaustive and res.n_subsets == 500 and res.seed == 3
    # the fits on random subsets equal fits of the same subsets done one by one
    direct = fit_subsets(data["yi"], data["vi"], res.membership[:20], "DL")
    assert_close(res.estimate[:20], direct["estimate"], rtol=1e-12)


def test_large_k_uses_boolean_membership():
    rng = np.random.default_rng(1)
    k = 70
    yi, vi = rng.normal(size=k), rng.uniform(0.01, 0.1, k)
    res = gosh(yi, vi, method="FE", subsets=50, seed=1)
    assert res.membership.shape == (50, k)
    one = res.membership[0]
    w = 1 / vi[one]
    assert res.estimate[0] == pytest.approx(np.sum(w * yi[one]) / np.sum(w), rel=1e-12)
    with pytest.raises(ValueError, match="63 studies"):
        res.bitmask()


def test_bitmask_round_trip():
    membership = all_subsets(6)
    assert np.array_equal(bitmask_to_membership(membership_to_bitmask(membership), 6), membership)
    assert len(membership) == 63


def test_frame_columns_and_bitmask_column():
    data = dataset("hine1989")
    res = gosh(data["yi"], data["vi"], method="FE", studies=data["study"])
    frame = res.to_frame()
    assert list(frame.columns[:6]) == ["estimate", "tau2", "i2", "h2", "q", "k"]
    assert list(frame.columns[6:]) == list(data["study"])
    masks = res.to_frame(membership="bitmask")["mask"]
    assert masks.tolist() == res.bitmask().tolist()
    assert "GOSH (FE): 63 fits on all subsets of k = 6" in res.summary()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "PM"}, "method must be one of FE, DL, REML"),
        ({"subsets": 0}, "subsets must be a positive integer"),
        ({"studies": ["a"]}, "1 study labels for 3 studies"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gosh([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], **kwargs)


def test_nonpositive_variance_is_rejected():
    with pytest.raises(ValueError, match="vi finite and positive"):
        gosh([0.1, 0.2], [0.01, 0.0])


def test_reml_takes_the_global_maximum_at_the_boundary():
    """metafor gives τ² = 0 on bcg studies 5, 7, 9, 11 where the likelihood has a local
    maximum at τ² ≈ 0.075 below its value at 0 (Fisher scoring from DL stalls there)."""
    data = dataset("bcg")
    subset = np.zeros((1, 13), dtype=bool)
    subset[0, [4, 6, 8, 10]] = True
    out = fit_subsets(data["yi"], data["vi"], subset, "REML")
    assert out["tau2"][0] == 0.0
