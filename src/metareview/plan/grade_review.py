"""GRADE for a whole review: the certainty of each main analysis (and pooled specific outcome)
of a :class:`~metareview.plan.results.ReviewResults`, under the plan's ``[grade]`` section.

The inputs come from what the runner stored for each analysis: the headline pooled estimate
and its CI, I² and the prediction interval, the Egger test the preset's software reports and
trim-and-fill (when run), the studies' weights with their overall risk-of-bias judgements
(``[rob] column``) for the share of weight at high risk, and the participants of the rows.
Reviewer decisions (``[[grade.decision]]``) confirm or override a domain with a footnote; the
most specific wins: one naming the analysis title over one naming its category, over one for
every outcome.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from metareview.errors import PlanError
from metareview.plan.appended import appended_tables
from metareview.plan.plan import Plan
from metareview.plan.results import AnalysisRecord, ReviewResults
from metareview.rob.grade import (
    GradeAssessment,
    GradeDecision,
    GradeRules,
    OutcomeEvidence,
    grade,
    unmatched_decisions,
)
from metareview.rob.sof import control_risk_in, high_risk_weight, overall_rob_in, participants_count
from metareview.stats.presets import get_preset
from metareview.stats.vocabulary import MEASURE_FAMILY

_RULE_KEYS = ("mid", "rob_serious", "i2_serious", "i2_very_serious")


@dataclass(frozen=True)
class GradeConfig:
    """The plan's ``[grade]`` section, with defaults."""

    enabled: bool = True
    specific_outcomes: bool = True
    design: str = "RCT"
    rules: GradeRules = field(default_factory=GradeRules)
    decisions: tuple[tuple[str | None, GradeDecision], ...] = ()

    @classmethod
    def from_plan(cls, plan: dict[str, Any]) -> GradeConfig:
        """From a plan document (``Plan.to_dict()`` or ``ReviewResults.plan``)."""
        section = plan.get("grade", {})
        rules = GradeRules(**{k: section[k] for k in _RULE_KEYS if k in section})
        decisions = tuple(
            (d.get("outcome"), GradeDecision(d["domain"], d["levels"], d["footnote"]))
            for d in section.get("decision", [])
        )
        return cls(
            enabled=section.get("enabled", True),
            specific_outcomes=section.get("specific_outcomes", True),
            design=section.get("design", "RCT"),
            rules=rules,
            decisions=decisions,
        )


def graded_records(results: ReviewResults, config: GradeConfig) -> list[AnalysisRecord]:
    """The analyses rated: main analyses that were run (and specific outcomes if asked)."""
    roles = ("main", "specific") if config.specific_outcomes else ("main",)
    return [r for r in results.analyses if r.ok and r.tree.spec.role in roles]


def evidence_from_record(
    record: AnalysisRecord, *, rob_column: str, design: str = "RCT"
) -> OutcomeEvidence:
    """The GRADE inputs of one analysis the runner stored (see the module docstring)."""
    tree = record.tree
    result = tree.fit  # RevMan's M-H, Random when the report shows it
    measure = result.measure or "SMD"
    if measure not in MEASURE_FAMILY:
        raise PlanError(f"{tree.spec.title}: GRADE cannot rate a {measure} analysis")
    headline, random = result.pooled(record.model), result.random
    rows = pd.DataFrame(record.input)
    rows.index = [
        entry["rows"][0] if entry.get("rows") else i for i, entry in enumerate(record.input)
    ]
    share = None
    if rob_column in rows.columns:
        overall = overall_rob_in(rows, rob_column, "the extraction table")
        studies = [str(s.study) for s in result.studies]
        share = high_risk_weight(studies, result.weights(record.model), overall or {})
    small = result.small_study
    extra: dict[str, Any] = {}
    if small is not None and small.run:
        variant = get_preset(result.preset).egger_variant
        egger = small.egger_rma if variant == "rma" else small.egger
        extra["egger_p"] = None if egger is None else egger.pvalue
        filled = small.trim_and_fill
        if filled:
            extra["trimfill_k0"] = filled.k0
            extra["trimfill_ci"] = (filled.ci_lower, filled.ci_upper)
    k = int(result.k)
    participants, incomplete = participants_count(rows)
    return OutcomeEvidence(
        tree.spec.title,
        measure,
        k=k,
        participants=participants,
        participants_incomplete=incomplete,
        estimate=headline.estimate,
        ci_lower=headline.ci_lower,
        ci_upper=headline.ci_upper,
        i2=result.heterogeneity.i2 if k > 1 else None,
        pi_lower=random.pi_lower,
        pi_upper=random.pi_upper,
        high_risk_weight=share,
        level=result.ci_level,
        control_risk=control_risk_in(rows),
        design=design,
        **extra,
    )


def _decisions_for(record: AnalysisRecord, config: GradeConfig) -> list[GradeDecision]:
    """The reviewer decisions that apply to ``record``, the most specific per domain."""
    rank = {None: 0, record.tree.spec.group: 1, record.tree.spec.title: 2}
    chosen: dict[str, tuple[int, GradeDecision]] = {}
    for target, decision in config.decisions:
        if target not in rank:
            continue
        level = rank[target]
        if decision.domain not in chosen or chosen[decision.domain][0] <= level:
            chosen[decision.domain] = (level, decision)
    return [decision for _, decision in chosen.values()]


