"""Text columns for every free-text field, so PostgreSQL accepts what SQLite accepts.

The first schema gave some record and event fields a length (``volume`` 100, ``doi`` 300, an
actor 200 …). SQLite ignores such lengths; PostgreSQL refused a whole import over one long
``VL`` field. Only PostgreSQL needs the change (on SQLite a table rebuild would also drop the
append-only triggers, and gains nothing).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

WIDENED = {
    "imports": {"source_database": 200, "actor": 200},
    "records": {
        "volume": 100,
        "issue": 100,
        "pages": 100,
        "doi": 300,
        "pmid": 50,
        "source_database": 200,
    },
    "events": {"actor": 200, "value": 200},
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in WIDENED.items():
        for column, length in columns.items():
            op.alter_column(table, column, type_=sa.Text, existing_type=sa.String(length))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in WIDENED.items():
        for column, length in columns.items():
            op.alter_column(table, column, type_=sa.String(length), existing_type=sa.Text)
