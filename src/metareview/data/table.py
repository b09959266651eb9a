"""The validated extraction table: load, map columns, check every cell, report every problem.

>>> import pandas as pd
>>> table = load_table(pd.DataFrame({"Author": ["A", "B"], "TE": [0.2, 0.4], "seTE": [0.1, 0.2]}),
...                    columns={"study": "Author", "yi": "TE", "sei": "seTE"})
>>> table.n_rows, table.n_studies, table.data_group
(2, 2, ('yi_sei', 'yi_sei'))

A row without a complete data group rejects the table, unless ``drop_incomplete=True``: then
the row stays (with no data group) and is listed, with what it lacks, in ``incomplete``.

>>> frame = pd.DataFrame({"study": ["A", "B"], "yi": [0.2, 0.4], "vi": [0.01, None]})
>>> load_table(frame, drop_incomplete=True).incomplete
{3: "no complete data group: 'yi_vi' has yi but lacks vi"}
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metareview.data.mapping import did_you_mean, parse_column_mapping
from metareview.data.readers import (
    ParsedColumns,
    RawTable,
    raw_from_frame,
    read_csv_parsed,
    read_raw,
)
from metareview.data.standard import (
    COLUMNS,
    COMMON_ALIASES,
    DATA_GROUPS,
    ORDERED,
    REQUIRED_COLUMNS,
)
from metareview.errors import DataError, Problem
from metareview.stats.vocabulary import RATIO_MEASURES, percent_hint

MAX_PROBLEMS = 50
MISSING = {"", "na", "n/a", "nan", "#n/a", "null", "none"}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_LOWER_STANDARD = {name.lower(): name for name in COLUMNS}


@dataclass(frozen=True)
class ExtractionTable:
    """A validated extraction table.

    ``frame`` holds the standard columns (numbers as floats, text as str or None) and every
    extra column as a moderator; its index is the row number a spreadsheet shows for each row.
    ``data_group`` names, per row, the first complete data group (see ``standard.DATA_GROUPS``);
    ``incomplete`` maps the row number of each row without one (kept only when loaded with
    ``drop_incomplete=True``; its group is ``""``) to what it lacks.
    """

    frame: pd.DataFrame
    source: str
    data_group: tuple[str, ...]
    columns: dict[str, str] = field(default_factory=dict)
    moderators: tuple[str, ...] = ()
    incomplete: dict[int, str] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def n_studies(self) -> int:
        return int(self.frame["study"].nunique())

    def rows_by_group(self) -> dict[str, list[int]]:
        """Spreadsheet row numbers per data group, in the standard's group order."""
        groups: dict[str, list[int]] = {}
        for group in DATA_GROUPS:
            rows = [
                int(row)
                for row, name in zip(self.frame.index, self.data_group)
                if name == group.name
            ]
            if rows:
                groups[group.name] = rows
        return groups

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "valid": True,
            "rows": self.n_rows,
            "studies": self.n_studies,
            "data_groups": self.rows_by_group(),
            "moderators": list(self.moderators),
            "columns": dict(self.columns),
            "dropped": self.dropped_rows(),
            "problems": [],
        }

    def dropped_rows(self) -> list[dict[str, Any]]:
        """The rows without usable effect data, as ``{row, study, reason}``."""
        study = self.frame["study"]
        return [
            {"row": row, "study": study[row], "reason": reason}
            for row, reason in self.incomplete.items()
        ]

    def summary(self) -> str:
        lines = [
            f"{self.source}: valid",
            f"  rows: {self.n_rows}, studies: {self.n_studies}",
            "  data groups:",
        ]
        for name, rows in self.rows_by_group().items():
            lines.append(f"    {name:<15} {len(rows):>5} rows  ({format_row_ranges(rows)})")
        if self.moderators:
            lines.append(f"  moderators: {', '.join(self.moderators)}")
        if self.incomplete:
            lines.append(f"  dropped {len(self.incomplete)} row(s) without usable effect data:")
            lines += [
                f"    row {d['row']} ({d['study']}): {d['reason']}" for d in self.dropped_rows()
            ]
        return "\n".join(lines)


def format_row_ranges(rows: list[int]) -> str:
    """Compact row list, e.g. ``2-5, 8``.

    >>> format_row_ranges([2, 3, 4, 5, 8])
    'rows 2-5, 8'
    """
    parts, start = [], None
    for index, row in enumerate(rows):
        if start is None:
            start = row
        if index + 1 == len(rows) or rows[index + 1] != row + 1:
            parts.append(str(start) if start == row else f"{start}-{row}")
            start = None
    return ("row " if len(rows) == 1 else "rows ") + ", ".join(parts)


