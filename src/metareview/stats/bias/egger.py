"""Regression tests for funnel-plot asymmetry (Egger et al. 1997) and the limit estimate.

The effects are regressed on a measure of study precision (the *predictor*); a slope that
differs from zero means small and large studies disagree (small-study effects). Two models:

- ``"lm"``: the classic test, a weighted linear regression of ``yi`` on the predictor with
  weights ``1/vi`` and a residual variance estimated from the data, tested with t(k − 2).
  With predictor ``sei`` this is Egger's test exactly as meta (``metabias(method.bias =
  "linreg")``), RevMan and Stata report it: Egger's "intercept" (the regression of ``yi/sei``
  on ``1/sei``) equals our slope on ``sei``, and Egger's slope equals our intercept.
- ``"rma"``: metafor's default ``regtest()``, a mixed-effects meta-regression on the
  predictor with τ² estimated by the analysis model's method, tested with z (or with t(k − 2)
  under Knapp–Hartung).

Predictors: ``sei`` (standard error), ``vi`` (variance), ``ni`` (total sample size),
``ninv`` (1/ni) and ``sqrtninv`` (1/√ni). For every predictor except ``ni`` the intercept is
the *limit estimate*: the effect expected from a study of infinite precision.

>>> import numpy as np
>>> yi = np.array([0.71, 0.35, 1.79, 0.18, 0.42, 0.60, 0.31, 0.95, 0.22, 1.20])
>>> vi = np.array([0.068, 0.039, 0.119, 0.014, 0.030, 0.060, 0.020, 0.090, 0.010, 0.150])
>>> res = regression_test(yi, vi, model="lm")
>>> round(res.asymmetry, 4), res.df
(4.0536, 8)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metareview.errors import InputError, NotEstimableError
from metareview.stats import distributions as dist
from metareview.stats.pooling import hartung_knapp_factor
from metareview.stats.result_base import ResultDocument
from metareview.stats.tau2 import check_inputs, check_method, estimate_tau2
from metareview.stats.vocabulary import CI_METHODS, check_choice
from metareview.stats.wls import LinearModel

MODELS = ("rma", "lm")
PREDICTORS = ("sei", "vi", "ni", "ninv", "sqrtninv")
PREDICTOR_LABELS = {
    "sei": "standard error",
    "vi": "sampling variance",
    "ni": "sample size",
    "ninv": "inverse of the sample size",
    "sqrtninv": "inverse of the square root of the sample size",
}


@dataclass(frozen=True)
class MetaRegressionFit:
    """A weighted regression of effects on an intercept and one predictor.

    coef, se: intercept and slope with their standard errors; tau2: residual τ² (0 for the
    ``lm`` and ``FE`` fits); df: degrees of freedom of the t distribution, ``None`` for z.
    """

    coef: tuple[float, float]
    se: tuple[float, float]
    tau2: float
    df: int | None

    def critical_value(self, level: float) -> float:
        """Two-sided quantile of the reference distribution for a ``level`` interval."""
        return float(dist.z_crit(level) if self.df is None else dist.t_crit(level, self.df))

    def pvalue(self, statistic: float) -> float:
        """Two-sided p-value of a Wald statistic under the fit's reference distribution."""
        if self.df is None:
            return float(dist.z_pvalue(statistic))
        return float(dist.t_pvalue(statistic, self.df))


def fit_meta_regression(
    yi: np.ndarray,
    vi: np.ndarray,
    x: np.ndarray,
    *,
    model: str = "rma",
    method: str = "REML",
    ci_method: str = "z",
) -> MetaRegressionFit:
    """Regress ``yi`` on ``x`` (with intercept) with inverse-variance weights.

    ``model="lm"`` estimates a multiplicative residual variance (classic weighted least
    squares, t(k − 2)); ``model="rma"`` adds τ² estimated by ``method`` and tests with z, or
    with t(k − 2) and the Knapp–Hartung variance when ``ci_method`` is ``"knha"`` (``"adhoc"``:
    its scaling factor truncated at 1).

    >>> fit = fit_meta_regression(np.array([0.1, 0.4, 0.8]), np.array([0.01, 0.04, 0.09]),
    ...                           np.array([0.1, 0.2, 0.3]), model="rma", method="FE")
    >>> [round(c, 4) for c in fit.coef]
    [-0.2385, 3.3462]
    """
    X = np.column_stack([np.ones_like(x), x])
    k = yi.size
    if model == "lm":
        state = LinearModel(yi, vi, X).at(0.0)
        scale, tau2, df = state.q / (k - 2), 0.0, k - 2
    else:
        tau2 = estimate_tau2(yi, vi, method, X=X).tau2
        state = LinearModel(yi, vi, X).at(tau2)
        if ci_method in ("knha", "adhoc"):
            scale, df = hartung_knapp_factor(state.q, k - 2, ci_method), k - 2
        else:
            scale, df = 1.0, None
    se = np.sqrt(np.diag(state.vb) * scale)
    return MetaRegressionFit(
        coef=(float(state.beta[0]), float(state.beta[1])),
        se=(float(se[0]), float(se[1])),
        tau2=float(tau2),
        df=df,
    )


