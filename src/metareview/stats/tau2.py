"""Estimators of the between-study variance τ², for intercept-only and meta-regression models.

Methods (codes as in metafor):

- ``FE``: no heterogeneity (τ² = 0).
- ``DL``: DerSimonian & Laird (1986) method of moments on Cochran's Q.
- ``HE``: Hedges (1983), method of moments on the unweighted residual sum of squares.
- ``HS``: Hunter & Schmidt (2004), ``(Q − k)/Σw``.
- ``SJ``: Sidik & Jonkman (2005), one re-weighting step from the unweighted variance.
- ``ML``/``REML``: (restricted) maximum likelihood.
- ``PM``: Paule & Mandel (1982): the generalised Q equals its degrees of freedom.
- ``EB``: empirical Bayes (Morris 1983; Berkey et al. 1995); its estimating equation
  ``Σw(k/(k−p)·r² − v − τ²) = 0`` reduces to the PM equation, so both give the same value.

The iterative estimators solve their estimating equation by Newton steps kept
inside a bracket that always contains the root (bisection when a step leaves it), so they
converge whenever a solution exists; when the equation is already non-positive at τ² = 0,
the estimate is exactly 0 (the boundary), as in metafor.

>>> import numpy as np
>>> yi = np.array([-0.89, -1.59, -1.35, -1.44, -0.22, -0.79, -1.62, 0.01, -0.47, -1.37, -0.34, 0.45, -0.02])
>>> vi = np.array([0.326, 0.195, 0.415, 0.020, 0.051, 0.007, 0.223, 0.004, 0.056, 0.073, 0.012, 0.533, 0.071])
>>> fit = estimate_tau2(yi, vi, method="REML")
>>> fit.converged, round(fit.tau2, 4)
(True, 0.3125)
>>> estimate_tau2(yi, vi, method="reml2")
Traceback (most recent call last):
...
metareview.errors.InputError: method must be one of FE, DL, REML, ML, PM, SJ, HE, EB, HS; got 'reml2'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from metareview.errors import InputError
from metareview.stats.result_base import ResultDocument
from metareview.stats.vocabulary import TAU2_METHODS
from metareview.stats.wls import FitState, LinearModel

ITERATIVE_METHODS = frozenset({"REML", "ML", "PM", "EB"})
LIKELIHOOD_METHODS = frozenset({"REML", "ML"})
GRID_POINTS = 100

DEFAULT_TOL = 1e-10
DEFAULT_MAXITER = 200


@dataclass(frozen=True)
class Tau2Fit(ResultDocument):
    """An estimate of τ²: value, whether its iteration converged, and the steps it took."""

    tau2: float
    converged: bool
    iterations: int
    method: str


def check_method(method: str) -> str:
    """Validate a τ² method code (case-insensitive) and return it in canonical form.

    >>> check_method("reml")
    'REML'
    """
    code = str(method).upper()
    if code not in TAU2_METHODS:
        raise InputError(f"method must be one of {', '.join(TAU2_METHODS)}; got {method!r}")
    return code


# The numbers pooling can weigh in floating point: effects up to 1e50 in magnitude, variances
# in [1e-50, 1e50]. Beyond them the weights' powers (Σw³ in REML) and y²/v overflow or vanish;
# no effect on an analysis scale (log ratios, SMDs, differences in natural units) comes near,
# so such values are unit or data-entry errors.
EFFECT_LIMIT = 1e50
VARIANCE_LIMITS = (1e-50, 1e50)
# Σw − Σw²/Σw and its kin lose all precision when one weight is ~1e16 times another; beyond a
# ratio of 1e12 the smaller study carries no weight that double precision can show.
VARIANCE_RATIO_LIMIT = 1e12


def domain_problem(y: float, v: float) -> str | None:
    """What is wrong with one effect and variance for pooling, or ``None``.

    >>> domain_problem(0.2, 1e-300)
    'vi = 1e-300; expected a variance between 1e-50 and 1e+50'
    """
    if not math.isfinite(y):
        return f"yi = {y!r}; expected a finite number"
    if not math.isfinite(v) or v <= 0:
        return f"vi = {v!r}; expected a finite number > 0"
    if abs(y) > EFFECT_LIMIT:
        return f"yi = {y:g}; expected an effect between -{EFFECT_LIMIT:g} and {EFFECT_LIMIT:g}"
    low, high = VARIANCE_LIMITS
    if not low <= v <= high:
        return f"vi = {v:g}; expected a variance between {low:g} and {high:g}"
    return None


def spread_problem(v: np.ndarray) -> tuple[int, str] | None:
    """The study whose variance is too far from the smallest one, with what is wrong.

    >>> spread_problem(np.array([0.01, 1e11]))
    (1, 'vi = 1e+11, 1e+13 times the smallest variance (0.01, study 1); expected at most 1e+12 times it')
    """
    low = int(np.argmin(v))
    high = int(np.argmax(v))
    if v[high] <= VARIANCE_RATIO_LIMIT * v[low]:
        return None
    return high, (
        f"vi = {v[high]:g}, {v[high] / v[low]:.3g} times the smallest variance ({v[low]:g}, "
        f"study {low + 1}); expected at most {VARIANCE_RATIO_LIMIT:g} times it"
    )


def first_out_of_domain(y: np.ndarray, v: np.ndarray) -> tuple[int, str] | None:
    """The position of the first study outside the domain, with what is wrong, or ``None``."""
    outside = np.flatnonzero(out_of_domain(y, v))
    if outside.size == 0:
        return None
    bad = int(outside[0])
    return bad, (
        f"{domain_problem(float(y[bad]), float(v[bad]))} (values beyond cannot be weighed in "
        "floating point: check the units)"
    )


def out_of_domain(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Mask of the studies :func:`domain_problem` would refuse."""
    low, high = VARIANCE_LIMITS
    with np.errstate(invalid="ignore"):
        return ~(np.isfinite(y) & (np.abs(y) <= EFFECT_LIMIT) & (v >= low) & (v <= high))


