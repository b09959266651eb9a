"""The JSON-ready document of a frozen result dataclass, written once.

Most results of :mod:`metareview.stats` are frozen dataclasses whose document is their fields
in order (``dataclasses.asdict``), and which read back from that document field by field.
:class:`ResultDocument` gives them ``to_dict`` and ``from_dict``; a class whose document
differs (renamed keys, tuples as lists, nested results) overrides them. It imports nothing of
metareview, so any layer may base its own results on it.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Point(ResultDocument):
...     x: float
...     y: float
>>> Point(1.0, 2.0).to_dict()
{'x': 1.0, 'y': 2.0}
>>> Point.from_dict({"x": 1.0, "y": 2.0})
Point(x=1.0, y=2.0)
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Self


class ResultDocument:
    """Mixin of a frozen result dataclass: its document is its fields, in order."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict, nested dataclasses as dicts (``dataclasses.asdict``)."""
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Self:
        """The result whose :meth:`to_dict` gave ``doc`` (flat results only)."""
        return cls(**doc)
