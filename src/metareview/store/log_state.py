"""The project's log held in memory, brought up to date by reading only what is new.

The event log is append-only (database triggers refuse anything else) and every writer
appends under the project's write lock, so event ids only grow and an event with a lower id
than one already read can never appear later. A :class:`LogState` therefore reads, on each
refresh, only the events after the last one it holds (an index range scan, usually empty or a
few rows), and folds them into what screening needs: the settings, each stage's votes
(:class:`~metareview.records.screening.StageState`), and per stage the records complete, the
unresolved conflicts, each reviewer's voted records and those of them still awaiting other
votes. The records each stage screens are recomputed only when an event that can change them
arrives (an import, a duplicate decision, a stop, a retrieval; at full text also a
title/abstract vote or resolution that lets a record pass or no longer pass), and the counts a
progress bar shows (records complete, a reviewer's votes, among the records screened) follow
each vote instead of being counted again. So a vote or the next record costs the same at
50,000 records as at 500, and the same for a reviewer with 20,000 votes as with 20: no request
reads the whole log or walks all of a reviewer's votes.

Hold :attr:`LogState.lock` while reading several of its parts, so that they agree.

>>> from metareview.records.record import Record
>>> from metareview.store.project import Project
>>> project = Project.open("sqlite://")
>>> _ = project.add_import("s.ris", [Record(title=t) for t in "AB"], actor="ana")
>>> log = project.log()
>>> log.pool("ta"), log.last_id
((1, 2), 1)
>>> from metareview.store.review import vote
>>> _ = vote(project, 2, reviewer="ana", stage="ta", decision="include")
>>> log = project.log()
>>> log.progress("ta", "ana"), log.awaiting["ta"]["ana"]
((0, 1), {2})
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
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
    Vote,
    not_retrieved,
    stage_pool,
)
from metareview.records.stopping import StopState
from metareview.store.schema import events, imports, records
from metareview.store.times import logged_entry

#: Events that leave every stage's records as they are (any other kind may change them).
_VOTING = frozenset({EventKind.DECISION, EventKind.UNDO, EventKind.RESOLUTION})
_NEUTRAL = _VOTING | {EventKind.FULL_TEXT, EventKind.SETTING}
_STAGES = frozenset(s.value for s in Stage)
_PASSED = frozenset({Vote.INCLUDE.value, Vote.MAYBE.value})  # go on from title/abstract
#: Events read per statement when catching up (see :func:`events_after`).
PAGE = 1000


def event_from_row(row: Any) -> Event:
    """An :class:`~metareview.records.events.Event` from a row of ``events``."""
    return logged_entry(Event, EventKind, row)


def events_after(
    connection: Connection, after: int, first: Sequence[Mapping[str, Any]] | None = None
) -> Sequence[Mapping[str, Any]]:
    """The rows of the events after id ``after``, in id order (``first``: the first page,
    already read). Once the log has been read, new events are read in pages of :data:`PAGE`
    (``id > after ORDER BY id LIMIT PAGE``), so that the read is a range scan of the primary
    key whatever the database's statistics say: without statistics (a table never analysed,
    e.g. with autovacuum off), PostgreSQL estimated ``id > after`` to hold a third of the
    table and sorted a scan of all of it, 50 ms at 100,000 events on every refresh.

    >>> from metareview.records.record import Record
    >>> from metareview.store.project import Project
    >>> project = Project.open("sqlite://")
    >>> for name in "ab":
    ...     _ = project.add_import(f"{name}.ris", [Record(title=name)], actor="ana")
    >>> with project.engine.connect() as connection:
    ...     [row["id"] for row in events_after(connection, 1)]
    [2]
    """
    if first is None and after == 0:  # the whole log: one scan
        return connection.execute(select(events).order_by(events.c.id)).mappings().all()
    rows: list[Mapping[str, Any]] = []
    page = first
    while True:
        if page is None:
            query = select(events).where(events.c.id > after).order_by(events.c.id)
            page = connection.execute(query.limit(PAGE)).mappings().all()
        rows.extend(page)
        if len(page) < PAGE:
            return rows
        after, page = page[-1]["id"], None


class _StagePool:
    """A stage's records at one version of the log, and counts among them that each vote
    updates (computed on first use, then followed)."""

    def __init__(self, stage: str, version: tuple[int, int], pool: tuple[int, ...]):
        self.stage = stage
        self.version = version
        self.pool = pool
        self.members = frozenset(pool)
        self.complete: int | None = None  #: records whose votes are complete
        self.screened: dict[str, int] | None = None  #: each reviewer's standing votes
        self.open: dict[int, None] | None = None  #: records not complete, in pool order

    def follow(self, record_id: int, reviewer: str | None, added: bool) -> None:
        """A record became (``added``) or stopped being complete (``reviewer`` None) or voted
        on by ``reviewer``."""
        if record_id not in self.members:
            return
        step = 1 if added else -1
        if reviewer is None:
            if self.complete is not None:
                self.complete += step
            if self.open is not None:
                if added:
                    self.open.pop(record_id, None)
                else:  # open again: its place among the others is found at the next use
                    self.open = None
        elif self.screened is not None:
            self.screened[reviewer] = self.screened.get(reviewer, 0) + step


class LogState:
    """The log so far and its screening state, kept up to date by :meth:`refresh`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.events: list[Event] = []
        self.by_id: dict[int, Event] = {}
        self.last_id = 0
        self.last_hash: str | None = None  #: the chain hash of the last event
        self.settings: dict[str, Any] = {}
        self.record_ids: tuple[int, ...] = ()
        self.other_methods: frozenset[int] = frozenset()
        self.stages = {s.value: StageState(s.value, DEFAULT_REVIEWERS_REQUIRED) for s in Stage}
        self.complete: dict[str, set[int]] = {s.value: set() for s in Stage}
        self.unresolved: dict[str, set[int]] = {s.value: set() for s in Stage}
        self.voted_by: dict[str, dict[str, set[int]]] = {s.value: {} for s in Stage}
        #: per stage and reviewer, their votes on records whose votes are not yet complete
        self.awaiting: dict[str, dict[str, set[int]]] = {s.value: {} for s in Stage}
        self.stop = StopState()
        self._version = {"structure": 0, "ta": 0}
        self._passed: set[int] = set()  # records whose title/abstract outcome lets them on
        self._pools: dict[str, _StagePool] = {}
        self._removed: frozenset[int] = frozenset()
        self._missing: frozenset[int] = frozenset()

    def refresh(
        self, connection: Connection, rows: Sequence[Mapping[str, Any]] | None = None
    ) -> tuple[Event, ...]:
        """Read and fold in the events appended since the last refresh; returns those this
        call folded in. The database is read without the lock, so that the reads of several
        threads overlap; the fold holds it and skips what another thread folded meanwhile
        (the events read always continue the log: they are all those after an id).
        ``rows``, if given, are the first page of those events already read (those after an
        id at or before :attr:`last_id`, in id order; see :func:`events_after`)."""
        after = self.last_id
        rows = events_after(connection, after, rows)
        if not rows:
            return ()
        read = [(row["id"], row["hash"], event_from_row(row)) for row in rows]
        listing = None
        if after == 0 or any(e.kind == EventKind.IMPORT for _, _, e in read):
            query = select(records.c.id, imports.c.source_kind).join(imports)
            listing = connection.execute(query.order_by(records.c.id)).all()
        with self.lock:
            fresh = [item for item in read if item[0] > self.last_id]
            if not fresh:
                return ()
            new = tuple(e for _, _, e in fresh)
            if listing is not None and (
                not self.events or any(e.kind == EventKind.IMPORT for e in new)
            ):
                self.record_ids = tuple(r for r, _ in listing)
                self.other_methods = frozenset(r for r, kind in listing if kind in OTHER_METHODS)
            self.last_hash = fresh[-1][1]
            self._fold(new)
            return new

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
            if stage == Stage.TITLE_ABSTRACT and self._passing_changed(state, touched):
                self._version["ta"] += 1  # the records full text screens have changed
            cached = self._pools.get(stage)
            current = cached is not None and cached.version == self._pool_version(stage)
            follow = cached.follow if cached is not None and current else None
            voters, awaiting = self.voted_by[stage], self.awaiting[stage]
            for e in new:
                if e.stage == stage and e.kind in _VOTING and e.kind != EventKind.RESOLUTION:
                    mine = voters.setdefault(e.actor, set())
                    has_vote = e.actor in state.votes.get(e.record_id, {})
                    if has_vote != (e.record_id in mine) and follow:
                        follow(e.record_id, e.actor, has_vote)
                    (mine.add if has_vote else mine.discard)(e.record_id)
                    if not has_vote:
                        awaiting.get(e.actor, set()).discard(e.record_id)
            complete = self.complete[stage]
            for r in touched:
                done = state.complete(r)
                if done != (r in complete) and follow:
                    follow(r, None, done)
                (complete.add if done else complete.discard)(r)
                for who in state.votes.get(r, {}):
                    mine = awaiting.setdefault(who, set())
                    (mine.discard if done else mine.add)(r)
                open_conflict = state.conflict_kind(r) and r not in state.resolutions
                (self.unresolved[stage].add if open_conflict else self.unresolved[stage].discard)(r)

    def _passing_changed(self, state: StageState, touched: set[int]) -> bool:
        changed = False
        for r in touched:
            passes = state.outcome(r) in _PASSED
            if passes != (r in self._passed):
                (self._passed.add if passes else self._passed.discard)(r)
                changed = True
        return changed

    def _pool_version(self, stage: str) -> tuple[int, int]:
        return self._version["structure"], self._version["ta"] if stage == "ft" else 0

    def _stage_pool(self, stage: str) -> _StagePool:
        stage = stage if stage in _STAGES else Stage(stage).value  # (Stage() is slow)
        version = self._pool_version(stage)
        cached = self._pools.get(stage)
        if cached is None or cached.version != version:
            pool = stage_pool(
                self.record_ids,
                stage,
                removed=self._removed,
                set_aside=self.stop.set_aside,
                missing=self._missing,
                title_abstract=self.stages[Stage.TITLE_ABSTRACT.value],
                other_methods=self.other_methods,
            )
            cached = _StagePool(stage, version, pool)
            self._pools[stage] = cached
        return cached

    def pool(self, stage: str) -> tuple[int, ...]:
        """The records ``stage`` screens, in import order (see
        :func:`~metareview.records.screening.eligible_records`)."""
        with self.lock:
            return self._stage_pool(stage).pool

    def pool_set(self, stage: str) -> frozenset[int]:
        """:meth:`pool` as a set."""
        with self.lock:
            return self._stage_pool(stage).members

    def progress(self, stage: str, reviewer: str) -> tuple[int, int]:
        """Among the records ``stage`` screens: how many are complete, and how many
        ``reviewer`` has a standing vote on (counted once, then updated by each vote)."""
        with self.lock:
            cached = self._stage_pool(stage)
            if cached.complete is None:
                cached.complete = len(self.complete[cached.stage] & cached.members)
            if cached.screened is None:
                voted_by = self.voted_by[cached.stage].items()
                cached.screened = {who: len(mine & cached.members) for who, mine in voted_by}
            return cached.complete, cached.screened.get(reviewer, 0)

    def open_records(self, stage: str) -> Iterable[int]:
        """The records ``stage`` screens whose votes are not complete, in import order (found
        once, then followed vote by vote), so that a queue need not walk the records already
        done (49,800 of 50,000 in a big project that imported a new search). Iterate it
        while holding :attr:`lock`.

        >>> from metareview.records.record import Record
        >>> from metareview.store.project import Project
        >>> from metareview.store.review import configure, vote
        >>> project = Project.open("sqlite://")
        >>> _ = project.add_import("s.ris", [Record(title=t) for t in "AB"], actor="ana")
        >>> _ = configure(project, actor="lead", reviewers_required=1)
        >>> _ = vote(project, 1, reviewer="ana", stage="ta", decision="exclude")
        >>> list(project.log().open_records("ta"))
        [2]
        """
        with self.lock:
            cached = self._stage_pool(stage)
            if cached.open is None:
                done = self.complete[cached.stage]
                cached.open = dict.fromkeys(r for r in cached.pool if r not in done)
            return cached.open.keys()

    def is_todo(self, stage: str, reviewer: str, record_id: int) -> bool:
        """Whether ``reviewer`` still has to screen the record: it is up at ``stage``, they have
        not voted on it, and its votes are not complete."""
        with self.lock:
            cached = self._stage_pool(stage)
            return (
                record_id in cached.members
                and record_id not in self.voted_by[cached.stage].get(reviewer, ())
                and record_id not in self.complete[cached.stage]
            )
