"""The hash chain over the event log: each event stores the hash of the one before it.

An event's hash is SHA-256 over its content (time, actor, kind, stage, record, value,
reason, data) and the hash of the previous event, so changing, removing or inserting any
event breaks every later link. :func:`verify_chain` walks the log in order and names the
first event whose stored hashes do not match what its content and predecessor give.

>>> from datetime import UTC, datetime
>>> at = datetime(2026, 1, 1, tzinfo=UTC)
>>> first = {"id": 1, "at": at, "actor": "ana", "kind": "import", "stage": None,
...          "record_id": None, "value": None, "reason": None, "data": {"records": 2}}
>>> first |= {"prev_hash": GENESIS, "hash": event_hash(GENESIS, first)}
>>> second = dict(first, id=2, kind="decision", prev_hash=first["hash"])
>>> second["hash"] = event_hash(first["hash"], second)
>>> verify_chain([first, second]).intact
True
>>> tampered = dict(second, actor="ben")  # rewritten without recomputing its hash
>>> print(verify_chain([first, tampered]).summary())
broken at event 2: its content does not match its stored hash (2 events checked)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from metareview.store.times import stored_utc

GENESIS = "0" * 64
"""What the first event stores as the hash of its (absent) predecessor."""

HASHED_FIELDS = ("at", "actor", "kind", "stage", "record_id", "value", "reason", "data")


def _utc_text(at: datetime) -> str:
    return stored_utc(at).astimezone(UTC).isoformat()


def event_hash(
    prev_hash: str, row: Mapping[str, Any], fields: tuple[str, ...] = HASHED_FIELDS
) -> str:
    """SHA-256 (hex) of an event's content (``fields``, which include ``at`` and ``data``;
    by default those of the ``events`` table) and its predecessor's hash.

    >>> row = {"at": datetime(2026, 1, 1, tzinfo=UTC), "actor": "ana", "kind": "import",
    ...        "stage": None, "record_id": None, "value": None, "reason": None, "data": None}
    >>> len(event_hash(GENESIS, row)), event_hash(GENESIS, row) == event_hash(GENESIS, row)
    (64, True)
    """
    content = {name: row[name] for name in fields}
    content["at"] = _utc_text(row["at"])
    content["data"] = row["data"] or {}
    text = json.dumps([prev_hash, content], sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of checking the log's hash chain.

    ``broken_at`` is the id of the first event that does not link (``None`` when intact);
    ``head`` is the hash of the last event, to note down and compare later: an owner who
    rewrites the log *and* recomputes every hash changes it.
    """

    events: int
    head: str
    broken_at: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "intact": self.intact,
            "broken_at": self.broken_at,
            "problem": self.problem,
            "head": self.head,
        }

    def summary(self) -> str:
        if self.intact:
            return f"{self.events} events, hash chain intact; head {self.head}"
        return f"broken at event {self.broken_at}: {self.problem} ({self.events} events checked)"


def verify_chain(
    rows: Iterable[Mapping[str, Any]], fields: tuple[str, ...] = HASHED_FIELDS
) -> ChainCheck:
    """Check every stored ``prev_hash``/``hash`` pair of a log, in id order (``fields``: the
    hashed content, as for :func:`event_hash`)."""
    expected_prev = GENESIS
    count = 0
    for row in rows:
        count += 1
        if row["prev_hash"] != expected_prev:
            problem = "the hash it stores for the previous event does not match that event"
            if expected_prev == GENESIS:
                problem = "the first event does not start the chain"
            return ChainCheck(count, expected_prev, row["id"], problem)
        recomputed = event_hash(row["prev_hash"], row, fields)
        if row["hash"] != recomputed:
            problem = "its content does not match its stored hash"
            return ChainCheck(count, expected_prev, row["id"], problem)
        expected_prev = recomputed
    return ChainCheck(count, expected_prev)
