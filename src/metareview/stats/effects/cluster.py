"""Cluster-randomised trials: the design effect (Cochrane Handbook §23.1.4).

An analysis that ignored clustering is approximately corrected by dividing the sample size of
each arm (and, for a dichotomous outcome, the events as well) by the design effect
DE = 1 + (m − 1) ICC, with m the average cluster size and ICC the intracluster correlation.
Means and SDs are unchanged. The effective sizes are not rounded.

>>> round(float(design_effect(20, 0.05)), 12)
1.95
>>> round(float(effective_size(390, design_effect(20, 0.05))), 9)
200.0
"""

from __future__ import annotations

import numpy as np


def design_effect(cluster_size, icc) -> np.ndarray:
    """1 + (m − 1) · ICC.

    >>> round(float(design_effect(20, 0.05)), 4)
    1.95
    """
    return 1 + (np.asarray(cluster_size, dtype=float) - 1) * np.asarray(icc, dtype=float)


def effective_size(count, design) -> np.ndarray:
    """A sample size (or event count) divided by the design effect.

    >>> round(float(effective_size(100, 1.95)), 2)
    51.28
    """
    return np.asarray(count, dtype=float) / np.asarray(design, dtype=float)
