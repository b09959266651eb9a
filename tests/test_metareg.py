"""Meta-regression against R metafor rma(mods=…) and permutest (tests/reference/heterogeneity.R)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metareview.stats.metaregression import design_matrix, metareg
from tests.heterogeneity_reference import assert_close, case_id, cases, dataset
from tests.result_keys import METAREG

MR_CASES = cases("metareg")


def _data(case: dict):
    data = dataset(case["dataset"])
    case["mods"] = [case["mods"]] if isinstance(case["mods"], str) else case["mods"]
    complete = np.ones(len(data["yi"]), dtype=bool)
    for mod in case["mods"]:
        column = data[mod]
        if column.dtype != object:
            complete &= ~np.isnan(column)
    mods = {m: list(data[m][complete]) for m in case["mods"]}
    return data["yi"][complete], data["vi"][complete], mods


def _fit(case: dict, **kwargs):
    yi, vi, mods = _data(case)
    return metareg(
        yi,
        vi,
        mods,
        method=case["method"],
        ci_method=case["test"],
        categorical=case["categorical"],
        **kwargs,
    )


@pytest.mark.parametrize("case", MR_CASES, ids=[case_id(c) for c in MR_CASES])
def test_matches_metafor_rma_with_mods(case):
    res = _fit(case)
    ref = case["coefficients"]
    assert res.k == case["k"]
    assert len(res.coefficients) == len(ref["name"])
    for key in ("estimate", "se", "statistic", "pvalue", "ci_lower", "ci_upper"):
        assert_close([getattr(c, key) for c in res.coefficients], ref[key], what=key)
    assert_close(res.tau2, case["tau2"], atol=1e-10, what="tau2")
    assert_close(res.qm, case["qm"], what="QM")
    assert res.qm_df == case["qm_df"]
    assert res.qm_df2 == case["qm_df2"]
    assert_close(res.qm_pvalue, case["qm_pvalue"], what="QM p")
    assert_close(res.qe, case["qe"], what="QE")
    assert_close(res.qe_pvalue, case["qe_pvalue"], what="QE p")
    assert_close(res.i2, case["i2"], atol=1e-8, what="I2")
    assert_close(res.h2, case["h2"], what="H2")
    assert_close(res.r2, case["r2"], atol=1e-8, what="R2")


PERM_CASES = cases("permutest")


@pytest.mark.parametrize("case", PERM_CASES, ids=[case_id(c) for c in PERM_CASES])
def test_permutation_p_within_monte_carlo_error(case):
    """Both p values are Monte-Carlo estimates (metafor 2000 and ours 1000 permutations):
    their difference must lie within 4 standard errors of the difference."""
    yi, vi, mods = _data({**case, "categorical": []})
    iterations = 1000
    res = metareg(
        yi, vi, mods, method="REML", ci_method=case["test"], permutations=iterations, seed=11
    )
    ours = [res.permutation.qm_pvalue, *res.permutation.pvalues]
    theirs = [case["qm_pvalue"], *case["pvalues"]]
    for got, want in zip(ours, theirs):
        p = min(max(want, 1 / case["iter"]), 0.5)
        tolerance = 4 * math.sqrt(p * (1 - p) * (1 / iterations + 1 / case["iter"])) * 2
        assert abs(got - want) <= tolerance, (got, want, tolerance)


def test_exact_permutation_test_matches_metafor():
    case = cases("permutest_exact")
    data = dataset(case["dataset"])
    rows = np.array(case["rows"]) - 1
    res = metareg(
        data["yi"][rows],
        data["vi"][rows],
        {"weeks": data["weeks"][rows]},
        method=case["method"],
        exact=True,
    )
    assert res.permutation.iterations == 5040
    assert_close(res.permutation.qm_pvalue, case["qm_pvalue"], rtol=1e-12)
    assert_close(res.permutation.pvalues, case["pvalues"], rtol=1e-12)


def test_permutations_are_reproducible_with_a_seed():
    yi, vi, mods = _data(MR_CASES[0])
    first = metareg(yi, vi, mods, permutations=200, seed=5).permutation
    again = metareg(yi, vi, mods, permutations=200, seed=5).permutation
    other = metareg(yi, vi, mods, permutations=200, seed=6).permutation
    assert first == again
    assert first.pvalues != other.pvalues
    assert 1 / 200 <= first.qm_pvalue <= 1


def test_design_matrix_codes_categories_against_the_first_level():
    design = design_matrix({"x": [1.5, 2, 3], "g": ["b", "a", "c"]})
    assert design.names == ("intercept", "x", "g[b]", "g[c]")
    assert design.X[:, 2].tolist() == [1, 0, 0]
    coded = design_matrix({"q": [1, 2, 2]}, categorical=["q"])
    assert coded.names == ("intercept", "q[2]")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "reml2"}, "method must be one of"),
        ({"ci_method": "hk"}, "ci_method must be one of z, knha, adhoc"),
        ({"level": 95}, "level must be between 0 and 1"),
    ],
)
def test_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        metareg([0.1, 0.2, 0.4, 0.3], [0.01] * 4, {"x": [1, 2, 3, 4]}, **kwargs)


def test_too_few_studies_and_single_level():
    with pytest.raises(ValueError, match="needs more than 2 studies"):
        metareg([0.1, 0.2], [0.01, 0.02], {"x": [1, 2]})
    with pytest.raises(ValueError, match="single level"):
        metareg([0.1, 0.2, 0.3], [0.01] * 3, {"g": ["a", "a", "a"]})


def test_fixed_effects_model_has_no_residual_tau2():
    yi, vi, mods = _data(MR_CASES[0])
    res = metareg(yi, vi, mods, method="FE")
    assert res.tau2 == 0.0
    assert "fixed-effects" in res.summary()
    assert set(res.to_dict()) >= METAREG
