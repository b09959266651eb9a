"""Forest plots in three layouts: ``revman5`` (Cochrane), ``jama`` and ``meta`` (R meta).

A plot has text columns left and right of an effect panel: study rows (square ∝ weight, CI
line), pooled diamonds, the prediction interval, subgroup sections with their subtotals and
the test for subgroup differences, the heterogeneity and overall-effect lines and the
"favours" labels. Long study labels are truncated with an ellipsis at ``max_label``
characters; row height is fixed, so nothing overlaps up to 60 studies and beyond.

:mod:`~metareview.report.forest_columns` holds the text of the columns,
:mod:`~metareview.report.forest_layout` where lines and columns go; this module draws.
:func:`forest_plot` draws on an ``ax`` (the effect panel; text columns are placed in the
figure margins beside it) and returns it; :func:`forest_figure` makes a figure of the right
size first. :func:`save_figure` writes SVG/PDF and 300-dpi PNG deterministically.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from matplotlib import rc_context, transforms
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle
from matplotlib.ticker import MaxNLocator

from metareview.plan.results import AnalysisRecord
from metareview.report.forest_columns import BADGE, Column, _arm, columns_for
from metareview.report.forest_data import ForestData, ForestRow, PooledRow, forest_data
from metareview.report.forest_layout import (
    FONT_SIZE,
    PANEL_INCHES,
    _lines,
    _truncate,
    column_positions,
    effect_range,
    figure_size,
)
from metareview.report.plain_text import plain
from metareview.report.ratio_axis import set_ratio_axis

# columns_for and _arm: the text columns, importable from here as before the split
__all__ = ["LAYOUTS", "_arm", "columns_for", "forest_figure", "forest_plot", "save_figure"]
LAYOUTS = ("revman5", "jama", "meta")
STYLES = {
    "revman5": {"square": "#1f8a3b", "diamond": "black", "pi": "#888888", "null": "black"},
    "jama": {"square": "#1f4e79", "diamond": "#1f4e79", "pi": "#7f9fbf", "null": "#555555"},
    "meta": {"square": "#808080", "diamond": "black", "pi": "#c0392b", "null": "#333333"},
}


def forest_figure(
    record: AnalysisRecord | ForestData,
    layout: str = "meta",
    *,
    subgroup: str | None = None,
    max_label: int = 32,
    rob_column: str | None = None,
    links: Mapping[str, str] | None = None,
) -> Figure:
    """A figure sized for ``record``'s forest plot in ``layout`` (see :func:`forest_plot`).

    ``rob_column`` names the input column with each study's overall risk of bias, shown as a
    coloured +, ? or − column. ``links`` maps a study's label to a URL: its label becomes a
    link in the SVG (e.g. the workspace's page of the study's extraction cells).
    """
    data = _as_data(record, subgroup, rob_column)
    width, height, left_w, _right_w = figure_size(data, layout, max_label)
    figure = Figure(figsize=(width, height))
    bottom = 0.6 / height
    ax = figure.add_axes((left_w / width, bottom, PANEL_INCHES / width, 1 - bottom - 0.05 / height))
    _draw(data, layout, ax, max_label, links=links)
    return figure


def _as_data(
    record: AnalysisRecord | ForestData, subgroup: str | None, rob_column: str | None = None
) -> ForestData:
    if isinstance(record, ForestData):
        return record
    return forest_data(record, subgroup, rob_column=rob_column)


def forest_plot(
    record: AnalysisRecord | ForestData,
    *,
    layout: str = "meta",
    ax: Axes | None = None,
    subgroup: str | None = None,
    max_label: int = 32,
    rob_column: str | None = None,
) -> Axes:
    """Draw the forest plot of ``record`` and return the axes it is in.

    Without ``ax``, a figure of the right size is made (:func:`forest_figure`) and its effect
    panel returned. Given a user's ``ax`` (e.g. one panel of a grid), the whole plot — text
    columns, effect panel, axis and "favours" labels — is fitted inside ``ax``: the effect
    panel is an inset, and text shrinks when ``ax`` is smaller than the plot's natural size,
    so nothing spills into a neighbouring panel; ``ax`` itself is returned.

    >>> from metareview.report.forest_data import forest_data
    >>> forest_plot(_example(), layout="revman5").get_xscale()
    'linear'
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}; got {layout!r}")
    data = _as_data(record, subgroup, rob_column)
    if ax is None:
        return forest_figure(data, layout, max_label=max_label).axes[0]
    panel, scale = _inset_panel(ax, data, layout, max_label)
    _draw(data, layout, panel, max_label, scale)
    return ax


