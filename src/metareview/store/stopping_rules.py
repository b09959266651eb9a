"""Stopping rules on a live project: what each rule says about a stage screened so far."""

from __future__ import annotations

from metareview.records.screening import screening_sequence
from metareview.records.stopping_rules import RandomSample, StoppingAdvice, all_rules
from metareview.store.project import Project
from metareview.store.review import eligible, stage_state


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
