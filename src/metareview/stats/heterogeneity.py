"""Heterogeneity statistics and their confidence intervals.

- I² and H² from τ² (Higgins & Thompson 2002, with the typical within-study variance
  ``s² = (k − p)/tr(P)``; metafor) or from Q (``(Q − df)/Q``; meta, RevMan, CMA).
- Q-profile CI for τ² (Viechtbauer 2007): the τ² values at which the generalised Q statistic
  equals the χ²(k − p) quantiles; CIs for τ, I² and H² follow by transforming its bounds.
- Test-based CI for ln H (Higgins & Thompson 2002, eqs. 12–13), giving CIs for H² and I².
- Jackson's (2013) CI for τ² (:mod:`metareview.stats.jackson`); ``jackson_dl`` uses it for the
  DerSimonian–Laird estimator and the Q-profile otherwise (R meta's default).

>>> import numpy as np
>>> from metareview.stats.wls import LinearModel
>>> model = LinearModel(np.array([0.1, 0.5, 0.9, 0.2]), np.array([0.02, 0.03, 0.02, 0.05]))
>>> lower, upper = qprofile_tau2_ci(model, level=0.95)
>>> round(lower, 4), round(upper, 4)
(0.0187, 1.7717)
>>> [round(b, 2) for b in test_based_i2_ci(q=10.5, k=8, level=0.95)]
[0.0, 70.44]
"""

from __future__ import annotations

import math

from metareview.stats import distributions as dist
from metareview.stats.tau2 import solve_estimating_equation
from metareview.stats.wls import FitState, LinearModel

I2_DEFINITIONS = ("tau2", "q")
TAU2_CI_METHODS = ("qprofile", "jackson", "jackson_dl", "none")
I2_CI_METHODS = ("qprofile", "test_based", "none")


def i2_from_tau2(tau2: float, typical_variance: float) -> float:
    """I² in percent from τ² and the typical within-study variance."""
    return 100.0 * tau2 / (typical_variance + tau2)


def h2_from_tau2(tau2: float, typical_variance: float) -> float:
    """H² = (τ² + s²)/s²."""
    return (typical_variance + tau2) / typical_variance


def i2_from_q(q: float, df: int) -> float:
    """Q-based I² in percent, truncated at 0: ``100·max(0, (Q − df)/Q)``."""
    if q <= 0 or df < 1:
        return 0.0
    return 100.0 * max(0.0, (q - df) / q)


def h2_from_q(q: float, df: int) -> float:
    """Q-based H² = Q/df (not truncated, as metafor reports it)."""
    return q / df if df >= 1 else 1.0


def qprofile_tau2_ci(
    model: LinearModel, level: float = 0.95, *, tol: float = 1e-10
) -> tuple[float, float]:
    """Q-profile confidence interval for τ² (Viechtbauer 2007).

    The lower bound solves ``Q(τ²) = χ²_{1−α/2}(k − p)``, the upper ``Q(τ²) = χ²_{α/2}(k − p)``;
    a bound is 0 when Q(0) already lies below its quantile (as metafor reports it).
    """
    df = model.k - model.p
    if df < 1:
        return (0.0, 0.0)
    alpha = 1.0 - level
    crit_lower_bound = dist.chi2_quantile(1.0 - alpha / 2, df)
    crit_upper_bound = dist.chi2_quantile(alpha / 2, df)
    q0 = model.fixed.q
    bounds = []
    for crit in (crit_lower_bound, crit_upper_bound):
        if q0 <= crit:
            bounds.append(0.0)
            continue

        def equation(
            state: FitState, _model: LinearModel, crit: float = crit
        ) -> tuple[float, float]:
            return state.q - crit, -state.ypy2

        start = max((q0 - crit) / model.fixed.tr_p, 0.0)
        tau2, _, _ = solve_estimating_equation(equation, model, start, tol=tol)
        bounds.append(tau2)
    return (bounds[0], bounds[1])


def test_based_log_h_se(q: float, k: int) -> float | None:
    """SE of ln H (Higgins & Thompson 2002): for Q > k, ``½(ln Q − ln(k−1))/(√(2Q) − √(2k−3))``,
    otherwise ``√(1/(2(k−2))·(1 − 1/(3(k−2)²)))``; ``None`` when undefined (k ≤ 2 and Q ≤ k)."""
    if q > k:
        return 0.5 * (math.log(q) - math.log(k - 1)) / (math.sqrt(2 * q) - math.sqrt(2 * k - 3))
    if k <= 2:
        return None
    return math.sqrt(1.0 / (2.0 * (k - 2)) * (1.0 - 1.0 / (3.0 * (k - 2) ** 2)))


def test_based_h_ci(q: float, k: int, level: float = 0.95) -> tuple[float, float] | None:
    """Test-based CI for H = √(Q/(k − 1)), bounds truncated at 1 (as R meta)."""
    if k < 2:
        return None
    se = test_based_log_h_se(q, k)
    if se is None:
        return None
    log_h = 0.5 * math.log(q / (k - 1)) if q > 0 else -math.inf
    z = dist.z_crit(level)
    return (max(1.0, math.exp(log_h - z * se)), max(1.0, math.exp(log_h + z * se)))


def test_based_i2_ci(q: float, k: int, level: float = 0.95) -> tuple[float, float] | None:
    """Test-based CI for I² (percent) from the CI of H: ``I² = (H² − 1)/H²``."""
    h_ci = test_based_h_ci(q, k, level)
    if h_ci is None:
        return None
    return tuple(100.0 * (h**2 - 1.0) / h**2 for h in h_ci)  # type: ignore[return-value]
