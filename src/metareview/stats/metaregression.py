"""Meta-regression: mixed-effects (and fixed-effects) weighted regression on moderators.

The model is ``y = Xβ + u + ε`` with ``u ~ N(0, τ²)`` (residual heterogeneity; ``τ² = 0`` for
``method="FE"``) and ``ε ~ N(0, v)``. τ² is estimated with the chosen estimator for the model
*with* the moderators; β by weighted least squares with weights ``1/(v + τ²)``.

- Tests of the coefficients: ``z`` (normal) or ``knha`` (Knapp & Hartung 2003: the covariance
  scaled by ``s² = Q(τ̂²)/(k − p)``, t with k − p df); ``adhoc`` truncates ``s²`` at 1.
- Omnibus test of the moderators (all coefficients but the intercept): ``QM`` against χ²(m),
  or ``F = QM/m`` against F(m, k − p) under knha.
- Residual heterogeneity: ``QE`` against χ²(k − p); ``I² = τ²/(τ² + s²)`` with the typical
  within-study variance of the model; ``R² = max(0, (τ²₀ − τ²)/τ²₀)``, τ²₀ from the model
  without moderators (Raudenbush 2009). For ``FE`` I² and H² come from QE and
  ``R² = max(0, 1 − (QE/(k − p))/(Q₀/(k − 1)))`` (metafor's definition).
- Permutation test (Higgins & Thompson 2004): the rows of the moderators are permuted, the
  model refitted, and p is the share of permuted statistics at least as extreme as observed
  (``|z|`` or ``|t|`` for each coefficient, as metafor's ``permutest``), seeded.

Moderators are numeric columns or categorical ones (treatment coding: one indicator per level
but the first in sorted order, named ``mod[level]``). A column that is constant or a linear
combination of the columns before it adds nothing: as metafor ("Redundant predictors dropped
from the model"), it is dropped, named in ``dropped`` and in a warning of the result.

>>> import numpy as np
>>> yi = [-0.89, -1.59, -1.35, -1.44, -0.22, -0.79, -1.62, 0.01, -0.47, -1.37, -0.34, 0.45, -0.02]
>>> vi = [0.33, 0.19, 0.42, 0.02, 0.05, 0.01, 0.22, 0.004, 0.06, 0.07, 0.01, 0.53, 0.07]
>>> lat = [44, 55, 42, 52, 13, 44, 19, 13, 27, 42, 18, 33, 33]
>>> res = metareg(yi, vi, {"ablat": lat}, method="REML")
>>> [c.name for c in res.coefficients]
['intercept', 'ablat']
>>> round(res.coefficients[1].estimate, 4), round(res.qm, 3)
(-0.0291, 16.395)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy

from metareview.errors import InputError, NotEstimableError
from metareview.stats import distributions as dist
from metareview.stats.result_base import document
from metareview.stats.tau2 import check_inputs, check_method, estimate_tau2_model
from metareview.stats.vocabulary import CI_METHODS, check_choice, check_level
from metareview.stats.wls import LinearModel

MAX_PERMUTATIONS = 100_000


@dataclass(frozen=True)
class Coefficient:
    """One regression coefficient with its test (``df`` is None for z tests)."""

    name: str
    estimate: float
    se: float
    statistic: float
    pvalue: float
    ci_lower: float
    ci_upper: float
    df: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return document(self, drop=("df",))


@dataclass(frozen=True)
class PermutationTest:
    """Permutation p values: the omnibus test and each coefficient."""

    iterations: int
    seed: int | None
    exact: bool
    qm_pvalue: float
    pvalues: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return document(self, pvalues=list(self.pvalues))


@dataclass(frozen=True)
class MetaRegResult:
    """Result of :func:`metareg`. I² and R² are in percent."""

    k: int
    method: str
    ci_method: str
    level: float
    coefficients: tuple[Coefficient, ...]
    qm: float
    qm_df: int
    qm_df2: int | None
    qm_pvalue: float
    qe: float
    qe_df: int
    qe_pvalue: float
    tau2: float
    i2: float
    h2: float
    r2: float
    converged: bool
    permutation: PermutationTest | None = None
    vcov: tuple[tuple[float, ...], ...] = ()  # covariance of the coefficients (as the tests)
    dropped: tuple[str, ...] = ()  # redundant moderator columns left out of the model
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The ``metareview metareg --json`` document (``converged`` is not in it)."""
        return document(
            self,
            drop=("converged",),
            coefficients=[c.to_dict() for c in self.coefficients],
            permutation=None if self.permutation is None else self.permutation.to_dict(),
            vcov=[list(row) for row in self.vcov],
            dropped=list(self.dropped),
            warnings=list(self.warnings),
        )

    def to_frame(self) -> Any:
        """Coefficient table as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame([c.to_dict() for c in self.coefficients])

    def summary(self) -> str:
        test = "z" if self.qm_df2 is None else "t"
        width = max(20, 2 + max(len(c.name) for c in self.coefficients))
        lines = [
            f"Meta-regression ({'fixed' if self.method == 'FE' else 'mixed'}-effects, "
            f"{self.method}, {self.ci_method}); k = {self.k}",
            f"tau^2 (residual) = {self.tau2:.4f}, I^2 = {self.i2:.2f}%, "
            + f"R^2 = {self.r2:.2f}%, "
            + f"QE({self.qe_df}) = {self.qe:.4f}, p = {self.qe_pvalue:.4g}",
            (
                f"QM({self.qm_df}) = {self.qm:.4f}"
                if self.qm_df2 is None
                else f"F({self.qm_df}, {self.qm_df2}) = {self.qm:.4f}"
            )
            + f", p = {self.qm_pvalue:.4g}",
            f"{'':<{width}}{'estimate':>10}{'se':>10}{test:>10}{'p':>10}{'ci.lb':>10}{'ci.ub':>10}",
        ]
        for c in self.coefficients:
            lines.append(
                f"{c.name:<{width}}{c.estimate:>10.4f}{c.se:>10.4f}{c.statistic:>10.4f}"
                f"{c.pvalue:>10.4g}{c.ci_lower:>10.4f}{c.ci_upper:>10.4f}"
            )
        if self.permutation is not None:
            perm = self.permutation
            lines.append(
                f"Permutation test ({perm.iterations} permutations, seed {perm.seed}): "
                f"omnibus p = {perm.qm_pvalue:.4g}; coefficients p = "
                + ", ".join(f"{p:.4g}" for p in perm.pvalues)
            )
        lines.extend(f"Warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary() + "</pre>"


@dataclass(frozen=True)
class Design:
    """A model matrix with its column names (the intercept first)."""

    X: np.ndarray
    names: tuple[str, ...]


def design_matrix(
    moderators: Mapping[str, Sequence[Any]], categorical: Sequence[str] = ()
) -> Design:
    """Model matrix with an intercept from named moderator columns.

    A column is categorical when listed in ``categorical`` or when its values are not all
    numbers; it becomes one indicator per level but the first (levels sorted).

    >>> design_matrix({"dose": [1, 2, 3], "arm": ["b", "a", "b"]}).names
    ('intercept', 'dose', 'arm[b]')
    """
    columns = [np.ones(_common_length(moderators))]
    names = ["intercept"]
    for name, values in moderators.items():
        values = list(values)
        if name in categorical or not all(_is_number(v) for v in values):
            levels = sorted({str(v) for v in values})
            if len(levels) < 2:
                raise NotEstimableError(f"moderator {name!r} has a single level ({levels[0]!r})")
            for level in levels[1:]:
                columns.append(np.array([str(v) == level for v in values], dtype=float))
                names.append(f"{name}[{level}]")
        else:
            columns.append(np.asarray(values, dtype=float))
            names.append(name)
    return Design(np.column_stack(columns), tuple(names))


def drop_redundant(design: Design) -> tuple[Design, tuple[str, ...]]:
    """The design without the columns that are constant or linear combinations of the columns
    before them (metafor drops the same ones), and the names of those dropped.

    >>> kept, dropped = drop_redundant(design_matrix({"a": [1, 2, 3], "b": [2, 4, 6]}))
    >>> kept.names, dropped
    (('intercept', 'a'), ('b',))
    """
    X = np.asarray(design.X, dtype=float)
    norms = np.linalg.norm(X, axis=0)
    scaled = X / np.where(norms > 0, norms, 1.0)
    keep: list[int] = []
    for j in range(X.shape[1]):
        trial = [*keep, j]
        if norms[j] > 0 and np.linalg.matrix_rank(scaled[:, trial]) == len(trial):
            keep = trial
    dropped = tuple(name for j, name in enumerate(design.names) if j not in keep)
    if not dropped:
        return design, ()
    return Design(X[:, keep], tuple(design.names[j] for j in keep)), dropped


def _common_length(moderators: Mapping[str, Sequence[Any]]) -> int:
    lengths = {len(list(v)) for v in moderators.values()}
    if len(lengths) != 1:
        raise InputError("every moderator must have one value per study")
    return lengths.pop()


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def metareg(
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray,
    moderators: Mapping[str, Sequence[Any]] | Design,
    *,
    method: str = "REML",
    ci_method: str = "z",
    level: float = 0.95,
    categorical: Sequence[str] = (),
    permutations: int = 0,
    seed: int | None = None,
    exact: bool = False,
) -> MetaRegResult:
    """Fit a meta-regression of ``yi`` (variances ``vi``) on the moderators.

    Parameters
    ----------
    yi, vi : effect sizes and sampling variances.
    moderators : mapping of name to one value per study, or a :class:`Design`.
    method : τ² estimator (``FE`` for the fixed-effects model).
    ci_method : ``z``, ``knha`` or ``adhoc``.
    level : confidence level of the coefficient CIs.
    categorical : moderators to treat as categorical even if their values are numbers.
    permutations : number of random permutations for the permutation test (0: none).
    seed : seed of the permutations.
    exact : enumerate all k! orders instead (only for small k).

    Examples
    --------
    >>> res = metareg([0.1, 0.3, 0.35, 0.6, 0.8, 0.5], [0.02, 0.03, 0.02, 0.04, 0.03, 0.02],
    ...               {"dose": [1, 2, 2, 3, 4, 3]}, method="DL")
    >>> [(c.name, round(c.estimate, 4)) for c in res.coefficients], round(res.qm, 3)
    ([('intercept', -0.1294), ('dose', 0.2269)], 11.506)
    """
    method = check_method(method)
    ci_method = check_choice("ci_method", str(ci_method).lower(), CI_METHODS)
    check_level(level)
    y, v = check_inputs(yi, vi)
    design = (
        moderators if isinstance(moderators, Design) else design_matrix(moderators, categorical)
    )
    if np.asarray(design.X).shape[0] != y.size:
        raise InputError(
            f"the moderators have {np.asarray(design.X).shape[0]} rows for {y.size} studies"
        )
    design, dropped = drop_redundant(design)
    notes = tuple(
        f"moderator column {name!r} is redundant (constant or a linear combination of the "
        "columns before it) and was dropped from the model, as metafor does"
        for name in dropped
    )
    X = np.asarray(design.X, dtype=float)
    k, p = X.shape
    if k <= p:
        raise NotEstimableError(
            f"a meta-regression with {p} coefficients needs more than {p} studies; got {k}"
        )
    fit = _fit(y, v, X, method, ci_method)
    coefficients = _coefficients(design.names, fit, k - p, level)
    model = LinearModel(y, v, X)
    qe = model.at(0.0).q
    null_model = LinearModel(y, v)
    if method == "FE":  # share of the excess-per-df heterogeneity explained (as metafor)
        qe_null = null_model.at(0.0).q
        r2 = 100.0 * max(0.0, 1.0 - (qe / (k - p)) / (qe_null / (k - 1))) if qe_null > 0 else 0.0
    else:
        tau2_null = estimate_tau2_model(null_model, method).tau2
        r2 = 0.0 if tau2_null <= 0 else 100.0 * max(0.0, (tau2_null - fit["tau2"]) / tau2_null)
    if method == "FE":
        i2 = 100.0 * max(0.0, (qe - (k - p)) / qe) if qe > 0 else 0.0
        h2 = qe / (k - p)
    else:
        s2 = model.typical_variance()
        i2 = 100.0 * fit["tau2"] / (fit["tau2"] + s2)
        h2 = (fit["tau2"] + s2) / s2
    permutation = None
    if permutations or exact:
        permutation = permutation_test(
            y, v, X, fit, method, ci_method, iterations=permutations, seed=seed, exact=exact
        )
    return MetaRegResult(
        k=k,
        method=method,
        ci_method=ci_method,
        level=level,
        coefficients=coefficients,
        qm=fit["qm"],
        qm_df=p - 1,
        qm_df2=None if ci_method == "z" else k - p,
        qm_pvalue=fit["qm_pvalue"],
        qe=float(qe),
        qe_df=k - p,
        qe_pvalue=float(scipy.stats.chi2.sf(qe, k - p)),
        tau2=fit["tau2"],
        i2=float(i2),
        h2=float(h2),
        r2=r2,
        converged=fit["converged"],
        permutation=permutation,
        vcov=tuple(tuple(float(x) for x in row) for row in fit["vb"]),
        dropped=dropped,
        warnings=notes,
    )


def _fit(y: np.ndarray, v: np.ndarray, X: np.ndarray, method: str, ci_method: str) -> dict:
    """τ², β, their covariance, the test statistics and the omnibus test of one model."""
    k, p = X.shape
    model = LinearModel(y, v, X)
    tau2_fit = estimate_tau2_model(model, method)
    state = model.at(tau2_fit.tau2)
    vb = state.vb
    if ci_method != "z":
        scale = state.q / (k - p)
        vb = vb * (max(1.0, scale) if ci_method == "adhoc" else scale)
    beta = state.beta
    se = np.sqrt(np.diag(vb))
    tested = slice(1, p)
    m = p - 1
    if m > 0:
        b = beta[tested]
        qm = float(b @ np.linalg.solve(vb[tested, tested], b))
    else:
        qm = math.nan
    if ci_method == "z":
        qm_pvalue = float(scipy.stats.chi2.sf(qm, m)) if m > 0 else math.nan
    else:
        qm = qm / m if m > 0 else math.nan
        qm_pvalue = float(scipy.stats.f.sf(qm, m, k - p)) if m > 0 else math.nan
    return {
        "tau2": float(tau2_fit.tau2),
        "converged": tau2_fit.converged,
        "beta": beta,
        "vb": vb,
        "se": se,
        "statistic": beta / se,
        "qm": qm,
        "qm_pvalue": qm_pvalue,
        "ci_method": ci_method,
    }


def _coefficients(
    names: Sequence[str], fit: dict, df: int, level: float
) -> tuple[Coefficient, ...]:
    if fit["ci_method"] == "z":
        crit = float(dist.z_crit(level))
        pvalues = dist.z_pvalue(fit["statistic"])
        test_df = None
    else:
        crit = float(dist.t_crit(level, df))
        pvalues = dist.t_pvalue(fit["statistic"], df)
        test_df = df
    return tuple(
        Coefficient(
            name=str(name),
            estimate=float(b),
            se=float(s),
            statistic=float(z),
            pvalue=float(pv),
            ci_lower=float(b - crit * s),
            ci_upper=float(b + crit * s),
            df=test_df,
        )
        for name, b, s, z, pv in zip(names, fit["beta"], fit["se"], fit["statistic"], pvalues)
    )


def permutation_test(
    y: np.ndarray,
    v: np.ndarray,
    X: np.ndarray,
    observed: dict,
    method: str,
    ci_method: str,
    *,
    iterations: int,
    seed: int | None,
    exact: bool = False,
) -> PermutationTest:
    """Permutation test of a fitted meta-regression (Higgins & Thompson 2004).

    The rows of ``X`` are permuted against ``(y, v)``; the first permutation is the identity
    (the observed data), so a p value is never 0. With ``exact=True`` all k! orders are used.
    """
    k, p = X.shape
    if not exact and iterations > MAX_PERMUTATIONS:
        raise InputError(
            f"permutations must be at most {MAX_PERMUTATIONS:,} (each one refits the model; "
            f"metafor's default is 1,000); got {iterations:,}"
        )
    if exact:
        if k > 8:
            raise InputError(f"an exact permutation test enumerates k! orders; k = {k} is too many")
        from itertools import permutations

        orders = [np.array(order) for order in permutations(range(k))]
    else:
        if iterations < 1:
            raise InputError(f"permutations must be a positive integer; got {iterations!r}")
        rng = np.random.default_rng(seed)
        orders = [np.arange(k)] + [rng.permutation(k) for _ in range(iterations - 1)]
    qm = np.empty(len(orders))
    statistic = np.empty((len(orders), p))
    for i, order in enumerate(orders):
        fit = _fit(y, v, X[order], method, ci_method)
        qm[i], statistic[i] = fit["qm"], fit["statistic"]
    tol = 1e-8 * (1.0 + abs(observed["qm"]))
    qm_pvalue = float(np.mean(qm >= observed["qm"] - tol))
    observed_abs = np.abs(observed["statistic"])
    pvalues = np.mean(np.abs(statistic) >= observed_abs - 1e-8 * (1 + observed_abs), axis=0)
    return PermutationTest(
        iterations=len(orders),
        seed=None if exact else seed,
        exact=exact,
        qm_pvalue=qm_pvalue,
        pvalues=tuple(float(x) for x in pvalues),
    )
