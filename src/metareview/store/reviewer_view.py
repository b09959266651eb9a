"""What one reviewer may know about a stage of screening, from the folded log.

The workspace builds every screening page from a :class:`ReviewerView`: the records the
reviewer still has to screen, how many they have screened, their own votes on the records the
page shows, the records waiting for someone else, and counts that hold only locked (complete)
records. Another reviewer's vote on a record whose required votes are not all in never enters
the view, so no page built from it can reveal one. A view costs what it shows: its counts
are kept up to date by the folded log, so it does not walk the stage's records or the
reviewer's votes.

>>> from metareview.records.record import Record
>>> from metareview.store.review import vote
>>> project = Project.open("sqlite://")
>>> _ = project.add_import("s.ris", [Record(title=t) for t in "ABC"], actor="ana")
>>> _ = vote(project, 1, reviewer="ana", stage="ta", decision="include")
>>> _ = vote(project, 1, reviewer="ben", stage="ta", decision="exclude")
>>> _ = vote(project, 2, reviewer="ben", stage="ta", decision="exclude")
>>> view = reviewer_view(project, "ana", "ta", limit=5, show=[1])
>>> view.next_up, view.todo, view.screened, view.complete, view.conflicts_on_own_votes
((2, 3), 2, 1, 1, (1,))
>>> view.own[1].vote, reviewer_view(project, "ben", "ta", show_awaiting=True).own
('include', {2: OwnVote(vote='exclude', reason=None, note='')})
>>> reviewer_view(project, "cleo", "ta").conflicts_to_resolve
(1,)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from metareview.records.screening import Stage
from metareview.stats.result_base import ResultDocument
from metareview.store.log_state import LogState
from metareview.store.project import Project
from metareview.store.review import config_of


@dataclass(frozen=True)
class OwnVote:
    """A reviewer's standing vote on a record, with its reason and note."""

    vote: str
    reason: str | None
    note: str


@dataclass(frozen=True)
class ReviewerView:
    """One reviewer's view of a stage (blinded: only their own votes, and locked counts)."""

    stage: str
    reviewer: str
    reviewers_required: int
    exclusion_reasons: tuple[str, ...]
    highlight: tuple[tuple[str, ...], tuple[str, ...]]  #: the lead's include, exclude terms
    pool: tuple[int, ...]  #: every record the stage screens
    todo: int  #: how many the reviewer has not voted on and that are not complete
    next_up: tuple[int, ...]  #: the first of those (a page of the queue: see queue_page)
    screened: int  #: how many records of the pool the reviewer has a standing vote on
    own: dict[int, OwnVote]  #: their votes on the records asked for (``show``)
    awaiting_others: tuple[int, ...]  #: own votes on records still waiting for other votes
    complete: int  #: records whose required votes are all in (anyone may count these)
    conflicts_to_resolve: tuple[int, ...]  #: unresolved conflicts the reviewer did not vote on
    conflicts_on_own_votes: tuple[int, ...]  #: unresolved conflicts the reviewer voted on
    can_undo: bool  #: the reviewer has a vote on a record that is not yet complete

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "reviewer": self.reviewer,
            "pool": len(self.pool),
            "todo": self.todo,
            "own_votes": self.screened,
            "awaiting_others": len(self.awaiting_others),
            "complete": self.complete,
            "conflicts_to_resolve": len(self.conflicts_to_resolve),
            "conflicts_on_own_votes": len(self.conflicts_on_own_votes),
        }


def queue_page(
    log: LogState, reviewer: str, stage: str, *, order: Iterable[int] = (), limit: int = 1
) -> tuple[int, ...]:
    """Up to ``limit`` records ``reviewer`` still has to screen at ``stage``: first as they
    come in ``order`` (e.g. an active-learning ranking), then in import order. Each record is
    checked against the folded log, and only records whose votes are not complete are walked
    in import order (:meth:`~metareview.store.log_state.LogState.open_records`), so a page
    costs what it holds, not the project's size.

    >>> from metareview.records.record import Record
    >>> from metareview.store.review import vote
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("s.ris", [Record(title=t) for t in "ABCD"], actor="ana")
    >>> _ = vote(project, 3, reviewer="ana", stage="ta", decision="include")
    >>> queue_page(project.log(), "ana", "ta", order=[3, 4], limit=3)
    (4, 1, 2)
    """
    stage = Stage(stage).value
    out: list[int] = []
    with log.lock:
        for record_id in itertools.chain(order, log.open_records(stage)):
            if record_id not in out and log.is_todo(stage, reviewer, record_id):
                out.append(record_id)
                if len(out) == limit:
                    break
    return tuple(out)


