"""Agreement between screeners: percentage agreement, Cohen's κ, PABAK, Gwet's AC1, Fleiss' κ.

All coefficients are computed from the ratings of the subjects (records) that every rater
rated; subjects rated by only some raters are counted in ``incomplete`` and left out (the
result says how many). With ``q`` categories and ``m`` raters:

- percentage agreement ``pa``: the mean over subjects of the share of agreeing rater pairs
  (for two raters, the proportion of subjects on which they agree);
- Cohen's κ (two raters; Cohen 1960): ``(pa − pe) / (1 − pe)`` with ``pe = Σ p_k+ · p_+k``;
- PABAK (Byrt, Bishop & Carlin 1993), the prevalence- and bias-adjusted κ, which for ``q``
  categories is Brennan & Prediger's coefficient ``(pa − 1/q) / (1 − 1/q)``;
- Gwet's AC1 (Gwet 2008): ``pe = Σ π_k (1 − π_k) / (q − 1)``, ``π_k`` the mean share of
  ratings in category ``k``;
- Fleiss' κ (Fleiss 1971): ``pe = Σ π_k²``, for any number of raters.

Every coefficient comes with a standard error, a confidence interval and a p-value (for the
hypothesis that it is 0), from Gwet's (2014, *Handbook of Inter-Rater Reliability*, 4th ed.,
ch. 5 and 6; Gwet 2008, BJMSP 61:29–48) linearisation. Each subject ``i`` gets a term

    c_i* = (pa_i − pe) / (1 − pe) − 2 (1 − c) (pe_i − pe) / (1 − pe)

whose mean is the coefficient ``c``: ``pa_i`` is the subject's agreement, ``pe_i`` its share
of the chance agreement (AC1: ``Σ_k p_ik (1 − π_k) / (q − 1)``; Fleiss: ``Σ_k p_ik π_k``;
Cohen: ``(p_+a + p_b+) / 2`` for ratings ``a`` and ``b``; PABAK: the constant ``1/q``;
percentage agreement: ``c_i* = pa_i``), with ``p_ik`` the share of the subject's ratings in
category ``k``. The variance is ``Σ (c_i* − c)² / n²`` for two raters (Gwet's formulas for a
contingency table) and ``Σ (c_i* − c)² / (n (n − 1))`` for three or more (his formulas for
the distribution of raters by subject and category). The interval is ``c ± t · SE`` with
Student's t on ``n − 1`` degrees of freedom, cut to the coefficient's range, and the p-value
is two-sided on the same t (as irrCAC, Gwet's R package, reports them).

Checked against the irrCAC R package's documented values (coefficients, standard errors,
intervals and p-values) and Fleiss' (1971) worked example (tests/test_agreement.py).

>>> result = agreement({"ana": ["include", "exclude", "exclude", "include"],
...                     "ben": ["include", "exclude", "include", "include"]})
>>> round(result.percent_agreement, 2), round(result.cohen_kappa, 2)
(0.75, 0.5)
>>> round(result.precision["cohen_kappa"].se, 3)
0.375
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from metareview.stats.vocabulary import check_level

#: The coefficients, by attribute name, as reports name them.
COEFFICIENTS = {
    "percent_agreement": "Percentage agreement",
    "cohen_kappa": "Cohen's kappa",
    "pabak": "PABAK",
    "gwet_ac1": "Gwet's AC1",
    "fleiss_kappa": "Fleiss' kappa",
}


@dataclass(frozen=True)
class Precision:
    """The standard error, confidence interval and p-value (H0: coefficient = 0) of one
    coefficient; ``nan`` where undefined (e.g. one subject, or chance agreement of 1)."""

    se: float
    ci_lower: float
    ci_upper: float
    p_value: float

    def to_dict(self) -> dict[str, float | None]:
        return {
            "se": _clean(self.se),
            "ci_lower": _clean(self.ci_lower),
            "ci_upper": _clean(self.ci_upper),
            "p_value": _clean(self.p_value),
        }


@dataclass(frozen=True)
class AgreementResult:
    """Agreement among ``raters`` over ``subjects`` subjects rated by all of them."""

    raters: tuple[str, ...]
    categories: tuple[str, ...]
    subjects: int
    incomplete: int
    percent_agreement: float
    cohen_kappa: float | None  # two raters only
    pabak: float
    gwet_ac1: float
    fleiss_kappa: float
    counts: tuple[tuple[int, ...], ...]  # subjects × categories: raters choosing each
    precision: Mapping[str, Precision] = field(default_factory=dict)  # by coefficient name
    confidence_level: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        return {
            "raters": list(self.raters),
            "categories": list(self.categories),
            "subjects": self.subjects,
            "incomplete": self.incomplete,
            **{key: _clean(getattr(self, key)) for key in COEFFICIENTS},
            "confidence_level": self.confidence_level,
            "precision": {key: p.to_dict() for key, p in self.precision.items()},
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient: value, standard error, confidence interval, p-value."""
        rows = []
        for key, name in COEFFICIENTS.items():
            value = getattr(self, key)
            p = self.precision.get(key, _UNDEFINED)
            rows.append([name, value, p.se, p.ci_lower, p.ci_upper, p.p_value])
        columns = ["coefficient", "value", "se", "ci_lower", "ci_upper", "p_value"]
        return pd.DataFrame(rows, columns=columns).set_index("coefficient").astype(float)

    def summary(self) -> str:
        level = f"{self.confidence_level:.0%} CI"
        lines = [
            f"Agreement of {', '.join(self.raters)} on {self.subjects} records"
            + (f" ({self.incomplete} rated by only some, left out)" if self.incomplete else ""),
            f"  {'coefficient':<22} {'value':>6}  {'SE':>6}  {level}",
        ]
        for name, row in self.to_frame().iterrows():
            if pd.isna(row["value"]):
                lines.append(f"  {name:<22} {'n/a':>6}")
                continue
            line = f"  {name:<22} {row['value']:6.3f}"
            if not pd.isna(row["se"]):
                line += f"  {row['se']:6.3f}  {row['ci_lower']:.3f} to {row['ci_upper']:.3f}"
            lines.append(line)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self.to_frame().to_html()


