"""Bubble plot of a meta-regression on one continuous moderator.

Each study is a circle at (moderator, effect) whose area is proportional to its weight in the
model, ``1/(vᵢ + τ²)`` with the residual τ² (as metafor's ``regplot``); the fitted line
``b₀ + b₁x`` is drawn with its confidence band ``± c·√(V₀₀ + 2xV₀₁ + x²V₁₁)``, where V is the
covariance of the coefficients and c the critical value of their tests (normal, or t on
k − 2 df under Knapp–Hartung).

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> section = {"moderators": ["dose"], "method": "DL", "ci_method": "z", "level": 0.95,
...     "tau2": 0.0, "qe_df": 2, "coefficients": [{"name": "intercept", "estimate": 0.0},
...     {"name": "dose", "estimate": 0.2}], "vcov": [[0.01, 0.0], [0.0, 0.001]],
...     "studies": [{"study": s, "yi": y, "vi": 0.02, "moderators": {"dose": x}}
...                 for s, y, x in [("A", 0.1, 1), ("B", 0.5, 2), ("C", 0.6, 3), ("D", 0.8, 4)]]}
>>> data = bubble_data(section)
>>> float(data.fitted[0]), round(float(data.upper[0] - data.fitted[0]), 4)
(0.2, 0.2056)
>>> bubble_plot(data).get_xlabel()
'dose'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from metareview.plan.analysis import AnalysisResult
from metareview.plan.moderators import MetaRegSection
from metareview.plan.result_tree import MetaRegression
from metareview.report.plain_text import plain
from metareview.report.plot_inputs import metaregression_section
from metareview.stats import distributions as dist

if TYPE_CHECKING:
    from matplotlib.axes import Axes

GRID_POINTS = 101
LARGEST_BUBBLE = 400.0  # marker area (points²) of the study with the largest weight


@dataclass(frozen=True)
class BubbleData:
    """What a bubble plot shows: studies (moderator, effect, weight) and the fitted line."""

    moderator: str
    x: np.ndarray
    yi: np.ndarray
    weights: np.ndarray
    labels: tuple[str, ...]
    grid: np.ndarray
    fitted: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float


def bubble_data(section: MetaRegression | Mapping[str, Any]) -> BubbleData:
    """The bubble plot of a ``metaregression`` section of an analysis (or its document; one
    continuous moderator; a ValueError otherwise)."""
    section = MetaRegression.of(section)
    moderator = section.single_continuous_moderator
    if moderator is None:
        moderators = None if not section.has("moderators") else list(section.moderators)
        raise ValueError(
            "a bubble plot needs a fitted meta-regression on one continuous moderator; "
            f"got {moderators}"
        )
    studies = section.studies
    x = np.array([float(s.moderators[moderator]) for s in studies])
    yi = np.array([float(s.yi) for s in studies])
    vi = np.array([float(s.vi) for s in studies])
    tau2 = 0.0 if section.method == "FE" else float(section.tau2)
    intercept, slope = (float(c.estimate) for c in section.coefficients)
    vcov = np.asarray(section.vcov, dtype=float)
    level = 0.95 if section.level is None else float(section.level)
    crit = (
        float(dist.z_crit(level))
        if section.ci_method == "z"
        else float(dist.t_crit(level, section.qe_df))
    )
    grid = np.linspace(x.min(), x.max(), GRID_POINTS)
    fitted = intercept + slope * grid
    se = np.sqrt(vcov[0, 0] + 2 * grid * vcov[0, 1] + grid**2 * vcov[1, 1])
    return BubbleData(
        moderator=moderator,
        x=x,
        yi=yi,
        weights=1.0 / (vi + tau2),
        labels=tuple(str(s.study) for s in studies),
        grid=grid,
        fitted=fitted,
        lower=fitted - crit * se,
        upper=fitted + crit * se,
        level=level,
    )


def bubble_plot(
    data: BubbleData | MetaRegression | MetaRegSection | AnalysisResult | Mapping[str, Any],
    *,
    ax: Axes | None = None,
    ylabel: str = "Effect size",
) -> Axes:
    """Draw ``data``: circles sized by weight, the fitted line and its confidence band.

    ``data`` may also be a meta-regression section (the tree's, ``analyze``'s, or its
    document) or an ``analyze`` result with a meta-regression (its first).
    """
    if not isinstance(data, BubbleData):
        data = bubble_data(metaregression_section(data))
    if ax is None:
        from matplotlib import pyplot as plt

        _, ax = plt.subplots(figsize=(6.0, 4.5))
    ax.fill_between(data.grid, data.lower, data.upper, color="#d6eaf8", zorder=0, linewidth=0)
    ax.plot(data.grid, data.fitted, color="#2874a6", linewidth=1.5)
    ax.plot(data.grid, data.lower, color="#2874a6", linewidth=0.8, linestyle="--")
    ax.plot(data.grid, data.upper, color="#2874a6", linewidth=0.8, linestyle="--")
    ax.axhline(0.0, color="#7f7f7f", linewidth=0.8, linestyle=":")
    ax.scatter(
        data.x,
        data.yi,
        s=LARGEST_BUBBLE * data.weights / data.weights.max(),
        facecolor="#aab7b8",
        edgecolor="#2c3e50",
        alpha=0.8,
        linewidth=0.8,
        zorder=3,
    )
    ax.set_xlabel(plain(data.moderator))
    ax.set_ylabel(plain(ylabel))
    ax.set_title(f"Fitted line with its {data.level:.0%} confidence band", fontsize=9)
    return ax
