"""Screening a project: votes, resolutions, retrievals and duplicates, checked and logged.

Each function reads the log under the project's write lock, checks the action with the
pure rules of :mod:`metareview.records.screening`, and appends the event, so two reviewers
acting at once cannot both resolve one conflict or vote past the required number.

>>> from metareview.records.record import Record
>>> project = Project.open("sqlite://")
>>> ids = project.add_import("s.ris", [Record(title="A"), Record(title="B")], actor="ana").record_ids
>>> for who, votes in {"ana": ["include", "exclude"], "ben": ["exclude", "exclude"]}.items():
...     for record_id, v in zip(ids, votes):
...         _ = vote(project, record_id, reviewer=who, stage="ta", decision=v)
>>> [c.record_id for c in stage_state(project, "ta").conflicts()] == [ids[0]]
True
>>> _ = resolve(project, ids[0], actor="cleo", stage="ta", decision="include",
...             method="third_reviewer")
>>> stage_state(project, "ta").outcome(ids[0])
'include'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from metareview.errors import RecordsError
from metareview.records.duplicate_log import (
    DuplicateState,
    new_duplicate_events,
    person_decisions,
)
from metareview.records.events import Event, EventKind, NewEvent, parse_enum
from metareview.records.record import OTHER_METHODS
from metareview.records.screening import (
    DEFAULT_EXCLUSION_REASONS,
    DEFAULT_RANKING_MODEL,
    DEFAULT_REVIEWERS_REQUIRED,
    EMBEDDING_RANKING_MODEL,
    RANKING_SETTING,
    REVIEWERS_SETTING,
    ScreeningConfig,
    Stage,
    StageState,
    check_vote,
    eligible_records,
    passed_records,
    plan_resolution,
    plan_retrieval,
    plan_undo,
)
from metareview.records.stopping import plan_resume, plan_stop
from metareview.records.studies import plan_same_study, plan_separate_study
from metareview.stats.result_base import ResultDocument
from metareview.store.log_state import LogState
from metareview.store.project import Project

if TYPE_CHECKING:  # the agreement statistics load only when asked for
    from metareview.records.agreement import AgreementResult


def screening_config(project: Project) -> ScreeningConfig:
    """The project's screening settings (reviewers per record, full-text exclusion reasons,
    highlighted words)."""
    return config_of(project.settings())


def ranking_model(project: Project) -> Any:
    """The project's ranking model (its ``ranking_model`` setting) as a built-in
    :class:`~metareview.records.active_learning.Model`; a name that is none of them (a
    setting written by hand or by another version) is a :class:`RecordsError` saying how
    to choose one, not an error of the code that ranks."""
    return built_in_model(screening_config(project).ranking_model)


def start_ranking(project: Project, *, actor: str) -> str | None:
    """Give a project just created the ranking model it starts with, and name it: where the
    extra ``metareview[embeddings]`` is installed, ``minilm`` — on the nine SYNERGY reviews
    over ten seeds the one ranker that met issue 19's whole target (``benchmarks/README.md``)
    — written into its settings log, so the project keeps it wherever it is opened. ``None``,
    nothing written, where the extra is missing (the project ranks with the light
    install's default, ``svm``) or for a project that is not new (it holds records or
    events already).

    >>> from unittest import mock
    >>> project = Project.open("sqlite://")
    >>> with mock.patch("metareview.records.embeddings.extra_installed", return_value=True):
    ...     start_ranking(project, actor="lead"), start_ranking(project, actor="lead")
    ('minilm', None)
    >>> screening_config(project).ranking_model
    'minilm'
    """
    from metareview.records import embeddings

    if project.imports() or not embeddings.extra_installed() or project.events():
        return None
    project.set_setting(RANKING_SETTING, EMBEDDING_RANKING_MODEL, actor=actor)
    return EMBEDDING_RANKING_MODEL


def built_in_model(name: str) -> Any:
    """The built-in :class:`~metareview.records.active_learning.Model` the current
    ``ranking_model`` setting names (see :func:`ranking_model`), a :class:`RecordsError`
    saying how to choose one for any other name (one the settings log names, under which
    records were screened, is the methods paragraph's own error:
    :func:`metareview.store.stopping_rules.screening_methods`).

    >>> built_in_model("nb").name
    'nb'
    """
    from metareview.records.active_learning import MODELS

    if name not in MODELS:
        raise RecordsError(
            f"the project's ranking model {name!r} is not one of {', '.join(MODELS)}: choose "
            "one with 'metareview records settings PROJECT --ranking-model NAME'"
        )
    return MODELS[name]


def config_of(settings: dict[str, Any]) -> ScreeningConfig:
    """The screening settings among a project's settings (defaults for those never set)."""
    return ScreeningConfig(
        reviewers_required=int(settings.get(REVIEWERS_SETTING, DEFAULT_REVIEWERS_REQUIRED)),
        exclusion_reasons=tuple(settings.get("exclusion_reasons", DEFAULT_EXCLUSION_REASONS)),
        highlight_include=tuple(settings.get("highlight_include", [])),
        highlight_exclude=tuple(settings.get("highlight_exclude", [])),
        ranking_model=str(settings.get(RANKING_SETTING, DEFAULT_RANKING_MODEL)),
    )


