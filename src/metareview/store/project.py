"""A review project on disk: one SQLite file by default, or a PostgreSQL database by URL.

Records and imports are written once; every decision is appended to the event log and
never changed. Writes that depend on the current state (a vote, a resolution) run inside a
transaction that holds the project's write lock, so concurrent reviewers, threads or
processes cannot interleave a check and its write.

>>> project = Project.open("sqlite://")
>>> batch = project.add_import("search.ris", [Record(title="A trial")], actor="ana",
...                            source_database="PubMed")
>>> project.records()[batch.record_ids[0]].title
'A trial'
>>> [e.kind.value for e in project.events()]
['import']
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from metareview.errors import StoreError
from metareview.records.events import Event, EventKind, NewEvent
from metareview.records.record import Record, SourceKind
from metareview.store import migrate
from metareview.store.by_ids import rows_with_ids
from metareview.store.chain import GENESIS, ChainCheck, event_hash, verify_chain
from metareview.store.log_state import PAGE, LogState, event_from_row
from metareview.store.schema import events, imports, records

SOURCE_KINDS = tuple(kind.value for kind in SourceKind)
_RECORD_FIELDS = tuple(Record.__dataclass_fields__)
# PostgreSQL's write lock: a transaction-level advisory lock keyed by metareview and the
# project's schema, so projects in other schemas of the same database never wait for it.
_LOCK_KEY = int(hashlib.sha1(b"metareview").hexdigest()[:7], 16)
_PG_LOCK = "SELECT pg_advisory_xact_lock({}, hashtext(current_schema()))"
_EVENT_COLUMNS = ("at", "actor", "kind", "stage", "record_id", "value", "reason", "data")
_CHAIN_COLUMNS = (*_EVENT_COLUMNS, "prev_hash", "hash")


@dataclass(frozen=True)
class ImportBatch:
    """What one import added: its id, the file, and the ids its records received, in order."""

    id: int
    file: str
    source_database: str
    source_kind: str
    record_ids: tuple[int, ...]
    errors: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file": self.file,
            "source_database": self.source_database,
            "source_kind": self.source_kind,
            "records": len(self.record_ids),
            "errors": [dict(e) for e in self.errors],
        }


def project_url(location: str | Path) -> str:
    """The SQLAlchemy URL of a project: a URL as given, or a file path as a SQLite URL.

    >>> project_url("review.mrproj")
    'sqlite:///review.mrproj'
    >>> project_url("postgresql+psycopg://postgres@127.0.0.1/test")
    'postgresql+psycopg://postgres@127.0.0.1/test'
    """
    location = str(location)
    return location if "://" in location else f"sqlite:///{location}"


#: How long a connection to a SQLite project waits for another's lock, in seconds.
SQLITE_BUSY_SECONDS = 60


def _use_wal(dbapi_connection: Any) -> None:
    """Put a project file in WAL mode (a no-op once it is: the mode is kept in the file).

    Connections that switch a new file at the same moment each hold a read lock and want the
    write lock, so SQLite refuses all but one at once, without waiting ("database is
    locked": it calls no busy handler where waiting could deadlock). Seen with three
    processes creating one project; a refused switch is tried again, for as long as a lock
    is waited for.

    >>> import sqlite3
    >>> connection = sqlite3.connect(":memory:")
    >>> _use_wal(connection)
    >>> connection.execute("PRAGMA journal_mode").fetchone()[0]  # (in memory: never WAL)
    'memory'
    """
    import sqlite3
    import time

    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    while True:
        try:
            if dbapi_connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                dbapi_connection.execute("PRAGMA journal_mode=WAL").fetchone()
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_engine(url: str) -> Engine:
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
        poolclass=StaticPool if in_memory else None,
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        if not in_memory:
            _use_wal(dbapi_connection)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        if not in_memory:  # WAL + NORMAL: never corrupts; a power cut may lose the last commit
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A writer takes the database's write lock at BEGIN, so the state it checks cannot
        # change before it appends (SQLite's deferred BEGIN would upgrade the lock too late).
        write = connection.get_execution_options().get("write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class Project:
    """An open review project. Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, engine: Engine, url: str):
        self.engine = engine
        self.url = url
        self._log = LogState()
        self._writing = threading.RLock()
        #: The hash of each record's embedding text, by record id, as
        #: :mod:`metareview.store.embeddings` finds it: records never change (the database
        #: refuses an UPDATE), so each is hashed once and never goes stale.
        self.text_hashes: dict[int, str] = {}

    @classmethod
    def open(cls, location: str | Path, *, create: bool = True) -> Project:
        """Open (and create or migrate, if needed) the project at a path or database URL.

        Raises :class:`~metareview.errors.StoreError` if the file is missing and ``create``
        is false, if the database cannot be reached, or if it was made by a newer metareview.
        """
        url = project_url(location)
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            path = Path(url.removeprefix("sqlite:///"))
            if not create and not path.exists():
                raise StoreError(f"{path}: no such project (create it with 'records import')")
            if path.parent and not path.parent.is_dir():
                raise StoreError(f"{path}: folder {path.parent} does not exist")
        try:
            engine = _sqlite_engine(url) if url.startswith("sqlite") else create_engine(url)
            project = cls(engine, url)
            project._migrate()
        except OperationalError as err:
            raise StoreError(f"{location}: cannot open the project store ({err.orig})") from err
        return project

    def _migrate(self) -> None:
        current = migrate.current_revision(self.engine)
        if current is not None and current not in migrate.known_revisions():
            raise StoreError(
                f"{self.url}: schema revision {current!r} is newer than this metareview knows"
            )
        if current != migrate.head_revision():
            with self._write() as connection:
                migrate.upgrade_on(connection)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A transaction holding the project's write lock (serialises all writers).

        The threads of this process queue for it in order, on a lock of their own, before
        they ask the database; only writers in other processes wait in the database (SQLite
        polls for its lock with growing sleeps, which made a vote wait for one). On
        PostgreSQL the lock is a transaction-level advisory lock."""
        with self._writing, self.engine.connect() as connection:
            connection = connection.execution_options(write=True)
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(text(_PG_LOCK.format(":k")), {"k": _LOCK_KEY})
                yield connection

    @contextmanager
    def read_one(self) -> Iterator[Connection]:
        """A connection for one statement that reads. On PostgreSQL it runs outside a
        transaction (a single statement reads one snapshot anyway), which saves the round
        trips of BEGIN and ROLLBACK; SQLite's local BEGIN costs nothing and stays."""
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    # -- imports and records ------------------------------------------------------------

    def add_import(
        self,
        file: str,
        found: Sequence[Record],
        *,
        actor: str,
        source_database: str = "",
        source_kind: str = "database",
        errors: Sequence[dict[str, Any]] = (),
    ) -> ImportBatch:
        """Store the records of one search export and log the import.

        ``source_database`` (e.g. "MEDLINE") overrides the records' own; ``source_kind`` is
        ``database`` or ``register`` (PRISMA 2020's databases-and-registers branch), or
        ``website``, ``organisation`` or ``citation`` (its other-methods branch, whose records
        skip title/abstract screening).
        """
        if source_kind not in SOURCE_KINDS:
            raise ValueError(
                f"source_kind must be one of {', '.join(SOURCE_KINDS)}; got {source_kind!r}"
            )
        now = datetime.now(UTC)
        with self._write() as connection:
            import_id = connection.execute(
                insert(imports).values(
                    file=file,
                    source_database=source_database,
                    source_kind=source_kind,
                    actor=actor,
                    at=now,
                    n_records=len(found),
                    errors=[dict(e) for e in errors],
                )
            ).inserted_primary_key[0]
            ids = []
            for position, record in enumerate(found, start=1):
                row = record.to_dict()
                if source_database:
                    row["source_database"] = source_database
                where = f"{file}, record {position}"
                _refuse_nul(row, where)
                try:
                    result = connection.execute(insert(records).values(import_id=import_id, **row))
                except SQLAlchemyError as err:  # the driver's message only: never the whole row
                    raise StoreError(f"{where}: cannot be stored ({_reason(err)})") from err
                ids.append(result.inserted_primary_key[0])
            data = {"import_id": import_id, "file": file, "records": len(ids)}
            data |= {"errors": len(errors), "source_database": source_database}
            self._insert(connection, [NewEvent(EventKind.IMPORT, actor, data=data)], now)
        return ImportBatch(import_id, file, source_database, source_kind, tuple(ids), tuple(errors))

    def imports(self) -> tuple[ImportBatch, ...]:
        """Every import, oldest first."""
        with self.engine.connect() as connection:
            batches = connection.execute(select(imports).order_by(imports.c.id)).all()
            owned = connection.execute(
                select(records.c.id, records.c.import_id).order_by(records.c.id)
            ).all()
        ids: dict[int, list[int]] = {}
        for record_id, import_id in owned:
            ids.setdefault(import_id, []).append(record_id)
        return tuple(
            ImportBatch(
                b.id,
                b.file,
                b.source_database,
                b.source_kind,
                tuple(ids.get(b.id, ())),
                tuple(b.errors),
            )
            for b in batches
        )

    def records(self, ids: Iterable[int] | None = None) -> dict[int, Record]:
        """The stored records by id (all of them, or those in ``ids``: any number, in any
        order; an id of no record is left out), in id order.

        >>> project = Project.open("sqlite://")
        >>> ids = project.add_import("s.ris", [Record(title="A"), Record(title="B")],
        ...                          actor="ana").record_ids
        >>> [r.title for r in project.records([ids[1], ids[0], 99]).values()]
        ['A', 'B']
        """
        with self.read_one() as connection:
            rows = [
                row._mapping
                for row in rows_with_ids(connection, select(records), records.c.id, ids)
            ]
        out = {}
        for row in rows:
            values = {name: row[name] for name in _RECORD_FIELDS}
            values["authors"] = tuple(values["authors"])
            values["keywords"] = tuple(values["keywords"])
            out[row["id"]] = Record(**values)
        return out

    def titles_and_abstracts(
        self, ids: Iterable[int] | None = None
    ) -> dict[int, tuple[str | None, str | None]]:
        """Each stored record's title and abstract by id (all, or those in ``ids``, as
        :meth:`records`), reading only those two columns: what the ranking and the sentence
        vectors read, without building whole records.

        >>> project = Project.open("sqlite://")
        >>> ids = project.add_import("s.ris", [Record(title="A", abstract="One"),
        ...                          Record(title="B")], actor="ana").record_ids
        >>> project.titles_and_abstracts([ids[1], 99, ids[0]])
        {1: ('A', 'One'), 2: ('B', '')}
        """
        query = select(records.c.id, records.c.title, records.c.abstract)
        with self.read_one() as connection:
            return {
                r: (title, abstract)
                for r, title, abstract in rows_with_ids(connection, query, records.c.id, ids)
            }

    def record_ids(self) -> tuple[int, ...]:
        """The ids of every stored record, in import order."""
        with self.engine.connect() as connection:
            return tuple(connection.execute(select(records.c.id).order_by(records.c.id)).scalars())

    def source_kinds(self) -> dict[int, str]:
        """For every record id, the kind of source it came from (see ``SourceKind``)."""
        query = select(records.c.id, imports.c.source_kind).join(imports)
        with self.engine.connect() as connection:
            return {row[0]: row[1] for row in connection.execute(query)}

    # -- the event log ------------------------------------------------------------------

    def append(self, new: Sequence[NewEvent]) -> tuple[Event, ...]:
        """Append events unconditionally (use :meth:`append_checked` when they depend on state)."""
        with self._write() as connection:
            return self._insert(connection, new, datetime.now(UTC))

    def append_checked(
        self, plan: Callable[[tuple[Event, ...]], Sequence[NewEvent]]
    ) -> tuple[Event, ...]:
        """Read the log, let ``plan`` decide what to append (or raise), and append it, atomically.

        ``plan`` receives every event so far, under the write lock: no other writer can
        append between the check and the write.
        """
        return self.append_planned(lambda log: plan(tuple(log.events)))

    def append_planned(self, plan: Callable[[LogState], Sequence[NewEvent]]) -> tuple[Event, ...]:
        """As :meth:`append_checked`, but ``plan`` receives the up-to-date :class:`LogState`
        (its folded votes and pools), so a check need not fold the whole log again.

        On PostgreSQL the write lock is held for two round trips to the database server:
        one that begins the transaction, takes the lock and reads the new events, and one
        that appends and commits (psycopg's pipeline mode; see :func:`_pg_lock_and_read`)."""
        postgres = self.engine.dialect.name == "postgresql"
        with self._pg_write() if postgres else self._write() as connection:
            # under the write lock: nothing can come after what this reads
            rows = _pg_lock_and_read(connection, self._log.last_id) if postgres else None
            self._log.refresh(connection, rows)
            with self._log.lock:
                new = plan(self._log)
                last_hash = self._log.last_hash  # the log's last event
            now = datetime.now(UTC)
            if postgres:
                return _pg_append_and_commit(connection, new, now, last_hash or GENESIS)
            return self._insert(connection, new, now, last_hash or GENESIS)

    @contextmanager
    def _pg_write(self) -> Iterator[Connection]:
        """A PostgreSQL connection whose caller begins, locks and commits the transaction
        itself (:func:`_pg_lock_and_read`, :func:`_pg_append_and_commit`), so that each of
        those steps takes one round trip; on an error the transaction is rolled back."""
        with self._writing, self.engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            try:
                yield connection
            except BaseException:
                connection.connection.dbapi_connection.rollback()  # (nothing if none is open)
                raise

    def log(self) -> LogState:
        """The log's state, brought up to date (see :mod:`metareview.store.log_state`)."""
        with self.read_one() as connection:  # the new events (and on an import, the records)
            self._log.refresh(connection)
        return self._log

    def events(self, kind: EventKind | str | None = None) -> tuple[Event, ...]:
        """The log in order (optionally only one kind)."""
        log = self.log()
        with log.lock:
            if kind is None:
                return tuple(log.events)
            return tuple(e for e in log.events if e.kind == kind)

    def settings(self) -> dict[str, Any]:
        """Every project setting's latest value (see :meth:`set_setting`)."""
        log = self.log()
        with log.lock:
            return dict(log.settings)

    def setting(self, key: str, default: Any = None) -> Any:
        """The latest value of a project setting (see :meth:`set_setting`)."""
        return self.settings().get(key, default)

    def set_setting(self, key: str, value: Any, *, actor: str) -> None:
        """Change a project setting; the change is logged like any decision."""
        self.append([NewEvent(EventKind.SETTING, actor, value=key, data={"value": value})])

    def verify_log(self) -> ChainCheck:
        """Check the event log's hash chain; names the first event that does not link.

        >>> project = Project.open("sqlite://")
        >>> _ = project.add_import("s.ris", [Record(title="A")], actor="ana")
        >>> project.verify_log().intact
        True
        """
        with self.engine.connect() as connection:
            rows = connection.execute(select(events).order_by(events.c.id)).mappings()
            return verify_chain(rows)

    @staticmethod
    def _insert(
        connection: Connection, new: Sequence[NewEvent], now: datetime, prev_hash: str = ""
    ) -> tuple[Event, ...]:
        """Append ``new`` after the event whose hash is ``prev_hash`` (read here if not given)."""
        stored = []
        if not prev_hash:
            last = connection.execute(select(events.c.hash).order_by(events.c.id.desc()).limit(1))
            prev_hash = last.scalar() or GENESIS
        for item, row in zip(new, _chained(new, now, prev_hash), strict=True):
            try:
                event_id = connection.execute(insert(events).values(**row)).inserted_primary_key[0]
            except SQLAlchemyError as err:
                raise StoreError(f"cannot append {item.kind.value} event: {_reason(err)}") from err
            stored.append(event_from_row({"id": event_id, **row}))
        return tuple(stored)


