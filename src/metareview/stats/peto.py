"""Peto's one-step odds ratio (Yusuf et al. 1985): a common-effect method for rare events.

Per table the observed minus expected events in arm 1, ``O − E = a − n₁m₁/N``, and the
hypergeometric variance ``V = n₁n₂m₁m₂/(N²(N − 1))``; ln OR = Σ(O − E)/ΣV with SE 1/√ΣV.
Q = Σ(O − E)²/V − (Σ(O − E))²/ΣV over tables with V > 0.

>>> res = peto([4, 6, 3], [119, 300, 228], [11, 29, 11], [128, 274, 209])
>>> round(res.estimate, 4), round(res.se, 4)
(-1.2373, 0.2566)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy

from metareview.errors import NotEstimableError
from metareview.stats.heterogeneity import h2_from_q, i2_from_q
from metareview.stats.mantel_haenszel import BinaryPoolResult, check_tables, z_test


def peto(a: Any, b: Any, c: Any, d: Any, *, level: float = 0.95) -> BinaryPoolResult:
    """Pool 2×2 tables by Peto's method (log odds ratio).

    Parameters
    ----------
    a, b, c, d : array-like
        Events and non-events in arm 1 (a, b) and arm 2 (c, d), one entry per study.
    level : float
        Confidence level.

    Examples
    --------
    >>> round(peto([1, 0], [99, 100], [5, 4], [95, 96]).estimate, 3)
    -1.634
    """
    a, b, c, d = check_tables(a, b, c, d)
    n1, n2, m1 = a + b, c + d, a + c
    n = n1 + n2
    m2 = n - m1
    o_minus_e = a - n1 * m1 / n
    variance = np.where(n > 1, n1 * n2 * m1 * m2 / (n**2 * np.maximum(n - 1, 1)), 0.0)
    total_v = float(variance.sum())
    if total_v <= 0:
        raise NotEstimableError(
            "Peto's odds ratio is not estimable: no table has both events and non-events"
        )
    estimate = float(o_minus_e.sum()) / total_v
    se = 1.0 / math.sqrt(total_v)
    informative = variance > 0
    q = (
        float(np.sum(o_minus_e[informative] ** 2 / variance[informative]))
        - float(o_minus_e.sum()) ** 2 / total_v
    )
    q_df = int(informative.sum()) - 1
    return BinaryPoolResult(
        model="Peto",
        measure="OR",
        k=int(a.size),
        **z_test(estimate, se, level),
        q=max(q, 0.0),
        q_df=q_df,
        q_pvalue=float(scipy.stats.chi2.sf(max(q, 0.0), q_df)) if q_df >= 1 else None,
        i2=i2_from_q(q, q_df),
        h2=h2_from_q(q, q_df),
        level=level,
    )
