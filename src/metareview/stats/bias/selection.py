"""Step-function selection model (Vevea & Hedges 1995), fitted by maximum likelihood.

Studies are assumed published with a probability that depends only on their one-sided
p-value, constant between the cut-points ``a₁ < a₂ < … < a_J = 1``: relative weight
``δ₁ = 1`` for ``p ≤ a₁`` and ``δⱼ`` (estimated) for ``aⱼ₋₁ < p ≤ aⱼ``. With
``yᵢ ~ N(μ, vᵢ + τ²)`` before selection, the likelihood of a published study is

    f(yᵢ) δ_{j(i)} / Σⱼ δⱼ πᵢⱼ,

``πᵢⱼ`` being the probability that study i's p-value falls in interval j. μ, τ² (0 for the
common-effect model) and the δⱼ are estimated together; the likelihood-ratio test against
the model without selection (all δⱼ = 1, i.e. the ML random-effects or common-effect model)
has J − 1 degrees of freedom. Standard errors come from the observed information (numerical
Hessian). p-values are one-sided in the direction of ``alternative`` (``"greater"`` when
beneficial effects are positive, ``"less"`` when they are negative, as for log odds ratios
of a bad outcome), or two-sided.

>>> yi = [0.71, 0.35, 1.79, 0.18, 0.42, 0.60, 0.31, 0.95, 0.22, 1.20, 0.05, 0.10]
>>> vi = [0.068, 0.039, 0.119, 0.014, 0.030, 0.060, 0.020, 0.090, 0.010, 0.150, 0.02, 0.05]
>>> res = selection_model(yi, vi, steps=[0.025])
>>> res.k_per_interval, round(res.delta[1], 3)
((8, 4), 0.315)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import scipy

from metareview.errors import InputError, NotEstimableError
from metareview.stats import distributions as dist
from metareview.stats.tau2 import check_inputs
from metareview.stats.vocabulary import check_choice
from metareview.stats.wls import LinearModel

ALTERNATIVES = ("greater", "less", "two.sided")
SELECTION_METHODS = ("ML", "FE")
_DELTA_FLOOR = 1e-10
# metafor's selmodel bounds every δ above by delta.max = 100 (and below by 0), which keeps the
# optimisation finite when no study's p-value falls where δ is free to grow
DELTA_MAX = 100.0
# a δ this close to a bound is reported as at it (metafor warns "(almost) equal to ... bound")
_BOUND_TOL = 1e-4


@dataclass(frozen=True)
class SelectionModel:
    """A fitted step-function selection model.

    estimate, se, ci_lower, ci_upper, pvalue: the selection-adjusted mean effect; tau2: its
    heterogeneity; delta, se_delta: relative publication probability per p-value interval
    (the first fixed at 1, its SE ``None``); lrt, lrt_df, lrt_pvalue: test of selection;
    k_per_interval: studies whose p-value falls in each interval (δ of an empty interval is
    not identified); delta_at_bound: whether each δ stopped at its bound (0 or
    ``DELTA_MAX`` = 100, as metafor's ``delta.max``), its SE then ``None``; warnings: what
    the reader must know (a δ at its bound).
    """

    method: str
    alternative: str
    steps: tuple[float, ...]
    k: int
    k_per_interval: tuple[int, ...]
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    pvalue: float
    tau2: float
    delta: tuple[float, ...]
    se_delta: tuple[float | None, ...]
    lrt: float
    lrt_df: int
    lrt_pvalue: float
    loglik: float
    loglik_null: float
    converged: bool
    level: float
    delta_at_bound: tuple[bool, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in self.__dict__.items()
        }

    def summary(self) -> str:
        pct = round(100 * self.level)
        deltas = ", ".join(f"{d:.4f}" for d in self.delta)
        return (
            f"Step-function selection model ({self.method}, cut-points "
            f"{', '.join(f'{s:g}' for s in self.steps)}, k = {self.k}): estimate "
            f"{self.estimate:.4f} ({pct}% CI {self.ci_lower:.4f} to {self.ci_upper:.4f}), "
            f"tau^2 = {self.tau2:.4f}; delta = {deltas}; LRT = {self.lrt:.4f} "
            f"(df = {self.lrt_df}), p = {self.lrt_pvalue:.4g}"
        )

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>"


class _StepLikelihood:
    """Log-likelihood of the step-function model for fixed data and cut-points."""

    def __init__(self, y: np.ndarray, v: np.ndarray, steps: np.ndarray, alternative: str):
        self.y, self.v, self.sei = y, v, np.sqrt(v)
        self.steps, self.alternative = steps, alternative
        z = y / self.sei
        p = {
            "greater": scipy.special.ndtr(-z),
            "less": scipy.special.ndtr(z),
            "two.sided": 2 * scipy.special.ndtr(-np.abs(z)),
        }[alternative]
        # interval of each study: p ≤ a₁ → 0, a₁ < p ≤ a₂ → 1, …
        self.interval = np.searchsorted(steps, p, side="left")

    def cumulative(self, mu: float, tau2: float) -> np.ndarray:
        """P(p ≤ aⱼ) for every study (rows) and cut-point (columns)."""
        s = np.sqrt(self.v + tau2)[:, None]
        sei = self.sei[:, None]
        a = self.steps[None, :]
        if self.alternative == "greater":  # p ≤ a  ⇔  y ≥ sei·z₁₋ₐ
            return scipy.special.ndtr((mu - sei * -scipy.special.ndtri(a)) / s)
        if self.alternative == "less":  # p ≤ a  ⇔  y ≤ sei·zₐ
            return scipy.special.ndtr((sei * scipy.special.ndtri(a) - mu) / s)
        c = sei * -scipy.special.ndtri(a / 2)
        return scipy.special.ndtr((mu - c) / s) + scipy.special.ndtr((-c - mu) / s)

    def __call__(self, mu: float, tau2: float, delta: np.ndarray) -> float:
        total = self.v + tau2
        cum = self.cumulative(mu, tau2)
        probs = np.diff(np.column_stack([np.zeros(self.y.size), cum]), axis=1)
        normaliser = probs @ delta
        log_density = -0.5 * (np.log(2 * math.pi * total) + (self.y - mu) ** 2 / total)
        return float(np.sum(log_density + np.log(delta[self.interval]) - np.log(normaliser)))


def _numeric_hessian(f, x: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``x`` (steps scaled to each coordinate)."""
    n = x.size
    h = 1e-4 * np.maximum(np.abs(x), 1e-2)
    hess = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            ei, ej = np.zeros(n), np.zeros(n)
            ei[i], ej[j] = h[i], h[j]
            value = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                4 * h[i] * h[j]
            )
            hess[i, j] = hess[j, i] = value
    return hess


