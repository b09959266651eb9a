"""The event log resists rewriting: refused overwrites and truncation, and a verified hash chain."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.exc import DBAPIError

from metareview.errors import StoreError
from metareview.records.events import EventKind, NewEvent
from metareview.records.record import Record
from metareview.store import Project, migrate
from metareview.store.review import vote
from metareview.store.schema import events
from tests import stores
from tests.test_records_cli import run

store_url = stores.store_url


def _screened(url: str) -> Project:
    project = Project.open(url)
    ids = project.add_import(
        "s.ris", [Record(title="A"), Record(title="B")], actor="ana"
    ).record_ids
    for who in ("ana", "ben"):
        vote(project, ids[0], reviewer=who, stage="ta", decision="include")
    vote(project, ids[1], reviewer="ana", stage="ta", decision="exclude")
    return project


def test_sqlite_refuses_insert_or_replace_of_a_vote(tmp_path):
    url = stores.sqlite_url(tmp_path)
    with _screened(url) as project:
        last = project.events()[-1]
        for verb in ("INSERT OR REPLACE", "REPLACE", "INSERT OR IGNORE"):
            with pytest.raises(DBAPIError, match="append-only"), project.engine.begin() as c:
                c.execute(
                    text(
                        f"{verb} INTO events (id, at, actor, kind, stage, record_id, value) "
                        "VALUES (:id, :at, 'ana', 'decision', 'ta', :r, 'include')"
                    ),
                    {"id": last.id, "at": last.at, "r": last.record_id},
                )
        with pytest.raises(DBAPIError, match="append-only"), project.engine.begin() as c:
            c.execute(
                text(
                    "REPLACE INTO records (id, import_id, title, abstract, authors, "
                    "journal, volume, issue, pages, doi, pmid, keywords, "
                    "publication_type, source_database, source_file) VALUES "
                    "(1, 1, 'X', '', '[]', '', '', '', '', '', '', '[]', '', '', '')"
                )
            )
        assert project.events()[-1] == last
        assert project.records()[1].title == "A"
        assert project.verify_log().intact


@pytest.fixture
def postgres_url():
    yield from stores.postgres_schema()


@pytest.mark.postgres
@stores.needs_postgres
def test_postgres_refuses_truncate(postgres_url):
    with _screened(postgres_url) as project:
        before = project.events()
        for table in ("events", "records", "imports"):
            with pytest.raises(DBAPIError, match="append-only"), project.engine.begin() as c:
                c.execute(text(f"TRUNCATE {table} CASCADE"))
        assert project.events() == before


def _tamper(project: Project, sql: str) -> None:
    """Rewrite the log as a database owner can: lift the triggers, change a row."""
    with project.engine.begin() as c:
        if project.engine.dialect.name == "sqlite":
            c.execute(text("DROP TRIGGER events_no_update"))
            c.execute(text("DROP TRIGGER events_no_delete"))
        else:
            c.execute(text("ALTER TABLE events DISABLE TRIGGER USER"))
        c.execute(text(sql))


def test_a_fresh_log_verifies_and_names_its_head(store_url):
    with _screened(store_url) as project:
        check = project.verify_log()
        assert check.intact and check.events == 4 and len(check.head) == 64
        stored = project.events()
    with Project.open(store_url) as project:  # appends continue the chain after reopening
        vote(project, stored[-1].record_id, reviewer="ben", stage="ta", decision="include")
        assert project.verify_log().intact
        assert project.verify_log().head != check.head


@pytest.mark.parametrize(
    ("sql", "broken"),
    [
        ("UPDATE events SET value = 'exclude' WHERE id = 2", 2),  # a changed vote
        ("DELETE FROM events WHERE id = 3", 4),  # a removed vote: the next link breaks
        ("UPDATE events SET actor = 'zoe' WHERE id = 4", 4),  # the last event changed
    ],
)
def test_verify_names_the_first_broken_link(store_url, sql, broken):
    with _screened(store_url) as project:
        _tamper(project, sql)
        check = project.verify_log()
    assert not check.intact and check.broken_at == broken
    result = run("verify", store_url, check=False)
    assert result.returncode == 1
    assert f"broken at event {broken}" in result.stdout


def test_an_event_inserted_without_its_predecessors_hash_is_caught(store_url):
    with _screened(store_url) as project:
        with project.engine.begin() as c:  # no trigger stops a plain INSERT with a fresh id
            c.execute(
                insert(events).values(
                    at=project.events()[-1].at,
                    actor="ana",
                    kind="decision",
                    stage="ta",
                    record_id=2,
                    value="include",
                    prev_hash="f" * 64,
                    hash="f" * 64,
                )
            )
        check = project.verify_log()
    assert check.broken_at == 5


def test_verify_cli_reports_an_intact_chain_as_json(store_url):
    _screened(store_url).close()
    report = json.loads(run("verify", store_url, "--json").stdout)
    assert report["intact"] and report["events"] == 4 and report["broken_at"] is None


def test_upgrade_chains_the_events_a_first_revision_project_holds(tmp_path):
    url = stores.sqlite_url(tmp_path)
    engine = create_engine(f"sqlite:///{url}")
    migrate.upgrade(engine, "0001")
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO imports (file, source_database, source_kind, actor, at, "
                "n_records, errors) VALUES ('s.ris', '', 'database', 'ana', "
                "'2026-01-01 00:00:00.000000', 0, '[]')"
            )
        )
        for who in ("ana", "ben"):
            c.execute(
                text(
                    "INSERT INTO events (at, actor, kind, data) VALUES "
                    f"('2026-01-01 00:00:00.000000', '{who}', 'setting', '{{}}')"
                )
            )
    engine.dispose()
    with Project.open(url) as project:
        assert project.verify_log().intact and project.verify_log().events == 2
        project.append([NewEvent(EventKind.SETTING, "ana", value="k", data={"value": 1})])
        assert project.verify_log().intact
        with pytest.raises(DBAPIError, match="append-only"), project.engine.begin() as c:
            c.execute(text("UPDATE events SET actor = 'x'"))


def test_long_fields_and_nul_bytes_import_alike_on_both_stores(store_url, tmp_path):
    ris = tmp_path / "odd.ris"
    volume, doi = "V" * 150, "10.1000/" + "d" * 400
    ris.write_bytes(
        f"TY  - JOUR\nTI  - Sleep\x00 and mood\nVL  - {volume}\nDO  - {doi}\nER  - \n".encode()
    )
    result = run("import", store_url, str(ris), "--by", "a" * 300, check=False)
    assert result.returncode == 0, result.stderr
    assert "note: removed 1 NUL characters" in result.stdout
    with Project.open(store_url) as project:
        stored = project.records()[1]
        assert (stored.title, stored.volume, stored.doi) == ("Sleep and mood", volume, doi)
        assert project.events()[0].actor == "a" * 300


def test_nul_through_the_api_is_refused_without_dumping_the_row(store_url):
    with Project.open(store_url) as project:
        with pytest.raises(StoreError) as refused:
            project.add_import("api", [Record(title="ok"), Record(title="x\x00y")], actor="ana")
        assert str(refused.value) == "api, record 2: field 'title' holds a NUL character; remove it"
        assert not project.record_ids()  # nothing half-stored
        with pytest.raises(StoreError, match="NUL"):
            project.append([NewEvent(EventKind.SETTING, "an\x00a", value="k")])


def test_nul_inside_an_events_data_is_refused_on_both_stores(store_url, caplog):
    """A vote's note is kept in the event's JSON ``data``: a NUL there is refused like one in a
    column (PostgreSQL's json would keep it, but text read from it cannot hold it), nothing is
    appended, and psycopg logs no warning about the pipeline."""
    with Project.open(store_url) as project:
        ids = project.add_import("s.ris", [Record(title="A")], actor="ana").record_ids
        with pytest.raises(StoreError) as refused:
            vote(project, ids[0], reviewer="ana", stage="ta", decision="include", note="a\x00b")
        assert str(refused.value) == "a decision event: field 'data' holds a NUL character; remove it"
        with pytest.raises(StoreError, match="field 'data' holds a NUL"):
            project.append([NewEvent(EventKind.SETTING, "ana", value="k", data={"v": ["\x00"]})])
        assert [e.kind for e in project.events()] == [EventKind.IMPORT]
        vote(project, ids[0], reviewer="ana", stage="ta", decision="include", note="a b")
        assert project.events()[-1].data == {"note": "a b"}
    assert not [r for r in caplog.records if r.name == "psycopg"]


def test_a_failed_checked_append_rolls_back_and_leaves_the_store_usable(store_url, caplog):
    """An append the database refuses (here a vote on a record that does not exist, which its
    foreign key rejects) is a StoreError naming the event, appends nothing, releases the write
    lock, and the next append links to the last event stored. On PostgreSQL the refused insert
    is pipelined with the commit: psycopg logs nothing about the aborted pipeline (whether it
    read the error before or at the pipeline's end, which varies, hence the repeats)."""
    with Project.open(store_url) as project:
        ids = project.add_import("s.ris", [Record(title="A")], actor="ana").record_ids
        stray = NewEvent(EventKind.DECISION, "ana", stage="ta", record_id=999_999, value="include")
        for _ in range(10):
            with pytest.raises(StoreError, match="cannot append decision event"):
                project.append_checked(lambda events: [stray, stray])
        assert not [r for r in caplog.records if r.name == "psycopg"]
        event = vote(project, ids[0], reviewer="ana", stage="ta", decision="include")
        assert [e.kind for e in project.events()] == [EventKind.IMPORT, EventKind.DECISION]
        assert project.events()[-1] == event
        assert project.verify_log().intact
    with Project.open(store_url) as reopened:  # what was committed, read back
        assert [e.id for e in reopened.events()] == [e.id for e in project.events()]
