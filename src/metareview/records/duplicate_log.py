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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from metareview.records.events import Event, EventKind, NewEvent
from metareview.stats.result_base import document

if TYPE_CHECKING:  # screening reads this module; the matching code loads only to deduplicate
    from metareview.records.dedup import DedupResult

_PAIR_KINDS = (EventKind.DUPLICATE, EventKind.MAYBE_DUPLICATE, EventKind.NOT_DUPLICATE)


CONFLICT_WORDING = ("different ", "years ", "first authors ", "one is ")
"""How the reasons of :func:`metareview.records.matching.compare` that contradict a match begin."""


@dataclass(frozen=True)
class PendingPair:
    """A possible duplicate waiting for a person: ``record_id`` may be a copy of ``of``."""

    record_id: int
    of: int
    score: float | None
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**document(self, reasons=list(self.reasons)), "conflicts": list(self.conflicts)}

    @property
    def conflicts(self) -> tuple[str, ...]:
        """The reasons that speak against a duplicate (different identifiers, years, …)."""
        return tuple(r for r in self.reasons if r.startswith(CONFLICT_WORDING))

    def describe(self) -> str:
        """The evidence in words, conflicts first: the score is the titles' similarity only,
        never a probability of being the same record.

        >>> PendingPair(2, 1, 1.0, ("title similarity 1.00", "different PMID (1 vs 2)",
        ...                          "years 2001 vs 2005", "same journal")).describe()
        'CONFLICTS: different PMID (1 vs 2); years 2001 vs 2005 | agree: title similarity 1.00; same journal'
        """
        agree = [r for r in self.reasons if r not in self.conflicts]
        if self.score is not None and not any(r.startswith("title similarity") for r in agree):
            agree.insert(0, f"title similarity {self.score:.2f}")
        parts = [f"CONFLICTS: {'; '.join(self.conflicts)}"] if self.conflicts else []
        return " | ".join([*parts, f"agree: {'; '.join(agree) or 'nothing'}"])


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


def person_decisions(
    events: Iterable[Event], position: Mapping[int, int]
) -> dict[tuple[int, int], bool]:
    """The pairs a person has decided (same record or not), as positions in the list of
    records given to :func:`~metareview.records.dedup.deduplicate` (``position``: record id →
    index), so that a new run keeps every decision.

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> log = [Event(1, t, "ana", EventKind.NOT_DUPLICATE, record_id=7, data={"of": 3,
    ...                                                                     "method": "manual"})]
    >>> person_decisions(log, {3: 0, 7: 1})
    {(1, 0): False}
    """
    out = {}
    for e in events:
        manual = e.data.get("method") == "manual"
        if e.kind in (EventKind.DUPLICATE, EventKind.NOT_DUPLICATE) and manual:
            pair = (position[e.record_id], position[int(e.data["of"])])
            out[pair] = e.kind == EventKind.DUPLICATE
    return out


def new_duplicate_events(
    result: DedupResult, ids: Sequence[int], state: DuplicateState, actor: str
) -> list[NewEvent]:
    """The events that log what a dedup run (over the records ``ids``, in that order) found
    beyond ``state``, the log so far: each record newly found a copy is removed in favour of
    its group's kept record (``duplicate``, with the rules that merged it), and each close
    pair not yet queued waits for a person (``maybe_duplicate``).

    >>> from metareview.records.dedup import deduplicate
    >>> from metareview.records.record import Record
    >>> found = deduplicate([Record(title="Peer support", doi="10.1/a"),
    ...                      Record(title="Peer support.", doi="10.1/A")])
    >>> [(e.kind.value, e.record_id, e.data["of"], e.data["rules"])
    ...  for e in new_duplicate_events(found, [11, 12], DuplicateState(), "dedup")]
    [('duplicate', 12, 11, ['same DOI'])]
    """
    pending = {(p.record_id, p.of) for p in state.maybe}
    new = []
    for group, keep, links in zip(result.groups, result.keep, result.links, strict=True):
        if len(group) < 2:
            continue
        kept = state.removed.get(ids[keep], ids[keep])
        rules = sorted({link.rule for link in links})
        for member in group:
            record_id = ids[member]
            if record_id != kept and record_id not in state.removed:
                data = {"of": kept, "method": "auto", "rules": rules}
                new.append(NewEvent(EventKind.DUPLICATE, actor, record_id=record_id, data=data))
    for pair in result.maybe:
        record_id, of = ids[pair.j], ids[pair.i]
        if (record_id, of) not in pending:
            data = {"of": of, "score": pair.score, "reasons": list(pair.reasons), "rule": pair.rule}
            new.append(NewEvent(EventKind.MAYBE_DUPLICATE, actor, record_id=record_id, data=data))
    return new


def _root(record: int, links: dict[int, int]) -> int:
    seen = {record}
    while record in links and links[record] not in seen:
        record = links[record]
        seen.add(record)
    return record