def configure(
    project: Project,
    *,
    actor: str,
    reviewers_required: int | None = None,
    exclusion_reasons: Sequence[str] | None = None,
    highlight_include: Sequence[str] | None = None,
    highlight_exclude: Sequence[str] | None = None,
    only_unvoted: bool = False,
    ranking_model: str | None = None,
) -> ScreeningConfig:
    """Change the screening settings given (validated first; each change is logged):
    reviewers per record, full-text exclusion reasons, the words a screen highlights, and
    the ranking model (a name in :data:`~metareview.records.active_learning.MODELS`; one
    that reads sentence embeddings uses the project's cached vectors, see
    :mod:`metareview.store.embeddings`).

    Once screening has begun, a new ``reviewers_required`` is refused: lowered, it would show
    a vote still blinded; raised, it would reopen records whose votes are locked. With
    ``only_unvoted`` it applies to the records nobody has voted on yet (at either stage),
    and every record already voted on keeps the number it started with.

    >>> from metareview.records.record import Record
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("s.ris", [Record(title="A"), Record(title="B")], actor="ana")
    >>> _ = vote(project, 1, reviewer="ana", stage="ta", decision="include")
    >>> configure(project, actor="lead", reviewers_required=1)
    Traceback (most recent call last):
    metareview.errors.RecordsError: screening has begun (1 record with votes at stage ta): a new reviewers_required would reveal blinded votes or reopen locked records; apply it only to records not yet voted on (--only-unvoted)
    >>> configure(project, actor="lead", reviewers_required=1, only_unvoted=True).reviewers_required
    1
    >>> state = stage_state(project, "ta")
    >>> state.complete(1), state.required_for(1), state.required_for(2)
    (False, 2, 1)
    """
    current = screening_config(project)
    wanted = ScreeningConfig(
        reviewers_required if reviewers_required is not None else current.reviewers_required,
        tuple(exclusion_reasons) if exclusion_reasons is not None else current.exclusion_reasons,
        tuple(highlight_include) if highlight_include is not None else current.highlight_include,
        tuple(highlight_exclude) if highlight_exclude is not None else current.highlight_exclude,
        ranking_model if ranking_model is not None else current.ranking_model,
    )
    if wanted.ranking_model != current.ranking_model:
        from metareview.records.active_learning import MODELS

        if wanted.ranking_model not in MODELS:
            raise RecordsError(
                f"ranking model must be one of {', '.join(MODELS)}; got {wanted.ranking_model!r}"
            )
    if wanted.reviewers_required != current.reviewers_required:
        voted = {stage.value: len(stage_state(project, stage, current).votes) for stage in Stage}
        begun = ", ".join(
            f"{n} record{'s' if n > 1 else ''} with votes at stage {stage}"
            for stage, n in voted.items()
            if n
        )
        if begun and not only_unvoted:
            raise RecordsError(
                f"screening has begun ({begun}): a new reviewers_required would reveal blinded "
                "votes or reopen locked records; apply it only to records not yet voted on "
                "(--only-unvoted)"
            )
        project.set_setting(REVIEWERS_SETTING, wanted.reviewers_required, actor=actor)
    for key in ("exclusion_reasons", "highlight_include", "highlight_exclude"):
        if getattr(wanted, key) != getattr(current, key):
            project.set_setting(key, list(getattr(wanted, key)), actor=actor)
    if wanted.ranking_model != current.ranking_model:
        project.set_setting(RANKING_SETTING, wanted.ranking_model, actor=actor)
    return wanted


