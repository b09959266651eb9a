"""Mantel–Haenszel pooling of 2×2 tables (OR, RR, RD), a common-effect method for sparse data.

Per table: events ``a``/``c`` and non-events ``b``/``d`` in arm 1 (intervention) and arm 2.

- OR: Mantel & Haenszel (1959); variance of ln OR by Robins, Breslow & Greenland (1986).
- RR: Greenland & Robins (1985) estimator and variance of ln RR.
- RD: Greenland & Robins (1985) estimator, variance by Sato, Greenland & Robins (1989).

Heterogeneity (Q, I², H²) is measured around the MH estimate with the studies' own inverse-
variance effects (½ added to each cell of tables with a zero; tables without events in either
arm left out of Q), as metafor's ``rma.mh``. For OR the Cochran–Mantel–Haenszel test
(with continuity correction and metafor's variance n₁n₂m₁m₂/N³) and Tarone's test for heterogeneity are added.

>>> res = mantel_haenszel([4, 6, 3], [119, 300, 228], [11, 29, 11], [128, 274, 209], measure="OR")
>>> round(res.estimate, 4), round(res.se, 4)
(-1.4135, 0.3155)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy

from metareview.errors import InputError, NotEstimableError
from metareview.stats.effects.binary import table_effects, zero_cell_correction
from metareview.stats.heterogeneity import h2_from_q, i2_from_q
from metareview.stats.result_base import document
from metareview.stats.vocabulary import check_choice

MH_MEASURES = ("OR", "RR", "RD")


def _why_undefined(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> str:
    """The reason a ratio of 2×2 tables is 0 or infinite, in the user's terms."""
    if not a.any() and not c.any():
        return "no events in either arm of any study (every table is double-zero)"
    if not b.any() and not d.any():
        return "every participant of every study had the event"
    for cells, arm in (((a, "no events"), 1), ((c, "no events"), 2)):
        if not cells[0].any():
            return f"{cells[1]} in arm {arm} of any study"
    for cells, arm in ((b, 1), (d, 2)):
        if not cells.any():
            return f"every participant in arm {arm} of every study had the event"
    return "no table has events in one arm and non-events in the other"


@dataclass(frozen=True)
class BinaryPoolResult:
    """A common-effect pooled result of 2×2 tables (Mantel–Haenszel or Peto).

    ``estimate`` is on the analysis scale (log for OR/RR). ``cmh``/``tarone`` (OR, MH only) are
    the Cochran–Mantel–Haenszel test of no effect and Tarone's heterogeneity test.
    """

    model: str
    measure: str
    k: int
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    statistic: float
    pvalue: float
    q: float
    q_df: int
    q_pvalue: float | None
    i2: float
    h2: float
    level: float
    cmh: float | None = None
    cmh_pvalue: float | None = None
    tarone: float | None = None
    tarone_pvalue: float | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return document(self, warnings=list(self.warnings))

    def summary(self) -> str:
        name = "Mantel-Haenszel" if self.model == "MH" else "Peto"
        lines = [
            f"Fixed-Effects Model ({name}; measure: {self.measure}; k = {self.k})",
            f"Q(df = {self.q_df}) = {self.q:.4f}, p {_p(self.q_pvalue)}; "
            f"I^2 = {self.i2:.2f}%, H^2 = {self.h2:.4f}",
            f"estimate = {self.estimate:.4f} (se = {self.se:.4f}), "
            f"{100 * self.level:g}% CI [{self.ci_lower:.4f}; {self.ci_upper:.4f}], "
            f"z = {self.statistic:.4f}, p {_p(self.pvalue)}",
        ]
        if self.cmh is not None:
            lines.append(f"Cochran-Mantel-Haenszel test: {self.cmh:.4f}, p {_p(self.cmh_pvalue)}")
        if self.tarone is not None:
            lines.append(
                f"Tarone's test for heterogeneity: {self.tarone:.4f}, p {_p(self.tarone_pvalue)}"
            )
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary().replace("&", "&amp;").replace("<", "&lt;") + "</pre>"


def _p(value: float | None) -> str:
    """A p value with its relation, e.g. ``= 0.0312`` or ``< .0001``."""
    return "= NA" if value is None else ("< .0001" if value < 1e-4 else f"= {value:.4f}")


