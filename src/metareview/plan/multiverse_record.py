"""The result of a plan's multiverse as ``results.json`` and the report use it (see
:mod:`metareview.plan.multiverse_plan`, which makes it).

>>> record = MultiverseRecord.from_dict({"id": "pain/post/multiverse", "group": "Pain",
...     "title": "Pain, post", "window": "post", "factors": {}, "choices": [],
...     "summary": {"specifications": 0}, "test": None})
>>> record.table, len(record.specifications)
('tables/multiverse-pain-post-multiverse.csv', 0)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from metareview.plan.multiverse import Factors, MultiverseResult
from metareview.plan.result_tree import MultiverseTree

# results.json keeps a multiverse's specifications up to this many (≈ 200 bytes each), so
# the report can be made from it alone; larger ones are only in their table
ROWS_IN_JSON = 5_000


@dataclass(frozen=True)
class MultiverseRecord:
    """A plan's multiverse: what it analysed, its factors, summary, test and specifications
    (one row each, as :class:`~metareview.plan.multiverse.MultiverseResult`)."""

    id: str
    group: str
    title: str
    window: str
    factors: dict[str, Any]
    choices: tuple[str, ...]
    summary: dict[str, Any]
    test: dict[str, Any] | None
    specifications: pd.DataFrame

    @cached_property
    def tree(self) -> MultiverseTree:
        """Its factors, summary and test as typed nodes (read this, not the documents)."""
        return MultiverseTree.from_dict(self.to_dict(rows=False))

    @property
    def table(self) -> str:
        """The specifications' file in the output folder (``.csv``; ``.parquet`` beside it)."""
        return f"tables/multiverse-{self.id.replace('/', '-')}.csv"  # the id's parts are slugs

    def to_dict(self, rows: bool | None = True) -> dict[str, Any]:
        """JSON-ready; ``rows=False`` leaves the specifications out (``results.json`` names
        their table instead), ``None`` keeps them up to ``ROWS_IN_JSON`` specifications."""
        if rows is None:
            rows = len(self.specifications) <= ROWS_IN_JSON
        document = {
            "id": self.id, "group": self.group, "title": self.title, "window": self.window,
            "factors": self.factors, "choices": list(self.choices), "summary": self.summary,
            "test": self.test, "table": self.table,
        }  # fmt: skip
        if rows:
            frame = self.specifications.reset_index()
            frame = frame.astype(object).where(frame.notna(), None)
            document["specifications"] = {
                "columns": list(frame.columns), "rows": frame.to_numpy().tolist(),
            }  # fmt: skip
        return document

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MultiverseRecord:
        stored = data.get("specifications") or {"columns": ["specification"], "rows": []}
        frame = pd.DataFrame(stored["rows"], columns=stored["columns"]).set_index("specification")
        if "removed" in frame:
            frame["removed"] = frame["removed"].map(lambda r: list(r) if r else [])
        return cls(
            id=data["id"], group=data["group"], title=data["title"], window=data["window"],
            factors=data["factors"], choices=tuple(data["choices"]), summary=data["summary"],
            test=data["test"], specifications=frame,
        )  # fmt: skip

    def result(self) -> MultiverseResult:
        """The specifications as a :class:`MultiverseResult` (for the specification curve)."""
        stored = self.tree.factors
        factors = Factors(level=stored.level, min_k=stored.min_k, preset=stored.preset)
        return MultiverseResult(self.specifications, factors, self.choices)


def factors_document(factors: Factors) -> dict[str, Any]:
    """The factors as ``results.json`` stores them."""
    return {
        "studies": list(factors.studies), "effects": list(factors.effects),
        "methods": list(factors.methods), "models": list(factors.models),
        "ci_methods": list(factors.ci_methods), "by": list(factors.filters),
        "rob_column": factors.rob_column, "rho": factors.rho, "level": factors.level,
        "min_k": factors.min_k, "preset": factors.preset,
    }  # fmt: skip
