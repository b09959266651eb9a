"""Which effect sizes an analysis pools: filters, time windows, direction, several per study.

The runner computes every row's effect size once; this module picks an analysis's rows from
that table and resolves several effect sizes from one study by the plan's rule —
never double-counting silently: rows set aside are listed with the reason.

>>> import pandas as pd
>>> effects = pd.DataFrame({"study": ["A", "A", "B"], "yi": [0.2, 0.4, 0.1],
...                         "vi": [0.04, 0.04, 0.05]}, index=pd.Index([2, 3, 4], name="row"))
>>> chosen = one_per_study(effects, "highest", rho=0.5, label="demo")
>>> chosen.frame[["study", "yi"]].to_dict("list"), chosen.dropped[0]["row"]
({'study': ['A', 'B'], 'yi': [0.4, 0.1]}, 2)
>>> combined = one_per_study(effects, "combine", rho=0.5, label="demo")
>>> round(combined.frame.loc[combined.frame.study == "A", "vi"].item(), 6)
0.03
>>> combined.combined
[{'study': 'A', 'rows': [2, 3], 'rho': 0.5, 'distinct_cohorts': False}]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from metareview.errors import AnalysisError
from metareview.rob.vocabulary import SEVERITY, parse_judgement


@dataclass(frozen=True)
class Selection:
    """The effect sizes of one analysis (one row per study), the rows set aside and the
    studies whose rows were combined (study, rows, rho, distinct_cohorts: see
    :func:`distinct_cohorts`)."""

    frame: pd.DataFrame
    dropped: list[dict[str, Any]]
    combined: list[dict[str, Any]] = field(default_factory=list)


def _normal(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().lower()


def matches(column: pd.Series, wanted: Any) -> pd.Series:
    """Rows of ``column`` matching ``wanted``: a value, a tuple of values or a min/max range.

    Text matches case-insensitively and ignoring surrounding spaces.

    >>> matches(pd.Series(["SMI", "depression", None]), ("smi",)).tolist()
    [True, False, False]
    >>> matches(pd.Series([4.0, 12.0, 30.0]), {"min": 10, "max": 26}).tolist()
    [False, True, False]
    """
    if isinstance(wanted, dict):
        numbers = pd.to_numeric(column, errors="coerce")
        keep = numbers.notna()
        if "min" in wanted:
            keep &= numbers >= wanted["min"]
        if "max" in wanted:
            keep &= numbers <= wanted["max"]
        return keep
    values = wanted if isinstance(wanted, tuple | list) else (wanted,)
    targets = {_normal(v) for v in values}
    return column.map(
        lambda cell: cell is not None and not _is_nan(cell) and _normal(cell) in targets
    )


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def filter_rows(
    frame: pd.DataFrame, filters: dict[str, Any], exclude: dict[str, Any]
) -> pd.DataFrame:
    """Rows matching every filter and no exclusion."""
    keep = pd.Series(True, index=frame.index)
    for column, wanted in filters.items():
        keep &= matches(frame[column], wanted)
    for column, unwanted in exclude.items():
        keep &= ~matches(frame[column], unwanted)
    return frame[keep]


def in_window(
    frame: pd.DataFrame, time: tuple[Any, ...] | None, weeks: tuple[float, float] | None
) -> pd.Series:
    """Rows in a time window: ``time`` among the values or ``time_weeks`` within the range."""
    keep = pd.Series(time is None and weeks is None, index=frame.index)
    if time is not None and "time" in frame:
        keep |= matches(frame["time"], time)
    if weeks is not None and "time_weeks" in frame:
        keep |= matches(frame["time_weeks"], {"min": weeks[0], "max": weeks[1]})
    return keep


COUNT_PREFIXES = ("n_arm", "n_change_arm", "totaln_arm")


def one_per_study(
    effects: pd.DataFrame,
    rule: str,
    *,
    rho: float,
    label: str,
    judgements: tuple[str, ...] = (),
) -> Selection:
    """Resolve several effect sizes per study by ``rule`` (error, combine, lowest, highest, first;
    ``independent`` keeps every row, as metapsyTools' "overall" model pools them).

    Combining assumes a correlation ``rho`` between a study's effect sizes (compound symmetry)
    and takes their generalised-least-squares mean, whose variance is ``1 / (1ᵀ Σ⁻¹ 1)``.
    A combined row keeps a column's value when it is the same in all its rows; otherwise arm
    sizes (``n_*``, ``totaln_*``) take the largest, other numbers become ``None`` and text
    ``"mixed"``, except in the risk-of-bias columns named in ``judgements``, where it takes
    the most severe judgement of its rows (a result is at the risk of its riskiest part); its
    ``rows`` lists the spreadsheet rows it stands for.
    """
    effects = effects.assign(rows=[[int(r)] for r in effects.index])
    counts = effects.groupby("study", sort=False)["yi"].transform("size")
    if (counts == 1).all() or rule == "independent":
        return Selection(effects, [])
    if rule == "error":
        several = effects[counts > 1]
        first = several["study"].iloc[0]
        rows = [int(r) for r in several.index[several["study"] == first]]
        raise AnalysisError(
            f"{label}: study {first!r} gives {len(rows)} effect sizes (rows "
            f"{', '.join(map(str, rows))}); set settings.multiple_effects to combine, lowest, "
            "highest or first"
        )
    table = _Columns(effects)
    if rule == "combine":
        combined = [
            {
                "study": str(study),
                "rows": [table.labels[p] for p in positions],
                "rho": rho,
                "distinct_cohorts": table.distinct_cohorts(positions),
            }
            for study, positions in table.studies
            if len(positions) > 1
        ]
        return Selection(_combine(effects, table, rho, judgements), [], combined)
    kept, dropped = [], []
    yi = effects["yi"].to_numpy(float)
    for study, positions in table.studies:
        labels = [table.labels[p] for p in positions]
        if rule == "first":
            keep = min(labels)
        else:
            pick = np.nanargmin if rule == "lowest" else np.nanargmax
            keep = labels[int(pick(yi[positions]))]
        kept.append(keep)
        for row in labels:
            if row != keep:
                dropped.append(
                    {
                        "row": row,
                        "study": study,
                        "reason": f"one effect per study ({rule} kept: row {keep})",
                    }
                )
    return Selection(effects.loc[sorted(kept)], dropped)


def distinct_cohorts(rows: pd.DataFrame) -> bool:
    """Whether rows sharing one study label look like different cohorts rather than several
    effects of one trial: their arm sizes or event counts differ, and no text column (outcome,
    time point, arm labels, instrument …) tells them apart (text compared ignoring case and
    surrounding spaces; a blank is one value too).

    >>> rows = pd.DataFrame({"study": ["T", "T"], "totaln_arm1": [211, 237], "event_arm1": [15, 21]})
    >>> distinct_cohorts(rows), distinct_cohorts(rows.assign(outcome=["death", "stroke"]))
    (True, False)
    """
    return _Columns(rows).distinct_cohorts(list(range(len(rows))))


class _Columns:
    """A table's columns as Python values, its studies (each with the positions of its rows,
    in order of first appearance, as ``groupby("study", sort=False)``) and its row labels:
    resolving a study's rows reads these lists rather than slicing the frame per study."""

    def __init__(self, frame: pd.DataFrame):
        self.values = {column: _python_values(frame[column]) for column in frame.columns}
        self.labels = [int(label) for label in frame.index]
        self.numbers = set(frame.select_dtypes("number").columns)
        self.arms = [c for c in self.values if c.startswith((*COUNT_PREFIXES, "event_arm"))]
        self.text = [
            c for c, dtype in frame.dtypes.items()
            if c not in ("study", "rows", "note", "es_source")
            and not pd.api.types.is_numeric_dtype(dtype)
        ]  # fmt: skip
        codes, uniques = pd.factorize(frame["study"])
        order = np.argsort(codes, kind="stable")
        bounds = np.cumsum(np.bincount(codes[codes >= 0], minlength=len(uniques)))
        groups = np.split(order[np.count_nonzero(codes < 0) :], bounds[:-1])
        self.studies = [(study, group.tolist()) for study, group in zip(uniques, groups)]

    def column(self, name: str, positions: list[int]) -> list[Any]:
        values = self.values[name]
        return [values[p] for p in positions]

    def distinct_cohorts(self, positions: list[int]) -> bool:
        """:func:`distinct_cohorts` of the rows at ``positions``."""
        if not any(_count(self.column(c, positions), dropna=False) > 1 for c in self.arms):
            return False
        return not any(_count(self.column(c, positions), dropna=False) > 1 for c in self.text)


