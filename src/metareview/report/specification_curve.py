"""The specification-curve plot of a multiverse analysis (Simonsohn et al. 2020; Voracek et
al. 2019): every fitted specification's estimate with its CI, sorted, above a panel that marks
which choice each specification made. CIs beyond the 5th and 95th percentiles of their bounds
run off the axis. matplotlib is imported when a curve is drawn."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from metareview.plan.multiverse import MultiverseResult
    from metareview.plan.multiverse_record import MultiverseRecord

SIGNIFICANT, NOT_SIGNIFICANT = "#1b6ca8", "#9a9a9a"


def specification_curve(
    result: MultiverseResult, axes: tuple[Axes, Axes] | None = None
) -> tuple[Axes, Axes]:
    """Draw the curve (upper axes) and the choices panel (lower axes); returns both.

    >>> import pandas as pd
    >>> from metareview.plan.multiverse import Factors, multiverse
    >>> effects = pd.DataFrame({"study": list("ABCDE"), "yi": [0.1, 0.3, 0.2, 0.8, 0.4],
    ...                         "vi": [0.02, 0.03, 0.02, 0.01, 0.05]})
    >>> top, bottom = specification_curve(multiverse(effects, Factors(methods=("DL",))))
    >>> len(bottom.get_yticklabels())  # 3 study sets, 1 effect, 2 models, 2 methods, 2 CIs
    10
    """
    import matplotlib.pyplot as plt

    fits = result.fitted().sort_values("estimate", kind="stable")
    # the choices' levels in the order the multiverse crossed them
    rows = [
        (c, level)
        for c in result.choices
        for level in dict.fromkeys(result.fitted()[c].astype(str))
    ]
    if axes is None:
        _, axes = plt.subplots(
            2, 1, sharex=True, figsize=(8, 3 + 0.22 * len(rows)),
            gridspec_kw={"height_ratios": [3, max(1.0, 0.25 * len(rows))]},
        )  # fmt: skip
    top, bottom = axes
    x = np.arange(len(fits))
    alpha = 1 - result.factors.level
    colours = np.where(fits["pvalue"] < alpha, SIGNIFICANT, NOT_SIGNIFICANT)
    top.vlines(x, fits["ci_lower"], fits["ci_upper"], colors=colours, linewidth=0.8)
    top.scatter(x, fits["estimate"], c=colours, s=8, zorder=3)
    top.axhline(0, color="black", linewidth=0.6)
    median = fits["estimate"].median()
    top.axhline(median, color=SIGNIFICANT, linestyle="--", linewidth=0.8)
    top.set_ylim(*_limits(fits))
    top.set_ylabel(f"Estimate ({result.factors.level:.0%} CI)")
    top.set_title(
        f"{len(fits)} specifications; median {median:.2f}; "
        f"{(fits['pvalue'] < alpha).mean():.0%} significant (blue)",
        fontsize=9,
    )
    for n, (column, level) in enumerate(rows):
        chosen = (fits[column].astype(str) == level).to_numpy()
        bottom.scatter(x[chosen], np.full(chosen.sum(), n), marker="|", s=40, c=colours[chosen])
    bottom.set_yticks(range(len(rows)))
    bottom.set_yticklabels([f"{c}: {level}" for c, level in rows], fontsize=7, parse_math=False)
    bottom.set_ylim(len(rows) - 0.5, -0.5)
    bottom.set_xlabel("Specification (sorted by estimate)")
    bottom.set_xlim(-1, max(len(fits), 1))
    return top, bottom


def _limits(fits) -> tuple[float, float]:
    """The curve's y range: every estimate and 0, and the CIs up to their 5th and 95th
    percentiles, so a few very wide CIs (e.g. of two studies under Knapp–Hartung) run off the
    axis instead of flattening the curve."""
    if fits.empty:
        return -1.0, 1.0
    low = min(fits["estimate"].min(), np.nanpercentile(fits["ci_lower"], 5), 0.0)
    high = max(fits["estimate"].max(), np.nanpercentile(fits["ci_upper"], 95), 0.0)
    pad = 0.05 * (high - low or 1.0)
    return float(low - pad), float(high + pad)


def multiverse_figure(record: MultiverseRecord) -> Figure:
    """The specification curve of ``record`` (points rasterised so the SVG stays small)."""
    from matplotlib.figure import Figure

    result = record.result()
    rows = sum(result.fitted()[c].astype(str).nunique() for c in result.choices)
    figure = Figure(figsize=(8.0, 3.0 + 0.22 * rows))
    top, bottom = figure.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [3, max(1.0, 0.25 * rows)]}
    )
    specification_curve(result, axes=(top, bottom))
    for ax in (top, bottom):
        for collection in ax.collections:
            collection.set_rasterized(True)
    figure.tight_layout()
    return figure