def check_tables(a: Any, b: Any, c: Any, d: Any) -> tuple[np.ndarray, ...]:
    """The four cell counts as float arrays: one length, finite, ≥ 0, both arms non-empty."""
    cells = [np.atleast_1d(np.asarray(x, dtype=float)) for x in (a, b, c, d)]
    if len({x.shape for x in cells}) != 1 or cells[0].ndim != 1 or cells[0].size == 0:
        raise InputError("a, b, c and d must be 1-D arrays of one (non-zero) length")
    for name, x in zip("abcd", cells):
        if not np.all(np.isfinite(x)) or np.any(x < 0):
            bad = int(np.flatnonzero(~(np.isfinite(x) & (x >= 0)))[0])
            raise InputError(f"cell {name} must be a count >= 0; table {bad + 1} has {x[bad]!r}")
    a, b, c, d = cells
    empty = np.flatnonzero((a + b == 0) | (c + d == 0))
    if empty.size:
        raise InputError(f"table {int(empty[0]) + 1} has an arm with no participants")
    return a, b, c, d


def study_effects(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, measure: str
) -> tuple[np.ndarray, np.ndarray]:
    """Per-table yi, vi with ½ added to every cell of tables with a zero cell (NaN when a
    table has no events, or only events, in both arms, as ``rma.mh(drop00=TRUE)``)."""
    cells, _ = zero_cell_correction(a, b, c, d, 0.5)
    yi, vi = table_effects(measure, *cells)
    double = ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))
    yi, vi = np.where(double, np.nan, yi), np.where(double, np.nan, vi)
    return yi, vi


def heterogeneity_around(
    estimate: float, yi: np.ndarray, vi: np.ndarray
) -> tuple[float, int, float | None, float, float]:
    """Q, df, p, I² (%) and H² of the usable studies around a given common estimate."""
    usable = np.isfinite(yi) & np.isfinite(vi) & (vi > 0)
    q = float(np.sum((yi[usable] - estimate) ** 2 / vi[usable]))
    df = int(usable.sum()) - 1
    pvalue = float(scipy.stats.chi2.sf(q, df)) if df >= 1 else None
    return q, df, pvalue, i2_from_q(q, df), h2_from_q(q, df)


def mantel_haenszel_weights(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, measure: str
) -> np.ndarray:
    """Each table's Mantel–Haenszel weight in percent of their sum.

    The Mantel–Haenszel estimate is the weighted mean of the tables' own OR, RR or RD with
    weights bᵢcᵢ/Nᵢ (OR; Mantel & Haenszel 1959), cᵢn₁ᵢ/Nᵢ (RR; Greenland & Robins 1985) and
    n₁ᵢn₂ᵢ/Nᵢ (RD), as Deeks & Higgins ("Statistical algorithms in Review Manager 5", 2010)
    give them; these are the percentages RevMan 5 prints for an "M-H, Fixed" analysis and
    metafor's ``weights()`` of an ``rma.mh`` fit. Pass the tables as pooled (RevMan: after
    its zero-cell increment).

    >>> [round(float(w), 2) for w in mantel_haenszel_weights(
    ...     np.array([4.0, 6.0]), np.array([119.0, 300.0]), np.array([11.0, 29.0]),
    ...     np.array([128.0, 274.0]), "RR")]
    [26.17, 73.83]
    """
    n1, n2 = a + b, c + d
    n = n1 + n2
    weight = {"OR": b * c / n, "RR": c * n1 / n, "RD": n1 * n2 / n}[measure]
    return 100.0 * weight / weight.sum()


def mantel_haenszel(
    a: Any, b: Any, c: Any, d: Any, *, measure: str = "OR", level: float = 0.95
) -> BinaryPoolResult:
    """Pool 2×2 tables by Mantel–Haenszel.

    Parameters
    ----------
    a, b, c, d : array-like
        Events and non-events in arm 1 (a, b) and arm 2 (c, d), one entry per study.
    measure : str
        ``OR``, ``RR`` or ``RD``.
    level : float
        Confidence level.

    Examples
    --------
    >>> res = mantel_haenszel([4, 6], [119, 300], [11, 29], [128, 274], measure="RD")
    >>> round(res.estimate, 4)
    -0.0673
    """
    check_choice("measure", measure, MH_MEASURES)
    a, b, c, d = check_tables(a, b, c, d)
    n1, n2 = a + b, c + d
    n = n1 + n2
    warnings: list[str] = []
    if measure == "OR":
        r_i, s_i = a * d / n, b * c / n
        r, s = r_i.sum(), s_i.sum()
        if r == 0 or s == 0:
            raise NotEstimableError(
                f"the Mantel-Haenszel odds ratio is not estimable: {_why_undefined(a, b, c, d)}"
            )
        estimate = math.log(r / s)
        p_i, q_i = (a + d) / n, (b + c) / n
        var = (
            np.sum(p_i * r_i) / (2 * r**2)
            + np.sum(p_i * s_i + q_i * r_i) / (2 * r * s)
            + np.sum(q_i * s_i) / (2 * s**2)
        )
    elif measure == "RR":
        r, s = np.sum(a * n2 / n), np.sum(c * n1 / n)
        if r == 0 or s == 0:
            raise NotEstimableError(
                f"the Mantel-Haenszel risk ratio is not estimable: {_why_undefined(a, b, c, d)}"
            )
        estimate = math.log(r / s)
        var = np.sum((n1 * n2 * (a + c) - a * c * n) / n**2) / (r * s)
    else:
        weight = n1 * n2 / n
        estimate = float(np.sum((a * n2 - c * n1) / n) / weight.sum())
        p_i = (n1**2 * c - n2**2 * a + n1 * n2 * (n2 - n1) / 2) / n**2
        q_i = (a * (n2 - c) + c * (n1 - a)) / (2 * n)
        var = (estimate * p_i.sum() + q_i.sum()) / weight.sum() ** 2
        if not var > 0:
            raise NotEstimableError(
                "the Mantel-Haenszel risk difference is not estimable: its variance is 0 "
                f"({_why_undefined(a, b, c, d)}), so it has no CI or test"
            )
    se = math.sqrt(float(var))
    yi, vi = study_effects(a, b, c, d, measure)
    heterogeneity = heterogeneity_around(estimate, yi, vi)
    extra: dict[str, float | None] = {}
    if measure == "OR":
        extra = _cmh_and_tarone(a, b, c, d, math.exp(estimate))
    return BinaryPoolResult(
        model="MH",
        measure=measure,
        k=int(a.size),
        **z_test(estimate, se, level),
        **dict(zip(("q", "q_df", "q_pvalue", "i2", "h2"), heterogeneity)),
        level=level,
        warnings=tuple(warnings),
        **extra,
    )


