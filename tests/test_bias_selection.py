"""Step-function selection models against metafor 3.8-1 ``selmodel(type = "stepfun")``.

Tolerance 1e-4 relative: both fits are numerical optimisations of the same likelihood, and
metafor's optimiser stops earlier than ours (our log-likelihood is never lower). Where
metafor's τ² is within 1e-6 of the boundary we find exactly 0, so τ² is compared absolutely.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from metareview.stats.bias.selection import selection_model
from metareview.stats.pooling import pool
from tests.bias_reference import bias_data, cases

REL = 1e-4
CASES = [
    pytest.param(
        name,
        ref,
        id=f"{name}-{ref['method']}-{ref['alternative']}-{'-'.join(map(str, ref['steps']))}",
    )
    for name, _, ref in cases("selmodel")
]


@pytest.mark.parametrize(("name", "ref"), CASES)
def test_selmodel_matches_metafor(name, ref, shared_data):
    yi, vi, _ = bias_data(name, shared_data)
    res = selection_model(
        yi, vi, ref["steps"][:-1], method=ref["method"], alternative=ref["alternative"]
    )
    assert res.converged
    assert list(res.k_per_interval) == ref["ptable_k"]
    # where metafor's τ² sits within 1e-6 of the boundary its optimiser stops up to 1e-4 short
    # in log-likelihood; the flat directions (δ, p-values) then agree to 5e-4
    boundary = ref["method"] == "ML" and ref["tau2"] < 1e-6
    flat = 5 * REL if boundary else REL
    # an estimate near 0 is compared on the scale of its standard error
    assert res.estimate == pytest.approx(ref["estimate"], rel=REL, abs=REL * ref["se"])
    assert res.se == pytest.approx(ref["se"], rel=REL)
    assert res.tau2 == pytest.approx(ref["tau2"], rel=REL, abs=1e-6)
    assert list(res.delta) == pytest.approx(ref["delta"], rel=flat)
    assert list(res.se_delta[1:]) == pytest.approx(ref["se_delta"][1:], rel=flat)
    assert res.lrt == pytest.approx(ref["lrt"], rel=REL)
    assert res.lrt_df == ref["lrt_df"]
    assert res.lrt_pvalue == pytest.approx(ref["lrt_pvalue"], rel=flat)
    assert res.loglik >= ref["loglik"] - 1e-9


def test_null_model_is_the_ml_random_effects_model():
    """The model without selection (all δ = 1) is the ML random-effects model: its maximised
    log-likelihood equals Σ log N(yᵢ; μ̂, vᵢ + τ̂²) at the ML estimates of pool() (tier 3)."""
    yi = np.array([0.71, 0.35, 1.79, 0.18, 0.42, 0.60, 0.31, 0.95, 0.22, 1.20])
    vi = np.array([0.068, 0.039, 0.119, 0.014, 0.030, 0.060, 0.020, 0.090, 0.010, 0.150])
    ml = pool(yi, vi, method="ML")
    expected = float(np.sum(stats.norm.logpdf(yi, ml.random.estimate, np.sqrt(vi + ml.tau2))))
    res = selection_model(yi, vi, [0.025])
    assert res.loglik_null == pytest.approx(expected, rel=1e-9)
    assert res.loglik >= res.loglik_null


def test_bad_steps_and_empty_intervals():
    with pytest.raises(ValueError, match="steps must be cut-points"):
        selection_model([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], [1.5])
    with pytest.raises(ValueError, match="alternative must be one of"):
        selection_model([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], [0.05], alternative="up")
    with pytest.raises(ValueError, match="increasing"):
        selection_model([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], [0.5, 0.025])


def test_an_interval_without_studies_is_an_error_naming_it():
    """metafor's selmodel documents "There must be at least one observed p-value within each
    interval to fit this model. If this is not the case, an error will be issued"."""
    yi = [0.9, 0.8, 1.0, 0.85, 0.95, 0.7]  # one-sided p between 4e-9 and 3e-4
    vi = [0.04, 0.05, 0.03, 0.04, 0.05, 0.04]
    with pytest.raises(
        ValueError,
        match=r"lies in 0.025 < p <= 0.5, 0.5 < p <= 1 \(studies per interval: 6, 0, 0\)",
    ):
        selection_model(yi, vi, [0.025, 0.5])
    with pytest.raises(ValueError, match=r"lies in 0 < p <= 1e-12 \(studies per interval: 0, 6\)"):
        selection_model(yi, vi, [1e-12])
    assert selection_model(yi, vi, [0.0001]).k_per_interval == (4, 2)
