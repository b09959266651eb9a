"""The tables of the analysis in the workspace: the plan's versions, the runs, their files.

``analysis_plans`` is append-only (a saved plan is a new row; the newest is the plan).
``analysis_runs`` holds one row per run: who started it and when, its state and progress
(updated while it runs), the SHA-256 of each input and the inputs themselves (the plan's text,
the agreed extraction table and the agreed risk-of-bias table as CSV text, and the PRISMA
counts its flow diagram was drawn from, migration ``0009``), so two runs can be compared
cell by cell. ``analysis_run_files`` keeps every file a run wrote (report,
``results.json``, figures, tables). A partial unique index allows one ``running`` row at a
time, so two runs of the review never run at once, whichever process starts them
(migration ``0007``).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    text,
)

from metareview.store.schema import metadata

RUNNING, DONE, FAILED = "running", "done", "failed"

analysis_plans = Table(
    "analysis_plans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("saved_by", Text, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
)

analysis_runs = Table(
    "analysis_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_by", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
    Column("status", String(10), nullable=False),
    Column("message", Text, nullable=False, default=""),
    Column("stage", Text, nullable=False, default=""),
    Column("done", Integer, nullable=False, default=0),
    Column("total", Integer, nullable=False, default=0),
    Column("plan_text", Text, nullable=False),
    Column("plan_sha256", String(64), nullable=False),
    Column("extraction_csv", Text, nullable=False),
    Column("extraction_sha256", String(64), nullable=False),
    Column("rob_csv", Text, nullable=False, default=""),
    Column("rob_sha256", String(64), nullable=False, default=""),
    Column("prisma_csv", Text, nullable=False, default=""),
    Column("prisma_sha256", String(64), nullable=False, default=""),
    Index(
        "ix_analysis_runs_one_running",
        "status",
        unique=True,
        sqlite_where=text("status = 'running'"),
        postgresql_where=text("status = 'running'"),
    ),
)

analysis_run_files = Table(
    "analysis_run_files",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("analysis_runs.id"), nullable=False),
    Column("path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Index("ix_analysis_run_files_path", "run_id", "path", unique=True),
)