def _python_values(column: pd.Series) -> list[Any]:
    """A column's values as Python values, pandas' ``NA`` of a nullable column as NaN (numbers)
    or None (other: text, yes/no), as they were when the frame was sliced per study.

    >>> _python_values(pd.Series([2001, None], dtype="Int64"))
    [2001, nan]
    >>> _python_values(pd.Series([True, None], dtype="boolean"))
    [True, None]
    """
    values = column.tolist()
    if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) and column.hasnans:
        number = pd.api.types.is_numeric_dtype(column.dtype)
        blank = math.nan if number and not pd.api.types.is_bool_dtype(column.dtype) else None
        values = [blank if value is pd.NA else value for value in values]
    return values


def _count(values: list[Any], *, dropna: bool) -> int:
    """The number of distinct ``values``, text compared as :func:`_normal` makes it, blanks
    (None, NaN) left out or counted as one value."""
    blank = False
    seen = set()
    for value in values:
        if _blank(value):
            blank = True
        else:
            seen.add(_normal(value) if isinstance(value, str) else value)
    return len(seen) + (blank and not dropna)


def _blank(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _combine(
    effects: pd.DataFrame, table: _Columns, rho: float, judgements: tuple[str, ...]
) -> pd.DataFrame:
    rows = []
    yi, vi = effects["yi"].to_numpy(float), effects["vi"].to_numpy(float)
    for _study, positions in table.studies:
        first = positions[0]
        if len(positions) == 1:
            row = {column: values[first] for column, values in table.values.items()}
            rows.append(row | {"_row": table.labels[first]})
            continue
        combined = {}
        for column in table.values:
            if column == "rows":
                continue
            values = table.column(column, positions)
            present = [value for value in values if not _blank(value)]
            combined[column] = present[0] if present else values[0]  # first value present
            if _count(present, dropna=True) < 2:
                continue
            if column.startswith(COUNT_PREFIXES):  # participants: the most any outcome had
                combined[column] = float(effects[column].iloc[positions].max())
            elif column in judgements:
                combined[column] = most_severe(effects[column].iloc[positions])
            else:  # other numbers (means, SDs) have no single value; differing text is mixed
                combined[column] = None if column in table.numbers else "mixed"
        yi_combined, vi_combined = combined_effect(yi[positions], vi[positions], rho)
        combined.update(
            yi=yi_combined,
            vi=vi_combined,
            rows=[table.labels[p] for p in positions],
            n_effects=len(positions),
            _row=table.labels[first],
        )
        rows.append(combined)
    frame = pd.DataFrame(rows).set_index("_row")
    frame.index.name = effects.index.name
    return frame


def combined_effect(y: np.ndarray, v: np.ndarray, rho: float) -> tuple[float, float]:
    """The generalised-least-squares mean of one study's effects ``y`` (variances ``v``) under
    compound symmetry with correlation ``rho``, and its variance ``1 / (1ᵀ Σ⁻¹ 1)``.

    >>> [round(x, 6) for x in combined_effect(np.array([0.2, 0.4]), np.array([0.04, 0.04]), 0.5)]
    [0.3, 0.03]
    """
    s = np.sqrt(v)
    sigma = rho * np.outer(s, s)
    np.fill_diagonal(sigma, s**2)
    weights = np.linalg.solve(sigma, np.ones(len(y)))
    total = weights.sum()
    return float(weights @ y / total), float(1.0 / total)


def most_severe(values: pd.Series) -> object:
    """The most severe risk-of-bias judgement among ``values``, as written in the table (a
    value that is no judgement, or a blank, makes the result ``"mixed"``).

    >>> most_severe(pd.Series(["low", "High risk", "some concerns"]))
    'High risk'
    >>> most_severe(pd.Series(["low", "n/a?"]))
    'mixed'
    """
    try:
        levels = [parse_judgement(value) for value in values]
    except ValueError:
        return "mixed"
    if any(level is None for level in levels):
        return "mixed"
    worst = max(range(len(levels)), key=lambda i: SEVERITY[levels[i]])
    return values.iloc[worst]