def check_inputs(yi: object, vi: object) -> tuple[np.ndarray, np.ndarray]:
    """Effects and variances as float arrays of one length, finite, variances positive and
    both inside the domain pooling can weigh (``EFFECT_LIMIT``, ``VARIANCE_LIMITS``)."""
    y = np.atleast_1d(np.asarray(yi, dtype=float))
    v = np.atleast_1d(np.asarray(vi, dtype=float))
    if y.ndim != 1 or y.shape != v.shape:
        raise InputError(f"yi and vi must be 1-D of one length; got {y.shape} and {v.shape}")
    if y.size == 0:
        raise InputError("at least one study is needed")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v))):
        raise InputError("yi and vi must be finite numbers (drop or fix missing values first)")
    if np.any(v <= 0):
        bad = int(np.flatnonzero(v <= 0)[0])
        raise InputError(f"vi must be > 0; study {bad + 1} has vi = {v[bad]!r}")
    first = first_out_of_domain(y, v)
    if first is not None:
        raise InputError(f"study {first[0] + 1} has {first[1]}")
    spread = spread_problem(v)
    if spread is not None:
        raise InputError(
            f"study {spread[0] + 1} has {spread[1]} (its weight would vanish in floating "
            "point: check the units)"
        )
    return y, v


def estimate_tau2(
    yi: object,
    vi: object,
    method: str = "REML",
    X: np.ndarray | None = None,
    *,
    tol: float = DEFAULT_TOL,
    maxiter: int = DEFAULT_MAXITER,
) -> Tau2Fit:
    """Estimate τ² for effects ``yi`` with sampling variances ``vi``.

    Parameters
    ----------
    yi, vi : array-like
        Effect sizes and their sampling variances (all > 0).
    method : str
        One of ``FE DL REML ML PM SJ HE EB HS``.
    X : array (k × p), optional
        Design matrix of a meta-regression (include the intercept column yourself);
        the default is the intercept-only model.
    tol, maxiter : float, int
        Convergence tolerance on τ² (relative to τ² plus the mean sampling variance, so it
        does not depend on the scale of the effects) and iteration limit of the iterative
        methods.

    Examples
    --------
    >>> fit = estimate_tau2([0.1, 0.5, 0.9], [0.02, 0.02, 0.02], method="DL")
    >>> round(fit.tau2, 6)
    0.14
    >>> estimate_tau2([0.1, 0.5, 0.9], [0.02, 0.02, 0.02], "DL", X=[[1, 0], [1, 1], [1, 2]]).tau2
    0.0
    """
    method = check_method(method)
    y, v = check_inputs(yi, vi)
    model = LinearModel(y, v, X)
    return estimate_tau2_model(model, method, tol=tol, maxiter=maxiter)


