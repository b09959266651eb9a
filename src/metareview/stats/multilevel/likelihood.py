"""(Restricted) log-likelihood of the three-level model and its gradient in σ².

For ``y ~ N(Xβ, M(σ²))`` with ``M = V + σ²_between Z Zᵀ + σ²_within I`` (Z: study indicators),
β profiled out by GLS. With ``P = M⁻¹ − M⁻¹X(XᵀM⁻¹X)⁻¹XᵀM⁻¹`` (REML) or ``M⁻¹`` at the GLS
residuals (ML), the score of a variance component with design ``G`` is
``−½ [tr(P G) − rᵀM⁻¹ G M⁻¹r]`` (Harville 1977). The REML log-likelihood includes
``+½ log det XᵀX``, as metafor's does, so the values are metafor's ``logLik``.

>>> from metareview.stats.multilevel.clusters import Clusters
>>> from metareview.stats.multilevel.covariance import independent_covariance
>>> c = Clusters.from_labels([1, 1, 2, 2, 3])
>>> y = np.array([0.1, 0.3, 0.5, 0.4, -0.1]); v = np.full(5, 0.02)
>>> data = ModelData(y, np.ones((5, 1)), independent_covariance(v, c), c)
>>> ev = evaluate(data, (0.05, 0.01), "REML")
>>> round(ev.loglik, 6), round(float(ev.beta[0]), 6)
(0.595058, 0.202222)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from metareview.stats.multilevel.clusters import Clusters
from metareview.stats.multilevel.covariance import Marginal, SamplingCovariance

LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class ModelData:
    """Effects, design and sampling covariance in study-sorted row order."""

    y: np.ndarray
    x: np.ndarray
    sampling: SamplingCovariance
    clusters: Clusters

    @property
    def k(self) -> int:
        return len(self.y)

    @property
    def p(self) -> int:
        return self.x.shape[1]


@dataclass(frozen=True)
class Evaluation:
    """The likelihood at one σ²: value, score, GLS coefficients and their covariance.

    :meth:`curvature` gives the information matrices (computed only when a step needs them).
    """

    loglik: float
    gradient: np.ndarray
    beta: np.ndarray
    vcov: np.ndarray
    marginal: Marginal
    resid: np.ndarray
    method: str
    pieces: tuple[np.ndarray, ...]  # M⁻¹X, M⁻¹1, M⁻¹r, and its study sums

    def curvature(self) -> tuple[np.ndarray, np.ndarray]:
        """(average information, observed information) of the profiled likelihood.

        The average information is ``½ (G_m P r)ᵀ P (G_n P r)`` (Gilmour, Thompson & Cullis
        1995); the observed one ``(G_m P r)ᵀ P (G_n P r) − ½ tr(Q G_m Q G_n)`` with Q = P
        (REML) or M⁻¹ (ML; the derivative of β̂ turns M⁻¹ in the first term into P). ``M⁻¹``
        of a vector constant within studies is that constant times ``M_j⁻¹ 1``.
        """
        mi_x, mi_1, u, cluster_u = self.pieces
        marginal, vcov = self.marginal, self.vcov
        clusters = marginal.clusters
        z = np.column_stack([clusters.spread(cluster_u), u])
        mi_z = np.column_stack([z[:, 0] * mi_1, marginal.solve(np.column_stack([u, mi_x]))])
        zmz = z.T @ mi_z[:, :2]
        xz = mi_x.T @ z
        quad = zmz - xz.T @ vcov @ xz
        average = 0.5 * (zmz if self.method == "ML" else quad)
        traces = _trace_products(
            clusters, marginal, mi_x, mi_1, mi_z[:, 2:], vcov, self.method == "REML"
        )
        return (average + average.T) / 2.0, (quad + quad.T) / 2.0 - 0.5 * traces


def evaluate(data: ModelData, sigma2: tuple[float, float], method: str) -> Evaluation:
    """Log-likelihood (``REML`` or ``ML``) and its gradient at ``sigma2 = (between, within)``."""
    clusters, x, y = data.clusters, data.x, data.y
    marginal = Marginal(data.sampling, clusters, sigma2)
    solved = marginal.solve(np.column_stack([x, y, np.ones_like(y)]))
    p = data.p
    mi_x, mi_y, mi_1 = solved[:, :p], solved[:, p], solved[:, p + 1]
    xtmx = x.T @ mi_x
    vcov = np.linalg.inv(xtmx)
    beta = vcov @ (x.T @ mi_y)
    resid = y - x @ beta
    u = mi_y - mi_x @ beta
    rss = float(resid @ u)
    cluster_u = clusters.block_sum(u)
    trace_within = marginal.trace_inverse()
    trace_between = float(mi_1.sum())
    if method == "REML":
        cluster_x = clusters.block_sum(mi_x)
        trace_within -= float(np.sum(vcov * (mi_x.T @ mi_x)))
        trace_between -= float(np.einsum("jp,pq,jq->", cluster_x, vcov, cluster_x))
        logdet_xtmx = np.linalg.slogdet(xtmx)[1]
        logdet_xtx = np.linalg.slogdet(x.T @ x)[1]
        loglik = -0.5 * ((data.k - p) * LOG_2PI + marginal.logdet + logdet_xtmx - logdet_xtx + rss)
    else:
        loglik = -0.5 * (data.k * LOG_2PI + marginal.logdet + rss)
    gradient = -0.5 * np.array(
        [trace_between - float(cluster_u @ cluster_u), trace_within - float(u @ u)]
    )
    return Evaluation(
        float(loglik), gradient, beta, vcov, marginal, resid, method, (mi_x, mi_1, u, cluster_u)
    )


def _trace_products(clusters, marginal, mi_x, mi_1, mi2_x, vcov, reml) -> np.ndarray:
    """``tr(Q G_m Q G_n)`` for G = (study indicators Z Zᵀ, I), study by study."""
    delta = 1.0 if reml else 0.0
    a = clusters.block_sum(mi_1)
    g = clusters.block_sum(mi_x)
    gag = g @ vcov @ g.T
    between = np.diag(a) - delta * gag
    t_bb = float(np.sum(between * between))
    s = mi_x.T @ mi_x
    ag = g @ vcov  # rows: (A g_j)ᵀ
    cross = clusters.block_sum(mi_1[:, None] * mi_x)
    t_bw = float(
        clusters.block_sum(mi_1 * mi_1).sum()
        - 2.0 * delta * np.sum(cross * ag)
        + delta * np.einsum("jp,pq,jq->", ag, s, ag)
    )
    as_ = vcov @ s
    t_ww = marginal.trace_inverse_squared() - delta * (
        2.0 * float(np.sum(vcov * (mi_x.T @ mi2_x))) - float(np.sum(as_ * as_.T))
    )
    return np.array([[t_bb, t_bw], [t_bw, t_ww]])
