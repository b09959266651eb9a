"""Many meta-analyses at once: one vectorised pass over thousands of groups.

The studies of all groups are laid out as a padded (groups × k_max) array; every τ² estimator,
the Newton iteration of REML/ML/PM/EB (kept inside per-group brackets, as in
:mod:`metareview.stats.tau2`), the Q-profile CI and the pooled estimates are computed for all
groups together. Results equal those of :func:`metareview.stats.pooling.pool` group by group.

>>> import pandas as pd
>>> table = pd.DataFrame({"review": ["a", "a", "a", "b", "b"],
...                       "yi": [0.1, 0.5, 0.9, 0.2, 0.3], "vi": [0.02, 0.03, 0.02, 0.05, 0.04]})
>>> out = pool_many(table, by="review", method="DL")
>>> out.loc["a", ["k", "estimate", "tau2"]].round(4).tolist()
[3.0, 0.5, 0.16]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metareview.errors import InputError, NotEstimableError
from metareview.stats import distributions as dist
from metareview.stats import heterogeneity as het
from metareview.stats.jackson import jackson_tau2_ci
from metareview.stats.pooling import resolve_settings, tau2_ci_method_for
from metareview.stats.presets import Preset
from metareview.stats.tau2 import (
    DEFAULT_MAXITER,
    DEFAULT_TOL,
    GRID_POINTS,
    LIKELIHOOD_METHODS,
    VARIANCE_RATIO_LIMIT,
    first_out_of_domain,
    interior_maximum,
    spread_problem,
)
from metareview.stats.vocabulary import CI_METHODS, check_choice, check_level
from metareview.stats.wls import LinearModel, intercept_traces

COLUMNS = (
    "k",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "pvalue",
    "tau2",
    "tau2_se",
    "i2",
    "q",
    "pi_lower",
    "pi_upper",
    "converged",
    "iterations",
)


# the columns defined for every group, whatever its k
REQUIRED_FINITE = ("estimate", "se", "ci_lower", "ci_upper", "pvalue", "tau2", "i2", "q")


@dataclass
class _State:
    """Sums of the intercept-only fit with weights 1/(v + τ²), one entry per group."""

    sum_w: np.ndarray
    mu: np.ndarray
    q: np.ndarray
    ypy2: np.ndarray
    yp3y: np.ndarray
    tr_p: np.ndarray
    tr_pp: np.ndarray
    sum_w2: np.ndarray


class _Groups:
    """Padded effects ``y``, variances ``v`` and mask of present studies, groups × k_max."""

    def __init__(self, y: np.ndarray, v: np.ndarray, mask: np.ndarray):
        self.y, self.v, self.mask = y, v, mask
        self.k = mask.sum(axis=1)

    def state(self, tau2: np.ndarray, rows: np.ndarray | slice = slice(None)) -> _State:
        y, mask = self.y[rows], self.mask[rows]
        w = mask / (self.v[rows] + tau2[:, None])
        sw = w.sum(axis=1)
        sw2 = (w * w).sum(axis=1)
        mu = (w * y).sum(axis=1) / sw
        r = (y - mu[:, None]) * mask
        wr = w * r
        spread = (wr - ((w * wr).sum(axis=1) / sw)[:, None]) * mask
        tr_p, tr_pp = intercept_traces(w)  # sums of non-negative terms (see wls)
        return _State(
            sum_w=sw,
            mu=mu,
            q=(wr * r).sum(axis=1),
            ypy2=(wr * wr).sum(axis=1),
            yp3y=(w * spread * spread).sum(axis=1),
            tr_p=tr_p,
            tr_pp=tr_pp,
            sum_w2=sw2,
        )


# An estimating equation: (value, derivative) at τ² from the state and a per-group target.
Equation = Callable[[_State, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _q_equation(s: _State, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Generalised Q minus a target (PM/EB: k − 1; Q-profile: a χ² quantile)."""
    return s.q - target, -s.ypy2


_EQUATIONS: dict[str, Equation] = {
    "REML": lambda s, target: (s.ypy2 - s.tr_p, s.tr_pp - 2.0 * s.yp3y),
    "ML": lambda s, target: (s.ypy2 - s.sum_w, s.sum_w2 - 2.0 * s.yp3y),
    "PM": _q_equation,
    "EB": _q_equation,
}


