"""Fail-safe N (file-drawer analysis): how many unpublished null studies would overturn a result.

Three classic definitions, with metafor's ``fsn()`` conventions (3.8-1):

- **Rosenthal** (1979): studies averaging z = 0 that would bring Stouffer's combined
  ``Z = Σzᵢ/√(k + N)`` down to the one-sided critical value ``z₁₋α``:
  ``N = (Σzᵢ/z₁₋α)² − k``, with ``zᵢ = yᵢ/√vᵢ``. Its p-value is Stouffer's one-sided p.
- **Orwin** (1983): studies with effect 0 that would bring the (unweighted, or
  inverse-variance weighted) mean effect ``ȳ`` down to a target: ``N = k(ȳ − target)/target``;
  the target defaults to ``ȳ/2``; a target of the other sign than ``ȳ`` is taken on ȳ's
  side (its sign flipped, as metafor does), with a warning in the result.
- **Rosenberg** (2005): studies with effect 0 and the mean weight that would make the
  common-effect estimate non-significant (two-sided ``α``):
  ``N = ((Σwᵢyᵢ)²/z²₁₋α/₂ − Σwᵢ)/w̄``.

N is rounded up to a whole study and is 0 when the result is already not significant.

>>> yi, vi = [0.71, 0.35, 1.79, 0.18, 0.42], [0.068, 0.039, 0.119, 0.014, 0.030]
>>> fail_safe_n(yi, vi).n
64
>>> fail_safe_n(yi, vi, kind="orwin", target=0.1).n
30
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy

from metareview.errors import InputError
from metareview.stats import distributions as dist
from metareview.stats.result_base import ResultDocument
from metareview.stats.tau2 import check_inputs
from metareview.stats.vocabulary import check_choice

KINDS = ("rosenthal", "orwin", "rosenberg")
# N is a count of studies: a value an ulp above an integer (floating-point noise) is that integer
_ROUNDING_DIGITS = 9


@dataclass(frozen=True)
class FailSafeN(ResultDocument):
    """One fail-safe N: ``n`` studies; ``pvalue`` of the observed result (Rosenthal and
    Rosenberg), ``mean_effect`` and ``target`` (Orwin; Rosenberg reports the weighted mean)."""

    kind: str
    n: int
    k: int
    alpha: float | None
    pvalue: float | None
    mean_effect: float | None
    target: float | None
    warnings: tuple[str, ...] = ()

    def summary(self) -> str:
        text = f"Fail-safe N ({self.kind.capitalize()}, k = {self.k}): {self.n}"
        if self.target is not None:
            text += f" (mean effect {self.mean_effect:.4f}, target {self.target:.4f})"
        elif self.pvalue is not None:
            text += f" (observed p = {self.pvalue:.4g}, target alpha = {self.alpha})"
        return text

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>"


def _whole_studies(value: float) -> int:
    return max(0, math.ceil(round(value, _ROUNDING_DIGITS)))


def fail_safe_n(
    yi: object,
    vi: object,
    *,
    kind: str = "rosenthal",
    alpha: float = 0.05,
    target: float | None = None,
    weighted: bool = False,
) -> FailSafeN:
    """Compute a fail-safe N.

    Parameters
    ----------
    yi, vi : array-like
        Effects and sampling variances.
    kind : {"rosenthal", "orwin", "rosenberg"}
        The definition (see the module documentation).
    alpha : float
        Target significance level (Rosenthal: one-sided; Rosenberg: two-sided).
    target : float, optional
        Orwin's target mean effect; default half the observed mean. A target of the other
        sign is flipped to the mean's side (metafor), and the result says so.
    weighted : bool
        Orwin with the inverse-variance weighted mean instead of the plain mean.

    Examples
    --------
    >>> fail_safe_n([0.5, 0.4, 0.6], [0.04, 0.05, 0.03], kind="rosenberg").n
    14
    """
    check_choice("kind", kind, KINDS)
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1; got {alpha!r}")
    y, v = check_inputs(yi, vi)
    k = int(y.size)
    if kind == "rosenthal":
        z_sum = float(np.sum(y / np.sqrt(v)))
        pvalue = float(scipy.stats.norm.sf(abs(z_sum) / math.sqrt(k)))
        n = (z_sum / scipy.stats.norm.isf(alpha)) ** 2 - k
        return FailSafeN(kind, _whole_studies(n), k, alpha, pvalue, None, None)
    w = 1.0 / v
    weighted_mean = float(w @ y / w.sum())
    if kind == "rosenberg":
        z = float(w @ y) / math.sqrt(float(w.sum()))
        pvalue = float(dist.z_pvalue(z))
        n = (float(w @ y) ** 2 / scipy.stats.norm.isf(alpha / 2) ** 2 - float(w.sum())) / w.mean()
        return FailSafeN(kind, _whole_studies(n), k, alpha, pvalue, weighted_mean, None)
    mean = weighted_mean if weighted else float(y.mean())
    if target is None:
        target = mean / 2
    if target == 0 or mean == 0:
        raise InputError(
            f"Orwin's fail-safe N needs a non-zero target and mean effect; got target "
            f"{target!r} for the mean effect {mean:.4g}"
        )
    notes: list[str] = []
    if np.sign(target) != np.sign(mean):
        notes.append(
            f"the target {target:.4g} has the other sign than the mean effect {mean:.4g}; "
            f"its sign was flipped to {-target:.4g} (as metafor's fsn)"
        )
        target = -target
    n = k * (mean - target) / target
    return FailSafeN(
        kind, _whole_studies(n), k, None, None, mean, float(target), warnings=tuple(notes)
    )
