"""GRADE certainty of a review's outcomes, from an extraction table or from an analysis plan.

What ``metareview grade`` does, for every front end: :func:`grade_table` pools each outcome of
a table with :func:`~metareview.plan.analysis.analyze` and rates it; :func:`grade_plan` runs a
plan and rates its analyses under the plan's ``[grade]`` section
(:func:`~metareview.plan.grade_review.assess_review`). Both return a :class:`Grading`: the
assessments (one row each of the summary-of-findings table) and the rows left out.
:func:`propose_grades` is what a project proposes before any analysis run: its agreed table
(:func:`metareview.store.grade_decisions.graded_frame`) rated per outcome and time point.

>>> import pandas as pd
>>> from metareview.data.table import load_table
>>> from metareview.plan.analysis import analysis_settings
>>> frame = pd.DataFrame({"study": ["A", "B", "C"], "yi": [0.2, 0.5, 0.3],
...                       "sei": [0.2, 0.22, 0.17], "rob_overall": ["Low", "High", "Low"]})
>>> graded = grade_table(load_table(frame), analysis_settings(measure="SMD"), name="pain")
>>> [(g.evidence.outcome, g.certainty) for g in graded.assessments]
[('pain', 'Moderate')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from metareview.data.table import ExtractionTable, load_table
from metareview.errors import DataError, MetareviewError, Problem
from metareview.plan.analysis import AnalysisSettings, DroppedRow, analysis_settings, analyze
from metareview.plan.grade_review import assess_review
from metareview.plan.plan import Plan
from metareview.plan.runner import run_plan
from metareview.rob.grade import (
    GRADE_OUTCOME,
    ROB_OVERALL,
    GradeAssessment,
    GradeDecision,
    GradeInputs,
    GradeRules,
    grade,
)
from metareview.rob.sof import (
    control_risk_in,
    evidence_from_pool,
    overall_rob_in,
    participants_count,
)

__all__ = ["GradeProposal", "Grading", "grade_plan", "grade_table", "propose_grades"]

#: What :func:`propose_grades` says of a table without rows.
NO_AGREED_DATA = "No study has agreed extraction data yet: GRADE rates the agreed table."


@dataclass(frozen=True)
class Grading:
    """The GRADE assessments of a review's outcomes and the rows left out of their pooling."""

    assessments: tuple[GradeAssessment, ...]
    dropped: tuple[DroppedRow, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcomes": [g.to_dict() for g in self.assessments],
            "dropped": [d.to_dict() for d in self.dropped],
        }


def grade_table(
    table: ExtractionTable,
    settings: AnalysisSettings,
    *,
    outcome_column: str | None = None,
    where: Mapping[str, str] | Sequence[tuple[str, str]] = (),
    rob_column: str = "rob_overall",
    participants_column: str | None = None,
    design: str = "RCT",
    control_risk: float | None = None,
    rules: GradeRules | None = None,
    decisions: Sequence[tuple[str | None, GradeDecision]] = (),
    name: str | None = None,
) -> Grading:
    """Rate the certainty of evidence of each outcome of an extraction table.

    The rows kept by ``where`` (column → value pairs, compared as text, all must hold) are split by
    ``outcome_column`` (one outcome when ``None``, named ``name``, by default the table's
    file name) and each outcome is pooled under ``settings``. The studies' judgements in
    ``rob_column`` give the share of weight at high risk of bias; ``participants_column``
    (default: the arms' sizes) the participants. GRADE domains are proposed by ``rules``;
    ``decisions`` (outcome or ``None`` for every outcome, decision) confirm or override them.
    A column named here that the table lacks is a :class:`~metareview.errors.DataError`.
    """
    frame = table.frame
    where = list(where.items() if isinstance(where, Mapping) else where)
    named = [*(column for column, _ in where), participants_column, outcome_column]
    missing = [c for c in named if c is not None and c not in frame.columns]
    if missing:
        raise DataError(
            [Problem(table.source, None, c, None, "a column of the table") for c in missing]
        )
    mask = pd.Series(True, index=frame.index)
    for column, value in where:
        mask &= frame[column].astype(str) == value
    outcomes = (
        [None] if outcome_column is None else list(dict.fromkeys(frame.loc[mask, outcome_column]))
    )
    assessments, dropped = [], []
    for outcome in outcomes:
        keep = mask if outcome is None else mask & (frame[outcome_column] == outcome)
        subset = _subset(table, keep)
        result = analyze(subset, settings)
        dropped += result.dropped
        used = subset.frame.loc[list(result.rows)]
        title = str(outcome) if outcome is not None else name or Path(table.source).stem
        participants, incomplete = participants_count(used, participants_column)
        evidence = evidence_from_pool(
            result.pooled,
            outcome=title,
            measure=settings.measure,
            participants=participants,
            participants_incomplete=incomplete,
            overall_rob=overall_rob_in(used, rob_column, table.source),
            small_study=result.small_study,
            control_risk=control_risk_in(used, control_risk),
            design=design,
        )
        mine = [d for target, d in decisions if target in (None, title)]
        assessments.append(grade(evidence, mine, rules=rules or GradeRules()))
    return Grading(tuple(assessments), tuple(dropped))


