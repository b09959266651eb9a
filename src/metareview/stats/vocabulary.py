"""The fixed vocabularies of metareview, each defined once and validated up front with one
message shape: effect measures and their families, τ² estimators, CI methods, and the
confidence level.

A measure's *family* says how it is analysed and shown: a ``ratio`` measure (OR, RR, HR) is
pooled on the log scale and shown back-transformed; a ``difference`` measure (SMD, MD, RD,
and the correlations COR and ZCOR) is pooled and shown on its own scale.

>>> check_choice("measure", "SMD", MEASURES)
'SMD'
>>> check_choice("measure", "g", MEASURES)
Traceback (most recent call last):
...
metareview.errors.InputError: measure must be one of SMD, MD, OR, RR, RD, HR; got 'g'
>>> is_ratio("RR"), is_ratio("ZCOR"), is_ratio(None)
(True, False, False)
>>> check_level(95)
Traceback (most recent call last):
...
metareview.errors.InputError: level must be between 0 and 1 (e.g. 0.95); got 95 (for 95% give 0.95)
"""

from __future__ import annotations

from collections.abc import Sequence

from metareview.errors import InputError

RATIO, DIFFERENCE = "ratio", "difference"

#: Every measure metareview knows, with its family.
MEASURE_FAMILY: dict[str, str] = {
    "SMD": DIFFERENCE,
    "MD": DIFFERENCE,
    "OR": RATIO,
    "RR": RATIO,
    "RD": DIFFERENCE,
    "HR": RATIO,
    "COR": DIFFERENCE,
    "ZCOR": DIFFERENCE,
}
#: The measures an extraction table's effect sizes are computed or read as.
MEASURES: tuple[str, ...] = ("SMD", "MD", "OR", "RR", "RD", "HR")
#: Analysed on the log scale, shown back-transformed.
RATIO_MEASURES: tuple[str, ...] = tuple(m for m, f in MEASURE_FAMILY.items() if f == RATIO)
#: Computed from events and totals.
BINARY_MEASURES: tuple[str, ...] = ("OR", "RR", "RD")

#: τ² estimators (FE: the common-effect model, τ² = 0).
TAU2_METHODS: tuple[str, ...] = ("FE", "DL", "REML", "ML", "PM", "SJ", "HE", "EB", "HS")
#: CIs and tests of the mean: normal, Hartung–Knapp(–Sidik–Jonkman), HK truncated at 1.
CI_METHODS: tuple[str, ...] = ("z", "knha", "adhoc")


def check_choice(name: str, value: str, allowed: Sequence[str]) -> str:
    """Validate a vocabulary value; the error lists every allowed value."""
    if value not in allowed:
        raise InputError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def is_ratio(measure: str | None) -> bool:
    """Whether ``measure`` is analysed on the log scale (OR, RR, HR)."""
    return MEASURE_FAMILY.get(measure or "") == RATIO


def percent_hint(value: float) -> str:
    """A hint for a confidence level typed in percent.

    >>> percent_hint(90), percent_hint(0.9)
    (' (for 90% give 0.9)', '')
    """
    return f" (for {value:g}% give {value / 100:g})" if 1.0 < value < 100.0 else ""


def check_level(level: float, name: str = "level") -> float:
    """Validate a confidence level (strictly between 0 and 1)."""
    if not 0.0 < level < 1.0:
        raise InputError(
            f"{name} must be between 0 and 1 (e.g. 0.95); got {level!r}{percent_hint(level)}"
        )
    return level
