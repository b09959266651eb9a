"""GOSH plot (Olkin, Dahabreh & Trikalinos 2012): the pooled estimate of every fitted subset
against its I², optionally coloured by whether the subsets contain one study, or by the
clusters of :func:`metareview.stats.gosh_diagnostics.gosh_diagnostics`.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from metareview.stats.gosh import gosh
>>> res = gosh([0.1, 0.3, 0.35, 0.9], [0.02, 0.03, 0.02, 0.04], method="DL")
>>> ax = gosh_plot(res, highlight="4")
>>> ax.get_xlabel(), ax.get_ylabel()
('Pooled estimate', 'I² (%)')
"""

from __future__ import annotations

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.axes import Axes

from metareview.report.plain_text import plain
from metareview.stats.gosh import GoshResult


def gosh_plot(
    result: GoshResult,
    *,
    ax: Axes | None = None,
    highlight: str | None = None,
    labels: np.ndarray | None = None,
    max_points: int = 200_000,
    seed: int = 0,
    xlabel: str = "Pooled estimate",
) -> Axes:
    """Scatter of estimate (x) against I² (y), one point per subset.

    Parameters
    ----------
    highlight : a study label; subsets containing it are drawn in red.
    labels : one cluster label per subset (e.g. ``diagnostics.results[0].labels``, which are
        given for subsets of two or more studies); noise (−1) in grey.
    max_points : draw at most this many points (a seeded random sample), so that plots of
        10⁶ subsets stay light.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    index = np.arange(result.n_subsets)
    usable = result.subset_k >= 2
    if labels is not None:
        colour_values = np.full(result.n_subsets, -1)
        colour_values[usable] = labels
    if len(index) > max_points:
        index = np.sort(np.random.default_rng(seed).choice(index, max_points, replace=False))
    x, y = result.estimate[index], result.i2[index]
    if highlight is not None:
        if highlight not in result.studies:
            raise ValueError(f"highlight must be one of the study labels; got {highlight!r}")
        column = result.studies.index(highlight)
        inside = result.membership[index, column]
        ax.scatter(
            x[~inside], y[~inside], s=2, alpha=0.3, c="#34495e", label=f"without {highlight}"
        )
        ax.scatter(x[inside], y[inside], s=2, alpha=0.3, c="#c0392b", label=f"with {highlight}")
        ax.legend(markerscale=5, frameon=False)
    elif labels is not None:
        ax.scatter(x, y, s=2, alpha=0.3, c=colour_values[index], cmap="tab10")
    else:
        ax.scatter(x, y, s=2, alpha=0.3, c="#34495e")
    ax.set_xlabel(plain(xlabel))
    ax.set_ylabel("I² (%)")
    ax.set_ylim(-2, 102)
    return ax
