"""Begg & Mazumdar's (1994) rank correlation test for funnel-plot asymmetry.

Each effect is standardised against the common-effect estimate ``θ̂`` (with variance
``v̂ = 1/Σwᵢ``): ``yᵢ* = (yᵢ − θ̂)/√(vᵢ − v̂)``; Kendall's τ between ``yᵢ*`` and ``vᵢ`` is
then tested against zero. As in metafor's ``ranktest()`` (which calls R's ``cor.test``) the
p-value is exact for fewer than 50 studies without ties and otherwise uses the normal
approximation with Kendall's (1970) variance corrected for ties (τ is then τ-b).

>>> res = rank_correlation_test([0.71, 0.35, 1.79, 0.18, 0.42, 0.60], [0.068, 0.039, 0.119,
...                              0.014, 0.030, 0.060])
>>> round(res.tau, 4), round(res.pvalue, 4), res.exact
(0.8667, 0.0167, True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from metareview.errors import NotEstimableError
from metareview.stats.tau2 import check_inputs
from metareview.stats.wls import LinearModel

EXACT_MAX_K = 50


@dataclass(frozen=True)
class RankCorrelationTest:
    """Kendall's τ between standardised effects and their variances, with its p-value."""

    k: int
    tau: float
    pvalue: float
    exact: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        kind = "exact" if self.exact else "normal approximation"
        return (
            f"Rank correlation test for funnel plot asymmetry (Begg & Mazumdar, k = {self.k}): "
            f"Kendall's tau = {self.tau:.4f}, p = {self.pvalue:.4g} ({kind})"
        )

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>"


def rank_correlation_test(yi: object, vi: object) -> RankCorrelationTest:
    """Begg & Mazumdar's rank correlation test.

    Parameters
    ----------
    yi, vi : array-like
        Effects and sampling variances (at least 3 studies).

    Examples
    --------
    >>> rank_correlation_test([0.1, 0.2, 0.3], [0.01, 0.02, 0.03]).tau
    1.0
    """
    y, v = check_inputs(yi, vi)
    k = int(y.size)
    if k < 3:
        raise NotEstimableError(f"the rank correlation test needs at least 3 studies; got {k}")
    fixed = LinearModel(y, v).fixed
    theta, theta_var = float(fixed.beta[0]), float(fixed.vb[0, 0])
    standardised = (y - theta) / np.sqrt(v - theta_var)
    if np.ptp(standardised) == 0 or np.ptp(v) == 0:
        raise NotEstimableError(
            "the rank correlation is undefined when all effects or variances agree"
        )
    ties = np.unique(standardised).size < k or np.unique(v).size < k
    exact = k < EXACT_MAX_K and not ties
    result = stats.kendalltau(standardised, v, method="exact" if exact else "asymptotic")
    return RankCorrelationTest(
        k=k, tau=float(result.statistic), pvalue=float(result.pvalue), exact=exact
    )
