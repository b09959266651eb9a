"""Effect sizes of two-arm comparisons: the numerics, numpy/scipy only.

One concept per module: :mod:`~.smd` (Hedges' g under each convention),
:mod:`~.mean_difference`, :mod:`~.binary` (OR, RR, RD, zero cells), :mod:`~.conversions`
(t, F, p, CI, log OR ↔ SMD), :mod:`~.multiarm`, :mod:`~.cluster`, :mod:`~.direction`.
Over an extraction table use :func:`metareview.data.effects.compute_effects`.

>>> from metareview.stats.effects import smd
>>> g, v = smd(10.0, 8.0, 4.0, 4.0, 20, 20, correction="approx", variance="revman5")
>>> round(float(g), 4)
0.4901
"""

from metareview.stats.effects.binary import (
    BINARY_MEASURES,
    ZERO_CELL_METHODS,
    BinaryEffects,
    log_odds_ratio,
    log_risk_ratio,
    risk_difference,
    two_by_two,
    zero_cell_correction,
)
from metareview.stats.effects.cluster import design_effect, effective_size
from metareview.stats.effects.conversions import (
    ci_asymmetry,
    d_from_t,
    log_odds_ratio_from_smd,
    metapsy_g_from_events,
    se_from_ci,
    smd_from_log_odds_ratio,
    t_from_f,
    t_from_p,
)
from metareview.stats.effects.direction import orient
from metareview.stats.effects.mean_difference import mean_difference
from metareview.stats.effects.multiarm import combine_events, combine_means
from metareview.stats.effects.smd import (
    SMD_CORRECTIONS,
    SMD_VARIANCES,
    cohens_d,
    hedges_correction,
    pooled_sd,
    smd,
    smd_from_d,
)
from metareview.stats.vocabulary import MEASURES, RATIO_MEASURES, check_choice

__all__ = [
    "BINARY_MEASURES",
    "MEASURES",
    "RATIO_MEASURES",
    "SMD_CORRECTIONS",
    "SMD_VARIANCES",
    "ZERO_CELL_METHODS",
    "BinaryEffects",
    "check_choice",
    "ci_asymmetry",
    "cohens_d",
    "combine_events",
    "combine_means",
    "d_from_t",
    "design_effect",
    "effective_size",
    "hedges_correction",
    "log_odds_ratio",
    "log_odds_ratio_from_smd",
    "log_risk_ratio",
    "mean_difference",
    "metapsy_g_from_events",
    "orient",
    "pooled_sd",
    "risk_difference",
    "se_from_ci",
    "smd",
    "smd_from_d",
    "smd_from_log_odds_ratio",
    "t_from_f",
    "t_from_p",
    "two_by_two",
    "zero_cell_correction",
]
