"""Meta-regression of one analysis on moderator columns of its extraction table.

A :class:`MetaRegRequest` says what to fit (plan ``metaregression`` entries, ``metareview
metareg --mods``); :func:`metaregression_section` fits it with
:func:`metareview.stats.metaregression.metareg` on the studies that entered the analysis and
returns a :class:`MetaRegSection`: the fit, the studies it used (for the bubble plot) and the
rows it left out because a moderator was missing. A fit that cannot be done (too few studies,
a moderator with one level) is a section with a ``reason``, never an exception.

>>> import pandas as pd
>>> frame = pd.DataFrame({"dose": [1, 2, 2, 3, None, 4]}, index=range(2, 8))
>>> section = metaregression_section(
...     [0.1, 0.3, 0.35, 0.6, 0.5, 0.8], [0.02, 0.03, 0.02, 0.04, 0.02, 0.03],
...     list("ABCDEF"), list(range(2, 8)), frame, MetaRegRequest(("dose",)),
...     method="DL", ci_method="z", level=0.95, source="t.csv")
>>> section.result.k, section.dropped[0]["reason"]
(5, 'missing moderator dose')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from metareview.errors import DataError, Problem
from metareview.stats.metaregression import MetaRegResult, metareg
from metareview.stats.result_base import document


@dataclass(frozen=True)
class MetaRegRequest:
    """A meta-regression to fit: moderators (those in ``categorical`` are coded as factors even
    when numeric), τ² method and test (``None``: the analysis'), permutation test."""

    moderators: tuple[str, ...]
    categorical: tuple[str, ...] = ()
    method: str | None = None
    ci_method: str | None = None
    permutations: int = 0
    seed: int | None = None

    @classmethod
    def from_plan(cls, entry: dict[str, Any]) -> MetaRegRequest:
        """A request from one plan ``metaregression`` entry (already schema-checked)."""
        return cls(
            moderators=tuple(entry["moderators"]),
            categorical=tuple(entry.get("categorical", ())),
            method=entry.get("method"),
            ci_method=entry.get("ci_method"),
            permutations=int(entry.get("permutations", 0)),
            seed=entry.get("seed"),
        )

    def to_dict(self) -> dict[str, Any]:
        return document(self, moderators=list(self.moderators), categorical=list(self.categorical))


@dataclass(frozen=True)
class MetaRegSection:
    """A fitted meta-regression (``result`` ``None`` and ``reason`` set when it could not be
    fitted), the studies it used and the rows left out for a missing moderator."""

    request: MetaRegRequest
    result: MetaRegResult | None
    studies: tuple[dict[str, Any], ...] = ()
    dropped: tuple[dict[str, Any], ...] = ()
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        fitted = {} if self.result is None else self.result.to_dict()
        return {
            **self.request.to_dict(),
            **fitted,
            "studies": list(self.studies),
            "dropped": list(self.dropped),
            "reason": self.reason,
        }

    def summary(self) -> str:
        title = f"Meta-regression on {', '.join(self.request.moderators)}"
        if self.result is None:
            return f"{title}: not run ({self.reason})"
        text = self.result.summary()
        if self.dropped:
            text += f"\n  ({len(self.dropped)} row(s) with a missing moderator left out)"
        return text


def metaregression_section(
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray,
    studies: Sequence[str],
    rows: Sequence[int],
    frame: pd.DataFrame,
    request: MetaRegRequest,
    *,
    method: str,
    ci_method: str,
    level: float,
    source: str,
) -> MetaRegSection:
    """Fit ``request`` on the studies of an analysis.

    ``rows`` are the table rows (index of ``frame``, the extraction table) of the studies
    ``studies`` with effects ``yi`` and variances ``vi``; ``method`` and ``ci_method`` are the
    analysis' (used unless the request names its own). A moderator missing from ``frame`` is a
    :class:`~metareview.errors.DataError` naming ``source`` and the column.
    """
    absent = [m for m in request.moderators if m not in frame.columns]
    if absent:
        raise DataError(
            [Problem(source, None, m, None, "a moderator column of the table") for m in absent]
        )
    values = frame.loc[list(rows), list(request.moderators)]
    complete = values.notna().all(axis=1).to_numpy()
    dropped = tuple(
        {
            "row": int(row),
            "study": study,
            "reason": "missing moderator " + ", ".join(values.columns[values.loc[row].isna()]),
        }
        for row, study, ok in zip(rows, studies, complete)
        if not ok
    )
    y, v = np.asarray(yi, dtype=float)[complete], np.asarray(vi, dtype=float)[complete]
    moderators = {m: values[m].to_numpy()[complete].tolist() for m in request.moderators}
    used = tuple(
        {"study": study, "yi": float(a), "vi": float(b), "moderators": dict(zip(moderators, x))}
        for study, a, b, *x in zip(
            [s for s, ok in zip(studies, complete) if ok], y, v, *moderators.values()
        )
    )
    try:
        result = metareg(
            y,
            v,
            moderators,
            method=request.method or method,
            ci_method=request.ci_method or ci_method,
            level=level,
            categorical=request.categorical,
            permutations=request.permutations,
            seed=request.seed,
        )
    except ValueError as err:
        return MetaRegSection(request, None, used, dropped, reason=str(err))
    return MetaRegSection(request, result, used, dropped)