def _inset_panel(ax: Axes, data: ForestData, layout: str, max_label: int) -> tuple[Axes, float]:
    """The effect panel inside a user's ``ax``, placed as :func:`forest_figure` places it in a
    figure, and the factor by which text and margins shrink to fit ``ax``."""
    width, height, left_w, right_w = figure_size(data, layout, max_label)
    box = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()
    ax_w, ax_h = box.width * fig_w, box.height * fig_h
    scale = min(1.0, ax_w / width, ax_h / height)
    ax.set_axis_off()
    left, right = left_w * scale / ax_w, right_w * scale / ax_w
    bottom, top = 0.6 * scale / ax_h, 0.05 * scale / ax_h
    panel = ax.inset_axes((left, bottom, 1 - left - right, 1 - bottom - top))
    return panel, scale


def _draw(
    data: ForestData,
    layout: str,
    ax: Axes,
    max_label: int,
    scale: float = 1.0,
    links: Mapping[str, str] | None = None,
) -> None:
    """Draw ``data`` on the effect panel ``ax``, text columns beside it (``scale``: the
    factor applied to font sizes and column offsets; ``links``: study label → URL)."""
    lines = _lines(data, layout)
    ax.set_ylim(len(lines) + 0.2, -2.2)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", labelsize=(FONT_SIZE - 0.5) * scale)
    panel = _Panel(ax, data, layout, column_positions(data, layout, max_label), scale)
    panel.headers()
    weights = [r.weight for r in data.rows if r.weight]
    max_weight = max(weights) if weights else 1.0
    drawn_rows = []
    for y, line in enumerate(lines):
        if line.kind in ("section", "text"):
            panel.text_line(y, line.item, bold=line.kind == "section")
        elif line.kind == "study":
            drawn_rows.append(y)
            panel.study(y, line.item, max_label, max_weight, links or {})
        elif line.kind == "pooled":
            drawn_rows.append(y)
            panel.pooled(y, line.item)
    if drawn_rows:
        panel.reference_lines(min(drawn_rows) - 0.6, max(drawn_rows) + 0.6)
    panel.axis(*effect_range(data))


