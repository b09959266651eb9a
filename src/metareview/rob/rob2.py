"""RoB 2: the revised Cochrane risk-of-bias tool for randomized trials.

Signalling questions of the five domains (effect of assignment to intervention), the
algorithms that map answers to a proposed judgement per domain, the overall judgement, and
reviewer overrides that keep their justification.

Sources: Sterne JAC, Savović J, Page MJ, et al. RoB 2: a revised tool for assessing risk of
bias in randomised trials. BMJ 2019;366:l4898; Higgins JPT, Savović J, Page MJ, Sterne JAC,
on behalf of the RoB2 Development Group. Revised Cochrane risk-of-bias tool for randomized
trials (RoB 2), full guidance document and cribsheet, 22 August 2019 ("Algorithm for suggested
judgement" per domain; "Overall risk-of-bias judgement" criteria). Domain 1b: Eldridge S,
Campbell MK, Campbell MJ, et al. RoB 2 for cluster-randomized trials (additional
considerations), 2021. The flowcharts are images in those documents; docs/risk-of-bias.md
says what each algorithm was checked against (and that domain 1b is not verified).

>>> a = assess({"1.1": "Y", "1.2": "Y", "1.3": "N", "2.1": "N", "2.2": "N", "2.6": "Y",
...             "3.1": "Y", "4.1": "N", "4.2": "N", "4.3": "N", "5.1": "Y", "5.2": "N",
...             "5.3": "N"}, study="Trial A")
>>> [d.judgement.value for d in a.domains], a.overall.judgement.value
(['Low', 'Low', 'Low', 'Low', 'Low'], 'Low')
>>> a.domains[0].rule
'1.2 = Y → 1.1 = Y → 1.3 = N ⇒ Low'
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from metareview.rob.vocabulary import NO, YES, Answer, Judgement, parse_answer

LOW, SOME, HIGH = Judgement.LOW, Judgement.SOME_CONCERNS, Judgement.HIGH
RESULTS = (LOW, SOME, HIGH)

_FULL = frozenset({Answer.Y, Answer.PY, Answer.PN, Answer.N, Answer.NI})
_WITH_NA = _FULL | {Answer.NA}
_NO_NI = frozenset({Answer.Y, Answer.PY, Answer.PN, Answer.N, Answer.NA})

DOMAINS: dict[str, str] = {
    "D1": "Bias arising from the randomization process",
    "D1b": "Bias arising from the timing of identification or recruitment of participants",
    "D2": "Bias due to deviations from intended interventions (effect of assignment)",
    "D3": "Bias due to missing outcome data",
    "D4": "Bias in measurement of the outcome",
    "D5": "Bias in selection of the reported result",
}
STANDARD_DOMAINS = ("D1", "D2", "D3", "D4", "D5")
CLUSTER_DOMAINS = ("D1", "D1b", "D2", "D3", "D4", "D5")


@dataclass(frozen=True)
class Question:
    """One signalling question: its number, wording, allowed answers and when it is asked."""

    id: str
    text: str
    allowed: frozenset[Answer]
    asked_if: str = ""

    @property
    def domain(self) -> str:
        return "D" + self.id.split(".")[0]

    @property
    def column(self) -> str:
        """The table column holding the answer: ``1.1`` → ``q1_1``, ``1b.2`` → ``q1b_2``."""
        return "q" + self.id.replace(".", "_")


QUESTIONS: tuple[Question, ...] = (
    Question("1.1", "Was the allocation sequence random?", _FULL),
    Question(
        "1.2",
        "Was the allocation sequence concealed until participants were enrolled and assigned "
        "to interventions?",
        _FULL,
    ),
    Question(
        "1.3",
        "Did baseline differences between intervention groups suggest a problem with the "
        "randomization process?",
        _FULL,
    ),
    Question(
        "1b.1",
        "Were all the individual participants identified and recruited (if appropriate) "
        "before randomization of clusters?",
        _FULL,
    ),
    Question(
        "1b.2",
        "Is it likely that selection of individual participants was affected by knowledge of "
        "the intervention assigned to the cluster?",
        _WITH_NA,
        "N/PN/NI to 1b.1",
    ),
    Question(
        "1b.3",
        "Were there baseline imbalances that suggest differential identification or "
        "recruitment of individual participants between intervention groups?",
        _FULL,
    ),
    Question(
        "2.1", "Were participants aware of their assigned intervention during the trial?", _FULL
    ),
    Question(
        "2.2",
        "Were carers and people delivering the interventions aware of participants' assigned "
        "intervention during the trial?",
        _FULL,
    ),
    Question(
        "2.3",
        "Were there deviations from the intended intervention that arose because of the trial "
        "context?",
        _WITH_NA,
        "Y/PY/NI to 2.1 or 2.2",
    ),
    Question(
        "2.4", "Were these deviations likely to have affected the outcome?", _WITH_NA, "Y/PY to 2.3"
    ),
    Question(
        "2.5",
        "Were these deviations from intended intervention balanced between groups?",
        _WITH_NA,
        "Y/PY/NI to 2.4",
    ),
    Question(
        "2.6",
        "Was an appropriate analysis used to estimate the effect of assignment to intervention?",
        _FULL,
    ),
    Question(
        "2.7",
        "Was there potential for a substantial impact (on the result) of the failure to analyse "
        "participants in the group to which they were randomized?",
        _WITH_NA,
        "N/PN/NI to 2.6",
    ),
    Question(
        "3.1",
        "Were data for this outcome available for all, or nearly all, participants randomized?",
        _FULL,
    ),
    Question(
        "3.2",
        "Is there evidence that the result was not biased by missing outcome data?",
        _NO_NI,
        "N/PN/NI to 3.1",
    ),
    Question(
        "3.3", "Could missingness in the outcome depend on its true value?", _WITH_NA, "N/PN to 3.2"
    ),
    Question(
        "3.4",
        "Is it likely that missingness in the outcome depended on its true value?",
        _WITH_NA,
        "Y/PY/NI to 3.3",
    ),
    Question("4.1", "Was the method of measuring the outcome inappropriate?", _FULL),
    Question(
        "4.2",
        "Could measurement or ascertainment of the outcome have differed between intervention "
        "groups?",
        _FULL,
    ),
    Question(
        "4.3",
        "Were outcome assessors aware of the intervention received by study participants?",
        _WITH_NA,
        "N/PN/NI to 4.1 and 4.2",
    ),
    Question(
        "4.4",
        "Could assessment of the outcome have been influenced by knowledge of intervention "
        "received?",
        _WITH_NA,
        "Y/PY/NI to 4.3",
    ),
    Question(
        "4.5",
        "Is it likely that assessment of the outcome was influenced by knowledge of "
        "intervention received?",
        _WITH_NA,
        "Y/PY/NI to 4.4",
    ),
    Question(
        "5.1",
        "Were the data that produced this result analysed in accordance with a pre-specified "
        "analysis plan that was finalized before unblinded outcome data were available?",
        _FULL,
    ),
    Question(
        "5.2",
        "Is the numerical result likely to have been selected, on the basis of the results, from "
        "multiple eligible outcome measurements within the outcome domain?",
        _FULL,
    ),
    Question(
        "5.3",
        "Is the numerical result likely to have been selected, on the basis of the results, from "
        "multiple eligible analyses of the data?",
        _FULL,
    ),
)
QUESTION_BY_ID = {q.id: q for q in QUESTIONS}
QUESTION_BY_COLUMN = {q.column: q for q in QUESTIONS}


class MissingAnswer(ValueError):
    """A question the algorithm reached has no usable answer."""

    def __init__(self, question: Question, got: Answer | None, because: str):
        self.question = question
        self.got = got
        allowed = "/".join(a.value for a in Answer if a in question.allowed and a != Answer.NA)
        self.expected = f"an answer {allowed} to {question.id} ({because})"
        super().__init__(
            f"{question.id}: got {got.value if got else 'blank'}, expected {self.expected}"
        )


class InvalidAnswer(ValueError):
    """An answer that the question does not allow (e.g. NI to 3.2)."""

    def __init__(self, question: Question, got: Answer):
        self.question = question
        self.got = got
        allowed = "/".join(a.value for a in Answer if a in question.allowed)
        self.expected = f"one of {allowed} for question {question.id}"
        super().__init__(f"{question.id}: got {got.value}, expected {self.expected}")


class _Walk:
    """Follows one flowchart, asking questions and recording the path taken."""

    def __init__(self, answers: Mapping[str, Answer | None], domain: str):
        self.answers = answers
        self.domain = domain
        self.steps: list[str] = []

    def ask(self, qid: str, because: str) -> Answer:
        question = QUESTION_BY_ID[qid]
        got = self.answers.get(qid)
        if got is None or got == Answer.NA:
            raise MissingAnswer(question, got, because)
        self.steps.append(f"{qid} = {got.value}")
        return got


@dataclass(frozen=True)
class DomainResult:
    """The judgement of one domain: the algorithm's proposal, the path and any override."""

    domain: str
    proposed: Judgement
    path: tuple[str, ...]
    judgement: Judgement
    justification: str | None = None

    @property
    def overridden(self) -> bool:
        return self.justification is not None

    @property
    def rule(self) -> str:
        """The path through the flowchart that led to the proposal, as text."""
        return " → ".join(self.path) + f" ⇒ {self.proposed.value}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "proposed": self.proposed.value,
            "judgement": self.judgement.value,
            "rule": self.rule,
            "overridden": self.overridden,
            "justification": self.justification,
        }


