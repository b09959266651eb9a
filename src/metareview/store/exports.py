"""A project's exports, one writer each for the CLI and the workspace, so both give the same
bytes: the included records as RIS or CSV, every vote as CSV, and the audit log as JSON Lines.

The votes and the log are blinded while screening is under way: votes (and undos) on records
whose votes are not yet complete are left out (:mod:`metareview.records.audit`).

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
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from metareview.records.audit import open_vote_events
from metareview.records.events import Event, EventKind
from metareview.records.record import Record
from metareview.store.log_state import event_from_row
from metareview.store.project import Project
from metareview.store.review import passed_stage, screening_config
from metareview.store.schema import events as events_table

VOTE_COLUMNS = ["event_id", "at", "stage", "record_id", "reviewer", "action", "decision",
                "reason", "note", "method", "participants"]  # fmt: skip

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


def _shown_events(project: Project) -> tuple[list[tuple[Event, Any]], int]:
    """The log's events an export may show, each with its stored row (hashes), and how many
    were left out (open votes: see :func:`~metareview.records.audit.open_vote_events`)."""
    with project.engine.connect() as connection:
        rows = connection.execute(select(events_table).order_by(events_table.c.id)).mappings()
        pairs = [(event_from_row(row), row) for row in rows.all()]
    required = screening_config(project).reviewers_required
    hidden = open_vote_events([e for e, _ in pairs], reviewers_required=required)
    return [(e, row) for e, row in pairs if e.id not in hidden], len(hidden)


def _vote_row(e: Event) -> dict[str, Any]:
    action = {EventKind.DECISION: "vote", EventKind.UNDO: "undo"}.get(e.kind, "resolution")
    decision = e.data.get("vote") if e.kind == EventKind.UNDO else e.value
    return {
        "event_id": e.id,
        "at": e.at.isoformat(),
        "stage": e.stage,
        "record_id": e.record_id,
        "reviewer": e.actor,
        "action": action,
        "decision": decision or "",
        "reason": e.reason or "",
        "note": e.data.get("note", ""),
        "method": e.data.get("method", ""),
        "participants": "; ".join(e.data.get("participants", ())),
    }


def write_votes(project: Project, path: str | Path) -> int:
    """Write every vote, undo and resolution (who, when, stage, record, decision, reason, note,
    and for a resolution its method and participants) to ``path`` as CSV, oldest first; votes
    on records still open are left out (blinding). Returns how many were left out.

    >>> import tempfile
    >>> from metareview.records.record import Record
    >>> from metareview.store.review import vote
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("s.ris", [Record(title="A"), Record(title="B")], actor="ana")
    >>> for who in ("ana", "ben"):
    ...     _ = vote(project, 1, reviewer=who, stage="ta", decision="include", note="=1+1")
    >>> _ = vote(project, 2, reviewer="ana", stage="ta", decision="exclude")
    >>> path = Path(tempfile.mkdtemp()) / "votes.csv"
    >>> write_votes(project, path)
    1
    >>> rows = list(csv.DictReader(path.open()))
    >>> [(r["reviewer"], r["action"], r["decision"], r["note"]) for r in rows]
    [('ana', 'vote', 'include', "'=1+1"), ('ben', 'vote', 'include', "'=1+1")]
    """
    import pandas as pd

    from metareview.data.spreadsheet import safe_frame

    shown, hidden = _shown_events(project)
    kinds = (EventKind.DECISION, EventKind.UNDO, EventKind.RESOLUTION)
    rows = [_vote_row(e) for e, _ in shown if e.kind in kinds]
    frame = pd.DataFrame(rows, columns=VOTE_COLUMNS)
    frame["record_id"] = frame["record_id"].astype("Int64")
    safe_frame(frame).to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC)
    return hidden


def write_log(project: Project, path: str | Path) -> int:
    """Write the audit log to ``path`` as JSON Lines: one event per line, oldest first, with
    its hash and the previous event's (so an export of a finished review can be checked
    against the chain); votes on records still open are left out (blinding). Returns how many
    were left out.

    >>> import tempfile
    >>> from metareview.records.record import Record
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("s.ris", [Record(title="A")], actor="ana")
    >>> path = Path(tempfile.mkdtemp()) / "log.jsonl"
    >>> write_log(project, path)
    0
    >>> sorted(json.loads(path.read_text().splitlines()[0]))[:6]
    ['actor', 'at', 'data', 'hash', 'id', 'kind']
    """
    shown, hidden = _shown_events(project)
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:
        for e, row in shown:
            line = {
                "id": e.id,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "kind": e.kind.value,
                "stage": e.stage,
                "record_id": e.record_id,
                "value": e.value,
                "reason": e.reason,
                "data": e.data,
                "prev_hash": row["prev_hash"],
                "hash": row["hash"],
            }
            out.write(json.dumps(line, ensure_ascii=False, sort_keys=False) + "\n")
    return hidden
