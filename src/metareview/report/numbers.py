"""Numbers as the report prints them: fixed decimals, and no sign on a value that rounds to 0;
effects on the scale a reader expects (ratios back from the log scale) with the symbol of
their measure and the CI level of the analysis.

>>> fixed(-0.001), fixed(-0.2), fixed(0.123, 3), fixed(None)
('0.00', '-0.20', '0.123', '')
"""

from __future__ import annotations

import math
from collections.abc import Callable

from metareview.stats.vocabulary import RATIO_MEASURES


def fixed(value: float | None, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals; ``''`` when missing; never ``-0.00``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def shown_scale(measure: str | None) -> Callable[[float | None], float | None]:
    """The transformation from the analysis scale to the printed one: ``exp`` for ratio
    measures (pooled on the log scale), none for the others; ``None`` stays ``None``.

    >>> fixed(shown_scale("RR")(math.log(0.49))), fixed(shown_scale("SMD")(-0.71))
    ('0.49', '-0.71')
    """
    if measure not in RATIO_MEASURES:
        return lambda value: value
    return lambda value: None if value is None or math.isnan(value) else math.exp(value)


def effect_symbol(measure: str | None, default: str = "g") -> str:
    """The symbol an effect of ``measure`` is printed with: the measure's code (``RR``,
    ``MD`` …), or ``default`` for SMD and effects given as they are.

    >>> effect_symbol("HR"), effect_symbol("SMD"), effect_symbol(None)
    ('HR', 'g', 'g')
    """
    return default if measure in (None, "SMD") else measure


def ci_label(level: float) -> str:
    """``95% CI`` for a confidence level of 0.95.

    >>> ci_label(0.95), ci_label(0.9), ci_label(0.975)
    ('95% CI', '90% CI', '97.5% CI')
    """
    return f"{100 * level:.10g}% CI"
