"""Baujat plot (Baujat et al. 2002): each study's contribution to the heterogeneity statistic
(x) against its influence on the pooled result (y); studies in the upper right both add
heterogeneity and move the estimate.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from metareview.stats.influence import influence
>>> res = influence([0.1, 0.3, 0.35, 0.65, 1.4], [0.03, 0.03, 0.05, 0.01, 0.04], method="DL")
>>> ax = baujat_plot(res)
>>> len(ax.texts)
5
"""

from __future__ import annotations

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.axes import Axes

from metareview.plan.analysis import AnalysisResult
from metareview.report.plain_text import plain
from metareview.report.plot_inputs import influence_input
from metareview.stats.influence import InfluenceResult


def baujat_plot(
    result: InfluenceResult | AnalysisResult,
    *,
    ax: Axes | None = None,
    labels: bool = True,
    max_labels: int | None = 10,
) -> Axes:
    """Draw the Baujat plot of an :class:`~metareview.stats.influence.InfluenceResult`.

    Influential studies (metafor's criteria) are drawn in red. With many studies the labels
    of the unremarkable ones would pile up near the origin, so only the studies among the
    ``max_labels`` largest on either axis, and every influential study, are named
    (``max_labels=None`` names all). Returns the axes.
    """
    result = influence_input(result)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    colours = ["#c0392b" if flag else "#2c3e50" for flag in result.influential]
    ax.scatter(result.baujat_x, result.baujat_y, c=colours, s=28, zorder=3)
    if labels:
        named = labelled_studies(result, max_labels)
        for x, y, study, keep in zip(result.baujat_x, result.baujat_y, result.studies, named):
            if keep:
                ax.annotate(
                    plain(study), (x, y), xytext=(4, 3), textcoords="offset points", fontsize=8
                )
    ax.set_xlabel("Contribution to overall heterogeneity")
    ax.set_ylabel("Influence on overall result")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    return ax


def labelled_studies(result: InfluenceResult, max_labels: int | None) -> np.ndarray:
    """Which studies the plot names: the ``max_labels`` largest on either axis and the
    influential ones (all when ``max_labels`` is None or at least the number of studies).

    >>> from metareview.stats.influence import influence
    >>> res = influence([0.1, 0.3, 0.35, 0.65, 1.4], [0.03, 0.03, 0.05, 0.01, 0.04], method="DL")
    >>> labelled_studies(res, 2).tolist()
    [True, False, False, False, True]
    """
    k = len(result.studies)
    if max_labels is None or max_labels >= k:
        return np.ones(k, dtype=bool)
    if max_labels < 0:
        raise ValueError(f"max_labels must be a non-negative integer or None; got {max_labels!r}")
    named = np.asarray(result.influential, dtype=bool).copy()
    for values in (result.baujat_x, result.baujat_y):
        order = np.argsort(-np.asarray(values, dtype=float), kind="stable")
        named[order[:max_labels]] = True
    return named
