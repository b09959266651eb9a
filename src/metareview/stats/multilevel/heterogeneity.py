"""Multilevel I²: the share of total variance at each level (Cheung 2014).

The sampling level contributes the "typical" sampling variance of Higgins & Thompson,
``ṽ = (k − 1) Σw / ((Σw)² − Σw²)`` with ``w = 1/v``; I² of a level is its σ² over
``σ²_between + σ²_within + ṽ``. These are the values dmetar's ``var.comp`` and metapsyTools
report (in percent).

>>> i2 = multilevel_i2((0.0651, 0.0327), [0.1, 0.05, 0.02, 0.04])
>>> round(i2.between, 2), round(i2.within, 2), round(i2.sampling, 2), round(i2.total, 2)
(46.38, 23.3, 30.33, 69.67)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from metareview.stats.result_base import ResultDocument


@dataclass(frozen=True)
class MultilevelI2(ResultDocument):
    """Percent of the total variance: sampling error, within studies, between studies."""

    sampling: float
    within: float
    between: float
    total: float


def typical_sampling_variance(vi: Sequence[float] | np.ndarray) -> float:
    """Higgins & Thompson's typical within-study variance ṽ."""
    w = 1.0 / np.asarray(vi, dtype=float)
    sw = w.sum()
    return float((len(w) - 1) * sw / (sw**2 - (w**2).sum()))


def multilevel_i2(sigma2: tuple[float, float], vi: Sequence[float] | np.ndarray) -> MultilevelI2:
    """I² per level (percent) from σ² = (between, within) and the sampling variances."""
    typical = typical_sampling_variance(vi)
    between, within = sigma2
    total = between + within + typical
    return MultilevelI2(
        sampling=100.0 * typical / total,
        within=100.0 * within / total,
        between=100.0 * between / total,
        total=100.0 * (between + within) / total,
    )
