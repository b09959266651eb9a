"""The project store on SQLite and PostgreSQL: migrations, records, the append-only log."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from metareview.errors import StoreError
from metareview.records.events import EventKind, NewEvent
from metareview.records.record import Record
from metareview.store import Project, migrate
from metareview.store.log_state import PAGE
from metareview.store.review import vote
from tests import stores

store_url = stores.store_url  # the fixture, once per backend

RECORDS = [
    Record(
        title="Peer support for depression",
        abstract="A randomised trial.",
        authors=("Smit, D.", "Cuijpers, P."),
        year=2023,
        doi="10.1/abc",
        keywords=("depression", "peer support"),
        source_file="a.ris",
        source_position=1,
    ),
    Record(title="Écrans et sommeil", year=None, source_file="a.ris", source_position=2),
]


def test_new_project_is_migrated_to_head(store_url):
    with Project.open(store_url) as project:
        assert migrate.current_revision(project.engine) == migrate.head_revision()
        tables = set(inspect(project.engine).get_table_names())
        assert {"imports", "records", "events", "alembic_version"} <= tables


def test_records_round_trip_exactly(store_url):
    with Project.open(store_url) as project:
        batch = project.add_import("a.ris", RECORDS, actor="ana", source_database="Embase")
        stored = project.records()
    assert list(stored) == list(batch.record_ids)
    first, second = (stored[i] for i in batch.record_ids)
    assert first.authors == RECORDS[0].authors and first.keywords == RECORDS[0].keywords
    assert first.source_database == "Embase"  # the import's source overrides the file's
    assert second.title == "Écrans et sommeil" and second.year is None


def test_reopening_keeps_everything(store_url):
    with Project.open(store_url) as project:
        project.add_import("a.ris", RECORDS, actor="ana")
        project.set_setting("reviewers_required", 3, actor="ana")
    with Project.open(store_url) as project:
        assert len(project.records()) == 2
        assert project.setting("reviewers_required") == 3
        kinds = [e.kind for e in project.events()]
    assert kinds == [EventKind.IMPORT, EventKind.SETTING]


def test_events_carry_who_and_when_in_order(store_url):
    with Project.open(store_url) as project:
        ids = project.add_import("a.ris", RECORDS, actor="ana").record_ids
        project.append([NewEvent(EventKind.DECISION, "ben", "ta", ids[0], "include")])
        project.append([NewEvent(EventKind.DECISION, "ben", "ta", ids[0], "exclude")])
        log = project.events(EventKind.DECISION)
    assert [e.value for e in log] == ["include", "exclude"]  # both kept: nothing overwritten
    assert log[0].id < log[1].id and log[0].at <= log[1].at
    assert log[0].at.tzinfo is not None and log[0].actor == "ben"


def test_a_handle_catches_up_on_more_than_a_page_of_new_events(store_url):
    """New events are read in pages (``id > last ORDER BY id LIMIT PAGE``, so that the read is
    a range scan however stale the database's statistics): a handle that missed more than two
    pages, written by another handle, reads them all, in order, both when a vote reads them
    under the write lock and when a page refreshes the log."""
    settings = [NewEvent(EventKind.SETTING, "lead", value=f"k{i}", data={"value": i})
                for i in range(2 * PAGE + 5)]  # fmt: skip
    with Project.open(store_url) as one, Project.open(store_url) as other:
        ids = one.add_import("a.ris", RECORDS, actor="ana").record_ids
        assert one.log().last_id == 1
        other.append(settings)
        vote(one, ids[0], reviewer="ana", stage="ta", decision="include")
        other.append(settings[:PAGE + 1])
        assert one.settings()["k2004"] == 2004
        assert [e.id for e in one.events()] == [e.id for e in other.events()]
        assert [e.id for e in one.events()] == list(range(1, 3 * PAGE + 9))
        assert one.events()[2 * PAGE + 6].kind == EventKind.DECISION


def test_log_refuses_update_and_delete(store_url):
    with Project.open(store_url) as project:
        project.add_import("a.ris", RECORDS, actor="ana")
        for statement in (
            "UPDATE events SET actor = 'mallory'",
            "DELETE FROM events",
            "UPDATE records SET title = 'x'",
            "DELETE FROM records",
        ):
            with pytest.raises(DBAPIError, match="append-only"), project.engine.begin() as c:
                c.execute(text(statement))
        assert [e.actor for e in project.events()] == ["ana"]


def test_sqlite_project_uses_wal(tmp_path):
    path = tmp_path / "p.mrproj"
    Project.open(path).close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_missing_project_without_create_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="no such project"):
        Project.open(tmp_path / "nope.mrproj", create=False)


def test_missing_folder_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        Project.open(tmp_path / "no" / "such" / "p.mrproj")


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "p.mrproj"
    Project.open(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="newer than this metareview knows"):
        Project.open(path)


def test_unreachable_database_is_a_store_error():
    with pytest.raises(StoreError, match="cannot open"):
        Project.open("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_bad_source_kind_names_the_choices(tmp_path):
    with (
        Project.open(tmp_path / "p.mrproj") as project,
        pytest.raises(ValueError, match="organisation, citation; got 'snowballing'"),
    ):
        project.add_import("a.ris", RECORDS, actor="ana", source_kind="snowballing")
