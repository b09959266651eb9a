"""The heterogeneity and robustness sections of one analysis: subgroups (``--by``),
leave-one-out, influence diagnostics and outliers, computed with the analysis' own settings.

:func:`robustness_sections` is what :func:`metareview.plan.analysis.analyze` calls; every
section is ``None`` when it cannot be computed (too few studies), never silently partial.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from metareview.errors import DataError, Problem
from metareview.plan.result_tree import FitResult
from metareview.stats.gosh import gosh
from metareview.stats.influence import InfluenceResult, influence
from metareview.stats.leave_one_out import LeaveOneOutResult, leave_one_out
from metareview.stats.outliers import OutlierResult, find_outliers
from metareview.stats.pooling import PoolResult
from metareview.stats.subgroups import SubgroupResult, subgroup_analysis

SECTIONS = ("subgroups", "leave_one_out", "influence", "outliers")
# leave-one-out and influence refit the model once per study: O(k²) in all. Beyond this many
# studies they are left out with a note (at 2,000 studies they take seconds; at 10⁶, days).
MAX_K_CASE_DIAGNOSTICS = 2000
# a plan's GOSH fits all subsets up to this many, else this many random subsets (seed 0)
GOSH_SUBSETS = 20_000


@dataclass(frozen=True)
class SubgroupSection:
    """A subgroup analysis of the analysis' studies, with the rows it could not place."""

    result: SubgroupResult
    dropped: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**self.result.to_dict(), "dropped": list(self.dropped)}

    def summary(self) -> str:
        text = self.result.summary()
        if self.dropped:
            text += f"\n  ({len(self.dropped)} row(s) without a {self.result.by} value left out)"
        return text


@dataclass(frozen=True)
class RobustnessSections:
    subgroups: SubgroupSection | None
    leave_one_out: LeaveOneOutResult | None
    influence: InfluenceResult | None
    outliers: OutlierResult | None
    notes: tuple[str, ...] = ()  # sections left out, and why


def group_values(frame: pd.DataFrame, column: str, source: str) -> pd.Series:
    """The grouping column of the extraction table (a DataError naming it when absent)."""
    if column not in frame.columns:
        raise DataError(
            Problem(
                file=source,
                row=None,
                column=column,
                value=None,
                expected=f"a column to group by; the table has {', '.join(map(str, frame.columns))}",
            )
        )
    return frame[column]


def robustness_sections(
    yi: np.ndarray,
    vi: np.ndarray,
    studies: Sequence[str],
    rows: Sequence[int],
    pooled: PoolResult,
    settings: Any,
    groups: pd.Series | None = None,
) -> RobustnessSections:
    """Compute the four sections for the studies that entered ``pooled``.

    ``settings`` is the :class:`~metareview.plan.analysis.AnalysisSettings` (method, CI
    method, level, preset, and ``by``/``tau_common``/``min_k_subgroup`` for the subgroups);
    ``groups`` holds the grouping value of each table row (indexed by row number).
    """
    common = {
        "method": settings.method,
        "ci_method": settings.ci_method,
        "level": settings.level,
        "preset": settings.preset,
    }
    k = len(yi)
    notes: tuple[str, ...] = ()
    case_diagnostics = 2 <= k <= MAX_K_CASE_DIAGNOSTICS
    if k > MAX_K_CASE_DIAGNOSTICS:
        notes = (
            f"leave-one-out and influence diagnostics left out: {k:,} studies, more than the "
            f"{MAX_K_CASE_DIAGNOSTICS:,} for which they refit the model once per study",
        )
    loo = leave_one_out(yi, vi, studies=studies, **common) if case_diagnostics else None
    infl = influence(yi, vi, method=pooled.method, studies=studies) if case_diagnostics else None
    outliers = find_outliers(yi, vi, studies=studies, pooled=pooled, **common)
    subgroups = None
    if groups is not None and settings.by:
        values = [groups.get(row) for row in rows]
        present = np.array([_has_value(v) for v in values])
        dropped = tuple(
            {"row": int(row), "study": study, "reason": f"no value in column {settings.by!r}"}
            for row, study, ok in zip(rows, studies, present)
            if not ok
        )
        result = subgroup_analysis(
            yi[present],
            vi[present],
            [_group_label(v) for v, ok in zip(values, present) if ok],
            by=settings.by,
            tau_common=settings.tau_common,
            min_k=settings.min_k_subgroup,
            **common,
        )
        subgroups = SubgroupSection(result, dropped)
    return RobustnessSections(subgroups, loo, infl, outliers, notes)


def _has_value(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and np.isnan(value):
        return False
    return str(value).strip() != ""


def _group_label(value: Any) -> str:
    """Whole numbers read as floats (``2.0``) are shown as ``2``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def gosh_cloud(result: FitResult | Mapping[str, Any]) -> dict[str, Any]:
    """The GOSH cloud of a fitted analysis document (its studies, fitted with its τ² method
    on all subsets, or on ``GOSH_SUBSETS`` random ones with seed 0), as ``results.json``
    stores it (:meth:`GoshResult.to_dict` with ``cloud=True``).

    >>> doc = {"method": "DL", "studies": [{"study": s, "yi": y, "vi": 0.04}
    ...        for s, y in zip("ABC", [0.1, 0.4, 0.5])]}
    >>> cloud = gosh_cloud(doc)
    >>> from metareview.stats.gosh import GoshResult
    >>> cloud["n_subsets"], GoshResult.from_dict(cloud).subset_k.tolist()
    (7, [1, 1, 1, 2, 2, 2, 3])
    """
    fit = FitResult.of(result)
    studies = fit.studies
    fitted = gosh(
        [study.yi for study in studies],
        [study.vi for study in studies],
        method=fit.method,
        subsets=GOSH_SUBSETS,
        seed=0,
        studies=[str(study.study) for study in studies],
    )
    return fitted.to_dict(cloud=True)
