"""A ratio axis (OR, RR, HR on the log scale) ticked at round ratios: 0.25, 0.5, 1, 2, 4 or
0.1, 0.2, 0.5, 1, 2, 5, 10 …, never at 0.22 or 4.5.

>>> ratio_ticks(math.log(0.3), math.log(3.5))
[0.5, 1.0, 2.0]
>>> ratio_ticks(math.log(0.05), math.log(14))
[0.1, 0.3, 1.0, 3.0, 10.0]
"""

from __future__ import annotations

import math

from matplotlib.axis import Axis
from matplotlib.ticker import FixedLocator, FuncFormatter

# Round ratios in order of preference: doubling, 1-2-5, 1-3-10, decades, every 2 decades.
_MANTISSAS = ((1.0, 2.0, 5.0), (1.0, 3.0), (1.0,))
MAX_TICKS = 5  # more crowd a forest plot's narrow effect panel


def _doublings(low: float, high: float) -> list[float]:
    first, last = math.floor(math.log2(low)), math.ceil(math.log2(high))
    return [2.0**n for n in range(first, last + 1)]


def _decades(low: float, high: float, mantissas: tuple[float, ...], step: int = 1) -> list[float]:
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    return [
        round(m * 10.0**n, 12) for n in range(first, last + 1) if n % step == 0 for m in mantissas
    ]


def ratio_ticks(low: float, high: float) -> list[float]:
    """Round ratios between ``exp(low)`` and ``exp(high)`` (log-scale limits): the first of
    doublings, 1-2-5, 1-3-10 and decades giving 3 to 5 ticks (at least 2 always).

    >>> ratio_ticks(math.log(0.2), math.log(6))
    [0.25, 0.5, 1.0, 2.0, 4.0]
    >>> ratio_ticks(math.log(0.001), math.log(2000))
    [0.01, 1.0, 100.0]
    >>> ratio_ticks(math.log(0.93), math.log(1.08))
    [0.95, 1.0, 1.05]
    """
    lo, hi = math.exp(low), math.exp(high)
    candidates = [_doublings(lo, hi)]
    candidates += [_decades(lo, hi, mantissas) for mantissas in _MANTISSAS]
    candidates += [_decades(lo, hi, (1.0,), step) for step in (2, 3, 5)]
    inside = [[t for t in ticks if lo <= t <= hi] for ticks in candidates]
    for ticks in inside:
        if 3 <= len(ticks) <= MAX_TICKS:
            return ticks
    wide = [ticks for ticks in inside if len(ticks) >= 2]
    if wide:
        return min(wide, key=len)
    return _narrow(lo, hi)


def _narrow(lo: float, hi: float) -> list[float]:
    """Ticks of a narrow ratio range (no two round ratios inside): steps of 0.01, 0.02,
    0.05, 0.1 … around 1."""
    for step in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5):
        ticks = [round(n * step, 6) for n in range(math.ceil(lo / step), math.floor(hi / step) + 1)]
        if len(ticks) <= MAX_TICKS:
            return ticks
    return [lo, hi]


def ratio_label(ratio: float) -> str:
    """A tick label: ``0.25``, ``1``, ``10``, ``1000``.

    >>> [ratio_label(t) for t in (0.25, 1.0, 10.0, 1000.0, 0.001)]
    ['0.25', '1', '10', '1000', '0.001']
    """
    return f"{ratio:.10g}"


def set_ratio_axis(axis: Axis, low: float, high: float) -> None:
    """Tick ``axis`` (log-scale values from ``low`` to ``high``) at round ratios, labelled as
    ratios."""
    axis.set_major_locator(FixedLocator([math.log(t) for t in ratio_ticks(low, high)]))
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: ratio_label(math.exp(value))))
