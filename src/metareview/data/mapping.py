"""Column mapping: let users keep their own headers (``TE``, ``seTE``, ``Author``, ``mean.e``).

>>> parse_column_mapping(["yi=TE", "sei = seTE"])
{'yi': 'TE', 'sei': 'seTE'}
>>> parse_column_mapping(["yi"])
Traceback (most recent call last):
...
ValueError: column mapping must look like STD=ACTUAL (e.g. yi=TE); got 'yi'
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping


def parse_column_mapping(pairs: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """Parse ``STD=ACTUAL`` strings (or pass a mapping through), checking the form only."""
    if pairs is None:
        return {}
    if isinstance(pairs, Mapping):
        return {str(k).strip(): str(v).strip() for k, v in pairs.items()}
    mapping: dict[str, str] = {}
    for pair in pairs:
        standard, sep, actual = str(pair).partition("=")
        standard, actual = standard.strip(), actual.strip()
        if not sep or not standard or not actual:
            raise ValueError(f"column mapping must look like STD=ACTUAL (e.g. yi=TE); got {pair!r}")
        if standard in mapping:
            raise ValueError(f"column {standard!r} is mapped twice")
        mapping[standard] = actual
    return mapping


def did_you_mean(name: str, candidates: Iterable[str], cutoff: float = 0.75) -> str | None:
    """The closest candidate to ``name`` (case-insensitive), or ``None``.

    >>> did_you_mean("sd_am1", ["sd_arm1", "sd_arm2", "study"])
    'sd_arm1'
    """
    by_lower = {candidate.lower(): candidate for candidate in candidates}
    match = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=cutoff)
    return by_lower[match[0]] if match else None
