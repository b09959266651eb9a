"""The table of the project's sentence-embedding cache (migration ``0008``).

One row per record and model: the vector (float32, little-endian bytes), its dimension, and
the SHA-256 of the text it was computed from (:func:`metareview.records.embeddings.text_hash`),
so a changed text is embedded again. A cache: a stale row is replaced, never logged.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Table

from metareview.store.schema import metadata

record_embeddings = Table(
    "record_embeddings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", Integer, ForeignKey("records.id"), nullable=False),
    Column("model", String(100), nullable=False),
    Column("text_sha256", String(64), nullable=False),
    Column("dimension", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Index("ix_record_embeddings_model_record", "model", "record_id", unique=True),
)
