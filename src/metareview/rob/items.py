"""The items a reviewer fills in for one risk-of-bias assessment, for RoB 2 and RoB 1.

An assessment is a set of **items** (name → value), checked one at a time as they are typed
and judged by the existing algorithms once enough are in:

- RoB 2 (:mod:`metareview.rob.rob2`): the signalling answers (``"1.1"`` … ``"5.3"``, and
  ``"1b.1"`` … for a cluster trial), ``"cluster"`` (whether the cluster variant applies) and
  one override per domain (``"D1 override"`` … ``"Overall override"``: a judgement and its
  written justification);
- RoB 1 (:mod:`metareview.rob.rob1`): a judgement per domain (``"sequence_generation"`` …,
  Low / Unclear / High), the support for it (``"sequence_generation support"``), and
  ``"likely_biased"`` (the reviewer's AHRQ judgement).

>>> parse_item("rob2", "3.2", "NI")
Traceback (most recent call last):
...
metareview.rob.rob2.InvalidAnswer: 3.2: got NI, expected one of Y/PY/PN/N/NA for question 3.2
>>> statuses, done = assess_items("rob1", "Lee, 2020", {"sequence_generation": "Low"})
>>> statuses[1].waiting, done is None
('a judgement Low, Unclear or High', True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from metareview.rob.rob1 import LEVELS, ROB1, Rob1Assessment, assess_rob1
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
from metareview.rob.vocabulary import Judgement, parse_answer, parse_judgement

TOOLS = ("rob2", "rob1")
OVERRIDE = " override"
SUPPORT = " support"
CLUSTER = "cluster"
LIKELY_BIASED = "likely_biased"
#: What a report shows of an agreed judgement that overrides the RoB 2 proposal (the plan's
#: ``[[rob.override]]`` keys)
OVERRIDE_FIELDS = ("study", "result", "domain", "proposed", "judgement", "justification")


@dataclass(frozen=True)
class DomainStatus:
    """One domain of an assessment in progress: its judgement (``result``: a RoB 2
    ``DomainResult`` or a RoB 1 ``Judgement``), or what it still needs (``waiting``)."""

    domain: str
    result: Any = None
    waiting: str | None = None

    def to_dict(self) -> dict[str, Any]:
        result = self.result
        if result is not None:
            result = result.to_dict() if hasattr(result, "to_dict") else Judgement(result).value
        return {"domain": self.domain, "result": result, "waiting": self.waiting}


def check_tool(tool: str) -> str:
    if tool not in TOOLS:
        raise ValueError(f"risk-of-bias tool must be one of {', '.join(TOOLS)}; got {tool!r}")
    return tool


def parse_item(tool: str, item: str, value: Any) -> Any:
    """An item's value as stored (an answer code, a judgement, ``{"judgement",
    "justification"}``, text or a bool; ``None`` empties it), or a ``ValueError`` saying what
    was expected (:class:`~metareview.rob.rob2.InvalidAnswer` for an answer the question does
    not allow)."""
    if item in (CLUSTER, LIKELY_BIASED) and (tool == "rob2") == (item == CLUSTER):
        if value is not None and not isinstance(value, bool):
            raise ValueError("True or False")
        return value
    if tool == "rob1":
        return _parse_rob1(item, value)
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
        raise ValueError(
            f"a RoB 2 item: a question ({', '.join(QUESTION_BY_ID)}), an override or cluster"
        )
    answer = parse_answer(value)
    if answer is not None and answer.value != "NA" and answer not in question.allowed:
        raise InvalidAnswer(question, answer)
    return None if answer is None else answer.value


def _parse_rob1(item: str, value: Any) -> Any:
    if item.endswith(SUPPORT) and item.removesuffix(SUPPORT) in ROB1.keys:
        text = " ".join(str(value or "").split())
        return text or None
    if item not in ROB1.keys:
        raise ValueError(
            f"a RoB 1 item: a domain ({', '.join(ROB1.keys)}), its support or {LIKELY_BIASED}"
        )
    judgement = parse_judgement(value)
    if judgement is not None and judgement not in LEVELS:
        raise ValueError("a judgement Low, Unclear or High")
    return None if judgement is None else judgement.value


def assess_items(
    tool: str, label: str, items: Mapping[str, Any]
) -> tuple[tuple[DomainStatus, ...], Rob2Assessment | Rob1Assessment | None]:
    """Each domain's status as the items stand, and the assessment once no domain waits."""
    if tool == "rob1":
        statuses = tuple(
            DomainStatus(key, Judgement(items[key]))
            if items.get(key)
            else DomainStatus(key, waiting="a judgement Low, Unclear or High")
            for key in ROB1.keys
        )
        if any(s.waiting for s in statuses):
            return statuses, None
        judgements = {key: items[key] for key in ROB1.keys}
        return statuses, assess_rob1(
            judgements, study=label, likely_biased=items.get(LIKELY_BIASED)
        )
    cluster = bool(items.get(CLUSTER, False))
    answers = {k: v for k, v in items.items() if k in QUESTION_BY_ID}
    found = []
    for domain in CLUSTER_DOMAINS if cluster else STANDARD_DOMAINS:
        own = {k: v for k, v in answers.items() if QUESTION_BY_ID[k].domain == domain}
        try:
            found.append(DomainStatus(domain, judge_domain(domain, own)))
        except MissingAnswer as err:
            found.append(DomainStatus(domain, waiting=err.expected))
    if any(s.waiting for s in found):
        return tuple(found), None
    overrides = [
        Override(k.removesuffix(OVERRIDE), Judgement(v["judgement"]), v["justification"])
        for k, v in items.items()
        if k.endswith(OVERRIDE) and v is not None
    ]
    return tuple(found), assess(answers, study=label, cluster=cluster, overrides=overrides)


