"""Forest plots in three layouts: ``revman5`` (Cochrane), ``jama`` and ``meta`` (R meta).

A plot has text columns left and right of an effect panel: study rows (square ∝ weight, CI
line), pooled diamonds, the prediction interval, subgroup sections with their subtotals and
the test for subgroup differences, the heterogeneity and overall-effect lines and the
"favours" labels. Long study labels are truncated with an ellipsis at ``max_label``
characters; row height is fixed, so nothing overlaps up to 60 studies and beyond.

:func:`forest_plot` draws on an ``ax`` (the effect panel; text columns are placed in the
figure margins beside it) and returns it; :func:`forest_figure` makes a figure of the right
size first. :func:`save_figure` writes SVG/PDF and 300-dpi PNG deterministically.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib import rc_context, transforms
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle
from matplotlib.ticker import MaxNLocator

from metareview.plan.results import AnalysisRecord
from metareview.report.forest_data import (
    ForestData,
    ForestRow,
    PooledRow,
    forest_data,
    pooled_label,
)
from metareview.report.numbers import fixed
from metareview.report.plain_text import plain
from metareview.report.ratio_axis import set_ratio_axis
from metareview.report.rob_plots import judgement_legend, judgement_mark

LAYOUTS = ("revman5", "jama", "meta")
FONT_SIZE = 8.0
ROW_INCHES = 0.2
CHAR_INCHES = 0.068  # a generous average glyph width at 8 pt (DejaVu Sans Bold)
PANEL_INCHES = 2.6
STYLES = {
    "revman5": {"square": "#1f8a3b", "diamond": "black", "pi": "#888888", "null": "black"},
    "jama": {"square": "#1f4e79", "diamond": "#1f4e79", "pi": "#7f9fbf", "null": "#555555"},
    "meta": {"square": "#808080", "diamond": "black", "pi": "#c0392b", "null": "#333333"},
}


@dataclass(frozen=True)
class Column:
    """A text column: header, the text of a study row and of a pooled row, alignment."""

    header: str
    study: Callable[[ForestRow], str]
    pooled: Callable[[PooledRow, ForestData], str]
    align: str = "right"
    color: Callable[[ForestRow], str] | None = None


def _number(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return fixed(value, digits if not float(value).is_integer() else 0)


def _arm(row: ForestRow, name: str, arm: int) -> Any:
    """The arm's value of ``name`` (mean, sd or n) from whichever data group the row has."""
    if (row.arms.get("n_effects") or 1) > 1 and name in ("mean", "sd"):
        return None  # a combined row has no single mean and SD
    candidates = [f"{name}_arm{arm}", f"{name}_change_arm{arm}"]
    if name == "n":
        candidates.append(f"totaln_arm{arm}")
    return next((row.arms[c] for c in candidates if row.arms.get(c) is not None), None)


def _effect_text(
    low_high: tuple[float, float], estimate: float | None, data: ForestData, style: str
) -> str:
    if data.ratio:
        low_high = tuple(math.exp(v) for v in low_high)
        estimate = None if estimate is None else math.exp(estimate)
    low, high = low_high
    digits = 2
    if estimate is None:
        return f"[{fixed(low, digits)}, {fixed(high, digits)}]"
    if style == "revman5":
        return f"{fixed(estimate, digits)} [{fixed(low, digits)}, {fixed(high, digits)}]"
    if style == "jama":
        return f"{fixed(estimate, digits)} ({fixed(low, digits)} to {fixed(high, digits)})"
    return f"{fixed(estimate, digits)}  [{fixed(low, digits)}; {fixed(high, digits)}]"


def _total(pooled: PooledRow, data: ForestData, arm: int) -> str:
    """The arm's total n over the rows ``pooled`` pools (a subtotal's own, else all), shown only
    when every study reports it (a partial sum misleads)."""
    values = [_arm(row, "n", arm) for row in (pooled.rows or data.rows)]
    return "" if any(v is None for v in values) else f"{sum(values):.0f}"


