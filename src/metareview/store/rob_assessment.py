"""Dual independent RoB 2 assessment on a project: signalling answers per study and result,
the judgement the algorithm proposes (:mod:`metareview.rob.rob2`), overrides that need a
written justification, comparison, consensus and the robvis table, kept in the study log.

An assessment belongs to a study and one of its results (e.g. an outcome): its **items** are
the answers to the signalling questions (``"1.1"`` … ``"5.3"``, ``"1b.1"`` … for a cluster
trial), ``"cluster"`` (whether the cluster variant applies) and one override per domain
(``"D1 override"`` … ``"Overall override"``: a judgement and its justification). As for
extraction, no function returns one assessor's items to anyone else until every assessor the
review needs (1 or 2) has submitted that assessment.

>>> from metareview.store.extraction import add_study
>>> project = Project.open("sqlite://")
>>> study = add_study(project, "Lee, 2020", actor="lead").number
>>> answers = {"1.1": "Y", "1.2": "Y", "1.3": "N", "2.1": "N", "2.2": "N", "2.6": "Y",
...            "3.1": "Y", "4.1": "N", "4.2": "N", "4.3": "N", "5.1": "Y", "5.2": "N", "5.3": "N"}
>>> _ = answer(project, study, "hope", answers, assessor="ana")
>>> view = rob_view(project, study, "hope", "ana")
>>> view.assessment.overall.judgement.value
'Low'
>>> _ = answer(project, study, "hope", {}, assessor="ana",
...            overrides={"D3": ("Some concerns", "30% lost to follow-up in one arm")})
>>> rob_view(project, study, "hope", "ana").assessment.judgements["D3"].value
'Some concerns'
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from metareview.errors import DataError, ExtractionError, Problem
from metareview.rob.rob2 import (
    CLUSTER_DOMAINS,
    DOMAINS,
    QUESTION_BY_ID,
    STANDARD_DOMAINS,
    InvalidAnswer,
    MissingAnswer,
    Override,
    Rob2Assessment,
    assess,
    judge_domain,
)
from metareview.rob.table import RobTable
from metareview.rob.vocabulary import Judgement, parse_answer
from metareview.store.extraction import (
    read_studies,
    required_people,
    set_required_people,
    standing,
)
from metareview.store.project import Project
from metareview.store.study_log import (
    NewStudyEvent,
    StudyEvent,
    StudyEventKind,
    append_study_events,
    read_study_events,
)

K = StudyEventKind
ASSESSORS = "rob_assessors"
OVERRIDE = " override"
CLUSTER = "cluster"


def _code(result: str, item: str) -> str:
    return json.dumps(["rob2", result, item], ensure_ascii=False)


def _item(code: str) -> tuple[str, str]:
    _, result, item = json.loads(code)
    return result, item


def set_assessors_required(project: Project, n: int, *, actor: str) -> None:
    """Set 1 or 2 independent assessors per assessment (2 unless set); refused once any
    assessment has begun."""
    who = "assessors per assessment"
    set_required_people(project, ASSESSORS, n, actor=actor, begun=K.ROB_VALUE, who=who)


@dataclass(frozen=True)
class RobProgress:
    """Who has started and who has submitted one assessment; no answers."""

    study: int
    label: str
    result: str
    required: int
    assessors: tuple[str, ...]
    submitted: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return len(self.submitted) >= self.required

    def to_dict(self) -> dict[str, Any]:
        return {
            "study": self.study,
            "label": self.label,
            "result": self.result,
            "assessors": list(self.assessors),
            "submitted": list(self.submitted),
            "complete": self.complete,
        }


def _rows(connection: Connection, study: int, result: str, kinds, actors=None) -> list[StudyEvent]:
    rows = read_study_events(connection, study=study, kinds=kinds, actors=actors)
    return [e for e in rows if _item(e.cell)[0] == result]


def _progress(connection: Connection, study: int, result: str) -> RobProgress:
    found = read_studies(connection).get(study)
    if found is None:
        raise ExtractionError(f"the review has no study {study}")
    if not str(result).strip():
        raise ExtractionError("an assessment is of one result: name it (e.g. the outcome)")
    marks = _rows(connection, study, result, [K.ROB_VALUE, K.ROB_SUBMIT])
    return RobProgress(
        study,
        found.label,
        result,
        required_people(connection, ASSESSORS),
        tuple(dict.fromkeys(e.actor for e in marks if e.kind == K.ROB_VALUE)),
        tuple(dict.fromkeys(e.actor for e in marks if e.kind == K.ROB_SUBMIT)),
    )


def rob_progress(project: Project, study: int, result: str) -> RobProgress:
    """Who has started and who has submitted the assessment of ``result`` in ``study``."""
    with project.engine.connect() as connection:
        return _progress(connection, study, result)


def _checked_items(label: str, result: str, items: Mapping[str, Any]) -> dict[str, Any]:
    """Items as stored (answer codes, ``{"judgement", "justification"}``, a bool), or one
    :class:`DataError` naming every wrong item with the rob module's message."""
    parsed: dict[str, Any] = {}
    problems = []
    for item, value in items.items():
        where = f"{result}: {item}"
        try:
            parsed[item] = _parse_item(item, value)
        except InvalidAnswer as err:
            problems.append(Problem(label, None, where, str(value), err.expected))
        except ValueError as err:
            problems.append(Problem(label, None, where, None, str(err)))
    if problems:
        raise DataError(problems)
    return parsed