def other_method_records(project: Project) -> frozenset[int]:
    """The records identified via other methods (websites, organisations, citation searching),
    which skip title/abstract screening.

    >>> from metareview.records.record import Record
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("db.ris", [Record(title="A")], actor="ana")
    >>> _ = project.add_import("web.ris", [Record(title="B")], actor="ana", source_kind="website")
    >>> sorted(other_method_records(project))
    [2]
    """
    return frozenset(r for r, kind in project.source_kinds().items() if kind in OTHER_METHODS)


def stage_state(project: Project, stage: str, config: ScreeningConfig | None = None) -> StageState:
    """Every vote and resolution of a stage as the log now stands."""
    config = config or screening_config(project)
    return StageState.from_events(project.events(), stage, config.reviewers_required)


def eligible(project: Project, stage: str) -> tuple[int, ...]:
    """The ids of the records a stage screens (see :func:`~metareview.records.screening.eligible_records`)."""
    return _by_the_log(eligible_records, project, stage)


def passed_stage(project: Project, stage: str) -> tuple[int, ...]:
    """The ids of the unique records that passed a stage: at ``ta`` those that go on to full
    text (included or a unanimous maybe at title/abstract, or identified via other methods);
    at ``ft`` those included after full text (PRISMA's "studies included").

    >>> from metareview.records.record import Record
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("s.ris", [Record(title="A"), Record(title="B")], actor="ana")
    >>> for who in ("ana", "ben"):
    ...     _ = vote(project, 1, reviewer=who, stage="ta", decision="include")
    ...     _ = vote(project, 2, reviewer=who, stage="ta", decision="exclude")
    >>> passed_stage(project, "ta"), passed_stage(project, "ft")
    ((1,), ())
    """
    return _by_the_log(passed_records, project, stage)


def _by_the_log(
    rule: Callable[[Sequence[int], Sequence[Event], str, int, frozenset[int]], tuple[int, ...]],
    project: Project,
    stage: str,
) -> tuple[int, ...]:
    """The records a pure rule of :mod:`metareview.records.screening` picks at ``stage``."""
    config = screening_config(project)
    return rule(
        project.record_ids(),
        project.events(),
        stage,
        config.reviewers_required,
        other_method_records(project),
    )


def stage_agreement(project: Project, stage: str, reviewers: Sequence[str] = ()) -> AgreementResult:
    """Agreement of the independent votes at ``stage`` (percentage, Cohen's κ, PABAK, Gwet's
    AC1, Fleiss' κ), on the records whose required votes are all in: votes still blinded
    never show through the statistics. ``reviewers``: only these (default: everyone whose
    votes are complete); fewer than two is a :class:`~metareview.errors.RecordsError`.

    >>> from metareview.records.record import Record
    >>> project = Project.open("sqlite://")
    >>> ids = project.add_import("s.ris", [Record(title=t) for t in "ABCD"], actor="ana").record_ids
    >>> for who, votes in {"ana": "iiee", "ben": "iiei"}.items():
    ...     for record_id, v in zip(ids, votes):
    ...         d = "include" if v == "i" else "exclude"
    ...         _ = vote(project, record_id, reviewer=who, stage="ta", decision=d)
    >>> stage_agreement(project, "ta").percent_agreement
    0.75
    """
    from metareview.records.agreement import agreement

    state = stage_state(project, stage)
    locked = state.locked_votes()
    names = tuple(reviewers) or state.reviewers()
    if len(names) < 2:
        raise RecordsError(
            f"agreement needs two reviewers' complete votes at stage {state.stage}; "
            f"found {len(names)}"
        )
    return agreement(
        {who: {r: votes[who] for r, votes in locked.items() if who in votes} for who in names}
    )


def vote(
    project: Project,
    record_id: int,
    *,
    reviewer: str,
    stage: str,
    decision: str,
    reason: str | None = None,
    note: str | None = None,
) -> Event:
    """Record a reviewer's include/exclude/maybe vote on a record, with an optional free-text
    ``note``.

    The check runs on the project's folded log (:mod:`metareview.store.log_state`), under the
    write lock: it reads only the events appended since the last request, never the whole log.
    """
    stage = parse_enum(Stage, stage, "stage").value

    def plan(log: LogState) -> list[NewEvent]:
        planned = check_vote(
            log.stages[stage],
            log.pool_set(stage),
            log.stop,
            record_id=record_id,
            reviewer=reviewer,
            vote=decision,
            reason=reason,
            config=config_of(log.settings),
        )
        if note and note.strip():
            planned = [replace(e, data={"note": note.strip()}) for e in planned]
        return planned

    return project.append_planned(plan)[0]


