"""Checking an extraction form as it is typed, by the rules of ``metareview validate``.

A value of a data-standard field is checked by putting it in a one-row table and validating
that table with :func:`~metareview.data.table.load_table` and the value checks of
:func:`~metareview.data.effects.value_problems`, so a form gives the message the command line
gives (the text after the location), and no rule is written twice. Review-specific fields
(text, number, one of a list, yes/no) are checked by their type.

>>> from metareview.data.form import RowKey
>>> form = Form.standard()
>>> check_cell(form, Cell("sd_arm1", row=RowKey(1, 2, "hope", "post")), "-2.1").message
"got '-2.1', expected a number > 0"
>>> check_cell(form, Cell("n_arm1", row=RowKey(1, 2, "hope", "post")), "12,5").value
12.5
>>> check_row(form, {"event_arm1": 30, "totaln_arm1": 20}).messages
{'event_arm1': "got '30', expected at most totaln_arm1 (20)"}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from metareview.data.effects import value_problems
from metareview.data.form import Cell, FieldType, Form, FormField
from metareview.data.table import MISSING, ExtractionTable, load_table, parse_number
from metareview.errors import DataError, Problem

_YES_NO = {"yes": "yes", "y": "yes", "true": "yes", "no": "no", "n": "no", "false": "no"}
_LABEL = "row"  # the study label of the one-row tables checked here


@dataclass(frozen=True)
class CellCheck:
    """A typed value, parsed (``value``: a float, text, or ``None`` for an empty cell), or the
    problem with it (``problem``; ``value`` is then ``None``), whose ``message`` a form shows
    beside the field."""

    value: Any
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def message(self) -> str | None:
        return None if self.problem is None else self.problem.message

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "message": self.message}


@dataclass(frozen=True)
class RowCheck:
    """The messages of one row, by column, and what the row still lacks to give an effect
    (``incomplete``: ``None`` once it has a complete data group, or while a value is wrong)."""

    messages: dict[str, str]
    incomplete: str | None = None

    @property
    def ok(self) -> bool:
        return not self.messages

    def to_dict(self) -> dict[str, Any]:
        return {"messages": dict(self.messages), "incomplete": self.incomplete}


def is_empty(value: Any) -> bool:
    """Whether a typed value leaves the cell empty (the table's missing-value markers too).

    >>> is_empty(""), is_empty(" NA "), is_empty(None), is_empty(0)
    (True, True, True, False)
    """
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING


def check_cell(form: Form, cell: Cell, value: Any) -> CellCheck:
    """Check and parse one typed value of ``cell`` (see the module's examples)."""
    return check_cells(form, {cell: value})[cell]


def check_cells(form: Form, values: Mapping[Cell, Any]) -> dict[Cell, CellCheck]:
    """Check and parse many typed values at once (one validation of a table with a row per
    data-standard value; each value alone in its row, so only its own rules apply).

    >>> from metareview.data.form import RowKey
    >>> row = RowKey(1, 2, "hope", "post")
    >>> checks = check_cells(Form.standard(), {Cell("n_arm1", row=row): "1",
    ...                                        Cell("icc", arm=None): "0.05"})
    >>> [(c.value, c.message) for c in checks.values()]
    [(None, "got '1', expected a number >= 2"), (0.05, None)]
    """
    checks: dict[Cell, CellCheck] = {}
    standard: list[tuple[Cell, FormField, Any]] = []
    for cell, value in values.items():
        spec = form.field_of(cell)
        if is_empty(value):
            checks[cell] = CellCheck(None)
        elif spec.standard:
            standard.append((cell, spec, value))
        else:
            checks[cell] = _check_own(spec, value)
    while standard:  # again without the rows found wrong, until the rest passes
        frame = pd.DataFrame(
            [{"study": str(i), spec.key: value} for i, (_, spec, value) in enumerate(standard)],
            dtype=object,
        )
        table, problems = _validated(frame)
        wrong = {  # located at the field alone, not at a row of this working table
            p.row - 2: Problem("", None, p.column, p.value, p.expected)
            for p in problems
            if p.row is not None and p.column is not None
        }
        for i, (cell, spec, _) in enumerate(standard):
            if i in wrong:
                checks[cell] = CellCheck(None, wrong[i])
            elif table is not None:
                checks[cell] = CellCheck(_parsed(spec, table.frame[spec.key].iloc[i]))
        if table is not None or not wrong:
            break
        standard = [item for i, item in enumerate(standard) if i not in wrong]
    return {cell: checks[cell] for cell in values}


def _parsed(spec: FormField, parsed: Any) -> Any:
    if spec.type == FieldType.YES_NO:
        return _YES_NO.get(str(parsed).strip().lower(), str(parsed).strip())
    return float(parsed) if spec.numeric else str(parsed).strip()


def _check_own(spec: FormField, value: Any) -> CellCheck:
    """A value of a field the data standard does not define, by its type."""
    shown = value if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else value

    def wrong() -> CellCheck:
        return CellCheck(None, Problem("", None, spec.key, str(shown), spec.expected))

    if spec.type == FieldType.NUMBER:
        try:
            number = parse_number(value)
        except (TypeError, ValueError):
            return wrong()
        if spec.key == "n_randomised" and number is not None and number < 1:
            return wrong()
        return CellCheck(number)
    text = str(value).strip()
    if spec.type == FieldType.CHOICE:
        match = {c.lower(): c for c in spec.choices}.get(text.lower())
        return CellCheck(match) if match is not None else wrong()
    if spec.type == FieldType.YES_NO:
        flag = _YES_NO.get(text.lower()) if not isinstance(value, bool) else "yes" * value or "no"
        return CellCheck(flag) if flag is not None else wrong()
    return CellCheck(text)


def check_row(form: Form, values: Mapping[str, Any]) -> RowCheck:
    """Check one row's data-standard values together: each value's own rule and the rules
    across columns (events at most their total, a CI around its estimate), with what the row
    still lacks for a complete data group. Fields the standard does not define are ignored."""
    standard = {
        key: value
        for key, value in values.items()
        if not is_empty(value) and _is_standard(form, key)
    }
    frame = pd.DataFrame({"study": [_LABEL], **{k: [v] for k, v in standard.items()}}, dtype=object)
    table, problems = _validated(frame)
    messages: dict[str, str] = {}
    for problem in problems:
        if problem.column is not None:
            messages.setdefault(problem.column, problem.message)
    incomplete = None
    if table is not None and table.incomplete:
        incomplete = next(iter(table.incomplete.values()))
    return RowCheck(messages, incomplete)


def _is_standard(form: Form, key: str) -> bool:
    for level in ("row", "study"):
        try:
            return form.field(key, level).standard
        except ValueError:
            continue
    return False


def _validated(frame: pd.DataFrame) -> tuple[ExtractionTable | None, list[Problem]]:
    """Validate ``frame`` as ``metareview validate`` would (rows without a complete data group
    are allowed here: a form is filled in one field at a time)."""
    try:
        table = load_table(frame, drop_incomplete=True)
    except DataError as err:
        return None, err.problems
    return table, value_problems(table)
