"""What each plot draws, from the result its analysis function returns.

Every plot takes the object its analysis returns — ``analyze`` (an :class:`AnalysisResult`),
a plan's :class:`AnalysisRecord`, or the statistics function's own result (``funnel_data``,
``leave_one_out``, ``influence``, ``gosh``) — and this module turns it into what the plot
draws, with a clear error when the result lacks the section a plot needs.

>>> import pandas as pd
>>> from metareview.plan.analysis import analyze
>>> frame = pd.DataFrame({"study": list("ABCD"), "yi": [0.2, 0.5, 0.3, 0.1],
...                       "vi": [0.04, 0.05, 0.03, 0.06]})
>>> result = analyze(frame)
>>> forest_record(result).k, len(funnel_input(result).yi), len(leave_one_out_input(result).rows)
(4, 4, 4)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from metareview.plan.analysis import AnalysisResult
from metareview.plan.moderators import MetaRegSection
from metareview.plan.result_tree import FitResult, MetaRegression, TrimAndFill
from metareview.plan.results import AnalysisRecord
from metareview.stats.bias.funnel import FunnelData, funnel_data
from metareview.stats.bias.trimfill import TrimFillResult
from metareview.stats.influence import InfluenceResult
from metareview.stats.leave_one_out import LeaveOneOutResult


@dataclass(frozen=True)
class FilledStudies:
    """What a funnel plot draws of trim-and-fill: the imputed studies and the adjusted
    estimate (from a :class:`TrimFillResult`, or from the ``trim_and_fill`` section of an
    analysis document by :meth:`from_dict`)."""

    k0: int
    estimate: float
    filled_yi: tuple[float, ...]
    filled_vi: tuple[float, ...]

    @classmethod
    def from_dict(cls, section: TrimAndFill | dict[str, Any]) -> FilledStudies:
        """From a ``small_study.trim_and_fill`` section.

        >>> FilledStudies.from_dict({"k0": 1, "estimate": 0.2, "filled_yi": [-0.1],
        ...                          "filled_vi": [0.04]}).filled_yi
        (-0.1,)
        """
        filled = TrimAndFill.of(section)
        return cls(
            k0=int(filled.k0),
            estimate=filled.estimate,
            filled_yi=tuple(filled.filled_yi),
            filled_vi=tuple(filled.filled_vi),
        )


def filled_studies(source: TrimFillResult | FilledStudies) -> FilledStudies:
    """The imputed studies of a trim-and-fill result, or ``source`` as given."""
    if isinstance(source, FilledStudies):
        return source
    _check(source, "a TrimFillResult or FilledStudies", TrimFillResult)
    return FilledStudies(source.k0, source.estimate, source.filled_yi, source.filled_vi)


def _check(source: object, expected: str, *types: type) -> None:
    if not isinstance(source, types):
        raise TypeError(f"expected {expected}; got {type(source).__name__}")


def forest_record(source: AnalysisRecord | AnalysisResult) -> AnalysisRecord:
    """The record a forest plot draws: a plan's record as it is; an ``analyze`` result as
    the record of an analysis of all its studies (the random-effects model as headline; no
    arm sizes, which ``analyze`` does not keep)."""
    if isinstance(source, AnalysisRecord):
        return source
    _check(source, "an AnalysisRecord (run_plan) or AnalysisResult (analyze)", AnalysisResult)
    document = source.to_dict()
    return AnalysisRecord(
        spec={"id": "analysis", "title": "Analysis", "role": "main"},
        status="ok",
        result=document,
        model="random" if source.pooled.method != "FE" else "fixed",
        input=[
            {"study": study.study, "yi": study.yi, "vi": study.vi, "rows": [row]}
            for study, row in zip(FitResult.from_dict(document).studies, source.rows)
        ],
    )


def funnel_input(source: FunnelData | AnalysisResult) -> FunnelData:
    """The funnel of ``funnel_data`` as given, or of the studies an ``analyze`` result pooled
    (centred on its common-effect estimate, as ``funnel_data`` centres)."""
    if isinstance(source, FunnelData):
        return source
    _check(source, "FunnelData (funnel_data) or an AnalysisResult (analyze)", AnalysisResult)
    pooled = source.pooled
    return funnel_data(pooled.yi, pooled.vi, labels=pooled.studies, level=pooled.level)


def _section(source: AnalysisResult, name: str, need: str) -> Any:
    section = getattr(source, name)
    if section is None:
        raise ValueError(f"this analysis has no {name.replace('_', '-')} section ({need})")
    return section


def leave_one_out_input(source: LeaveOneOutResult | AnalysisResult) -> LeaveOneOutResult:
    """``leave_one_out``'s result as given, or the section of an ``analyze`` result."""
    if isinstance(source, LeaveOneOutResult):
        return source
    _check(source, "a LeaveOneOutResult or an AnalysisResult (analyze)", AnalysisResult)
    return _section(source, "leave_one_out", "it needs at least 2 studies")


def influence_input(source: InfluenceResult | AnalysisResult) -> InfluenceResult:
    """``influence``'s result as given, or the section of an ``analyze`` result."""
    if isinstance(source, InfluenceResult):
        return source
    _check(source, "an InfluenceResult or an AnalysisResult (analyze)", AnalysisResult)
    return _section(source, "influence", "it needs at least 3 studies")


def metaregression_section(
    source: MetaRegression | Mapping[str, Any] | MetaRegSection | AnalysisResult,
) -> MetaRegression:
    """The meta-regression section a bubble plot draws: the tree's section, a section document,
    an ``analyze`` section, or the first meta-regression of an ``analyze`` result."""
    if isinstance(source, MetaRegression | Mapping):
        return MetaRegression.of(source)
    if isinstance(source, AnalysisResult):
        if not source.metaregression:
            raise ValueError("this analysis has no meta-regression (analyze(metaregression=…))")
        source = source.metaregression[0]
    _check(source, "a meta-regression section or an AnalysisResult (analyze)", MetaRegSection)
    return MetaRegression.from_dict(source.to_dict())
