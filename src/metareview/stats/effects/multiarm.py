"""Combining arms of a multi-arm trial into one (Cochrane Handbook §23.3.4 and Table 6.5.a).

Two groups with sizes N1, N2, means M1, M2 and SDs S1, S2 combine into
N = N1 + N2, M = (N1 M1 + N2 M2)/N and
S = √(((N1 − 1)S1² + (N2 − 1)S2² + N1 N2/N · (M1 − M2)²)/(N − 1));
more arms are combined by applying this repeatedly. For a dichotomous outcome events and
totals are added.

>>> n, m, s = combine_means([10, 10], [5.0, 7.0], [1.0, 1.0])
>>> float(n), float(m), round(float(s), 6)
(20.0, 6.0, 1.414214)
"""

from __future__ import annotations

import numpy as np

from metareview.errors import InputError


def combine_means(n, mean, sd):
    """Combine the arms given as sequences of sizes, means and SDs; returns ``(n, mean, sd)``.

    Cochrane Handbook table 6.5.a, applied pairwise.

    >>> n, mean, sd = combine_means([20, 30], [5.0, 6.0], [1.0, 2.0])
    >>> float(n), float(mean), round(float(sd), 4)
    (50.0, 5.6, 1.7321)
    """
    n, mean, sd = (np.asarray(x, dtype=float) for x in (n, mean, sd))
    if not n.size or n.shape != mean.shape or n.shape != sd.shape:
        raise InputError("combine_means needs equally long, non-empty n, mean and sd")
    n_all, m_all, s_all = n[0], mean[0], sd[0]
    for n2, m2, s2 in zip(n[1:], mean[1:], sd[1:], strict=True):
        total = n_all + n2
        ss = (n_all - 1) * s_all**2 + (n2 - 1) * s2**2 + n_all * n2 / total * (m_all - m2) ** 2
        m_all = (n_all * m_all + n2 * m2) / total
        s_all = np.sqrt(ss / (total - 1))
        n_all = total
    return n_all, m_all, s_all


def combine_events(events, totals):
    """Combine dichotomous arms: events and totals are summed; returns ``(events, total)``.

    >>> combine_events([3, 5], [20, 25])
    (8.0, 45.0)
    """
    return float(np.sum(events, dtype=float)), float(np.sum(totals, dtype=float))