def _chained(new: Sequence[NewEvent], now: datetime, prev_hash: str) -> list[dict[str, Any]]:
    """The rows of ``new`` as appended after the event whose hash is ``prev_hash``, each
    linked to the one before it (see :mod:`metareview.store.chain`)."""
    rows = []
    for item in new:
        row = {
            "at": now,
            "actor": item.actor,
            "kind": item.kind.value,
            "stage": item.stage,
            "record_id": item.record_id,
            "value": item.value,
            "reason": item.reason,
            "data": item.data,
        }
        _refuse_nul(row, f"a {item.kind.value} event")
        row["prev_hash"] = prev_hash
        row["hash"] = prev_hash = event_hash(prev_hash, row)
        rows.append(row)
    return rows


def _pg_lock_and_read(connection: Connection, after: int) -> list[dict[str, Any]]:
    """On PostgreSQL (a :meth:`Project._pg_write` connection), in one round trip: begin a
    transaction, take the write lock (a transaction-level advisory lock, released by its
    commit or rollback) and read the first page of the events after id ``after`` (see
    :func:`~metareview.store.log_state.events_after`). The statements run in order on the
    server, and at READ COMMITTED the read takes its snapshot after the lock is held, so it
    sees every event committed before."""
    from psycopg.rows import dict_row

    raw = connection.connection.dbapi_connection
    columns = ", ".join(("id", *_CHAIN_COLUMNS))
    query = f"SELECT {columns} FROM events WHERE id > %s ORDER BY id LIMIT {PAGE}"
    with raw.cursor() as lock, raw.cursor(row_factory=dict_row) as read:
        statements = [
            (lock, "BEGIN ISOLATION LEVEL READ COMMITTED", None),
            (lock, _PG_LOCK.format("%s"), [_LOCK_KEY]),
            (read, query, [after]),
        ]
        _pipelined(raw, statements)  # sent together; waits for all the results
        return read.fetchall()


