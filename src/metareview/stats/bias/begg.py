"""Begg & Mazumdar's (1994) rank correlation test for funnel-plot asymmetry.

Each effect is standardised against the common-effect estimate ``θ̂`` (with variance
``v̂ = 1/Σwᵢ``): ``yᵢ* = (yᵢ − θ̂)/√(vᵢ − v̂)``; Kendall's τ between ``yᵢ*`` and ``vᵢ`` is
then tested against zero. Without ties the p-value is Kendall's exact one: metafor's
``ranktest()`` asks R's ``cor.test`` for it at any k (preset field ``ranktest_exact =
"no_ties"``); the other presets keep ``cor.test``'s default, exact below 50 studies only
(``"below_50"``). Otherwise the normal approximation with Kendall's (1970) variance corrected
for ties is used (τ is then τ-b).

>>> res = rank_correlation_test([0.71, 0.35, 1.79, 0.18, 0.42, 0.60], [0.068, 0.039, 0.119,
...                              0.014, 0.030, 0.060])
>>> round(res.tau, 4), round(res.pvalue, 4), res.exact
(0.8667, 0.0167, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy

from metareview.errors import NotEstimableError
from metareview.stats.presets import Preset, get_preset
from metareview.stats.result_base import ResultDocument
from metareview.stats.tau2 import check_inputs
from metareview.stats.vocabulary import check_choice
from metareview.stats.wls import LinearModel


@dataclass(frozen=True)
class RankCorrelationTest(ResultDocument):
    """Kendall's τ between standardised effects and their variances, with its p-value."""

    k: int
    tau: float
    pvalue: float
    exact: bool

    def summary(self) -> str:
        kind = "exact" if self.exact else "normal approximation"
        return (
            f"Rank correlation test for funnel plot asymmetry (Begg & Mazumdar, k = {self.k}): "
            f"Kendall's tau = {self.tau:.4f}, p = {self.pvalue:.4g} ({kind})"
        )

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>"


EXACT_MAX_K = 50  # R cor.test's default limit of the exact p-value
EXACT_RULES = ("no_ties", "below_50")
# R's cor.test computes the exact p-value for at most 1290 observations (normal beyond)
EXACT_FEASIBLE_K = 1291


def rank_correlation_test(
    yi: object, vi: object, *, preset: str | Preset | None = None
) -> RankCorrelationTest:
    """Begg & Mazumdar's rank correlation test.

    Parameters
    ----------
    yi, vi : array-like
        Effects and sampling variances (at least 3 studies).
    preset : str or Preset, optional
        Decides when the p-value is exact (``ranktest_exact``; default ``metafor``).

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
    rule = check_choice("ranktest_exact", get_preset(preset).ranktest_exact, EXACT_RULES)
    limit = EXACT_MAX_K if rule == "below_50" else EXACT_FEASIBLE_K
    exact = k < limit and not ties
    result = scipy.stats.kendalltau(standardised, v, method="asymptotic")
    tau = float(result.statistic)
    pvalue = kendall_exact_pvalue(k, tau) if exact else float(result.pvalue)
    return RankCorrelationTest(k=k, tau=tau, pvalue=pvalue, exact=exact)


def kendall_exact_pvalue(n: int, tau: float) -> float:
    """Two-sided exact p-value of Kendall's τ between two untied samples of size ``n``.

    Under independence the number of discordant pairs D is distributed as the inversions of a
    random permutation, whose generating function is ``∏ⱼ (1 + x + … + x^(j−1))/j``. Only the
    tail up to the observed ``min(D, N − D)`` is built (N = n(n − 1)/2), one factor at a time
    by a running sum, so the cost is O(n · D) rather than O(n³).

    >>> round(kendall_exact_pvalue(6, 13 / 15), 6)
    0.016667
    """
    pairs = n * (n - 1) // 2
    discordant = round(pairs * (1.0 - tau) / 2.0)
    tail = min(discordant, pairs - discordant)
    probs = np.ones(1)
    for j in range(2, n + 1):
        size = min(probs.size + j - 1, tail + 1)
        running = np.concatenate([[0.0], np.cumsum(probs)])
        top = np.minimum(np.arange(1, size + 1), probs.size)
        bottom = np.maximum(np.arange(size) - j + 1, 0)
        probs = (running[top] - running[bottom]) / j
    return float(min(1.0, 2.0 * probs[: tail + 1].sum()))