def _weight_text(pooled: PooledRow, layout: str) -> str:
    """A pooled row's weight: a subtotal's share of the total, a total's 100%."""
    if pooled.weight is None:
        return "100.0%" if layout != "jama" else "100"
    return f"{pooled.weight:.1f}%" if layout != "jama" else f"{pooled.weight:.1f}"


def columns_for(layout: str, data: ForestData) -> tuple[list[Column], list[Column]]:
    """(left, right) text columns of ``layout`` for the data at hand."""
    has_means = any(_arm(r, "mean", 1) is not None for r in data.rows)
    has_events = any(r.arms.get("event_arm1") is not None for r in data.rows)
    effect = Column(
        data.axis_label(layout)
        if layout != "meta"
        else data.axis_label(layout) + "  " + f"{data.level:.0%}-CI",
        lambda r: _effect_text((r.lower, r.upper), r.yi, data, layout),
        lambda p, d: _effect_text((p.lower, p.upper), p.estimate, d, layout),
    )
    weight = Column(
        "Weight" if layout != "jama" else "Weight, %",
        lambda r: (
            ""
            if r.weight is None
            else (f"{r.weight:.1f}%" if layout != "jama" else f"{r.weight:.1f}")
        ),
        lambda p, d: "" if p.kind == "pi" else _weight_text(p, layout),
    )
    study = Column(
        "Study or Subgroup" if layout == "revman5" else ("Source" if layout == "jama" else "Study"),
        lambda r: r.label,
        lambda p, d: pooled_label(p, layout, d.level),
        "left",
    )
    arms: list[Column] = []
    for arm, name in ((1, "Intervention"), (2, "Control")):
        if layout == "revman5" and has_means:
            arms += [
                Column(
                    f"{name}\nMean",
                    lambda r, a=arm: _number(_arm(r, "mean", a), 2),
                    lambda p, d: "",
                ),
                Column("SD", lambda r, a=arm: _number(_arm(r, "sd", a), 2), lambda p, d: ""),
            ]
        elif layout == "revman5" and has_events:
            arms.append(
                Column(
                    f"{name}\nEvents",
                    lambda r, a=arm: _number(r.arms.get(f"event_arm{a}"), 0),
                    lambda p, d: "",
                )
            )
        header = (
            "Total"
            if layout == "revman5"
            else (
                f"No.\n{name[:5]}."
                if layout == "jama"
                else f"Total\n{'Exp.' if arm == 1 else 'Ctrl.'}"
            )
        )
        arms.append(
            Column(
                header,
                lambda r, a=arm: _number(_arm(r, "n", a), 0),
                lambda p, d, a=arm: _total(p, d, a) if p.kind != "pi" else "",
            )
        )
    if not any(_arm(r, "n", 1) is not None for r in data.rows):
        arms = []
    rob = [_rob_column()] if any(r.rob for r in data.rows) else []
    # no weight column when no row has one (the effects of a multilevel model)
    weights = [weight] if any(r.weight is not None for r in data.rows) else []
    if layout == "revman5":
        return [study, *arms, *weights, effect], rob
    if layout == "jama":
        return [study, *arms, effect], [*weights, *rob]
    return [study, *arms], [effect, *weights, *rob]


# A judgement's dot (as the traffic-light plot's) behind its symbol.
BADGE = {"boxstyle": "circle,pad=0.18", "edgecolor": "black", "linewidth": 0.4}


def _rob_column() -> Column:
    """Overall risk of bias per study: the robvis symbol in its coloured dot, as the
    traffic-light plot draws it (:func:`judgement_mark`)."""

    def symbol(row: ForestRow) -> str:
        mark = judgement_mark(row.rob)
        return mark[0] if mark else ""

    def color(row: ForestRow) -> str | None:
        mark = judgement_mark(row.rob)
        return mark[1] if mark else None

    return Column("RoB", symbol, lambda p, d: "", "center", color)


