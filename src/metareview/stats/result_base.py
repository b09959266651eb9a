"""The JSON-ready document of a frozen result dataclass, written once.

Most results of :mod:`metareview.stats` are frozen dataclasses whose document is their fields
in order (``dataclasses.asdict``), and which read back from that document field by field.
:class:`ResultDocument` gives them ``to_dict`` and ``from_dict``; a class whose document
differs (renamed keys, tuples as lists, nested results) overrides them. It imports nothing of
metareview, so any layer may base its own results on it. :func:`document` is the document of a
result that differs from its fields only in some of them (left out, or tuples written as
lists); :func:`take_fields` builds a result from another that shares some of its fields (a
model's estimate, SE, CI and p value).

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

from dataclasses import asdict, fields
from typing import Any, Self, TypeVar

T = TypeVar("T")


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


def document(result: object, *, drop: tuple[str, ...] = (), **values: Any) -> dict[str, Any]:
    """The fields of dataclass ``result`` as a dict in their order (the values themselves, not
    copies), ``values`` in place of the fields of those names and without the ``drop`` ones.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Fit:
    ...     k: int
    ...     converged: bool
    ...     warnings: tuple[str, ...] = ()
    >>> fit = Fit(3, True, ("slow",))
    >>> document(fit, drop=("converged",), warnings=list(fit.warnings))
    {'k': 3, 'warnings': ['slow']}
    """
    names = [field.name for field in fields(result)]  # type: ignore[arg-type]
    unknown = sorted((set(values) | set(drop)) - set(names))
    if unknown:
        raise TypeError(f"{type(result).__name__} has no field(s) {', '.join(unknown)}")
    return {
        name: values[name] if name in values else getattr(result, name)
        for name in names
        if name not in drop
    }


def take_fields(cls: type[T], source: object, **values: Any) -> T:
    """A ``cls`` dataclass whose fields are ``values`` and, for the others, ``source``'s
    attributes of the same names (a field ``source`` lacks keeps its default).

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Row:
    ...     label: str
    ...     estimate: float
    ...     se: float
    ...     tested: bool = True
    >>> @dataclass(frozen=True)
    ... class Model:
    ...     estimate: float
    ...     se: float
    ...     pvalue: float
    >>> take_fields(Row, Model(0.5, 0.1, 0.01), label="all")
    Row(label='all', estimate=0.5, se=0.1, tested=True)
    """
    names = [field.name for field in fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise TypeError(f"{cls.__name__} has no field(s) {', '.join(unknown)}")
    taken = {
        name: values[name] if name in values else getattr(source, name)
        for name in names
        if name in values or hasattr(source, name)
    }
    return cls(**taken)
