"""The fixed vocabularies of effect sizes, validated up front with one message shape.

>>> check_choice("measure", "SMD", MEASURES)
'SMD'
>>> check_choice("measure", "g", MEASURES)
Traceback (most recent call last):
...
ValueError: measure must be one of SMD, MD, OR, RR, RD; got 'g'
"""

from __future__ import annotations

from collections.abc import Sequence

MEASURES = ("SMD", "MD", "OR", "RR", "RD")
RATIO_MEASURES = ("OR", "RR")


def check_choice(name: str, value: object, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed``; otherwise raise a ``ValueError`` naming them."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return str(value)