def stop_screening(project: Project, *, stage: str, rule: str, by: str) -> Event:
    """Stop screening ``stage`` early by ``rule``: every record up for screening that nobody
    has voted on is set aside, and PRISMA counts it as marked ineligible by automation
    (see :mod:`metareview.records.stopping`). Votes in progress can still be completed.

    >>> from metareview.records.record import Record
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("s.ris", [Record(title=t) for t in "ABC"], actor="lead")
    >>> _ = vote(project, 1, reviewer="ana", stage="ta", decision="include")
    >>> stop_screening(project, stage="ta", rule="50 irrelevant in a row", by="lead").data
    {'rule': '50 irrelevant in a row', 'records': [2, 3], 'set_aside': 2}
    >>> resume_screening(project, stage="ta", by="lead").data
    {'undoes': 3}
    """
    config = screening_config(project)
    ids = project.record_ids()
    other = other_method_records(project)

    def plan(events: tuple[Event, ...]) -> list[NewEvent]:
        up = eligible_records(ids, events, stage, config.reviewers_required, other)
        state = StageState.from_events(events, stage, config.reviewers_required)
        unscreened = [r for r in up if not state.votes.get(r)]
        return plan_stop(events, unscreened, stage=stage, rule=rule, by=by)

    return project.append_checked(plan)[0]


def resume_screening(project: Project, *, stage: str, by: str) -> Event:
    """Undo :func:`stop_screening` (refused once full-text work has begun since the stop)."""
    return project.append_checked(lambda events: plan_resume(events, stage=stage, by=by))[0]


def undo_vote(project: Project, *, reviewer: str, stage: str) -> Event:
    """Withdraw ``reviewer``'s latest standing vote at ``stage`` (logged as an ``undo`` event;
    see :func:`~metareview.records.screening.plan_undo`).

    >>> from metareview.records.record import Record
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("s.ris", [Record(title="A")], actor="ana")
    >>> _ = vote(project, 1, reviewer="ana", stage="ta", decision="exclude")
    >>> undone = undo_vote(project, reviewer="ana", stage="ta")
    >>> undone.kind.value, undone.record_id, undone.data["vote"]
    ('undo', 1, 'exclude')
    >>> stage_state(project, "ta").votes.get(1, {})
    {}
    """
    config = screening_config(project)

    def plan(events: tuple[Event, ...]) -> list[NewEvent]:
        return plan_undo(
            events, reviewer=reviewer, stage=stage, reviewers_required=config.reviewers_required
        )

    return project.append_checked(plan)[0]


def resolve(
    project: Project,
    record_id: int,
    *,
    actor: str,
    stage: str,
    decision: str,
    method: str,
    reason: str | None = None,
    participants: Sequence[str] = (),
) -> Event:
    """Resolve a conflict by a third reviewer or by consensus (recorded with who and when)."""
    config = screening_config(project)

    def plan(events: tuple[Event, ...]) -> list[NewEvent]:
        return plan_resolution(
            events,
            record_id=record_id,
            actor=actor,
            stage=stage,
            vote=decision,
            method=method,
            reason=reason,
            participants=participants,
            config=config,
        )

    return project.append_checked(plan)[0]


def mark_retrieval(project: Project, record_id: int, *, actor: str, status: str) -> Event:
    """Record whether a record's full text was retrieved (``retrieved``/``not_retrieved``)."""
    config = screening_config(project)
    ids = project.record_ids()
    other = other_method_records(project)

    def plan(events: tuple[Event, ...]) -> list[NewEvent]:
        return plan_retrieval(
            events,
            ids,
            record_id=record_id,
            actor=actor,
            status=status,
            reviewers_required=config.reviewers_required,
            other_methods=other,
        )

    return project.append_checked(plan)[0]