def _width(column: Column, data: ForestData, max_label: int) -> float:
    texts = [column.header.split("\n")[-1], column.header.split("\n")[0]]
    texts += [column.study(r)[:max_label] for r in data.rows]
    texts += [column.pooled(p, data) for s in data.sections for p in s.summaries]
    texts += [column.pooled(p, data) for p in data.summaries]
    return max(len(t) for t in texts) * CHAR_INCHES + 0.18


def _anchor(column: Column, x: float, width: float) -> float:
    """Where a column's text is anchored, in inches, given its left edge and width."""
    return {"left": x, "center": x + (width - 0.1) / 2}.get(column.align, x + width - 0.1)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class _Line:
    kind: str  # header, section, study, pooled, text
    item: Any = None


def _lines(data: ForestData, layout: str) -> list[_Line]:
    lines: list[_Line] = []
    for section in data.sections:
        if section.title:
            lines.append(_Line("section", section.title))
        lines += [_Line("study", row) for row in section.rows]
        for pooled in section.summaries:
            lines.append(_Line("pooled", pooled))
            lines.append(_Line("text", data.heterogeneity_text(layout, section.result)))
        if section.title:
            lines.append(_Line("gap"))
    lines += [_Line("pooled", pooled) for pooled in data.summaries]
    if data.texts is not None:
        lines += [_Line("text", text) for text in data.texts]
    else:
        lines.append(_Line("text", data.heterogeneity_text(layout)))
        lines.append(_Line("text", data.overall_text(layout)))
    if data.subgroup_text(layout):
        lines.append(_Line("text", data.subgroup_text(layout)))
    if any(row.rob for row in data.rows):
        lines.append(_Line("text", judgement_legend([row.rob for row in data.rows])))
    return lines


