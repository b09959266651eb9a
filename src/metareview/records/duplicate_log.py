"""Which records are duplicates, as decided in the event log (automatically or by a person).

A ``duplicate`` event removes ``record_id`` as a copy of ``data["of"]`` (the record kept);
a ``maybe_duplicate`` event queues a pair for a person; a later ``duplicate`` or
``not_duplicate`` event on the same pair settles it. The latest event on a pair wins, and
earlier ones stay in the log.

>>> from datetime import UTC, datetime
>>> from metareview.records.events import Event, EventKind
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> log = [Event(1, t, "dedup", EventKind.DUPLICATE, record_id=5, data={"of": 2}),
...        Event(2, t, "dedup", EventKind.MAYBE_DUPLICATE, record_id=7, data={"of": 3})]
>>> state = DuplicateState.from_events(log)
>>> state.removed, [(p.record_id, p.of) for p in state.maybe]
({5: 2}, [(7, 3)])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from metareview.records.events import Event, EventKind

_PAIR_KINDS = (EventKind.DUPLICATE, EventKind.MAYBE_DUPLICATE, EventKind.NOT_DUPLICATE)


@dataclass(frozen=True)
class PendingPair:
    """A possible duplicate waiting for a person: ``record_id`` may be a copy of ``of``."""

    record_id: int
    of: int
    score: float | None
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "of": self.of,
            "score": self.score,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class DuplicateState:
    """Removed duplicates (``{removed id: kept id}``, kept ids resolved to the group's root)
    and the pairs still waiting for a person."""

    removed: dict[int, int] = field(default_factory=dict)
    maybe: tuple[PendingPair, ...] = ()

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> DuplicateState:
        latest: dict[tuple[int, int], Event] = {}
        for e in events:
            if e.kind in _PAIR_KINDS and e.record_id is not None:
                latest[(e.record_id, int(e.data["of"]))] = e
        links = {pair[0]: pair[1] for pair, e in latest.items() if e.kind == EventKind.DUPLICATE}
        removed = {record: _root(record, links) for record in links}
        maybe = tuple(
            PendingPair(pair[0], pair[1], e.data.get("score"), tuple(e.data.get("reasons", ())))
            for pair, e in latest.items()
            if e.kind == EventKind.MAYBE_DUPLICATE
            and pair[0] not in removed
            and pair[1] not in removed
        )
        return cls(removed, maybe)

    def groups(self) -> dict[int, tuple[int, ...]]:
        """Every kept record with duplicates, mapped to the ids removed as its copies."""
        out: dict[int, list[int]] = {}
        for removed, kept in sorted(self.removed.items()):
            out.setdefault(kept, []).append(removed)
        return {kept: tuple(ids) for kept, ids in out.items()}


def _root(record: int, links: dict[int, int]) -> int:
    seen = {record}
    while record in links and links[record] not in seen:
        record = links[record]
        seen.add(record)
    return record
