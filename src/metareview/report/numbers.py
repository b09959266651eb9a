"""Numbers as the report prints them: fixed decimals, and no sign on a value that rounds to 0;
effects on the scale a reader expects (ratios back from the log scale) with the symbol of
their measure and the CI level of the analysis.

>>> fixed(-0.001), fixed(-0.2), fixed(0.123, 3), fixed(None)
('0.00', '-0.20', '0.123', '')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from metareview.plan.result_tree import FitResult
from metareview.stats.vocabulary import RATIO_MEASURES


def fixed(value: float | None, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals; ``''`` when missing; never ``-0.00``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def p_value(value: float | None) -> str:
    """A p value as the tables print it: three decimals, ``<0.001`` below 0.001, ``''`` when
    missing.

    >>> p_value(0.0312), p_value(0.00004), p_value(None)
    ('0.031', '<0.001', '')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def p_clause(value: float | None) -> str:
    """A p value as the text prints it: ``p = 0.031``, ``p < 0.001`` (never ``p = 0.000``).

    >>> p_clause(0.0312), p_clause(0.0004), p_clause(None)
    ('p = 0.031', 'p < 0.001', 'p not available')
    """
    shown = p_value(value)
    if not shown:
        return "p not available"
    return "p < 0.001" if shown.startswith("<") else f"p = {shown}"


def i2_footnote(result: FitResult | Mapping[str, Any]) -> str:
    """Why an analysis's I² lies outside its own CI, or ``''`` when it does not.

    >>> doc = {"method": "REML", "heterogeneity": {"i2": 12.0, "i2_ci": [14.5, 80.0]},
    ...        "conventions": {"i2_definition": "tau2", "i2_ci_method": "qprofile"}}
    >>> i2_footnote(doc)
    'I² = 12% lies outside its CI (14.5% to 80%): the estimate comes from the REML estimate of τ², the CI from the Q-profile CI of τ², and the two methods need not agree.'
    >>> i2_footnote({"heterogeneity": {"i2": 20.0, "i2_ci": [0.0, 60.0]}})
    ''
    """
    fit = FitResult.of(result)
    i2, ci = fit.heterogeneity.i2, fit.heterogeneity.i2_ci
    if i2 is None or not ci or ci[0] is None or ci[1] is None or ci[0] <= i2 <= ci[1]:
        return ""
    conventions = fit.conventions
    estimate = (
        f"the {fit.method or 'estimated'} estimate of τ²"
        if (conventions.i2_definition or "tau2") == "tau2"
        else "Cochran's Q"
    )
    interval = {
        "qprofile": "the Q-profile CI of τ²",
        "test_based": "the test-based CI of H",
    }.get(conventions.i2_ci_method or "", "another method")
    return (
        f"I² = {i2:.3g}% lies outside its CI ({ci[0]:.3g}% to {ci[1]:.3g}%): the estimate "
        f"comes from {estimate}, the CI from {interval}, and the two methods need not agree."
    )


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
