"""Full texts: the PDF of a record, stored with its SHA-256, append-only like the records.

A new upload for a record is a new row (the newest is shown); no row is ever changed or
deleted: the same triggers as ``records`` and ``imports`` refuse updates, deletes,
overwriting inserts (SQLite) and TRUNCATE (PostgreSQL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from metareview.store.migrations.append_only import drop_append_only, make_append_only

revision = "0005"
down_revision = "0004"

TABLE = "full_texts"


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
    make_append_only(TABLE, op.get_bind().dialect.name, op.execute)


def downgrade() -> None:
    drop_append_only(TABLE, op.get_bind().dialect.name, op.execute)
    op.drop_table(TABLE)
