"""Which studies drive the clusters of a GOSH plot (after dmetar's ``gosh.diagnostics``).

The GOSH cloud (one point per subset: pooled estimate and I²) is standardised and clustered
with three unsupervised algorithms from scikit-learn, as in Harrer et al. (2021, ch. 5.4.3):
k-means (3 centres), DBSCAN (ε = 0.15, 5 points; label −1 is noise) and a Gaussian mixture
(2 components). Each is seeded. DBSCAN and the mixture run on at most ``max_points`` subsets
drawn at random (their cost grows faster than linearly), k-means on all.

A cluster is *driven* by a study when subsets in that cluster contain the study much more (or
much less) often than subsets outside it: the difference of the two inclusion shares is at
least ``threshold`` (default 0.3; each study is in about half of all subsets). Only clusters
holding at least ``min_share`` of the subsets are examined. A study flagged by any algorithm
is reported; this rule is metareview's own reading of the cloud, not a copy of dmetar's.

>>> import numpy as np
>>> from metareview.stats.gosh import gosh
>>> yi = [0.2, 0.25, 0.3, 0.22, 0.28, 0.18, 0.24, 0.31, 0.27, 1.2]
>>> vi = [0.01, 0.012, 0.011, 0.01, 0.013, 0.01, 0.012, 0.011, 0.01, 0.01]
>>> diag = gosh_diagnostics(gosh(yi, vi, method="DL"))
>>> [r.flagged for r in diag.results]  # k-means also splits the main cloud by estimate
[('1', '6', '10'), ('10',), ('10',)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from metareview.errors import InputError
from metareview.stats.gosh import GoshResult

ALGORITHMS = ("kmeans", "dbscan", "gmm")


@dataclass(frozen=True)
class ClusterDrivers:
    """One algorithm's clusters and, per cluster, the inclusion-share difference per study."""

    algorithm: str
    labels: np.ndarray  # one label per fitted subset (−1: noise or not clustered)
    clusters: tuple[int, ...]
    sizes: tuple[int, ...]
    share_difference: np.ndarray  # clusters × studies
    flagged: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "clusters": [
                {"cluster": int(c), "size": int(n), "share_difference": [float(x) for x in d]}
                for c, n, d in zip(self.clusters, self.sizes, self.share_difference)
            ],
            "flagged": list(self.flagged),
        }


@dataclass(frozen=True)
class GoshDiagnostics:
    """The clusters each algorithm found in a GOSH cloud and the studies that drive them;
    ``threshold`` is the least share difference that makes a study a driver."""

    studies: tuple[str, ...]
    results: tuple[ClusterDrivers, ...]
    threshold: float

    @property
    def flagged(self) -> tuple[str, ...]:
        """Studies flagged by at least one algorithm, in study order."""
        hit = {s for r in self.results for s in r.flagged}
        return tuple(s for s in self.studies if s in hit)

    def to_dict(self) -> dict[str, Any]:
        return {
            "studies": list(self.studies),
            "threshold": self.threshold,
            "algorithms": [r.to_dict() for r in self.results],
            "flagged": list(self.flagged),
        }

    def summary(self) -> str:
        lines = ["GOSH diagnostics (studies driving the clusters):"]
        for r in self.results:
            lines.append(f"  {r.algorithm}: {', '.join(r.flagged) if r.flagged else 'none'}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary() + "</pre>"


def _drivers(
    algorithm: str,
    labels: np.ndarray,
    membership: np.ndarray,
    studies: tuple[str, ...],
    threshold: float,
    min_share: float,
) -> ClusterDrivers:
    clustered = labels >= 0
    clusters, sizes, diffs = [], [], []
    flagged: set[int] = set()
    for cluster in sorted(set(labels[clustered].tolist())):
        inside = labels == cluster
        outside = clustered & ~inside
        if inside.sum() < min_share * clustered.sum() or not outside.any():
            continue
        diff = membership[inside].mean(axis=0) - membership[outside].mean(axis=0)
        clusters.append(cluster)
        sizes.append(int(inside.sum()))
        diffs.append(diff)
        flagged.update(np.flatnonzero(np.abs(diff) >= threshold).tolist())
    return ClusterDrivers(
        algorithm=algorithm,
        labels=labels,
        clusters=tuple(clusters),
        sizes=tuple(sizes),
        share_difference=np.array(diffs).reshape(len(diffs), len(studies)),
        flagged=tuple(studies[j] for j in sorted(flagged)),
    )


def gosh_diagnostics(
    result: GoshResult,
    *,
    algorithms: tuple[str, ...] = ALGORITHMS,
    kmeans_clusters: int = 3,
    dbscan_eps: float = 0.15,
    dbscan_min_points: int = 5,
    gmm_components: int = 2,
    threshold: float = 0.3,
    min_share: float = 0.05,
    max_points: int = 10_000,
    seed: int = 123,
) -> GoshDiagnostics:
    """Cluster the GOSH cloud and find the studies that drive each cluster."""
    from sklearn.cluster import DBSCAN, KMeans
    from sklearn.mixture import GaussianMixture

    unknown = sorted(set(algorithms) - set(ALGORITHMS))
    if unknown:
        raise InputError(f"algorithms must be among {', '.join(ALGORITHMS)}; got {unknown}")
    if not 0.0 < threshold <= 1.0:
        raise InputError(f"threshold must be in (0, 1]; got {threshold!r}")
    usable = result.subset_k >= 2  # one-study subsets have no heterogeneity
    points = np.column_stack([result.estimate[usable], result.i2[usable]])
    scale = points.std(axis=0)
    points = (points - points.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    membership = result.membership[usable]
    rng = np.random.default_rng(seed)
    sample = (
        np.sort(rng.choice(len(points), max_points, replace=False))
        if len(points) > max_points
        else np.arange(len(points))
    )
    out = []
    for algorithm in algorithms:
        labels = np.full(len(points), -1)
        if algorithm == "kmeans":
            model = KMeans(n_clusters=kmeans_clusters, n_init=1, random_state=seed)
            labels = model.fit_predict(points)
        elif algorithm == "dbscan":
            model = DBSCAN(eps=dbscan_eps, min_samples=dbscan_min_points)
            labels[sample] = model.fit_predict(points[sample])
        else:
            model = GaussianMixture(n_components=gmm_components, random_state=seed)
            labels[sample] = model.fit(points[sample]).predict(points[sample])
        out.append(_drivers(algorithm, labels, membership, result.studies, threshold, min_share))
    return GoshDiagnostics(studies=result.studies, results=tuple(out), threshold=threshold)