def _combine(parts: Iterable[Judgement]) -> Judgement:
    parts = list(parts)
    if HIGH in parts:
        return HIGH
    if all(p == LOW for p in parts):
        return LOW
    return SOME


def _domain1(walk: _Walk) -> Judgement:
    a12 = walk.ask("1.2", "always asked")
    if a12 in NO:
        return HIGH
    if a12 == Answer.NI:
        return HIGH if walk.ask("1.3", "1.2 is NI") in YES else SOME
    if walk.ask("1.1", "1.2 is Y/PY") in NO:
        return SOME
    return SOME if walk.ask("1.3", "1.2 is Y/PY and 1.1 is Y/PY/NI") in YES else LOW


def _domain1b(walk: _Walk) -> Judgement:
    if walk.ask("1b.1", "always asked in a cluster-randomized trial") in YES:
        return LOW
    a2 = walk.ask("1b.2", "1b.1 is N/PN/NI")
    if a2 in YES:
        return HIGH
    a3 = walk.ask("1b.3", f"1b.2 is {a2.value}")
    if a2 in NO:
        return SOME if a3 in YES else LOW
    return HIGH if a3 in YES else SOME


def _domain2(walk: _Walk) -> Judgement:
    """Effect of assignment: part 1 (2.1–2.5) and part 2 (2.6–2.7), worst of the two."""
    a21 = walk.ask("2.1", "always asked")
    a22 = walk.ask("2.2", "always asked")
    if a21 in NO and a22 in NO:
        part1 = LOW
    else:
        a23 = walk.ask("2.3", "2.1 or 2.2 is Y/PY/NI")
        if a23 in NO:
            part1 = LOW
        elif a23 == Answer.NI or walk.ask("2.4", "2.3 is Y/PY") in NO:
            part1 = SOME
        else:
            part1 = SOME if walk.ask("2.5", "2.4 is Y/PY/NI") in YES else HIGH
    if walk.ask("2.6", "always asked") in YES:
        part2 = LOW
    else:
        part2 = SOME if walk.ask("2.7", "2.6 is N/PN/NI") in NO else HIGH
    walk.steps.append(f"part 1 {part1.value}, part 2 {part2.value}")
    return _combine((part1, part2))


