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

from matplotlib import pyplot as plt
from matplotlib.axes import Axes

from metareview.stats.influence import InfluenceResult


def baujat_plot(result: InfluenceResult, *, ax: Axes | None = None, labels: bool = True) -> Axes:
    """Draw the Baujat plot of an :class:`~metareview.stats.influence.InfluenceResult`.

    Influential studies (metafor's criteria) are drawn in red. Returns the axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    colours = ["#c0392b" if flag else "#2c3e50" for flag in result.influential]
    ax.scatter(result.baujat_x, result.baujat_y, c=colours, s=28, zorder=3)
    if labels:
        for x, y, study in zip(result.baujat_x, result.baujat_y, result.studies):
            ax.annotate(study, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=8)
    ax.set_xlabel("Contribution to overall heterogeneity")
    ax.set_ylabel("Influence on overall result")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    return ax