def _maximise(objective, start: np.ndarray, bounds: list[tuple[float | None, float | None]]):
    """Maximise with L-BFGS-B, restarted once from its optimum; converged when the restart
    gains nothing (the line search may stop "abnormally" at an optimum this tight)."""

    def run(x0: np.ndarray):
        return scipy.optimize.minimize(
            lambda x: -objective(x),
            x0,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-13, "gtol": 1e-9, "maxiter": 5000, "maxfun": 50000},
        )

    first = run(start)
    second = run(first.x)
    converged = bool(np.isfinite(second.fun)) and abs(first.fun - second.fun) < 1e-8
    return second.x, -float(second.fun), converged


def check_steps(steps: object) -> tuple[float, ...]:
    """The cut-points ``steps`` with the final 1 added, or a ``ValueError`` saying what is wrong.

    Cut-points are one-sided p-values, each in (0, 1) and strictly increasing; a last
    cut-point of 1 may be given (as metafor allows) and is added when it is not.

    >>> check_steps([0.025, 0.5])
    (0.025, 0.5, 1.0)
    >>> check_steps([0.5, 0.025])
    Traceback (most recent call last):
    ...
    metareview.errors.InputError: steps must be cut-points in (0, 1), increasing (e.g. [0.025, 0.5]); got [0.5, 0.025]
    """
    try:
        values = [float(step) for step in np.atleast_1d(np.asarray(steps, dtype=object))]
    except (TypeError, ValueError):
        values = []
    inner = values[:-1] if values and values[-1] == 1.0 else values
    increasing = all(a < b for a, b in pairwise(inner))
    if not inner or not increasing or not all(0.0 < step < 1.0 for step in inner):
        shown = list(steps) if isinstance(steps, list | tuple) else steps
        raise InputError(
            f"steps must be cut-points in (0, 1), increasing (e.g. [0.025, 0.5]); got {shown!r}"
        )
    return (*inner, 1.0)


