"""The project's cache of sentence embeddings: one vector per record and model.

``record_embeddings`` holds each record's vector by the optional embedding model (issue 19),
with the SHA-256 of the text it was computed from: a record whose text is unchanged is never
embedded again, one whose text changed is. A cache, not a log: a stale vector is replaced,
and no decision depends on a row (it only orders records), so it has no append-only triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"

TABLE = "record_embeddings"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("dimension", sa.Integer, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_record_embeddings_model_record", TABLE, ["model", "record_id"], unique=True)


def downgrade() -> None:
    op.drop_table(TABLE)
