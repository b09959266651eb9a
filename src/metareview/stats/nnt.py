"""Number needed to treat from a standardised mean difference (Furukawa & Leucht 2011).

With a control event rate CER (the share of responders expected without the intervention),
a standardised mean difference g shifts the latent normal outcome by g standard deviations,
so the intervention's event rate is Φ(g + Φ⁻¹(CER)) and

    NNT = 1 / (Φ(g + Φ⁻¹(CER)) − CER).

metapsyTools' ``runMetaAnalysis`` reports it for every model with ``nnt.cer = 0.2`` and as an
absolute value (a negative g gives the number needed to harm, shown positive); so does this
function. g = 0 gives an infinite NNT (as does a difference in event rates below 1e-12,
which is rounding of Φ(Φ⁻¹(CER)) − CER).

>>> round(nnt_furukawa(0.5), 4)
6.0126
>>> round(nnt_furukawa(-0.5), 4), round(nnt_furukawa(0.5, cer=0.5), 4)
(9.0793, 5.223)
"""

from __future__ import annotations

import math

import scipy

DEFAULT_CER = 0.2  # metapsyTools' nnt.cer


def nnt_furukawa(g: float, cer: float = DEFAULT_CER) -> float:
    """The NNT of a standardised mean difference ``g`` at control event rate ``cer`` in (0, 1).

    >>> nnt_furukawa(0.0)
    inf
    >>> nnt_furukawa(0.5, cer=1.0)
    Traceback (most recent call last):
    ...
    ValueError: cer (control event rate) must be in (0, 1); got 1.0
    """
    if not 0.0 < cer < 1.0:
        raise ValueError(f"cer (control event rate) must be in (0, 1); got {cer!r}")
    difference = float(scipy.stats.norm.cdf(g + scipy.stats.norm.ppf(cer))) - cer
    return math.inf if abs(difference) <= 1e-12 else abs(1.0 / difference)
