"""Duval & Tweedie's (2000) trim-and-fill method.

The method estimates how many studies are missing from one side of the funnel plot, imputes
their mirror images and pools the augmented data:

1. Choose the side: missing studies are on the left when the regression of the effects on
   their standard errors (a meta-regression with the trimming model) has a positive slope,
   else on the right (as metafor and meta do); or give ``side``.
2. Flip the effects if the right side is examined, sort them, and iterate: pool the ``k − k₀``
   smallest effects with the *trimming model*; rank all ``|yᵢ − θ̂|``; from the signed ranks
   compute k₀ with the estimator ``L0`` (``(4Sᵣ − k(k+1))/(2k − 1)``, Sᵣ the sum of the
   positive ranks), ``R0`` (length of the rightmost run of positive ranks − 1) or ``Q0``
   (``k − 1/2 − √(2k² − 4Sᵣ + 1/4)``), rounded and at least 0, until k₀ no longer changes.
3. Fill: the mirror images ``2θ̂ − yᵢ`` of the k₀ most extreme effects, with their variances.
4. Pool the augmented data with the analysis model. Its CI follows the preset field
   ``trimfill_refit_ci``: metafor's ``trimfill`` refits with a z test even after
   ``test = "knha"`` (``"z"``); R meta's keeps Hartung–Knapp (``"analysis"``).

**The trimming model decides the answer.** meta trims with the common-effect model
(``ma.common = TRUE``); metafor trims with the model it is called on (random effects with
REML by default). On the ThirdWave data the first fills 8 studies and the second none. The
preset field ``trimfill_model`` (``"FE"`` or ``"analysis"``) makes the choice explicit;
``trim_method`` overrides it.

>>> yi = [0.71, 0.35, 1.79, 0.18, 0.42, 0.60, 0.31, 0.95, 0.22, 1.20]
>>> vi = [0.068, 0.039, 0.119, 0.014, 0.030, 0.060, 0.020, 0.090, 0.010, 0.150]
>>> res = trim_and_fill(yi, vi, preset="meta")
>>> res.k0, res.side, round(res.estimate, 4)
(5, 'left', 0.2736)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from metareview.errors import NotEstimableError
from metareview.stats.bias.egger import fit_meta_regression
from metareview.stats.pooling import PoolResult, pool, resolve_settings
from metareview.stats.presets import Preset
from metareview.stats.result_base import document, take_fields
from metareview.stats.tau2 import check_inputs, check_method, estimate_tau2
from metareview.stats.vocabulary import check_choice
from metareview.stats.wls import LinearModel

ESTIMATORS = ("L0", "R0", "Q0")
SIDES = ("left", "right")
TRIMFILL_MODELS = ("FE", "analysis")
REFIT_CI = ("z", "analysis")


@dataclass(frozen=True)
class TrimFillResult:
    """Trim-and-fill: the number of missing studies and the pooled estimate with them filled.

    k0: studies imputed on ``side``, with its standard error ``se_k0`` (``None`` where the
    variance formula turns negative) and, for R0, the p-value ``p_k0`` of "none missing";
    filled_yi, filled_vi: the imputed studies;
    estimate … pvalue, tau2: the analysis model on the ``k + k0`` studies (``df`` ``None`` for
    z); trim_method: τ² method of the trimming model; pooled: the full pooled result of the
    augmented data.
    """

    k: int
    k0: int
    se_k0: float | None
    p_k0: float | None
    side: str
    estimator: str
    trim_method: str
    method: str
    ci_method: str
    filled_yi: tuple[float, ...]
    filled_vi: tuple[float, ...]
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    statistic: float
    df: int | None
    pvalue: float
    tau2: float
    iterations: int
    converged: bool
    pooled: PoolResult

    def to_dict(self) -> dict[str, Any]:
        return document(
            self,
            filled_yi=list(self.filled_yi),
            filled_vi=list(self.filled_vi),
            pooled=self.pooled.to_dict(),
        )

    def summary(self) -> str:
        pct = round(100 * self.pooled.level)
        model = (
            "common-effect" if self.trim_method == "FE" else f"random-effects ({self.trim_method})"
        )
        se = f" (SE {self.se_k0:.2f})" if self.se_k0 is not None else ""
        return (
            f"Trim-and-fill ({self.estimator}, trimmed with the {model} model): {self.k0}{se} "
            f"studies imputed on the {self.side} side; estimate with them {self.estimate:.4f} "
            f"({pct}% CI {self.ci_lower:.4f} to {self.ci_upper:.4f}), p = {self.pvalue:.4g}, "
            f"k = {self.k + self.k0}"
        )

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>"


def _center(y: np.ndarray, v: np.ndarray, method: str) -> float:
    """Pooled estimate of ``y`` under the trimming model."""
    tau2 = 0.0 if method == "FE" or y.size < 2 else estimate_tau2(y, v, method).tau2
    return float(LinearModel(y, v).at(tau2).beta[0])


def _missing(centered: np.ndarray, estimator: str) -> float:
    """The estimator of the number of missing studies from the centred (flipped) effects."""
    k = centered.size
    order = np.argsort(np.abs(centered), kind="stable")
    ranks = np.empty(k)
    ranks[order] = np.arange(1, k + 1)
    signed = np.sign(centered) * ranks
    s_r = float(signed[signed > 0].sum())
    if estimator == "L0":
        return (4 * s_r - k * (k + 1)) / (2 * k - 1)
    if estimator == "R0":
        by_rank = signed[order][::-1]
        run = int(np.argmax(by_rank < 0)) if np.any(by_rank < 0) else k
        return run - 1.0
    radicand = 2 * k * k - 4 * s_r + 0.25
    if radicand < 0:
        raise NotEstimableError(
            "the Q0 estimator is undefined for these data (2k² − 4Sr + 1/4 < 0); use L0 or R0"
        )
    return k - 0.5 - math.sqrt(radicand)


def _k0_uncertainty(
    estimator: str, k: int, k0: int, raw: float
) -> tuple[float | None, float | None]:
    """Standard error of k0 and (R0 only) the p-value of k0 = 0 (Duval & Tweedie 2000).

    R0: the rightmost run of positive ranks is geometric under symmetry, so
    ``P(R0 ≥ k0) = 2^−(k0+1)`` and ``SE = √(2k0 + 2)``. L0 and Q0: from the variance of the
    Wilcoxon sum Sr when k0 studies are missing, at the unrounded estimate (as metafor).
    """
    if estimator == "R0":
        return math.sqrt(2 * k0 + 2), 0.5 ** (k0 + 1)
    var_sr = (
        k * (k + 1) * (2 * k + 1)
        + 10 * raw**3
        + 27 * raw**2
        + 17 * raw
        - 18 * k * raw**2
        - 18 * k * raw
        + 6 * k**2 * raw
    ) / 24
    if estimator == "L0":
        denominator = 2 * k - 1
        scale = 4.0
    else:
        denominator_sq = (k - 0.5) ** 2 - raw * (2 * k - raw - 1)
        if denominator_sq <= 0:
            return None, None
        denominator, scale = math.sqrt(denominator_sq), 2.0
    if var_sr < 0:
        return None, None
    return scale * math.sqrt(var_sr) / denominator, None


def choose_side(y: np.ndarray, v: np.ndarray, trim_method: str) -> str:
    """``"left"`` if the effects grow with their standard errors, else ``"right"``.

    >>> choose_side(np.array([0.1, 0.3, 0.35, 0.6, 0.8]), np.array([0.01, 0.02, 0.04, 0.08, 0.1]),
    ...             "FE")
    'left'
    """
    slope = fit_meta_regression(y, v, np.sqrt(v), model="rma", method=trim_method).coef[1]
    return "right" if slope < 0 else "left"


def trim_and_fill(
    yi: object,
    vi: object,
    *,
    estimator: str = "L0",
    side: str | None = None,
    trim_method: str | None = None,
    method: str | None = None,
    ci_method: str | None = None,
    level: float = 0.95,
    preset: str | Preset | None = None,
    maxiter: int = 100,
) -> TrimFillResult:
    """Estimate and fill missing studies, then pool the augmented data.

    Parameters
    ----------
    yi, vi : array-like
        Effects and sampling variances (at least 3 studies).
    estimator : {"L0", "R0", "Q0"}
        Estimator of the number of missing studies.
    side : {"left", "right"}, optional
        Side of the funnel plot where studies are missing; default chosen from the data.
    trim_method : str, optional
        τ² method of the trimming model (``"FE"`` = common effect); default from the
        preset's ``trimfill_model`` (``"FE"``, or ``"analysis"`` = ``method``).
    method, ci_method, level, preset
        The analysis model that pools the augmented data (defaults: the preset's); the
        preset's ``trimfill_refit_ci`` may replace ``ci_method`` by ``z`` (metafor).
    maxiter : int
        Iteration limit of the trimming loop (a warning is given when it is reached).

    Examples
    --------
    >>> res = trim_and_fill([0.1, 0.3, 0.35, 0.6, 0.8], [0.01, 0.02, 0.04, 0.08, 0.1],
    ...                     side="left", trim_method="FE", method="FE")
    >>> res.k0, [round(y, 4) for y in res.filled_yi]
    (3, [-0.0167, -0.2667, -0.4667])
    """
    check_choice("estimator", estimator, ESTIMATORS)
    if side is not None:
        check_choice("side", side, SIDES)
    method, ci_method, chosen = resolve_settings(method, ci_method, preset)
    if trim_method is None:
        check_choice("trimfill_model", chosen.trimfill_model, TRIMFILL_MODELS)
        trim_method = "FE" if chosen.trimfill_model == "FE" else method
    trim_method = check_method(trim_method)
    if check_choice("trimfill_refit_ci", chosen.trimfill_refit_ci, REFIT_CI) == "z":
        ci_method = "z"
    y, v = check_inputs(yi, vi)
    k = y.size
    if k < 3:
        raise NotEstimableError(f"trim-and-fill needs at least 3 studies; got {k}")
    if side is None:
        side = choose_side(y, v, trim_method)
    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * y, kind="stable")
    flipped, v_sorted = sign * y[order], v[order]

    k0, previous, iterations = 0, -1, 0
    center = _center(flipped, v_sorted, trim_method)
    while k0 != previous and iterations < maxiter:
        previous, iterations = k0, iterations + 1
        center = _center(flipped[: k - k0], v_sorted[: k - k0], trim_method)
        raw = _missing(flipped - center, estimator)
        k0 = min(max(0, round(raw)), k - 1)  # R0 can reach k − 1; one study is kept
    converged = k0 == previous
    if not converged:
        warnings.warn(f"trim-and-fill did not converge in {maxiter} iterations", stacklevel=2)

    se_k0, p_k0 = _k0_uncertainty(estimator, k, k0, raw)
    extreme = slice(k - k0, k)
    filled_yi = sign * (2 * center - flipped[extreme])
    filled_vi = v_sorted[extreme]
    pooled = pool(
        np.concatenate([y, filled_yi]),
        np.concatenate([v, filled_vi]),
        method=method,
        ci_method=ci_method,
        level=level,
        preset=chosen,
    )
    model = pooled.fixed if method == "FE" else pooled.random
    return take_fields(
        TrimFillResult,
        model,
        k=int(k),
        k0=int(k0),
        se_k0=se_k0,
        p_k0=p_k0,
        side=side,
        estimator=estimator,
        trim_method=trim_method,
        method=method,
        ci_method=ci_method,
        filled_yi=tuple(float(x) for x in filled_yi),
        filled_vi=tuple(float(x) for x in filled_vi),
        df=getattr(model, "df", None),
        tau2=pooled.tau2 if method != "FE" else 0.0,
        iterations=iterations,
        converged=converged,
        pooled=pooled,
    )
