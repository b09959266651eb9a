"""Dual independent risk-of-bias assessment on a project (RoB 2, or RoB 1 with the AHRQ
rating): items per study and result checked by :mod:`metareview.rob`'s rules, the judgement
the algorithm proposes as the items come in, overrides that need a written justification,
comparison, consensus and the robvis table, kept in the study log.

An assessment belongs to a study and one of its results (e.g. an outcome); its items are those
of :mod:`metareview.rob.items` for the review's tool (``set_rob_tool``; RoB 2 unless set). As
for extraction, no function returns one assessor's items to anyone else until every assessor
the review needs (1 or 2) has submitted that assessment.

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
from metareview.rob.items import (
    OVERRIDE,
    DomainStatus,
    assess_items,
    check_tool,
    details_of,
    judgements_of,
    parse_item,
    robvis_table,
)
from metareview.rob.rob1 import Rob1Assessment
from metareview.rob.rob2 import InvalidAnswer, Rob2Assessment
from metareview.rob.table import RobTable
from metareview.stats.result_base import document
from metareview.store.extraction import (
    Submissions,
    read_studies,
    required_people,
    set_required_people,
    settle,
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
TOOL = "rob_tool"


def _code(result: str, item: str) -> str:
    return json.dumps(["rob", result, item], ensure_ascii=False)


def _item(code: str) -> tuple[str, str]:
    _, result, item = json.loads(code)
    return result, item


def set_assessors_required(project: Project, n: int, *, actor: str) -> None:
    """Set 1 or 2 independent assessors per assessment (2 unless set); refused once any
    assessment has begun."""
    who = "assessors per assessment"
    set_required_people(project, ASSESSORS, n, actor=actor, begun=K.ROB_VALUE, who=who)


def _tool(connection: Connection) -> str:
    tool = "rob2"
    for e in read_study_events(connection, kinds=[K.SETTING]):
        if e.cell == TOOL:
            tool = e.value
    return tool


def rob_tool(project: Project) -> str:
    """The review's risk-of-bias tool: ``rob2`` (unless set) or ``rob1``."""
    with project.engine.connect() as connection:
        return _tool(connection)


def set_rob_tool(project: Project, tool: str, *, actor: str) -> None:
    """Use RoB 2 (``rob2``) or the original Cochrane tool (``rob1``, with the AHRQ rating);
    refused once any assessment has begun.

    >>> project = Project.open("sqlite://")
    >>> set_rob_tool(project, "rob1", actor="lead"); rob_tool(project)
    'rob1'
    """
    try:
        check_tool(tool)
    except ValueError as err:
        raise ExtractionError(str(err)) from None

    def plan(connection: Connection) -> list[NewStudyEvent]:
        if read_study_events(connection, kinds=[K.ROB_VALUE]):
            raise ExtractionError("assessment has begun: the tool can no longer change")
        return [NewStudyEvent(K.SETTING, actor, cell=TOOL, value=tool)]

    append_study_events(project, plan)


@dataclass(frozen=True)
class RobProgress(Submissions):
    """Who has started and who has submitted one assessment; no answers."""

    study: int
    label: str
    result: str
    tool: str
    required: int
    assessors: tuple[str, ...]
    submitted: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        listed = {"assessors": list(self.assessors), "submitted": list(self.submitted)}
        return {**document(self, drop=("required",), **listed), "complete": self.complete}


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
        _tool(connection),
        required_people(connection, ASSESSORS),
        tuple(dict.fromkeys(e.actor for e in marks if e.kind == K.ROB_VALUE)),
        tuple(dict.fromkeys(e.actor for e in marks if e.kind == K.ROB_SUBMIT)),
    )


def rob_progress(project: Project, study: int, result: str) -> RobProgress:
    """Who has started and who has submitted the assessment of ``result`` in ``study``."""
    with project.engine.connect() as connection:
        return _progress(connection, study, result)