def log_duplicates(
    project: Project,
    *,
    actor: str,
    merged: Sequence[tuple[int, int, dict[str, Any]]] = (),
    maybe: Sequence[tuple[int, int, dict[str, Any]]] = (),
) -> tuple[Event, ...]:
    """Log duplicates found: ``merged`` (removed id, kept id, details) are removed at once;
    ``maybe`` pairs wait for a person (:func:`decide_duplicate`)."""
    new = [
        NewEvent(EventKind.DUPLICATE, actor, record_id=r, data={"of": k, **d}) for r, k, d in merged
    ]
    new += [
        NewEvent(EventKind.MAYBE_DUPLICATE, actor, record_id=r, data={"of": k, **d})
        for r, k, d in maybe
    ]
    return project.append(new)


@dataclass(frozen=True)
class DuplicateCounts(ResultDocument):
    """A project's duplicates as its log now stands: records, groups of duplicates, records
    removed as copies, and possible duplicates waiting for a person."""

    records: int
    duplicate_groups: int
    removed: int
    maybe: int

    def summary(self) -> str:
        return (
            f"{self.records} records: {self.removed} duplicates removed in "
            f"{self.duplicate_groups} groups; {self.maybe} possible duplicates await a person"
        )


def duplicate_counts(project: Project) -> DuplicateCounts:
    """How many duplicates the log records (see :class:`DuplicateCounts`)."""
    state = DuplicateState.from_events(project.events())
    return DuplicateCounts(
        records=len(project.record_ids()),
        duplicate_groups=len(state.groups()),
        removed=len(state.removed),
        maybe=len(state.maybe),
    )


def deduplicate_project(project: Project, *, actor: str) -> DuplicateCounts:
    """Find the project's duplicate records and log them: sure duplicates are removed (each
    source kept for PRISMA), close pairs wait for a person (:func:`decide_duplicate`). Every
    decision a person made is kept, and running it again logs nothing new.

    >>> from metareview.records.record import Record
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("a.ris", [Record(title="Peer support", doi="10.1/a")], actor="ana")
    >>> _ = project.add_import("b.ris", [Record(title="Peer support", doi="10.1/A")], actor="ana")
    >>> deduplicate_project(project, actor="ana").to_dict()
    {'records': 2, 'duplicate_groups': 1, 'removed': 1, 'maybe': 0}
    >>> deduplicate_project(project, actor="ana") == duplicate_counts(project)
    True
    """
    from metareview.records.dedup import deduplicate

    stored = project.records()
    ids = list(stored)
    position = {record_id: i for i, record_id in enumerate(ids)}
    result = deduplicate(list(stored.values()), person_decisions(project.events(), position))
    project.append_checked(
        lambda events: new_duplicate_events(result, ids, DuplicateState.from_events(events), actor)
    )
    return duplicate_counts(project)


def decide_duplicate(
    project: Project, record_id: int, of: int, *, actor: str, duplicate: bool
) -> Event:
    """A person's decision on a possible duplicate pair (or on undoing a merge)."""
    kind = EventKind.DUPLICATE if duplicate else EventKind.NOT_DUPLICATE
    data = {"of": of, "method": "manual"}
    return project.append([NewEvent(kind, actor, record_id=record_id, data=data)])[0]


def link_same_study(
    project: Project, reports: Sequence[int], *, of: int, actor: str
) -> tuple[Event, ...]:
    """Record that each of ``reports`` reports the same study as record ``of`` (PRISMA counts the
    study once and the reports separately); all or nothing, in one transaction.

    >>> from metareview.records.record import Record
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("s.ris", [Record(title=t) for t in "ABC"], actor="ana")
    >>> [e.record_id for e in link_same_study(project, [2, 3], of=1, actor="ana")]
    [2, 3]
    """
    ids = set(project.record_ids())

    def plan(events: tuple[Event, ...]) -> list[NewEvent]:
        return plan_same_study(events, ids, reports=reports, of=of, actor=actor)

    return project.append_checked(plan)


def separate_study(project: Project, reports: Sequence[int], *, actor: str) -> tuple[Event, ...]:
    """Make each of ``reports`` its own study again, the other reports of its study staying
    together (logged; all or nothing, in one transaction).

    >>> from metareview.records.record import Record
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("s.ris", [Record(title=t) for t in "ABC"], actor="ana")
    >>> _ = link_same_study(project, [2, 3], of=1, actor="ana")
    >>> [e.kind.value for e in separate_study(project, [1], actor="ana")]  # 2 and 3 stay one study
    ['separate_study']
    """
    ids = set(project.record_ids())

    def plan(events: tuple[Event, ...]) -> list[NewEvent]:
        return plan_separate_study(events, ids, reports=reports, actor=actor)

    return project.append_checked(plan)
