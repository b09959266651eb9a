"""Blinded screening: votes by named reviewers, conflicts, and their resolution.

Screening has two stages, title/abstract (``ta``) and full text (``ft``). Each reviewer
votes ``include``, ``exclude`` or ``maybe`` on a record; a full-text exclusion names a reason
from the project's list. The rules, all derived from the event log:

- **Blinding.** A reviewer sees only their own votes on a record until every required
  reviewer (two by default) has voted on it; from then on the votes are locked and visible.
- **Outcome.** Unanimous votes decide the record. Differing votes, differing full-text
  exclusion reasons, or a unanimous ``maybe`` at full text are a *conflict*. A unanimous
  ``maybe`` at title/abstract proceeds to full text (when in doubt, read the paper).
- **Resolution.** A conflict is decided by a third reviewer (who did not vote on it) or by
  consensus of named participants; the resolution records who and when and is final.
- **Undo.** Until a record's votes are complete, a reviewer may withdraw their latest vote;
  the withdrawal is an event of its own (the vote stays in the log), and the record returns
  to the reviewer's queue. Votes, conflicts and agreement use each reviewer's standing vote.

These functions are pure: they read events and return what to append (or raise
:class:`~metareview.errors.RecordsError`), so the store can run them under its write lock.

>>> from datetime import UTC, datetime
>>> from metareview.records.events import Event, EventKind
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> log = [Event(1, t, "ana", EventKind.DECISION, "ta", 1, "include"),
...        Event(2, t, "ben", EventKind.DECISION, "ta", 1, "exclude")]
>>> state = StageState.from_events(log, "ta")
>>> state.outcome(1)
'conflict'
>>> state.visible_votes(1, viewer="ana")
{'ana': 'include', 'ben': 'exclude'}
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from metareview.errors import RecordsError
from metareview.records.duplicate_log import DuplicateState
from metareview.records.events import Event, EventKind, NewEvent, parse_enum
from metareview.records.stopping import StopState


class Stage(StrEnum):
    TITLE_ABSTRACT = "ta"
    FULL_TEXT = "ft"


class Vote(StrEnum):
    INCLUDE = "include"
    EXCLUDE = "exclude"
    MAYBE = "maybe"


class ResolutionMethod(StrEnum):
    THIRD_REVIEWER = "third_reviewer"
    CONSENSUS = "consensus"


class Retrieval(StrEnum):
    RETRIEVED = "retrieved"
    NOT_RETRIEVED = "not_retrieved"


#: Outcomes of a record at a stage (besides the votes themselves).
PENDING, CONFLICT = "pending", "conflict"
DEFAULT_REVIEWERS_REQUIRED = 2
REVIEWERS_SETTING = "reviewers_required"
RANKING_SETTING = "ranking_model"
#: The ranking model of a project whose settings name none: the light install's default
#: (``active_learning.DEFAULT_MODEL``; kept here so reading the settings does not load
#: scikit-learn; a test ties the two).
DEFAULT_RANKING_MODEL = "svm"
#: The ranking model a new project starts with where the optional embedding model is
#: installed (``store.review.start_ranking``): the one that met issue 19's ranking target.
EMBEDDING_RANKING_MODEL = "minilm"


def _is_reviewers_setting(event: Event) -> bool:
    return event.kind == EventKind.SETTING and event.value == REVIEWERS_SETTING


#: The full-text exclusion reasons a new project starts with (change them per project).
DEFAULT_EXCLUSION_REASONS = (
    "wrong population",
    "wrong intervention",
    "wrong comparator",
    "wrong outcomes",
    "wrong study design",
    "wrong setting",
    "duplicate publication",
    "no usable data",
)


@dataclass(frozen=True)
class ScreeningConfig:
    """How a project screens: reviewers needed per record, the exclusion reasons, the words
    a screen highlights as suggesting inclusion or exclusion, and the active-learning model
    that orders each reviewer's records (a name in
    :data:`metareview.records.active_learning.MODELS`)."""

    reviewers_required: int = 2
    exclusion_reasons: tuple[str, ...] = DEFAULT_EXCLUSION_REASONS
    highlight_include: tuple[str, ...] = ()
    highlight_exclude: tuple[str, ...] = ()
    ranking_model: str = DEFAULT_RANKING_MODEL

    def to_dict(self) -> dict[str, Any]:
        return {
            "reviewers_required": self.reviewers_required,
            "exclusion_reasons": list(self.exclusion_reasons),
            "highlight_include": list(self.highlight_include),
            "highlight_exclude": list(self.highlight_exclude),
            "ranking_model": self.ranking_model,
        }

    def __post_init__(self) -> None:
        if self.reviewers_required < 1:
            raise ValueError(f"reviewers_required must be >= 1; got {self.reviewers_required}")
        if not self.exclusion_reasons:
            raise ValueError("exclusion_reasons must name at least one reason")


@dataclass(frozen=True)
class Resolution:
    """The final decision on a conflict."""

    vote: str
    reason: str | None
    method: str
    by: str
    participants: tuple[str, ...]
    at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"participants": list(self.participants)}


@dataclass(frozen=True)
class Conflict:
    """A record whose independent votes disagree (or that needs a final decision)."""

    record_id: int
    stage: str
    votes: dict[str, str]
    reasons: dict[str, str | None]
    kind: str  # "vote", "reason" (same vote, different exclusion reasons) or "maybe"
    resolution: Resolution | None = None

    def to_dict(self) -> dict[str, Any]:
        resolution = self.resolution.to_dict() if self.resolution else None
        return asdict(self) | {"resolution": resolution}


@dataclass
class StageState:
    """Every vote and resolution of one stage, as of the events read.

    A record needs the number of votes required when its first standing vote was cast
    (``required``); ``reviewers_required`` applies to records nobody has voted on yet. So a
    later change of the setting neither reveals a blinded vote (lowering it) nor reopens a
    locked record (raising it). A state is a fold over the log: :meth:`apply` extends it in
    place with newer events (the store's incremental reader does so).
    """

    stage: str
    reviewers_required: int
    votes: dict[int, dict[str, str]] = field(default_factory=dict)
    reasons: dict[int, dict[str, str | None]] = field(default_factory=dict)
    resolutions: dict[int, Resolution] = field(default_factory=dict)
    vote_events: dict[int, dict[str, int]] = field(default_factory=dict)  # ids of the votes
    required: dict[int, int] = field(default_factory=dict)  # votes needed, per voted record

    @classmethod
    def from_events(
        cls, events: Iterable[Event], stage: str, reviewers_required: int = 2
    ) -> StageState:
        stage = parse_enum(Stage, stage, "stage").value
        events = tuple(events)
        changed = any(_is_reviewers_setting(e) for e in events)
        state = cls(stage, DEFAULT_REVIEWERS_REQUIRED if changed else reviewers_required)
        state.apply(events)
        state.reviewers_required = reviewers_required
        return state

    def apply(self, events: Iterable[Event]) -> set[int]:
        """Fold ``events`` (newer than those already folded in) into this state, in place;
        ``reviewers_required`` follows the setting's changes. Returns the records touched."""
        touched: set[int] = set()
        votes, reasons, vote_events = self.votes, self.reasons, self.vote_events
        for e in events:
            if _is_reviewers_setting(e):
                self.reviewers_required = int(e.data["value"])
            if e.stage != self.stage or e.record_id is None:
                continue
            if e.kind == EventKind.DECISION:
                if not votes.get(e.record_id):
                    self.required[e.record_id] = self.reviewers_required
                votes.setdefault(e.record_id, {})[e.actor] = str(e.value)
                reasons.setdefault(e.record_id, {})[e.actor] = e.reason
                vote_events.setdefault(e.record_id, {})[e.actor] = e.id
            elif e.kind == EventKind.UNDO:
                for table in (votes, reasons, vote_events):
                    table.get(e.record_id, {}).pop(e.actor, None)
                if not votes.get(e.record_id):
                    for table in (votes, reasons, vote_events, self.required):
                        table.pop(e.record_id, None)
            elif e.kind == EventKind.RESOLUTION:
                self.resolutions[e.record_id] = Resolution(
                    str(e.value),
                    e.reason,
                    e.data.get("method", ""),
                    e.actor,
                    tuple(e.data.get("participants", ())),
                    e.at.isoformat(),
                )
            else:
                continue
            touched.add(e.record_id)
        return touched

    def required_for(self, record_id: int) -> int:
        """The independent votes a record needs (fixed when its first vote was cast)."""
        return self.required.get(record_id, self.reviewers_required)

    def complete(self, record_id: int) -> bool:
        """Whether every required reviewer has voted (votes are then locked and visible)."""
        return len(self.votes.get(record_id, {})) >= self.required_for(record_id)

    def refuse_locked(self, record_id: int) -> None:
        """Refuse a change to a record whose votes are complete (locked: resolve instead)."""
        if self.complete(record_id):
            raise RecordsError(
                f"record {record_id} already has its {self.required_for(record_id)} independent "
                f"vote(s) at stage {self.stage}; votes are locked (resolve a conflict instead)"
            )

    def conflict_kind(self, record_id: int) -> str | None:
        """Why a complete record needs a resolution, or ``None`` if its votes decide it."""
        if not self.complete(record_id):
            return None
        votes = set(self.votes[record_id].values())
        if len(votes) > 1:
            return "vote"
        if votes == {Vote.MAYBE.value}:
            return "maybe" if self.stage == Stage.FULL_TEXT else None
        reasons = set(self.reasons[record_id].values())
        if votes == {Vote.EXCLUDE.value} and self.stage == Stage.FULL_TEXT and len(reasons) > 1:
            return "reason"
        return None

    def outcome(self, record_id: int) -> str:
        """``include``, ``exclude``, ``maybe`` (title/abstract only), ``conflict`` or ``pending``."""
        if record_id in self.resolutions:
            return self.resolutions[record_id].vote
        if not self.complete(record_id):
            return PENDING
        if self.conflict_kind(record_id):
            return CONFLICT
        return next(iter(self.votes[record_id].values()))

    def exclusion_reason(self, record_id: int) -> str | None:
        """The reason a record was excluded at full text (from the resolution or the votes)."""
        if record_id in self.resolutions:
            return self.resolutions[record_id].reason
        reasons = set(self.reasons.get(record_id, {}).values())
        return reasons.pop() if len(reasons) == 1 else None

    def visible_votes(self, record_id: int, viewer: str) -> dict[str, str]:
        """The votes on a record that ``viewer`` may see (blinding: own vote only until complete)."""
        votes = self.votes.get(record_id, {})
        if self.complete(record_id):
            return dict(votes)
        return {who: vote for who, vote in votes.items() if who == viewer}

    def locked_votes(self) -> dict[int, dict[str, str]]:
        """The votes on every record whose required votes are all in: the votes anyone may see
        (a record still being screened keeps its votes blinded, even in summaries).

        >>> from datetime import UTC, datetime
        >>> t = datetime(2026, 1, 1, tzinfo=UTC)
        >>> log = [Event(1, t, "ana", EventKind.DECISION, "ta", 1, "include"),
        ...        Event(2, t, "ben", EventKind.DECISION, "ta", 1, "exclude"),
        ...        Event(3, t, "ana", EventKind.DECISION, "ta", 2, "include")]
        >>> StageState.from_events(log, "ta").locked_votes()
        {1: {'ana': 'include', 'ben': 'exclude'}}
        """
        return {r: dict(votes) for r, votes in self.votes.items() if self.complete(r)}

    def conflicts(self) -> tuple[Conflict, ...]:
        """Every record that is or was in conflict, with its resolution if it has one."""
        out = []
        for record_id in sorted(self.votes):
            kind = self.conflict_kind(record_id)
            if kind:
                out.append(
                    Conflict(
                        record_id,
                        self.stage,
                        dict(self.votes[record_id]),
                        dict(self.reasons[record_id]),
                        kind,
                        self.resolutions.get(record_id),
                    )
                )
        return tuple(out)

    def reviewers(self) -> tuple[str, ...]:
        """Everyone with a locked vote at this stage (see :meth:`locked_votes`), in order."""
        seen: dict[str, None] = {}
        for votes in self.locked_votes().values():
            seen.update(dict.fromkeys(votes))
        return tuple(seen)


def eligible_records(
    record_ids: Iterable[int],
    events: Sequence[Event],
    stage: str,
    reviewers_required: int = 2,
    other_methods: Collection[int] = (),
) -> tuple[int, ...]:
    """The records a stage screens: unique records at ``ta``; at ``ft`` those that passed
    title/abstract (include, or unanimous maybe) and whose full text was not reported missing.

    ``other_methods``: records identified via other methods (websites, organisations, citation
    searching), which PRISMA 2020 takes straight to retrieval: they skip ``ta``.
    """
    stage = parse_enum(Stage, stage, "stage").value
    ta = StageState.from_events(events, Stage.TITLE_ABSTRACT, reviewers_required)
    return stage_pool(
        record_ids,
        stage,
        removed=DuplicateState.from_events(events).removed,
        set_aside=StopState.from_events(events).set_aside,
        missing=not_retrieved(events),
        title_abstract=ta,
        other_methods=frozenset(other_methods),
    )


def stage_pool(
    record_ids: Iterable[int],
    stage: str,
    *,
    removed: Collection[int],
    set_aside: Collection[int],
    missing: Collection[int],
    title_abstract: StageState,
    other_methods: Collection[int],
) -> tuple[int, ...]:
    """:func:`eligible_records` from the log's parts already folded: the records removed as
    duplicates, set aside by a stop, whose full text was not retrieved, and the title/abstract
    votes."""
    unique = [r for r in record_ids if r not in removed]
    if stage == Stage.TITLE_ABSTRACT:
        return tuple(r for r in unique if r not in other_methods and r not in set_aside)
    passed = _goes_to_full_text(title_abstract, other_methods)
    return tuple(r for r in unique if passed(r) and r not in missing)


def passed_records(
    record_ids: Iterable[int],
    events: Sequence[Event],
    stage: str,
    reviewers_required: int = 2,
    other_methods: Collection[int] = (),
) -> tuple[int, ...]:
    """The unique records (not removed as duplicates) that passed a stage: at ``ta`` those
    that go on to full text (include or unanimous maybe, or identified via other methods); at
    ``ft`` those the full-text stage includes, among the records it screens.

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> log = [Event(1, t, "ana", EventKind.DECISION, "ta", 1, "maybe"),
    ...        Event(2, t, "ana", EventKind.DECISION, "ta", 2, "exclude")]
    >>> passed_records([1, 2, 3], log, "ta", reviewers_required=1, other_methods={3})
    (1, 3)
    """
    stage = parse_enum(Stage, stage, "stage").value
    if stage == Stage.FULL_TEXT:
        ft = StageState.from_events(events, Stage.FULL_TEXT, reviewers_required)
        screened = eligible_records(record_ids, events, stage, reviewers_required, other_methods)
        return tuple(r for r in screened if ft.outcome(r) == Vote.INCLUDE)
    removed = DuplicateState.from_events(events).removed
    passed = _passed_title_abstract(events, reviewers_required, other_methods)
    return tuple(r for r in record_ids if r not in removed and passed(r))


def _passed_title_abstract(
    events: Iterable[Event], reviewers_required: int, other_methods: Collection[int]
) -> Callable[[int], bool]:
    """Whether a record goes on to full text: it passed title/abstract (include, or a
    unanimous maybe) or was identified via other methods."""
    ta = StageState.from_events(events, Stage.TITLE_ABSTRACT, reviewers_required)
    return _goes_to_full_text(ta, other_methods)


def _goes_to_full_text(ta: StageState, other_methods: Collection[int]) -> Callable[[int], bool]:
    return lambda r: r in other_methods or ta.outcome(r) in (Vote.INCLUDE, Vote.MAYBE)


def not_retrieved(events: Iterable[Event]) -> set[int]:
    """Records whose full text was (last) reported as not retrieved."""
    status: dict[int, str] = {}
    for e in events:
        if e.kind == EventKind.RETRIEVAL and e.record_id is not None:
            status[e.record_id] = str(e.value)
    return {r for r, value in status.items() if value == Retrieval.NOT_RETRIEVED}


def _check_reason(stage: str, vote: str, reason: str | None, config: ScreeningConfig) -> None:
    if stage == Stage.FULL_TEXT and vote == Vote.EXCLUDE:
        if reason not in config.exclusion_reasons:
            allowed = "; ".join(config.exclusion_reasons)
            raise RecordsError(
                f"a full-text exclusion needs a reason from the project's list ({allowed}); "
                f"got {reason!r}"
            )
    elif reason:
        raise RecordsError("only a full-text exclusion takes a reason")


def check_vote(
    state: StageState,
    eligible: Collection[int],
    stop: StopState,
    *,
    record_id: int,
    reviewer: str,
    vote: str,
    reason: str | None,
    config: ScreeningConfig,
) -> list[NewEvent]:
    """Check a reviewer's vote and return the event that records it, from the log's parts
    already folded: the stage's votes (``state``), the records it screens (``eligible``; see
    :func:`eligible_records`) and the standing stop.

    A reviewer may change their vote until the record's independent votes are complete.

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> state = StageState.from_events([Event(1, t, "ana", EventKind.DECISION, "ta", 7, "include")], "ta")
    >>> check_vote(state, {7}, StopState(), record_id=7, reviewer="ben", vote="exclude",
    ...            reason=None, config=ScreeningConfig())[0].value
    'exclude'
    """
    stage = state.stage
    vote = parse_enum(Vote, vote, "decision").value
    if not reviewer.strip():
        raise RecordsError("a vote needs the reviewer's name")
    _check_reason(stage, vote, reason, config)
    if record_id not in eligible:
        if stage == Stage.TITLE_ABSTRACT and record_id in stop.set_aside:
            raise RecordsError(
                f"record {record_id} was set aside when screening stopped (rule {stop.rule!r}, "
                f"event {stop.event_id}); resume screening to vote on it"
            )
        raise RecordsError(f"record {record_id} is not up for screening at stage {stage}")
    state.refuse_locked(record_id)
    return [NewEvent(EventKind.DECISION, reviewer, stage, record_id, vote, reason or None)]


def plan_undo(
    events: Sequence[Event], *, reviewer: str, stage: str, reviewers_required: int = 2
) -> list[NewEvent]:
    """Withdraw ``reviewer``'s latest standing vote at ``stage`` (an undo of their last
    decision; repeat to go further back), and return the event that records it.

    Refused when the reviewer has no standing vote, or when the record's votes are already
    complete (they are then locked and visible: resolve the conflict instead).

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> log = [Event(1, t, "ana", EventKind.DECISION, "ta", 7, "include"),
    ...        Event(2, t, "ana", EventKind.DECISION, "ta", 8, "exclude")]
    >>> [(e.kind.value, e.record_id, e.data) for e in plan_undo(log, reviewer="ana", stage="ta")]
    [('undo', 8, {'undoes': 2, 'vote': 'exclude'})]
    """
    stage = parse_enum(Stage, stage, "stage").value
    state = StageState.from_events(events, stage, reviewers_required)
    standing = {
        event_id: record_id
        for record_id, by in state.vote_events.items()
        for who, event_id in by.items()
        if who == reviewer
    }
    if not standing:
        raise RecordsError(f"{reviewer} has no vote to undo at stage {stage}")
    event_id = max(standing)
    record_id = standing[event_id]
    state.refuse_locked(record_id)
    data = {"undoes": event_id, "vote": state.votes[record_id][reviewer]}
    return [NewEvent(EventKind.UNDO, reviewer, stage, record_id, data=data)]


def plan_resolution(
    events: Sequence[Event],
    *,
    record_id: int,
    actor: str,
    stage: str,
    vote: str,
    method: str,
    reason: str | None = None,
    participants: Sequence[str] = (),
    config: ScreeningConfig = ScreeningConfig(),
) -> list[NewEvent]:
    """Check a conflict's resolution and return the event that records it.

    ``third_reviewer``: ``actor`` must not have voted on the record. ``consensus``: the
    participants (``actor`` and everyone named) must include every reviewer who voted.
    """
    stage = parse_enum(Stage, stage, "stage").value
    vote = parse_enum(Vote, vote, "decision").value
    method = parse_enum(ResolutionMethod, method, "method").value
    if vote == Vote.MAYBE:
        raise RecordsError("a resolution must include or exclude")
    _check_reason(stage, vote, reason, config)
    state = StageState.from_events(events, stage, config.reviewers_required)
    if not state.conflict_kind(record_id):
        raise RecordsError(f"record {record_id} has no conflict at stage {stage}")
    if record_id in state.resolutions:
        done = state.resolutions[record_id]
        raise RecordsError(f"record {record_id} was already resolved by {done.by} at {done.at}")
    voters = set(state.votes[record_id])
    people = tuple(dict.fromkeys([actor, *participants]))
    if method == ResolutionMethod.THIRD_REVIEWER and actor in voters:
        raise RecordsError(
            f"{actor} voted on record {record_id}; a third reviewer must be someone else "
            "(or resolve by consensus)"
        )
    if method == ResolutionMethod.CONSENSUS and not voters <= set(people):
        missing = ", ".join(sorted(voters - set(people)))
        raise RecordsError(f"a consensus on record {record_id} must include {missing}")
    data = {"method": method, "participants": list(people)}
    return [NewEvent(EventKind.RESOLUTION, actor, stage, record_id, vote, reason or None, data)]


def plan_retrieval(
    events: Sequence[Event],
    record_ids: Iterable[int],
    *,
    record_id: int,
    actor: str,
    status: str,
    reviewers_required: int = 2,
    other_methods: Collection[int] = (),
) -> list[NewEvent]:
    """Record whether a full text was found; only records that passed title/abstract, or
    were identified via other methods (``other_methods``), qualify."""
    status = parse_enum(Retrieval, status, "status").value
    if not _passed_title_abstract(events, reviewers_required, other_methods)(record_id):
        raise RecordsError(f"record {record_id} did not pass title/abstract screening")
    ft = StageState.from_events(events, Stage.FULL_TEXT, reviewers_required)
    if status == Retrieval.NOT_RETRIEVED and ft.votes.get(record_id):
        raise RecordsError(f"record {record_id} already has full-text votes")
    return [NewEvent(EventKind.RETRIEVAL, actor, Stage.FULL_TEXT.value, record_id, status)]


def queue(eligible: Iterable[int], state: StageState, reviewer: str) -> tuple[int, ...]:
    """The records ``reviewer`` still has to screen at this stage (not voted, not complete)."""
    return tuple(
        r for r in eligible if reviewer not in state.votes.get(r, {}) and not state.complete(r)
    )


def screening_sequence(
    state: StageState, reviewer: str | None = None
) -> tuple[tuple[int, int], ...]:
    """The records of a stage in the order they were screened, each with its label (1 kept
    — include or maybe — 0 excluded): what stopping rules read.

    With ``reviewer``: that reviewer's own votes, in the order cast. Without: the team's
    records whose required votes are all in (blinded votes never count), in the order they
    became complete, labelled by their outcome (a conflict counts as kept).

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> log = [Event(1, t, "ana", EventKind.DECISION, "ta", 7, "exclude"),
    ...        Event(2, t, "ana", EventKind.DECISION, "ta", 3, "include"),
    ...        Event(3, t, "ben", EventKind.DECISION, "ta", 3, "include")]
    >>> state = StageState.from_events(log, "ta")
    >>> screening_sequence(state, "ana"), screening_sequence(state)
    (((7, 0), (3, 1)), ((3, 1),))
    """
    if reviewer is not None:
        cast = [
            (ids[reviewer], record_id)
            for record_id, ids in state.vote_events.items()
            if reviewer in ids
        ]
        return tuple(
            (r, int(state.votes[r][reviewer] != Vote.EXCLUDE.value)) for _, r in sorted(cast)
        )
    done = sorted((max(state.vote_events[r].values()), r) for r in state.locked_votes())
    return tuple((r, int(state.outcome(r) != Vote.EXCLUDE.value)) for _, r in done)
