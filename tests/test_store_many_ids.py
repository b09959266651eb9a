"""Reading a project by a caller's list of ids when the list is longer than one SQL statement
may bind: SQLite refuses more than 32,766 variables (its default since 3.32; Debian's build
allows 250,000) and PostgreSQL more than 65,535 parameters, while a search may import
30,000–100,000 records and the screening pool, an export or the ranking pass them all."""

from __future__ import annotations

import random
import sqlite3

import numpy as np
import pytest
from sqlalchemy import event

from metareview.records.record import Record
from metareview.store import Project
from metareview.store.by_ids import IDS_PER_QUERY
from metareview.store.embeddings import embed_project, record_texts, stored_vectors
from tests import stores
from tests.embedding_double import WordHashEncoder

store_url = stores.store_url  # the fixture, once per backend

#: SQLite's default limit on bound variables since 3.32 (the test lowers this build's to it).
SQLITE_DEFAULT_LIMIT = 32_766
POSTGRES_LIMIT = 65_535
#: Real records: more than one statement's ids, few enough to import in a second.
RECORDS = IDS_PER_QUERY + 500


def _limited(project: Project) -> int:
    """The most parameters one statement of ``project`` may bind; on SQLite this build's
    limit is lowered to the default every connection, so the test holds on every build."""
    if project.engine.dialect.name != "sqlite":
        return POSTGRES_LIMIT

    @event.listens_for(project.engine, "checkout")
    def lower(dbapi_connection, _record, _proxy):
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_DEFAULT_LIMIT)

    return SQLITE_DEFAULT_LIMIT


@pytest.fixture
def big(store_url):
    """A project of :data:`RECORDS` records, and a list of ids one past the backend's limit:
    every record's id, shuffled, with ids of no record and repeats."""
    project = Project.open(store_url)
    found = [
        Record(title=f"Trial {i}", abstract="" if i % 3 else f"Arm {i}") for i in range(RECORDS)
    ]
    project.add_import("s.ris", found, actor="ana")
    limit = _limited(project)
    real = list(project.record_ids())
    ids = real + real[:100] + list(range(real[-1] + 1, real[-1] + 1 + limit + 1 - len(real) - 100))
    random.Random(7).shuffle(ids)
    assert len(ids) == limit + 1
    with project:
        yield project, ids


def test_records_of_more_ids_than_a_statement_binds(big):
    project, ids = big
    found = project.records(ids)
    assert found == project.records()  # every record, each once, in id order
    assert list(found) == sorted(found)


def test_record_texts_and_vectors_of_more_ids_than_a_statement_binds(big):
    project, ids = big
    texts = record_texts(project, ids)
    assert texts == record_texts(project) and list(texts) == sorted(texts)
    encoder = WordHashEncoder()
    some = list(texts)[:: len(texts) // 5]
    embed_project(project, encoder, ids=some)
    vectors = stored_vectors(project, ids, model=encoder.name)
    assert sorted(vectors) == some
    assert all(np.isfinite(v).all() for v in vectors.values())
