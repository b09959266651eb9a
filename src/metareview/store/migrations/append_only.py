"""The triggers that keep a table append-only, as the migrations create them.

SQLite: triggers that abort any UPDATE or DELETE, and an INSERT of a row whose id already
exists (``INSERT OR REPLACE``, ``REPLACE``, upserts). PostgreSQL: one row trigger refusing
UPDATE and DELETE and one statement trigger refusing TRUNCATE, both calling the function
``metareview_append_only()`` of the first migration (its primary keys already refuse an
existing id, and ``ON CONFLICT DO UPDATE`` meets the update trigger). Other dialects get none.

>>> for statement in refuse_changes("events", "postgresql"):
...     print(statement)
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION metareview_append_only()
"""

from __future__ import annotations

from collections.abc import Callable

_ABORT = "BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"  # SQLite
_CALL = "EXECUTE FUNCTION metareview_append_only()"  # PostgreSQL
# dialect -> statement templates ({table} is the table's name)
_CHANGES = {
    "sqlite": (
        "CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} " + _ABORT,
        "CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} " + _ABORT,
    ),
    "postgresql": (
        "CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW "
        + _CALL,
    ),
}
_OVERWRITES = {
    "sqlite": (
        "CREATE TRIGGER {table}_no_overwrite BEFORE INSERT ON {table} "
        "WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) " + _ABORT,
    ),
    "postgresql": (
        "CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT " + _CALL,
    ),
}
_DROPS = {
    "postgresql": (
        "DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        "DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
    ),
}


def _statements(templates: dict[str, tuple[str, ...]], table: str, dialect: str) -> list[str]:
    return [template.format(table=table) for template in templates.get(dialect, ())]


def refuse_changes(table: str, dialect: str) -> list[str]:
    """The statements that make ``table`` refuse UPDATE and DELETE.

    >>> refuse_changes("records", "sqlite")[1]
    "CREATE TRIGGER records_no_delete BEFORE DELETE ON records BEGIN SELECT RAISE(ABORT, 'records is append-only'); END"
    """
    return _statements(_CHANGES, table, dialect)


def refuse_overwrites(table: str, dialect: str) -> list[str]:
    """The statements that make ``table`` refuse an INSERT over an existing id (SQLite) or
    TRUNCATE (PostgreSQL).

    >>> refuse_overwrites("events", "postgresql")
    ['CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION metareview_append_only()']
    """
    return _statements(_OVERWRITES, table, dialect)


def drop_refusals(table: str, dialect: str) -> list[str]:
    """The statements that drop the triggers of :func:`refuse_changes` and
    :func:`refuse_overwrites` before ``table`` is dropped (SQLite drops them with the table).

    >>> drop_refusals("events", "sqlite")
    []
    """
    return _statements(_DROPS, table, dialect)


def make_append_only(table: str, dialect: str, execute: Callable[[str], object]) -> None:
    """Run (with ``execute``, in a migration ``op.execute``) every statement that keeps
    ``table`` append-only: :func:`refuse_changes`, then :func:`refuse_overwrites`.

    >>> ran = []
    >>> make_append_only("notes", "sqlite", ran.append)
    >>> [statement.split()[2] for statement in ran]
    ['notes_no_update', 'notes_no_delete', 'notes_no_overwrite']
    """
    for statement in refuse_changes(table, dialect) + refuse_overwrites(table, dialect):
        execute(statement)


def drop_append_only(table: str, dialect: str, execute: Callable[[str], object]) -> None:
    """Run (with ``execute``) the statements of :func:`drop_refusals`.

    >>> ran = []
    >>> drop_append_only("notes", "postgresql", ran.append)
    >>> len(ran)
    2
    """
    for statement in drop_refusals(table, dialect):
        execute(statement)
