"""Two runs of a review compared: which numbers changed, and which inputs changed them.

The numbers are each analysis's headline (:data:`HEADLINE`: k, the estimate of the model the
runner chose with its CI and p value, the prediction interval, τ² and I²) read from two
``results.json`` documents; the inputs are the two extraction tables (cell by cell, rows
matched by study, outcome, time point, instrument and arms), the two plans (key by key), the
two risk-of-bias tables and the two PRISMA 2020 counts (box by box of the flow diagram).

>>> before = "study,outcome,time,mean_arm1\\nLee,hope,post,5.1\\n"
>>> after = "study,outcome,time,mean_arm1\\nLee,hope,post,5.7\\n"
>>> [c.text() for c in table_changes(before, after)]
["Lee (hope, post), mean_arm1: '5.1' → '5.7'"]
>>> [c.text() for c in plan_changes('[settings]\\nmeasure = "SMD"', '[settings]\\nmeasure = "MD"')]
["settings.measure: 'SMD' → 'MD'"]
"""

from __future__ import annotations

import io
import math
import tomllib
from dataclasses import dataclass
from typing import Any

import pandas as pd

from metareview.plan.result_tree import Heterogeneity, Model, ReviewTree
from metareview.rob.prisma import BOXES, PrismaCounts

#: The numbers of an analysis compared between runs.
HEADLINE = ("k", "estimate", "ci_lower", "ci_upper", "pvalue", "pi_lower", "pi_upper", "tau2",
            "i2")  # fmt: skip
#: The columns that name a row of the extraction table (those present are used).
ROW_KEY = ("study", "outcome", "time", "instrument", "condition_arm1", "condition_arm2",
           "multi_arm1", "multi_arm2")  # fmt: skip
ROB_KEY = ("Result", "Study")