def rob_assessments(project: Project) -> tuple[RobProgress, ...]:
    """The progress of every assessment begun (who started, who submitted; no answers), by
    study then result, from one read of the log.

    >>> from metareview.store.extraction import add_study
    >>> project = Project.open("sqlite://")
    >>> study = add_study(project, "Lee, 2020", actor="lead").number
    >>> _ = answer(project, study, "hope", {"1.1": "Y"}, assessor="ana")
    >>> [(p.label, p.result, p.assessors) for p in rob_assessments(project)]
    [('Lee, 2020', 'hope', ('ana',))]
    """
    with project.engine.connect() as connection:
        found = read_studies(connection)
        tool, required = _tool(connection), required_people(connection, ASSESSORS)
        started: dict[tuple[int, str], dict[str, list[str]]] = {}
        for e in read_study_events(connection, kinds=[K.ROB_VALUE, K.ROB_SUBMIT]):
            who = started.setdefault((e.study, _item(e.cell)[0]), {"value": [], "submit": []})
            who["value" if e.kind == K.ROB_VALUE else "submit"].append(e.actor)
    return tuple(
        RobProgress(
            study,
            found[study].label,
            result,
            tool,
            required,
            tuple(dict.fromkeys(who["value"])),
            tuple(dict.fromkeys(who["submit"])),
        )
        for (study, result), who in sorted(started.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    )


def cluster_design(project: Project, study: int, viewer: str) -> bool:
    """Whether the study's extraction says it is cluster-randomised (its ``design`` names a
    cluster trial, or it gives an ICC or a cluster size): from the agreed values once the
    extraction is complete, before that from ``viewer``'s own values only (blinding).

    >>> from metareview.data.form import Cell
    >>> from metareview.store.extraction import add_study, enter
    >>> project = Project.open("sqlite://")
    >>> study = add_study(project, "Lee, 2020", actor="lead").number
    >>> _ = enter(project, study, {Cell("design"): "Cluster RCT"}, extractor="ana")
    >>> cluster_design(project, study, "ana"), cluster_design(project, study, "ben")
    (True, False)
    """
    from metareview.store.extraction import agreed_values, progress, values_for

    if progress(project, study).complete:
        values = agreed_values(project, study).values
    else:
        values = values_for(project, study, viewer)
    for cell, value in values.items():
        if cell.field in ("icc", "cluster_size") and value is not None:
            return True
        if cell.field == "design" and "cluster" in str(value or "").lower():
            return True
    return False


def _checked_items(state: RobProgress, items: Mapping[str, Any]) -> dict[str, Any]:
    """Items as stored, or one :class:`DataError` naming every wrong item with the rob
    module's message."""
    parsed: dict[str, Any] = {}
    problems = []
    for item, value in items.items():
        where = f"{state.result}: {item}"
        try:
            parsed[item] = parse_item(state.tool, item, value)
        except InvalidAnswer as err:
            problems.append(Problem(state.label, None, where, str(value), err.expected))
        except ValueError as err:
            problems.append(Problem(state.label, None, where, None, str(err)))
    if problems:
        raise DataError(problems)
    return parsed


def answer(
    project: Project,
    study: int,
    result: str,
    answers: Mapping[str, Any],
    *,
    assessor: str,
    overrides: Mapping[str, tuple[str, str] | None] | None = None,
) -> tuple[StudyEvent, ...]:
    """Record ``assessor``'s items (RoB 2: ``{"1.1": "Y", "cluster": True, …}``; RoB 1:
    ``{"sequence_generation": "Low", "sequence_generation support": "…", …}``; blank removes
    one) and RoB 2 overrides (``{"D3": (judgement, justification)}``, ``None`` withdraws one;
    a justification is required), all checked first: if any is wrong nothing is stored.
    Refused after the assessor submitted, and for a third person."""
    items: dict[str, Any] = dict(answers)
    items |= {f"{domain}{OVERRIDE}": value for domain, value in (overrides or {}).items()}

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
        parsed = _checked_items(state, items)
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
class RobView:
    """One person's own items of an assessment, each domain's proposal as answered so far,
    and the whole assessment once every domain has a judgement."""

    progress: RobProgress
    items: dict[str, Any]
    domains: tuple[DomainStatus, ...]
    assessment: Rob2Assessment | Rob1Assessment | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "progress": self.progress.to_dict(),
            "items": dict(self.items),
            "domains": [d.to_dict() for d in self.domains],
            "assessment": self.assessment.to_dict() if self.assessment else None,
        }


