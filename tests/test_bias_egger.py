"""Regression tests for funnel-plot asymmetry against metafor 3.8-1 ``regtest`` (tier 2)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metareview.stats.bias.egger import regression_test
from tests.bias_reference import bias_data, cases

REL = 1e-6
CASES = [
    pytest.param(
        name, ref, id=f"{name}-{ref['model']}-{ref['method']}-{ref['test']}-{ref['predictor']}"
    )
    for name, _, ref in cases("regtest")
]


@pytest.mark.parametrize(("name", "ref"), CASES)
def test_regtest_matches_metafor(name, ref, shared_data):
    yi, vi, ni = bias_data(name, shared_data)
    res = regression_test(
        yi,
        vi,
        model=ref["model"],
        predictor=ref["predictor"],
        ni=ni,
        method=ref["method"],
        ci_method=ref["test"],
    )
    assert res.statistic == pytest.approx(ref["statistic"], rel=REL)
    assert res.pvalue == pytest.approx(ref["pvalue"], rel=REL)
    assert res.df == ref["df"]
    assert [res.intercept, res.asymmetry] == pytest.approx(ref["coef"], rel=REL)
    assert [res.intercept_se, res.asymmetry_se] == pytest.approx(ref["se"], rel=REL)
    if ref["tau2"] is not None:
        assert res.tau2 == pytest.approx(ref["tau2"], rel=REL, abs=1e-12)
    if ref["limit_estimate"] is None:
        assert res.limit_estimate is None
    else:
        assert [res.limit_estimate, res.limit_ci_lower, res.limit_ci_upper] == pytest.approx(
            [ref["limit_estimate"], ref["limit_ci_lower"], ref["limit_ci_upper"]], rel=REL
        )


def test_thirdwave_egger_as_printed_in_doing_meta_analysis_in_r(shared_data):
    """Harrer et al. (2021), "Doing Meta-Analysis in R", ch. 9.2.1.2: ``metabias(m.gen,
    method.bias = "linreg")`` on ThirdWave prints bias (intercept) 4.1111, SE 0.8790,
    t = 4.677 with 16 df, p = 0.00025."""
    yi, vi, _ = bias_data("thirdwave", shared_data)
    res = regression_test(yi, vi, model="lm")
    assert round(res.asymmetry, 4) == 4.1111
    assert round(res.asymmetry_se, 4) == 0.8790
    assert res.df == 16
    assert round(res.pvalue, 5) == 0.00025


def test_egger_form_equals_weighted_regression_on_se():
    """Egger's original regression of yi/sei on 1/sei (OLS) has intercept = our slope on sei
    and slope = our intercept (tier 3: independent recomputation)."""
    rng = np.random.default_rng(1)
    sei = rng.uniform(0.1, 0.5, 12)
    yi = 0.3 + 1.5 * sei + rng.normal(0, sei)
    design = np.column_stack([np.ones(12), 1 / sei])
    coef, *_ = np.linalg.lstsq(design, yi / sei, rcond=None)
    res = regression_test(yi, sei**2, model="lm")
    assert res.asymmetry == pytest.approx(coef[0], rel=1e-10)
    assert res.intercept == pytest.approx(coef[1], rel=1e-10)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="predictor must be one of"):
        regression_test([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], predictor="se")
    with pytest.raises(ValueError, match="needs the sample sizes ni"):
        regression_test([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], predictor="ninv")
    with pytest.raises(ValueError, match="at least 3 studies"):
        regression_test([0.1, 0.2], [0.01, 0.02])


@settings(max_examples=50, deadline=None)
@given(st.permutations(list(range(8))))
def test_study_order_does_not_matter(order):
    yi = np.array([0.71, 0.35, 1.79, 0.18, 0.42, 0.60, 0.31, 0.95])
    vi = np.array([0.068, 0.039, 0.119, 0.014, 0.030, 0.060, 0.020, 0.090])
    base = regression_test(yi, vi, model="rma", method="REML")
    res = regression_test(yi[order], vi[order], model="rma", method="REML")
    assert res.statistic == pytest.approx(base.statistic, rel=1e-8)
