"""Duplicates decided and waiting, pair by pair, for a person to review (and undo).

The latest event on a pair decides it (see :mod:`metareview.records.duplicate_log`), so undoing
is appending: a merge is undone by keeping the pair apart, a "keep apart" by putting the pair
back in the queue.

>>> from metareview.records.record import Record
>>> from metareview.store.review import decide_duplicate, log_duplicates
>>> project = Project.open("sqlite://")
>>> _ = project.add_import("a.ris", [Record(title="A"), Record(title="A.")], actor="ana")
>>> _ = log_duplicates(project, actor="dedup", maybe=[(2, 1, {"score": 0.9})])
>>> _ = decide_duplicate(project, 2, 1, actor="ana", duplicate=True)
>>> [(d.record_id, d.of, d.decision, d.by) for d in duplicate_decisions(project)]
[(2, 1, 'duplicate', 'ana')]
>>> _ = undo_duplicate_decision(project, 2, 1, actor="ana")
>>> [d.decision for d in duplicate_decisions(project)]
['not_duplicate']
>>> _ = undo_duplicate_decision(project, 2, 1, actor="ana")
>>> duplicate_decisions(project), [p.record_id for p in DuplicateState.from_events(project.events()).maybe]
((), [2])
"""

from __future__ import annotations

from dataclasses import dataclass

from metareview.errors import RecordsError
from metareview.records.duplicate_log import DuplicateState
from metareview.records.events import Event, EventKind, NewEvent
from metareview.stats.result_base import ResultDocument
from metareview.store.project import Project

_PAIRS = (EventKind.DUPLICATE, EventKind.MAYBE_DUPLICATE, EventKind.NOT_DUPLICATE)


@dataclass(frozen=True)
class DuplicateDecision(ResultDocument):
    """A pair's standing decision: ``duplicate`` (``record_id`` merged into ``of``) or
    ``not_duplicate``, who made it (``auto`` merges name the dedup run's actor) and when."""

    record_id: int
    of: int
    decision: str
    method: str
    by: str
    at: str


def _latest(events: tuple[Event, ...]) -> dict[tuple[int, int], Event]:
    latest: dict[tuple[int, int], Event] = {}
    for e in events:
        if e.kind in _PAIRS and e.record_id is not None:
            latest[(e.record_id, int(e.data["of"]))] = e
    return latest


def duplicate_decisions(project: Project) -> tuple[DuplicateDecision, ...]:
    """Every pair decided (merged or kept apart), newest first."""
    decided = [
        DuplicateDecision(
            pair[0], pair[1], e.kind.value, str(e.data.get("method", "")), e.actor, e.at.isoformat()
        )
        for pair, e in _latest(project.events()).items()
        if e.kind != EventKind.MAYBE_DUPLICATE
    ]
    return tuple(sorted(decided, key=lambda d: d.at, reverse=True))


def undo_duplicate_decision(project: Project, record_id: int, of: int, *, actor: str) -> Event:
    """Undo a pair's decision: a merge is undone by keeping the two apart; keeping them apart
    is undone by putting the pair back among the possible duplicates."""

    def plan(events: tuple[Event, ...]) -> list[NewEvent]:
        latest = _latest(events).get((record_id, of))
        if latest is None or latest.kind == EventKind.MAYBE_DUPLICATE:
            raise RecordsError(f"records {record_id} and {of} have no decision to undo")
        if latest.kind == EventKind.DUPLICATE:
            kind, data = (
                EventKind.NOT_DUPLICATE,
                {"of": of, "method": "manual", "undoes": latest.id},
            )
        else:
            kind, data = EventKind.MAYBE_DUPLICATE, {"of": of, "undoes": latest.id}
        return [NewEvent(kind, actor, record_id=record_id, data=data)]

    return project.append_checked(plan)[0]


def pending_pair(project: Project, record_id: int, of: int) -> bool:
    """Whether ``record_id`` and ``of`` wait for a person's decision."""
    state = DuplicateState.from_events(project.events())
    return any(p.record_id == record_id and p.of == of for p in state.maybe)