def selection_model(
    yi: object,
    vi: object,
    steps: object,
    *,
    method: str = "ML",
    alternative: str = "greater",
    level: float = 0.95,
) -> SelectionModel:
    """Fit a step-function selection model (Vevea & Hedges 1995).

    Parameters
    ----------
    yi, vi : array-like
        Effects and sampling variances.
    steps : sequence of float
        Cut-points on the one-sided p-value scale, increasing in (0, 1); 1 is added
        (:func:`check_steps`). Every interval must hold at least one study's p-value, else
        a ``ValueError`` names the empty ones (metafor's ``selmodel`` documents the same
        requirement and stops with an error).
    method : {"ML", "FE"}
        Random-effects model with τ² estimated by ML, or common-effect model (τ² = 0).
    alternative : {"greater", "less", "two.sided"}
        Direction of the p-values that drive selection.
    level : float
        Confidence level of the interval for the estimate.

    Examples
    --------
    >>> res = selection_model([0.4, 0.1, 0.6, 0.3, 0.05], [0.02, 0.03, 0.05, 0.01, 0.04],
    ...                       steps=[0.05], method="FE")
    >>> res.lrt_df
    1
    """
    check_choice("method", method, SELECTION_METHODS)
    check_choice("alternative", alternative, ALTERNATIVES)
    y, v = check_inputs(yi, vi)
    cuts = np.array(check_steps(steps))
    likelihood = _StepLikelihood(y, v, cuts, alternative)
    n_delta = cuts.size - 1
    counts = tuple(int(np.sum(likelihood.interval == j)) for j in range(cuts.size))
    if 0 in counts:
        bounds = [0.0, *cuts]
        empty = ", ".join(
            f"{bounds[j]:g} < p <= {bounds[j + 1]:g}" for j, n in enumerate(counts) if n == 0
        )
        raise NotEstimableError(
            f"no study's one-sided p-value lies in {empty} (studies per interval: "
            f"{', '.join(map(str, counts))}); every interval needs one, as in metafor's "
            "selmodel; choose other cut-points"
        )
    random = method == "ML"

    def unpack(x: np.ndarray) -> tuple[float, float, np.ndarray]:
        tau2 = x[1] if random else 0.0
        delta = np.concatenate([[1.0], x[1 + random :]])
        return x[0], tau2, delta

    def loglik(x: np.ndarray) -> float:
        mu, tau2, delta = unpack(x)
        return likelihood(mu, tau2, delta)

    mu0 = float(LinearModel(y, v).fixed.beta[0])
    tau2_start = [max(float(np.var(y)) - float(np.mean(v)), 0.01)] if random else []
    bounds_null = [(None, None)] + [(0.0, None)] * random
    null_x, null_ll, null_ok = _maximise(
        lambda x: loglik(np.concatenate([x, np.ones(n_delta)])),
        np.array([mu0, *tau2_start]),
        bounds_null,
    )
    start = np.concatenate([null_x, np.ones(n_delta)])
    bounds = bounds_null + [(_DELTA_FLOOR, DELTA_MAX)] * n_delta
    x, ll, ok = _maximise(loglik, start, bounds)
    mu, tau2, delta = unpack(x)

    at_bound = np.zeros(x.size, dtype=bool)
    if random:
        at_bound[1] = x[1] < 1e-6
    free_delta = x[1 + random :]
    delta_bound = (free_delta <= _BOUND_TOL) | (free_delta >= DELTA_MAX - _BOUND_TOL)
    at_bound[1 + random :] = delta_bound
    warnings = []
    if delta_bound.any():
        warnings.append(
            "one or more delta estimates are at their bound (0 or "
            f"{DELTA_MAX:g}, as metafor's delta.max); their SEs are not given: treat the "
            "selection model with caution"
        )
    free = np.flatnonzero(~at_bound)

    def loglik_free(z: np.ndarray) -> float:
        full = x.copy()
        full[free] = z
        return loglik(full)

    covariance = np.full((x.size, x.size), np.nan)
    hessian = _numeric_hessian(loglik_free, x[free])
    try:
        covariance[np.ix_(free, free)] = np.linalg.inv(-hessian)
    except np.linalg.LinAlgError:
        ok = False
    variances = np.diag(covariance)
    se = math.sqrt(variances[0]) if variances[0] > 0 else math.nan
    crit = float(dist.z_crit(level))
    se_delta = [None] + [
        math.sqrt(value) if value > 0 else None for value in variances[1 + random :]
    ]
    lrt = max(0.0, 2 * (ll - null_ll))
    return SelectionModel(
        method=method,
        alternative=alternative,
        steps=tuple(float(c) for c in cuts),
        k=int(y.size),
        k_per_interval=counts,
        estimate=float(mu),
        se=se,
        ci_lower=float(mu - crit * se),
        ci_upper=float(mu + crit * se),
        pvalue=float(dist.z_pvalue(mu / se)),
        tau2=float(tau2),
        delta=tuple(float(d) for d in delta),
        se_delta=tuple(se_delta),
        lrt=lrt,
        lrt_df=n_delta,
        lrt_pvalue=float(scipy.stats.chi2.sf(lrt, n_delta)),
        loglik=ll,
        loglik_null=null_ll,
        converged=ok and null_ok,
        level=level,
        delta_at_bound=(False, *(bool(b) for b in delta_bound)),
        warnings=tuple(warnings),
    )
