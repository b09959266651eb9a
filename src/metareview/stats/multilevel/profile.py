"""Profile-likelihood CIs of each σ² and likelihood-ratio tests for dropping a level.

The CI of σ²_m is the set of values whose profile (restricted) log-likelihood, maximised over
the other σ², lies within ``χ²₁(level)/2`` of the maximum (metafor's ``confint`` for
``rma.mv``); a bound that is not crossed before σ² = 0 is 0. The LRT compares the fit with
the fit that holds σ²_m at 0 (metafor's ``anova(full, reduced)``): ``2 (ℓ − ℓ₀)`` on χ²₁.

>>> from metareview.stats.multilevel.clusters import Clusters
>>> from metareview.stats.multilevel.covariance import independent_covariance
>>> from metareview.stats.multilevel.likelihood import ModelData
>>> from metareview.stats.multilevel.optimize import maximize
>>> c = Clusters.from_labels([1, 1, 2, 2, 3, 3, 4, 4])
>>> y = np.array([0.1, 0.3, 0.5, 0.4, -0.1, 0.0, 0.6, 0.9]); v = np.full(8, 0.01)
>>> data = ModelData(y, np.ones((8, 1)), independent_covariance(v, c), c)
>>> fit = maximize(data, "REML")
>>> lower, upper = profile_ci(data, "REML", fit, 0, 0.95)
>>> lower < fit.sigma2[0] < upper
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy

from metareview.stats import distributions as dist
from metareview.stats.multilevel.likelihood import ModelData
from metareview.stats.multilevel.optimize import Maximum, maximize
from metareview.stats.result_base import ResultDocument


@dataclass(frozen=True)
class LevelTest(ResultDocument):
    """LRT of dropping one level (σ² = 0 there): statistic on 1 df and its p value."""

    level: str
    statistic: float
    df: int
    pvalue: float
    loglik_reduced: float


def profile_loglik(
    data: ModelData, method: str, fit: Maximum, component: int, value: float
) -> float:
    """Maximum log-likelihood with ``σ²[component]`` held at ``value``."""
    start = np.array(fit.sigma2)
    start[component] = value
    return maximize(data, method, fixed={component: value}, start=start).evaluation.loglik


# how often profile_ci doubles its step looking for where the likelihood drops enough
MAX_DOUBLINGS = 60


def profile_ci(
    data: ModelData, method: str, fit: Maximum, component: int, level: float
) -> tuple[float, float | None]:
    """(lower, upper) of σ²[component]; upper is None when the likelihood never drops enough."""
    target = fit.evaluation.loglik - dist.chi2_quantile(level, 1) / 2.0
    estimate = fit.sigma2[component]

    def excess(value: float) -> float:
        return profile_loglik(data, method, fit, component, value) - target

    tol = dict(xtol=1e-14, rtol=1e-12, maxiter=200)
    lower = (
        0.0
        if estimate <= 0.0 or excess(0.0) >= 0.0
        else scipy.optimize.brentq(excess, 0.0, estimate, **tol)
    )
    step = max(estimate, 1e-4 * float(np.mean(data.sampling.variances())))
    inside, outside = estimate, estimate + step
    for _ in range(MAX_DOUBLINGS):
        if excess(outside) < 0.0:
            break
        step *= 2.0
        inside, outside = outside, estimate + step
    else:
        return lower, None
    upper = scipy.optimize.brentq(excess, inside, outside, **tol)
    return lower, upper


def level_test(data: ModelData, method: str, fit: Maximum, component: int, name: str) -> LevelTest:
    """LRT for dropping the level ``component`` (0 between studies, 1 within)."""
    reduced = maximize(data, method, fixed={component: 0.0}, start=np.array(fit.sigma2))
    statistic = max(2.0 * (fit.evaluation.loglik - reduced.evaluation.loglik), 0.0)
    return LevelTest(
        level=name,
        statistic=statistic,
        df=1,
        pvalue=float(dist.chi2_sf(statistic, 1)),
        loglik_reduced=reduced.evaluation.loglik,
    )
