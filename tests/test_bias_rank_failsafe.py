"""Begg's rank correlation test and fail-safe N against metafor 3.8-1 ``ranktest``/``fsn``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metareview.stats.bias.begg import rank_correlation_test
from metareview.stats.bias.failsafe import fail_safe_n
from tests.bias_reference import DATASETS, bias_data

REL = 1e-6


@pytest.mark.parametrize("name", list(DATASETS))
def test_ranktest_matches_metafor(name, shared_data):
    """raudenbush1985 has tied variances: the normal approximation with tie correction."""
    ref = DATASETS[name]["ranktest"]
    yi, vi, _ = bias_data(name, shared_data)
    res = rank_correlation_test(yi, vi)
    assert res.tau == pytest.approx(ref["tau"], rel=REL)
    assert res.pvalue == pytest.approx(ref["pvalue"], rel=REL)
    assert res.exact is (name != "raudenbush1985")


FSN_CASES = {
    "rosenthal": {"kind": "rosenthal"},
    "rosenthal_alpha10": {"kind": "rosenthal", "alpha": 0.10},
    "rosenberg": {"kind": "rosenberg"},
    "orwin": {"kind": "orwin"},
    "orwin_weighted": {"kind": "orwin", "weighted": True},
}


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("case", [*FSN_CASES, "orwin_target"])
def test_fsn_matches_metafor(name, case, shared_data):
    ref = DATASETS[name]["fsn"][case]
    yi, vi, _ = bias_data(name, shared_data)
    kwargs = FSN_CASES.get(case, {"kind": "orwin", "target": ref["target"]})
    res = fail_safe_n(yi, vi, **kwargs)
    assert res.n == ref["fsnum"]
    for ours, theirs in (
        (res.pvalue, ref["pvalue"]),
        (res.mean_effect, ref["meanes"]),
        (res.target, ref["target"]),
    ):
        if theirs is None:
            assert ours is None or case == "rosenberg"
        else:
            assert ours == pytest.approx(theirs, rel=REL)


def test_rosenthal_by_hand():
    """Three studies with z = 2, 2, 2: N = (6/1.6449)² − 3 = 10.3 → 11 (tier 3)."""
    res = fail_safe_n([0.2, 0.4, 0.6], [0.01, 0.04, 0.09])
    assert res.n == math.ceil((6 / 1.6448536269514722) ** 2 - 3)


def test_orwin_is_zero_when_target_is_the_mean_and_errors_on_a_zero_target():
    assert fail_safe_n([0.2, 0.4], [0.01, 0.02], kind="orwin", target=0.3).n == 0
    with pytest.raises(ValueError, match="needs a non-zero target"):
        fail_safe_n([0.2, 0.4], [0.01, 0.02], kind="orwin", target=0.0)
    with pytest.raises(ValueError, match="kind must be one of"):
        fail_safe_n([0.2, 0.4], [0.01, 0.02], kind="orwinn")


def test_rank_test_is_invariant_to_a_location_shift():
    yi = np.array([0.71, 0.35, 1.79, 0.18, 0.42, 0.60, 0.31, 0.95])
    vi = np.array([0.068, 0.039, 0.119, 0.014, 0.030, 0.060, 0.020, 0.090])
    a, b = rank_correlation_test(yi, vi), rank_correlation_test(yi + 3.0, vi)
    assert (a.tau, a.pvalue) == pytest.approx((b.tau, b.pvalue))
