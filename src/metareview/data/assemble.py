"""From a form's cells to the extraction table: one row per comparison × outcome × time point.

Each row of data (a :class:`~metareview.data.form.RowKey`) becomes one row of the table:
``study`` is the study's label; ``condition_arm1``/``multi_arm1`` (and ``…arm2``) come from the
two arms the row compares; ``outcome``, ``time`` and ``instrument`` from its key; study-level
values are repeated on every row; review-specific fields are moderator columns. The result is
what ``metareview validate``, ``analyze`` and ``run`` read; :func:`check_study` validates a
study's rows with ``load_table`` and names each problem's row by its key.

>>> from metareview.data.form import Cell, Form, RowKey
>>> row = RowKey(1, 2, "hope", "post")
>>> cells = {Cell("condition", arm=1): "peer support", Cell("condition", arm=2): "usual care",
...          Cell("yi", row=row): 0.3, Cell("vi", row=row): 0.04, Cell("country"): "UK"}
>>> built = extraction_frame(Form.standard(), [StudyCells("Lee, 2020", cells)])
>>> built.frame.to_dict("records")
[{'study': 'Lee, 2020', 'condition_arm1': 'peer support', 'condition_arm2': 'usual care', 'outcome': 'hope', 'time': 'post', 'yi': 0.3, 'vi': 0.04, 'country': 'UK'}]
>>> built.rows
(('Lee, 2020', RowKey(arm1=1, arm2=2, outcome='hope', time='post', instrument='')),)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from metareview.data.effects import value_problems
from metareview.data.form import (
    ARM_FIELDS,
    ROW_KEY_COLUMNS,
    STANDARD_ROW_FIELDS,
    STANDARD_STUDY_FIELDS,
    STUDY_TEXT_FIELDS,
    Cell,
    Form,
    Level,
    RowKey,
)
from metareview.data.table import load_table
from metareview.errors import DataError, Problem


@dataclass(frozen=True)
class StudyCells:
    """One study's values: its label and ``{cell: value}`` (empty cells left out). Rows come
    out in the order their first cell appears in ``values``."""

    label: str
    values: Mapping[Cell, Any]


@dataclass(frozen=True)
class ExtractionFrame:
    """The table (data-standard columns and moderators; columns no row fills are left out)
    and, per table row in order, the study label and row key it came from."""

    frame: pd.DataFrame
    rows: tuple[tuple[str, RowKey], ...]


def columns_of(form: Form) -> list[str]:
    """Every column a form can fill, in table order.

    >>> columns_of(Form.standard())[:6]
    ['study', 'condition_arm1', 'condition_arm2', 'multi_arm1', 'multi_arm2', 'n_randomised_arm1']
    """
    arms = [f"{prefix}{n}" for prefix in ARM_FIELDS.values() for n in (1, 2)]
    return [
        "study",
        *arms,
        *ROW_KEY_COLUMNS,
        *STANDARD_ROW_FIELDS,
        *STANDARD_STUDY_FIELDS,
        *STUDY_TEXT_FIELDS,
        *form.moderators(Level.STUDY),
        *form.moderators(Level.ROW),
    ]


def extraction_frame(form: Form, studies: Sequence[StudyCells]) -> ExtractionFrame:
    """The extraction table of ``studies`` (in their order; see the module's example)."""
    records: list[dict[str, Any]] = []
    keys: list[tuple[str, RowKey]] = []
    for study in studies:
        study_values: dict[str, Any] = {}
        arms: dict[int, dict[str, Any]] = {}
        rows: dict[RowKey, dict[str, Any]] = {}
        for cell, value in study.values.items():
            if cell.row is not None:
                rows.setdefault(cell.row, {})[cell.field] = value
            elif cell.arm is not None:
                arms.setdefault(cell.arm, {})[cell.field] = value
            else:
                study_values[cell.field] = value
        for key, row_values in rows.items():
            record: dict[str, Any] = {"study": study.label}
            for position, arm in ((1, key.arm1), (2, key.arm2)):
                for name, prefix in ARM_FIELDS.items():
                    record[f"{prefix}{position}"] = arms.get(arm, {}).get(name)
            record |= {
                "outcome": key.outcome,
                "time": key.time,
                "instrument": key.instrument or None,
            }
            record |= row_values
            record |= study_values
            records.append(record)
            keys.append((study.label, key))
    frame = pd.DataFrame.from_records(records, columns=columns_of(form))
    present = frame.notna().any()
    filled = [c for c in frame.columns if c == "study" or present[c]]
    frame = frame[filled].astype(object).where(frame[filled].notna(), None)
    for column in frame.columns:  # whole numbers written as 2008, not 2008.0 (a moderator's
        if _numeric(form, column):  # text would change); load_table reads both as numbers
            numbers = pd.to_numeric(frame[column]).astype(float)
            whole = numbers.dropna().apply(float.is_integer).all()
            frame[column] = numbers.astype("Int64") if whole else numbers
    return ExtractionFrame(frame.reset_index(drop=True), tuple(keys))


def _numeric(form: Form, column: str) -> bool:
    if column.startswith("n_randomised_arm"):
        return True
    for level in (Level.ROW, Level.STUDY):
        try:
            return form.field(column, level).numeric
        except ValueError:
            continue
    return False


@dataclass(frozen=True)
class RowProblem:
    """A problem of one row of a study's data (``row`` ``None``: of the study as a whole)."""

    row: RowKey | None
    column: str | None
    value: str | None
    expected: str

    @property
    def message(self) -> str:
        """The message ``metareview validate`` gives, after its location."""
        return Problem("", None, None, self.value, self.expected).message

    @property
    def where(self) -> str:
        """The row (by its key) and column, in words."""
        where = self.row.label() if self.row is not None else "the study"
        return f"{where}, {self.column}" if self.column else where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row.label() if self.row else None,
            "column": self.column,
            "message": self.message,
        }


