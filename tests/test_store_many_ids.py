"""Reading a project by a caller's list of ids when the list is longer than one SQL statement
may bind: SQLite refuses more than 32,766 variables (its default since 3.32; 999 before, still
some distributions' system SQLite; Debian's build allows 250,000) and PostgreSQL more than 65,535 parameters, while a search may import
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

#: SQLite's limit on bound variables before 3.32, the strictest still in service (the test
#: lowers this build's to it; 32,766 since).
SQLITE_OLDEST_LIMIT = 999
POSTGRES_LIMIT = 65_535
#: Real records: more than one statement's ids, few enough to import in a second.
RECORDS = max(IDS_PER_QUERY.values()) + 500


def _limited(project: Project) -> int:
    """The most parameters one statement of ``project`` may bind; on SQLite this build's
    limit is lowered to the oldest's every connection, so the test holds on every build."""
    if project.engine.dialect.name != "sqlite":
        return POSTGRES_LIMIT

    @event.listens_for(project.engine, "checkout")
    def lower(dbapi_connection, _record, _proxy):
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_OLDEST_LIMIT)

    return SQLITE_OLDEST_LIMIT


@pytest.fixture
def big(store_url):
    """A project of :data:`RECORDS` records, and a list of more ids than the backend's limit:
    every record's id, shuffled, with repeats and (up to one past the limit) ids of no record."""
    project = Project.open(store_url)
    found = [
        Record(title=f"Trial {i}", abstract="" if i % 3 else f"Arm {i}") for i in range(RECORDS)
    ]
    project.add_import("s.ris", found, actor="ana")
    limit = _limited(project)
    real = list(project.record_ids())
    absent = max(0, limit + 1 - len(real) - 100)
    ids = real + real[:100] + list(range(real[-1] + 1, real[-1] + 1 + absent))
    random.Random(7).shuffle(ids)
    assert len(ids) > limit
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
