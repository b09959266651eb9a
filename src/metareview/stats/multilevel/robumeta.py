"""Robust variance estimation with Hedges, Tipton & Johnson's (2010) working-model weights.

Two working models, as R robumeta's ``robu``:

- **correlated effects** (``CORR``): effects of a study share one sampling error correlated by
  ρ. Weights ``1/(k_j (v̄_j + τ²))`` with v̄_j the study's mean variance; τ² by the method of
  moments of HTJ (2010, section 4.1) from the fit with weights ``1/(k_j v̄_j)``::

      τ² = [Q_E − J + tr(B Σ X_jᵀ(W_j/k_j)X_j) + ρ tr(B Σ (w_j/k_j)(X_jᵀ1 1ᵀX_j − X_jᵀX_j))]
           / [Σ w − tr(B Σ X_jᵀW_j 1 1ᵀ W_j X_j)],   B = (XᵀWX)⁻¹ (truncated at 0);

- **hierarchical effects** (``HIER``): independent effects nested in studies; weights
  ``1/(v + τ² + ω²)``, with τ² (between studies) and ω² (within) from the two moment
  equations of Q_E and Q_A = Σ_j (Σ_i e_ij)² under weights 1/v (HTJ 2010, section 4.2).

The sandwich ``B (Σ X_jᵀW_j A_j e_j e_jᵀ A_j W_j X_j) B`` uses, without the small-sample
correction, ``A_j = I`` times J/(J − p) and t on J − p df; with it (Tipton 2015), ``A_j`` is
the inverse symmetric square root of ``(I − H)_jj`` (CORR) or
``Φ_j^{1/2}(Φ_j^{1/2}(I − H)_jj Φ_j^{3/2})^{-1/2}Φ_j^{1/2}`` with ``Φ_j = W_j⁻¹`` (HIER),
eigenvalues below 1e-10 dropped, and Satterthwaite df under the working model ``Φ``.

>>> res = robu_fit([0.1, 0.3, 0.5, 0.4, -0.1, 0.0, 0.6, 0.9], [0.01] * 8, [1, 1, 2, 2, 3, 3, 4, 4])
>>> round(res.estimate[0], 4), round(res.tau2, 4), round(res.df[0], 2)
(0.3375, 0.1195, 3.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from metareview.errors import AnalysisError, InputError
from metareview.stats.multilevel.clusters import Clusters
from metareview.stats.multilevel.robust import CoefficientTests, coefficient_t_tests
from metareview.stats.vocabulary import check_choice

WEIGHTS: tuple[str, ...] = ("CORR", "HIER")
EIGEN_TOLERANCE = 1e-10


@dataclass(frozen=True)
class RobuResult(CoefficientTests):
    """Coefficients with robust SE, t, df, p and CI; τ² (and ω² for HIER) of the weights."""

    weights: str
    rho: float | None
    small: bool
    k: int
    n_studies: int
    estimate: tuple[float, ...]
    tau2: float
    omega2: float | None

    def to_dict(self) -> dict[str, Any]:
        """The fields, the coefficients' tests after their estimates."""
        return {name: getattr(self, name) for name in _DOCUMENT_ORDER}


_DOCUMENT_ORDER = (
    "weights", "rho", "small", "k", "n_studies", "estimate", *CoefficientTests.__dataclass_fields__,
    "tau2", "omega2",
)  # fmt: skip


def _tr(a: np.ndarray, b: np.ndarray) -> float:
    """tr(a b) for square matrices."""
    return float(np.sum(a * b.T))