def _parse_item(item: str, value: Any) -> Any:
    if item == CLUSTER:
        if not isinstance(value, bool):
            raise ValueError("True or False (whether the cluster variant applies)")
        return value
    if item.endswith(OVERRIDE):
        domain = item.removesuffix(OVERRIDE)
        if domain not in (*CLUSTER_DOMAINS, "Overall"):
            raise ValueError(f"an override of {', '.join(CLUSTER_DOMAINS)} or Overall")
        if value is None:
            return None
        judgement, justification = value
        try:
            override = Override(domain, Judgement(judgement), str(justification or "").strip())
        except ValueError as err:
            raise ValueError(
                f"a judgement Low, Some concerns or High with a written justification ({err})"
            ) from None
        return {"judgement": override.judgement.value, "justification": override.justification}
    question = QUESTION_BY_ID.get(item)
    if question is None:
        raise ValueError(f"a RoB 2 question ({', '.join(QUESTION_BY_ID)})")
    answer = parse_answer(value)
    if answer is not None and answer.value != "NA" and answer not in question.allowed:
        raise InvalidAnswer(question, answer)
    return None if answer is None else answer.value


def answer(
    project: Project,
    study: int,
    result: str,
    answers: Mapping[str, Any],
    *,
    assessor: str,
    overrides: Mapping[str, tuple[str, str] | None] | None = None,
    cluster: bool | None = None,
) -> tuple[StudyEvent, ...]:
    """Record ``assessor``'s answers (``{"1.1": "Y", …}``; blank removes one), overrides
    (``{"D3": (judgement, justification)}``, ``None`` withdraws one; a justification is
    required) and the cluster flag, all checked first: if any is wrong nothing is stored.
    Refused after the assessor submitted, and for a third person."""
    items: dict[str, Any] = dict(answers)
    items |= {f"{domain}{OVERRIDE}": value for domain, value in (overrides or {}).items()}
    if cluster is not None:
        items[CLUSTER] = cluster

    def plan(connection: Connection) -> list[NewStudyEvent]:
        state = _progress(connection, study, result)
        if assessor in state.submitted:
            raise ExtractionError(
                f"{assessor} submitted the assessment of {result!r} in study {study} already"
            )
        if assessor not in state.assessors and len(state.assessors) >= state.required:
            raise ExtractionError(
                f"the assessment of {result!r} in study {study} has its {state.required} "
                f"assessor(s) already: {', '.join(state.assessors)}"
            )
        parsed = _checked_items(state.label, result, items)
        current = _own(connection, study, result, assessor)
        return [
            NewStudyEvent(K.ROB_VALUE, assessor, study=study, cell=_code(result, k), value=v)
            for k, v in parsed.items()
            if current.get(k) != v
        ]

    return append_study_events(project, plan)


def _own(connection: Connection, study: int, result: str, who: str) -> dict[str, Any]:
    rows = _rows(connection, study, result, [K.ROB_VALUE], actors=[who])
    return standing(rows, key=lambda code: _item(code)[1])


@dataclass(frozen=True)
class DomainStatus:
    """One domain of an assessment in progress: its result, or the question it waits for."""

    domain: str
    result: Any = None  #: a DomainResult once the flowchart reaches a judgement
    waiting: str | None = None  #: what the flowchart still needs

    def to_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "result": self.result.to_dict() if self.result else None,
            "waiting": self.waiting,
        }


