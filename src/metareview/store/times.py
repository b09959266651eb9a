"""Times as the store reads them back: aware, in UTC; and the rows that carry them.

The store writes every time in UTC; PostgreSQL returns them with their zone, SQLite without
one. :func:`stored_utc` gives both as the same aware UTC time; :func:`logged_entry` reads a
row of either log with it, and :class:`StoredDocument` writes such rows back out as JSON.

>>> from datetime import UTC, datetime
>>> stored_utc(datetime(2026, 1, 1, 9, 30)) == datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, TypeVar

T = TypeVar("T")


def stored_utc(value: datetime) -> datetime:
    """A time read from the store, with its zone (UTC where the database kept none).

    >>> stored_utc(datetime(2026, 1, 1)).isoformat()
    '2026-01-01T00:00:00+00:00'
    """
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def logged_entry(
    cls: type[T], kinds: Callable[[str], Any], row: Mapping[str, Any], **read: Any
) -> T:
    """A log entry of dataclass ``cls`` from its stored row: each field by name, ``at`` aware
    in UTC, ``kind`` one of ``kinds``, ``data`` a dict (``read``: fields read otherwise).

    >>> from metareview.records.events import Event, EventKind
    >>> row = {"id": 1, "at": datetime(2026, 1, 1), "actor": "ana", "kind": "decision",
    ...        "stage": "ta", "record_id": 3, "value": "include", "reason": None, "data": None}
    >>> entry = logged_entry(Event, EventKind, row)
    >>> entry.at.isoformat(), entry.kind, entry.data
    ('2026-01-01T00:00:00+00:00', <EventKind.DECISION: 'decision'>, {})
    """
    values = {name: row[name] for name in cls.__dataclass_fields__}  # type: ignore[attr-defined]
    values["at"] = stored_utc(row["at"])
    values["kind"] = kinds(row["kind"])
    values["data"] = dict(row["data"] or {})
    return cls(**(values | read))


class StoredDocument:
    """Mixin of a frozen dataclass read from the store: its document is its fields in order,
    times in ISO 8601 and tuples as lists.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Upload(StoredDocument):
    ...     by: tuple[str, ...]
    ...     at: datetime
    >>> Upload(("ana",), datetime(2026, 1, 1, tzinfo=UTC)).to_dict()
    {'by': ['ana'], 'at': '2026-01-01T00:00:00+00:00'}
    """

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        fields = asdict(self)  # type: ignore[call-overload]
        return {name: _json_ready(value) for name, value in fields.items()}


def _json_ready(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return list(value) if isinstance(value, tuple) else value
