"""Jackson's (2013) confidence interval for τ² from a generalised Cochran statistic.

With weights ``aᵢ = 1/sᵢ`` (the square roots of the inverse variances), the statistic
``Q_a = Σ aᵢ(yᵢ − ȳ_a)²`` is, under the random-effects model, exactly distributed as
``Σ λⱼ χ²₁`` where λ are the eigenvalues of ``S^{1/2} P_a S^{1/2}`` with
``S = diag(vᵢ + τ²)`` and ``P_a = A − a aᵀ/Σa``. Its distribution function (a weighted sum
of χ², computed exactly by Ruben's 1962 series) falls
as τ² grows, so the CI bounds are the τ² at which the observed ``Q_a`` sits at the
``1 − α/2`` and ``α/2`` quantiles. R meta uses this method (``method.tau.ci = "J"``) for the
DerSimonian–Laird estimator.

>>> import numpy as np
>>> yi = np.array([0.1, 0.5, 0.9, 0.2, 0.7])
>>> [round(b, 4) for b in jackson_tau2_ci(yi, np.full(5, 0.02))]
[0.0202, 0.9048]
"""

from __future__ import annotations

import numpy as np
import scipy

MAX_TERMS = 100_000


def weighted_chi2_cdf(x: float, weights: np.ndarray, *, tol: float = 1e-14) -> float:
    """P(Σ λⱼ χ²₁ ≤ x) for positive weights λ, by Ruben's (1962) mixture of χ² laws.

    With β = λ_min and γⱼ = 1 − β/λⱼ ∈ [0, 1), the sum is a mixture
    Σₖ cₖ·β χ²(m + 2k) with c₀ = Π(β/λⱼ)^½ and cₖ = (1/2k) Σₙ₌₁ᵏ Gₙ c_{k−n}, Gₙ = Σⱼ γⱼⁿ.
    All cₖ ≥ 0 and they sum to 1, so stopping when the mass left is below ``tol`` bounds the
    error by ``tol``.

    >>> bool(abs(weighted_chi2_cdf(3.0, np.array([1.0, 1.0, 1.0])) - scipy.special.chdtr(3, 3.0)) < 1e-14)
    True
    """
    lam = np.asarray(weights, dtype=float)
    lam = lam[lam > 1e-12 * lam.max()]
    if x <= 0:
        return 0.0
    m = lam.size
    beta = float(lam.min())
    gamma = 1.0 - beta / lam
    coefficients = [float(np.exp(0.5 * np.sum(np.log(beta / lam))))]
    powers = np.ones(m)
    sums: list[float] = [0.0]  # sums[n] = Gₙ
    total = coefficients[0]
    k = 0
    while 1.0 - total > tol and k < MAX_TERMS:
        k += 1
        powers = powers * gamma
        sums.append(float(powers.sum()))
        g = np.asarray(sums[1 : k + 1])
        c = float(g @ np.asarray(coefficients[::-1])) / (2.0 * k)
        coefficients.append(c)
        total += c
    dfs = m + 2.0 * np.arange(len(coefficients))
    return float(min(1.0, np.asarray(coefficients) @ scipy.special.chdtr(dfs, x / beta)))


def _eigenvalues(v: np.ndarray, a: np.ndarray, tau2: float) -> np.ndarray:
    p_a = np.diag(a) - np.outer(a, a) / a.sum()
    root = np.sqrt(v + tau2)
    return np.linalg.eigvalsh(root[:, None] * p_a * root[None, :])


def jackson_tau2_ci(
    yi: np.ndarray, vi: np.ndarray, level: float = 0.95, *, tol: float = 1e-10
) -> tuple[float, float]:
    """Jackson's (2013) CI for τ² with weights 1/sᵢ (a bound is 0 when even τ² = 0 puts the
    observed statistic below its quantile)."""
    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    if y.size < 2:
        return (0.0, 0.0)
    a = 1.0 / np.sqrt(v)
    mean_a = float(a @ y) / float(a.sum())
    q_obs = float(a @ (y - mean_a) ** 2)
    scale = float(np.mean(v))

    def cdf(tau2: float) -> float:
        return weighted_chi2_cdf(q_obs, _eigenvalues(v, a, tau2))

    at_zero = cdf(0.0)
    bounds = []
    for target in (1.0 - (1.0 - level) / 2, (1.0 - level) / 2):
        if at_zero <= target:
            bounds.append(0.0)
            continue
        hi = scale
        while cdf(hi) > target:
            hi *= 4.0
        bounds.append(
            float(
                scipy.optimize.brentq(
                    lambda t, target=target: cdf(t) - target, 0.0, hi, xtol=tol * scale
                )
            )
        )
    return (bounds[0], bounds[1])
