"""The included records of a project as RIS or CSV: one writer for the CLI and the workspace,
so both give the same bytes.

CSV cells that a spreadsheet would run as a formula are neutralised
(:func:`~metareview.data.spreadsheet.safe_frame`).

>>> import tempfile
>>> from pathlib import Path
>>> from metareview.records.record import Record
>>> from metareview.store.review import vote
>>> project = Project.open("sqlite://")
>>> _ = project.add_import("s.ris", [Record(title="=HYPERLINK(1)", year=2020)], actor="ana")
>>> for who in ("ana", "ben"):
...     _ = vote(project, 1, reviewer=who, stage="ta", decision="include")
>>> path = write_included(project, Path(tempfile.mkdtemp()) / "in.csv", stage="ta")
>>> path.read_text().splitlines()[1].split(",")[:2]
['1', '"\\'=HYPERLINK(1)"']
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from metareview.records.record import Record
from metareview.store.project import Project
from metareview.store.review import passed_stage

_RIS_FIELDS = {
    "title": "title",
    "abstract": "abstract",
    "authors": "authors",
    "journal": "secondary_title",
    "volume": "volume",
    "issue": "number",
    "doi": "doi",
    "keywords": "keywords",
}


def ris_entry(record_id: int, record: Record) -> dict[str, Any]:
    """A record as a ``rispy`` entry (its id in ``ID``)."""
    entry: dict[str, Any] = {"type_of_reference": "JOUR", "id": str(record_id)}
    for field, tag in _RIS_FIELDS.items():
        value = getattr(record, field)
        if value:
            entry[tag] = list(value) if isinstance(value, tuple) else value
    if record.year:
        entry["year"] = str(record.year)
    if record.pages:
        start, _, end = record.pages.partition("-")
        entry["start_page"] = start
        if end:
            entry["end_page"] = end
    if record.pmid:
        entry["accession_number"] = record.pmid
    return entry


def write_included(project: Project, path: str | Path, *, stage: str = "ft") -> Path:
    """Write the records that passed ``stage`` (``ft``: included after full text; ``ta``: on to
    full text) to ``path``: RIS if it ends in ``.ris``, else CSV. Returns the path."""
    import pandas as pd
    import rispy

    from metareview.data.spreadsheet import safe_frame

    path = Path(path)
    found = project.records(passed_stage(project, stage))
    if path.name.lower().endswith(".ris"):
        path.write_text(rispy.dumps([ris_entry(i, r) for i, r in found.items()]), encoding="utf-8")
        return path
    rows = [{"record_id": i} | r.to_dict() for i, r in found.items()]
    frame = pd.DataFrame(rows, columns=["record_id", *Record.__dataclass_fields__])
    for column in ("authors", "keywords"):
        frame[column] = frame[column].map(lambda v: "; ".join(v) if v else "")
    safe_frame(frame).to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC)
    return path
