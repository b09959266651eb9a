"""Where things go in a forest plot: its lines top to bottom, the widths and anchors of its
text columns, the figure's size and the range of the effect axis.

>>> from metareview.report.forest_plot import _example
>>> width, height, left, right = figure_size(_example(), "meta")
>>> round(height, 2), effect_range(_example())[0] < -0.19
(2.35, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from metareview.report.forest_columns import Column, columns_for
from metareview.report.forest_data import ForestData
from metareview.report.rob_plots import judgement_legend

FONT_SIZE = 8.0
ROW_INCHES = 0.2
CHAR_INCHES = 0.068  # a generous average glyph width at 8 pt (DejaVu Sans Bold)
PANEL_INCHES = 2.6


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


def column_positions(
    data: ForestData, layout: str, max_label: int
) -> list[tuple[Column, float, float]]:
    """Each text column with the panel edge it is placed from (0: left, 1: right) and its
    anchor in inches from that edge (negative: left of the panel)."""
    left, right = columns_for(layout, data)
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
    return positions


def effect_range(data: ForestData) -> tuple[float, float]:
    """The effect axis' limits: every interval drawn and zero, with 5% padding."""
    spans = [(r.lower, r.upper) for r in data.rows]
    spans += [(p.lower, p.upper) for s in data.sections for p in s.summaries]
    spans += [(p.lower, p.upper) for p in data.summaries]
    low = min(0.0, *(s[0] for s in spans))
    high = max(0.0, *(s[1] for s in spans))
    pad = 0.05 * (high - low or 1.0)
    return low - pad, high + pad
