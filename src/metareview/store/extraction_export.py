"""The agreed extraction table, as CSV or XLSX in exactly the form ``metareview run`` reads.

Each complete study contributes its agreed values (:func:`~metareview.store.extraction.agreed_values`)
as rows of the data standard (:func:`~metareview.data.assemble.extraction_frame`): standard
columns, then the review-specific fields as moderator columns. A study is left out, and listed
with the reason, while it is not complete, while a cell differs without a consensus, when its
agreed rows would not pass ``metareview validate``, or when it has no row of data; writing a
table with studies left out needs ``partial=True``, so no study goes missing unnoticed. Text
cells pass through :func:`~metareview.data.spreadsheet.safe_frame` (no spreadsheet formulas).
The XLSX file depends only on the table (no clock time inside), so the workspace's download and
``records export-extraction`` give the same bytes.

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

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from metareview.data.assemble import StudyCells, check_studies, extraction_frame
from metareview.data.form import RowKey
from metareview.data.spreadsheet import safe_frame
from metareview.errors import ExtractionError
from metareview.store.extraction import agreed_values, extraction_form, progress, studies
from metareview.store.project import Project

FORMATS = ("csv", "xlsx")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
_CORE_TIME = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


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
    seen: list[tuple[str, str | StudyCells]] = []  # label, and why it is left out or its cells
    for study in studies(project):
        state = progress(project, study.number)
        if not state.complete:
            submitted = f"{len(state.submitted)} of {state.required} extractors submitted it"
            reason = f"not complete: {submitted}"
            seen.append((study.label, reason))
            continue
        agreed = agreed_values(project, study.number)
        if agreed.unresolved:
            n = len(agreed.unresolved)
            reason = f"{n} cell{'s' * (n > 1)} differ{'s' * (n == 1)} without a consensus"
            seen.append((study.label, reason))
            continue
        seen.append((study.label, agreed.cells()))
    candidates = [item for _, item in seen if isinstance(item, StudyCells)]
    problems = iter(check_studies(form, candidates))  # all at once: one table to validate
    included: list[StudyCells] = []
    left_out: dict[str, str] = {}
    for label, item in seen:
        if not isinstance(item, StudyCells):
            left_out[label] = item
        elif found := next(problems):
            left_out[label] = "; ".join(str(p) for p in found)
        elif not any(cell.row is not None for cell in item.values):
            left_out[label] = "no row of data"
        else:
            included.append(item)
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
        reproducible_xlsx(path)
    return table


def reproducible_xlsx(path: str | Path) -> None:
    """Rewrite an XLSX file without the times openpyxl puts in it (each zip entry's time and
    the workbook's created/modified properties), so equal tables give equal bytes.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "t.xlsx"
    ...     pd.DataFrame({"study": ["A"]}).to_excel(path, index=False)
    ...     reproducible_xlsx(path)
    ...     with zipfile.ZipFile(path) as z:
    ...         core = z.read("docProps/core.xml")
    ...         times = {i.date_time for i in z.infolist()}
    >>> times, b"1980-01-01T00:00:00Z</dcterms:modified>" in core
    ({(1980, 1, 1, 0, 0, 0)}, True)
    """
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members:
            if name == "docProps/core.xml":
                data = _CORE_TIME.sub(rb"\g<1>1980-01-01T00:00:00Z\g<3>", data)
            info = zipfile.ZipInfo(name, _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
