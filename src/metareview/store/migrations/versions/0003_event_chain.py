"""Harden the append-only log: a hash chain over events, and refuse overwriting inserts and TRUNCATE.

Adds ``events.prev_hash`` and ``events.hash`` and chains the events already stored (the
update trigger is lifted for that one step, inside the migration's transaction). SQLite
gains BEFORE INSERT triggers refusing a row whose id already exists (``INSERT OR REPLACE``,
``REPLACE``, upserts); PostgreSQL gains BEFORE TRUNCATE triggers (its primary keys already
refuse an existing id, and ``ON CONFLICT DO UPDATE`` meets the update trigger).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from metareview.store.chain import GENESIS, event_hash
from metareview.store.migrations.append_only import refuse_overwrites

revision = "0003"
down_revision = "0002"

APPEND_ONLY = ("imports", "records", "events")


def _chain_existing(connection: sa.Connection) -> None:
    events = sa.table(
        "events",
        sa.column("at", sa.DateTime(timezone=True)),
        *(sa.column(name) for name in ("id", "actor", "kind", "stage", "record_id")),
        *(sa.column(name) for name in ("value", "reason", "prev_hash", "hash")),
        sa.column("data", sa.JSON),
    )
    rows = connection.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    prev = GENESIS
    for row in rows:
        own = event_hash(prev, row)
        connection.execute(
            events.update().where(events.c.id == row["id"]).values(prev_hash=prev, hash=own)
        )
        prev = own


def upgrade() -> None:
    connection = op.get_bind()
    dialect = connection.dialect.name
    op.add_column("events", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("events", sa.Column("hash", sa.String(64), nullable=True))
    if dialect == "sqlite":
        op.execute("DROP TRIGGER events_no_update")
        _chain_existing(connection)
        op.execute(
            "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
            "BEGIN SELECT RAISE(ABORT, 'events is append-only'); END"
        )
    elif dialect == "postgresql":
        op.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        _chain_existing(connection)
        op.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")
    else:
        _chain_existing(connection)
    for table in APPEND_ONLY:
        for statement in refuse_overwrites(table, dialect):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_overwrite")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    for column in ("hash", "prev_hash"):  # plain ALTER keeps the first revision's triggers
        op.execute(f"ALTER TABLE events DROP COLUMN {column}")
