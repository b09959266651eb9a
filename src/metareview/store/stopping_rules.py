"""Stopping rules on a live project: what each rule says about a stage screened so far, and
the screening part of the methods paragraph (with the rule that stopped it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from metareview.errors import RecordsError
from metareview.records.events import Event, EventKind
from metareview.records.screening import RANKING_SETTING, screening_sequence
from metareview.records.screening_methods import (
    ranking_history,
    screening_methods_text,
    simulated_recall,
)
from metareview.records.stopping import StopState
from metareview.records.stopping_rules import RandomSample, StoppingAdvice, all_rules
from metareview.store.project import Project
from metareview.store.review import (
    eligible,
    ranking_model,
    screening_config,
    stage_state,
)


def stopping_advice(
    project: Project,
    stage: str = "ta",
    reviewer: str | None = None,
    *,
    recall_target: float = 0.95,
    alpha: float = 0.05,
    run: int = 50,
    random_sample: RandomSample | None = None,
) -> tuple[StoppingAdvice, ...]:
    """Every stopping rule's advice on ``stage``: on ``reviewer``'s own votes, or on the
    team's completed records (see :func:`~metareview.records.screening.screening_sequence`),
    out of all the records the stage screens.

    >>> from metareview.records.record import Record
    >>> from metareview.store.review import vote
    >>> project = Project.open("sqlite://")
    >>> ids = project.add_import("s.ris", [Record(title=f"T{i}") for i in range(300)],
    ...                          actor="ana").record_ids
    >>> for record_id in ids[:200]:
    ...     _ = vote(project, record_id, reviewer="ana", stage="ta",
    ...              decision="include" if record_id <= 10 else "exclude")
    >>> advice = stopping_advice(project, reviewer="ana")
    >>> [(a.rule, a.stop) for a in advice]
    [('buscar', False), ('knee', True), ('SAFE', False), ('50 consecutive irrelevant', True)]
    """
    state = stage_state(project, stage)
    labels = [label for _, label in screening_sequence(state, reviewer)]
    return all_rules(
        labels,
        len(eligible(project, stage)),
        recall_target=recall_target,
        alpha=alpha,
        run=run,
        random_sample=random_sample,
    )


def screening_methods(project: Project, *, prioritised: bool = True) -> str:
    """The screening paragraph of the methods for ``project``: title/abstract records, the
    reviewers per record, the prioritisation (each ranking model in the order used, with the
    records screened under it, when the lead changed it after screening began: see
    :func:`~metareview.records.screening_methods.ranking_history`), and — when screening was
    stopped by a rule (``records stop-screening``) — the rule, the records it left
    unscreened, and the recall that rule reached in the SYNERGY simulation
    (:func:`~metareview.records.screening_methods.simulated_recall`).

    >>> from metareview.records.record import Record
    >>> from metareview.store.review import stop_screening, vote
    >>> project = Project.open("sqlite://")
    >>> ids = project.add_import("s.ris", [Record(title=f"T{i}") for i in range(30)],
    ...                          actor="ana").record_ids
    >>> for record_id in ids[:10]:
    ...     for who in ("ana", "ben"):
    ...         _ = vote(project, record_id, reviewer=who, stage="ta", decision="exclude")
    >>> _ = stop_screening(project, stage="ta", rule="knee", by="lead")
    >>> print(screening_methods(project, prioritised=False))  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Titles and abstracts of 30 records were screened by two reviewers independently. Screening
    stopped after 10 records by the knee method of Cormack and Grossman; the 20 records not
    screened were marked as ineligible by an automation tool. In simulations (...) this rule
    stopped at a mean recall of ...
    """
    events = project.events()
    stop = StopState.from_events(events)
    pool = eligible(project, "ta")
    config = screening_config(project)
    ordered_by: str | list[tuple[str, int]] = config.ranking_model  # (unprioritised: unnamed)
    if prioritised:  # the models that ordered the records, each checked; none yet: the current
        history = ranking_history(events, "ta", frozenset(pool))
        ordered_by = [(_logged_model(events, name).name, n) for name, n in history]
        ordered_by = ordered_by or ranking_model(project).name
    return screening_methods_text(
        records=len(pool) + len(stop.set_aside),
        reviewers_required=config.reviewers_required,
        ranking_model=ordered_by,
        prioritised=prioritised,
        stopped_rule=stop.rule if stop.stopped else None,
        screened=len(pool),
        set_aside=len(stop.set_aside),
        simulated=simulated_recall(stop.rule, _last_model(ordered_by)) if stop.stopped else None,
    )


def _last_model(ordered_by: str | list[tuple[str, int]]) -> str:
    """The model that ordered the last records screened (the one in force at a stop).

    >>> _last_model("svm"), _last_model([("svm", 40), ("minilm", 12)])
    ('svm', 'minilm')
    """
    return ordered_by if isinstance(ordered_by, str) else ordered_by[-1][0]


def _logged_model(events: Sequence[Event], name: str) -> Any:
    """The built-in :class:`~metareview.records.active_learning.Model` that a ``ranking_model``
    setting of the log names, under which records were screened; a :class:`RecordsError`
    for a name this version does not know (the log edited by hand, or written by another
    version), naming the setting and when it was made: the paragraph cannot describe that
    model, and no later setting changes what ordered those records.

    >>> from datetime import UTC, datetime
    >>> chose = Event(1, datetime(2026, 3, 2, 9, 30, tzinfo=UTC), "lead", EventKind.SETTING,
    ...               value="ranking_model", data={"value": "bert"})
    >>> _logged_model([chose], "nb").name
    'nb'
    >>> _logged_model([chose], "bert")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    metareview.errors.RecordsError: records were screened in the order of a ranking model 'bert' (set by lead on 2026-03-02 09:30 UTC), which this version of metareview does not know: ...
    """
    from metareview.records.active_learning import MODELS  # (scikit-learn: lazily)

    if name in MODELS:
        return MODELS[name]
    chosen = next(
        (
            e
            for e in events
            if e.kind == EventKind.SETTING
            and e.value == RANKING_SETTING
            and str(e.data.get("value")) == name
        ),
        None,
    )
    when = f" (set by {chosen.actor} on {chosen.at:%Y-%m-%d %H:%M} UTC)" if chosen else ""
    raise RecordsError(
        f"records were screened in the order of a ranking model {name!r}{when}, which this "
        "version of metareview does not know: the methods paragraph cannot describe it, and "
        "no later setting changes what ordered those records; use 'metareview records "
        "methods PROJECT --unprioritised' and write the sentence on the ordering by hand"
    )