def z_test(estimate: float, se: float, level: float) -> dict[str, float]:
    """A common effect's estimate, SE, normal CI at ``level``, z and two-sided p value, as the
    :class:`BinaryPoolResult` fields of those names (Mantel–Haenszel and Peto).

    >>> {key: round(value, 4) for key, value in z_test(0.5, 0.25, 0.95).items()}
    {'estimate': 0.5, 'se': 0.25, 'ci_lower': 0.01, 'ci_upper': 0.99, 'statistic': 2.0, 'pvalue': 0.0455}
    """
    z_crit = float(scipy.stats.norm.isf((1 - level) / 2))
    statistic = estimate / se
    return {
        "estimate": float(estimate),
        "se": se,
        "ci_lower": float(estimate - z_crit * se),
        "ci_upper": float(estimate + z_crit * se),
        "statistic": float(statistic),
        "pvalue": float(2 * scipy.stats.norm.sf(abs(statistic))),
    }


def _cmh_and_tarone(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, odds_ratio: float
) -> dict[str, float | None]:
    """Cochran–Mantel–Haenszel statistic (continuity-corrected) and Tarone's test."""
    n1, n2, m1 = a + b, c + d, a + c
    n = n1 + n2
    m2 = n - m1
    informative = n > 1
    expected = n1 * m1 / n
    # metafor's rma.mh divides by N³ (not N²(N − 1), the exact hypergeometric variance).
    variance = n1 * n2 * m1 * m2 / n**3
    cmh = (abs(np.sum(a - expected)) - 0.5) ** 2 / variance.sum()
    # Tarone: expected a under the common OR, from the conditional (non-central) margins.
    varying = (np.minimum(n1, m1) > np.maximum(0, m1 - n2)) & informative
    fitted = np.array(
        [_fitted_a(*row, odds_ratio) for row in zip(n1[varying], n2[varying], m1[varying])]
    )
    aa = a[varying]
    cells = (fitted, n1[varying] - fitted, m1[varying] - fitted, n2[varying] - m1[varying] + fitted)
    var_a = 1.0 / sum(1.0 / cell for cell in cells)
    breslow_day = float(np.sum((aa - fitted) ** 2 / var_a))
    tarone = breslow_day - float(np.sum(aa - fitted)) ** 2 / float(np.sum(var_a))
    df = int(varying.sum()) - 1
    return {
        "cmh": float(cmh),
        "cmh_pvalue": float(scipy.stats.chi2.sf(cmh, 1)),
        "tarone": tarone if df >= 1 else None,
        "tarone_pvalue": float(scipy.stats.chi2.sf(tarone, df)) if df >= 1 else None,
    }


def _fitted_a(n1: float, n2: float, m1: float, odds_ratio: float) -> float:
    """The a of a table with margins n1, n2, m1 whose odds ratio equals ``odds_ratio``."""
    lower, upper = max(0.0, m1 - n2), min(n1, m1)

    def excess(x: float) -> float:
        return x * (n2 - m1 + x) - odds_ratio * (n1 - x) * (m1 - x)

    return float(scipy.optimize.brentq(excess, lower, upper, xtol=1e-14, rtol=1e-15))
