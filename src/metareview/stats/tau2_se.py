"""Standard error of the τ² estimate (metafor's ``se.tau2``; CMA's SE of T²).

With Σ = V + τ̂²I the marginal covariance of the effects and P(w) = W − WX(XᵀWX)⁻¹XᵀW the
residual projection for weights w:

- ``ML``: the inverse Fisher information of τ², 2/Σwᵢ² with wᵢ = 1/(vᵢ + τ̂²) (the information
  matrix of (β, τ²) is block-diagonal; Hardy & Thompson 1996; Viechtbauer 2005).
- ``REML``: the inverse of the restricted information ½tr(PP), i.e. 2/tr(PP) at τ̂²
  (Harville 1977; Viechtbauer 2005).
- Moment estimators, τ̂² = (a quadratic form in y − its expectation)/c, have variance
  Var(quadratic form)/c², and for normal y the quadratic form yᵀAy (AX = 0) has variance
  2·tr(AΣAΣ) (Searle 1971), evaluated at τ̂²:

  - ``DL``: A = P(1/v), c = tr(A); tr(AΣAΣ) = (k − p) + 2τ̂²tr(A) + τ̂⁴tr(A²) because
    AVA = A. Intercept-only this is the variance of Q given by Biggerstaff & Tweedie (1997)
    and the Var(T²) of Borenstein et al. (2009, ch. 16) that CMA prints as the SE of T².
  - ``HS``: the same Q, c = Σ1/vᵢ.
  - ``HE``: A = I − X(XᵀX)⁻¹Xᵀ (unweighted residuals), c = k − p.
  - ``SJ``: A = P(1/(v + τ₀²)), τ̂² = τ₀²·yᵀAy/(k − p), so c = (k − p)/τ₀² with τ₀² the
    (fixed) starting value.
  - ``EB`` and ``PM`` (the same estimate): the empirical Bayes equation of Morris (1983) and
    Berkey et al. (1995), τ² = (k/(k − p)·Σwᵢrᵢ² − Σwᵢvᵢ)/Σwᵢ with wᵢ = 1/(vᵢ + τ̂²) held
    fixed: A = k/(k − p)·P, c = Σw, and tr(PΣPΣ) = k − p, so the SE is
    k/(k − p)·√(2(k − p))/Σw.

``FE`` and k = 1 have none.

>>> import numpy as np
>>> model = LinearModel(np.array([0.1, 0.3, 0.5, 0.2]), np.array([0.01, 0.02, 0.04, 0.03]))
>>> round(tau2_se(model, "ML", 0.01), 6), round(tau2_se(model, "DL", 0.0), 6)
(0.02077, 0.017496)
>>> tau2_se(model, "FE", 0.0) is None
True
"""

from __future__ import annotations

import math

import numpy as np

from metareview.stats.wls import LinearModel

METHODS_WITH_SE = frozenset({"ML", "REML", "DL", "HS", "HE", "SJ", "PM", "EB"})


def tau2_se(model: LinearModel, method: str, tau2: float) -> float | None:
    """SE of the ``method`` estimate ``tau2`` of ``model`` (None where none is defined).

    Parameters
    ----------
    model : LinearModel
        Effects, variances and design of the meta-analysis (or meta-regression).
    method : str
        The τ² estimator's code; every one but ``FE`` has an SE.
    tau2 : float
        The estimate.
    """
    if method not in METHODS_WITH_SE or model.k - model.p < 1:
        return None
    if method == "ML":
        w = model.at(tau2).w
        return math.sqrt(2.0 / float(w @ w))
    if method == "REML":
        return math.sqrt(2.0 / model.at(tau2).tr_pp)
    k, p = model.k, model.p
    if method in ("PM", "EB"):
        return k / (k - p) * math.sqrt(2.0 * (k - p)) / model.at(tau2).sum_w
    sigma = model.v + tau2
    if method in ("DL", "HS"):
        fe = model.fixed
        spread = (k - p) + 2.0 * tau2 * fe.tr_p + tau2**2 * fe.tr_pp
        scale = fe.tr_p if method == "DL" else float(np.sum(1.0 / model.v))
        return math.sqrt(2.0 * spread) / scale
    if method == "HE":
        return math.sqrt(2.0 * _trace_squared(_residual_maker(model), sigma)) / (k - p)
    tau0 = float(np.var(model.y))  # SJ's starting value, as in tau2._moment_estimate
    a = _projection(model, 1.0 / (model.v + tau0))
    return math.sqrt(2.0 * _trace_squared(a, sigma)) * tau0 / (k - p)


def _design(model: LinearModel) -> np.ndarray:
    return np.ones((model.k, 1)) if model.X is None else model.X


def _projection(model: LinearModel, w: np.ndarray) -> np.ndarray:
    """P = W − WX(XᵀWX)⁻¹XᵀW."""
    X = _design(model)
    wx = X * w[:, None]
    return np.diag(w) - wx @ np.linalg.solve(X.T @ wx, wx.T)


def _residual_maker(model: LinearModel) -> np.ndarray:
    """I − X(XᵀX)⁻¹Xᵀ (the projection with unit weights)."""
    return _projection(model, np.ones(model.k))


def _trace_squared(a: np.ndarray, sigma: np.ndarray) -> float:
    """tr(AΣAΣ) for diagonal Σ = diag(sigma)."""
    return float(np.sum(a * a * np.outer(sigma, sigma)))
