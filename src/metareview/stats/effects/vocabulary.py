"""The fixed vocabularies of effect sizes, validated up front with one message shape.

>>> check_choice("measure", "SMD", MEASURES)
'SMD'
>>> check_choice("measure", "g", MEASURES)
Traceback (most recent call last):
...
ValueError: measure must be one of SMD, MD, OR, RR, RD, HR; got 'g'
"""

from __future__ import annotations

from metareview.stats.pooling import check_choice

__all__ = ["BINARY_MEASURES", "MEASURES", "RATIO_MEASURES", "check_choice"]

MEASURES = ("SMD", "MD", "OR", "RR", "RD", "HR")
RATIO_MEASURES = ("OR", "RR", "HR")  # analysed on the log scale, shown back-transformed
BINARY_MEASURES = ("OR", "RR", "RD")  # computed from events and totals
