"""Rows chosen by a caller's list of ids, read a bounded number of ids per statement.

A statement may bind only so many values: SQLite refuses more than 32,766 (its default since
3.32; 999 before, still the system SQLite of some distributions, e.g. RHEL 8's 3.26; some
builds, Debian's, allow 250,000) with "too many SQL variables", and PostgreSQL's
protocol more than 65,535 ("number of parameters must be between 0 and 65535"). A search may import 30,000–100,000 records and the
screening pool, an export or the ranking ask for all of them, so every query of the store
that selects rows by a list of ids a caller gives (``column IN (...)``) reads them through
:func:`rows_with_ids`, at most :data:`IDS_PER_QUERY` ids per statement for its database.

>>> from sqlalchemy import column, create_engine, select, table, text
>>> engine = create_engine("sqlite://")
>>> with engine.connect() as connection:
...     _ = connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
...     _ = connection.execute(text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
...                                 "SELECT i + 1 FROM n WHERE i < 50000) "
...                                 "INSERT INTO t SELECT i FROM n"))
...     t = table("t", column("id"))
...     found = [row.id for row in rows_with_ids(connection, select(t), t.c.id,
...                                              range(60000, 0, -1))]
>>> len(found), found[:3], found == sorted(found)
(50000, [1, 2, 3], True)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import ColumnElement, Row, Select
from sqlalchemy.engine import Connection

#: Ids bound in one statement at most, by database, with room for the query's other values:
#: below the oldest SQLite's 999 (SQLite's time does not change with the size), and for
#: PostgreSQL 2,000, far below its 65,535 (smaller chunks cost it more: 900 read 60,000
#: records' texts ≈ 50 % slower; 2,000 as fast as one statement).
IDS_PER_QUERY = {"sqlite": 900, "postgresql": 2000}


def ids_per_query(dialect: str) -> int:
    """The ids one statement of the database ``dialect`` binds at most (the smallest of
    :data:`IDS_PER_QUERY` for a database not named there).

    >>> ids_per_query("sqlite"), ids_per_query("postgresql"), ids_per_query("other")
    (900, 2000, 900)
    """
    return IDS_PER_QUERY.get(dialect, min(IDS_PER_QUERY.values()))


def rows_with_ids(
    connection: Connection,
    query: Select,
    column: ColumnElement,
    ids: Iterable[int] | None = None,
) -> Iterator[Row]:
    """The rows of ``query`` (all, or those whose ``column`` is one of ``ids``), in ``column``
    order, each once whatever the order and repeats of ``ids`` (an id of no row is left
    out): the same rows as one ``WHERE column IN (ids) ORDER BY column``, read
    :func:`ids_per_query` ids per statement, so any number of ids can be asked for.

    Rows are read one statement at a time as the iterator is consumed (consume it while
    ``connection`` is open); ``query`` must not be ordered itself.

    >>> from sqlalchemy import column, create_engine, select, table, text
    >>> engine = create_engine("sqlite://")
    >>> with engine.connect() as connection:
    ...     _ = connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)"))
    ...     _ = connection.execute(text("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')"))
    ...     t = table("t", column("id"), column("x"))
    ...     [tuple(r) for r in rows_with_ids(connection, select(t), t.c.id, [3, 1, 3, 9])]
    [(1, 'a'), (3, 'c')]
    """
    if ids is None:
        yield from connection.execute(query.order_by(column))
        return
    wanted = sorted(set(ids))
    size = ids_per_query(connection.dialect.name)
    for start in range(0, len(wanted), size):
        chunk = wanted[start : start + size]
        yield from connection.execute(query.where(column.in_(chunk)).order_by(column))
