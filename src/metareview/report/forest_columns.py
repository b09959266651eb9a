"""The text columns of a forest plot: which columns a layout shows and the text of each
study and pooled row in them (the "table" beside the effect panel).

>>> from metareview.report.forest_plot import _example
>>> left, right = columns_for("revman5", _example())
>>> [column.header.splitlines()[0] for column in left], right
(['Study or Subgroup', 'Weight', 'Std. Mean Difference'], [])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from metareview.report.forest_data import ForestData, ForestRow, PooledRow, pooled_label
from metareview.report.numbers import fixed
from metareview.report.rob_plots import judgement_mark


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