def check_study(form: Form, study: StudyCells) -> list[RowProblem]:
    """Every problem ``metareview validate`` would report in this study's rows (each row must
    have one complete data group), located by row key instead of a spreadsheet row number.

    >>> from metareview.data.form import Cell, Form, RowKey
    >>> row = RowKey(1, 2, "hope", "post")
    >>> [str(p) for p in check_study(Form.standard(), StudyCells("A", {Cell("yi", row=row): 0.3}))]
    ["arm 1 vs 2, hope, post, vi: got '', expected a complete 'yi_vi' data group (has yi; missing vi)"]
    """
    built = extraction_frame(form, [study])
    if built.frame.empty:
        return []
    try:
        problems = value_problems(load_table(built.frame))
    except DataError as err:
        problems = err.problems
    return [_located(p, built.rows) for p in problems]


def check_studies(form: Form, studies: Sequence[StudyCells]) -> list[list[RowProblem]]:
    """:func:`check_study` of each of ``studies``, in their order, validating their rows as one
    table first: when that table has no problem, no study's rows have one (every check is of
    a row, or of rows alike in every column, study included), and the per-study checks, which
    name each problem as the study's own table would, run only when it has.

    >>> from metareview.data.form import Cell, Form, RowKey
    >>> row = RowKey(1, 2, "hope", "post")
    >>> good = StudyCells("A", {Cell("yi", row=row): 0.3, Cell("vi", row=row): 0.04})
    >>> bad = StudyCells("B", {Cell("yi", row=row): 0.3})
    >>> [len(problems) for problems in check_studies(Form.standard(), [good, good])]
    [0, 0]
    >>> [[str(p) for p in problems] for problems in check_studies(Form.standard(), [good, bad])]
    [[], ["arm 1 vs 2, hope, post, vi: got '', expected a complete 'yi_vi' data group (has yi; missing vi)"]]
    """
    built = extraction_frame(form, studies)
    if built.frame.empty:
        return [[] for _ in studies]
    try:
        clean = not value_problems(load_table(built.frame))
    except DataError:
        clean = False
    if clean:
        return [[] for _ in studies]
    return [check_study(form, study) for study in studies]


def _located(problem: Problem, rows: tuple[tuple[str, RowKey], ...]) -> RowProblem:
    row = rows[problem.row - 2][1] if problem.row is not None else None
    return RowProblem(row, problem.column, problem.value, problem.expected)
