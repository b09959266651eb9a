"""The table of work on included studies: data extraction (and, later, risk of bias).

Like ``events`` it is an append-only log: every study added, form field defined, value
entered, submission and consensus is one row that is never updated or deleted (database
triggers refuse both, overwriting inserts and TRUNCATE; migration ``0006``), and each row
stores the hash of the one before it (:mod:`metareview.store.chain`, with :data:`HASHED`).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, Text

from metareview.store.schema import log_table

HASHED = ("at", "actor", "kind", "study", "cell", "value", "reason", "data")
"""The fields of a ``study_events`` row its hash covers (with the previous row's hash)."""

# value: JSON text (SQLite's JSON affinity turns 40.0 into 40)
study_events = log_table(
    "study_events",
    Column("study", Integer, nullable=True),  # the study's number (1, 2, …)
    Column("cell", Text, nullable=True),  # metareview.data.form.Cell.code
    Index("ix_study_events_study_kind", "study", "kind"),
    Index("ix_study_events_kind", "kind"),
)