def agreement(
    ratings: Mapping[str, Sequence[Any] | Mapping[Any, Any]],
    categories: Sequence[Any] | None = None,
    confidence_level: float = 0.95,
) -> AgreementResult:
    """Agreement coefficients among two or more raters, with standard errors and intervals.

    Parameters
    ----------
    ratings
        Rater name → ratings, either sequences aligned by subject (``None`` = not rated) or
        mappings subject id → rating.
    categories
        Every possible category (default: those used). Matters for PABAK and AC1.
    confidence_level
        Of the confidence intervals, between 0 and 1.

    Examples
    --------
    >>> r = agreement({"a": [1, 1, 2], "b": [1, 2, 2], "c": [1, 2, 2]})
    >>> round(r.fleiss_kappa, 4), r.cohen_kappa is None
    (0.55, True)
    >>> round(r.precision["fleiss_kappa"].se, 4)
    0.4649
    """
    raters = tuple(ratings)
    if len(raters) < 2:
        raise ValueError(f"agreement needs at least two raters; got {len(raters)}")
    check_level(confidence_level, "confidence_level")
    by_subject = _align(ratings)
    complete = [row for row in by_subject.values() if all(v is not None for v in row)]
    incomplete = len(by_subject) - len(complete)
    used = sorted({v for row in complete for v in row}, key=str)
    if categories is None:
        categories = used
    else:
        unknown = [v for v in used if v not in categories]
        if unknown:
            raise ValueError(f"ratings {unknown} are not among categories {list(categories)}")
    categories = list(categories)
    index = {c: k for k, c in enumerate(categories)}
    ratings_by_subject = np.array([[index[v] for v in row] for row in complete], dtype=int)
    ratings_by_subject = ratings_by_subject.reshape(len(complete), len(raters))
    counts = np.zeros((len(complete), len(categories)), dtype=int)
    for k in range(len(categories)):
        counts[:, k] = (ratings_by_subject == k).sum(axis=1)
    terms = _subject_terms(counts)
    if len(raters) == 2:
        terms["cohen_kappa"] = _cohen_terms(ratings_by_subject, len(categories))
    values, precision = {}, {}
    for key, (value, per_subject) in terms.items():
        values[key] = value
        precision[key] = _precision(value, per_subject, len(raters), confidence_level, key)
    return AgreementResult(
        raters=raters,
        categories=tuple(str(c) for c in categories),
        subjects=len(complete),
        incomplete=incomplete,
        cohen_kappa=values.pop("cohen_kappa", None),
        counts=tuple(tuple(int(x) for x in row) for row in counts),
        precision=precision,
        confidence_level=confidence_level,
        **values,
    )