def parse_number(value: object) -> float | None:
    """A cell as a float; ``None`` when missing; raises ``ValueError`` when not a number.

    >>> parse_number("0,71"), parse_number("NA"), parse_number(3)
    (0.71, None, 3.0)
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int | float):
        number = float(value)
        if math.isinf(number):  # a spreadsheet or Parquet cell holding ±inf
            raise ValueError("not a finite number")
        return None if math.isnan(number) else number
    text = str(value).strip()
    if text.lower() in MISSING:
        return None
    if _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    number = float(text)
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise ValueError("not a finite number")
    return number


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING


def load_table(
    source: str | Path | pd.DataFrame,
    columns: dict[str, str] | list[str] | None = None,
    sheet: str | None = None,
    *,
    drop_incomplete: bool = False,
) -> ExtractionTable:
    """Read, map and validate an extraction table; raise one :class:`DataError` with every problem.

    ``source`` is a path (CSV/TSV/TXT, XLSX, Parquet) or a pandas DataFrame; ``columns`` maps
    standard names to the file's headers (``{"yi": "TE"}`` or ``["yi=TE"]``).
    ``drop_incomplete`` keeps rows without a complete data group (an error by default) and
    lists them in ``ExtractionTable.incomplete``; bad values are errors either way.
    """
    mapping = parse_column_mapping(columns)
    if isinstance(source, pd.DataFrame):
        return validate_raw(raw_from_frame(source), mapping, drop_incomplete=drop_incomplete)
    if sheet is None:
        parsed = read_csv_parsed(source, lambda name: _is_number(name, mapping))
        if parsed is not None:
            try:
                return validate_raw(parsed, mapping, drop_incomplete=drop_incomplete)
            except DataError:
                pass  # read it again cell by cell, so that each problem quotes the cell as written
    return validate_raw(read_raw(source, sheet), mapping, drop_incomplete=drop_incomplete)


def _is_number(header: str, mapping: dict[str, str]) -> bool:
    spec = COLUMNS.get(_standard_name(header, mapping))
    return spec is not None and spec.numeric


def _standard_name(header: str, mapping: dict[str, str]) -> str:
    """The standard column a file's header stands for: mapped to it, or its name in any case
    ("Study" is "study"); else the header itself (a moderator)."""
    name = {actual: standard for standard, actual in mapping.items()}.get(header, header)
    return name if name in COLUMNS else _LOWER_STANDARD.get(name.lower(), name)


def validate_raw(
    raw: RawTable | ParsedColumns, mapping: dict[str, str], *, drop_incomplete: bool = False
) -> ExtractionTable:
    """Map and validate a :class:`RawTable` or :class:`ParsedColumns` (see :func:`load_table`;
    problems with a parsed number quote it as parsed, not as written)."""
    header = _mapped_header(raw, mapping)
    if not raw.row_numbers:
        raise DataError(Problem.of_file(raw.source, "at least one data row"))

    problems: list[Problem] = []
    invalid: set[tuple[str, int]] = set()  # (column, row position) of cells already reported
    data: dict[str, object] = {}
    for position, name in enumerate(header):
        if not name:
            continue
        cells = raw.column(position)
        spec = COLUMNS.get(name)
        if spec is not None and spec.numeric:
            numbers = _numeric_column(raw, name, position, cells, problems, invalid)
            # a column with no number at all stays a column of None, as pandas makes it
            data[name] = [None] * len(numbers) if np.isnan(numbers).all() else numbers
        else:
            data[name] = _text_column(cells)
    rows = np.fromiter(raw.row_numbers, np.int64, len(raw.row_numbers))
    frame = pd.DataFrame(data, index=pd.Index(rows, name="row"))

    for position in np.flatnonzero(frame["study"].isna().to_numpy()):
        problems.append(
            Problem(
                raw.source,
                raw.row_numbers[position],
                _actual(mapping, "study"),
                "",
                "a study label",
            )
        )
    _check_pairs(raw, mapping, frame, problems)
    _check_codes(raw, mapping, frame, problems)
    groups, lacking = _data_groups(raw, mapping, frame, invalid)
    incomplete: dict[int, str] = {}
    for position, lack in lacking.items():
        if drop_incomplete:
            incomplete[raw.row_numbers[position]] = _incomplete_reason(lack)
        else:
            problems.append(_incomplete_problem(raw, mapping, position, lack))
    _check_duplicates(raw, frame, problems)

    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        problems = _collapse_repeats(problems, _remedy(raw.header, mapping, groups, lacking))
        raise DataError(problems[:MAX_PROBLEMS], total=len(problems))
    moderators = tuple(name for name in frame.columns if name not in COLUMNS)
    return ExtractionTable(frame, raw.source, tuple(groups), dict(mapping), moderators, incomplete)


# a problem repeated in this many rows or more is printed once, with the rows
REPEATS_SHOWN_ONCE = 3
_EFFECT_HEADERS = ("g", "hedges_g", "smd", "d", "es", "effect", "effect_size", "te", "yi")
_SE_HEADERS = ("se", "sete", "se_g", "sei", "standard_error", "se_es")


def _remedy(header: list[str], mapping: dict[str, str], groups, lacking) -> str:
    """What to do about rows without effect data: the likely --col mapping when no row has any
    (the table's own headers for g and its SE), --drop-incomplete when some rows have it."""
    if not lacking:
        return ""
    if len(lacking) < len(groups):
        return "; or use --drop-incomplete to leave these rows out and list them"
    lower = {name.strip().lower(): name.strip() for name in header if name}
    effect = next((lower[h] for h in _EFFECT_HEADERS if h in lower and h not in mapping), None)
    se = next((lower[h] for h in _SE_HEADERS if h in lower), None)
    if effect is None or se is None:
        return "; map your columns to the standard names with --col STD=ACTUAL"
    standard = (
        ("precalc_g", "precalc_g_se") if effect.lower() in ("g", "hedges_g") else ("yi", "sei")
    )
    return f"; the table looks like it has them: try --col {standard[0]}={effect} --col {standard[1]}={se}"


def _collapse_repeats(problems: list[Problem], remedy: str) -> list[Problem]:
    """One problem for each message repeated in many rows, naming the rows (ranges), so a
    table whose 411 rows lack the same thing gets one line, not 411."""
    rows: dict[tuple, list[int]] = {}
    for problem in problems:
        key = (problem.file, problem.column, problem.value, problem.expected)
        rows.setdefault(key, []).append(problem.row or 0)
    out: list[Problem] = []
    done: set[tuple] = set()
    for problem in problems:
        key = (problem.file, problem.column, problem.value, problem.expected)
        # only messages with no value of their own repeat word for word (missing data); a bad
        # value is shown at its row, as it differs from row to row
        if len(rows[key]) < REPEATS_SHOWN_ONCE or problem.row is None or problem.value:
            out.append(problem)
        elif key not in done:
            done.add(key)
            where = format_row_ranges(sorted(rows[key]))
            extra = remedy if problem.expected.startswith(("effect data", "a complete")) else ""
            text = f"{problem.expected} — in {len(rows[key])} rows ({where}){extra}"
            out.append(Problem(problem.file, None, problem.column, problem.value, text))
    return out


def _actual(mapping: dict[str, str], standard: str) -> str:
    """The file's header for a standard column (for messages in the user's own words)."""
    return mapping.get(standard, standard)


def _hinted(hint: str | None) -> str:
    """`` (did you mean 'HINT'?)`` to end a message with, or nothing without a hint."""
    return f" (did you mean {hint!r}?)" if hint else ""


def _mapped_header(raw: RawTable, mapping: dict[str, str]) -> list[str]:
    """Rename mapped headers to standard names and check the header as a whole."""
    problems: list[Problem] = []
    file_headers = [name for name in raw.header if name]
    for standard, actual in mapping.items():
        if standard not in COLUMNS:
            expected = "a standard column name to map" + _hinted(did_you_mean(standard, COLUMNS))
            problems.append(Problem(raw.source, None, None, standard, expected))
        elif actual not in raw.header:
            hint = _hinted(did_you_mean(actual, file_headers))
            expected = f"a column of the file for --col {standard}={actual}{hint}"
            problems.append(Problem(raw.source, None, actual, None, expected))
        elif standard in raw.header and standard != actual:
            expected = (
                f"no column named {standard!r} when {actual!r} is mapped to it (rename or drop one)"
            )
            problems.append(Problem(raw.source, None, standard, None, expected))
    if problems:
        raise DataError(problems[:MAX_PROBLEMS], total=len(problems))
    header = [_standard_name(name, mapping) for name in raw.header]
    seen: dict[str, int] = {}
    for position, name in enumerate(header):
        if not name:
            if any(not _is_missing(cell) for cell in raw.column(position)):
                problems.append(
                    Problem(
                        raw.source, 1, f"#{position + 1}", "", "a header for a column with data"
                    )
                )
            continue
        if name in seen:
            problems.append(Problem(raw.source, 1, name, name, "each column name once"))
        seen[name] = position
    for name in header:
        if name and name not in COLUMNS:
            hint = did_you_mean(name, COLUMNS, cutoff=0.85)
            if hint and hint not in seen:
                expected = (
                    f"a standard column name (did you mean {hint!r}?) or a moderator that is not "
                    "a near-miss of one"
                )
                problems.append(Problem(raw.source, 1, name, name, expected))
    for required in REQUIRED_COLUMNS:
        if required not in seen:
            hint = _suggest_header(required, file_headers)
            suggestion = f" (did you mean --col {required}={hint}?)" if hint else ""
            problems.append(
                Problem(raw.source, 1, required, None, f"a {required!r} column{suggestion}")
            )
    if problems:
        raise DataError(problems[:MAX_PROBLEMS], total=len(problems))
    return header


def _suggest_header(standard: str, headers: list[str]) -> str | None:
    for header in headers:
        if COMMON_ALIASES.get(header.lower()) == standard:
            return header
    return did_you_mean(standard, headers)


def _text_column(cells: list[object]) -> list[object]:
    """Text cells stripped, ``None`` where missing; numbers (from XLSX or Parquet) kept.

    >>> _text_column([" A ", "NA", ""]), _text_column(["x", 2019, float("nan")])
    (['A', None, None], ['x', 2019, None])
    """
    if set(map(type, cells)) == {str}:  # a CSV's column, in one quick pass
        stripped = [cell.strip() for cell in cells]
        return [None if text.lower() in MISSING else text for text in stripped]
    return [None if _is_missing(cell) else _text_or_number(cell) for cell in cells]


def _text_or_number(cell: object) -> object:
    return cell.strip() if isinstance(cell, str) else cell


def _numeric_column(raw, name, position, cells, problems, invalid) -> np.ndarray:
    """A numeric column as floats, NaN where missing or bad: a vectorised pass, then
    :func:`parse_number` on the cells it could not read (missing markers, decimal commas,
    text, infinities, booleans); cells parsed already (:class:`ParsedColumns`) are kept."""
    spec = COLUMNS[name]
    header = raw.header[position]
    if isinstance(cells, np.ndarray):
        numbers = cells.copy()
        for index in np.flatnonzero(np.isinf(numbers)):  # parsed cells: ±inf is no number
            problems.append(
                Problem(
                    raw.source, raw.row_numbers[index], header, str(cells[index]), spec.expected
                )
            )
            invalid.add((name, int(index)))
            numbers[index] = np.nan
    else:
        numbers = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy(
            float, copy=True
        )
        is_bool = np.fromiter((isinstance(cell, bool) for cell in cells), bool, len(cells))
        for index in np.flatnonzero(~np.isfinite(numbers) | is_bool):
            try:
                number = parse_number(cells[index])
            except (TypeError, ValueError):
                problems.append(
                    Problem(
                        raw.source, raw.row_numbers[index], header, str(cells[index]), spec.expected
                    )
                )
                invalid.add((name, int(index)))
                number = None
            numbers[index] = np.nan if number is None else number
    if spec.minimum is not None:
        with np.errstate(invalid="ignore"):
            too_small = (
                numbers <= spec.minimum if spec.exclusive_minimum else numbers < spec.minimum
            )
        for index in np.flatnonzero(too_small):
            problems.append(
                Problem(
                    raw.source, raw.row_numbers[index], header, str(cells[index]), spec.expected
                )
            )
            invalid.add((name, int(index)))
            numbers[index] = np.nan
    return numbers


def _check_pairs(raw, mapping, frame, problems) -> None:
    """Columns that must be in order: events within totals, a CI around its point estimate."""
    for smaller, larger, strict in ORDERED:
        if smaller not in frame or larger not in frame:
            continue
        a = frame[smaller].to_numpy(dtype=float, na_value=np.nan)
        b = frame[larger].to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            wrong = (a >= b) if strict else (a > b)
        for index in np.flatnonzero(wrong):
            expected = "below" if strict else "at most"
            problems.append(
                Problem(
                    raw.source,
                    raw.row_numbers[index],
                    _actual(mapping, smaller),
                    f"{a[index]:g}",
                    f"{expected} {_actual(mapping, larger)} ({b[index]:g})",
                )
            )


def _check_codes(raw, mapping, frame, problems) -> None:
    """A ratio's measure from the vocabulary; a CI level below 1 (a fraction, not a percent)."""
    if "ratio_measure" in frame:
        for row, code in zip(raw.row_numbers, frame["ratio_measure"]):
            if not _is_missing(code) and str(code).strip().upper() not in RATIO_MEASURES:
                problems.append(
                    Problem(
                        raw.source,
                        row,
                        _actual(mapping, "ratio_measure"),
                        str(code),
                        "one of " + ", ".join(RATIO_MEASURES),
                    )
                )
    if "ci_level" in frame:
        for row, level in zip(raw.row_numbers, frame["ci_level"]):
            if level is not None and not math.isnan(level) and level >= 1:
                hint = percent_hint(level)
                problems.append(
                    Problem(
                        raw.source,
                        row,
                        _actual(mapping, "ci_level"),
                        f"{level:g}",
                        f"a confidence level between 0 and 1, e.g. 0.95{hint}",
                    )
                )


# What a row without a complete data group has: (nearest group, columns it has, columns it
# lacks), or None when it fills in no column of any data group.
Lack = tuple[str, list[str], list[str]] | None


def _data_groups(raw, mapping, frame, invalid) -> tuple[list[str], dict[int, Lack]]:
    """Name each row's first complete data group; say what each row without one lacks (by row
    position; rows with a bad cell are left out: their cell is reported already)."""
    n_rows = len(raw.row_numbers)
    present = {name: frame[name].notna().to_numpy(copy=True) for name in COLUMNS if name in frame}
    for name, index in invalid:  # a bad cell counts as present: it is reported already
        present[name][index] = True
    absent = np.zeros(n_rows, dtype=bool)
    groups = np.full(n_rows, "", dtype=object)
    for group in DATA_GROUPS:
        complete = np.logical_and.reduce([present.get(c, absent) for c in group.columns])
        groups[(groups == "") & complete] = group.name
    rows_with_bad_cells = {index for _, index in invalid}
    lacking: dict[int, Lack] = {}
    for index in np.flatnonzero(groups == ""):
        if index in rows_with_bad_cells:
            continue
        partial = []
        for group in DATA_GROUPS:
            have = [c for c in group.columns if present.get(c, absent)[index]]
            if have:
                partial.append((group.name, have, [c for c in group.columns if c not in have]))
        # the group it has most of; on a tie, the one whose missing columns the table has
        nearest = max(
            partial,
            key=lambda item: (len(item[1]), sum(c in frame for c in item[2])),
            default=None,
        )
        lacking[int(index)] = nearest
    return groups.tolist(), lacking


def _incomplete_problem(raw, mapping, position: int, lack: Lack) -> Problem:
    row = raw.row_numbers[position]
    if lack is None:
        names = ", ".join(group.name for group in DATA_GROUPS)
        return Problem(
            raw.source, row, None, None, f"effect data: one complete data group ({names})"
        )
    name, have, missing = lack
    return Problem(
        raw.source,
        row,
        _actual(mapping, missing[0]),
        "",
        f"a complete '{name}' data group (has {', '.join(have)}; missing {', '.join(missing)})",
    )


def _incomplete_reason(lack: Lack) -> str:
    """Why a row without a complete data group gives no effect (the listing of dropped rows).

    >>> _incomplete_reason(("yi_sei", ["yi"], ["sei"]))
    "no complete data group: 'yi_sei' has yi but lacks sei"
    """
    if lack is None:
        return "no effect data (no column of any data group filled in)"
    name, have, missing = lack
    return f"no complete data group: '{name}' has {', '.join(have)} but lacks {', '.join(missing)}"


def _check_duplicates(raw, frame, problems) -> None:
    """Report rows identical in every column to an earlier row: the rows alike in their numbers
    (hashed), then those alike in every column (hashed), then compared cell by cell."""
    numbers = [name for name, column in frame.items() if column.dtype.kind == "f"]
    candidates = np.flatnonzero(_repeated(frame[numbers])) if numbers else np.arange(len(frame))
    candidates = candidates[_repeated(frame.iloc[candidates])]
    first_seen: dict[tuple, int] = {}
    for index in candidates:  # hashes may collide: compare the cells as text
        key = tuple("" if value is None else str(value) for value in frame.iloc[index])
        row = raw.row_numbers[index]
        if key in first_seen:
            problems.append(
                Problem(
                    raw.source,
                    row,
                    None,
                    None,
                    f"a distinct row (duplicate of row {first_seen[key]})",
                )
            )
        else:
            first_seen[key] = row


def _repeated(frame: pd.DataFrame) -> np.ndarray:
    """Whether each row's hash is another row's too (numbers hashed as numbers with one NaN, so
    that equal text, ``nan`` included, hashes equal; the other columns hashed as text)."""
    hashed = pd.DataFrame(
        {
            name: (
                np.where(np.isnan(column), np.nan, column)
                if column.dtype.kind == "f"
                else column.astype(str)
            )
            for name, column in frame.items()
        }
    )
    hashes = pd.util.hash_pandas_object(hashed, index=False)
    return hashes.duplicated(keep=False).to_numpy()
