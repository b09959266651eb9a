"""The agreed extraction table, as CSV or XLSX in exactly the form ``metareview run`` reads.

Each complete study contributes its agreed values (:func:`~metareview.store.extraction.agreed_values`)
as rows of the data standard (:func:`~metareview.data.assemble.extraction_frame`): standard
columns, then the review-specific fields as moderator columns. A study is left out, and listed
with the reason, while it is not complete, while a cell differs without a consensus, when its
agreed rows would not pass ``metareview validate``, or when it has no row of data; writing a
table with studies left out needs ``partial=True``, so no study goes missing unnoticed. Text
cells pass through :func:`~metareview.data.spreadsheet.safe_frame` (no spreadsheet formulas).

>>> from metareview.data.form import Cell, RowKey
>>> from metareview.store.extraction import add_study, enter, set_extractors_required, submit
>>> project = Project.open("sqlite://")
>>> set_extractors_required(project, 1, actor="lead")
>>> row = RowKey(1, 2, "hope", "post")
>>> for label in ("Lee, 2020", "Ng, 2021"):
...     study = add_study(project, label, actor="lead")
...     _ = enter(project, study.number, {Cell("yi", row=row): 0.3, Cell("vi", row=row): 0.04},
...               extractor="ana")
>>> _ = submit(project, 1, extractor="ana")
>>> table = agreed_table(project)
>>> table.frame["study"].tolist(), table.left_out
(['Lee, 2020'], {'Ng, 2021': 'not complete: 0 of 1 extractors submitted it'})
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from metareview.data.assemble import StudyCells, check_study, extraction_frame
from metareview.data.form import RowKey
from metareview.data.spreadsheet import safe_frame
from metareview.errors import ExtractionError
from metareview.store.extraction import agreed_values, extraction_form, progress, studies
from metareview.store.project import Project

FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class AgreedTable:
    """The agreed rows of the complete studies (``frame``), where each row came from
    (``rows``: study label and row key), and the studies left out with the reason."""

    frame: pd.DataFrame
    rows: tuple[tuple[str, RowKey], ...]
    left_out: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": len(self.frame),
            "studies": int(self.frame["study"].nunique()) if len(self.frame) else 0,
            "columns": list(self.frame.columns),
            "left_out": dict(self.left_out),
        }

    def summary(self) -> str:
        text = f"{len(self.frame)} rows of {self.to_dict()['studies']} studies"
        if self.left_out:
            text += "; left out: " + "; ".join(f"{k} ({v})" for k, v in self.left_out.items())
        return text


def agreed_table(project: Project) -> AgreedTable:
    """The agreed extraction table of the review as it now stands (see the module's text)."""
    form = extraction_form(project)
    included: list[StudyCells] = []
    left_out: dict[str, str] = {}
    for study in studies(project):
        state = progress(project, study.number)
        if not state.complete:
            left_out[study.label] = (
                f"not complete: {len(state.submitted)} of {state.required} extractors submitted it"
            )
            continue
        agreed = agreed_values(project, study.number)
        if agreed.unresolved:
            n = len(agreed.unresolved)
            left_out[study.label] = (
                f"{n} cell{'s' * (n > 1)} differ{'s' * (n == 1)} without a consensus"
            )
            continue
        cells = agreed.cells()
        problems = check_study(form, cells)
        if problems:
            left_out[study.label] = "; ".join(str(p) for p in problems)
        elif not any(cell.row is not None for cell in cells.values):
            left_out[study.label] = "no row of data"
        else:
            included.append(cells)
    built = extraction_frame(form, included)
    return AgreedTable(built.frame, built.rows, left_out)


def write_agreed(
    project: Project, path: str | Path, *, fmt: str | None = None, partial: bool = False
) -> AgreedTable:
    """Write the agreed table to ``path`` as CSV or XLSX (``fmt``, else the file's suffix).

    Refused with an :class:`~metareview.errors.ExtractionError` naming the studies left out,
    unless ``partial`` is true (they are then listed in the returned table's ``left_out``).
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ExtractionError(f"export format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    table = agreed_table(project)
    if table.left_out and not partial:
        raise ExtractionError(
            f"{len(table.left_out)} stud{'ies' if len(table.left_out) > 1 else 'y'} not in the "
            "agreed table: "
            + "; ".join(f"{k} ({v})" for k, v in table.left_out.items())
            + " (export the others with partial=True)"
        )
    safe = safe_frame(table.frame)
    if fmt == "csv":
        safe.to_csv(path, index=False)
    else:
        safe.to_excel(path, index=False, sheet_name="extraction")
    return table