def _wls(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    bread = np.linalg.inv(x.T @ (x * w[:, None]))
    return bread @ (x.T @ (w * y)), bread


def _corr_tau2(x, y, v, clusters: Clusters, rho: float) -> float:
    sizes = clusters.spread(clusters.sizes).astype(float)
    vbar = clusters.spread(clusters.block_sum(v) / clusters.sizes)
    w = 1.0 / (sizes * vbar)
    beta, bread = _wls(x, y, w)
    resid = y - x @ beta
    q_e = float(np.sum(w * resid**2))
    w_study = 1.0 / (clusters.sizes * clusters.block_sum(v) / clusters.sizes)
    sum_x = clusters.block_sum(x)  # X_jᵀ1 per study
    xwjwx = np.einsum("j,jp,jq->pq", w_study**2, sum_x, sum_x)
    xwkx = x.T @ (x * (w / sizes)[:, None])
    xjx_minus_xx = np.einsum("j,jp,jq->pq", w_study / clusters.sizes, sum_x, sum_x) - x.T @ (
        x * (w / sizes)[:, None]
    )
    denom = w.sum() - _tr(bread, xwjwx)
    tau2 = (q_e - clusters.n_clusters + _tr(bread, xwkx) + rho * _tr(bread, xjx_minus_xx)) / denom
    return max(float(tau2), 0.0)


def _hier_components(x, y, v, clusters: Clusters) -> tuple[float, float]:
    w = 1.0 / v
    beta, bread = _wls(x, y, w)
    resid = y - x @ beta
    q_e = float(np.sum(w * resid**2))
    q_a = float(np.sum(clusters.block_sum(resid) ** 2))
    k_j = clusters.sizes.astype(float)
    sx = clusters.block_sum(x)
    swx = clusters.block_sum(x * w[:, None])
    xjx = sx.T @ sx
    xwjx = swx.T @ sx  # Σ X_jᵀ W_j J X_j
    xwjwx = swx.T @ swx
    xwjjx = (swx * k_j[:, None]).T @ sx
    xwwx = x.T @ (x * (w**2)[:, None])
    a1 = (
        float(np.sum(k_j**2))
        - _tr(bread, xwjjx.T)
        - _tr(bread, xwjjx)
        + _tr(bread @ xjx @ bread, xwjwx)
    )
    b1 = len(y) - _tr(bread, xwjx) - _tr(bread, xwjx.T) + _tr(bread @ xjx @ bread, xwwx)
    c1 = float(v.sum()) - _tr(bread, xjx)
    a2 = float(w.sum()) - _tr(bread, xwjwx)
    b2 = float(w.sum()) - _tr(bread, xwwx)
    c2 = len(y) - x.shape[1]
    omega2 = max(((q_a - c1) * a2 - (q_e - c2) * a1) / (b1 * a2 - b2 * a1), 0.0)
    tau2 = max((q_e - c2) / a2 - omega2 * b2 / a2, 0.0)
    return float(tau2), float(omega2)


def _inverse_sqrt(m: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((m + m.T) / 2.0)
    powered = np.where(
        values < EIGEN_TOLERANCE, 0.0, 1.0 / np.sqrt(np.maximum(values, EIGEN_TOLERANCE))
    )
    return vectors @ np.diag(powered) @ vectors.T


def robu_fit(
    yi: Sequence[float],
    vi: Sequence[float],
    study: Sequence[object],
    *,
    mods: Sequence[Sequence[float]] | np.ndarray | None = None,
    weights: str = "CORR",
    rho: float = 0.8,
    small: bool = True,
    level: float = 0.95,
) -> RobuResult:
    """robumeta ``robu(y ~ mods, studynum = study, var.eff.size = vi, modelweights, rho, small)``."""
    check_choice("weights", weights, WEIGHTS)
    if not 0.0 <= rho <= 1.0:
        raise InputError(f"rho must be in [0, 1]; got {rho!r}")
    clusters = Clusters.from_labels(study)
    order = clusters.order
    y = np.asarray(yi, dtype=float)[order]
    v = np.asarray(vi, dtype=float)[order]
    x = np.ones((len(y), 1))
    if mods is not None:
        x = np.column_stack([x, np.asarray(mods, dtype=float).reshape(len(y), -1)[order]])
    p, n = x.shape[1], clusters.n_clusters
    if n <= p:
        raise AnalysisError(f"robust variance needs more studies ({n}) than coefficients ({p})")
    omega2: float | None = None
    if weights == "CORR":
        tau2 = _corr_tau2(x, y, v, clusters, rho)
        vbar = clusters.spread(clusters.block_sum(v) / clusters.sizes)
        w = 1.0 / (clusters.spread(clusters.sizes) * (vbar + tau2))
    else:
        tau2, omega2 = _hier_components(x, y, v, clusters)
        w = 1.0 / (v + tau2 + omega2)
    beta, bread = _wls(x, y, w)
    resid = y - x @ beta
    est, adjusted = [], []
    for rows in clusters.blocks():
        xw = x[rows].T * w[rows]  # X_jᵀ W_j
        if small:
            ih = np.eye(len(w[rows])) - x[rows] @ bread @ xw
            if weights == "CORR":
                adjust = _inverse_sqrt(ih)
            else:
                phi_half = np.diag(1.0 / np.sqrt(w[rows]))
                inside = phi_half @ ih @ np.diag(w[rows] ** -1.5)
                adjust = phi_half @ _inverse_sqrt(inside) @ phi_half
            xw = xw @ adjust
        est.append(xw)
        adjusted.append(xw @ resid[rows])
    components = np.array(adjusted)
    vcov = bread @ components.T @ components @ bread
    if small:
        df = _satterthwaite(x, w, clusters, bread, est)
    else:
        vcov *= n / (n - p)
        df = np.full(p, float(n - p))
    se = np.sqrt(np.diag(vcov))
    statistic = beta / se
    unsorted_k = len(y)
    return RobuResult(
        weights=weights,
        rho=rho if weights == "CORR" else None,
        small=small,
        k=unsorted_k,
        n_studies=n,
        estimate=tuple(beta.tolist()),
        **coefficient_t_tests(beta, se, statistic, df, level),
        tau2=tau2,
        omega2=omega2,
    )


def _satterthwaite(x, w, clusters: Clusters, bread, est) -> np.ndarray:
    """df = tr(Ω)²/‖Ω‖² with Ω_jl = δ_jl p_jᵀΦ_j p_j − (p_jᵀX_j) B (X_lᵀp_l), Φ = W⁻¹."""
    df = []
    for i in range(x.shape[1]):
        p_blocks = [bread[i] @ e for e in est]
        diag = np.array([np.sum(pj**2 / w[rows]) for pj, rows in zip(p_blocks, clusters.blocks())])
        xp = np.array([pj @ x[rows] for pj, rows in zip(p_blocks, clusters.blocks())])
        omega = np.diag(diag) - xp @ bread @ xp.T
        df.append(np.trace(omega) ** 2 / np.sum(omega * omega))
    return np.array(df)