def figure_size(
    data: ForestData, layout: str = "meta", max_label: int = 32
) -> tuple[float, float, float, float]:
    """(width, height, left margin, right margin) in inches for :func:`forest_figure`."""
    left, right = columns_for(layout, data)
    left_w = sum(_width(c, data, max_label) for c in left) + 0.2
    right_w = sum(_width(c, data, max_label) for c in right) + 0.25
    height = (len(_lines(data, layout)) + 3) * ROW_INCHES + 0.75
    return left_w + PANEL_INCHES + right_w, height, left_w, right_w


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
    style = STYLES[layout]
    figure = ax.figure
    lines = _lines(data, layout)
    left, right = columns_for(layout, data)
    n_lines = len(lines)
    ax.set_ylim(n_lines + 0.2, -2.2)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", labelsize=(FONT_SIZE - 0.5) * scale)

    base = transforms.blended_transform_factory(ax.transAxes, ax.transData)

    offsets: dict[float, transforms.Transform] = {}

    def at(dx_inches: float) -> transforms.Transform:
        """x: ``dx_inches`` from the panel edge given as the text's x; y: the row (data)."""
        if dx_inches not in offsets:
            shift = transforms.ScaledTranslation(dx_inches * scale, 0, figure.dpi_scale_trans)
            offsets[dx_inches] = base + shift
        return offsets[dx_inches]

    # column x positions (inches from the panel's left or right edge)
    positions = []
    x = -sum(_width(c, data, max_label) for c in left) - 0.1
    for column in left:
        w = _width(column, data, max_label)
        positions.append((column, 0.0, _anchor(column, x, w)))
        x += w
    x = 0.15
    for column in right:
        w = _width(column, data, max_label)
        positions.append((column, 1.0, _anchor(column, x, w)))
        x += w

    text_kw = {"fontsize": FONT_SIZE * scale, "va": "center", "clip_on": False}
    for column, edge, dx in positions:
        ax.text(
            edge,
            -1,
            plain(column.header),
            transform=at(dx),
            ha=column.align,
            fontweight="bold",
            **{**text_kw, "va": "bottom"},
        )
    ax.text(
        0.5,
        -1,
        plain(data.axis_label(layout)),
        transform=base,
        ha="center",
        fontweight="bold",
        **{**text_kw, "va": "bottom"},
    )
    first_x = positions[0][2]

    spans = [(r.lower, r.upper) for r in data.rows]
    spans += [(p.lower, p.upper) for s in data.sections for p in s.summaries]
    spans += [(p.lower, p.upper) for p in data.summaries]
    low = min(0.0, *(s[0] for s in spans))
    high = max(0.0, *(s[1] for s in spans))
    pad = 0.05 * (high - low or 1.0)
    low, high = low - pad, high + pad
    weights = [r.weight for r in data.rows if r.weight]
    max_weight = max(weights) if weights else 1.0

    drawn_rows = []
    for y, line in enumerate(lines):
        if line.kind == "section":
            ax.text(
                0,
                y,
                plain(line.item),
                transform=at(first_x),
                ha="left",
                fontweight="bold",
                **text_kw,
            )
        elif line.kind == "text":
            ax.text(
                0,
                y,
                plain(line.item),
                transform=at(first_x),
                ha="left",
                **{**text_kw, "fontsize": (FONT_SIZE - 0.5) * scale},
            )
        elif line.kind == "study":
            row: ForestRow = line.item
            drawn_rows.append(y)
            for column, edge, dx in positions:
                text = column.study(row)
                if column.align == "left":
                    text = _truncate(text, max_label)
                badge = column.color(row) if column.color else None
                drawn = ax.text(
                    edge,
                    y,
                    plain(text),
                    transform=at(dx),
                    ha=column.align,
                    fontweight="bold" if badge else "normal",
                    bbox=None if badge is None else {**BADGE, "facecolor": badge},
                    **text_kw,
                )
                if links and column is positions[0][0] and row.label in links:
                    drawn.set_url(links[row.label])
            ax.plot([row.lower, row.upper], [y, y], color="black", lw=0.8, solid_capstyle="butt")
            size = scale * (2.5 + 6.5 * math.sqrt((row.weight or max_weight * 0.3) / max_weight))
            ax.plot(
                [row.yi], [y], marker="s", ms=size, color=style["square"], mec="none", ls="none"
            )
        elif line.kind == "pooled":
            pooled: PooledRow = line.item
            drawn_rows.append(y)
            for column, edge, dx in positions:
                text = column.pooled(pooled, data)
                ax.text(
                    edge,
                    y,
                    plain(text),
                    transform=at(dx),
                    ha=column.align,
                    fontweight="bold",
                    **text_kw,
                )
            if pooled.kind == "pi":
                ax.add_patch(
                    Rectangle(
                        (pooled.lower, y - 0.12),
                        pooled.upper - pooled.lower,
                        0.24,
                        color=style["pi"],
                        lw=0,
                    )
                )
            else:
                ax.add_patch(
                    Polygon(
                        [
                            (pooled.lower, y),
                            (pooled.estimate, y - 0.38),
                            (pooled.upper, y),
                            (pooled.estimate, y + 0.38),
                        ],
                        closed=True,
                        color=style["diamond"],
                        lw=0,
                    )
                )
    if drawn_rows:
        ax.plot([0, 0], [min(drawn_rows) - 0.6, max(drawn_rows) + 0.6], color=style["null"], lw=0.6)
        estimate = data.summaries[0].estimate
        if layout == "meta" and estimate is not None:
            ax.plot(
                [estimate] * 2,
                [min(drawn_rows) - 0.6, max(drawn_rows) + 0.6],
                color="#777777",
                lw=0.6,
                ls=(0, (3, 2)),
            )
    ax.set_xlim(low, high)
    if data.ratio:
        set_ratio_axis(ax.xaxis, low, high)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, symmetric=False))
    left_label, right_label = data.favours()
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
