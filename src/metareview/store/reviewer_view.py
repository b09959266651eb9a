"""What one reviewer may know about a stage of screening, from one read of the log.

The workspace builds every screening page from a :class:`ReviewerView`: the records the
reviewer still has to screen, their own votes, the records waiting for someone else, and
counts that hold only locked (complete) records. Another reviewer's vote on a record whose
required votes are not all in never enters the view, so no page built from it can reveal one.

>>> from metareview.records.record import Record
>>> from metareview.store.review import vote
>>> project = Project.open("sqlite://")
>>> _ = project.add_import("s.ris", [Record(title=t) for t in "ABC"], actor="ana")
>>> _ = vote(project, 1, reviewer="ana", stage="ta", decision="include")
>>> _ = vote(project, 1, reviewer="ben", stage="ta", decision="exclude")
>>> _ = vote(project, 2, reviewer="ben", stage="ta", decision="exclude")
>>> view = reviewer_view(project, "ana", "ta")
>>> view.todo, view.own_votes, view.complete, view.conflicts_on_own_votes
((2, 3), {1: 'include'}, 1, (1,))
>>> reviewer_view(project, "cleo", "ta").conflicts_to_resolve
(1,)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from metareview.records.events import Event, EventKind
from metareview.records.screening import ScreeningConfig, StageState, eligible_records, queue
from metareview.store.project import Project
from metareview.store.review import other_method_records, screening_config


@dataclass(frozen=True)
class ReviewerView:
    """One reviewer's view of a stage (blinded: only their own votes, and locked counts)."""

    stage: str
    reviewer: str
    reviewers_required: int
    exclusion_reasons: tuple[str, ...]
    pool: tuple[int, ...]  #: every record the stage screens
    todo: tuple[int, ...]  #: those the reviewer has not voted on and that are not complete
    own_votes: dict[int, str]  #: record -> the reviewer's standing vote
    own_reasons: dict[int, str | None]
    own_notes: dict[int, str]
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
            "todo": len(self.todo),
            "own_votes": len(self.own_votes),
            "awaiting_others": len(self.awaiting_others),
            "complete": self.complete,
            "conflicts_to_resolve": len(self.conflicts_to_resolve),
            "conflicts_on_own_votes": len(self.conflicts_on_own_votes),
        }


def _notes(events: tuple[Event, ...], state: StageState, reviewer: str) -> dict[int, str]:
    wanted = {
        by[reviewer]: record_id for record_id, by in state.vote_events.items() if reviewer in by
    }
    return {
        wanted[e.id]: str(e.data["note"])
        for e in events
        if e.id in wanted and e.kind == EventKind.DECISION and e.data.get("note")
    }


def _read_stage(
    project: Project, stage: str
) -> tuple[ScreeningConfig, tuple[Event, ...], tuple[int, ...], StageState]:
    """The settings, the log, the records the stage screens, and its votes: one read."""
    config = screening_config(project)
    events = project.events()
    pool = eligible_records(
        project.record_ids(),
        events,
        stage,
        config.reviewers_required,
        other_method_records(project),
    )
    return config, events, pool, StageState.from_events(events, stage, config.reviewers_required)


def reviewer_view(project: Project, reviewer: str, stage: str) -> ReviewerView:
    """The view of ``reviewer`` on ``stage`` as the log now stands."""
    config, events, pool, state = _read_stage(project, stage)
    in_pool = set(pool)
    own = {r: v[reviewer] for r, v in state.votes.items() if reviewer in v and r in in_pool}
    unresolved = [
        c.record_id for c in state.conflicts() if c.resolution is None and c.record_id in in_pool
    ]
    awaiting = tuple(r for r in own if not state.complete(r))
    return ReviewerView(
        stage=state.stage,
        reviewer=reviewer,
        reviewers_required=config.reviewers_required,
        exclusion_reasons=config.exclusion_reasons,
        pool=pool,
        todo=queue(pool, state, reviewer),
        own_votes=own,
        own_reasons={r: state.reasons[r].get(reviewer) for r in own},
        own_notes=_notes(events, state, reviewer),
        awaiting_others=awaiting,
        complete=sum(1 for r in pool if state.complete(r)),
        conflicts_to_resolve=tuple(r for r in unresolved if reviewer not in state.votes[r]),
        conflicts_on_own_votes=tuple(r for r in unresolved if reviewer in state.votes[r]),
        can_undo=bool(awaiting),
    )


@dataclass(frozen=True)
class StageSummary:
    """Counts of a stage anyone in the review may see: outcomes of locked records only, and
    per reviewer how many votes they cast (never which way)."""

    stage: str
    pool: int
    complete: int
    outcomes: dict[str, int]  #: include / exclude / maybe / conflict among locked records
    unresolved_conflicts: int
    votes_cast: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "pool": self.pool,
            "complete": self.complete,
            "outcomes": dict(self.outcomes),
            "unresolved_conflicts": self.unresolved_conflicts,
            "votes_cast": dict(self.votes_cast),
        }


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
    _, _, pool, state = _read_stage(project, stage)
    outcomes: dict[str, int] = {}
    complete = 0
    for record_id in pool:
        if state.complete(record_id) or record_id in state.resolutions:
            complete += 1
            outcome = state.outcome(record_id)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    cast: dict[str, int] = {}
    for votes in state.votes.values():
        for who in votes:
            cast[who] = cast.get(who, 0) + 1
    return StageSummary(
        state.stage,
        len(pool),
        complete,
        outcomes,
        sum(1 for c in state.conflicts() if c.resolution is None),
        dict(sorted(cast.items())),
    )