def _domain3(walk: _Walk) -> Judgement:
    if walk.ask("3.1", "always asked") in YES:
        return LOW
    if walk.ask("3.2", "3.1 is N/PN/NI") in YES:
        return LOW
    if walk.ask("3.3", "3.2 is N/PN") in NO:
        return LOW
    return SOME if walk.ask("3.4", "3.3 is Y/PY/NI") in NO else HIGH


def _domain4(walk: _Walk) -> Judgement:
    if walk.ask("4.1", "always asked") in YES:
        return HIGH
    a42 = walk.ask("4.2", "4.1 is N/PN/NI")
    if a42 in YES:
        return HIGH
    best = LOW if a42 in NO else SOME  # 4.2 NI: at best Some concerns
    if walk.ask("4.3", "4.1 and 4.2 are N/PN/NI") in NO:
        return best
    if walk.ask("4.4", "4.3 is Y/PY/NI") in NO:
        return best
    return SOME if walk.ask("4.5", "4.4 is Y/PY/NI") in NO else HIGH


def _domain5(walk: _Walk) -> Judgement:
    a52 = walk.ask("5.2", "always asked")
    a53 = walk.ask("5.3", "always asked")
    if a52 in YES or a53 in YES:
        return HIGH
    if a52 in NO and a53 in NO:
        return LOW if walk.ask("5.1", "5.2 and 5.3 are N/PN") in YES else SOME
    return SOME


