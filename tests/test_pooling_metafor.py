"""Agreement with R metafor 3.8-1 (fixture: tests/reference/pooling.R → pooling.json).

Every τ² estimator × {z, knha, adhoc} on eight metadat data sets: ``rma`` (estimate, SE, CI,
test, τ², SE of τ² (``se.tau2``), I², H², Q), ``confint`` (Q-profile CIs of τ², τ, I², H²) and ``predict`` (prediction
interval); meta-regression τ² and its SE with moderators. Tolerance 1e-6 relative (absolute 1e-9 for
values that are 0); the fixture was made with metafor's convergence tightened to 1e-12.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from metareview.stats.pooling import pool
from metareview.stats.tau2 import estimate_tau2
from metareview.stats.tau2_se import METHODS_WITH_SE, tau2_se
from metareview.stats.wls import LinearModel
from tests.conftest import REPO

FIXTURE = json.loads((REPO / "tests" / "reference" / "pooling.json").read_text())
REL, ABS = 1e-6, 1e-9


def close(actual, expected, rel=REL):
    return actual == pytest.approx(expected, rel=rel, abs=ABS)


def case_id(case):
    return f"{case['dataset']}-{case['method']}-{case['test']}"


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=case_id)
def test_rma_confint_predict(case):
    data = FIXTURE["data"][case["dataset"]]
    expected = case["result"]
    res = pool(data["yi"], data["vi"], method=case["method"], ci_method=case["test"])
    random = res.random
    assert res.converged
    for name in ("estimate", "se", "ci_lower", "ci_upper", "statistic", "pvalue"):
        assert close(getattr(random, name), expected[name]), name
    assert close(res.tau2, expected["tau2"])
    if case["method"] in METHODS_WITH_SE:
        assert close(res.tau2_se, expected["se_tau2"])
    else:  # FE
        assert res.tau2_se is None
    assert close(res.i2, expected["i2"]) and close(res.h2, expected["h2"])
    assert close(res.q, expected["q"]) and close(res.q_pvalue, expected["q_pvalue"])
    if case["method"] == "FE":
        assert random.pi_lower is None and res.tau2_ci is None
        return
    assert close(random.pi_lower, expected["pi_lower"])
    assert close(random.pi_upper, expected["pi_upper"])
    for name in ("tau2_ci", "tau_ci", "i2_ci", "h2_ci"):
        assert close(list(getattr(res, name)), expected[name]), name


@pytest.mark.parametrize(
    "case",
    FIXTURE["regressions"],
    ids=lambda c: f"{c['dataset']}-{'+'.join(c['mods'])}-{c['method']}",
)
def test_tau2_with_moderators(case):
    data = FIXTURE["data"][case["dataset"]]
    fit = estimate_tau2(data["yi"], data["vi"], case["method"], X=np.array(case["X"]))
    assert fit.converged
    assert close(fit.tau2, case["tau2"])
    if case["method"] in METHODS_WITH_SE:
        model = LinearModel(np.array(data["yi"]), np.array(data["vi"]), np.array(case["X"]))
        assert close(tau2_se(model, case["method"], fit.tau2), case["se_tau2"])


@pytest.mark.parametrize("case", FIXTURE["bimodal"], ids=["k6", "k3"])
def test_interior_maximum_beyond_a_negative_score_at_zero(case):
    """The ML score is < 0 at τ² = 0 but the likelihood rises again to a higher interior
    maximum (metafor finds it); estimate_tau2, pool and pool_many must all return it."""
    import pandas as pd

    from metareview.stats.batch import pool_many
    from metareview.stats.tau2 import log_likelihood
    from metareview.stats.wls import LinearModel

    yi, vi = case["yi"], case["vi"]
    model = LinearModel(np.array(yi), np.array(vi))
    assert model.fixed.ypy2 - model.fixed.sum_w < 0  # the boundary is a local maximum
    fit = estimate_tau2(yi, vi, "ML")
    assert close(fit.tau2, case["tau2"])
    assert log_likelihood(model.at(fit.tau2), "ML") > log_likelihood(model.fixed, "ML")
    assert close(pool(yi, vi, method="ML").random.estimate, case["estimate"])
    frame = pd.DataFrame({"g": 1, "yi": yi, "vi": vi})
    assert close(pool_many(frame, by="g", method="ML").loc[1, "tau2"], case["tau2"])
