"""Contour-enhanced funnel plot (Peters et al. 2008), with trim-and-fill's imputed studies.

Effects (x) against standard errors (y, 0 at the top). Shaded bands around the null value
mark where a study's two-sided p-value lies: white p > .10, dark grey .05 < p ≤ .10, grey
.01 < p ≤ .05 and light grey p ≤ .01 (the levels are those of the funnel data; metafor's
colours). Dashed lines:
the pseudo-confidence region around the pooled estimate. Studies imputed by trim-and-fill are
drawn as open circles.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from metareview.stats.bias.funnel import funnel_data
>>> ax = funnel_plot(funnel_data([0.2, 0.5, 0.9], [0.01, 0.04, 0.09]))
>>> bool(ax.get_ylim()[0] > ax.get_ylim()[1])  # standard error grows downwards
True
"""

from __future__ import annotations

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from metareview.plan.analysis import AnalysisResult
from metareview.report.plain_text import plain
from metareview.report.plot_inputs import FilledStudies, filled_studies, funnel_input
from metareview.report.ratio_axis import set_ratio_axis
from metareview.stats import distributions as dist
from metareview.stats.bias.funnel import FunnelData
from metareview.stats.bias.trimfill import TrimFillResult

BACKGROUND = "#d3d3d3"  # lightgray: p at or below the smallest contour level
BAND_SHADES = ("#bfbfbf", "#8c8c8c", "#737373")  # gray75, gray55, gray45: inwards, darker


def funnel_plot(
    funnel: FunnelData | AnalysisResult,
    *,
    ax: Axes | None = None,
    trim_and_fill: TrimFillResult | FilledStudies | None = None,
    contours: bool = True,
    xlabel: str = "Effect size",
    exp_labels: bool = False,
) -> Axes:
    """Draw a (contour-enhanced) funnel plot.

    Parameters
    ----------
    funnel : FunnelData or AnalysisResult
        From :func:`metareview.stats.bias.funnel.funnel_data`, or an ``analyze`` result
        (its pooled studies).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure's axes).
    trim_and_fill : TrimFillResult or FilledStudies, optional
        Adds the imputed studies (open circles) and the adjusted estimate (dotted line).
    contours : bool
        Shade the significance bands (otherwise a plain funnel plot).
    xlabel : str
        Label of the effect axis.
    exp_labels : bool
        For ratio measures (analysed on the log scale): label the ticks with exp(x), so the
        axis reads as odds or risk ratios on a log scale.

    Returns
    -------
    Axes
    """
    funnel = funnel_input(funnel)
    if trim_and_fill is not None:
        trim_and_fill = filled_studies(trim_and_fill)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    yi, sei = np.asarray(funnel.yi), np.asarray(funnel.sei)
    filled_yi = np.asarray(trim_and_fill.filled_yi if trim_and_fill else [])
    filled_se = np.sqrt(np.asarray(trim_and_fill.filled_vi if trim_and_fill else []))
    se_top = 1.05 * max(funnel.se_max, float(filled_se.max()) if filled_se.size else 0.0)
    grid = np.array([0.0, se_top])
    all_x = np.concatenate([yi, filled_yi])
    outer = max(funnel.contour_halfwidths().values()) * se_top
    span = max(np.abs(all_x - funnel.null).max(initial=0.0), outer) * 1.1
    left, right = funnel.null - span, funnel.null + span
    legend = []
    if contours:
        legend = _shade_bands(ax, funnel, grid, left, right)
    z_ci = float(dist.z_crit(funnel.level))
    ax.plot(funnel.center - z_ci * grid, grid, ls="--", color="black", lw=0.8, zorder=2)
    ax.plot(funnel.center + z_ci * grid, grid, ls="--", color="black", lw=0.8, zorder=2)
    ax.axvline(funnel.center, color="black", lw=0.8, zorder=2)
    ax.scatter(yi, sei, s=22, color="black", zorder=3, label="Studies")
    if trim_and_fill is not None and filled_yi.size:
        ax.scatter(
            filled_yi,
            filled_se,
            s=22,
            facecolor="white",
            edgecolor="black",
            zorder=3,
            label=f"Imputed by trim-and-fill ({trim_and_fill.k0})",
        )
    if trim_and_fill is not None:
        ax.axvline(trim_and_fill.estimate, color="black", lw=0.8, ls=":", zorder=2)
    ax.set_xlim(left, right)
    ax.set_ylim(se_top, 0.0)
    ax.set_xlabel(plain(xlabel))
    if exp_labels:
        set_ratio_axis(ax.xaxis, left, right)
    ax.set_ylabel("Standard error")
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles=[*handles, *legend], loc="upper left", fontsize=7, frameon=True)
    return ax


def _shade_bands(
    ax: Axes, funnel: FunnelData, grid: np.ndarray, left: float, right: float
) -> list[Patch]:
    """Shade the p-value bands around the null; return their legend entries.

    Bands from the outside in (metafor's ``funnel(level = c(90, 95, 99))`` colours):
    p ≤ α₁ light grey, then darker greys up to the largest α, white for p above it.
    """
    alphas = sorted(funnel.contours)  # e.g. .01, .05, .10: widest band first
    shades = [*BAND_SHADES[: len(alphas) - 1], "white"]
    ax.axvspan(left, right, color=BACKGROUND, lw=0, zorder=0)
    legend = [Patch(facecolor=BACKGROUND, edgecolor="#999999", label=f"p ≤ {alphas[0]:g}")]
    for i, (alpha, shade) in enumerate(zip(alphas, shades, strict=True)):
        z = funnel.contour_halfwidths()[alpha]
        ax.fill_betweenx(
            grid, funnel.null - z * grid, funnel.null + z * grid, color=shade, lw=0, zorder=0
        )
        upper = alphas[i + 1] if i + 1 < len(alphas) else None
        label = f"{alpha:g} < p ≤ {upper:g}" if upper else f"p > {alpha:g}"
        legend.append(Patch(facecolor=shade, edgecolor="#999999", label=label))
    return legend
