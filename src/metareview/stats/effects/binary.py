"""Effect sizes from 2×2 tables: log odds ratio, log risk ratio, risk difference.

Cells: a = events and b = non-events in arm 1 (intervention), c and d in arm 2 (control).
A study with a zero cell gets a continuity correction in that study only (metafor
``escalc(to="only0", add=1/2)``, RevMan 5, meta ``metabin(incr=0.5)``): either ``add`` to every
cell (``"constant"``), or the treatment-arm correction of Sweeting, Sutton & Lambert (2004),
which adds 2·add·n1/N to both cells of arm 1 and 2·add·n2/N to both cells of arm 2 (the
amount in each arm is proportional to the reciprocal of the *other* arm's size; total 4·add).
A *double-zero* study (no events, or only events, in both arms) carries no information on a
ratio; ``drop_double_zero`` marks it not estimable for OR/RR (RevMan 5, meta), while metafor's
default (``drop00=FALSE``) keeps it with the correction. It is always kept for RD.

>>> res = two_by_two("OR", [0, 4], [10, 10], [2, 4], [10, 12])
>>> np.round(res.yi, 4).tolist(), res.corrected.tolist()
([-1.8207, 0.2877], [True, False])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metareview.errors import InputError
from metareview.stats.vocabulary import BINARY_MEASURES, check_choice

ZERO_CELL_METHODS = ("constant", "sweeting")


@dataclass(frozen=True)
class BinaryEffects:
    """Per-study results of :func:`two_by_two`.

    ``corrected`` marks studies that received the zero-cell correction; ``double_zero`` those
    with no events (or only events) in both arms; ``dropped`` those left not estimable
    (``yi``/``vi`` NaN) because double-zero studies were excluded.
    """

    yi: np.ndarray
    vi: np.ndarray
    corrected: np.ndarray
    double_zero: np.ndarray
    dropped: np.ndarray


def _cells(a, b, c, d):
    """The four cells as float arrays, then the arm totals ``n1 = a + b`` and ``n2 = c + d``."""
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    return a, b, c, d, a + b, c + d


def log_odds_ratio(a, b, c, d):
    """ln(ad/bc) with the Woolf variance 1/a + 1/b + 1/c + 1/d; returns ``(yi, vi)``.

    >>> yi, vi = log_odds_ratio(10, 40, 5, 45)
    >>> round(float(yi), 4), round(float(vi), 4)
    (0.8109, 0.3472)
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d


def log_risk_ratio(a, b, c, d):
    """ln((a/n1)/(c/n2)) with variance 1/a − 1/n1 + 1/c − 1/n2; returns ``(yi, vi)``.

    >>> yi, vi = log_risk_ratio(10, 40, 5, 45)
    >>> round(float(yi), 4), round(float(vi), 4)
    (0.6931, 0.26)
    """
    a, b, c, d, n1, n2 = _cells(a, b, c, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log((a / n1) / (c / n2)), 1 / a - 1 / n1 + 1 / c - 1 / n2


def risk_difference(a, b, c, d):
    """p1 − p2 with variance p1(1 − p1)/n1 + p2(1 − p2)/n2; returns ``(yi, vi)``.

    >>> yi, vi = risk_difference(10, 40, 5, 45)
    >>> round(float(yi), 4), round(float(vi), 4)
    (0.1, 0.005)
    """
    a, b, c, d, n1, n2 = _cells(a, b, c, d)
    p1, p2 = a / n1, c / n2
    return p1 - p2, p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2


_FORMULAS = {"OR": log_odds_ratio, "RR": log_risk_ratio, "RD": risk_difference}


def table_effects(measure: str, a, b, c, d):
    """``(yi, vi)`` of ``measure`` (OR and RR on the log scale) from the cells as given (no
    correction: a zero cell gives an infinite or NaN effect).

    >>> [round(float(x), 4) for x in table_effects("RR", 10, 40, 5, 45)]
    [0.6931, 0.26]
    """
    return _FORMULAS[measure](a, b, c, d)


def zero_cell_correction(a, b, c, d, add: float = 0.5, method: str = "constant"):
    """Return corrected cells ``(a, b, c, d)`` and the mask of studies that had a zero cell.

    >>> cells, mask = zero_cell_correction([0], [10], [3], [27], method="sweeting")
    >>> [float(np.round(x[0], 4)) for x in cells], mask.tolist()
    ([0.25, 10.25, 3.75, 27.75], [True])
    """
    check_choice("zero_cell_method", method, ZERO_CELL_METHODS)
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    if add == 0:
        return (a, b, c, d), np.zeros_like(zero)
    if method == "constant":
        k1 = k2 = np.full_like(a, add)
    else:
        n1, n2 = a + b, c + d
        k1, k2 = 2 * add * n1 / (n1 + n2), 2 * add * n2 / (n1 + n2)
    k1, k2 = np.where(zero, k1, 0.0), np.where(zero, k2, 0.0)
    return (a + k1, b + k1, c + k2, d + k2), zero


def two_by_two(
    measure: str,
    event1,
    total1,
    event2,
    total2,
    add: float = 0.5,
    zero_cell_method: str = "constant",
    drop_double_zero: bool = False,
) -> BinaryEffects:
    """OR (log), RR (log) or RD of arm 1 vs arm 2 from events and totals per arm.

    ``add``/``zero_cell_method`` set the zero-cell correction; ``drop_double_zero`` marks
    double-zero studies not estimable for OR/RR (never for RD).


    >>> res = two_by_two("OR", [0, 10], [20, 50], [0, 5], [20, 50], drop_double_zero=True)
    >>> res.dropped.tolist(), round(float(res.yi[1]), 4)
    ([True, False], 0.8109)
    """
    check_choice("measure", measure, BINARY_MEASURES)
    if add < 0:
        raise InputError(f"zero_cell_add must be >= 0; got {add!r}")
    event1, total1, event2, total2 = (
        np.atleast_1d(np.asarray(x, dtype=float)) for x in (event1, total1, event2, total2)
    )
    a, b, c, d = event1, total1 - event1, event2, total2 - event2
    double_zero = ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))
    dropped = double_zero & bool(drop_double_zero) & (measure != "RD")
    cells, corrected = zero_cell_correction(a, b, c, d, add, zero_cell_method)
    yi, vi = table_effects(measure, *cells)
    yi, vi = np.where(dropped, np.nan, yi), np.where(dropped, np.nan, vi)
    return BinaryEffects(yi, vi, corrected & ~dropped, double_zero, dropped)
