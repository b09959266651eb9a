"""The log of work on included studies (data extraction): an append-only, hash-chained table.

Every study added, extraction-form field defined, value entered, study submitted and value
agreed is one row of ``study_events``, never updated or deleted: the same triggers as the
``events`` table refuse updates, deletes, overwriting inserts (SQLite) and TRUNCATE
(PostgreSQL). Each row stores its predecessor's hash (``metareview.store.chain``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from metareview.store.migrations.append_only import drop_append_only, make_append_only

revision = "0006"
down_revision = "0005"

TABLE = "study_events"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("study", sa.Integer, nullable=True),
        sa.Column("cell", sa.Text, nullable=True),
        sa.Column("value", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("data", sa.JSON, nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_study_events_study_kind", TABLE, ["study", "kind"])
    op.create_index("ix_study_events_kind", TABLE, ["kind"])
    make_append_only(TABLE, op.get_bind().dialect.name, op.execute)


def downgrade() -> None:
    drop_append_only(TABLE, op.get_bind().dialect.name, op.execute)
    op.drop_table(TABLE)
