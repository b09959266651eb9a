"""The first schema: imports, records, the event log, and triggers that keep the log append-only."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from metareview.store.migrations.append_only import refuse_changes

revision = "0001"
down_revision = None

APPEND_ONLY = ("imports", "records", "events")


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("source_database", sa.String(200), nullable=False),
        sa.Column("source_kind", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("n_records", sa.Integer, nullable=False),
        sa.Column("errors", sa.JSON, nullable=False),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("journal", sa.Text, nullable=False),
        sa.Column("volume", sa.String(100), nullable=False),
        sa.Column("issue", sa.String(100), nullable=False),
        sa.Column("pages", sa.String(100), nullable=False),
        sa.Column("doi", sa.String(300), nullable=False),
        sa.Column("pmid", sa.String(50), nullable=False),
        sa.Column("keywords", sa.JSON, nullable=False),
        sa.Column("publication_type", sa.Text, nullable=False),
        sa.Column("source_database", sa.String(200), nullable=False),
        sa.Column("source_file", sa.Text, nullable=False),
        sa.Column("source_position", sa.Integer, nullable=True),
        sa.Column("source_line", sa.Integer, nullable=True),
    )
    op.create_index("ix_records_import_id", "records", ["import_id"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("stage", sa.String(10), nullable=True),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), nullable=True),
        sa.Column("value", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("data", sa.JSON, nullable=True),
    )
    op.create_index("ix_events_kind_stage", "events", ["kind", "stage"])
    op.create_index("ix_events_record", "events", ["record_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION metareview_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
    for table in APPEND_ONLY:
        for statement in refuse_changes(table, dialect):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in reversed(APPEND_ONLY):
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.drop_table(table)
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS metareview_append_only()")
