"""Leave-one-out forest plot: the pooled estimate and CI without each study, with the full
analysis as a reference line and band.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from metareview.stats.leave_one_out import leave_one_out
>>> from metareview.stats.pooling import pool
>>> yi, vi = [0.1, 0.3, 0.35, 0.9], [0.02, 0.03, 0.02, 0.04]
>>> ax = leave_one_out_plot(leave_one_out(yi, vi, method="DL"), pool(yi, vi, method="DL"))
>>> [t.get_text() for t in ax.get_yticklabels()][:2]
['Omitting Study 1', 'Omitting Study 2']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.axes import Axes

from metareview.plan.analysis import AnalysisResult
from metareview.plan.result_tree import Model
from metareview.report.plain_text import plain
from metareview.report.plot_inputs import leave_one_out_input
from metareview.stats.leave_one_out import LeaveOneOutResult
from metareview.stats.pooling import PoolResult


def leave_one_out_plot(
    result: LeaveOneOutResult | AnalysisResult,
    full: PoolResult | Model | Mapping[str, Any] | None = None,
    *,
    ax: Axes | None = None,
    xlabel: str = "Pooled estimate",
    sort_by: str | None = None,
) -> Axes:
    """One row per omitted study (first at the top): estimate and CI without it.

    ``full`` adds the estimate (dashed line) and CI (band) of the analysis with all studies
    (its random-effects model; or that model's block of an analysis document, as
    ``results.json`` stores it);
    ``sort_by`` may be ``"estimate"`` or ``"i2"`` to order the rows (default: input order).
    ``result`` may be an ``analyze`` result: its leave-one-out section, with its pooled result
    as ``full``.
    """
    if isinstance(result, AnalysisResult):
        full = full or result.pooled
    result = leave_one_out_input(result)
    if sort_by not in (None, "estimate", "i2"):
        raise ValueError(f"sort_by must be one of estimate, i2; got {sort_by!r}")
    rows = list(result.rows)
    if sort_by:
        rows.sort(key=lambda r: getattr(r, sort_by))
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 0.35 * len(rows) + 1.5))
    positions = np.arange(len(rows))[::-1]
    est = np.array([r.estimate for r in rows])
    lower = np.array([r.ci_lower for r in rows])
    upper = np.array([r.ci_upper for r in rows])
    if full is not None:
        band = Model.of(full if isinstance(full, Mapping | Model) else full.random.to_dict())
        ax.axvspan(band.ci_lower, band.ci_upper, color="#d6eaf8", zorder=0)
        ax.axvline(band.estimate, color="#2874a6", linestyle="--", linewidth=1)
    ax.errorbar(
        est,
        positions,
        xerr=[est - lower, upper - est],
        fmt="s",
        color="#2c3e50",
        ecolor="#2c3e50",
        markersize=4,
        capsize=2,
    )
    ax.set_yticks(positions)
    ax.set_yticklabels([f"Omitting {plain(r.omitted)}" for r in rows])
    ax.set_xlabel(plain(xlabel))
    ax.set_ylim(-1, len(rows))
    return ax
