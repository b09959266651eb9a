"""Cluster-robust (sandwich) variance of a multilevel fit: CR1 and CR2, Satterthwaite df, HTZ.

With ``W_j = M_j⁻¹`` the fitted model's weights in study j, bread ``B = (XᵀWX)⁻¹`` and GLS
residuals ``e_j``, the sandwich is ``B [Σ_j X_jᵀW_j A_j e_j e_jᵀ A_jᵀ W_j X_j] B``:

- **CR1** (metafor's ``robust()`` default): ``A_j = I``, times ``J/(J − p)`` (J studies); t
  tests on ``J − p`` df and the Wald test as F on ``(q, J − p)``.
- **CR2** (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018, clubSandwich ``vcovCR``): with
  the working covariance ``Φ_j = M_j = R_jᵀR_j`` (upper Cholesky factor R_j),
  ``A_j = R_jᵀ G_j^{-1/2} R_j``, ``G_j = R_j (Φ_j − X_j B X_jᵀ) R_jᵀ``; eigenvalues of G_j at or
  below 1e-12 get 0 in the inverse square root, so a study whose adjustment is singular still
  gets one. Each coefficient is tested by t with Satterthwaite df from the working model, and
  several coefficients by the HTZ test (Tipton & Pustejovsky 2015): Hotelling's T² with df η
  matched to the variance of the sandwich standardised by its expectation, ``F = (η − q + 1)/(η q) · Q`` on
  ``(q, η − q + 1)``.

The Satterthwaite moments use ``(I − H)Φ(I − H)ᵀ = Φ − X B Xᵀ`` (H the GLS hat matrix), so the
J × J matrix ``Ω_ij = δ_ij p_iᵀΦ_i p_i − (p_iᵀX_i) B (X_jᵀp_j)`` replaces any k × k product.

:func:`~metareview.stats.multilevel.model.fit_multilevel` calls :func:`robust_variance` when
asked for ``robust``:

>>> from metareview.stats.multilevel.model import fit_multilevel
>>> yi, vi = [0.1, 0.3, 0.5, 0.4, -0.1, 0.0, 0.6, 0.9], [0.01] * 8
>>> res = fit_multilevel(yi, vi, [1, 1, 2, 2, 3, 3, 4, 4], robust="CR2").robust
>>> res.method, round(res.se[0], 4), round(res.df[0], 2)
('CR2', 0.1712, 3.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from metareview.errors import AnalysisError, InputError
from metareview.stats import distributions as dist
from metareview.stats.multilevel.likelihood import Evaluation, ModelData
from metareview.stats.result_base import document

ROBUST_METHODS: tuple[str, ...] = ("CR2", "CR1")
EIGEN_TOLERANCE = 1e-12


@dataclass(frozen=True)
class CoefficientTests:
    """The t test of each coefficient (tuples in coefficient order): SE, t, df, p value, CI."""

    se: tuple[float, ...]
    statistic: tuple[float, ...]
    df: tuple[float, ...]
    pvalue: tuple[float, ...]
    ci_lower: tuple[float, ...]
    ci_upper: tuple[float, ...]


_PER_COEFFICIENT = tuple(field.name for field in fields(CoefficientTests))


def coefficient_t_tests(
    beta: np.ndarray, se: np.ndarray, statistic: np.ndarray, df: np.ndarray, level: float
) -> dict[str, tuple[float, ...]]:
    """The :class:`CoefficientTests` fields of estimates ``beta`` with standard errors ``se``,
    t statistics ``statistic`` and degrees of freedom ``df``, at confidence ``level``.

    >>> tests = coefficient_t_tests(
    ...     np.array([0.5]), np.array([0.1]), np.array([5.0]), np.array([10.0]), 0.95)
    >>> round(tests["ci_lower"][0], 4), round(tests["pvalue"][0], 5)
    (0.2772, 0.00054)
    """
    crit = dist.t_crit(level, df)
    return {
        "se": tuple(se.tolist()),
        "statistic": tuple(statistic.tolist()),
        "df": tuple(np.asarray(df, float).tolist()),
        "pvalue": tuple(np.asarray(dist.t_pvalue(statistic, df)).tolist()),
        "ci_lower": tuple((beta - crit * se).tolist()),
        "ci_upper": tuple((beta + crit * se).tolist()),
    }


@dataclass(frozen=True)
class WaldTest:
    """A test that several coefficients are 0: F on (df_num, df_denom)."""

    coefficients: tuple[int, ...]
    statistic: float
    df_num: float
    df_denom: float
    pvalue: float

    def to_dict(self) -> dict[str, Any]:
        return document(self, coefficients=list(self.coefficients))

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> WaldTest:
        return cls(
            tuple(doc["coefficients"]),
            doc["statistic"],
            doc["df_num"],
            doc["df_denom"],
            doc["pvalue"],
        )


@dataclass(frozen=True)
class RobustResult(CoefficientTests):
    """Robust SEs, t tests and CIs of every coefficient, and the moderators' Wald test."""

    method: str
    vcov: tuple[tuple[float, ...], ...]
    wald: WaldTest | None

    def to_dict(self) -> dict[str, Any]:
        """The first coefficient's values (the pooled effect when intercept-only) and all."""
        first = ("se", "df", "ci_lower", "ci_upper", "pvalue", "statistic")
        return {
            "method": self.method,
            **{key: getattr(self, key)[0] for key in first},
            "coefficients": {
                key: list(getattr(self, key))
                for key in ("se", "df", "statistic", "pvalue", "ci_lower", "ci_upper")
            },
            "vcov": [list(row) for row in self.vcov],
            "wald": self.wald.to_dict() if self.wald else None,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> RobustResult:
        """The result :meth:`to_dict` wrote (``results.json``)."""
        per = doc["coefficients"]
        return cls(
            method=doc["method"],
            vcov=tuple(tuple(row) for row in doc["vcov"]),
            wald=WaldTest.from_dict(doc["wald"]) if doc["wald"] else None,
            **{key: tuple(per[key]) for key in _PER_COEFFICIENT},
        )


@dataclass(frozen=True)
class _Blocks:
    """Per-study pieces, as lists over groups of studies of equal size (batched linear algebra)."""

    rows: list[np.ndarray]  # (J_n, n) sorted-row indices
    phi: list[np.ndarray]  # (J_n, n, n) working covariance M_j
    est: list[np.ndarray]  # (J_n, p, n) estimating matrices X_jᵀ W_j A_j


def _blocks(
    data: ModelData, sigma2: tuple[float, float], bread: np.ndarray, method: str
) -> _Blocks:
    sampling, clusters = data.sampling, data.clusters
    out = _Blocks([], [], [])
    for n in np.unique(clusters.sizes):
        rows = clusters.starts[clusters.sizes == n][:, None] + np.arange(n)
        s = sampling.scale[rows]
        phi = sampling.rho * s[:, :, None] * s[:, None, :] + sigma2[0]
        phi = phi + np.eye(n) * (sampling.diag[rows] + sigma2[1])[:, :, None]
        x = data.x[rows]  # (J_n, n, p)
        xw = np.linalg.solve(phi, x).transpose(0, 2, 1)  # X_jᵀ W_j (Φ symmetric)
        if method == "CR2":
            upper = np.linalg.cholesky(phi).transpose(0, 2, 1)  # Φ = RᵀR
            g = upper @ (phi - x @ bread @ x.transpose(0, 2, 1)) @ upper.transpose(0, 2, 1)
            xw = xw @ (upper.transpose(0, 2, 1) @ _inverse_sqrt(g) @ upper)
        out.rows.append(rows)
        out.phi.append(phi)
        out.est.append(xw)
    return out


def _inverse_sqrt(g: np.ndarray) -> np.ndarray:
    """Symmetric ``g^{-1/2}`` of each matrix, eigenvalues ≤ 1e-12 set to 0 (as clubSandwich)."""
    values, vectors = np.linalg.eigh(g)
    safe = np.where(values > EIGEN_TOLERANCE, values, 1.0)
    powered = np.where(values > EIGEN_TOLERANCE, safe**-0.5, 0.0)
    return vectors @ (powered[:, :, None] * vectors.transpose(0, 2, 1))


def _contrast_moments(data: ModelData, blocks: _Blocks, bread: np.ndarray, contrasts: np.ndarray):
    """For each contrast row s: the J × J matrices Ω^{st} of the Satterthwaite moments."""
    q, n_clusters = contrasts.shape[0], data.clusters.n_clusters
    diag = np.zeros((q, q, n_clusters))
    xp = np.zeros((q, n_clusters, data.p))
    first = data.clusters.starts
    for rows, phi, est in zip(blocks.rows, blocks.phi, blocks.est):
        j = np.searchsorted(first, rows[:, 0])
        pvec = np.einsum("sp,pr,jrn->sjn", contrasts, bread, est)  # (q, J_n, n)
        phi_p = np.einsum("jnm,sjm->sjn", phi, pvec)
        diag[:, :, j] = np.einsum("sjn,tjn->stj", pvec, phi_p)
        xp[:, j, :] = np.einsum("sjn,jnp->sjp", pvec, data.x[rows])
    cross = np.einsum("sip,pr,tjr->stij", xp, bread, xp)
    omega = -cross
    idx = np.arange(n_clusters)
    omega[:, :, idx, idx] += diag
    return omega


def _satterthwaite_df(omega_ss: np.ndarray) -> float:
    """NaN when every adjustment vanished (the 1e-12 cut is absolute, as clubSandwich's)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.trace(omega_ss) ** 2 / np.sum(omega_ss * omega_ss))


def robust_variance(
    data: ModelData,
    sigma2: tuple[float, float],
    fit: Evaluation,
    method: str,
    *,
    level: float,
    test_coefficients: Sequence[int] = (),
) -> RobustResult:
    """CR2 (clubSandwich) or CR1 (metafor ``robust``) inference for the fitted coefficients."""
    if method not in ROBUST_METHODS:
        raise InputError(
            f"robust method must be one of {', '.join(ROBUST_METHODS)}; got {method!r}"
        )
    bread, beta, p = fit.vcov, fit.beta, data.p
    n_clusters = data.clusters.n_clusters
    if n_clusters <= p:
        raise AnalysisError(
            f"robust variance needs more studies ({n_clusters}) than coefficients ({p})"
        )
    blocks = _blocks(data, sigma2, bread, method)
    components = np.concatenate(
        [
            np.einsum("jpn,jn->jp", est, fit.resid[rows])
            for rows, est in zip(blocks.rows, blocks.est)
        ]
    )
    vcov = bread @ (components.T @ components) @ bread
    if method == "CR1":
        vcov *= n_clusters / (n_clusters - p)
        df = np.full(p, float(n_clusters - p))
    else:
        omega = _contrast_moments(data, blocks, bread, np.eye(p))
        df = np.array([_satterthwaite_df(omega[s, s]) for s in range(p)])
    se = np.sqrt(np.diag(vcov))
    with np.errstate(invalid="ignore", divide="ignore"):  # se = 0: every residual is 0
        statistic = beta / se
    wald = (
        _wald(data, blocks, bread, beta, vcov, method, tuple(test_coefficients))
        if test_coefficients
        else None
    )
    return RobustResult(
        method=method,
        **coefficient_t_tests(beta, se, statistic, df, level),
        vcov=tuple(tuple(row) for row in vcov.tolist()),
        wald=wald,
    )


def _wald(data, blocks, bread, beta, vcov, method, coefficients) -> WaldTest:
    """HTZ (CR2) or the F test on (q, J − p) (CR1) that the coefficients are all 0."""
    q = len(coefficients)
    contrasts = np.eye(data.p)[list(coefficients)]
    b = contrasts @ beta
    quad = float(b @ np.linalg.solve(contrasts @ vcov @ contrasts.T, b))
    if method == "CR1":
        df_denom = float(data.clusters.n_clusters - data.p)
        statistic = quad / q
    else:
        raw = _contrast_moments(data, blocks, bread, contrasts)
        # Standardise by the expected sandwich (its trace over studies: not C B Cᵀ when an
        # adjustment matrix is singular), with the same eigenvalue cut as the adjustments.
        expected = np.einsum("stjj->st", raw)
        scale = _inverse_sqrt(expected[None])[0]
        omega = np.einsum("sa,tb,abij->stij", scale, scale, raw)
        variance = np.einsum("stij,stji->", omega, omega) + np.einsum("ssij,ttij->", omega, omega)
        eta = q * (q + 1) / variance
        df_denom = eta - q + 1
        statistic = (eta - q + 1) / (eta * q) * quad
    pvalue = float(dist.f_sf(statistic, q, df_denom))
    return WaldTest(
        tuple(c + 1 for c in coefficients), float(statistic), float(q), float(df_denom), pvalue
    )