def headline(results: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Per analysis id: its title and headline numbers (an analysis not run has none).

    >>> record = {"spec": {"id": "a", "title": "A"}, "status": "ok", "model": "random",
    ...           "result": {"k": 3, "random": {"estimate": 0.2, "ci_lower": 0.1},
    ...                      "heterogeneity": {"tau2": 0.01, "i2": 12.0}}}
    >>> headline({"analyses": [record]})["a"][1]["estimate"]
    0.2
    """
    out = {}
    for record in ReviewTree.from_dict(results).analyses:
        result = record.result
        numbers: dict[str, Any] = {}
        if record.status == "ok" and result is not None and result.present:
            pooled = result.pooled(record.model or "random") or Model()
            heterogeneity = result.heterogeneity or Heterogeneity()
            for name in HEADLINE:
                if name == "k":
                    numbers[name] = result.k
                elif name in ("tau2", "i2"):
                    numbers[name] = getattr(heterogeneity, name)
                else:
                    numbers[name] = getattr(pooled, name)
        out[record.spec.id] = (record.spec.title, numbers)
    return out


@dataclass(frozen=True)
class NumberChange:
    """One number of one analysis that differs between the runs (``None``: absent)."""

    analysis: str
    title: str
    name: str
    before: Any
    after: Any


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    return a == b


def number_changes(before: dict[str, Any], after: dict[str, Any]) -> list[NumberChange]:
    """The headline numbers that differ between two ``results.json`` documents, analysis by
    analysis (an analysis in one run only shows all its numbers against ``None``)."""
    old, new = headline(before), headline(after)
    changes = []
    for analysis in dict.fromkeys([*old, *new]):
        title = (new.get(analysis) or old[analysis])[0]
        a = old.get(analysis, (title, {}))[1]
        b = new.get(analysis, (title, {}))[1]
        for name in HEADLINE:
            if not _same(a.get(name), b.get(name)):
                changes.append(NumberChange(analysis, title, name, a.get(name), b.get(name)))
    return changes


@dataclass(frozen=True)
class CellChange:
    """A cell whose value differs between two tables (``None``: the row is in one only)."""

    row: tuple[str, ...]
    column: str
    before: str | None
    after: str | None

    def text(self) -> str:
        """The change in words."""
        where = self.row[0] + (
            f" ({', '.join(p for p in self.row[1:] if p)})" if self.row[1:] else ""
        )
        return f"{where}, {self.column}: {self.before!r} → {self.after!r}"


def _keyed(csv_text: str, key_columns: tuple[str, ...]) -> dict[tuple[str, ...], dict]:
    if not csv_text.strip():
        return {}
    frame = pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False)
    keys = [c for c in key_columns if c in frame.columns]
    rows: dict[tuple[str, ...], dict] = {}
    for record in frame.to_dict("records"):
        key = tuple(str(record[c]) for c in keys)
        while key in rows:  # the same key twice: number the repeats
            key = (*key[:-1], key[-1] + "'") if key else ("'",)
        rows[key] = record
    return rows


def table_changes(
    before: str, after: str, key_columns: tuple[str, ...] = ROW_KEY
) -> list[CellChange]:
    """The cells that differ between two CSV tables, rows matched on ``key_columns``."""
    old, new = _keyed(before, key_columns), _keyed(after, key_columns)
    changes = []
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        columns = dict.fromkeys([*(a or {}), *(b or {})])
        for column in columns:
            if column in key_columns:  # the row's key: shown as ``row``
                continue
            va = None if a is None else a.get(column)
            vb = None if b is None else b.get(column)
            if va != vb and not (va in (None, "") and vb in (None, "")):
                changes.append(CellChange(key, column, va, vb))
    return changes


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out |= _flat(item, f"{prefix}.{key}" if prefix else key)
        return out
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        out = {}
        for index, item in enumerate(value):
            out |= _flat(item, f"{prefix}[{index}]")
        return out
    return {prefix: value}


@dataclass(frozen=True)
class PlanChange:
    """A plan key whose value differs (``None``: the key is in one plan only)."""

    key: str
    before: Any
    after: Any

    def text(self) -> str:
        return f"{self.key}: {self.before!r} → {self.after!r}"


def plan_changes(before: str, after: str) -> list[PlanChange]:
    """The keys whose values differ between two plans' TOML texts."""
    old, new = _flat(tomllib.loads(before)), _flat(tomllib.loads(after))
    return [
        PlanChange(key, old.get(key), new.get(key))
        for key in dict.fromkeys([*old, *new])
        if old.get(key) != new.get(key)
    ]


#: A run's PRISMA counts when it recorded none although it drew a flow diagram.
NOT_RECORDED = "not recorded"
#: A run's PRISMA counts when it drew no flow diagram.
NO_DIAGRAM = "no flow diagram drawn"
#: A run's PRISMA counts when it recorded those it drew its diagram from.
RECORDED = "counts recorded"


def _count_text(value: Any) -> str:
    if value is None:
        return "not reported"
    if isinstance(value, tuple):  # a list box: "reason, n; …" (an unnamed entry: its n)
        parts = [_count_text(n) if not name else f"{name}, {_count_text(n)}" for name, n in value]
        return "; ".join(parts) or "none"
    return f"{value:,}"


@dataclass(frozen=True)
class BoxChange:
    """One box of the PRISMA 2020 flow diagram whose count differs between two runs."""

    key: str  #: its PRISMA2020 key (``records_screened``, ``dbr_excluded`` …)
    before: Any  #: the count (``None``: not reported; the reasons for a list box)
    after: Any

    @property
    def box(self) -> str:
        """The box's words in the diagram."""
        return BOXES[self.key]

    def counts(self) -> tuple[str, str]:
        """The two counts in words, with thousands separators."""
        return _count_text(self.before), _count_text(self.after)

    def text(self) -> str:
        """The change in words."""
        return "{}: {} → {}".format(self.box, *self.counts())


@dataclass(frozen=True)
class PrismaChanges:
    """Two runs' PRISMA counts compared: each run's :data:`RECORDED`, :data:`NOT_RECORDED` or
    :data:`NO_DIAGRAM`, whether the counts differ (``None``: not known, a run recorded none
    though it drew a diagram) and the boxes that changed (when both recorded counts)."""

    before: str
    after: str
    differ: bool | None
    boxes: tuple[BoxChange, ...]

    def text(self) -> str:
        """The boxes that changed, in words, in the diagram's order."""
        return "; ".join(change.text() for change in self.boxes)


def _state(counts_csv: str | None) -> str:
    return NOT_RECORDED if counts_csv is None else RECORDED if counts_csv else NO_DIAGRAM


def prisma_changes(before: str | None, after: str | None) -> PrismaChanges:
    """Two runs' PRISMA counts compared, box by box, from the PRISMA2020 CSV texts they
    recorded (``""``: the run drew no flow diagram; ``None``: it drew one but did not record
    its counts).

    >>> def counts(screened, included):
    ...     return PrismaCounts(records_screened=screened, total_studies=included).to_csv()
    >>> changes = prisma_changes(counts(700, 12), counts(1200, 14))
    >>> changes.differ
    True
    >>> print(changes.text())
    Records screened (databases and registers): 700 → 1,200; Total studies included in review: 12 → 14
    >>> prisma_changes(counts(700, 12), counts(700, 12)).differ
    False
    >>> changes = prisma_changes(None, counts(700, 12))
    >>> changes.before, changes.after, changes.differ
    ('not recorded', 'counts recorded', None)
    """
    states = _state(before), _state(after)
    if NOT_RECORDED in states:
        return PrismaChanges(*states, None, ())
    if not (before and after):
        return PrismaChanges(*states, states[0] != states[1], ())
    old = PrismaCounts.from_text(before, "PRISMA counts before")
    new = PrismaCounts.from_text(after, "PRISMA counts after")
    boxes = tuple(
        BoxChange(key, old.value(key), new.value(key))
        for key in BOXES
        if old.value(key) != new.value(key)
    )
    return PrismaChanges(*states, bool(boxes), boxes)


@dataclass(frozen=True)
class RunComparison:
    """What differs between two runs: numbers, extraction cells, plan keys, RoB cells and
    PRISMA counts."""

    numbers: list[NumberChange]
    cells: list[CellChange]
    plan: list[PlanChange]
    rob: list[CellChange]
    prisma: PrismaChanges


def compare_runs(
    before: dict[str, Any],
    after: dict[str, Any],
    inputs_before: tuple[str, str, str, str | None],
    inputs_after: tuple[str, str, str, str | None],
) -> RunComparison:
    """Two runs compared from their ``results.json`` and their inputs (plan text, extraction
    CSV, risk-of-bias CSV, PRISMA counts CSV as :func:`prisma_changes` takes it)."""
    plan_a, table_a, rob_a, prisma_a = inputs_before
    plan_b, table_b, rob_b, prisma_b = inputs_after
    return RunComparison(
        number_changes(before, after),
        table_changes(table_a, table_b),
        plan_changes(plan_a, plan_b),
        table_changes(rob_a, rob_b, ROB_KEY),
        prisma_changes(prisma_a, prisma_b),
    )
