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

Checked against the irrCAC R package's documented values and Fleiss' (1971) worked example
(tests/test_agreement.py).

>>> result = agreement({"ana": ["include", "exclude", "exclude", "include"],
...                     "ben": ["include", "exclude", "include", "include"]})
>>> round(result.percent_agreement, 2), round(result.cohen_kappa, 2)
(0.75, 0.5)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


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

    def to_dict(self) -> dict[str, Any]:
        def clean(x: float | None) -> float | None:
            return None if x is None or math.isnan(x) else x

        return {
            "raters": list(self.raters),
            "categories": list(self.categories),
            "subjects": self.subjects,
            "incomplete": self.incomplete,
            "percent_agreement": clean(self.percent_agreement),
            "cohen_kappa": clean(self.cohen_kappa),
            "pabak": clean(self.pabak),
            "gwet_ac1": clean(self.gwet_ac1),
            "fleiss_kappa": clean(self.fleiss_kappa),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient."""
        names = {
            "percent_agreement": "Percentage agreement",
            "cohen_kappa": "Cohen's kappa",
            "pabak": "PABAK",
            "gwet_ac1": "Gwet's AC1",
            "fleiss_kappa": "Fleiss' kappa",
        }
        values = self.to_dict()
        return pd.DataFrame(
            {"coefficient": list(names.values()), "value": [values[k] for k in names]}
        ).set_index("coefficient")

    def summary(self) -> str:
        lines = [
            f"Agreement of {', '.join(self.raters)} on {self.subjects} records"
            + (f" ({self.incomplete} rated by only some, left out)" if self.incomplete else "")
        ]
        for name, value in self.to_frame()["value"].items():
            shown = "n/a" if value is None or pd.isna(value) else f"{value:.3f}"
            lines.append(f"  {name:<22} {shown}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self.to_frame().to_html()


def agreement(
    ratings: Mapping[str, Sequence[Any] | Mapping[Any, Any]],
    categories: Sequence[Any] | None = None,
) -> AgreementResult:
    """Agreement coefficients among two or more raters.

    Parameters
    ----------
    ratings
        Rater name → ratings, either sequences aligned by subject (``None`` = not rated) or
        mappings subject id → rating.
    categories
        Every possible category (default: those used). Matters for PABAK and AC1.

    Examples
    --------
    >>> r = agreement({"a": [1, 1, 2], "b": [1, 2, 2], "c": [1, 2, 2]})
    >>> round(r.fleiss_kappa, 4), r.cohen_kappa is None
    (0.55, True)
    """
    raters = tuple(ratings)
    if len(raters) < 2:
        raise ValueError(f"agreement needs at least two raters; got {len(raters)}")
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
    counts = np.zeros((len(complete), len(categories)), dtype=int)
    for i, row in enumerate(complete):
        for value in row:
            counts[i, index[value]] += 1
    coefficients = _coefficients(counts)
    kappa = _cohen_kappa(complete, index) if len(raters) == 2 else None
    return AgreementResult(
        raters=raters,
        categories=tuple(str(c) for c in categories),
        subjects=len(complete),
        incomplete=incomplete,
        cohen_kappa=kappa,
        counts=tuple(tuple(int(x) for x in row) for row in counts),
        **coefficients,
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


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def _coefficients(counts: np.ndarray) -> dict[str, float]:
    n, q = counts.shape
    if n == 0:
        nan = float("nan")
        return {"percent_agreement": nan, "pabak": nan, "gwet_ac1": nan, "fleiss_kappa": nan}
    m = counts.sum(axis=1)[0]
    pa = float(np.mean((counts * (counts - 1)).sum(axis=1) / (m * (m - 1))))
    pi = counts.sum(axis=0) / (n * m)
    pe_fleiss = float(np.sum(pi**2))
    pe_ac1 = float(np.sum(pi * (1 - pi)) / (q - 1)) if q > 1 else 0.0
    return {
        "percent_agreement": pa,
        "pabak": (pa - 1 / q) / (1 - 1 / q) if q > 1 else float("nan"),
        "gwet_ac1": _ratio(pa - pe_ac1, 1 - pe_ac1),
        "fleiss_kappa": _ratio(pa - pe_fleiss, 1 - pe_fleiss),
    }


def _cohen_kappa(rows: list[list[Any]], index: dict[Any, int]) -> float:
    q = len(index)
    table = np.zeros((q, q))
    for first, second in rows:
        table[index[first], index[second]] += 1
    if not rows:
        return float("nan")
    table /= len(rows)
    po = float(np.trace(table))
    pe = float(table.sum(axis=1) @ table.sum(axis=0))
    return _ratio(po - pe, 1 - pe)
