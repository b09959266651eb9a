"""Each migration step gives the schema it gave when it was written, on both backends.

Old migrations are shared code (``store/migrations/append_only.py``) and get cleaned up; a
change that alters what an old step creates would give existing projects a schema that new
ones do not have. The snapshots in ``tests/data/migration_schemas/`` record every step's
tables, columns, indexes and triggers; ``METAREVIEW_WRITE_SNAPSHOTS=1`` rewrites them after
a deliberate change to a new migration.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from metareview.store.migrate import known_revisions, upgrade
from tests.stores import store_url  # noqa: F401 (a fixture)

SNAPSHOTS = Path(__file__).parent / "data" / "migration_schemas"


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url if "://" in url else f"sqlite:///{url}")


def _triggers(connection: sa.Connection) -> list[list[str]]:
    if connection.dialect.name == "sqlite":
        rows = connection.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        )
        return [list(row) for row in rows]
    schema = connection.execute(sa.text("SELECT current_schema()")).scalar_one()
    rows = connection.execute(
        sa.text(
            "SELECT t.tgname, pg_get_triggerdef(t.oid), pg_get_functiondef(t.tgfoid) "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND n.nspname = :schema ORDER BY t.tgname"
        ),
        {"schema": schema},
    )
    return [[part.replace(schema, "SCHEMA") for part in row] for row in rows]


def _schema(engine: sa.Engine) -> dict[str, Any]:
    inspector = sa.inspect(engine)
    tables = {
        table: {
            "columns": [
                [c["name"], str(c["type"]), c["nullable"]] for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted(
                [i["name"], i["column_names"], bool(i["unique"])]
                for i in inspector.get_indexes(table)
            ),
        }
        for table in sorted(inspector.get_table_names())
    }
    with engine.connect() as connection:
        return {"tables": tables, "triggers": _triggers(connection)}


def test_every_step_gives_its_recorded_schema(store_url):  # noqa: F811
    engine = _engine(store_url)
    steps = {}
    for revision in sorted(known_revisions()):
        upgrade(engine, revision)
        steps[revision] = _schema(engine)
    engine.dispose()
    backend = "sqlite" if "://" not in store_url else "postgresql"
    snapshot = SNAPSHOTS / f"{backend}.json"
    if os.environ.get("METAREVIEW_WRITE_SNAPSHOTS") == "1":
        snapshot.write_text(json.dumps(steps, indent=1, sort_keys=True) + "\n")
    assert steps == json.loads(snapshot.read_text())
