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
    if rule == "combine":
        combined = [
            {
                "study": str(study),
                "rows": [int(row) for row in rows.index],
                "rho": rho,
                "distinct_cohorts": distinct_cohorts(rows),
            }
            for study, rows in effects[counts > 1].groupby("study", sort=False)
        ]
        return Selection(_combine(effects, rho, judgements), [], combined)
    kept, dropped = [], []
    for study, rows in effects.groupby("study", sort=False):
        if rule == "first":
            keep = rows.index.min()
        else:
            keep = rows["yi"].idxmin() if rule == "lowest" else rows["yi"].idxmax()
        kept.append(keep)
        for row in rows.index.drop(keep):
            dropped.append(
                {
                    "row": int(row),
                    "study": study,
                    "reason": f"one effect per study ({rule} kept: row {int(keep)})",
                }
            )
    return Selection(effects.loc[sorted(kept)], dropped)


def distinct_cohorts(rows: pd.DataFrame) -> bool:
    """Whether rows sharing one study label look like different cohorts rather than several
    effects of one trial: their arm sizes or event counts differ, and no text column (outcome,
    time point, arm labels, instrument …) tells them apart.

    >>> rows = pd.DataFrame({"study": ["T", "T"], "totaln_arm1": [211, 237], "event_arm1": [15, 21]})
    >>> distinct_cohorts(rows), distinct_cohorts(rows.assign(outcome=["death", "stroke"]))
    (True, False)
    """
    arms = [c for c in rows.columns if c.startswith((*COUNT_PREFIXES, "event_arm"))]
    differ = rows[arms].nunique(dropna=False) > 1 if arms else pd.Series(dtype=bool)
    if not differ.any():
        return False
    text = [
        c
        for c in rows.columns
        if c not in ("study", "rows", "note", "es_source")
        and not pd.api.types.is_numeric_dtype(rows[c])
    ]
    labels = rows[text].map(lambda v: _normal(v) if isinstance(v, str) else v)
    return not (labels.nunique(dropna=False) > 1).any()


def _combine(effects: pd.DataFrame, rho: float, judgements: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    numeric = set(effects.select_dtypes("number").columns)
    for _study, group in effects.groupby("study", sort=False):
        if len(group) == 1:
            rows.append(group.iloc[0].to_dict() | {"_row": group.index[0]})
            continue
        yi, vi = combined_effect(group["yi"].to_numpy(float), group["vi"].to_numpy(float), rho)
        plain = group.drop(columns="rows")
        combined = plain.bfill().iloc[0].to_dict()  # first value present in each column
        distinct = plain.map(lambda v: _normal(v) if isinstance(v, str) else v).nunique()
        for column in distinct.index[distinct > 1]:
            if column.startswith(COUNT_PREFIXES):  # participants: the most any outcome had
                combined[column] = float(plain[column].max())
            elif column in judgements:
                combined[column] = most_severe(plain[column])
            else:  # other numbers (means, SDs) have no single value; differing text is mixed
                combined[column] = None if column in numeric else "mixed"
        combined.update(
            yi=yi,
            vi=vi,
            rows=[int(r) for r in group.index],
            n_effects=len(group),
            _row=group.index[0],
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
