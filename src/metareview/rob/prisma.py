"""PRISMA 2020 flow counts: read/write the PRISMA2020 CSV and check the arithmetic.

The file format is that of the PRISMA2020 R package and Shiny app (Haddaway, Page, Pritchard
& McGuinness 2022, Campbell Systematic Reviews 18:e1230): columns
``data,node,box,description,boxtext,tooltips,url,n``, one row per count keyed by ``data``
(``database_results``, ``duplicates``, ``records_screened``, ``dbr_excluded`` …). The template
the package ships is accepted as is; fill its ``n`` column. ``n`` holds a number, blank or
``NA`` (not reported), or for ``database_specific_results``, ``register_specific_results``,
``dbr_excluded`` and ``other_excluded`` a list ``"name, n; name, n"`` (``xxx`` placeholders of
the template count as not reported).

:meth:`PrismaCounts.check` verifies the flow of the PRISMA 2020 diagram (Page et al. 2021,
BMJ 372:n71, Figure 1): identified − removed before screening = screened; screened − excluded
= sought; sought − not retrieved = assessed; assessed − excluded = included; previous + new =
total. A failed equation raises a :class:`~metareview.errors.DataError` that names it; an
equation with an unreported term is listed as unchecked instead.

>>> c = PrismaCounts(database_results=120, duplicates=20, records_screened=100,
...                  records_excluded=80, dbr_sought_reports=20, dbr_notretrieved_reports=2,
...                  dbr_assessed=18, dbr_excluded=(("Wrong population", 10),), new_studies=8)
>>> c.check().unchecked
()
>>> PrismaCounts(database_results=120, duplicates=20, records_screened=90).check()
Traceback (most recent call last):
...
metareview.errors.DataError: <counts>, row 17, column 'n': got '90', expected records identified − removed before screening = records screened: 120 − 20 − 0 − 0 = 100
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from metareview.data.spreadsheet import neutralise
from metareview.errors import DataError, Problem

Reasons = tuple[tuple[str, int | None], ...]

# data key -> (node, box, description) in the PRISMA2020 template's order.
_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("NA", "node4", "prevstud", "Previous studies"),
    ("previous_studies", "node5", "box1", "Studies included in previous version of review"),
    ("previous_reports", "NA", "box1", "Reports of studies included in previous version of review"),
    ("NA", "node6", "newstud", "Identification of new studies via databases and registers"),
    ("database_results", "node7", "box2", "Records identified from: Databases"),
    ("database_specific_results", "NA", "box2", "Records identified from: specific databases"),
    ("register_results", "NA", "box2", "Records identified from: Registers"),
    ("register_specific_results", "NA", "box2", "Records identified from: specific registers"),
    ("NA", "node16", "othstud", "Identification of new studies via other methods"),
    ("website_results", "node17", "box11", "Records identified from: Websites"),
    ("organisation_results", "NA", "box11", "Records identified from: Organisations"),
    ("citations_results", "NA", "box11", "Records identified from: Citation searching"),
    ("duplicates", "node8", "box3", "Duplicate records"),
    ("excluded_automatic", "NA", "box3", "Records marked as ineligible by automation tools"),
    ("excluded_other", "NA", "box3", "Records removed for other reasons"),
    ("records_screened", "node9", "box4", "Records screened (databases and registers)"),
    ("records_excluded", "node10", "box5", "Records excluded (databases and registers)"),
    (
        "dbr_sought_reports",
        "node11",
        "box6",
        "Reports sought for retrieval (databases and registers)",
    ),
    (
        "dbr_notretrieved_reports",
        "node12",
        "box7",
        "Reports not retrieved (databases and registers)",
    ),
    ("other_sought_reports", "node18", "box12", "Reports sought for retrieval (other)"),
    ("other_notretrieved_reports", "node19", "box13", "Reports not retrieved (other)"),
    (
        "dbr_assessed",
        "node13",
        "box8",
        "Reports assessed for eligibility (databases and registers)",
    ),
    ("dbr_excluded", "node14", "box9", "Reports excluded (databases and registers): reason, n; …"),
    ("other_assessed", "node20", "box14", "Reports assessed for eligibility (other)"),
    ("other_excluded", "node21", "box15", "Reports excluded (other): reason, n; …"),
    ("new_studies", "node15", "box10", "New studies included in review"),
    ("new_reports", "NA", "box10", "Reports of new included studies"),
    ("total_studies", "node22", "box16", "Total studies included in review"),
    ("total_reports", "NA", "box16", "Reports of total included studies"),
    ("NA", "node1", "identification", "Identification"),
    ("NA", "node2", "screening", "Screening"),
    ("NA", "node3", "included", "Included"),
    ("total_studies_ma", "node23", "box17", "Total studies included in meta-analysis"),
    ("total_reports_ma", "NA", "box17", "Reports of total included studies in meta-analysis"),
)
#: Each count's box of the diagram, by its PRISMA2020 key, in the template's order.
BOXES: dict[str, str] = {
    key: text.removesuffix(": reason, n; …") for key, _, _, text in _ROWS if key != "NA"
}
LIST_KEYS = frozenset(
    {"database_specific_results", "register_specific_results", "dbr_excluded", "other_excluded"}
)
_HEADER = ("data", "node", "box", "description", "boxtext", "tooltips", "url", "n")
_PLACEHOLDER = "xxx"


@dataclass(frozen=True)
class Equation:
    """One checked identity of the flow: its name, the terms and the two sides."""

    name: str
    expression: str
    left: int
    right: int
    result_key: str
    relation: str = "="

    @property
    def holds(self) -> bool:
        return self.left == self.right if self.relation == "=" else self.left <= self.right

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expression": self.expression,
            "left": self.left,
            "right": self.right,
            "relation": self.relation,
            "holds": self.holds,
        }


@dataclass(frozen=True)
class PrismaCheck:
    """The result of :meth:`PrismaCounts.check`: equations verified and those not checkable."""

    checked: tuple[Equation, ...]
    unchecked: tuple[str, ...]

    def summary(self) -> str:
        lines = [f"PRISMA counts: {len(self.checked)} equations hold"]
        lines += [f"  ✓ {e.name}: {e.expression}" for e in self.checked]
        lines += [f"  – not checked: {u}" for u in self.unchecked]
        return "\n".join(lines)


@dataclass(frozen=True)
class PrismaCounts:
    """The counts of a PRISMA 2020 flow diagram; ``None`` means not reported."""

    previous_studies: int | None = None
    previous_reports: int | None = None
    database_results: int | None = None
    database_specific_results: Reasons = ()
    register_results: int | None = None
    register_specific_results: Reasons = ()
    website_results: int | None = None
    organisation_results: int | None = None
    citations_results: int | None = None
    duplicates: int | None = None
    excluded_automatic: int | None = None
    excluded_other: int | None = None
    records_screened: int | None = None
    records_excluded: int | None = None
    dbr_sought_reports: int | None = None
    dbr_notretrieved_reports: int | None = None
    other_sought_reports: int | None = None
    other_notretrieved_reports: int | None = None
    dbr_assessed: int | None = None
    dbr_excluded: Reasons = ()
    other_assessed: int | None = None
    other_excluded: Reasons = ()
    new_studies: int | None = None
    new_reports: int | None = None
    total_studies: int | None = None
    total_reports: int | None = None
    total_studies_ma: int | None = None
    total_reports_ma: int | None = None
    source: str = "<counts>"
    rows: tuple[tuple[str, ...], ...] = ()  # the file's rows as read, to write it back

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in LIST_KEYS:
                object.__setattr__(self, f.name, tuple((str(a), b) for a, b in value))
            elif isinstance(value, float) and value.is_integer():
                object.__setattr__(self, f.name, int(value))

    # -- derived counts ---------------------------------------------------------------------
    @property
    def identified_databases(self) -> int | None:
        """Records from databases: the total, or the sum of the specific databases."""
        return _total(self.database_results, self.database_specific_results)

    @property
    def identified_registers(self) -> int | None:
        return _total(self.register_results, self.register_specific_results)

    @property
    def has_previous(self) -> bool:
        """Whether the diagram needs the previous-studies column (an updated review)."""
        return bool(self.previous_studies or self.previous_reports)

    @property
    def has_other_methods(self) -> bool:
        """Whether the diagram needs the other-methods column."""
        keys = (
            "website_results",
            "organisation_results",
            "citations_results",
            "other_sought_reports",
            "other_notretrieved_reports",
            "other_assessed",
        )
        return any(getattr(self, k) for k in keys) or bool(_sum_reasons(self.other_excluded))

    def value(self, key: str) -> Any:
        """A count by its PRISMA2020 key (reason lists for the list keys)."""
        return getattr(self, key)

    # -- checks -----------------------------------------------------------------------------
    def check(self) -> PrismaCheck:
        """Verify every equation of the flow; raise a DataError naming each failed one."""
        checked, unchecked, failed = [], [], []
        for equation in self._equations(unchecked):
            (checked if equation.holds else failed).append(equation)
        for key in _int_keys():
            value = getattr(self, key)
            if value is not None and value < 0:
                failed.append(Equation(f"{key} ≥ 0", f"{key} = {value}", value, 0, key, "≥"))
        if failed:
            raise DataError([self._problem(e) for e in failed])
        return PrismaCheck(tuple(checked), tuple(unchecked))

    def _problem(self, equation: Equation) -> Problem:
        row = self._row_of(equation.result_key)
        got = getattr(self, equation.result_key)
        if isinstance(got, tuple):
            got = _sum_reasons(got)
        return Problem(self.source, row, "n", str(got), f"{equation.name}: {equation.expression}")

    def _row_of(self, key: str) -> int | None:
        rows = self.rows or tuple(r[:1] for r in _template_rows())
        for number, row in enumerate(rows, start=2):
            if row and row[0] == key:
                return number
        return None

    def _equations(self, unchecked: list[str]) -> list[Equation]:
        out: list[Equation] = []

        def add(
            name: str,
            terms: Sequence[tuple[str, str, int | None]],
            result_key: str,
            result: int | None,
            relation: str = "=",
        ) -> None:
            missing = [label for _, label, v in terms if v is None] + (
                [result_key] if result is None else []
            )
            if missing:
                unchecked.append(f"{name} ({', '.join(missing)} not reported)")
                return
            total = sum(v if sign == "+" else -v for sign, _, v in terms)
            text = " ".join(
                (f"{v}" if i == 0 else f"{'+' if sign == '+' else '−'} {v}")
                for i, (sign, _, v) in enumerate(terms)
            )
            expression = f"{text} = {total}" if len(terms) > 1 else f"{total}"
            if relation == "=":
                out.append(Equation(name, expression, result, total, result_key))
            else:
                out.append(Equation(name, f"{result} ≤ {total}", result, total, result_key, "≤"))

        zero = lambda v: 0 if v is None else v  # noqa: E731  optional terms default to 0
        if self.database_results is not None and self.database_specific_results:
            specific = _sum_reasons(self.database_specific_results)
            if specific is not None:
                add(
                    "specific databases sum to the database total",
                    [("+", "database_specific_results", specific)],
                    "database_results",
                    self.database_results,
                )
        dbs, regs = self.identified_databases, self.identified_registers
        identified = None if dbs is None and regs is None else zero(dbs) + zero(regs)
        add(
            "records identified − removed before screening = records screened",
            [
                ("+", "database_results/register_results", identified),
                ("-", "duplicates", zero(self.duplicates)),
                ("-", "excluded_automatic", zero(self.excluded_automatic)),
                ("-", "excluded_other", zero(self.excluded_other)),
            ],
            "records_screened",
            self.records_screened,
        )
        add(
            "records screened − records excluded = reports sought for retrieval",
            [
                ("+", "records_screened", self.records_screened),
                ("-", "records_excluded", self.records_excluded),
            ],
            "dbr_sought_reports",
            self.dbr_sought_reports,
        )
        add(
            "reports sought − reports not retrieved = reports assessed (databases and registers)",
            [
                ("+", "dbr_sought_reports", self.dbr_sought_reports),
                ("-", "dbr_notretrieved_reports", zero(self.dbr_notretrieved_reports)),
            ],
            "dbr_assessed",
            self.dbr_assessed,
        )
        if self.has_other_methods:
            add(
                "reports sought − reports not retrieved = reports assessed (other methods)",
                [
                    ("+", "other_sought_reports", self.other_sought_reports),
                    ("-", "other_notretrieved_reports", zero(self.other_notretrieved_reports)),
                ],
                "other_assessed",
                self.other_assessed,
            )
        included_key = "new_reports" if self.new_reports else "new_studies"
        terms = [
            ("+", "dbr_assessed", self.dbr_assessed),
            ("-", "dbr_excluded", _sum_reasons(self.dbr_excluded) or 0),
        ]
        if self.has_other_methods:
            terms += [
                ("+", "other_assessed", zero(self.other_assessed)),
                ("-", "other_excluded", _sum_reasons(self.other_excluded) or 0),
            ]
        if self.dbr_excluded or self.other_excluded:
            add(
                f"reports assessed − reports excluded = {included_key.replace('_', ' ')} included",
                terms,
                included_key,
                getattr(self, included_key),
            )
        else:
            unchecked.append("reports assessed − reports excluded = included (no exclusions given)")
        if self.new_reports and self.new_studies is not None:
            add(
                "new studies ≤ reports of new studies",
                [("+", "new_reports", self.new_reports)],
                "new_studies",
                self.new_studies,
                "≤",
            )
        if self.total_studies:
            add(
                "previous studies + new studies = total studies",
                [
                    ("+", "previous_studies", zero(self.previous_studies)),
                    ("+", "new_studies", self.new_studies),
                ],
                "total_studies",
                self.total_studies,
            )
        if self.total_reports:
            add(
                "previous reports + new reports = total reports",
                [
                    ("+", "previous_reports", zero(self.previous_reports)),
                    ("+", "new_reports", self.new_reports),
                ],
                "total_reports",
                self.total_reports,
            )
        if self.total_studies_ma:
            included = self.total_studies or (zero(self.previous_studies) + zero(self.new_studies))
            add(
                "studies in meta-analysis ≤ studies included",
                [("+", "total studies", included)],
                "total_studies_ma",
                self.total_studies_ma,
                "≤",
            )
        return out

    # -- files ------------------------------------------------------------------------------
    @classmethod
    def from_csv(cls, path: str | Path) -> PrismaCounts:
        """Read a PRISMA2020 CSV (the package's template with ``n`` filled in)."""
        path = Path(path)
        if not path.is_file():
            raise DataError(Problem.of_file(str(path), "an existing PRISMA2020 CSV file"))
        return cls.from_text(path.read_text(encoding="utf-8-sig"), str(path))

    @classmethod
    def from_text(cls, text: str, source: str = "<counts>") -> PrismaCounts:
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
        if (
            not rows
            or [c.strip().lower() for c in rows[0][:1]] != ["data"]
            or "n" not in [c.strip().lower() for c in rows[0]]
        ):
            raise DataError(
                Problem(
                    source,
                    1,
                    None,
                    ",".join(rows[0]) if rows else None,
                    "the PRISMA2020 header data,node,box,…,n",
                )
            )
        header = [c.strip().lower() for c in rows[0]]
        n_at = header.index("n")
        known = {f.name for f in fields(cls)} - {"source", "rows"}
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        for number, row in enumerate(rows[1:], start=2):
            key = row[0].strip()
            if key not in known:
                continue
            cell = row[n_at].strip() if len(row) > n_at else ""
            try:
                values[key] = _parse_list(cell) if key in LIST_KEYS else _parse_count(cell)
            except ValueError as err:
                problems.append(Problem(source, number, "n", cell, str(err)))
        if problems:
            raise DataError(problems)
        return cls(**values, source=source, rows=tuple(tuple(r) for r in rows[1:]))

    def to_csv(self, path: str | Path | None = None) -> str:
        """The PRISMA2020 CSV with ``n`` filled; keeps the rows of the file read, if any."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(_HEADER)
        rows = self.rows or _template_rows()
        for row in rows:
            row = list(row) + [""] * (len(_HEADER) - len(row))
            key = row[0]
            if hasattr(self, key) and key not in ("source", "rows"):
                row[7] = _format_value(getattr(self, key))
            writer.writerow([neutralise(cell) for cell in row[: len(_HEADER)]])
        text = buffer.getvalue()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def with_counts(self, **counts: Any) -> PrismaCounts:
        """A copy with some counts replaced (e.g. counts derived from a screening log)."""
        return replace(self, **counts)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in _all_keys():
            value = getattr(self, key)
            out[key] = [{"name": a, "n": b} for a, b in value] if key in LIST_KEYS else value
        return out


def _all_keys() -> list[str]:
    return [f.name for f in fields(PrismaCounts) if f.name not in ("source", "rows")]


def _int_keys() -> list[str]:
    return [k for k in _all_keys() if k not in LIST_KEYS]


def _template_rows() -> tuple[tuple[str, ...], ...]:
    return tuple((data, node, box, text, text, text, "NA", "") for data, node, box, text in _ROWS)


def _parse_count(cell: str) -> int | None:
    if cell.lower() in ("", "na", "nr", _PLACEHOLDER):
        return None
    try:
        number = float(cell.replace(",", "").replace(" ", ""))
    except ValueError:
        raise ValueError("a whole number ≥ 0 (blank or NA when not reported)") from None
    if not number.is_integer():
        raise ValueError("a whole number ≥ 0 (blank or NA when not reported)")
    return int(number)


def _parse_list(cell: str) -> Reasons:
    """``"Reason 1, 12; Reason 2, 3"`` → ((name, n), …); a bare number is one unnamed entry."""
    if cell.lower() in ("", "na", "0"):
        return ()
    try:
        return (("", _parse_count(cell)),)
    except ValueError:
        pass
    entries = []
    for part in cell.split(";"):
        if not part.strip():
            continue
        name, sep, count = part.rpartition(",")
        if not sep:
            raise ValueError(
                "entries 'name, n' separated by ';' (e.g. 'Wrong population, 12; Not an RCT, 3')"
            )
        entries.append((name.strip(), _parse_count(count.strip())))
    return tuple(entries)


def _sum_reasons(reasons: Reasons) -> int | None:
    counts = [n for _, n in reasons if n is not None]
    return sum(counts) if counts else None


def _total(total: int | None, specific: Reasons) -> int | None:
    return total if total is not None else _sum_reasons(specific)


def _format_value(value: Any) -> str:
    if value is None:
        return "NA"
    if isinstance(value, tuple):
        if len(value) == 1 and value[0][0] == "":
            return _format_value(value[0][1])
        entries = (f"{_entry_name(name)}, {_format_value(n)}" for name, n in value)
        return "; ".join(entries) or "NA"
    return str(value)


def _entry_name(name: str) -> str:
    """A reason's or a database's name as a PRISMA2020 list cell can hold it: that format
    separates its entries with ``;``, so a ``;`` of the name becomes ``,`` (its count is
    read after the last comma, so commas in a name are kept as they are).

    >>> _entry_name("Wrong dose; too low")
    'Wrong dose, too low'
    """
    return name.replace(";", ",")
