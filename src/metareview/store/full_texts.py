"""The full texts of records: PDFs stored in the project with their SHA-256.

A PDF is checked by its first bytes (``%PDF-``), not by its name or the type a browser
claims, and refused over :data:`MAX_FULL_TEXT_BYTES`. Uploads are append-only, like records:
a new PDF for a record is a new row (the newest is the record's full text), and each upload
is a ``full_text`` event in the log (who, when, the file's id, size and SHA-256), so the audit
log says which file a reviewer saw.

>>> from metareview.records.record import Record
>>> project = Project.open("sqlite://")
>>> _ = project.add_import("s.ris", [Record(title="A trial")], actor="ana")
>>> pdf = b"%PDF-1.4\\n%%EOF\\n"
>>> stored = add_full_text(project, 1, pdf, filename="trial.pdf", actor="ana")
>>> stored.sha256 == hashlib.sha256(pdf).hexdigest(), stored.size
(True, 15)
>>> latest_full_text(project, 1).id == stored.id
True
>>> full_text_content(project, stored.id) == pdf
True
>>> add_full_text(project, 1, b"<html>", filename="trial.pdf", actor="ana")
Traceback (most recent call last):
metareview.errors.RecordsError: trial.pdf: not a PDF (a PDF starts with '%PDF-'; got '<html>')
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select

from metareview.errors import RecordsError
from metareview.records.events import EventKind, NewEvent
from metareview.store.project import Project
from metareview.store.schema import full_texts, records
from metareview.store.times import StoredDocument, stored_utc

#: The largest PDF a project stores (50 MB).
MAX_FULL_TEXT_BYTES = 50 * 2**20
PDF_MAGIC = b"%PDF-"
_META = (
    full_texts.c.id,
    full_texts.c.record_id,
    full_texts.c.sha256,
    full_texts.c.size,
    full_texts.c.filename,
    full_texts.c.uploaded_by,
    full_texts.c.uploaded_at,
)


@dataclass(frozen=True)
class FullText(StoredDocument):
    """One stored PDF (without its bytes: see :func:`full_text_content`)."""

    id: int
    record_id: int
    sha256: str
    size: int
    filename: str
    uploaded_by: str
    uploaded_at: datetime


def _full_text(row: Any) -> FullText:
    return FullText(
        row["id"],
        row["record_id"],
        row["sha256"],
        row["size"],
        row["filename"],
        row["uploaded_by"],
        stored_utc(row["uploaded_at"]),
    )


def check_pdf(content: bytes, filename: str) -> None:
    """Refuse what is not a PDF by its first bytes, is empty, or is too large."""
    if len(content) > MAX_FULL_TEXT_BYTES:
        raise RecordsError(
            f"{filename}: {len(content) / 2**20:.1f} MB is larger than the "
            f"{MAX_FULL_TEXT_BYTES // 2**20} MB a full text may have"
        )
    if not content.startswith(PDF_MAGIC):
        start = content[:8].decode("latin-1")
        raise RecordsError(f"{filename}: not a PDF (a PDF starts with '%PDF-'; got {start!r})")


def add_full_text(
    project: Project, record_id: int, content: bytes, *, filename: str, actor: str
) -> FullText:
    """Store ``content`` (a PDF) as the full text of ``record_id`` and log the upload."""
    filename = filename.replace("\\", "/").rsplit("/", 1)[-1][:200] or "full-text.pdf"
    check_pdf(content, filename)
    now = datetime.now(UTC)
    row = {
        "record_id": record_id,
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "filename": filename,
        "uploaded_by": actor,
        "uploaded_at": now,
    }
    with project._write() as connection:
        known = connection.execute(select(records.c.id).where(records.c.id == record_id)).first()
        if known is None:
            raise RecordsError(f"no record {record_id} in this project")
        file_id = connection.execute(
            insert(full_texts).values(content=content, **row)
        ).inserted_primary_key[0]
        data = {"file_id": file_id, "sha256": row["sha256"], "size": len(content)}
        data["filename"] = filename
        event = NewEvent(EventKind.FULL_TEXT, actor, record_id=record_id, data=data)
        project._insert(connection, [event], now)
    return _full_text({"id": file_id, **row})


def full_text(project: Project, file_id: int) -> FullText | None:
    """A stored PDF's description by its id (``None`` if there is none)."""
    with project.engine.connect() as connection:
        row = connection.execute(select(*_META).where(full_texts.c.id == file_id)).mappings()
        found = row.first()
    return _full_text(found) if found else None


def latest_full_text(project: Project, record_id: int) -> FullText | None:
    """The newest PDF uploaded for a record (``None`` if none)."""
    query = (
        select(*_META)
        .where(full_texts.c.record_id == record_id)
        .order_by(full_texts.c.id.desc())
        .limit(1)
    )
    with project.engine.connect() as connection:
        found = connection.execute(query).mappings().first()
    return _full_text(found) if found else None


def full_text_content(project: Project, file_id: int) -> bytes:
    """The bytes of a stored PDF (checked against its SHA-256)."""
    query = select(full_texts.c.content, full_texts.c.sha256).where(full_texts.c.id == file_id)
    with project.engine.connect() as connection:
        found = connection.execute(query).first()
    if found is None:
        raise RecordsError(f"no full text {file_id} in this project")
    content = bytes(found[0])
    if hashlib.sha256(content).hexdigest() != found[1]:
        raise RecordsError(f"full text {file_id} does not match its SHA-256; it was altered")
    return content