@dataclass(frozen=True)
class RobView:
    """One person's own items of an assessment, each domain's proposal as answered so far,
    and the whole assessment once every domain has a judgement."""

    progress: RobProgress
    items: dict[str, Any]
    domains: tuple[DomainStatus, ...]
    assessment: Rob2Assessment | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "progress": self.progress.to_dict(),
            "items": dict(self.items),
            "domains": [d.to_dict() for d in self.domains],
            "assessment": self.assessment.to_dict() if self.assessment else None,
        }


def _assess(label: str, items: Mapping[str, Any]) -> tuple[tuple[DomainStatus, ...], Any]:
    """Each domain's status, and the assessment (``None`` while a domain waits)."""
    cluster = bool(items.get(CLUSTER, False))
    answers = {k: v for k, v in items.items() if k in QUESTION_BY_ID}
    statuses = []
    for domain in CLUSTER_DOMAINS if cluster else STANDARD_DOMAINS:
        own = {k: v for k, v in answers.items() if QUESTION_BY_ID[k].domain == domain}
        try:
            statuses.append(DomainStatus(domain, judge_domain(domain, own)))
        except MissingAnswer as err:
            statuses.append(DomainStatus(domain, waiting=f"expected {err.expected}"))
    if any(s.waiting for s in statuses):
        return tuple(statuses), None
    overrides = [
        Override(k.removesuffix(OVERRIDE), Judgement(v["judgement"]), v["justification"])
        for k, v in items.items()
        if k.endswith(OVERRIDE) and v is not None
    ]
    assessment = assess(answers, study=label, cluster=cluster, overrides=overrides)
    return tuple(statuses), assessment


def rob_view(project: Project, study: int, result: str, viewer: str) -> RobView:
    """``viewer``'s own items (never anyone else's: the query reads only theirs) and the
    judgements the algorithm proposes from them, as they stand."""
    with project.engine.connect() as connection:
        state = _progress(connection, study, result)
        items = _own(connection, study, result, viewer)
    domains, assessment = _assess(state.label, items)
    return RobView(state, items, domains, assessment)


def submit_rob(project: Project, study: int, result: str, *, assessor: str) -> StudyEvent:
    """Submit ``assessor``'s assessment; refused while a domain waits for an answer."""

    def plan(connection: Connection) -> list[NewStudyEvent]:
        state = _progress(connection, study, result)
        if assessor in state.submitted:
            raise ExtractionError(f"{assessor} submitted this assessment already")
        if assessor not in state.assessors:
            raise ExtractionError(f"{assessor} has answered nothing of this assessment")
        domains, _ = _assess(state.label, _own(connection, study, result, assessor))
        waiting = [
            Problem(state.label, None, f"{result}: {d.domain}", None, d.waiting[9:])
            for d in domains
            if d.waiting
        ]
        if waiting:
            raise DataError(waiting)
        cell = _code(result, "")
        return [NewStudyEvent(K.ROB_SUBMIT, assessor, study=study, cell=cell)]

    return append_study_events(project, plan)[0]


@dataclass(frozen=True)
class RobComparison:
    """The items that differ between the assessors of a complete assessment (with the agreed
    value, if any), and each assessor's final judgements."""

    progress: RobProgress
    differences: tuple[tuple[str, dict[str, Any], bool, Any], ...]  #: item, values, agreed, value
    judgements: dict[str, dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "progress": self.progress.to_dict(),
            "differences": [
                {"item": i, "values": v, "agreed": a, "agreed_value": av}
                for i, v, a, av in self.differences
            ],
            "judgements": self.judgements,
        }


def _comparison(connection: Connection, study: int, result: str):
    state = _progress(connection, study, result)
    if not state.complete:
        raise ExtractionError(
            f"the assessment of {result!r} in study {study} ({state.label}) is not complete: "
            f"{len(state.submitted)} of {state.required} assessors submitted it; answers stay "
            "blinded until all have"
        )
    rows = _rows(connection, study, result, [K.ROB_VALUE, K.ROB_CONSENSUS])
    by = {
        who: standing(
            [e for e in rows if e.kind == K.ROB_VALUE and e.actor == who],
            key=lambda code: _item(code)[1],
        )
        for who in state.submitted
    }
    consensus = {_item(e.cell)[1]: e.value for e in rows if e.kind == K.ROB_CONSENSUS}
    items = list(dict.fromkeys(i for values in by.values() for i in values))
    items += [i for i in consensus if i not in items]
    differences, agreed = [], {}
    for item in items:
        given = {who: values.get(item) for who, values in by.items()}
        same = len({json.dumps(v, sort_keys=True) for v in given.values()}) == 1
        if not same:
            differences.append((item, given, item in consensus, consensus.get(item)))
        if item in consensus:
            agreed[item] = consensus[item]
        elif same:
            agreed[item] = next(iter(given.values()))
    judgements = {}
    for who, values in by.items():
        assessment = _assess(state.label, values)[1]
        judgements[who] = {d: j.value for d, j in assessment.judgements.items()}
    return RobComparison(state, tuple(differences), judgements), agreed


