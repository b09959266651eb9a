"""Maximise the (restricted) likelihood over σ² ≥ 0, to the exact root of the score.

Projected Newton steps with the analytic observed information where it is positive definite,
else the average information (AI-REML, always positive semi-definite), with step halving
whenever the likelihood does not rise. A component whose score is ≤ 0 at σ² = 0 stays on the boundary, as metafor
reports it (σ² = 0). Components can be held fixed (the reduced models of the LRT and the
profile likelihood). A fit that does not converge says why.

>>> from metareview.stats.multilevel.clusters import Clusters
>>> from metareview.stats.multilevel.covariance import independent_covariance
>>> from metareview.stats.multilevel.likelihood import ModelData
>>> c = Clusters.from_labels([1, 1, 2, 2, 3, 3])
>>> y = np.array([0.1, 0.3, 0.5, 0.4, -0.1, 0.0]); v = np.full(6, 0.01)
>>> fit = maximize(ModelData(y, np.ones((6, 1)), independent_covariance(v, c), c), "REML")
>>> [round(s, 5) for s in fit.sigma2], fit.converged
([0.0575, 0.0], True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metareview.errors import ConvergenceError
from metareview.stats.multilevel.likelihood import Evaluation, ModelData, evaluate

MAX_ITERATIONS = 200
SCORE_TOLERANCE = 1e-10


@dataclass(frozen=True)
class Maximum:
    """σ² at the maximum, which components sit on the boundary, and the evaluation there."""

    sigma2: tuple[float, float]
    at_boundary: tuple[bool, bool]
    evaluation: Evaluation
    iterations: int
    converged: bool


def start_values(data: ModelData) -> np.ndarray:
    """Half the excess of the effects' variance over the mean sampling variance per level."""
    excess = float(np.var(data.y, ddof=1) - np.mean(data.sampling.variances())) if data.k > 1 else 0
    return np.full(2, max(excess, 0.01 * float(np.mean(data.sampling.variances()))) / 2.0)


def _active(sigma2: np.ndarray, gradient: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Components moved by the next step: not fixed, and not held at 0 by a negative score."""
    return ~fixed & ~((sigma2 <= 0.0) & (gradient <= 0.0))


def maximize(
    data: ModelData,
    method: str,
    *,
    fixed: dict[int, float] | None = None,
    start: np.ndarray | None = None,
) -> Maximum:
    """Maximise the likelihood; ``fixed`` maps a component (0 between, 1 within) to its value."""
    fixed = fixed or {}
    is_fixed = np.array([m in fixed for m in (0, 1)])
    sigma2 = start_values(data) if start is None else np.maximum(np.asarray(start, float), 0.0)
    for m, value in fixed.items():
        sigma2[m] = value
    current = evaluate(data, tuple(sigma2), method)
    typical = float(np.mean(data.sampling.variances()))
    for iteration in range(1, MAX_ITERATIONS + 1):
        active = _active(sigma2, current.gradient, is_fixed)
        score = current.gradient[active]
        scale = np.maximum(np.abs(sigma2[active]), 1e-8)
        if not active.any() or np.all(
            np.abs(score) * scale < SCORE_TOLERANCE * max(1.0, abs(current.loglik))
        ):
            return _maximum(sigma2, is_fixed, current, iteration, True)
        average, observed = current.curvature()
        observed = observed[np.ix_(active, active)]
        info = (
            observed
            if np.all(np.linalg.eigvalsh(observed) > 0)
            else average[np.ix_(active, active)]
        )
        fallback = np.sign(score) * np.maximum(sigma2[active], typical)
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            step = fallback
        if not np.all(np.isfinite(step)) or score @ step <= 0:  # not an ascent direction
            step = fallback
        direction = np.zeros(2)
        direction[active] = step
        factor = 1.0
        smallest = 1e-15 * max(typical, float(sigma2.max()))
        while factor * np.abs(direction).max() > smallest:
            trial = np.maximum(sigma2 + factor * direction, 0.0)
            candidate = _evaluate_or_none(data, trial, method)
            if candidate is not None and candidate.loglik >= current.loglik - 1e-13 * abs(
                current.loglik
            ):
                break
            factor /= 2.0
        else:
            return _maximum(
                sigma2, is_fixed, current, iteration, _stationary(sigma2, current, is_fixed)
            )
        if np.all(trial == sigma2):
            return _maximum(sigma2, is_fixed, current, iteration, True)
        sigma2, current = trial, candidate
    return _maximum(sigma2, is_fixed, current, MAX_ITERATIONS, False)


def _evaluate_or_none(data: ModelData, sigma2: np.ndarray, method: str) -> Evaluation | None:
    """The likelihood at a trial point, or None where it is not finite (σ² far too large)."""
    try:
        ev = evaluate(data, tuple(sigma2), method)
    except np.linalg.LinAlgError:
        return None
    return ev if np.isfinite(ev.loglik) else None


def _stationary(sigma2: np.ndarray, current: Evaluation, fixed: np.ndarray) -> bool:
    active = _active(sigma2, current.gradient, fixed)
    scale = np.maximum(np.abs(sigma2[active]), 1e-8)
    return bool(np.all(np.abs(current.gradient[active]) * scale < 1e-6))


def _maximum(sigma2, fixed, current, iterations, converged) -> Maximum:
    bound = tuple(bool(s <= 0.0 and not f) for s, f in zip(sigma2, fixed))
    return Maximum(
        sigma2=(float(sigma2[0]), float(sigma2[1])),
        at_boundary=bound,  # type: ignore[arg-type]
        evaluation=current,
        iterations=iterations,
        converged=converged,
    )


def maximize_or_raise(data: ModelData, method: str, **kwargs) -> Maximum:
    """:func:`maximize`, raising :class:`ConvergenceError` with the reason when it fails."""
    fit = maximize(data, method, **kwargs)
    if not fit.converged:
        raise ConvergenceError(
            f"the {method} fit of the three-level model did not converge in {fit.iterations} "
            f"iterations (sigma2 = {fit.sigma2[0]:.6g}, {fit.sigma2[1]:.6g}; score = "
            f"{fit.evaluation.gradient[0]:.3g}, {fit.evaluation.gradient[1]:.3g})"
        )
    return fit