def judgements_of(assessment: Rob2Assessment | Rob1Assessment) -> dict[str, str]:
    """Final judgements by domain, then ``Overall`` (and ``AHRQ`` for RoB 1)."""
    if isinstance(assessment, Rob1Assessment):
        out = {k: j.value for k, j in assessment.judgements.items()}
        return out | {"Overall": assessment.overall.value, "AHRQ": assessment.ahrq.rating}
    return {d: j.value for d, j in assessment.judgements.items()}


def details_of(
    assessment: Rob2Assessment | Rob1Assessment, items: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """One row per domain and the overall: the judgement and how it came about (RoB 2: the
    proposal, ``overridden`` and the justification; RoB 1: the support, the AHRQ rule)."""
    if isinstance(assessment, Rob1Assessment):
        rows = [
            {"domain": k, "judgement": j.value, "support": items.get(k + SUPPORT) or ""}
            for k, j in assessment.judgements.items()
        ]
        rows.append(
            {
                "domain": "Overall",
                "judgement": assessment.overall.value,
                "rule": assessment.overall_rule,
            }
        )
        rows.append(
            {"domain": "AHRQ", "judgement": assessment.ahrq.rating, "rule": assessment.ahrq.rule}
        )
        return rows
    return [d.to_dict() for d in (*assessment.domains, assessment.overall)]


def robvis_table(tool: str, assessments: Sequence[Rob2Assessment | Rob1Assessment]) -> RobTable:
    """The judgements of several studies as a :class:`RobTable` (robvis layout).

    >>> a = assess_rob1({k: "Low" for k in ROB1.keys}, study="A")
    >>> robvis_table("rob1", [a]).to_frame().columns.tolist()[:3]
    ['Study', 'D1', 'D2']
    """
    if tool == "rob1":
        return RobTable(
            ROB1.name,
            tuple(f"D{i}" for i in range(1, len(ROB1.keys) + 1)),
            tuple(d.name for d in ROB1.domains),
            tuple(a.study for a in assessments),
            tuple(tuple(a.judgements[k] for k in ROB1.keys) for a in assessments),
            tuple(a.overall for a in assessments),
        )
    domains = tuple(d.domain for d in assessments[0].domains)
    if any(tuple(d.domain for d in a.domains) != domains for a in assessments):
        domains = CLUSTER_DOMAINS  # cluster and individual trials together: D1b not applicable
    return RobTable(
        "RoB 2",
        domains,
        tuple(DOMAINS[d] for d in domains),
        tuple(a.study for a in assessments),
        tuple(
            tuple(a.judgements.get(d, Judgement.NOT_APPLICABLE) for d in domains)
            for a in assessments
        ),
        tuple(a.overall.judgement for a in assessments),
    )
