"""The reviewers' GRADE decisions, kept in the study log: for one outcome (or every outcome) and
one GRADE domain, the rating the reviewers settle on (0, −1 or −2 levels, which may confirm,
lower or raise the proposed one; or a reason to rate up, +1 or +2) with the reason that the summary-of-findings table prints as
its footnote, who decided and when.

Nothing is changed in place: a new decision on the same outcome and domain is a newer row, and
a withdrawal (back to the proposed rating) is a row too, so :func:`decision_history` shows every
step. :func:`plan_entries` gives the standing decisions as the plan's ``[[grade.decision]]``
entries, which :func:`metareview.plan.grade_review.with_decisions` adds to a plan so the next
analysis run rates the outcomes with them.

>>> project = Project.open("sqlite://")
>>> _ = decide(project, "Depression", "indirectness", -1, "only inpatients", actor="lena")
>>> _ = decide(project, None, "publication bias", 0, "registry search found none", actor="rita")
>>> plan_entries(project)[1]
{'domain': 'indirectness', 'levels': -1, 'footnote': 'only inpatients', 'outcome': 'Depression'}
>>> _ = withdraw(project, "Depression", "indirectness", actor="lena", reason="the question changed")
>>> [d.domain for d in grade_decisions(project)]
['publication bias']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from metareview.errors import PlanError
from metareview.rob.grade import (
    DOMAINS,
    GRADE_OUTCOME,
    ROB_OVERALL,
    UPGRADES,
    GradeDecision,
    GradeInputs,
)
from metareview.store.project import Project
from metareview.store.study_log import (
    NewStudyEvent,
    StudyEvent,
    StudyEventKind,
    append_study_events,
    study_events_of,
)
from metareview.store.times import StoredDocument

K = StudyEventKind
EVERY_OUTCOME = ""  #: the outcome of a decision that applies to every outcome
MAX_OUTCOME, MAX_REASON = 300, 2000


@dataclass(frozen=True)
class DecisionRecord(StoredDocument):
    """One stored GRADE decision (``levels`` ``None``: a withdrawal) with who made it, when,
    and its reason."""

    outcome: str | None
    domain: str
    levels: int | None
    reason: str
    actor: str
    at: datetime


def _cell(outcome: str | None, domain: str) -> str:
    return json.dumps(["grade", outcome or EVERY_OUTCOME, domain], ensure_ascii=False)


def _outcome(outcome: str | None) -> str | None:
    text = " ".join(str(outcome or "").split())
    if len(text) > MAX_OUTCOME:
        raise PlanError(f"an outcome name has at most {MAX_OUTCOME} characters")
    return text or None


def decide(
    project: Project, outcome: str | None, domain: str, levels: int, reason: str, *, actor: str
) -> StudyEvent:
    """Record the reviewers' rating of ``domain`` for ``outcome`` (``None``: every outcome):
    0, −1 or −2 levels, with the reason (required: it becomes the table's footnote).

    >>> decide(Project.open("sqlite://"), "Pain", "imprecision", -1, " ", actor="lena")
    Traceback (most recent call last):
    ...
    metareview.errors.PlanError: a decision on imprecision needs a footnote explaining it
    """
    reason = " ".join(str(reason or "").split())
    try:
        GradeDecision(domain, levels, reason)
    except ValueError as err:
        raise PlanError(str(err)) from None
    if len(reason) > MAX_REASON:
        raise PlanError(f"a reason has at most {MAX_REASON} characters")
    cell = _cell(_outcome(outcome), domain)
    new = NewStudyEvent(K.GRADE_DECISION, actor, cell=cell, value=int(levels), reason=reason)
    return append_study_events(project, lambda connection: [new])[0]


def withdraw(
    project: Project, outcome: str | None, domain: str, *, actor: str, reason: str = ""
) -> StudyEvent:
    """Withdraw the standing decision on ``domain`` for ``outcome`` (the proposal applies
    again); refused when there is none."""
    outcome = _outcome(outcome)
    standing = {(d.outcome, d.domain) for d in grade_decisions(project)}
    if (outcome, domain) not in standing:
        where = f"for {outcome!r}" if outcome else "for every outcome"
        raise PlanError(f"there is no decision on {domain} {where} to withdraw")
    cell = _cell(outcome, domain)
    text = " ".join(reason.split())[:MAX_REASON] or "withdrawn"
    new = NewStudyEvent(K.GRADE_DECISION, actor, cell=cell, value=None, reason=text)
    return append_study_events(project, lambda connection: [new])[0]


def decision_history(project: Project) -> tuple[DecisionRecord, ...]:
    """Every decision and withdrawal, oldest first."""
    out = []
    for e in study_events_of(project, kinds=[K.GRADE_DECISION]):
        _, outcome, domain = json.loads(e.cell)
        out.append(DecisionRecord(outcome or None, domain, e.value, e.reason or "", e.actor, e.at))
    return tuple(out)


def grade_decisions(project: Project) -> tuple[DecisionRecord, ...]:
    """The standing decisions (the latest per outcome and domain, withdrawals left out), in
    the order of the domains, every-outcome decisions first."""
    latest: dict[tuple[str | None, str], DecisionRecord] = {}
    for record in decision_history(project):
        latest[(record.outcome, record.domain)] = record
    standing = [r for r in latest.values() if r.levels is not None]
    return tuple(
        sorted(
            standing,
            key=lambda r: (
                r.outcome is not None,
                r.outcome or "",
                [*DOMAINS, *UPGRADES].index(r.domain),
            ),
        )
    )


def plan_entries(project: Project) -> list[dict[str, Any]]:
    """The standing decisions as the plan's ``[[grade.decision]]`` entries (``outcome`` left
    out for a decision on every outcome)."""
    entries = []
    for r in grade_decisions(project):
        entry: dict[str, Any] = {"domain": r.domain, "levels": r.levels, "footnote": r.reason}
        if r.outcome is not None:
            entry["outcome"] = r.outcome
        entries.append(entry)
    return entries


def decision_pairs(project: Project) -> list[tuple[str | None, GradeDecision]]:
    """The standing decisions as :func:`metareview.plan.grading.grade_table` takes them:
    (outcome or ``None`` for every outcome, decision)."""
    return [
        (r.outcome, GradeDecision(r.domain, r.levels, r.reason)) for r in grade_decisions(project)
    ]


def graded_frame(project: Project) -> GradeInputs:
    """What GRADE rates before any analysis run: the agreed extraction table with each row's
    outcome and time point (``grade_outcome``: ``"Depression, post"``) and the agreed overall
    risk-of-bias judgement of its study for that outcome (``rob_overall``: the assessment of the
    result named ``"Depression, post"``, or else ``"Depression"``).

    >>> inputs = graded_frame(Project.open("sqlite://"))
    >>> len(inputs.frame), inputs.left_out, inputs.unjudged
    (0, {}, ())
    """
    from metareview.store.extraction_export import agreed_table
    from metareview.store.rob_assessment import rob_assessments, rob_export

    table = agreed_table(project)
    frame = table.frame.copy()
    if frame.empty:
        return GradeInputs(frame, dict(table.left_out), ())
    judged: dict[tuple[str, str], str] = {}
    for result in dict.fromkeys(p.result for p in rob_assessments(project)):
        export = rob_export(project, result)
        if export.table is not None:
            for study, overall in zip(export.table.studies, export.table.overall, strict=True):
                judged[(study, result.casefold())] = overall.value
    times = frame["time"].fillna("").astype(str) if "time" in frame else ""
    frame[GRADE_OUTCOME] = (frame["outcome"].astype(str) + ", " + times).str.rstrip(", ")
    overall = [
        judged.get((study, named.casefold()), judged.get((study, outcome.casefold())))
        for study, named, outcome in zip(
            frame["study"].astype(str),
            frame[GRADE_OUTCOME],
            frame["outcome"].astype(str),
            strict=True,
        )
    ]
    unjudged = tuple(
        dict.fromkeys(
            f"{study}: {named}"
            for study, named, found in zip(
                frame["study"], frame[GRADE_OUTCOME], overall, strict=True
            )
            if found is None
        )
    )
    if not unjudged:
        frame[ROB_OVERALL] = overall
    return GradeInputs(frame, dict(table.left_out), unjudged)
