"""Numbers as the report prints them: fixed decimals, and no sign on a value that rounds to 0.

>>> fixed(-0.001), fixed(-0.2), fixed(0.123, 3), fixed(None)
('0.00', '-0.20', '0.123', '')
"""

from __future__ import annotations

import math


def fixed(value: float | None, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals; ``''`` when missing; never ``-0.00``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text
