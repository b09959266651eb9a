"""Fit the three-level model and the CHE working model (metafor ``rma.mv``, ``random = ~ 1 | study/es``).

``fit_multilevel`` takes one row per effect with its study label. ``rho=None`` fits the
three-level model on independent sampling errors; a ``rho`` fits the CHE working model
(Pustejovsky & Tipton 2022) on the constant-correlation covariance, with the variances smoothed
within studies when ``smooth_vi``. ``robust`` adds CR2 (clubSandwich) or CR1 (metafor
``robust``) inference, clustered by study.

>>> yi = [0.1, 0.3, 0.5, 0.4, -0.1, 0.0, 0.6, 0.9]
>>> vi = [0.01] * 8
>>> res = fit_multilevel(yi, vi, [1, 1, 2, 2, 3, 3, 4, 4])
>>> round(res.estimate[0], 4), [round(s, 5) for s in res.sigma2], res.n_studies
(0.3375, [0.10792, 0.00875], 4)
>>> fit_multilevel(yi, vi, [1, 1, 2, 2, 3, 3, 4, 4], method="DL")
Traceback (most recent call last):
...
metareview.errors.InputError: method must be one of REML, ML; got 'DL'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from metareview.errors import AnalysisError, InputError
from metareview.stats import distributions as dist
from metareview.stats.multilevel.clusters import Clusters
from metareview.stats.multilevel.covariance import (
    Marginal,
    SamplingCovariance,
    impute_covariance,
    independent_covariance,
)
from metareview.stats.multilevel.heterogeneity import multilevel_i2
from metareview.stats.multilevel.likelihood import LOG_2PI, ModelData
from metareview.stats.multilevel.optimize import maximize_or_raise
from metareview.stats.multilevel.profile import level_test, profile_ci
from metareview.stats.multilevel.result import LEVELS, MultilevelResult
from metareview.stats.multilevel.robust import robust_variance
from metareview.stats.vocabulary import check_choice, check_level

METHODS: tuple[str, ...] = ("REML", "ML")
TESTS: tuple[str, ...] = ("z", "t")
ROBUST: tuple[str, ...] = ("none", "CR2", "CR1")
PI_METHODS: tuple[str, ...] = ("model", "robust_k1")


def _inputs(yi, vi, study, mods) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    if y.ndim != 1 or v.shape != y.shape or len(study) != len(y):
        raise InputError("yi, vi and study must be sequences of the same length")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise InputError("yi must be finite and vi finite and > 0")
    if any(s is None or (isinstance(s, float) and math.isnan(s)) for s in study):
        raise InputError("every effect needs a study label")
    x = np.ones((len(y), 1))
    if mods is not None:
        m = np.asarray(mods, dtype=float).reshape(len(y), -1)
        if not np.all(np.isfinite(m)):
            raise InputError("moderators must be finite")
        x = np.column_stack([x, m])
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise AnalysisError("the moderators are collinear (the design matrix is not of full rank)")
    return y, v, x


def fit_multilevel(
    yi: Sequence[float], vi: Sequence[float], study: Sequence[object], *, test: str = "z",
    **options: Any,
) -> MultilevelResult:  # fmt: skip
    """Three-level (``rho=None``) or CHE fit of effects ``yi`` (variances ``vi``) in ``study``,
    with z or t (``test``) inference; ``options`` as :func:`fit_multilevel_tests` takes them.
    """
    check_choice("test", test, TESTS)
    return fit_multilevel_tests(yi, vi, study, (test,), **options)[test]


def fit_multilevel_tests(
    yi: Sequence[float],
    vi: Sequence[float],
    study: Sequence[object],
    tests: Sequence[str],
    *,
    mods: Sequence[Sequence[float]] | np.ndarray | None = None,
    moderator_names: Sequence[str] | None = None,
    method: str = "REML",
    level: float = 0.95,
    rho: float | None = None,
    smooth_vi: bool = False,
    robust: str = "none",
    profile: bool = True,
    level_tests: bool = True,
    pi_method: str = "model",
) -> dict[str, MultilevelResult]:
    """:func:`fit_multilevel` under each of ``tests`` (``"z"``, ``"t"``), by test, from one
    maximisation of the likelihood (σ², the estimates and their SEs do not depend on the
    test; each result equals ``fit_multilevel(..., test=test)``).

    ``mods`` are moderator columns (an intercept is added); ``profile=False`` skips the
    profile-likelihood CIs of σ² (the slowest part), ``level_tests=False`` the LRTs for
    dropping a level (two more fits). ``pi_method`` ``"model"`` gives metafor's prediction
    interval (z or t(k − p), model SE); ``"robust_k1"`` metapsyTools' (t(k − 1) with the robust
    SE when ``robust`` is set).

    >>> yi = [0.1, 0.3, 0.5, 0.4, -0.1, 0.0, 0.6, 0.9]
    >>> fits = fit_multilevel_tests(yi, [0.01] * 8, [1, 1, 2, 2, 3, 3, 4, 4], ("z", "t"))
    >>> fits["t"] == fit_multilevel(yi, [0.01] * 8, [1, 1, 2, 2, 3, 3, 4, 4], test="t")
    True
    """
    for test in tests:
        check_choice("test", test, TESTS)
    check_choice("method", method, METHODS)
    check_choice("robust", robust, ROBUST)
    check_choice("pi_method", pi_method, PI_METHODS)
    check_level(level)
    y, v, x = _inputs(yi, vi, study, mods)
    clusters = Clusters.from_labels(study)
    k, p = len(y), x.shape[1]
    if clusters.n_clusters < 2 or k <= p + 1:
        raise AnalysisError(
            f"a multilevel model needs at least 2 studies and more than {p + 1} effects; "
            f"got {k} effects in {clusters.n_clusters} studies"
        )
    order = clusters.order
    v_sorted = v[order]
    if rho is None:
        sampling = independent_covariance(v_sorted, clusters)
    else:
        sampling = impute_covariance(v_sorted, clusters, rho, smooth_vi=smooth_vi)
    data = ModelData(y[order], x[order], sampling, clusters)
    warnings: list[str] = []
    fixed: dict[int, float] = {}
    if np.all(clusters.sizes == 1):
        fixed = {1: 0.0}
        warnings.append(
            "every study has one effect: the within-study variance is not identifiable and is "
            "held at 0 (the model is the standard random-effects model)"
        )
    fit = maximize_or_raise(data, method, fixed=fixed)
    ev = fit.evaluation
    se = np.sqrt(np.diag(ev.vcov))
    statistic = ev.beta / se
    levels_fitted = [m for m in (0, 1) if m not in fixed]
    sigma2_ci = None
    if profile:
        cis = {m: profile_ci(data, method, fit, m, level) for m in levels_fitted}
        sigma2_ci = tuple(cis.get(m, (0.0, 0.0)) for m in (0, 1))
    dropped = tuple(
        level_test(data, method, fit, m, LEVELS[m]) for m in levels_fitted if level_tests
    )
    qe, qe_pvalue, saturated = _residual_heterogeneity(data, sampling)
    n_par = p + 2
    k_eff = k - p if method == "REML" else k
    # metafor: the ML deviance is relative to the saturated model; the REML one is −2ℓ.
    deviance = -2.0 * ev.loglik + (2.0 * saturated if method == "ML" else 0.0)
    aicc_n = max(k_eff, n_par + 2)
    robust_result = None
    if robust != "none":
        robust_result = robust_variance(
            data, fit.sigma2, ev, robust, level=level, test_coefficients=tuple(range(1, p))
        )
    names = ("intrcpt", *(moderator_names or [f"mod{i}" for i in range(1, p)]))
    warnings.extend(
        f"sigma2 {LEVELS[m]} is on the boundary (0)" for m in levels_fitted if fit.at_boundary[m]
    )
    results = {}
    for test in tests:
        df = k - p if test == "t" else None
        crit = dist.t_crit(level, df) if df else dist.z_crit(level)
        pvalue = dist.t_pvalue(statistic, df) if df else dist.z_pvalue(statistic)
        qm, qm_df, qm_pvalue = _omnibus(ev.beta, ev.vcov, df)
        pi_lower, pi_upper = _prediction_interval(
            ev.beta, se, fit.sigma2, crit, robust_result, pi_method, level, k
        )
        results[test] = MultilevelResult(
            model="threelevel" if rho is None else "che",
            method=method,
            test=test,
            level=level,
            rho=rho,
            smooth_vi=bool(smooth_vi and rho is not None),
            k=k,
            n_studies=clusters.n_clusters,
            coefficients=tuple(names),
            estimate=tuple(ev.beta.tolist()),
            se=tuple(se.tolist()),
            statistic=tuple(statistic.tolist()),
            df=df,
            pvalue=tuple(np.asarray(pvalue).tolist()),
            ci_lower=tuple((ev.beta - crit * se).tolist()),
            ci_upper=tuple((ev.beta + crit * se).tolist()),
            sigma2=fit.sigma2,
            sigma2_ci=sigma2_ci,
            at_boundary=fit.at_boundary,
            level_tests=dropped,
            i2=multilevel_i2(fit.sigma2, v),
            pi_lower=pi_lower,
            pi_upper=pi_upper,
            loglik=ev.loglik,
            deviance=deviance,
            aic=-2.0 * ev.loglik + 2 * n_par,
            bic=-2.0 * ev.loglik + n_par * math.log(k_eff),
            aicc=-2.0 * ev.loglik + 2 * n_par * aicc_n / (aicc_n - n_par - 1),
            qm=qm,
            qm_df=qm_df,
            qm_pvalue=qm_pvalue,
            qe=qe,
            qe_df=k - p,
            qe_pvalue=qe_pvalue,
            robust=robust_result,
            iterations=fit.iterations,
            warnings=tuple(warnings),
        )
    return results


def _prediction_interval(beta, se, sigma2, crit, robust_result, pi_method, level, k):
    """metafor ``predict`` (``model``) or t(k − 1) with the robust SE (``robust_k1``)."""
    if len(beta) > 1:
        return None, None
    spread = se[0]
    if pi_method == "robust_k1":
        crit = dist.t_crit(level, k - 1)
        spread = robust_result.se[0] if robust_result is not None else se[0]
    half = float(crit * math.sqrt(spread**2 + sum(sigma2)))
    return float(beta[0] - half), float(beta[0] + half)


def _omnibus(beta: np.ndarray, vcov: np.ndarray, df: int | None):
    """QM for the moderators (χ² on m df), or F = QM/m on (m, k − p) under t tests."""
    m = len(beta) - 1
    if m == 0:
        return None, None, None
    b = beta[1:]
    qm = float(b @ np.linalg.solve(vcov[1:, 1:], b))
    if df is None:
        return qm, (float(m),), float(dist.chi2_sf(qm, m))
    return qm / m, (float(m), float(df)), float(dist.f_sf(qm / m, m, df))


def _residual_heterogeneity(
    data: ModelData, sampling: SamplingCovariance
) -> tuple[float, float, float]:
    """Q_E = rᵀV⁻¹r of the fixed-effects GLS fit under the sampling covariance V alone, its
    p value, and the log-likelihood of the saturated model (residuals 0, covariance V)."""
    marginal = Marginal(sampling, data.clusters, (0.0, 0.0))
    solved = marginal.solve(np.column_stack([data.x, data.y]))
    mi_x, mi_y = solved[:, :-1], solved[:, -1]
    beta = np.linalg.solve(data.x.T @ mi_x, data.x.T @ mi_y)
    qe = float(data.y @ mi_y - beta @ (data.x.T @ mi_y))
    saturated = -0.5 * (data.k * LOG_2PI + marginal.logdet)
    return qe, float(dist.chi2_sf(qe, data.k - data.p)), saturated
