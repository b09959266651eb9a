"""All small-study-effect analyses of one meta-analysis, with the minimum-k rule.

Tests for funnel-plot asymmetry have too little power to tell chance from real asymmetry when
there are few studies: the Cochrane Handbook (section 13.3.5.4) advises them only with at
least 10 studies, as meta's ``metabias(k.min = 10)`` enforces. Below the preset's
``min_k_bias`` nothing is run and the result says why; ``force=True`` runs everything anyway
(from 3 studies) with a warning.

>>> yi = [0.71, 0.35, 1.79, 0.18, 0.42, 0.60, 0.31, 0.95, 0.22, 1.20]
>>> vi = [0.068, 0.039, 0.119, 0.014, 0.030, 0.060, 0.020, 0.090, 0.010, 0.150]
>>> res = small_study_effects(yi, vi, preset="meta")
>>> res.run, round(res.egger.asymmetry, 3), res.trim_and_fill.k0
(True, 4.054, 5)
>>> small_study_effects(yi[:6], vi[:6]).reason
'not run: 6 studies, fewer than the 10 the preset metafor requires (Cochrane Handbook 13.3.5.4); use --force (force=True in Python) to run anyway'
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np

from metareview.stats.bias.begg import RankCorrelationTest, rank_correlation_test
from metareview.stats.bias.egger import RegressionTest, regression_test
from metareview.stats.bias.failsafe import KINDS, FailSafeN, fail_safe_n
from metareview.stats.bias.pet_peese import PetPeese, pet_peese
from metareview.stats.bias.trimfill import ESTIMATORS, SIDES, TrimFillResult, trim_and_fill
from metareview.stats.pooling import check_choice, resolve_settings
from metareview.stats.presets import Preset
from metareview.stats.tau2 import check_inputs

MIN_K_ANY = 3  # a regression on an intercept and a slope needs one residual degree of freedom


@dataclass(frozen=True)
class SmallStudyResult:
    """Small-study effects of one meta-analysis.

    run: whether the analyses were done; reason: why not, or that they were forced (``None``
    when run normally); egger: the classic test (weighted regression on the SE, t(k − 2));
    egger_rma: metafor's mixed-effects variant with the analysis model's τ² method;
    egger_variant: which of the two the preset reports as "Egger's test".
    """

    k: int
    k_min: int
    run: bool
    reason: str | None
    preset: str
    egger_variant: str
    egger: RegressionTest | None = None
    egger_rma: RegressionTest | None = None
    begg: RankCorrelationTest | None = None
    trim_and_fill: TrimFillResult | None = None
    pet_peese: PetPeese | None = None
    fail_safe_n: dict[str, FailSafeN] | None = None

    @property
    def primary_egger(self) -> RegressionTest | None:
        """The Egger test the preset's reference software reports."""
        return self.egger_rma if self.egger_variant == "rma" else self.egger

    def to_dict(self) -> dict[str, Any]:
        """The ``small_study`` section of ``analyze --json``."""
        out: dict[str, Any] = {"k_min": self.k_min, "run": self.run, "reason": self.reason}
        if not self.run:
            return out | dict.fromkeys(
                ("egger", "egger_rma", "begg", "trim_and_fill", "pet_peese", "fail_safe_n")
            )
        egger, rma, tf, pp = self.egger, self.egger_rma, self.trim_and_fill, self.pet_peese
        out["egger"] = {
            "intercept": egger.asymmetry,
            "se": egger.asymmetry_se,
            "statistic": egger.statistic,
            "df": egger.df,
            "pvalue": egger.pvalue,
            "limit_estimate": egger.limit_estimate,
        }
        out["egger_rma"] = {"statistic": rma.statistic, "pvalue": rma.pvalue}
        out["begg"] = {"tau": self.begg.tau, "pvalue": self.begg.pvalue}
        out["trim_and_fill"] = {
            "k0": tf.k0,
            "side": tf.side,
            "estimator": tf.estimator,
            "estimate": tf.estimate,
            "se": tf.se,
            "ci_lower": tf.ci_lower,
            "ci_upper": tf.ci_upper,
            "pvalue": tf.pvalue,
        }
        out["pet_peese"] = {
            "method": pp.method,
            "estimate": pp.estimate,
            "ci_lower": pp.ci_lower,
            "ci_upper": pp.ci_upper,
        }
        out["fail_safe_n"] = {kind: fsn.n for kind, fsn in self.fail_safe_n.items()}
        return out

    def summary(self) -> str:
        if not self.run:
            return f"Small-study effects: {self.reason}"
        lines = [f"Small-study effects (k = {self.k}, preset {self.preset})"]
        if self.reason:
            lines.append(f"  {self.reason}")
        parts = [self.egger, self.egger_rma, self.begg, self.trim_and_fill, self.pet_peese]
        lines += [f"  {part.summary()}" for part in parts]
        lines += [f"  {fsn.summary()}" for fsn in self.fail_safe_n.values()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + escape(self.summary()) + "</pre>"


def small_study_effects(
    yi: object,
    vi: object,
    *,
    method: str | None = None,
    ci_method: str | None = None,
    level: float = 0.95,
    preset: str | Preset | None = None,
    force: bool = False,
    trimfill_estimator: str = "L0",
    trimfill_side: str | None = None,
) -> SmallStudyResult:
    """Run Egger's test (both variants), Begg's test, trim-and-fill, PET-PEESE and fail-safe N.

    Parameters
    ----------
    yi, vi : array-like
        Effects (analysis scale) and sampling variances.
    method, ci_method, level, preset
        The analysis model (defaults: the preset's); it fixes the τ² method of metafor's
        Egger variant and the model pooling the trim-and-fill data.
    force : bool
        Run even below the preset's ``min_k_bias`` (with a warning).
    trimfill_estimator, trimfill_side
        ``estimator`` and ``side`` of :func:`~metareview.stats.bias.trimfill.trim_and_fill`
        (default L0, side chosen from the data).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True):
    ...     res = small_study_effects([0.2, 0.4, 0.3], [0.01, 0.02, 0.03], force=True)
    >>> res.run, res.reason
    (True, 'forced: 3 studies, fewer than the 10 the preset metafor requires')
    """
    method, ci_method, chosen = resolve_settings(method, ci_method, preset)
    check_choice("trimfill_estimator", trimfill_estimator, ESTIMATORS)
    if trimfill_side is not None:
        check_choice("trimfill_side", trimfill_side, SIDES)
    y, v = check_inputs(yi, vi)
    k, k_min = int(y.size), int(chosen.min_k_bias)
    base = {"k": k, "k_min": k_min, "preset": chosen.name, "egger_variant": chosen.egger_variant}
    shortfall = f"{k} studies, fewer than the {k_min} the preset {chosen.name} requires"
    if k < MIN_K_ANY:
        reason = f"not run: {k} studies; the tests need at least {MIN_K_ANY}"
        return SmallStudyResult(run=False, reason=reason, **base)
    if float(np.ptp(y)) <= 1e-12 * max(1.0, float(np.abs(y).max())):
        reason = "not run: every study has the same effect, so there is no asymmetry to test"
        return SmallStudyResult(run=False, reason=reason, **base)
    if float(np.ptp(v)) <= 1e-12 * float(v.max()):
        reason = (
            "not run: every study has the same standard error, so no test can relate effects to it"
        )
        return SmallStudyResult(run=False, reason=reason, **base)
    reason = None
    if k < k_min:
        if not force:
            reason = f"not run: {shortfall} (Cochrane Handbook 13.3.5.4); use --force (force=True in Python) to run anyway"
            return SmallStudyResult(run=False, reason=reason, **base)
        reason = f"forced: {shortfall}"
        warnings.warn(f"small-study tests {reason}; they have little power", stacklevel=2)
    settings = {"level": level}
    try:
        parts = {
            "egger": regression_test(y, v, model="lm", **settings),
            "egger_rma": regression_test(
                y, v, model="rma", method=method, ci_method=ci_method, **settings
            ),
            "begg": rank_correlation_test(y, v),
            "trim_and_fill": trim_and_fill(
                y,
                v,
                estimator=trimfill_estimator,
                side=trimfill_side,
                method=method,
                ci_method=ci_method,
                preset=chosen,
                **settings,
            ),
            "pet_peese": pet_peese(y, v, **settings),
            "fail_safe_n": {kind: fail_safe_n(y, v, kind=kind) for kind in KINDS},
        }
    except ValueError as error:  # degenerate data, e.g. effects on an exact line
        return SmallStudyResult(run=False, reason=f"not run: {error}", **base)
    return SmallStudyResult(run=True, reason=reason, **parts, **base)
