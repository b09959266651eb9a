"""Times as the store reads them back: aware, in UTC.

The store writes every time in UTC; PostgreSQL returns them with their zone, SQLite without
one. :func:`stored_utc` gives both as the same aware UTC time.

>>> from datetime import UTC, datetime
>>> stored_utc(datetime(2026, 1, 1, 9, 30)) == datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
True
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any


def stored_utc(value: datetime) -> datetime:
    """A time read from the store, with its zone (UTC where the database kept none).

    >>> stored_utc(datetime(2026, 1, 1)).isoformat()
    '2026-01-01T00:00:00+00:00'
    """
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


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
