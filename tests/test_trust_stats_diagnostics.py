"""Issue 14, items 16-17: GOSH REML reaches pool()'s root; fsn Orwin with a target of the other
sign, collinear and constant moderators, influence with k = 2 (metafor 3.8-1)."""

from __future__ import annotations

import numpy as np
import pytest

from metareview.stats.bias.failsafe import fail_safe_n
from metareview.stats.gosh import gosh
from metareview.stats.influence import INFLUENCE_COLUMNS, influence
from metareview.stats.metaregression import metareg
from metareview.stats.pooling import pool
from tests.trust_stats_reference import REFERENCE

REL = 1e-6


def _michael2013() -> tuple[np.ndarray, np.ndarray]:
    """michael2013's SMDs (metafor escalc from the metadat means, as stored for selmodel)."""
    data = REFERENCE["gosh_reml"]
    return np.asarray(data["yi"]), np.asarray(data["vi"])


def test_gosh_reml_reaches_the_root_pool_reaches():
    """Fisher scoring stopped on a step of 1e-10 while still moving slowly where τ² is small
    (3.7e-5 off on michael2013 subsets). Every subset must match pool() to 1e-9."""
    y, v = _michael2013()
    res = gosh(y, v, method="REML")
    assert res.exhaustive and res.converged.all()
    worst = {"tau2": 0.0, "estimate": 0.0, "i2": 0.0}
    for i, members in enumerate(res.membership):
        if members.sum() < 2:
            continue
        ref = pool(y[members], v[members], method="REML")
        worst["tau2"] = max(worst["tau2"], abs(res.tau2[i] - ref.tau2))
        worst["estimate"] = max(worst["estimate"], abs(res.estimate[i] - ref.random.estimate))
        worst["i2"] = max(worst["i2"], abs(res.i2[i] - ref.i2) / 100)
    assert max(worst.values()) <= 1e-9, worst


@pytest.mark.parametrize("case", REFERENCE["fsn_orwin"]["cases"])
def test_fsn_orwin_flips_a_target_of_the_other_sign(case):
    data = REFERENCE["fsn_orwin"]
    res = fail_safe_n(data["yi"], data["vi"], kind="orwin", target=case["given"])
    assert res.n == case["fsnum"]
    assert res.target == pytest.approx(case["target"], rel=REL)
    assert res.mean_effect == pytest.approx(case["meanes"], rel=REL)
    assert any("sign" in w for w in res.warnings)


@pytest.mark.parametrize(
    ("case", "moderators", "dropped"),
    [
        ("ablat_ablat2", lambda d: {"ablat": d["ablat"], "ablat2": 2 * np.asarray(d["ablat"])},
         "ablat2"),
        ("const", lambda d: {"const": [5.0] * len(d["yi"]), "year": d["year"]}, "const"),
    ],
)  # fmt: skip
def test_redundant_moderators_are_dropped_with_a_warning(case, moderators, dropped):
    data, ref = REFERENCE["collinear"], REFERENCE["collinear"][case]
    res = metareg(data["yi"], data["vi"], moderators(data), method="REML")
    assert [c.name for c in res.coefficients] == ["intercept", *ref["names"][1:]]
    for coef, beta, se in zip(res.coefficients, ref["beta"], ref["se"]):
        assert coef.estimate == pytest.approx(beta, rel=REL)
        assert coef.se == pytest.approx(se, rel=REL)
    assert res.tau2 == pytest.approx(ref["tau2"], rel=REL)
    assert res.qm == pytest.approx(ref["qm"], rel=REL) and res.qm_df == ref["qm_df"]
    assert res.dropped == (dropped,)
    assert any(dropped in w and "redundant" in w for w in res.warnings)
    assert "Redundant predictors dropped" in ref["warnings"]
    assert res.to_dict()["dropped"] == [dropped]


@pytest.mark.parametrize("method", ["REML", "DL", "FE"])
def test_influence_with_two_studies(method):
    data, ref = REFERENCE["influence_k2"], REFERENCE["influence_k2"]["fits"][method]
    res = influence(data["yi"], data["vi"], method=method)
    for column in INFLUENCE_COLUMNS:
        assert getattr(res, column) == pytest.approx(ref[column], rel=REL, abs=1e-12), column
    assert [row[0] for row in res.dfbetas] == pytest.approx(ref["dfbetas"], rel=REL)
    assert list(res.influential) == ref["influential"]


def test_influence_with_one_study_is_refused():
    with pytest.raises(ValueError, match="at least 2 studies"):
        influence([0.1], [0.01])