def estimate_tau2_model(
    model: LinearModel, method: str, *, tol: float = DEFAULT_TOL, maxiter: int = DEFAULT_MAXITER
) -> Tau2Fit:
    """:func:`estimate_tau2` on an already built :class:`LinearModel`."""
    k, p = model.k, model.p
    if method == "FE" or k - p < 1:
        return Tau2Fit(0.0, True, 0, method)
    if method in ITERATIVE_METHODS:
        start = _moment_estimate(model, "DL")
        tau2, converged, iterations = solve_estimating_equation(
            _EQUATIONS[method], model, start, tol=tol, maxiter=maxiter
        )
        if tau2 == 0.0 and method in LIKELIHOOD_METHODS:
            tau2, steps = interior_maximum(model, method, tol=tol, maxiter=maxiter)
            iterations += steps
        return Tau2Fit(tau2, converged, iterations, method)
    return Tau2Fit(_moment_estimate(model, method), True, 0, method)


def _intercept_only_scores(model: LinearModel, method: str, grid: np.ndarray) -> np.ndarray:
    """The ML/REML estimating equation of an intercept-only model at every τ² of ``grid``."""
    w = 1.0 / (model.v[:, None] + grid[None, :])
    sum_w = w.sum(axis=0)
    mu = (w * model.y[:, None]).sum(axis=0) / sum_w
    wr = w * (model.y[:, None] - mu)
    ypy2 = (wr * wr).sum(axis=0)
    if method == "ML":
        return ypy2 - sum_w
    return ypy2 - (sum_w - (w * w).sum(axis=0) / sum_w)


def log_likelihood(state: FitState, method: str) -> float:
    """The ML or REML log-likelihood of a fit, up to a constant."""
    extra = state.log_det_xwx if method == "REML" else 0.0
    return -0.5 * (state.log_det_v + extra + state.q)


def interior_maximum(
    model: LinearModel, method: str, *, tol: float = DEFAULT_TOL, maxiter: int = DEFAULT_MAXITER
) -> tuple[float, int]:
    """The global maximum of the (restricted) likelihood when its score is ≤ 0 at τ² = 0.

    A negative score at the boundary makes 0 a local maximum, but the likelihood can rise again
    to a higher interior maximum (ML on dat.bcg ~ ablat + alloc does, and metafor's Fisher
    scoring finds it). The score is scanned on a geometric grid up to 10·(var(y) + max(v));
    each change of sign from + to − is refined, and the τ² of highest likelihood (0 included)
    is returned with the number of refining iterations.
    """
    equation = _EQUATIONS[method]
    top = 10.0 * (float(np.var(model.y)) + float(np.max(model.v)))
    grid = np.geomspace(1e-6 * top, top, GRID_POINTS)
    if model.X is None:
        values = _intercept_only_scores(model, method, grid)
    else:
        values = np.array([equation(model.at(t), model)[0] for t in grid])
    best, best_ll, steps = 0.0, log_likelihood(model.fixed, method), 0
    for i in np.flatnonzero((values[:-1] > 0) & (values[1:] <= 0)):
        root, _, iterations = solve_estimating_equation(
            equation, model, math.sqrt(grid[i] * grid[i + 1]), lower=grid[i],
            upper=grid[i + 1], tol=tol, maxiter=maxiter,
        )  # fmt: skip
        steps += iterations
        loglik = log_likelihood(model.at(root), method)
        if loglik > best_ll:
            best, best_ll = float(root), loglik
    return best, steps


