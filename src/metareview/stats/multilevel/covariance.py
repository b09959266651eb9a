"""Sampling and marginal covariance of clustered effects, kept in low-rank-per-study form.

Within study j the sampling covariance is ``V_j = diag(d_j) + ρ s_j s_jᵀ``: ``d = v`` and
``ρ = 0`` for independent effects; the CHE working model's constant correlation ρ
(Pustejovsky & Tipton 2022, clubSandwich ``impute_covariance_matrix``, metafor ``vcalc``) gives
``d = (1 − ρ) v`` and ``s = √v`` (with ``v`` the study's mean variance when smoothed). The
marginal covariance of the three-level model adds ``σ²_between 1 1ᵀ + σ²_within I``:

    M_j = diag(d_j + σ²_within) + U_j C U_jᵀ,   U_j = [1, s_j],  C = diag(σ²_between, ρ)

so ``M⁻¹`` and ``log det M`` follow from the Woodbury identity with an r × r system per study
(r ≤ 2), vectorised over studies; no k × k matrix is formed.

>>> from metareview.stats.multilevel.clusters import Clusters
>>> c = Clusters.from_labels([1, 1, 2])
>>> v = impute_covariance(np.array([0.04, 0.09, 0.01]), c, rho=0.5)
>>> v.dense_block(0).round(4).tolist()
[[0.04, 0.03], [0.03, 0.09]]
>>> m = Marginal(v, c, (0.1, 0.02))
>>> dense = v.dense_block(0) + 0.1 + 0.02 * np.eye(2)
>>> bool(np.allclose(m.solve(np.eye(3))[:2, :2], np.linalg.inv(dense)))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metareview.errors import InputError
from metareview.stats.multilevel.clusters import Clusters


@dataclass(frozen=True)
class SamplingCovariance:
    """``V_j = diag(diag_j) + rho · scale_j scale_jᵀ`` per study (sorted rows)."""

    diag: np.ndarray
    scale: np.ndarray
    rho: float
    clusters: Clusters

    def dense_block(self, j: int) -> np.ndarray:
        rows = self.clusters.blocks()[j]
        s = self.scale[rows]
        return np.diag(self.diag[rows]) + self.rho * np.outer(s, s)

    def variances(self) -> np.ndarray:
        """The sampling variance of each sorted row (the diagonal of V)."""
        return self.diag + self.rho * self.scale**2


def independent_covariance(vi: np.ndarray, clusters: Clusters) -> SamplingCovariance:
    """Independent sampling errors: ``V = diag(vi)`` (``vi`` in sorted order)."""
    return SamplingCovariance(diag=vi, scale=np.zeros_like(vi), rho=0.0, clusters=clusters)


def smoothed_variances(vi: np.ndarray, clusters: Clusters) -> np.ndarray:
    """Each effect's variance replaced by its study's mean variance (``smooth_vi``)."""
    return clusters.spread(clusters.block_sum(vi) / clusters.sizes)


def impute_covariance(
    vi: np.ndarray, clusters: Clusters, rho: float, *, smooth_vi: bool = False
) -> SamplingCovariance:
    """Constant-correlation sampling covariance within studies (sorted rows).

    ``cov(e_i, e_l) = ρ √(v_i v_l)`` for two effects of one study, as clubSandwich's
    ``impute_covariance_matrix(vi, cluster, r = rho, smooth_vi)``.
    """
    if not -1.0 < rho < 1.0 or not np.isfinite(rho):
        raise InputError(f"rho must be a correlation in (-1, 1); got {rho!r}")
    v = smoothed_variances(vi, clusters) if smooth_vi else vi
    return SamplingCovariance(diag=(1.0 - rho) * v, scale=np.sqrt(v), rho=rho, clusters=clusters)


class Marginal:
    """``M = V + σ²_between Z Zᵀ + σ²_within I`` for fixed σ², solved study by study."""

    def __init__(
        self, sampling: SamplingCovariance, clusters: Clusters, sigma2: tuple[float, float]
    ):
        between, within = sigma2
        self.clusters = clusters
        self.d_inv = 1.0 / (sampling.diag + within)
        columns = [np.ones_like(sampling.diag)]
        coefs = [between]
        if sampling.rho != 0.0:
            columns.append(sampling.scale)
            coefs.append(sampling.rho)
        self.u = np.column_stack(columns)
        self.c = np.array(coefs)
        s = clusters.block_sum(self.u[:, :, None] * self.u[:, None, :] * self.d_inv[:, None, None])
        r = len(coefs)
        cap = np.eye(r) + self.c[None, :, None] * s
        # K_j = (I + C S_j)^-1 C, so that M_j^-1 = D^-1 - D^-1 U K_j U' D^-1.
        self.k_mat = np.linalg.solve(cap, np.broadcast_to(np.diag(self.c), cap.shape))
        self.logdet = float(-np.log(self.d_inv).sum() + np.linalg.slogdet(cap)[1].sum())

    def solve(self, b: np.ndarray) -> np.ndarray:
        """``M⁻¹ b`` for b with sorted rows (a vector or a matrix of columns)."""
        vector = b.ndim == 1
        bm = b[:, None] if vector else b
        db = bm * self.d_inv[:, None]
        t = self.clusters.block_sum(self.u[:, :, None] * db[:, None, :])
        kt = np.einsum("jrs,jsc->jrc", self.k_mat, t)
        out = db - self.d_inv[:, None] * np.einsum("nr,nrc->nc", self.u, self.clusters.spread(kt))
        return out[:, 0] if vector else out

    def trace_inverse(self) -> float:
        """``tr(M⁻¹)``."""
        d2 = self.d_inv**2
        s2 = self.clusters.block_sum(self.u[:, :, None] * self.u[:, None, :] * d2[:, None, None])
        return float(self.d_inv.sum() - np.einsum("jrs,jsr->", self.k_mat, s2))

    def trace_inverse_squared(self) -> float:
        """``tr(M⁻²)`` = Σ d⁻² − 2 Σ_j tr(K_j U_jᵀD⁻³U_j) + Σ_j tr(K_j S_j K_j S_j), S = UᵀD⁻²U."""
        uu = self.u[:, :, None] * self.u[:, None, :]
        s2 = self.clusters.block_sum(uu * (self.d_inv**2)[:, None, None])
        s3 = self.clusters.block_sum(uu * (self.d_inv**3)[:, None, None])
        ks2 = self.k_mat @ s2
        return float(
            (self.d_inv**2).sum()
            - 2.0 * np.einsum("jrs,jsr->", self.k_mat, s3)
            + np.einsum("jrs,jsr->", ks2, ks2)
        )