def assess_review(results: ReviewResults) -> tuple[GradeAssessment, ...]:
    """GRADE every rated analysis of ``results`` under its plan's ``[grade]`` section (none
    when ``enabled = false``). A decision naming no rated analysis applies to none: the run
    goes on, and :func:`unapplied_decisions` names it.
    """
    config = GradeConfig.from_plan(results.plan)
    if not config.enabled:
        return ()
    rob_column = results.typed_plan.rob_column
    records = graded_records(results, config)
    return tuple(
        grade(
            evidence_from_record(r, rob_column=rob_column, design=config.design),
            _decisions_for(r, config),
            rules=config.rules,
        )
        for r in records
    )


def unapplied_decisions(results: ReviewResults) -> tuple[str, ...]:
    """A warning for each ``[[grade.decision]]`` of the plan whose ``outcome`` names no
    analysis GRADE rated in ``results`` (e.g. a decision the reviewers recorded for an outcome
    the plan no longer has): it was not applied, and the run went on
    (:func:`~metareview.rob.grade.unmatched_decisions`)."""
    config = GradeConfig.from_plan(results.plan)
    if not config.enabled:
        return ()
    records = graded_records(results, config)
    names = [r.tree.spec.title for r in records] + [r.tree.spec.group for r in records]
    return unmatched_decisions(config.decisions, list(dict.fromkeys(names)))


def _checked(decisions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    entries = []
    for index, entry in enumerate(decisions, 1):
        try:
            GradeDecision(entry["domain"], entry["levels"], entry["footnote"])
        except (KeyError, ValueError) as err:
            raise PlanError(f"GRADE decision {index} ({dict(entry)}): {err}") from None
        entries.append(dict(entry))
    return entries


def with_decisions(plan: Plan, decisions: Sequence[Mapping[str, Any]]) -> Plan:
    """``plan`` with reviewers' decisions (``[[grade.decision]]`` entries: ``domain``,
    ``levels``, ``footnote``, optional ``outcome``) added after its own; where both rate the
    same domain of the same outcome, the added one wins (the later of equally specific
    decisions applies). Each entry is checked as the plan checks its own.

    >>> from metareview.plan.plan import plan_from_document
    >>> plan = plan_from_document({"grade": {"decision": [
    ...     {"domain": "indirectness", "levels": 0, "footnote": "as planned"}]}})
    >>> added = [{"domain": "indirectness", "levels": -1, "footnote": "only inpatients"}]
    >>> [d.levels for _, d in GradeConfig.from_plan(with_decisions(plan, added).to_dict()).decisions]
    [0, -1]
    """
    section = dict(plan.document.get("grade", {}))
    section["decision"] = [*section.get("decision", []), *_checked(decisions)]
    return replace(plan, document={**plan.document, "grade": section})


#: The line that opens the decisions :func:`plan_text_with_decisions` appends to a plan's text.
DECISIONS_MARKER = "# GRADE decisions recorded in the workspace (added at each run)"


def plan_text_with_decisions(text: str, decisions: Sequence[Mapping[str, Any]]) -> str:
    r"""A plan's TOML ``text`` with the decisions appended as ``[[grade.decision]]`` tables
    after :data:`DECISIONS_MARKER` (any block appended before is replaced, so the text a run
    keeps shows exactly the decisions it rated with; no decisions: the plan's own text).

    >>> text = 'title = "T"\n[data]\nfile = "x.csv"\n'
    >>> added = plan_text_with_decisions(text, [
    ...     {"outcome": "Pain", "domain": "indirectness", "levels": -1, "footnote": 'adults "only"'}])
    >>> print(added[len(text):])
    <BLANKLINE>
    # GRADE decisions recorded in the workspace (added at each run)
    [[grade.decision]]
    outcome = "Pain"
    domain = "indirectness"
    levels = -1
    footnote = "adults \"only\""
    <BLANKLINE>
    >>> plan_text_with_decisions(added, []) == text
    True
    """
    entries = _checked(decisions)
    keys = ("outcome", "domain", "levels", "footnote")
    added = appended_tables(text, DECISIONS_MARKER, "grade.decision", entries, keys)
    if not entries:
        return added
    try:
        tomllib.loads(added)
    except tomllib.TOMLDecodeError as err:
        raise PlanError(
            f"the workspace's GRADE decisions cannot be added to the plan ({err}): write the "
            "plan's own decisions as [[grade.decision]] tables, not an inline array"
        ) from None
    return added


def assess_run(
    results: ReviewResults, plan_text: str, decisions: Sequence[Mapping[str, Any]]
) -> tuple[tuple[GradeAssessment, ...], tuple[str, ...]]:
    """GRADE of a stored run as the next run of the same plan would rate it: the plan's own
    decisions (from ``plan_text``, without any block a run appended), then ``decisions``;
    those naming no analysis the run rated are left out (the caller names them). Returns the
    assessments and the names a decision may target (analysis titles, then categories).
    """
    document = tomllib.loads(plan_text_with_decisions(plan_text, []))
    own = document.get("grade", {}).get("decision", [])
    config = GradeConfig.from_plan(results.plan)
    records = graded_records(results, config) if config.enabled else []
    names = tuple(
        dict.fromkeys([r.tree.spec.title for r in records] + [r.tree.spec.group for r in records])
    )
    wanted = [d for d in _checked(decisions) if d.get("outcome") in (None, *names)]
    section = {**results.plan.get("grade", {}), "decision": [*own, *wanted]}
    return assess_review(replace(results, plan={**results.plan, "grade": section})), names
