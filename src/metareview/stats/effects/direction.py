"""Orientation: make a positive effect favour the intervention.

Effects are computed as arm 1 (intervention) minus arm 2 (control), or their log ratio. Where
lower values are better (e.g. symptom scores, adverse events), the effect and its CI are
mirrored: yi → −yi, (lower, upper) → (−upper, −lower). The variance is unchanged.

>>> orient([0.5, 0.2], [0.1, -0.1], [0.9, 0.5], [True, False])
(array([-0.5,  0.2]), array([-0.9, -0.1]), array([-0.1,  0.5]))
"""

from __future__ import annotations

import numpy as np


def orient(yi, ci_lower, ci_upper, flip):
    """Mirror the rows where ``flip`` is true; returns ``(yi, ci_lower, ci_upper)``.

    >>> yi, lower, upper = orient([0.5, 0.2], [0.1, -0.1], [0.9, 0.5], [True, False])
    >>> yi.tolist(), lower.tolist(), upper.tolist()
    ([-0.5, 0.2], [-0.9, -0.1], [-0.1, 0.5])
    """
    yi, lower, upper = (np.asarray(x, dtype=float) for x in (yi, ci_lower, ci_upper))
    flip = np.asarray(flip, dtype=bool)
    return np.where(flip, -yi, yi), np.where(flip, -upper, lower), np.where(flip, -lower, upper)