def grade_plan(plan: Plan, *, drop_incomplete: bool = False) -> Grading:
    """Run the analyses of ``plan`` (in this process) and rate each main analysis and specific
    outcome under the plan's ``[grade]`` section (``drop_incomplete``: rows without a complete
    data group are dropped and listed instead of rejecting the table)."""
    results = run_plan(plan.dropping_incomplete() if drop_incomplete else plan, jobs=1)
    return Grading(assess_review(results), tuple(DroppedRow(**row) for row in results.dropped))


@dataclass(frozen=True)
class GradeProposal:
    """What GRADE proposes for a table's outcomes (:func:`propose_grades`): the table it rated
    (``inputs``), one assessment per outcome, the rows left out of their pooling, and why there
    is nothing to rate (``problem``: an empty table, or the table's or the analysis's error;
    then there are no assessments)."""

    inputs: GradeInputs
    assessments: tuple[GradeAssessment, ...] = ()
    dropped: tuple[DroppedRow, ...] = ()
    problem: str = ""

    @property
    def outcomes(self) -> tuple[str, ...]:
        """The rated outcomes, in the table's order."""
        return tuple(a.evidence.outcome for a in self.assessments)


def propose_grades(
    inputs: GradeInputs,
    measure: str = "SMD",
    *,
    decisions: Sequence[tuple[str | None, GradeDecision]] = (),
) -> GradeProposal:
    """Rate each outcome and time point of ``inputs`` (its ``grade_outcome`` column) as
    :func:`grade_table` does: pooled under ``measure``, with the studies' judgements in its
    ``rob_overall`` column and the reviewers' ``decisions`` (outcome or ``None`` for every
    outcome, decision). A table without rows is :data:`NO_AGREED_DATA`, and a table or an
    analysis that fails is its error's message, as the proposal's ``problem``.

    >>> from metareview.rob.grade import GradeInputs
    >>> frame = pd.DataFrame({"study": ["A", "B", "C"], "yi": [0.2, 0.5, 0.3],
    ...                       "sei": [0.2, 0.22, 0.17], "grade_outcome": "pain, post",
    ...                       "rob_overall": ["Low", "High", "Low"]})
    >>> proposal = propose_grades(GradeInputs(frame, {}, ()), "SMD")
    >>> proposal.outcomes, proposal.assessments[0].certainty, proposal.problem
    (('pain, post',), 'Moderate', '')
    >>> propose_grades(GradeInputs(frame.iloc[:0], {}, ())).problem
    'No study has agreed extraction data yet: GRADE rates the agreed table.'
    """
    if inputs.frame.empty:
        return GradeProposal(inputs, problem=NO_AGREED_DATA)
    try:
        grading = grade_table(
            load_table(inputs.frame),
            analysis_settings(measure=measure),
            outcome_column=GRADE_OUTCOME,
            rob_column=ROB_OVERALL,
            decisions=decisions,
        )
    except MetareviewError as err:
        return GradeProposal(inputs, problem=str(err))
    return GradeProposal(inputs, grading.assessments, grading.dropped)


def _subset(table: ExtractionTable, mask: pd.Series) -> ExtractionTable:
    groups = tuple(g for g, keep in zip(table.data_group, mask, strict=True) if keep)
    return replace(table, frame=table.frame[mask.to_numpy()], data_group=groups)