def _solve(
    groups: _Groups,
    rows: np.ndarray,
    equation: Equation,
    start: np.ndarray,
    target: np.ndarray,
    tol: float = DEFAULT_TOL,
    maxiter: int = DEFAULT_MAXITER,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised safeguarded Newton on τ² ≥ 0 for the groups ``rows`` (see tau2.py)."""
    n = rows.size
    tau2 = np.zeros(n)
    converged = np.ones(n, dtype=bool)
    iterations = np.zeros(n, dtype=int)
    value0, _ = equation(groups.state(np.zeros(n), rows), target)
    active = np.flatnonzero(value0 > 0)
    lo = np.zeros(n)
    scale = (groups.v[rows] * groups.mask[rows]).sum(axis=1) / groups.k[rows]
    hi = np.maximum(start, 1e-4 * scale)
    # expand the upper ends until the equation is negative there
    pending = active
    while pending.size:
        value, _ = equation(groups.state(hi[pending], rows[pending]), target[pending])
        iterations[pending] += 1
        grow = value >= 0
        lo[pending[grow]] = hi[pending[grow]]
        hi[pending[grow]] *= 4.0
        stuck = pending[grow & (iterations[pending] > maxiter)]
        converged[stuck] = False
        tau2[stuck] = lo[stuck]
        pending = pending[grow & (iterations[pending] <= maxiter)]
    active = active[converged[active]]
    x = np.clip(start, lo, hi)
    at_end = (x <= lo) | (x >= hi)
    x[at_end] = 0.5 * (lo[at_end] + hi[at_end])
    for _ in range(maxiter):
        if not active.size:
            break
        value, slope = equation(groups.state(x[active], rows[active]), target[active])
        iterations[active] += 1
        xa = x[active]
        lo[active] = np.where(value > 0, xa, lo[active])
        hi[active] = np.where(value < 0, xa, hi[active])
        with np.errstate(divide="ignore", invalid="ignore"):
            candidate = np.where(slope < 0, xa - value / slope, np.inf)
        outside = ~((lo[active] < candidate) & (candidate < hi[active]))
        candidate = np.where(outside, 0.5 * (lo[active] + hi[active]), candidate)
        candidate = np.where(value == 0, xa, candidate)
        done = (
            (np.abs(candidate - xa) <= tol * (scale[active] + xa))
            | (hi[active] - lo[active] <= tol * (scale[active] + lo[active]))
            | (value == 0)
        )
        x[active] = candidate
        tau2[active[done]] = candidate[done]
        active = active[~done]
    converged[active] = False
    tau2[active] = x[active]
    return tau2, converged, iterations


def _interior_maxima(groups: _Groups, method: str, rows: np.ndarray, tau2: np.ndarray) -> None:
    """For groups at the boundary τ² = 0, look for a higher interior likelihood maximum.

    The score is scanned on the grid of :func:`metareview.stats.tau2.interior_maximum` for all
    these groups at once; the (rare) groups where it turns from + to − are refitted by that
    function, which keeps the τ² of highest likelihood.
    """
    if not rows.size:
        return
    mask = groups.mask[rows]
    k = groups.k[rows]
    mean = (groups.y[rows] * mask).sum(axis=1) / k
    var_y = (((groups.y[rows] - mean[:, None]) * mask) ** 2).sum(axis=1) / k
    top = 10.0 * (var_y + np.where(mask > 0, groups.v[rows], -np.inf).max(axis=1))
    grid = np.geomspace(1e-6 * top, top, GRID_POINTS, axis=1)
    boundary = _Groups(groups.y[rows], groups.v[rows], mask)  # indexed once, not per point
    equation = _EQUATIONS[method]
    values = np.column_stack(
        [equation(boundary.state(grid[:, j]), k - 1.0)[0] for j in range(GRID_POINTS)]
    )
    turns = ((values[:, :-1] > 0) & (values[:, 1:] <= 0)).any(axis=1)
    for row in rows[turns]:
        present = groups.mask[row] > 0
        model = LinearModel(groups.y[row, present], groups.v[row, present])
        tau2[row], _ = interior_maximum(model, method)


def _moment_tau2(groups: _Groups, method: str) -> np.ndarray:
    k = groups.k
    if method == "FE":
        return np.zeros(k.size)
    if method in ("DL", "HS"):
        fe = groups.state(np.zeros(k.size))
        raw = (fe.q - (k - 1)) / fe.tr_p if method == "DL" else (fe.q - k) / fe.sum_w
    elif method == "HE":
        mean = (groups.y * groups.mask).sum(axis=1) / k
        rss = (((groups.y - mean[:, None]) * groups.mask) ** 2).sum(axis=1)
        sum_v = (groups.v * groups.mask).sum(axis=1)
        raw = (rss - (sum_v - sum_v / k)) / (k - 1)
    else:  # SJ
        tau0 = _sj_start(groups)
        raw = np.where(tau0 > 0, tau0 * groups.state(tau0).q / (k - 1), 0.0)
    with np.errstate(invalid="ignore"):
        return np.where(k > 1, np.maximum(raw, 0.0), 0.0)


def _sj_start(groups: _Groups) -> np.ndarray:
    """Sidik–Jonkman's starting value: the mean squared deviation of the effects."""
    k = groups.k
    mean = (groups.y * groups.mask).sum(axis=1) / k
    return (((groups.y - mean[:, None]) * groups.mask) ** 2).sum(axis=1) / k


def _tau2_se(groups: _Groups, method: str, tau2: np.ndarray, fe: _State, re: _State) -> np.ndarray:
    """SE of τ̂² per group, by the formulas of :mod:`metareview.stats.tau2_se` written for
    the intercept-only model (NaN for FE and k < 2)."""
    k = groups.k.astype(float)
    df = k - 1
    se = np.full(k.size, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "ML":
            se = np.sqrt(2.0 / re.sum_w2)
        elif method == "REML":
            se = np.sqrt(2.0 / re.tr_pp)
        elif method in ("PM", "EB"):
            se = k / df * np.sqrt(2.0 * df) / re.sum_w
        elif method in ("DL", "HS"):
            spread = df + 2.0 * tau2 * fe.tr_p + tau2**2 * fe.tr_pp
            se = np.sqrt(2.0 * spread) / (fe.tr_p if method == "DL" else fe.sum_w)
        elif method in ("HE", "SJ"):
            # tr(AΣAΣ) for A = diag(a) − aaᵀ/Σa and Σ = diag(v + τ̂²)
            sigma = (groups.v + tau2[:, None]) * groups.mask
            tau0 = _sj_start(groups) if method == "SJ" else np.ones(k.size)
            a = groups.mask if method == "HE" else groups.mask / (groups.v + tau0[:, None])
            sum_a = a.sum(axis=1)
            trace = (
                (a**2 * sigma**2).sum(axis=1)
                - 2.0 * (a**3 * sigma**2).sum(axis=1) / sum_a
                + (a**2 * sigma).sum(axis=1) ** 2 / sum_a**2
            )
            se = np.sqrt(2.0 * trace) / df * (tau0 if method == "SJ" else 1.0)
    return np.where(k > 1, se, np.nan)


def _qprofile(groups: _Groups, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised Q-profile CI for τ² (see heterogeneity.qprofile_tau2_ci)."""
    n = groups.k.size
    df = groups.k - 1
    fe = groups.state(np.zeros(n))
    bounds = []
    for quantile in (1 - (1 - level) / 2, (1 - level) / 2):
        crit = np.where(df >= 1, dist.chi2_quantile(quantile, np.maximum(df, 1)), np.inf)
        rows = np.flatnonzero(fe.q > crit)
        bound = np.zeros(n)
        if rows.size:
            start = np.maximum((fe.q[rows] - crit[rows]) / fe.tr_p[rows], 0.0)
            bound[rows], _, _ = _solve(groups, rows, _q_equation, start, crit[rows])
        bounds.append(np.where(df >= 1, bound, np.nan))
    return bounds[0], bounds[1]


def pool_many(
    table: pd.DataFrame,
    by: str | Sequence[str],
    yi: str = "yi",
    vi: str | None = "vi",
    *,
    sei: str | None = None,
    method: str | None = None,
    test: str | None = None,
    level: float = 0.95,
    preset: str | Preset | None = None,
    tau2_ci: bool = False,
) -> pd.DataFrame:
    """Fit one meta-analysis per group of ``table`` in a single vectorised pass.

    Parameters
    ----------
    table : DataFrame
        One row per study, with the grouping column(s), effects and variances.
    by : str or list of str
        Column(s) defining the meta-analyses.
    yi, vi, sei : str
        Columns of the effects and of their variances (or give ``sei`` for standard errors).
    method : str, optional
        τ² estimator ``FE DL REML ML PM SJ HE EB HS`` (default: the preset's).
    test : str, optional
        ``z``, ``knha`` or ``adhoc`` (default: the preset's).
    level : float
        Confidence level.
    preset : str or Preset, optional
        Sets, as in ``pool``, the default estimator and CI method, the I² definition, the
        prediction-interval rule and the CI methods of τ² and I² (default ``metafor``).
    tau2_ci : bool
        Add CIs of τ² and I²: columns ``tau2_ci_lower``, ``tau2_ci_upper``, ``i2_ci_lower``,
        ``i2_ci_upper``, by the preset's ``tau2_ci_method`` (Q-profile, or Jackson's for DL
        under ``meta``) and ``i2_ci_method`` (from the τ² bounds, or test-based), as ``pool``;
        NaN where the preset reports none (``revman5``, ``cma``) and for k < 2.

    Returns
    -------
    DataFrame indexed by group with columns ``k, estimate, se, ci_lower, ci_upper, pvalue,
    tau2, tau2_se, i2, q, pi_lower, pi_upper, converged, iterations`` (I² in percent;
    ``tau2_se`` the SE of τ̂² as ``pool``'s, NaN for FE and k = 1).
    """
    if test is not None:
        check_choice("test", str(test).lower(), CI_METHODS)
    method, test, chosen = resolve_settings(method, test, preset)
    check_level(level)
    keys = [by] if isinstance(by, str) else list(by)
    spread = sei if sei is not None else vi
    missing = [c for c in [*keys, yi, spread] if c is None or c not in table.columns]
    if missing:
        raise InputError(f"pool_many: column(s) not in the table: {missing}")
    y = table[yi].to_numpy(dtype=float)
    v = table[spread].to_numpy(dtype=float)
    if sei is not None:
        v = v**2
    bad = ~(np.isfinite(y) & np.isfinite(v) & (v > 0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"pool_many: row {table.index[row]} has {yi} = {table[yi].iloc[row]}, "
            f"{spread} = {table[spread].iloc[row]}; expected finite numbers with variance > 0"
        )
    first = first_out_of_domain(y, v)
    if first is not None:
        raise InputError(f"pool_many: row {table.index[first[0]]} has {first[1]}")
    unlabelled = table[keys].isna().any(axis=1).to_numpy()
    if unlabelled.any():
        row = int(np.flatnonzero(unlabelled)[0])
        raise InputError(
            f"pool_many: row {table.index[row]} has no value in {', '.join(keys)}; "
            "every study needs its group"
        )
    codes, index = _group_codes(table, keys)
    _check_spread(table, codes, v, len(index))
    groups = _pad(codes, y, v, len(index))
    # k = 1 groups divide 0 by 0 for what is undefined there (documented NaN columns)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = _fit(groups, method, test, level, chosen, tau2_ci)
    frame = pd.DataFrame(result, index=index)
    frame["k"] = frame["k"].astype(int)
    _check_finite(frame)
    return frame


def fit_groups(
    codes: np.ndarray, y: np.ndarray, v: np.ndarray, method: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """τ², whether its iteration converged, Σw and the pooled estimate of every group of an
    intercept-only model (groups numbered 0 … n−1 by ``codes``): :func:`pool_many`'s fit
    without its checks and table, for callers whose effects and variances are already valid.

    >>> tau2, converged, sum_w, mu = fit_groups(np.array([0, 0, 0, 1, 1]),
    ...     np.array([0.1, 0.5, 0.9, 0.2, 0.3]), np.array([0.02, 0.03, 0.02, 0.05, 0.04]), "DL")
    >>> tau2.round(4).tolist(), mu.round(4).tolist()
    ([0.16, 0.0], [0.5, 0.2556])
    """
    groups = _pad(codes, y, v, int(codes.max()) + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau2, converged, _ = _tau2(groups, method)
        state = groups.state(tau2)
    return tau2, converged, state.sum_w, state.mu


def _check_finite(frame: pd.DataFrame) -> None:
    """NaN never passes silently: the columns every group has must be finite."""
    for column in REQUIRED_FINITE:
        values = frame[column].to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            group = frame.index[int(np.flatnonzero(bad)[0])]
            raise NotEstimableError(
                f"pool_many: group {group!r} gave {column} = {values[bad][0]}, which floating "
                "point cannot represent; please report these data"
            )


def _check_spread(table: pd.DataFrame, codes: np.ndarray, v: np.ndarray, n_groups: int) -> None:
    """A ValueError naming the first row whose variance is too far from its group's smallest
    (:func:`metareview.stats.tau2.spread_problem`), in one vectorised pass."""
    low = np.full(n_groups, np.inf)
    high = np.zeros(n_groups)
    np.minimum.at(low, codes, v)
    np.maximum.at(high, codes, v)
    wide = np.flatnonzero(high > VARIANCE_RATIO_LIMIT * low)
    if wide.size == 0:
        return
    members = np.flatnonzero(codes == wide[0])
    index, message = spread_problem(v[members])
    raise InputError(
        f"pool_many: row {table.index[members[index]]} has {message} within its group (its "
        "weight would vanish in floating point: check the units)"
    )


def _group_codes(table: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, pd.Index]:
    if len(keys) == 1:
        codes, uniques = pd.factorize(table[keys[0]], sort=True)
        return codes, pd.Index(uniques, name=keys[0])
    index = pd.MultiIndex.from_frame(table[keys])
    codes, uniques = pd.factorize(index, sort=True)
    return codes, pd.MultiIndex.from_tuples(list(uniques), names=keys)


def _pad(codes: np.ndarray, y: np.ndarray, v: np.ndarray, n_groups: int) -> _Groups:
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    counts = np.bincount(codes, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.arange(codes.size) - starts[sorted_codes]
    width = int(counts.max())
    Y = np.zeros((n_groups, width))
    V = np.ones((n_groups, width))
    M = np.zeros((n_groups, width))
    Y[sorted_codes, position] = y[order]
    V[sorted_codes, position] = v[order]
    M[sorted_codes, position] = 1.0
    return _Groups(Y, V, M)


def _tau2(groups: _Groups, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """τ² of every group by ``method``, whether its iteration converged and its steps."""
    k = groups.k
    n = k.size
    converged = np.ones(n, dtype=bool)
    iterations = np.zeros(n, dtype=int)
    if method in _EQUATIONS:
        start = _moment_tau2(groups, "DL")
        rows = np.flatnonzero(k > 1)
        tau2 = np.zeros(n)
        fitted, ok, steps = _solve(groups, rows, _EQUATIONS[method], start[rows], k[rows] - 1.0)
        tau2[rows], converged[rows], iterations[rows] = fitted, ok, steps
        if method in LIKELIHOOD_METHODS:
            _interior_maxima(groups, method, np.flatnonzero((k > 1) & (tau2 == 0)), tau2)
    else:
        tau2 = _moment_tau2(groups, method)
    return tau2, converged, iterations


def _fit(
    groups: _Groups, method: str, test: str, level: float, preset: Preset, tau2_ci: bool
) -> dict[str, np.ndarray]:
    k = groups.k
    n = k.size
    tau2, converged, iterations = _tau2(groups, method)
    fe = groups.state(np.zeros(n))
    re = groups.state(tau2)
    se_classic = 1.0 / np.sqrt(re.sum_w)
    df = np.maximum(k - 1, 1)
    if test == "z":
        se = se_classic
        crit = np.full(n, dist.z_crit(level))
    else:
        factor = re.q / df
        if test == "adhoc":
            factor = np.maximum(factor, 1.0)
        factor = np.where(factor > 0, factor, 1.0)  # identical effects: as pool(), adhoc
        se = np.where(k > 1, se_classic * np.sqrt(factor), se_classic)
        crit = np.where(k > 1, dist.t_crit(level, df), dist.z_crit(level))
    statistic = re.mu / se
    if test == "z":
        pvalue = dist.z_pvalue(statistic)
    else:
        pvalue = np.where(k > 1, dist.t_pvalue(statistic, df), dist.z_pvalue(statistic))
    typical = np.where(k > 1, (k - 1) / np.where(fe.tr_p > 0, fe.tr_p, np.nan), np.nan)
    if preset.i2_definition == "tau2" and method != "FE":
        i2 = np.where(k > 1, 100 * tau2 / (typical + tau2), 0.0)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            i2 = np.where((k > 1) & (fe.q > 0), 100 * np.maximum(0, (fe.q - (k - 1)) / fe.q), 0.0)
    pi_lower, pi_upper = _prediction(re.mu, se, se_classic, tau2, k, test, preset, level, method)
    out = {
        "k": k,
        "estimate": re.mu,
        "se": se,
        "ci_lower": re.mu - crit * se,
        "ci_upper": re.mu + crit * se,
        "pvalue": pvalue,
        "tau2": tau2,
        "tau2_se": _tau2_se(groups, method, tau2, fe, re),
        "i2": i2,
        "q": fe.q,
        "pi_lower": pi_lower,
        "pi_upper": pi_upper,
        "converged": converged,
        "iterations": iterations,
    }
    if tau2_ci and method != "FE":
        out.update(_heterogeneity_cis(groups, method, fe.q, typical, preset, level))
    return out


def _heterogeneity_cis(
    groups: _Groups,
    method: str,
    q: np.ndarray,
    typical: np.ndarray,
    preset: Preset,
    level: float,
) -> dict[str, np.ndarray]:
    """CIs of τ² and I² by the preset's methods, as :func:`metareview.stats.pooling.pool`
    computes them (NaN where the preset reports none or k < 2)."""
    k = groups.k
    nan = np.full(k.size, np.nan)
    tau2_method = tau2_ci_method_for(preset, method)
    if tau2_method == "qprofile":
        lower, upper = _qprofile(groups, level)
    elif tau2_method == "jackson":
        bounds = [
            jackson_tau2_ci(groups.y[g, present], groups.v[g, present], level)
            if k[g] >= 2
            else (np.nan, np.nan)
            for g, present in enumerate(groups.mask.astype(bool))
        ]
        lower, upper = np.array(bounds).T
    else:
        lower, upper = nan, nan
    i2_method = preset.i2_ci_method
    if i2_method == "qprofile":
        i2_lower, i2_upper = 100 * lower / (typical + lower), 100 * upper / (typical + upper)
    elif i2_method == "test_based":
        bounds = [
            het.test_based_i2_ci(q[g], int(k[g]), level) or (np.nan, np.nan) for g in range(k.size)
        ]
        i2_lower, i2_upper = np.array(bounds, dtype=float).T
    else:
        i2_lower, i2_upper = nan, nan
    return {
        "tau2_ci_lower": lower,
        "tau2_ci_upper": upper,
        "i2_ci_lower": i2_lower,
        "i2_ci_upper": i2_upper,
    }


def _prediction(mu, se, se_classic, tau2, k, test, preset, level, method):
    nan = np.full(k.size, np.nan)
    if method == "FE" or preset.pi_method == "none":
        return nan, nan
    if preset.pi_method == "follow_ci":
        if test == "z":
            crit = np.full(k.size, dist.z_crit(level))
        else:
            crit = np.where(k > 1, dist.t_crit(level, np.maximum(k - 1, 1)), np.nan)
        half = crit * np.sqrt(se**2 + tau2)
    else:
        df = k - 1 if preset.pi_method == "t_k1" else k - 2
        crit = np.where(df >= 1, dist.t_crit(level, np.maximum(df, 1)), np.nan)
        half = crit * np.sqrt(se_classic**2 + tau2)
    return mu - half, mu + half