_ALGORITHMS = {
    "D1": _domain1,
    "D1b": _domain1b,
    "D2": _domain2,
    "D3": _domain3,
    "D4": _domain4,
    "D5": _domain5,
}


def judge_domain(domain: str, answers: Mapping[str, object]) -> DomainResult:
    """Propose the judgement of one domain from its signalling answers.

    ``answers`` maps question numbers (``"1.1"``) to answers (codes or words; blank = not
    asked). Raises :class:`MissingAnswer` when the flowchart reaches an unanswered question and
    :class:`InvalidAnswer` for an answer the question does not allow.

    >>> judge_domain("D3", {"3.1": "N", "3.2": "N", "3.3": "PY", "3.4": "PN"}).rule
    '3.1 = N → 3.2 = N → 3.3 = PY → 3.4 = PN ⇒ Some concerns'
    """
    if domain not in _ALGORITHMS:
        raise ValueError(f"domain must be one of {', '.join(_ALGORITHMS)}; got {domain!r}")
    parsed = _parse_answers(answers)
    walk = _Walk(parsed, domain)
    proposed = _ALGORITHMS[domain](walk)
    return DomainResult(domain, proposed, tuple(walk.steps), proposed)


def _parse_answers(answers: Mapping[str, object]) -> dict[str, Answer | None]:
    parsed: dict[str, Answer | None] = {}
    for qid, value in answers.items():
        question = QUESTION_BY_ID.get(qid)
        if question is None:
            raise ValueError(
                f"unknown RoB 2 question {qid!r}; expected one of {', '.join(QUESTION_BY_ID)}"
            )
        answer = parse_answer(value)
        # NA ("not applicable") marks a question the flowchart does not reach, on any question.
        if answer not in (None, Answer.NA) and answer not in question.allowed:
            raise InvalidAnswer(question, answer)
        parsed[qid] = answer
    return parsed


def overall_judgement(
    domains: Iterable[Judgement], *, some_concerns_high_at: int | None = None
) -> DomainResult:
    """The overall judgement from the domain judgements (RoB 2 guidance, "Overall risk of bias").

    Low: low risk in all domains. Some concerns: some concerns in at least one domain and high
    risk in none. High: high risk in at least one domain — or some concerns in multiple domains
    "in a way that substantially lowers confidence in the result", which the guidance leaves to
    the reviewer; ``some_concerns_high_at=k`` makes it a rule (High when k or more domains have
    some concerns), otherwise it is left to an override.

    >>> overall_judgement([LOW, SOME, SOME]).judgement.value
    'Some concerns'
    >>> overall_judgement([LOW, SOME, SOME], some_concerns_high_at=2).rule
    '2 domains Some concerns (rule: ≥ 2 ⇒ High) ⇒ High'
    """
    levels = list(domains)
    for level in levels:
        if level not in RESULTS:
            raise ValueError(f"domain judgements must be Low, Some concerns or High; got {level!r}")
    n_high = levels.count(HIGH)
    n_some = levels.count(SOME)
    if n_high:
        result, step = HIGH, f"{n_high} domain{'s' if n_high > 1 else ''} High"
    elif some_concerns_high_at is not None and n_some >= some_concerns_high_at:
        result = HIGH
        step = f"{n_some} domains Some concerns (rule: ≥ {some_concerns_high_at} ⇒ High)"
    elif n_some:
        result, step = SOME, f"{n_some} domain{'s' if n_some > 1 else ''} Some concerns, none High"
    else:
        result, step = LOW, "all domains Low"
    return DomainResult("Overall", result, (step,), result)


@dataclass(frozen=True)
class Override:
    """A reviewer's judgement replacing the proposed one; the justification is required."""

    domain: str
    judgement: Judgement
    justification: str

    def __post_init__(self) -> None:
        if not self.justification or not self.justification.strip():
            raise ValueError(
                f"an override of {self.domain} to {Judgement(self.judgement).value!r} needs a "
                "justification"
            )
        if Judgement(self.judgement) not in RESULTS:
            raise ValueError(
                f"an override must be Low, Some concerns or High; got {self.judgement!r}"
            )


