"""The project's log held in memory, brought up to date by reading only what is new.

The event log is append-only (database triggers refuse anything else) and every writer
appends under the project's write lock, so event ids only grow and an event with a lower id
than one already read can never appear later. A :class:`LogState` therefore reads, on each
refresh, only the events after the last one it holds (an index range scan, usually empty or a
few rows), and folds them into what screening needs: the settings, each stage's votes
(:class:`~metareview.records.screening.StageState`), and per stage the records complete, the
unresolved conflicts and each reviewer's voted records. The records each stage screens are
recomputed only when an event that can change them arrives (an import, a duplicate decision,
a stop, a retrieval; at full text also a title/abstract vote). So a vote or the next record
costs the same at 50,000 records as at 500: no request reads the whole log.

Hold :attr:`LogState.lock` while reading several of its parts, so that they agree.

>>> from metareview.records.record import Record
>>> from metareview.store.project import Project
>>> project = Project.open("sqlite://")
>>> _ = project.add_import("s.ris", [Record(title=t) for t in "AB"], actor="ana")
>>> log = project.log()
>>> log.pool("ta"), log.last_id
((1, 2), 1)
"""

from __future__ import annotations

import threading
from datetime import UTC
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from metareview.records.duplicate_log import DuplicateState
from metareview.records.events import Event, EventKind
from metareview.records.record import OTHER_METHODS
from metareview.records.screening import (
    DEFAULT_REVIEWERS_REQUIRED,
    Stage,
    StageState,
    not_retrieved,
    stage_pool,
)
from metareview.records.stopping import StopState
from metareview.store.schema import events, imports, records

#: Events that leave every stage's records as they are (any other kind may change them).
_VOTING = frozenset({EventKind.DECISION, EventKind.UNDO, EventKind.RESOLUTION})
_NEUTRAL = _VOTING | {EventKind.FULL_TEXT, EventKind.SETTING}


def event_from_row(row: Any) -> Event:
    """An :class:`~metareview.records.events.Event` from a row of ``events``."""
    at = row["at"]
    if at.tzinfo is None:  # SQLite keeps no zone; we always write UTC
        at = at.replace(tzinfo=UTC)
    return Event(
        id=row["id"],
        at=at,
        actor=row["actor"],
        kind=EventKind(row["kind"]),
        stage=row["stage"],
        record_id=row["record_id"],
        value=row["value"],
        reason=row["reason"],
        data=dict(row["data"] or {}),
    )


class LogState:
    """The log so far and its screening state, kept up to date by :meth:`refresh`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.events: list[Event] = []
        self.by_id: dict[int, Event] = {}
        self.last_id = 0
        self.settings: dict[str, Any] = {}
        self.record_ids: tuple[int, ...] = ()
        self.other_methods: frozenset[int] = frozenset()
        self.stages = {s.value: StageState(s.value, DEFAULT_REVIEWERS_REQUIRED) for s in Stage}
        self.complete: dict[str, set[int]] = {s.value: set() for s in Stage}
        self.unresolved: dict[str, set[int]] = {s.value: set() for s in Stage}
        self.voted_by: dict[str, dict[str, set[int]]] = {s.value: {} for s in Stage}
        self.stop = StopState()
        self._version = {"structure": 0, "ta": 0}
        self._pools: dict[str, tuple[tuple[int, int], tuple[int, ...], frozenset[int]]] = {}
        self._removed: frozenset[int] = frozenset()
        self._missing: frozenset[int] = frozenset()

    def refresh(self, connection: Connection) -> tuple[Event, ...]:
        """Read and fold in the events appended since the last refresh; returns them."""
        with self.lock:
            query = select(events).where(events.c.id > self.last_id).order_by(events.c.id)
            new = tuple(event_from_row(row) for row in connection.execute(query).mappings())
            if not new:
                return new
            if any(e.kind == EventKind.IMPORT for e in new) or not self.events:
                self._read_records(connection)
            self._fold(new)
            return new

    def _read_records(self, connection: Connection) -> None:
        query = select(records.c.id, imports.c.source_kind).join(imports).order_by(records.c.id)
        rows = connection.execute(query).all()
        self.record_ids = tuple(r for r, _ in rows)
        self.other_methods = frozenset(r for r, kind in rows if kind in OTHER_METHODS)

    def _fold(self, new: tuple[Event, ...]) -> None:
        self.events.extend(new)
        self.by_id.update((e.id, e) for e in new)
        self.last_id = new[-1].id
        for e in new:
            if e.kind == EventKind.SETTING and e.value is not None:
                self.settings[e.value] = e.data.get("value")
        if any(e.kind not in _NEUTRAL for e in new):
            self._version["structure"] += 1
            self._removed = frozenset(DuplicateState.from_events(self.events).removed)
            self._missing = frozenset(not_retrieved(self.events))
            self.stop = StopState.from_events(self.events)
        for stage, state in self.stages.items():
            touched = state.apply(new)
            if stage == Stage.TITLE_ABSTRACT and touched:
                self._version["ta"] += 1
            voters = self.voted_by[stage]
            for e in new:
                if e.stage == stage and e.kind in _VOTING and e.kind != EventKind.RESOLUTION:
                    mine = voters.setdefault(e.actor, set())
                    has_vote = e.actor in state.votes.get(e.record_id, {})
                    (mine.add if has_vote else mine.discard)(e.record_id)
            for r in touched:
                (self.complete[stage].add if state.complete(r) else self.complete[stage].discard)(r)
                open_conflict = state.conflict_kind(r) and r not in state.resolutions
                (self.unresolved[stage].add if open_conflict else self.unresolved[stage].discard)(r)

    def _pool(self, stage: str) -> tuple[tuple[int, ...], frozenset[int]]:
        stage = Stage(stage).value
        version = (self._version["structure"], self._version["ta"] if stage == "ft" else 0)
        cached = self._pools.get(stage)
        if cached is None or cached[0] != version:
            pool = stage_pool(
                self.record_ids,
                stage,
                removed=self._removed,
                set_aside=self.stop.set_aside,
                missing=self._missing,
                title_abstract=self.stages[Stage.TITLE_ABSTRACT.value],
                other_methods=self.other_methods,
            )
            cached = (version, pool, frozenset(pool))
            self._pools[stage] = cached
        return cached[1], cached[2]

    def pool(self, stage: str) -> tuple[int, ...]:
        """The records ``stage`` screens, in import order (see
        :func:`~metareview.records.screening.eligible_records`)."""
        with self.lock:
            return self._pool(stage)[0]

    def pool_set(self, stage: str) -> frozenset[int]:
        """:meth:`pool` as a set."""
        with self.lock:
            return self._pool(stage)[1]

    def is_todo(self, stage: str, reviewer: str, record_id: int) -> bool:
        """Whether ``reviewer`` still has to screen the record: it is up at ``stage``, they have
        not voted on it, and its votes are not complete."""
        with self.lock:
            return (
                record_id in self._pool(stage)[1]
                and record_id not in self.voted_by[stage].get(reviewer, ())
                and record_id not in self.complete[stage]
            )