def _align(ratings: Mapping[str, Sequence[Any] | Mapping[Any, Any]]) -> dict[Any, list[Any]]:
    columns = list(ratings.values())
    if all(isinstance(c, Mapping) for c in columns):
        subjects = list(dict.fromkeys(s for c in columns for s in c))
        return {s: [c.get(s) for c in columns] for s in subjects}
    if any(isinstance(c, Mapping) for c in columns):
        raise ValueError("give every rater's ratings as a sequence, or every rater's as a mapping")
    lengths = {len(c) for c in columns}
    if len(lengths) != 1:
        raise ValueError(f"every rater must rate the same subjects; got lengths {sorted(lengths)}")
    return {i: [None if _missing(c[i]) else c[i] for c in columns] for i in range(lengths.pop())}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _clean(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else x


_NAN = float("nan")
_UNDEFINED = Precision(_NAN, _NAN, _NAN, _NAN)

#: A coefficient and its per-subject linearised terms c_i* (see the module docstring).
Terms = tuple[float, np.ndarray]


def _chance_corrected(pa_i: np.ndarray, pe: float, pe_i: np.ndarray) -> Terms:
    """The coefficient (pa − pe) / (1 − pe) and Gwet's per-subject terms."""
    if pa_i.size == 0 or pe >= 1:
        return _NAN, np.full(pa_i.size, _NAN)
    value = (float(pa_i.mean()) - pe) / (1 - pe)
    return value, (pa_i - pe) / (1 - pe) - 2 * (1 - value) * (pe_i - pe) / (1 - pe)


def _subject_terms(counts: np.ndarray) -> dict[str, Terms]:
    n, q = counts.shape
    m = int(counts.sum(axis=1)[0]) if n else 2
    pa_i = (counts * (counts - 1)).sum(axis=1) / (m * (m - 1))
    shares = counts / m  # p_ik
    pi = shares.mean(axis=0) if n else np.zeros(q)
    pe_ac1 = float(np.sum(pi * (1 - pi)) / (q - 1)) if q > 1 else 0.0
    ac1_i = (shares * (1 - pi)).sum(axis=1) / (q - 1) if q > 1 else np.zeros(n)
    pe_bp = 1 / q if q > 1 else 1.0
    return {
        "percent_agreement": (float(pa_i.mean()) if n else _NAN, pa_i),
        "pabak": _chance_corrected(pa_i, pe_bp, np.full(n, pe_bp)),
        "gwet_ac1": _chance_corrected(pa_i, pe_ac1, ac1_i),
        "fleiss_kappa": _chance_corrected(pa_i, float(np.sum(pi**2)), shares @ pi),
    }


def _cohen_terms(pairs: np.ndarray, q: int) -> Terms:
    """Cohen's κ: chance agreement from each rater's own margins (two raters)."""
    first, second = pairs[:, 0], pairs[:, 1]
    margin_1 = np.bincount(first, minlength=q) / max(len(pairs), 1)
    margin_2 = np.bincount(second, minlength=q) / max(len(pairs), 1)
    pa_i = (first == second).astype(float)
    pe_i = (margin_2[first] + margin_1[second]) / 2
    return _chance_corrected(pa_i, float(margin_1 @ margin_2), pe_i)


def _precision(value: float, terms: np.ndarray, raters: int, level: float, key: str) -> Precision:
    n = terms.size
    if n < 2 or math.isnan(value):
        return _UNDEFINED
    divisor = n * n if raters == 2 else n * (n - 1)
    se = math.sqrt(float(np.sum((terms - value) ** 2)) / divisor)
    t = float(stats.t.ppf(0.5 + level / 2, n - 1))
    low = 0.0 if key == "percent_agreement" else -1.0
    p_value = float(2 * stats.t.sf(abs(value) / se, n - 1)) if se > 0 else 0.0
    return Precision(se, max(value - t * se, low), min(value + t * se, 1.0), p_value)