def _apply(result: DomainResult, override: Override | None) -> DomainResult:
    if override is None:
        return result
    return replace(
        result,
        judgement=Judgement(override.judgement),
        justification=override.justification.strip(),
    )


@dataclass(frozen=True)
class Rob2Assessment:
    """One study's RoB 2 assessment for one result: five (six) domains and the overall."""

    study: str
    domains: tuple[DomainResult, ...]
    overall: DomainResult
    cluster: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def judgements(self) -> dict[str, Judgement]:
        """Final judgements by domain id, then ``Overall``."""
        out = {d.domain: d.judgement for d in self.domains}
        out["Overall"] = self.overall.judgement
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "study": self.study,
            "cluster": self.cluster,
            "domains": [d.to_dict() for d in self.domains],
            "overall": self.overall.to_dict(),
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        lines = [f"RoB 2: {self.study}" + (" (cluster-randomized)" if self.cluster else "")]
        for d in (*self.domains, self.overall):
            line = f"  {d.domain:<8} {d.judgement.value:<14} {d.rule}"
            if d.overridden:
                line += f"; overridden by reviewer: {d.justification}"
            lines.append(line)
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{d.domain}</td><td>{d.judgement.value}</td><td>{html.escape(d.rule)}</td>"
            f"<td>{html.escape(d.justification or '')}</td></tr>"
            for d in (*self.domains, self.overall)
        )
        return (
            f"<table><caption>RoB 2: {html.escape(self.study)}</caption><tr><th>domain</th>"
            f"<th>judgement</th><th>rule</th><th>override</th></tr>{rows}</table>"
        )


def assess(
    answers: Mapping[str, object],
    *,
    study: str = "",
    cluster: bool = False,
    overrides: Iterable[Override] = (),
    some_concerns_high_at: int | None = None,
) -> Rob2Assessment:
    """Assess one result of one trial from its signalling answers.

    ``answers`` maps question numbers (``"1.1"`` … ``"5.3"``, and ``"1b.1"`` … for a
    cluster-randomized trial) to answers; questions the flowchart does not reach may be blank.
    ``overrides`` replace proposed judgements (per domain or ``"Overall"``) and keep their
    justification; the overall is computed from the final domain judgements unless overridden.

    >>> a = assess({"1.1": "Y", "1.2": "NI", "1.3": "N", "2.1": "Y", "2.2": "Y", "2.3": "N",
    ...             "2.6": "Y", "3.1": "Y", "4.1": "N", "4.2": "N", "4.3": "Y", "4.4": "N",
    ...             "5.2": "N", "5.3": "N", "5.1": "N"},
    ...            overrides=[Override("D1", Judgement.LOW, "central randomization per protocol")])
    >>> a.judgements["D1"].value, a.domains[0].proposed.value, a.overall.judgement.value
    ('Low', 'Some concerns', 'Some concerns')
    """
    domain_ids = CLUSTER_DOMAINS if cluster else STANDARD_DOMAINS
    by_domain: dict[str, Override] = {}
    for override in overrides:
        if override.domain not in (*domain_ids, "Overall"):
            raise ValueError(
                f"override domain must be one of {', '.join(domain_ids)}, Overall; got {override.domain!r}"
            )
        by_domain[override.domain] = override
    notes = []
    if not cluster and any(
        k.startswith("1b.") and parse_answer(v) is not None for k, v in answers.items()
    ):
        notes.append("answers to 1b.* ignored: the trial is not marked cluster-randomized")
    results = tuple(
        _apply(judge_domain(d, _domain_answers(answers, d)), by_domain.get(d)) for d in domain_ids
    )
    overall = overall_judgement(
        (r.judgement for r in results), some_concerns_high_at=some_concerns_high_at
    )
    return Rob2Assessment(
        study, results, _apply(overall, by_domain.get("Overall")), cluster, tuple(notes)
    )


def _domain_answers(answers: Mapping[str, object], domain: str) -> dict[str, object]:
    prefix = domain[1:] + "."
    return {k: v for k, v in answers.items() if k.startswith(prefix)}
