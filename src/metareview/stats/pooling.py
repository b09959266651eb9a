"""Inverse-variance pooling: the common-effect and random-effects models of one meta-analysis.

``pool`` returns both models, heterogeneity (Q, τ², τ, I², H² with CIs) and a prediction
interval, computed with the conventions of a preset (see :mod:`metareview.stats.presets`).

CI methods for the random-effects mean: ``z`` (normal), ``knha`` (Hartung–Knapp–Sidik–Jonkman:
SE scaled by ``√(Q(τ̂²)/(k − 1))``, t with k − 1 df) and ``adhoc`` (the same with the scaling
factor truncated at 1, as metafor's ``test="adhoc"``).

>>> yi = [-0.889, -1.585, -1.348, -1.442, -0.218, -0.786, -1.621, 0.012, -0.469, -1.371, -0.339, 0.446, -0.017]
>>> vi = [0.326, 0.195, 0.415, 0.020, 0.051, 0.007, 0.223, 0.004, 0.056, 0.073, 0.012, 0.533, 0.071]
>>> res = pool(yi, vi)
>>> round(res.random.estimate, 4), round(res.tau2, 4), round(res.i2, 2)
(-0.7143, 0.3133, 92.23)
>>> pool(yi, vi, ci_method="hk")
Traceback (most recent call last):
...
metareview.errors.InputError: ci_method must be one of z, knha, adhoc; got 'hk'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from metareview.errors import InputError
from metareview.stats import distributions as dist
from metareview.stats import heterogeneity as het
from metareview.stats.jackson import jackson_tau2_ci
from metareview.stats.presets import Preset, get_preset
from metareview.stats.render import render_pool_html, render_pool_summary
from metareview.stats.result_base import ResultDocument, document
from metareview.stats.tau2 import Tau2Fit, check_inputs, check_method, estimate_tau2_model
from metareview.stats.tau2_se import tau2_se
from metareview.stats.vocabulary import CI_METHODS, check_choice, check_level
from metareview.stats.wls import LinearModel

PI_METHODS: tuple[str, ...] = ("follow_ci", "t_k1", "t_k2", "none")
#: The keys of a pooled result's ``heterogeneity`` document, in order (CIs as ``[lower, upper]``).
HETEROGENEITY_KEYS: tuple[str, ...] = (
    "tau2", "tau2_se", "tau2_ci", "tau", "tau_ci", "i2", "i2_ci", "h2", "h2_ci", "q", "q_df",
    "q_pvalue",
)  # fmt: skip


@dataclass(frozen=True)
class ModelEstimate(ResultDocument):
    """The mean of a pooled model with its SE, CI and test statistic (what the common-effect
    and the random-effects model both report first)."""

    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    statistic: float


@dataclass(frozen=True)
class FixedEffect(ModelEstimate):
    """The common-effect (fixed-effect, inverse-variance) model."""

    pvalue: float


@dataclass(frozen=True)
class RandomEffects(ModelEstimate):
    """The random-effects model: mean, its CI and test (``df`` is None for z) and the PI."""

    df: int | None
    pvalue: float
    pi_lower: float | None
    pi_upper: float | None


Interval = tuple[float, float] | None


@dataclass(frozen=True)
class PooledStudies:
    """What every pooled result of studies holds, however they were pooled (:func:`pool`,
    RevMan's M-H random model): each study's effect, variance and random-effects weight (%),
    the common-effect and random-effects models, τ² and Q, I² (%) and H², at ``level``."""

    level: float
    yi: tuple[float, ...]
    vi: tuple[float, ...]
    studies: tuple[str, ...]
    weights: tuple[float, ...]
    fixed: FixedEffect
    random: RandomEffects
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_pvalue: float | None


@dataclass(frozen=True)
class PoolResult(PooledStudies):
    """Result of :func:`pool`. Estimates are on the analysis scale (log for OR/RR).

    ``weights`` are the random-effects weights in percent, in input order; ``tau2_ci`` etc.
    are ``(lower, upper)`` or ``None`` when the preset reports none; ``i2`` is in percent;
    ``tau2_se`` is the SE of τ̂² (metafor's ``se.tau2``, :mod:`metareview.stats.tau2_se`),
    ``None`` for FE and k = 1.
    """

    k: int
    method: str
    ci_method: str
    preset: str
    tau2_ci: Interval
    tau: float
    tau_ci: Interval
    i2_ci: Interval
    h2_ci: Interval
    converged: bool
    iterations: int
    conventions: dict[str, str]
    warnings: tuple[str, ...] = ()
    tau2_se: float | None = None

    def heterogeneity_dict(self) -> dict[str, Any]:
        return {
            key: _pair(getattr(self, key)) if key.endswith("_ci") else getattr(self, key)
            for key in HETEROGENEITY_KEYS
        }

    def studies_list(self) -> list[dict[str, Any]]:
        return [
            {"study": study, "yi": y, "vi": v, "weight": w}
            for study, y, v, w in zip(self.studies, self.yi, self.vi, self.weights)
        ]

    def headline(self) -> dict[str, float]:
        """The random-effects estimate, SE, CI and p with τ², I² and Q: one summary row
        (as leave-one-out and subgroup tables show it).

        >>> row = pool([0.1, 0.3, 0.5], [0.01, 0.02, 0.04], method="DL").headline()
        >>> sorted(row)
        ['ci_lower', 'ci_upper', 'estimate', 'i2', 'pvalue', 'q', 'se', 'tau2']
        """
        model = self.random
        return {
            "estimate": model.estimate,
            "se": model.se,
            "ci_lower": model.ci_lower,
            "ci_upper": model.ci_upper,
            "pvalue": model.pvalue,
            "tau2": self.tau2,
            "i2": self.i2,
            "q": self.q,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready document (the keys of ``metareview analyze --json``)."""
        return {
            "k": self.k,
            "preset": self.preset,
            "method": self.method,
            "ci_method": self.ci_method,
            "level": self.level,
            "studies": self.studies_list(),
            "fixed": self.fixed.to_dict(),
            "random": self.random.to_dict(),
            "heterogeneity": self.heterogeneity_dict(),
            "converged": self.converged,
            "iterations": self.iterations,
            "conventions": dict(self.conventions),
            "warnings": list(self.warnings),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per study: study, yi, vi and the random-effects weight (%)."""
        return pd.DataFrame(self.studies_list())

    def summary(self) -> str:
        """A metafor-like printout."""
        return render_pool_summary(self)

    def _repr_html_(self) -> str:
        return render_pool_html(self)

    def __str__(self) -> str:
        return self.summary()


def _pair(interval: Interval) -> list[float] | None:
    return None if interval is None else [float(interval[0]), float(interval[1])]


def study_labels(studies: Sequence[str] | None, k: int) -> tuple[str, ...]:
    """The labels of ``k`` studies: ``studies`` as text, or ``Study 1`` … when none are given.

    >>> study_labels(None, 2), study_labels([3, "B"], 2)
    (('Study 1', 'Study 2'), ('3', 'B'))
    >>> study_labels(["A"], 2)
    Traceback (most recent call last):
    ...
    metareview.errors.InputError: studies must have 2 labels; got 1
    """
    labels = (
        tuple(str(s) for s in studies)
        if studies is not None
        else tuple(f"Study {i + 1}" for i in range(k))
    )
    if len(labels) != k:
        raise InputError(f"studies must have {k} labels; got {len(labels)}")
    return labels


def resolve_settings(
    method: str | None, ci_method: str | None, preset: str | Preset | None
) -> tuple[str, str, Preset]:
    """The effective τ² method, CI method and preset (explicit arguments win)."""
    chosen = get_preset(preset)
    method = check_method(method if method is not None else chosen.tau2_method)
    ci_method = check_choice(
        "ci_method",
        str(ci_method if ci_method is not None else chosen.ci_method).lower(),
        CI_METHODS,
    )
    check_choice("i2_definition", chosen.i2_definition, het.I2_DEFINITIONS)
    check_choice("tau2_ci_method", chosen.tau2_ci_method, het.TAU2_CI_METHODS)
    check_choice("i2_ci_method", chosen.i2_ci_method, het.I2_CI_METHODS)
    check_choice("pi_method", chosen.pi_method, PI_METHODS)
    return method, ci_method, chosen


def pool(
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray,
    *,
    method: str | None = None,
    ci_method: str | None = None,
    level: float = 0.95,
    preset: str | Preset | None = None,
    studies: Sequence[str] | None = None,
) -> PoolResult:
    """Pool effect sizes by inverse variance (common effect and random effects).

    Parameters
    ----------
    yi, vi : array-like
        Effect sizes (analysis scale) and sampling variances (> 0).
    method : str, optional
        τ² estimator ``FE DL REML ML PM SJ HE EB HS`` (default: the preset's).
    ci_method : str, optional
        ``z``, ``knha`` or ``adhoc`` (default: the preset's).
    level : float
        Confidence level of every interval (0 < level < 1).
    preset : str or Preset, optional
        ``metafor`` (default), ``meta``, ``revman5``, ``metapsy`` or ``cma``.
    studies : sequence of str, optional
        Study labels (default ``Study 1`` …).

    Examples
    --------
    >>> res = pool([0.2, 0.5, 0.3], [0.04, 0.05, 0.03], method="DL", preset="revman5")
    >>> round(res.fixed.estimate, 4), res.tau2, res.tau2_ci
    (0.3191, 0.0, None)
    """
    method, ci_method, chosen = resolve_settings(method, ci_method, preset)
    check_level(level)
    y, v = check_inputs(yi, vi)
    k = y.size
    labels = study_labels(studies, k)
    warnings: list[str] = []
    model = LinearModel(y, v)
    fe_state = model.fixed
    z_critical = float(dist.z_crit(level))
    fixed = _fixed_effect(fe_state.beta[0], math.sqrt(fe_state.vb[0, 0]), z_critical)
    q, q_df = fe_state.q, k - 1
    q_pvalue = float(dist.chi2_sf(q, q_df)) if q_df >= 1 else None

    if k == 1:
        warnings.append("only one study: the pooled estimate is that study's own estimate")
        fit = Tau2Fit(tau2=0.0, converged=True, iterations=0, method=method)
    else:
        fit = estimate_tau2_model(model, method)
        if not fit.converged:
            warnings.append(f"the {method} estimate of tau^2 did not converge")
    fit_tau2 = fit.tau2
    random, ci_used, weights = random_effects_at(
        model, fit_tau2, method, ci_method, chosen, level, warnings
    )

    het_values = _heterogeneity(model, fe_state.q, fit_tau2, method, chosen, level, warnings)
    conventions = {key: het_values.pop(key) for key in _CONVENTIONS} | {
        "pi_method": chosen.pi_method if method != "FE" else "none",
        "ci_method": ci_used,
    }
    return PoolResult(
        k=k,
        method=method,
        ci_method=ci_method,
        preset=chosen.name,
        level=level,
        yi=tuple(float(x) for x in y),
        vi=tuple(float(x) for x in v),
        studies=labels,
        weights=weights,
        fixed=fixed,
        random=random,
        **document(fit, drop=("method",)),
        tau=math.sqrt(fit_tau2),
        tau_ci=_sqrt_interval(het_values["tau2_ci"]),
        **het_values,
        q=float(q),
        q_df=q_df,
        q_pvalue=q_pvalue,
        conventions=conventions,
        warnings=tuple(warnings),
        tau2_se=tau2_se(model, method, fit_tau2) if k > 1 else None,
    )


# the entries of _heterogeneity's values that are conventions, not PoolResult fields
_CONVENTIONS = ("i2_definition", "tau2_ci_method", "i2_ci_method")


def _fixed_effect(estimate: float, se: float, z_crit: float) -> FixedEffect:
    statistic = estimate / se
    return FixedEffect(
        estimate=float(estimate),
        se=se,
        ci_lower=float(estimate - z_crit * se),
        ci_upper=float(estimate + z_crit * se),
        statistic=float(statistic),
        pvalue=float(dist.z_pvalue(statistic)),
    )


def random_effects_at(
    model: LinearModel,
    tau2: float,
    method: str,
    ci_method: str,
    preset: Preset,
    level: float,
    warnings: list[str],
) -> tuple[RandomEffects, str, tuple[float, ...]]:
    """The random-effects model with weights 1/(vᵢ + τ²) at a given τ²: the model, the CI
    method actually used (``knha`` falls back to ``adhoc`` for identical effects) and the
    weights in percent. ``method`` is the τ² estimator's code (``FE`` gives no PI).

    >>> model = LinearModel(np.array([0.1, 0.3, 0.5]), np.array([0.01, 0.02, 0.04]))
    >>> random, used, weights = random_effects_at(
    ...     model, 0.01, "DL", "z", get_preset("revman5"), 0.95, [])
    >>> round(random.estimate, 4), used, [round(w, 1) for w in weights]
    (0.2419, 'z', [48.4, 32.3, 19.4])
    """
    state = model.at(tau2)
    estimate, se_classic, q_at_tau2, k = state.beta[0], math.sqrt(state.vb[0, 0]), state.q, model.k
    if ci_method != "z" and k < 2:
        warnings.append(f"ci_method {ci_method!r} needs k >= 2; the z interval is used")
        ci_method = "z"
    # Identical effects give Q = 0 only up to rounding (1e-30 and the like), so the test is
    # relative to Q's expectation df = k - 1 rather than exact.
    if ci_method == "knha" and q_at_tau2 <= IDENTICAL_EFFECTS_Q * max(k - 1, 1):
        warnings.append(
            "all effects are identical, so the Hartung-Knapp SE would be 0; its factor is "
            "truncated at 1 (ci_method 'adhoc')"
        )
        ci_method = "adhoc"
    if ci_method == "z":
        se, df = se_classic, None
        crit = float(dist.z_crit(level))
    else:
        df = k - 1
        se = se_classic * math.sqrt(hartung_knapp_factor(q_at_tau2, df, ci_method))
        crit = float(dist.t_crit(level, df))
    statistic = estimate / se
    pvalue = float(dist.z_pvalue(statistic)) if df is None else float(dist.t_pvalue(statistic, df))
    pi = prediction_interval(estimate, se, se_classic, tau2, k, ci_method, preset.pi_method, level)
    if method == "FE":
        pi = None
    random = RandomEffects(
        estimate=float(estimate),
        se=float(se),
        ci_lower=float(estimate - crit * se),
        ci_upper=float(estimate + crit * se),
        statistic=float(statistic),
        df=df,
        pvalue=pvalue,
        pi_lower=None if pi is None else pi[0],
        pi_upper=None if pi is None else pi[1],
    )
    weights = tuple(float(x) for x in 100.0 * state.w / state.sum_w)
    return random, ci_method, weights


# Q(τ̂²)/(k − 1) at or below this means the effects are identical up to rounding.
IDENTICAL_EFFECTS_Q = 1e-10


def hartung_knapp_factor(q_at_tau2: float, df: int, ci_method: str) -> float:
    """Variance scaling factor ``Q(τ̂²)/df`` of Hartung–Knapp (truncated at 1 for ``adhoc``)."""
    factor = q_at_tau2 / df
    return max(1.0, factor) if ci_method == "adhoc" else factor


def prediction_interval(
    estimate: float,
    se: float,
    se_classic: float,
    tau2: float,
    k: int,
    ci_method: str,
    pi_method: str,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Prediction interval for the effect in a new study.

    ``follow_ci``: the CI's distribution and SE with τ² added (metafor: z, or t(k − 1) under
    knha/adhoc); ``t_k1``: t(k − 1) with the classic SE (meta ≥ 8); ``t_k2``: t(k − 2) with the
    classic SE (Higgins, Thompson & Spiegelhalter 2009; meta ≤ 7, CMA); ``none``.

    >>> [round(x, 4) for x in prediction_interval(0.5, 0.1, 0.1, 0.04, 10, "z", "t_k2")]
    [-0.0156, 1.0156]
    """
    if pi_method == "none":
        return None
    if pi_method == "follow_ci":
        crit = float(dist.z_crit(level)) if ci_method == "z" else float(dist.t_crit(level, k - 1))
        half = crit * math.sqrt(se**2 + tau2)
    else:
        df = k - 1 if pi_method == "t_k1" else k - 2
        if df < 1:
            return None
        half = float(dist.t_crit(level, df)) * math.sqrt(se_classic**2 + tau2)
    return (float(estimate - half), float(estimate + half))


def tau2_ci_method_for(preset: Preset, method: str) -> str:
    """The τ² CI method ``preset`` uses with estimator ``method``: ``jackson_dl`` resolved to
    ``jackson`` (DL) or ``qprofile``; ``none`` for FE.

    >>> tau2_ci_method_for(get_preset("meta"), "DL"), tau2_ci_method_for(get_preset("meta"), "REML")
    ('jackson', 'qprofile')
    """
    if method == "FE":
        return "none"
    if preset.tau2_ci_method == "jackson_dl":
        return "jackson" if method == "DL" else "qprofile"
    return preset.tau2_ci_method


def _heterogeneity(
    model: LinearModel,
    q: float,
    tau2: float,
    method: str,
    preset: Preset,
    level: float,
    warnings: list[str],
) -> dict[str, Any]:
    k = model.k
    df = k - 1
    definition = preset.i2_definition if method != "FE" else "q"
    tau2_ci_method = tau2_ci_method_for(preset, method) if k >= 2 else "none"
    tau2_ci: Interval = None
    if tau2_ci_method == "qprofile":
        tau2_ci = het.qprofile_tau2_ci(model, level)
    elif tau2_ci_method == "jackson":
        tau2_ci = jackson_tau2_ci(model.y, model.v, level)

    if k < 2:
        i2, h2 = 0.0, 1.0
    elif definition == "tau2":
        s2 = model.typical_variance()
        i2, h2 = het.i2_from_tau2(tau2, s2), het.h2_from_tau2(tau2, s2)
    else:
        s2 = math.nan
        i2, h2 = het.i2_from_q(q, df), het.h2_from_q(q, df)

    i2_ci_method = preset.i2_ci_method if k >= 2 else "none"
    if i2_ci_method == "qprofile" and tau2_ci is None:
        i2_ci_method = "none"
    i2_ci: Interval = None
    h2_ci: Interval = None
    if i2_ci_method == "qprofile":
        s2 = model.typical_variance()
        i2_ci = (het.i2_from_tau2(tau2_ci[0], s2), het.i2_from_tau2(tau2_ci[1], s2))
        h2_ci = (het.h2_from_tau2(tau2_ci[0], s2), het.h2_from_tau2(tau2_ci[1], s2))
    elif i2_ci_method == "test_based":
        h_ci = het.test_based_h_ci(q, k, level)
        if h_ci is None:
            warnings.append("the test-based CI of I^2 is undefined for k = 2 and Q <= k")
            i2_ci_method = "none"
        else:
            h2_ci = (h_ci[0] ** 2, h_ci[1] ** 2)
            i2_ci = het.test_based_i2_ci(q, k, level)
    return {
        "i2": float(i2),
        "h2": float(h2),
        "tau2_ci": tau2_ci,
        "i2_ci": i2_ci,
        "h2_ci": h2_ci,
        "i2_definition": definition,
        "tau2_ci_method": tau2_ci_method,
        "i2_ci_method": i2_ci_method,
    }


def _sqrt_interval(interval: Interval) -> Interval:
    return None if interval is None else (math.sqrt(interval[0]), math.sqrt(interval[1]))
