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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

import numpy as np

from metareview.stats.bias.begg import RankCorrelationTest, rank_correlation_test
from metareview.stats.bias.egger import RegressionTest, regression_test
from metareview.stats.bias.failsafe import KINDS, FailSafeN, fail_safe_n
from metareview.stats.bias.pet_peese import PetPeese, pet_peese
from metareview.stats.bias.selection import SelectionModel, check_steps, selection_model
from metareview.stats.bias.trimfill import ESTIMATORS, SIDES, TrimFillResult, trim_and_fill
from metareview.stats.pooling import resolve_settings
from metareview.stats.presets import Preset
from metareview.stats.tau2 import check_inputs
from metareview.stats.vocabulary import check_choice

MIN_K_ANY = 3  # a regression on an intercept and a slope needs one residual degree of freedom
# the analyses in report order, with the names their failures are listed under
LABELS = {
    "egger": "Egger's test",
    "egger_rma": "Egger's test (mixed-effects)",
    "begg": "Begg's rank correlation test",
    "trim_and_fill": "Trim-and-fill",
    "pet_peese": "PET-PEESE",
    "fail_safe_n": "Fail-safe N",
    "selection": "Selection model",
}


@dataclass(frozen=True)
class SmallStudyResult:
    """Small-study effects of one meta-analysis.

    run: whether the analyses were done; reason: why not, or that they were forced (``None``
    when run normally); egger: the classic test (weighted regression on the SE, t(k − 2));
    egger_rma: metafor's mixed-effects variant with the analysis model's τ² method;
    egger_variant: which of the two the preset reports as "Egger's test"; selection: the
    step-function selection model (only when cut-points were given); failed: the analyses
    that could not be done for these data (key as in :data:`LABELS` → reason), each on its
    own: the others keep their results.
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
    selection: SelectionModel | None = None
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def primary_egger(self) -> RegressionTest | None:
        """The Egger test the preset's reference software reports."""
        return self.egger_rma if self.egger_variant == "rma" else self.egger

    def to_dict(self) -> dict[str, Any]:
        """The ``small_study`` section of ``analyze --json`` (a failed analysis is ``null``
        and listed under ``failed`` with its reason)."""
        egger, rma, tf, pp = self.egger, self.egger_rma, self.trim_and_fill, self.pet_peese
        sections = {
            "egger": egger
            and {
                "intercept": egger.asymmetry,
                "se": egger.asymmetry_se,
                "statistic": egger.statistic,
                "df": egger.df,
                "pvalue": egger.pvalue,
                "limit_estimate": egger.limit_estimate,
            },
            "egger_rma": rma and {"statistic": rma.statistic, "pvalue": rma.pvalue},
            "begg": self.begg and {"tau": self.begg.tau, "pvalue": self.begg.pvalue},
            "trim_and_fill": tf
            and {
                "k0": tf.k0,
                "side": tf.side,
                "estimator": tf.estimator,
                "estimate": tf.estimate,
                "se": tf.se,
                "ci_lower": tf.ci_lower,
                "ci_upper": tf.ci_upper,
                "pvalue": tf.pvalue,
                "filled_yi": list(tf.filled_yi),
                "filled_vi": list(tf.filled_vi),
            },
            "pet_peese": pp
            and {
                "method": pp.method,
                "estimate": pp.estimate,
                "ci_lower": pp.ci_lower,
                "ci_upper": pp.ci_upper,
            },
            "fail_safe_n": self.fail_safe_n
            and {kind: fsn.n for kind, fsn in self.fail_safe_n.items()},
            "selection": self.selection and _selection_dict(self.selection),
        }
        return {
            "k_min": self.k_min,
            "run": self.run,
            "reason": self.reason,
            **{name: value or None for name, value in sections.items()},
            "failed": dict(self.failed),
        }

    def summary(self) -> str:
        if not self.run:
            return f"Small-study effects: {self.reason}"
        lines = [f"Small-study effects (k = {self.k}, preset {self.preset})"]
        if self.reason:
            lines.append(f"  {self.reason}")
        for name in LABELS:
            part = getattr(self, name)
            if name == "fail_safe_n" and part:
                lines += [f"  {fsn.summary()}" for fsn in part.values()]
            elif part is not None:
                lines.append(f"  {part.summary()}")
            elif name in self.failed:
                lines.append(f"  {LABELS[name]}: not run ({self.failed[name]})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + escape(self.summary()) + "</pre>"


def _selection_dict(fit: SelectionModel) -> dict[str, Any]:
    """The selection model as ``analyze --json`` shows it: one entry per p-value interval."""
    lower = (0.0, *fit.steps[:-1])
    return {
        "method": fit.method,
        "alternative": fit.alternative,
        "steps": list(fit.steps),
        "estimate": fit.estimate,
        "se": fit.se,
        "ci_lower": fit.ci_lower,
        "ci_upper": fit.ci_upper,
        "pvalue": fit.pvalue,
        "tau2": fit.tau2,
        "lrt": fit.lrt,
        "lrt_df": fit.lrt_df,
        "lrt_pvalue": fit.lrt_pvalue,
        "converged": fit.converged,
        "intervals": [
            {"lower": a, "upper": b, "k": k, "delta": delta, "se_delta": se}
            for a, b, k, delta, se in zip(
                lower, fit.steps, fit.k_per_interval, fit.delta, fit.se_delta
            )
        ],
    }


def _attempt(name: str, compute: Callable[[], Any], failed: dict[str, str]) -> Any:
    """``compute()``, or ``None`` with the reason recorded in ``failed[name]`` when the data
    do not allow it (a ``ValueError``, e.g. trim-and-fill's Q0 undefined)."""
    try:
        return compute()
    except ValueError as error:
        failed[name] = str(error)
        return None


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
    selection_steps: Sequence[float] | None = None,
) -> SmallStudyResult:
    """Run Egger's test (both variants), Begg's test, trim-and-fill, PET-PEESE, fail-safe N
    and, when ``selection_steps`` are given, the step-function selection model.

    Each analysis stands alone: one the data do not allow (e.g. trim-and-fill's Q0 estimator
    undefined) is listed in ``failed`` with the reason and the others keep their results.

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
    selection_steps : sequence of float, optional
        Cut-points of one-sided p-values (e.g. ``[0.025, 0.5]``) of
        :func:`~metareview.stats.bias.selection.selection_model` (Vevea & Hedges 1995),
        fitted by ML (τ² = 0 when ``method`` is FE) with p-values for positive effects
        (metafor's ``alternative = "greater"``).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True):
    ...     res = small_study_effects([0.2, 0.4, 0.3], [0.01, 0.02, 0.03], force=True)
    >>> res.run, res.reason
    (True, 'forced: 3 studies, fewer than the 10 the preset metafor requires')
    >>> yi = [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3]
    >>> res = small_study_effects(yi, [0.0001] + [0.05] * 9, trimfill_estimator="Q0")
    >>> res.trim_and_fill is None, res.egger is not None, sorted(res.failed)
    (True, True, ['trim_and_fill'])
    """
    method, ci_method, chosen = resolve_settings(method, ci_method, preset)
    check_choice("trimfill_estimator", trimfill_estimator, ESTIMATORS)
    if trimfill_side is not None:
        check_choice("trimfill_side", trimfill_side, SIDES)
    if selection_steps is not None:
        check_steps(selection_steps)
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
    model = {"method": method, "ci_method": ci_method, "level": level}
    analyses: dict[str, Callable[[], Any]] = {
        "egger": lambda: regression_test(y, v, model="lm", level=level),
        "egger_rma": lambda: regression_test(y, v, model="rma", **model),
        "begg": lambda: rank_correlation_test(y, v, preset=chosen),
        "trim_and_fill": lambda: trim_and_fill(
            y,
            v,
            estimator=trimfill_estimator,
            side=trimfill_side,
            preset=chosen,
            **model,
        ),
        "pet_peese": lambda: pet_peese(y, v, level=level),
        "fail_safe_n": lambda: {kind: fail_safe_n(y, v, kind=kind) for kind in KINDS},
    }
    if selection_steps is not None:
        analyses["selection"] = lambda: selection_model(
            y, v, selection_steps, method="FE" if method == "FE" else "ML", level=level
        )
    failed: dict[str, str] = {}
    parts = {name: _attempt(name, compute, failed) for name, compute in analyses.items()}
    return SmallStudyResult(run=True, reason=reason, **parts, failed=failed, **base)
