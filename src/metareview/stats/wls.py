"""The weighted least-squares fit of a (mixed-effects) meta-analytic model at a given τ².

Everything the τ² estimators, the pooled estimate and the Q-profile need is a function of the
weights ``w = 1/(v + τ²)`` and the projection ``P = W − W X (XᵀWX)⁻¹ XᵀW``. Intercept-only
models (the usual meta-analysis) take a closed-form path with no matrices, so a single fit is
a handful of vector sums.

>>> import numpy as np
>>> model = LinearModel(np.array([0.1, 0.3, 0.5]), np.array([0.01, 0.02, 0.04]))
>>> state = model.at(0.0)
>>> round(float(state.beta[0]), 6), round(state.q, 6)
(0.214286, 3.714286)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from metareview.errors import InputError, NotEstimableError


@dataclass(frozen=True)
class FitState:
    """The WLS fit with weights ``1/(v + τ²)``.

    beta, vb: coefficients and their (model-based) covariance ``(XᵀWX)⁻¹``.
    q: the generalised Q statistic ``yᵀPy`` (Cochran's Q at τ² = 0).
    ypy2, yp3y: ``yᵀPPy`` and ``yᵀPPPy``; tr_p, tr_pp: ``tr(P)`` and ``tr(PP)``.
    sum_w: ``Σw``; log_det_v, log_det_xwx: ``log|V + τ²I|`` and ``log|XᵀWX|``.
    """

    tau2: float
    w: np.ndarray
    beta: np.ndarray
    vb: np.ndarray
    q: float
    ypy2: float
    yp3y: float
    tr_p: float
    tr_pp: float
    sum_w: float
    log_det_v: float
    log_det_xwx: float


def others_sum(x: np.ndarray) -> np.ndarray:
    """``Σ_{j≠i} x_j`` for every i along the last axis, from exclusive running sums of
    non-negative terms (``Σx − x_i`` loses the others when ``x_i`` dominates).

    >>> others_sum(np.array([1.0, 1e-17])).tolist()
    [1e-17, 1.0]
    """
    before = np.zeros_like(x)
    before[..., 1:] = np.cumsum(x[..., :-1], axis=-1)
    after = np.zeros_like(x)
    after[..., :-1] = np.cumsum(x[..., :0:-1], axis=-1)[..., ::-1]
    return before + after


def intercept_traces(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``tr P`` and ``tr PP`` of the intercept-only model, ``P = W − wwᵀ/Σw``, along the last
    axis, as sums of non-negative terms: ``Pᵢᵢ = wᵢ·Σ_{j≠i}wⱼ/Σw`` and
    ``Σ_{i≠j} Pᵢⱼ² = Σᵢ wᵢ²·Σ_{j≠i}wⱼ²/(Σw)²``. The textbook ``Σw − Σw²/Σw`` cancels to 0
    when one weight is ~1e8 times another.

    >>> [float(x) for x in intercept_traces(np.array([1.0, 1.0]))]
    [1.0, 1.0]
    """
    sw = w.sum(axis=-1)
    diagonal = w * others_sum(w) / sw[..., None]
    w2 = w * w
    off = (w2 * others_sum(w2)).sum(axis=-1) / (sw * sw)
    return diagonal.sum(axis=-1), (diagonal * diagonal).sum(axis=-1) + off


class LinearModel:
    """Data of one meta-analytic model: effects ``y``, variances ``v``, design ``X`` (n×p)."""

    def __init__(self, y: np.ndarray, v: np.ndarray, X: np.ndarray | None = None):
        self.y = np.asarray(y, dtype=float)
        self.v = np.asarray(v, dtype=float)
        self.k = self.y.size
        if X is None:
            self.X = None
            self.p = 1
        else:
            X = np.asarray(X, dtype=float)
            if X.ndim == 1:
                X = X[:, None]
            if X.shape[0] != self.k:
                raise InputError(f"X must have {self.k} rows (one per study); got {X.shape[0]}")
            if np.linalg.matrix_rank(X) < X.shape[1]:
                raise NotEstimableError("X must have full column rank (drop redundant moderators)")
            self.X = X
            self.p = X.shape[1]

    @cached_property
    def fixed(self) -> FitState:
        """The fit at τ² = 0 (common-effect weights 1/v), computed once."""
        return self.at(0.0)

    def at(self, tau2: float) -> FitState:
        """Fit the model with weights ``1/(v + tau2)``."""
        w = 1.0 / (self.v + tau2)
        log_det_v = float(-np.sum(np.log(w)))
        if self.X is None:
            return self._intercept_only(tau2, w, log_det_v)
        X, y = self.X, self.y
        sqrt_w = np.sqrt(w)
        q_mat, r_mat = np.linalg.qr(X * sqrt_w[:, None])
        r_inv = np.linalg.inv(r_mat)
        vb = r_inv @ r_inv.T
        z = sqrt_w * y
        beta = r_inv @ (q_mat.T @ z)
        resid = y - X @ beta
        py = w * resid
        # P = √W (I − QQᵀ) √W is k × k: every term is computed from the k × p factor Q
        # instead (O(kp²), not O(k²)), with h the diagonal of QQᵀ:
        # tr P = Σw − Σwh, tr PP = Σw² − 2Σw²h + ‖QᵀWQ‖², Pu = √W(√Wu − Q Qᵀ√Wu)
        h = np.einsum("ij,ij->i", q_mat, q_mat)
        scaled_py = sqrt_w * py
        p_py = sqrt_w * (scaled_py - q_mat @ (q_mat.T @ scaled_py))
        qwq = q_mat.T @ (w[:, None] * q_mat)
        return FitState(
            tau2=tau2,
            w=w,
            beta=beta,
            vb=vb,
            q=float(py @ resid),
            ypy2=float(py @ py),
            yp3y=float(py @ p_py),
            tr_p=float(w.sum() - w @ h),
            tr_pp=float(w @ w - 2.0 * (w * w) @ h + np.sum(qwq * qwq)),
            sum_w=float(w.sum()),
            log_det_v=log_det_v,
            log_det_xwx=float(2.0 * np.sum(np.log(np.abs(np.diag(r_mat))))),
        )

    def _intercept_only(self, tau2: float, w: np.ndarray, log_det_v: float) -> FitState:
        sw = float(w.sum())
        mu = float(w @ self.y) / sw
        wr = w * (self.y - mu)
        tr_p, tr_pp = intercept_traces(w)
        spread = wr - float(w @ wr) / sw
        return FitState(
            tau2=tau2,
            w=w,
            beta=np.array([mu]),
            vb=np.array([[1.0 / sw]]),
            q=float(wr @ (self.y - mu)),
            ypy2=float(wr @ wr),
            yp3y=float(w @ (spread * spread)),
            tr_p=float(tr_p),
            tr_pp=float(tr_pp),
            sum_w=sw,
            log_det_v=log_det_v,
            log_det_xwx=float(np.log(sw)),
        )

    def ols_residual_terms(self) -> tuple[float, float]:
        """``(RSS, tr(P_ols V))`` of the unweighted (OLS) fit, used by HE and SJ."""
        if self.X is None:
            r = self.y - self.y.mean()
            return float(r @ r), float(self.v.sum() - self.v.sum() / self.k)
        q_mat = np.linalg.qr(self.X)[0]  # the hat matrix QQᵀ, never formed (k × k)
        r = self.y - q_mat @ (q_mat.T @ self.y)
        leverage = np.einsum("ij,ij->i", q_mat, q_mat)
        return float(r @ r), float(np.sum((1.0 - leverage) * self.v))

    def typical_variance(self) -> float:
        """Typical within-study variance ``s² = (k − p)/tr(P_FE)`` (Higgins & Thompson 2002)."""
        return (self.k - self.p) / self.fixed.tr_p