@dataclass(frozen=True)
class RegressionTest(ResultDocument):
    """Result of a regression test for funnel-plot asymmetry.

    asymmetry, asymmetry_se: slope on the predictor (Egger's "bias"/"intercept" for ``sei``);
    statistic, df, pvalue: its Wald test (df ``None`` for z); limit_estimate and its CI: the
    intercept (``None`` for predictor ``ni``); tau2: residual τ² of the ``rma`` model.
    """

    model: str
    predictor: str
    method: str
    ci_method: str
    k: int
    asymmetry: float
    asymmetry_se: float
    statistic: float
    df: int | None
    pvalue: float
    intercept: float
    intercept_se: float
    limit_estimate: float | None
    limit_ci_lower: float | None
    limit_ci_upper: float | None
    tau2: float
    level: float

    def summary(self) -> str:
        kind = "weighted regression" if self.model == "lm" else "mixed-effects meta-regression"
        dist = "z" if self.df is None else f"t({self.df})"
        text = (
            f"Regression test for funnel plot asymmetry ({kind}, predictor: "
            f"{PREDICTOR_LABELS[self.predictor]}, k = {self.k}): slope = {self.asymmetry:.4f} "
            f"(SE {self.asymmetry_se:.4f}), {dist} = {self.statistic:.4f}, p = {self.pvalue:.4g}"
        )
        if self.limit_estimate is not None:
            pct = round(100 * self.level)
            text += (
                f"; limit estimate {self.limit_estimate:.4f} ({pct}% CI "
                f"{self.limit_ci_lower:.4f} to {self.limit_ci_upper:.4f})"
            )
        return text

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>"


def predictor_values(predictor: str, vi: np.ndarray, ni: np.ndarray | None) -> np.ndarray:
    """The predictor column for each study (sample sizes needed for the ``ni`` family).

    >>> predictor_values("sei", np.array([0.04, 0.09]), None).tolist()
    [0.2, 0.3]
    >>> predictor_values("sqrtninv", np.array([0.04, 0.09]), np.array([100, 25])).tolist()
    [0.1, 0.2]
    """
    if predictor == "sei":
        return np.sqrt(vi)
    if predictor == "vi":
        return vi
    if ni is None:
        raise InputError(f"predictor {predictor!r} needs the sample sizes ni")
    n = np.asarray(ni, dtype=float)
    if n.shape != vi.shape or not np.all(np.isfinite(n)) or np.any(n <= 0):
        raise InputError("ni must hold one positive sample size per study")
    return {"ni": n, "ninv": 1 / n, "sqrtninv": 1 / np.sqrt(n)}[predictor]


def regression_test(
    yi: object,
    vi: object,
    *,
    model: str = "rma",
    predictor: str = "sei",
    ni: object | None = None,
    method: str = "REML",
    ci_method: str = "z",
    level: float = 0.95,
) -> RegressionTest:
    """Test funnel-plot asymmetry by regressing the effects on a precision measure.

    Parameters
    ----------
    yi, vi : array-like
        Effects and sampling variances (at least 3 studies).
    model : {"rma", "lm"}
        Mixed-effects meta-regression (metafor ``regtest`` default) or classic weighted
        regression (Egger's test as in meta/RevMan).
    predictor : {"sei", "vi", "ni", "ninv", "sqrtninv"}
        Precision measure; the ``ni`` family needs ``ni``.
    method : str
        τ² method of the ``rma`` model (``FE`` gives the fixed-effects meta-regression).
    ci_method : {"z", "knha", "adhoc"}
        Test of the ``rma`` model (ignored by ``lm``, which always uses t(k − 2)).
    level : float
        Confidence level of the limit estimate's interval.

    Examples
    --------
    >>> yi = [0.71, 0.35, 1.79, 0.18, 0.42, 0.60, 0.31, 0.95, 0.22, 1.20]
    >>> vi = [0.068, 0.039, 0.119, 0.014, 0.030, 0.060, 0.020, 0.090, 0.010, 0.150]
    >>> res = regression_test(yi, vi, model="rma", method="FE")
    >>> round(res.statistic, 3), round(res.limit_estimate, 3)
    (5.222, -0.26)
    """
    check_choice("model", model, MODELS)
    check_choice("predictor", predictor, PREDICTORS)
    check_choice("ci_method", ci_method, CI_METHODS)
    method = check_method(method)
    y, v = check_inputs(yi, vi)
    if y.size < 3:
        raise NotEstimableError(f"a regression test needs at least 3 studies; got {y.size}")
    x = predictor_values(predictor, v, None if ni is None else np.asarray(ni, dtype=float))
    fit = fit_meta_regression(
        y, v, x, model=model, method="FE" if model == "lm" else method, ci_method=ci_method
    )
    if not fit.se[1] > 0:
        raise NotEstimableError(
            "the regression fits the effects exactly (no residual variance): the test is undefined"
        )
    statistic = fit.coef[1] / fit.se[1]
    limit = None if predictor == "ni" else fit.coef[0]
    half = fit.critical_value(level) * fit.se[0]
    return RegressionTest(
        model=model,
        predictor=predictor,
        method="FE" if model == "lm" else method,
        ci_method="t" if model == "lm" else ci_method,
        k=int(y.size),
        asymmetry=fit.coef[1],
        asymmetry_se=fit.se[1],
        statistic=float(statistic),
        df=fit.df,
        pvalue=fit.pvalue(statistic),
        intercept=fit.coef[0],
        intercept_se=fit.se[0],
        limit_estimate=limit,
        limit_ci_lower=None if limit is None else limit - half,
        limit_ci_upper=None if limit is None else limit + half,
        tau2=fit.tau2,
        level=level,
    )
