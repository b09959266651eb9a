"""Leave-one-out and outliers: against R metafor leave1out() and by the dmetar rule."""

from __future__ import annotations

import numpy as np
import pytest

from metareview.stats.leave_one_out import leave_one_out
from metareview.stats.outliers import find_outliers
from metareview.stats.pooling import pool
from tests.heterogeneity_reference import assert_close, case_id, cases, dataset
from tests.result_keys import LEAVE_ONE_OUT_ROW

LOO_CASES = cases("leave1out")


@pytest.mark.parametrize("case", LOO_CASES, ids=[case_id(c) for c in LOO_CASES])
def test_matches_metafor_leave1out(case):
    data = dataset(case["dataset"])
    res = leave_one_out(
        data["yi"],
        data["vi"],
        method=case["method"],
        ci_method=case["test"],
        preset="metafor",
        studies=data["study"],
    )
    assert [r.omitted for r in res.rows] == list(data["study"])
    for key in ("estimate", "se", "ci_lower", "ci_upper", "pvalue", "q"):
        assert_close([getattr(r, key) for r in res.rows], case[key], what=key)
    if case["method"] == "FE":  # metafor reports no tau2 for the common-effect model
        assert all(r.tau2 == 0.0 for r in res.rows)
    else:
        assert_close([r.tau2 for r in res.rows], case["tau2"], atol=1e-10, what="tau2")
    assert_close([r.i2 for r in res.rows], case["i2"], atol=1e-8, what="I2")


def test_leave_one_out_rows_have_the_json_keys():
    res = leave_one_out([0.1, 0.3, 0.35], [0.02, 0.03, 0.02], method="DL")
    assert list(res.to_dict()[0]) == LEAVE_ONE_OUT_ROW
    assert "without Study 1" in res.summary()
    with pytest.raises(ValueError, match="at least 2 studies"):
        leave_one_out([0.1], [0.01])


def test_outliers_are_studies_whose_ci_misses_the_pooled_ci():
    yi = np.array([0.1, 0.3, 0.35, 0.25, 1.6, -0.9])
    vi = np.array([0.01, 0.02, 0.01, 0.02, 0.02, 0.01])
    full = pool(yi, vi, method="DL")
    res = find_outliers(yi, vi, method="DL", studies=list("ABCDEF"))
    # recompute the rule by hand
    lo, hi = yi - 1.959963984540054 * np.sqrt(vi), yi + 1.959963984540054 * np.sqrt(vi)
    expected = [
        s
        for s, a, b in zip("ABCDEF", lo, hi)
        if b < full.random.ci_lower or a > full.random.ci_upper
    ]
    assert list(res.studies) == expected == ["E", "F"]
    refit = pool(yi[:4], vi[:4], method="DL")
    assert res.refit.random.estimate == pytest.approx(refit.random.estimate, rel=1e-12)
    assert res.to_dict()["random"]["ci_lower"] == pytest.approx(refit.random.ci_lower)
    assert "E, F" in res.summary()


def test_no_outliers_gives_no_refit():
    res = find_outliers([0.1, 0.2, 0.15], [0.05, 0.05, 0.05], method="DL")
    assert res.studies == () and res.refit is None
    assert res.to_dict() == {"studies": [], "random": None}