def _moment_estimate(model: LinearModel, method: str) -> float:
    k, p = model.k, model.p
    if method == "DL":
        fe = model.fixed
        tau2 = (fe.q - (k - p)) / fe.tr_p
    elif method == "HS":
        fe = model.fixed
        tau2 = (fe.q - k) / fe.sum_w
    elif method == "HE":
        rss, trace_pv = model.ols_residual_terms()
        tau2 = (rss - trace_pv) / (k - p)
    else:  # SJ: start from the mean squared deviation of y (even with moderators, as metafor)
        tau0 = float(np.var(model.y))
        if tau0 <= 0:
            return 0.0
        tau2 = tau0 * model.at(tau0).q / (k - p)
    return max(0.0, float(tau2))


# Each estimating equation returns (value, derivative) at τ²; its root is the estimate and its
# value is positive below the root. With dP/dτ² = −PP: d(yᵀPy) = −yᵀPPy, d(yᵀPPy) = −2yᵀPPPy,
# d tr(P) = −tr(PP), d Σw = −Σw².
Equation = Callable[[FitState, LinearModel], tuple[float, float]]


def _reml_equation(state: FitState, model: LinearModel) -> tuple[float, float]:
    return state.ypy2 - state.tr_p, state.tr_pp - 2.0 * state.yp3y


def _ml_equation(state: FitState, model: LinearModel) -> tuple[float, float]:
    return state.ypy2 - state.sum_w, float(state.w @ state.w) - 2.0 * state.yp3y


def _pm_equation(state: FitState, model: LinearModel) -> tuple[float, float]:
    return state.q - (model.k - model.p), -state.ypy2


_EQUATIONS: dict[str, Equation] = {
    "REML": _reml_equation,
    "ML": _ml_equation,
    "PM": _pm_equation,
    "EB": _pm_equation,
}


def solve_estimating_equation(
    equation: Equation,
    model: LinearModel,
    start: float,
    *,
    lower: float = 0.0,
    upper: float = math.inf,
    tol: float = DEFAULT_TOL,
    maxiter: int = DEFAULT_MAXITER,
) -> tuple[float, bool, int]:
    """Root of a decreasing-at-the-root estimating equation on τ² ≥ 0.

    Newton steps from ``start``, safeguarded by a bracket ``[lo, hi]`` (value > 0 at lo,
    < 0 at hi): a step that leaves the bracket is replaced by bisection, or, while no upper
    end is known yet, by growing τ² fourfold. Returns ``(tau2, converged, iterations)``; a
    non-positive value at 0 gives exactly 0. A known bracket ``[lower, upper]`` (value > 0
    at ``lower``) can be given instead of the default ``[0, ∞)``.
    """
    if lower == 0.0:
        value0, _ = equation(model.fixed, model)
        if value0 <= 0:
            return 0.0, True, 0
    scale = float(np.mean(model.v))  # tolerances relative to the variances: scale-free
    lo, hi = lower, upper
    x = start if start > 0 else 0.01 * scale
    for iterations in range(1, maxiter + 1):
        value, slope = equation(model.at(x), model)
        if value > 0:
            lo = x
        elif value < 0:
            hi = x
        else:
            return x, True, iterations
        candidate = x - value / slope if slope < 0 else math.nan
        if not lo < candidate < hi:
            candidate = 0.5 * (lo + hi) if math.isfinite(hi) else 4.0 * x + scale
        if abs(candidate - x) <= tol * (scale + x) or hi - lo <= tol * (scale + lo):
            return float(candidate), True, iterations
        x = candidate
    return float(x), False, maxiter