def _pg_append_and_commit(
    connection: Connection, new: Sequence[NewEvent], now: datetime, prev_hash: str
) -> tuple[Event, ...]:
    """On PostgreSQL, in one round trip: append ``new`` after the event whose hash is
    ``prev_hash`` and commit (a durable commit: it returns once the server has it on disk).
    Called under the write lock taken by :func:`_pg_lock_and_read`."""
    import psycopg
    from psycopg.types.json import Json

    rows = _chained(new, now, prev_hash)
    raw = connection.connection.dbapi_connection
    values = ", ".join(["(" + ", ".join(["%s"] * len(_CHAIN_COLUMNS)) + ")"] * len(rows))
    query = f"INSERT INTO events ({', '.join(_CHAIN_COLUMNS)}) VALUES {values} RETURNING id, hash"
    params = [Json(v) if c == "data" else v for row in rows for c, v in row.items()]
    try:
        with raw.cursor() as cursor, raw.cursor() as commit:
            appended = [(cursor, query, params)] if rows else []
            _pipelined(raw, [*appended, (commit, "COMMIT", None)])  # waits for the commit
            ids = dict((h, i) for i, h in cursor.fetchall()) if rows else {}
    except psycopg.Error as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise StoreError(f"cannot append {new[0].kind.value} event: {reason}") from err
    return tuple(event_from_row({"id": ids[row["hash"]], **row}) for row in rows)


