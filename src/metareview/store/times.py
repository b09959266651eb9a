"""Times as the store reads them back: aware, in UTC.

The store writes every time in UTC; PostgreSQL returns them with their zone, SQLite without
one. :func:`stored_utc` gives both as the same aware UTC time.

>>> from datetime import UTC, datetime
>>> stored_utc(datetime(2026, 1, 1, 9, 30)) == datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
True
"""

from __future__ import annotations

from datetime import UTC, datetime


def stored_utc(value: datetime) -> datetime:
    """A time read from the store, with its zone (UTC where the database kept none).

    >>> stored_utc(datetime(2026, 1, 1)).isoformat()
    '2026-01-01T00:00:00+00:00'
    """
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