class _Panel:
    """Draws on a forest plot's effect panel and the text columns beside it."""

    def __init__(
        self,
        ax: Axes,
        data: ForestData,
        layout: str,
        positions: list[tuple[Column, float, float]],
        scale: float,
    ):
        self.ax, self.data, self.layout, self.scale = ax, data, layout, scale
        self.style = STYLES[layout]
        self.positions = positions
        self.base = transforms.blended_transform_factory(ax.transAxes, ax.transData)
        self.offsets: dict[float, transforms.Transform] = {}
        self.text_kw = {"fontsize": FONT_SIZE * scale, "va": "center", "clip_on": False}

    def at(self, dx_inches: float) -> transforms.Transform:
        """x: ``dx_inches`` from the panel edge given as the text's x; y: the row (data)."""
        if dx_inches not in self.offsets:
            figure = self.ax.figure
            shift = transforms.ScaledTranslation(dx_inches * self.scale, 0, figure.dpi_scale_trans)
            self.offsets[dx_inches] = self.base + shift
        return self.offsets[dx_inches]

    def headers(self) -> None:
        """The columns' headers and the effect axis' label above the first row."""
        bottom = {**self.text_kw, "va": "bottom"}
        for column, edge, dx in self.positions:
            self.ax.text(
                edge, -1, plain(column.header), transform=self.at(dx), ha=column.align,
                fontweight="bold", **bottom,
            )  # fmt: skip
        self.ax.text(
            0.5, -1, plain(self.data.axis_label(self.layout)), transform=self.base,
            ha="center", fontweight="bold", **bottom,
        )  # fmt: skip

    def text_line(self, y: int, text: str, bold: bool) -> None:
        """A section title (bold) or a line of text (heterogeneity, tests, legend)."""
        first_x = self.positions[0][2]
        style = {"fontweight": "bold"} if bold else {"fontsize": (FONT_SIZE - 0.5) * self.scale}
        self.ax.text(
            0, y, plain(text), transform=self.at(first_x), ha="left", **{**self.text_kw, **style}
        )

    def study(
        self, y: int, row: ForestRow, max_label: int, max_weight: float, links: Mapping[str, str]
    ) -> None:
        """A study's texts, CI line and square (area by weight)."""
        for column, edge, dx in self.positions:
            text = column.study(row)
            if column.align == "left":
                text = _truncate(text, max_label)
            badge = column.color(row) if column.color else None
            drawn = self.ax.text(
                edge,
                y,
                plain(text),
                transform=self.at(dx),
                ha=column.align,
                fontweight="bold" if badge else "normal",
                bbox=None if badge is None else {**BADGE, "facecolor": badge},
                **self.text_kw,
            )
            if column is self.positions[0][0] and row.label in links:
                drawn.set_url(links[row.label])
        ax = self.ax
        ax.plot([row.lower, row.upper], [y, y], color="black", lw=0.8, solid_capstyle="butt")
        size = self.scale * (2.5 + 6.5 * math.sqrt((row.weight or max_weight * 0.3) / max_weight))
        ax.plot(
            [row.yi], [y], marker="s", ms=size, color=self.style["square"], mec="none", ls="none"
        )

    def pooled(self, y: int, pooled: PooledRow) -> None:
        """A pooled row's texts and its diamond (or the prediction interval's bar)."""
        for column, edge, dx in self.positions:
            self.ax.text(
                edge, y, plain(column.pooled(pooled, self.data)), transform=self.at(dx),
                ha=column.align, fontweight="bold", **self.text_kw,
            )  # fmt: skip
        if pooled.kind == "pi":
            shape = Rectangle(
                (pooled.lower, y - 0.12),
                pooled.upper - pooled.lower,
                0.24,
                color=self.style["pi"],
                lw=0,
            )
        else:
            corners = [
                (pooled.lower, y),
                (pooled.estimate, y - 0.38),
                (pooled.upper, y),
                (pooled.estimate, y + 0.38),
            ]
            shape = Polygon(corners, closed=True, color=self.style["diamond"], lw=0)
        self.ax.add_patch(shape)

    def reference_lines(self, top: float, bottom: float) -> None:
        """The line of no effect, and under ``meta`` a dashed line at the pooled estimate."""
        self.ax.plot([0, 0], [top, bottom], color=self.style["null"], lw=0.6)
        estimate = self.data.summaries[0].estimate
        if self.layout == "meta" and estimate is not None:
            self.ax.plot([estimate] * 2, [top, bottom], color="#777777", lw=0.6, ls=(0, (3, 2)))

    def axis(self, low: float, high: float) -> None:
        """The effect axis' limits and ticks (ratios at round values), and the "favours"
        labels under it."""
        ax, scale = self.ax, self.scale
        ax.set_xlim(low, high)
        if self.data.ratio:
            set_ratio_axis(ax.xaxis, low, high)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, symmetric=False))
        left_label, right_label = self.data.favours()
        for label, ha, dx in ((left_label, "right", -4), (right_label, "left", 4)):
            ax.annotate(
                plain(label),
                xy=(0, 0),
                xycoords=("data", "axes fraction"),
                xytext=(dx * scale, -20 * scale),
                textcoords="offset points",
                ha=ha,
                va="top",
                fontsize=(FONT_SIZE - 0.5) * scale,
            )


def save_figure(figure: Figure, path: str | Path, dpi: int = 300) -> Path:
    """Write ``figure`` to ``path`` (format from the suffix: svg, pdf, png); reproducibly.

    SVG keeps text as text (small, editable, searchable; fonts fall back to the reader's sans
    serif); its ids are salted with a fixed value and no creation date is written, so the same
    plot gives the same bytes on every run.
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}, "png": {}}.get(suffix, {})
    with rc_context({"svg.hashsalt": "metareview", "svg.fonttype": "none"}):
        # vector formats embed rasterised parts (e.g. GOSH point clouds) at a moderate 150 dpi
        figure.savefig(path, dpi=dpi if suffix == "png" else 150, metadata=metadata)
    return path


def _example() -> ForestData:
    """A small two-study example (for docstrings)."""
    from metareview.report.forest_data import ForestSection

    result = {
        "heterogeneity": {"tau2": 0.0, "i2": 0.0, "q": 0.36, "q_df": 1, "q_pvalue": 0.55},
        "random": {
            "estimate": 0.26,
            "se": 0.17,
            "ci_lower": -0.07,
            "ci_upper": 0.59,
            "statistic": 1.56,
            "df": None,
            "pvalue": 0.12,
        },
    }
    rows = (
        ForestRow("Study 1", 0.2, -0.19, 0.59, 69.2),
        ForestRow("Study 2", 0.4, -0.19, 0.99, 30.8),
    )
    return ForestData(
        (ForestSection(None, rows, (), result),),
        (PooledRow("Random-effects model", "random", 0.26, -0.07, 0.59),),
        result,
        "SMD",
        "random",
        0.95,
    )