def _pipelined(raw: Any, statements: Sequence[tuple[Any, str, Any]]) -> None:
    """Send ``(cursor, query, parameters)`` statements together in psycopg's pipeline mode and
    wait for all their results. A failed statement aborts those after it; its error is raised,
    caught inside the pipeline so that psycopg does not also log "error ignored terminating
    pipeline" for the abort that follows."""
    import psycopg

    first: psycopg.Error | None = None
    try:
        with raw.pipeline():
            try:
                for cursor, query, parameters in statements:
                    cursor.execute(query, parameters)
            except psycopg.Error as err:  # an earlier statement's result, read on the way
                first = err
    except psycopg.Error as err:  # the pipeline's end: the results not read yet
        first = first or err
    if first is not None:
        raise first


def holds_nul(value: Any) -> bool:
    """Whether text anywhere in ``value`` (a string, or the keys and values of a JSON-like
    dict or list) holds a NUL character, which PostgreSQL cannot store in text.

    >>> holds_nul("a"), holds_nul({"note": ["x", "y\\x00"]})
    (False, True)
    """
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(v) for v in value)
    return False


def _refuse_nul(row: dict[str, Any], where: str) -> None:
    """Refuse text holding NUL, in a column or inside a JSON one (an event's ``data``, e.g. a
    vote's note): PostgreSQL cannot store it, so neither store takes it (the importers remove
    NULs and say so)."""
    for name, value in row.items():
        if holds_nul(value):
            raise StoreError(f"{where}: field {name!r} holds a NUL character; remove it")


def _reason(err: SQLAlchemyError) -> str:
    """The database's own message, first line only (SQLAlchemy's text repeats the row)."""
    orig = getattr(err, "orig", None) or err
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