def own_votes(project: Project, reviewer: str, stage: str) -> dict[int, str]:
    """Every standing vote of ``reviewer`` on the records ``stage`` screens (what active
    learning trains on; it walks all their votes, so pages use :func:`reviewer_view`).

    >>> from metareview.records.record import Record
    >>> from metareview.store.review import vote
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("s.ris", [Record(title=t) for t in "AB"], actor="ana")
    >>> _ = vote(project, 2, reviewer="ana", stage="ta", decision="exclude")
    >>> own_votes(project, "ana", "ta")
    {2: 'exclude'}
    """
    stage = Stage(stage).value
    log = project.log()
    with log.lock:
        votes, in_pool = log.stages[stage].votes, log.pool_set(stage)
        mine = sorted(r for r in log.voted_by[stage].get(reviewer, ()) if r in in_pool)
        return {r: votes[r][reviewer] for r in mine}


def reviewer_view(
    project: Project,
    reviewer: str,
    stage: str,
    *,
    order: Iterable[int] = (),
    limit: int = 1,
    show: Iterable[int] = (),
    show_awaiting: bool = False,
) -> ReviewerView:
    """The view of ``reviewer`` on ``stage`` as the log now stands, with the first ``limit``
    records of their queue (see :func:`queue_page`) and their own votes on ``show`` (and with
    ``show_awaiting`` on the records awaiting others). Built from the folded log
    (:mod:`metareview.store.log_state`): no request reads the whole log."""
    stage = Stage(stage).value
    log = project.log()
    with log.lock:
        config = config_of(log.settings)
        state = log.stages[stage]
        pool, in_pool = log.pool(stage), log.pool_set(stage)
        done, screened = log.progress(stage, reviewer)
        awaiting = tuple(sorted(r for r in log.awaiting[stage].get(reviewer, ()) if r in in_pool))
        own = {}
        for r in sorted({*show, *(awaiting if show_awaiting else ())}):
            if r in in_pool and reviewer in state.votes.get(r, {}):
                note = log.by_id[state.vote_events[r][reviewer]].data.get("note")
                own[r] = OwnVote(state.votes[r][reviewer], state.reasons[r].get(reviewer),
                                 str(note or ""))  # fmt: skip
        unresolved = sorted(r for r in log.unresolved[stage] if r in in_pool)
        return ReviewerView(
            stage=stage,
            reviewer=reviewer,
            reviewers_required=config.reviewers_required,
            exclusion_reasons=config.exclusion_reasons,
            highlight=(config.highlight_include, config.highlight_exclude),
            pool=pool,
            todo=len(pool) - done - len(awaiting),
            next_up=queue_page(log, reviewer, stage, order=order, limit=limit),
            screened=screened,
            own=own,
            awaiting_others=awaiting,
            complete=done,
            conflicts_to_resolve=tuple(r for r in unresolved if reviewer not in state.votes[r]),
            conflicts_on_own_votes=tuple(r for r in unresolved if reviewer in state.votes[r]),
            can_undo=bool(awaiting),
        )


@dataclass(frozen=True)
class StageSummary(ResultDocument):
    """Counts of a stage anyone in the review may see: outcomes of locked records only, and
    per reviewer how many votes they cast (never which way)."""

    stage: str
    pool: int
    complete: int
    outcomes: dict[str, int]  #: include / exclude / maybe / conflict among locked records
    unresolved_conflicts: int
    votes_cast: dict[str, int]


def stage_summary(project: Project, stage: str) -> StageSummary:
    """The counts of ``stage`` as the log now stands (see :class:`StageSummary`).

    >>> from metareview.records.record import Record
    >>> from metareview.store.review import vote
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("s.ris", [Record(title=t) for t in "AB"], actor="ana")
    >>> _ = vote(project, 1, reviewer="ana", stage="ta", decision="include")
    >>> summary = stage_summary(project, "ta")
    >>> summary.complete, summary.outcomes, summary.votes_cast
    (0, {}, {'ana': 1})
    """
    stage = Stage(stage).value
    log = project.log()
    with log.lock:
        state = log.stages[stage]
        pool = log.pool(stage)
        outcomes: dict[str, int] = {}
        complete = 0
        for record_id in pool:
            if record_id in log.complete[stage] or record_id in state.resolutions:
                complete += 1
                outcome = state.outcome(record_id)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
        cast = {who: len(records) for who, records in log.voted_by[stage].items() if records}
        return StageSummary(
            stage,
            len(pool),
            complete,
            outcomes,
            len(log.unresolved[stage]),
            dict(sorted(cast.items())),
        )
