"""Leave-one-out sensitivity analysis: the pooled result without each study in turn.

Each refit uses the same τ² estimator, CI method, level and preset as the full analysis
(:func:`metareview.stats.pooling.pool`), so the rows compare like with like. The reported
model is the random-effects one (with ``method="FE"`` it equals the common-effect model).

>>> res = leave_one_out([0.1, 0.3, 0.35, 0.9], [0.02, 0.03, 0.02, 0.04], method="DL")
>>> [row.omitted for row in res.rows]
['Study 1', 'Study 2', 'Study 3', 'Study 4']
>>> round(res.rows[3].estimate, 4)
0.2437
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from metareview.errors import NotEstimableError
from metareview.stats.pooling import PoolResult, pool
from metareview.stats.presets import Preset
from metareview.stats.result_base import ResultDocument


@dataclass(frozen=True)
class LeaveOneOutRow(ResultDocument):
    """The pooled result without study ``omitted`` (I² in percent)."""

    omitted: str
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    pvalue: float
    tau2: float
    i2: float
    q: float


@dataclass(frozen=True)
class LeaveOneOutResult:
    """One row per omitted study, in input order."""

    rows: tuple[LeaveOneOutRow, ...]
    method: str
    ci_method: str

    def to_dict(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return [row.to_dict() for row in self.rows]

    @classmethod
    def from_dict(
        cls, rows: list[dict[str, Any]], method: str, ci_method: str
    ) -> LeaveOneOutResult:
        """The result whose :meth:`to_dict` gave ``rows`` (``None``, written for NaN, is NaN).

        >>> res = leave_one_out([0.1, 0.3, 0.35], [0.03, 0.03, 0.05], method="DL")
        >>> LeaveOneOutResult.from_dict(res.to_dict(), res.method, res.ci_method) == res
        True
        """
        return cls(
            rows=tuple(
                LeaveOneOutRow(
                    **{key: float("nan") if value is None else value for key, value in row.items()}
                )
                for row in rows
            ),
            method=method,
            ci_method=ci_method,
        )

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.to_dict())

    def summary(self) -> str:
        lines = [f"Leave-one-out ({self.method}, {self.ci_method}):"]
        for r in self.rows:
            lines.append(
                f"  without {r.omitted}: {r.estimate:.4f} [{r.ci_lower:.4f}, {r.ci_upper:.4f}], "
                f"p = {r.pvalue:.4g}, tau^2 = {r.tau2:.4f}, I^2 = {r.i2:.1f}%"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def _row_from_pool(omitted: str, res: PoolResult) -> LeaveOneOutRow:
    """The summary of one refit (the random-effects model)."""
    return LeaveOneOutRow(omitted=omitted, **res.headline())


def leave_one_out(
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray,
    *,
    method: str | None = None,
    ci_method: str | None = None,
    level: float = 0.95,
    preset: str | Preset | None = None,
    studies: Sequence[str] | None = None,
) -> LeaveOneOutResult:
    """Pool the studies ``k`` times, each time without one of them (needs k ≥ 2).

    The arguments are those of :func:`metareview.stats.pooling.pool`.

    Examples
    --------
    >>> res = leave_one_out([0.1, 0.3, 0.35, 0.9], [0.02, 0.03, 0.02, 0.04], method="DL",
    ...                     studies=["A", "B", "C", "D"])
    >>> [(r.omitted, round(r.estimate, 3)) for r in res.rows][-1]
    ('D', 0.244)
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    k = y.size
    if k < 2:
        raise NotEstimableError(f"leave-one-out needs at least 2 studies; got {k}")
    labels = (
        [str(s) for s in studies] if studies is not None else [f"Study {i + 1}" for i in range(k)]
    )
    rows = []
    res = None
    for i in range(k):
        keep = np.arange(k) != i
        res = pool(y[keep], v[keep], method=method, ci_method=ci_method, level=level, preset=preset)
        rows.append(_row_from_pool(labels[i], res))
    return LeaveOneOutResult(rows=tuple(rows), method=res.method, ci_method=res.ci_method)
