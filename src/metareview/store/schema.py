"""The tables of a review project: imports, records and the append-only event log.

Records and imports are written once; every decision about a record (a duplicate, a
screening vote, a resolution, a report that could not be retrieved) is a row of ``events``
that is never updated or deleted: database triggers refuse both (see the first migration),
and refuse inserting over an existing row or truncating (the third). Each event stores the
hash of the previous one, so a rewrite by someone who lifts the triggers is detected
(:mod:`metareview.store.chain`).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()


def log_table(
    name: str, *about: Column | Index, hashes_nullable: bool = False, on: MetaData = metadata
) -> Table:
    """An append-only, hash-chained log: each row's id, time, actor and kind, the columns
    (and indexes) of what it is about, its value, reason and data, and the hashes that chain
    it to the row before (``hashes_nullable``: rows older than the chain carry none), in the
    project's tables (``on``).

    >>> [c.name for c in log_table("log", Column("study", Integer), on=MetaData()).columns]
    ['id', 'at', 'actor', 'kind', 'study', 'value', 'reason', 'data', 'prev_hash', 'hash']
    """
    columns = [item for item in about if isinstance(item, Column)]
    indexes = [item for item in about if isinstance(item, Index)]
    return Table(
        name,
        on,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor", Text, nullable=False),
        Column("kind", String(40), nullable=False),
        *columns,
        Column("value", Text, nullable=True),
        Column("reason", Text, nullable=True),
        Column("data", JSON, nullable=True),
        Column("prev_hash", String(64), nullable=hashes_nullable),
        Column("hash", String(64), nullable=hashes_nullable),
        *indexes,
    )


imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("file", Text, nullable=False),
    Column("source_database", Text, nullable=False, default=""),
    Column("source_kind", String(20), nullable=False, default="database"),
    Column("actor", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("n_records", Integer, nullable=False),
    Column("errors", JSON, nullable=False),
)

records = Table(
    "records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("import_id", Integer, ForeignKey("imports.id"), nullable=False, index=True),
    Column("title", Text, nullable=False, default=""),
    Column("abstract", Text, nullable=False, default=""),
    Column("authors", JSON, nullable=False),
    Column("year", Integer, nullable=True),
    Column("journal", Text, nullable=False, default=""),
    Column("volume", Text, nullable=False, default=""),
    Column("issue", Text, nullable=False, default=""),
    Column("pages", Text, nullable=False, default=""),
    Column("doi", Text, nullable=False, default=""),
    Column("pmid", Text, nullable=False, default=""),
    Column("keywords", JSON, nullable=False),
    Column("publication_type", Text, nullable=False, default=""),
    Column("source_database", Text, nullable=False, default=""),
    Column("source_file", Text, nullable=False, default=""),
    Column("source_position", Integer, nullable=True),
    Column("source_line", Integer, nullable=True),
)

events = log_table(  # prev_hash: the previous event's hash (see chain.py)
    "events",
    Column("stage", String(10), nullable=True),
    Column("record_id", Integer, ForeignKey("records.id"), nullable=True),
    Index("ix_events_kind_stage", "kind", "stage"),
    Index("ix_events_record", "record_id"),
    hashes_nullable=True,
)

full_texts = Table(
    "full_texts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", Integer, ForeignKey("records.id"), nullable=False, index=True),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("filename", Text, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_by", Text, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
)
