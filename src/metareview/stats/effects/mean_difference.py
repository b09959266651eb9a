"""Raw (unstandardised) mean difference.

yi = m1 − m2 with the heteroscedastic variance s1²/n1 + s2²/n2 (metafor ``escalc("MD")``
default, RevMan 5, meta ``metacont(sm="MD")``, CMA).

>>> yi, vi = mean_difference(12.0, 10.0, 4.0, 2.0, 16, 8)
>>> float(yi), float(vi)
(2.0, 1.5)
"""

from __future__ import annotations

import numpy as np


def mean_difference(m1, m2, sd1, sd2, n1, n2):
    """Mean difference (arm 1 − arm 2) and its sampling variance; returns ``(yi, vi)``.

    >>> yi, vi = mean_difference(10.0, 8.5, 2.0, 2.5, 30, 30)
    >>> float(yi), round(float(vi), 4)
    (1.5, 0.3417)
    """
    m1, m2, sd1, sd2, n1, n2 = (np.asarray(x, dtype=float) for x in (m1, m2, sd1, sd2, n1, n2))
    return m1 - m2, sd1**2 / n1 + sd2**2 / n2