def compare_rob(project: Project, study: int, result: str) -> RobComparison:
    """Every item that differs between the assessors (refused until all have submitted)."""
    with project.engine.connect() as connection:
        return _comparison(connection, study, result)[0]


def agree_rob(
    project: Project,
    study: int,
    result: str,
    item: str,
    value: Any,
    *,
    actor: str,
    agreed_by: Sequence[str] = (),
    note: str = "",
) -> StudyEvent:
    """Record the agreed value of one item of a complete assessment (an answer, an override
    with its justification, or the cluster flag), who recorded it and who agreed it."""

    def plan(connection: Connection) -> list[NewStudyEvent]:
        state = _comparison(connection, study, result)[0].progress
        parsed = _checked_items(state.label, result, {item: value})[item]
        data = {"agreed_by": list(agreed_by) or [actor], "note": note.strip()}
        cell = _code(result, item)
        return [
            NewStudyEvent(K.ROB_CONSENSUS, actor, study=study, cell=cell, value=parsed, data=data)
        ]

    return append_study_events(project, plan)[0]


@dataclass(frozen=True)
class AgreedRob:
    """The agreed assessment (``None`` while items differ without consensus: ``unresolved``)."""

    progress: RobProgress
    assessment: Rob2Assessment | None
    unresolved: tuple[str, ...]


def agreed_rob(project: Project, study: int, result: str) -> AgreedRob:
    """The assessment from the agreed items (refused until complete)."""
    with project.engine.connect() as connection:
        comparison, agreed = _comparison(connection, study, result)
    unresolved = tuple(i for i, _, done, _ in comparison.differences if not done)
    if unresolved:
        return AgreedRob(comparison.progress, None, unresolved)
    items = {k: v for k, v in agreed.items() if v is not None}
    return AgreedRob(comparison.progress, _assess(comparison.progress.label, items)[1], ())


@dataclass(frozen=True)
class RobExport:
    """The agreed judgements of one result over the studies, robvis-ready (``table``), the
    details with every override flagged (``details``), and the studies left out with why."""

    table: RobTable | None
    details: pd.DataFrame
    left_out: dict[str, str]


def rob_export(project: Project, result: str) -> RobExport:
    """The agreed RoB 2 judgements of ``result`` in every study assessed for it: a robvis
    table (:meth:`RobTable.to_robvis_csv`), and per domain the proposal, the judgement and,
    where a reviewer overrode the proposal, ``overridden`` with the justification."""
    with project.engine.connect() as connection:
        numbers = sorted(
            {
                e.study
                for e in read_study_events(connection, kinds=[K.ROB_VALUE])
                if _item(e.cell)[0] == result
            }
        )
    assessments, left_out, details = [], {}, []
    for number in numbers:
        state = rob_progress(project, number, result)
        if not state.complete:
            left_out[state.label] = (
                f"not complete: {len(state.submitted)} of {state.required} assessors submitted it"
            )
            continue
        agreed = agreed_rob(project, number, result)
        if agreed.assessment is None:
            left_out[state.label] = (
                f"items differ without a consensus: {', '.join(agreed.unresolved)}"
            )
            continue
        assessments.append(agreed.assessment)
        for d in (*agreed.assessment.domains, agreed.assessment.overall):
            details.append({"study": state.label, "result": result, **d.to_dict()})
    table = None
    if assessments:
        domains = tuple(d.domain for d in assessments[0].domains)
        if any(tuple(d.domain for d in a.domains) != domains for a in assessments):
            domains = CLUSTER_DOMAINS  # a mix of cluster and individual trials: D1b blank
        table = RobTable(
            "RoB 2",
            domains,
            tuple(DOMAINS[d] for d in domains),
            tuple(a.study for a in assessments),
            tuple(tuple(_judgement(a, d) for d in domains) for a in assessments),
            tuple(a.overall.judgement for a in assessments),
        )
    return RobExport(table, pd.DataFrame(details), left_out)


def _judgement(assessment: Rob2Assessment, domain: str) -> Judgement:
    return assessment.judgements.get(domain, Judgement.NOT_APPLICABLE)