def rob_view(project: Project, study: int, result: str, viewer: str) -> RobView:
    """``viewer``'s own items (never anyone else's: the query reads only theirs) and the
    judgements the algorithm proposes from them, as they stand."""
    with project.engine.connect() as connection:
        state = _progress(connection, study, result)
        items = _own(connection, study, result, viewer)
    domains, assessment = assess_items(state.tool, state.label, items)
    return RobView(state, items, domains, assessment)


def submit_rob(project: Project, study: int, result: str, *, assessor: str) -> StudyEvent:
    """Submit ``assessor``'s assessment; refused while a domain waits for an answer."""

    def plan(connection: Connection) -> list[NewStudyEvent]:
        state = _progress(connection, study, result)
        if assessor in state.submitted:
            raise ExtractionError(f"{assessor} submitted this assessment already")
        if assessor not in state.assessors:
            raise ExtractionError(f"{assessor} has answered nothing of this assessment")
        own = _own(connection, study, result, assessor)
        domains, _ = assess_items(state.tool, state.label, own)
        waiting = [
            Problem(state.label, None, f"{result}: {d.domain}", None, d.waiting)
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
    by, differences, agreed = settle(
        rows,
        state.submitted,
        (K.ROB_VALUE, K.ROB_CONSENSUS),
        key=lambda code: _item(code)[1],
        fingerprint=lambda value: json.dumps(value, sort_keys=True),
    )
    judgements = {
        who: judgements_of(assess_items(state.tool, state.label, values)[1])
        for who, values in by.items()
    }
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
        parsed = _checked_items(state, {item: value})[item]
        data = {"agreed_by": list(agreed_by) or [actor], "note": note.strip()}
        cell = _code(result, item)
        return [
            NewStudyEvent(K.ROB_CONSENSUS, actor, study=study, cell=cell, value=parsed, data=data)
        ]

    return append_study_events(project, plan)[0]


def rob_consensus(project: Project, study: int, result: str) -> tuple[StudyEvent, ...]:
    """The consensus recorded on a complete assessment, oldest first: each row's item
    (``cell``), agreed value, who recorded it (``actor``) and when (``at``), and who agreed it
    (``data["agreed_by"]``); refused until every assessor has submitted."""
    with project.engine.connect() as connection:
        _comparison(connection, study, result)
        return tuple(_rows(connection, study, result, [K.ROB_CONSENSUS]))


def item_of(event: StudyEvent) -> str:
    """The item a risk-of-bias row is about (``"1.1"``, ``"D3 override"`` …)."""
    return _item(event.cell)[1]


@dataclass(frozen=True)
class AgreedRob:
    """The agreed assessment (``None`` while items differ without consensus: ``unresolved``)
    and the agreed items it comes from."""

    progress: RobProgress
    assessment: Rob2Assessment | Rob1Assessment | None
    unresolved: tuple[str, ...]
    items: dict[str, Any]


def agreed_rob(project: Project, study: int, result: str) -> AgreedRob:
    """The assessment from the agreed items (refused until complete)."""
    with project.engine.connect() as connection:
        comparison, agreed = _comparison(connection, study, result)
    unresolved = tuple(i for i, _, done, _ in comparison.differences if not done)
    if unresolved:
        return AgreedRob(comparison.progress, None, unresolved, agreed)
    items = {k: v for k, v in agreed.items() if v is not None}
    state = comparison.progress
    return AgreedRob(state, assess_items(state.tool, state.label, items)[1], (), items)


@dataclass(frozen=True)
class RobExport:
    """The agreed judgements of one result over the studies, robvis-ready (``table``, ``None``
    when no assessment is agreed yet), the details (``details``: RoB 2 overrides flagged with
    their justification; RoB 1 support and AHRQ rule), and the studies left out with why."""

    table: RobTable | None
    details: pd.DataFrame
    left_out: dict[str, str]


def rob_export(project: Project, result: str) -> RobExport:
    """The agreed judgements of ``result`` in every study assessed for it: a robvis table
    (:meth:`RobTable.to_robvis_csv`) and the details of each domain (for RoB 2 the proposal,
    the judgement and, where a reviewer overrode the proposal, ``overridden`` with the
    justification)."""
    with project.engine.connect() as connection:
        tool = _tool(connection)
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
        for row in details_of(agreed.assessment, agreed.items):
            details.append({"study": state.label, "result": result, **row})
    table = robvis_table(tool, assessments) if assessments else None
    return RobExport(table, pd.DataFrame(details), left_out)
