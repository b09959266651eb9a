"""Store backends for tests: a SQLite file, and PostgreSQL at 127.0.0.1:5432 in a fresh schema.

Under CI (``CI=true``) the PostgreSQL cases always run, so a missing server fails them;
elsewhere they are deselected with a reason when no server answers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

PG_DSN = os.environ.get("METAREVIEW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _server_up() -> bool:
    try:
        with psycopg.connect(PG_DSN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


PG_UP = _server_up()
needs_postgres = pytest.mark.skipif(
    not IN_CI and not PG_UP, reason=f"no PostgreSQL server at {PG_DSN} (runs always under CI)"
)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=[pytest.mark.postgres, needs_postgres])]


def sqlite_url(tmp_path: Path) -> str:
    return str(tmp_path / "review.mrproj")


def postgres_schema() -> Iterator[str]:
    """A fresh, uniquely named schema as a store URL; dropped afterwards."""
    schema = f"mr_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield PG_DSN.replace("postgresql://", "postgresql+psycopg://") + (
            f"?options=-csearch_path%3D{schema}"
        )
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A location for a new project, once per backend."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        yield from postgres_schema()
