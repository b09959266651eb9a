"""Full texts: the PDF of a record, stored with its SHA-256, append-only like the records.

A new upload for a record is a new row (the newest is shown); no row is ever changed or
deleted: the same triggers as ``records`` and ``imports`` refuse updates, deletes,
overwriting inserts (SQLite) and TRUNCATE (PostgreSQL).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "full_texts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_by", sa.Text, nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_full_texts_record_id", "full_texts", ["record_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER full_texts_no_{action.lower()} BEFORE {action} ON full_texts "
                "BEGIN SELECT RAISE(ABORT, 'full_texts is append-only'); END"
            )
        op.execute(
            "CREATE TRIGGER full_texts_no_overwrite BEFORE INSERT ON full_texts "
            "WHEN EXISTS (SELECT 1 FROM full_texts WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'full_texts is append-only'); END"
        )
    elif dialect == "postgresql":
        op.execute(
            "CREATE TRIGGER full_texts_append_only BEFORE UPDATE OR DELETE ON full_texts "
            "FOR EACH ROW EXECUTE FUNCTION metareview_append_only()"
        )
        op.execute(
            "CREATE TRIGGER full_texts_no_truncate BEFORE TRUNCATE ON full_texts "
            "FOR EACH STATEMENT EXECUTE FUNCTION metareview_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS full_texts_append_only ON full_texts")
        op.execute("DROP TRIGGER IF EXISTS full_texts_no_truncate ON full_texts")
    op.drop_table("full_texts")
