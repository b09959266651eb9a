"""The results of a whole review: one record per concrete analysis, JSON in and out.

Every number is the document of ``metareview analyze --json`` for the analysis's rows
(``AnalysisResult.to_dict()``); a record adds what the plan decided around it: which rows,
which model is the headline, subgroups, leave-one-out, and why an analysis was not run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from metareview.plan.multiverse_record import MultiverseRecord
from metareview.plan.plan import Plan, plan_from_document
from metareview.plan.result_tree import (
    SCHEMA_VERSION,
    AnalysisTree,
    Combined,
    FitResult,
    check_schema_version,
)


def headline_result(result: dict[str, Any]) -> dict[str, Any]:
    """The result document as RevMan 5 shows it when the analysis has RevMan's
    Mantel–Haenszel section (``mantel_haenszel_random``: preset ``revman5``, binary measure,
    event counts): its "M-H, Fixed" model (the Mantel–Haenszel estimate, with Mantel–Haenszel
    study weights ``weight_fixed``) and "M-H, Random" model, with Q and I² around the
    Mantel–Haenszel estimate, in place of the inverse-variance ones
    (:meth:`FitResult.headline`). Otherwise the document itself.

    >>> doc = {"k": 3, "fixed": {"estimate": 0.1},
    ...        "mantel_haenszel_random": {"model": "MH-random", "k": 3, "studies": [],
    ...            "fixed": {"estimate": 0.2}, "random": {}, "heterogeneity": {}}}
    >>> headline_result(doc)["fixed"], headline_result({"fixed": {"estimate": 0.1}})["fixed"]
    ({'estimate': 0.2}, {'estimate': 0.1})
    """
    if not result.get("mantel_haenszel_random"):
        return result
    return FitResult.from_dict(result).headline().to_dict()


def cohort_warning(combined: Combined) -> str:
    """The warning for rows of one study label that look like distinct cohorts but were
    combined into one study.

    >>> cohort_warning(Combined(study="Thomas, 1992", rows=(17, 18), rho=0.5))
    "rows 17, 18 share the study label 'Thomas, 1992' but differ in arm sizes or events and no column tells them apart: distinct cohorts? They were combined into one study (rho = 0.5); give each cohort its own study label to pool them as separate studies"
    """
    rows = ", ".join(str(row) for row in combined.rows)
    return (
        f"rows {rows} share the study label {combined.study!r} but differ in arm sizes or "
        "events and no column tells them apart: distinct cohorts? They were combined into one "
        f"study (rho = {combined.rho:g}); give each cohort its own study label to pool them "
        "as separate studies"
    )


def combined_rows(combined: Combined) -> list[dict[str, Any]]:
    """One entry (row, study, reason) per spreadsheet row of a combined study.

    >>> combined_rows(Combined(study="A", rows=(2, 3), rho=0.5))[0]["reason"]
    'combined with row 3 into one study (rho = 0.5)'
    """
    rows = combined.rows
    return [
        {
            "row": row,
            "study": combined.study,
            "reason": f"combined with row{'s' if len(rows) > 2 else ''} "
            + ", ".join(str(other) for other in rows if other != row)
            + f" into one study (rho = {combined.rho:g})",
        }
        for row in rows
    ]


@dataclass(frozen=True)
class AnalysisRecord:
    """One concrete analysis: its spec, input effect sizes, result document and add-ons.

    ``status`` is ``ok`` or ``skipped`` (``reason`` says why, e.g. too few studies).
    ``model`` is the headline model (``random`` or ``fixed``) chosen by the plan's rule.
    ``models``: a main analysis' table of the plan's ``models`` (:mod:`metareview.plan.models`).
    """

    spec: dict[str, Any]
    status: str
    reason: str = ""
    input: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    model: str = "random"
    model_reason: str = ""
    subgroups: list[dict[str, Any]] = field(default_factory=list)
    leave_one_out: list[dict[str, Any]] = field(default_factory=list)
    excluded_studies: list[str] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    combined: list[dict[str, Any]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)  # plan.models.models_table
    gosh: dict[str, Any] | None = None  # robustness.gosh_cloud, when the plan asks for GOSH

    @cached_property
    def tree(self) -> AnalysisTree:
        """This record as a typed tree (read this, not the documents, for any number)."""
        return AnalysisTree.from_dict(self.to_dict())

    @property
    def id(self) -> str:
        return self.tree.spec.id

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def k(self) -> int:
        k = self.tree.result.k
        return int(len(self.input) if k is None else k)

    def warnings(self) -> list[tuple[str, str]]:
        """(where, warning) of every warning ``analyze`` gave for this analysis: its own fit
        (where = the analysis' title) and each subgroup's (``title, subgroup column = level``),
        e.g. that τ² did not converge or that small-study tests were forced below their
        minimum k.

        >>> record = AnalysisRecord(spec={"title": "Stress"}, status="ok",
        ...     result={"warnings": ["the REML estimate of tau^2 did not converge"]},
        ...     subgroups=[{"column": "dose", "levels": [{"level": "high",
        ...         "result": {"warnings": ["only one study"]}}, {"level": "low"}]}])
        >>> record.warnings()
        [('Stress', 'the REML estimate of tau^2 did not converge'), ('Stress, subgroup dose = high', 'only one study')]
        """
        tree = self.tree
        title = tree.spec.title
        found = [(title, warning) for warning in tree.result.warnings]
        found += [(title, cohort_warning(item)) for item in tree.combined if item.distinct_cohorts]
        for block in tree.subgroups:
            for level in block.levels:
                where = f"{title}, subgroup {block.column} = {level.level}"
                if level.result is not None:
                    found += [(where, warning) for warning in level.result.warnings]
        return found

    def headline(self) -> dict[str, Any]:
        """The result document as the preset's software shows the headline model
        (:func:`headline_result`)."""
        return headline_result(self.result)

    def weights(self) -> list[float | None]:
        """Each study's weight (%) in the headline pooled estimate (:meth:`FitResult.weights`)."""
        return self.tree.fit.weights(self.model)

    def pooled(self) -> dict[str, Any]:
        """The headline pooled estimate (the ``random`` or ``fixed`` block of the result)."""
        fit = self.tree.fit
        return fit.pooled(self.model).to_dict() if fit.has(self.model) else {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "status": self.status,
            "reason": self.reason,
            "model": self.model,
            "model_reason": self.model_reason,
            "input": self.input,
            "result": self.result,
            "subgroups": self.subgroups,
            "leave_one_out": self.leave_one_out,
            "excluded_studies": self.excluded_studies,
            "dropped": self.dropped,
            "combined": self.combined,
            "models": self.models,
            "gosh": self.gosh,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnalysisRecord:
        return cls(**data)


@dataclass(frozen=True)
class ReviewResults:
    """Every analysis of a review, in plan order, with the plan and data they came from.

    ``dropped``: rows without an effect size; ``warnings``: the data checks of the effect-size
    table (``row N (study): check: …``); ``multiverses``: the plan's multiverse analyses."""

    title: str
    version: str
    cache_key: str
    plan: dict[str, Any]
    data: dict[str, Any]
    analyses: tuple[AnalysisRecord, ...]
    dropped: tuple[dict[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()
    multiverses: tuple[MultiverseRecord, ...] = ()

    @cached_property
    def typed_plan(self) -> Plan:
        """The plan as typed objects, with every default filled in (read this, not ``plan``,
        for settings, minimum k and the analyses asked for)."""
        return plan_from_document(self.plan)

    def analysis_warnings(self) -> list[tuple[str, str]]:
        """(where, warning) of every analysis that was run, in plan order
        (:meth:`AnalysisRecord.warnings`)."""
        return [found for record in self.analyses if record.ok for found in record.warnings()]

    def __getitem__(self, analysis_id: str) -> AnalysisRecord:
        for record in self.analyses:
            if record.id == analysis_id:
                return record
        raise KeyError(f"no analysis {analysis_id!r}; ids: {', '.join(self.ids)}")

    @property
    def ids(self) -> list[str]:
        return [record.id for record in self.analyses]

    def to_dict(self, multiverse_rows: bool | None = True) -> dict[str, Any]:
        """The ``results.json`` document. The analyses' input rows are stored once, in
        ``input_rows`` (see :func:`pack_rows`); an analysis's ``input`` lists its rows' indices
        there. :meth:`from_dict` puts the rows back. ``multiverse_rows=None`` keeps a
        multiverse's specifications only up to ``ROWS_IN_JSON`` (``results.json``, which names
        their tables), ``False`` never."""
        analyses = [record.to_dict() for record in self.analyses]
        input_rows = pack_rows(analysis["input"] for analysis in analyses)
        for analysis, indices in zip(analyses, input_rows.pop("indices"), strict=True):
            analysis["input"] = indices
        return {
            "schema_version": SCHEMA_VERSION,
            "title": self.title,
            "metareview_version": self.version,
            "cache_key": self.cache_key,
            "plan": self.plan,
            "data": self.data,
            "dropped": list(self.dropped),
            "warnings": list(self.warnings),
            "input_rows": input_rows,
            "analyses": analyses,
            "multiverses": [m.to_dict(rows=multiverse_rows) for m in self.multiverses],
        }

    def to_json(self, multiverse_rows: bool | None = True) -> str:
        """JSON text (compact); NaN and infinities (undefined statistics) become ``null``."""
        return json_text(self.to_dict(multiverse_rows))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReviewResults:
        """The results a :meth:`to_dict` document holds; a :class:`ResultsSchemaError` when it
        was written under another ``schema_version``."""
        check_schema_version(data)
        analyses = [dict(analysis) for analysis in data["analyses"]]
        if "input_rows" in data:
            for analysis in analyses:
                analysis["input"] = unpack_rows(data["input_rows"], analysis["input"])
        return cls(
            title=data["title"],
            version=data["metareview_version"],
            cache_key=data["cache_key"],
            plan=data["plan"],
            data=data["data"],
            analyses=tuple(AnalysisRecord.from_dict(a) for a in analyses),
            dropped=tuple(data.get("dropped", ())),
            warnings=tuple(data.get("warnings", ())),
            multiverses=tuple(MultiverseRecord.from_dict(m) for m in data.get("multiverses", ())),
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per analysis: id, title, status, k, headline estimate, CI, p, I², PI."""
        rows = []
        for record in self.analyses:
            tree = record.tree
            pooled, random = tree.pooled, tree.result.random
            rows.append(
                {
                    "id": record.id,
                    "title": tree.spec.title,
                    "status": record.status,
                    "k": record.k if record.ok else None,
                    "model": record.model if record.ok else None,
                    "estimate": pooled.estimate,
                    "ci_lower": pooled.ci_lower,
                    "ci_upper": pooled.ci_upper,
                    "p": pooled.pvalue,
                    "i2": tree.fit.heterogeneity.i2,
                    "pi_lower": random.pi_lower,
                    "pi_upper": random.pi_upper,
                    "reason": record.reason,
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> str:
        done = sum(record.ok for record in self.analyses)
        lines = [f"{self.title}: {done} of {len(self.analyses)} analyses run"]
        for record in self.analyses:
            title = record.tree.spec.title
            if record.ok:
                p = record.tree.pooled
                lines.append(
                    f"  {title}: k = {record.k}, {_number(p.estimate):.2f} "
                    f"[{_number(p.ci_lower):.2f}, {_number(p.ci_upper):.2f}]"
                )
            else:
                lines.append(f"  {title}: not run ({record.reason})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False, na_rep="", float_format=lambda v: f"{v:.3f}")


def _number(value: float | None) -> float:
    return float("nan") if value is None else value


def pack_rows(lists: Iterable[list[dict[str, Any]]]) -> dict[str, Any]:
    """Lists of rows (dicts) with each distinct row stored once: ``columns`` holds each distinct
    list of keys, ``rows`` each distinct row as its keys' index followed by its values, and
    ``indices`` each list as the indices of its rows. Rows are compared as JSON text.

    >>> packed = pack_rows([[{"study": "A", "yi": 0.5}], [{"study": "A", "yi": 0.5}, {"x": 1}]])
    >>> packed
    {'columns': [['study', 'yi'], ['x']], 'rows': [[0, 'A', 0.5], [1, 1]], 'indices': [[0], [0, 1]]}
    >>> unpack_rows(packed, [0, 1])
    [{'study': 'A', 'yi': 0.5}, {'x': 1}]
    """
    columns: dict[tuple[str, ...], int] = {}
    found: dict[str, int] = {}
    rows: list[list[Any]] = []
    indices = []
    for items in lists:
        numbers = []
        for row in items:
            packed = [columns.setdefault(tuple(row), len(columns)), *row.values()]
            text = json_text(packed)
            if text not in found:
                found[text] = len(rows)
                rows.append(packed)
            numbers.append(found[text])
        indices.append(numbers)
    return {"columns": [list(keys) for keys in columns], "rows": rows, "indices": indices}


def unpack_rows(packed: dict[str, Any], indices: list[int]) -> list[dict[str, Any]]:
    """The rows at ``indices`` of a :func:`pack_rows` document, as dicts (new ones each call)."""
    rows, columns = packed["rows"], packed["columns"]
    return [dict(zip(columns[rows[i][0]], rows[i][1:], strict=True)) for i in indices]


def json_text(document: Any, indent: int | None = None) -> str:
    """JSON text of a document as ``results.json`` stores it: NaN and infinities become
    ``null``, tuples lists, NumPy scalars numbers (so a document and its reread copy give the
    same text).

    >>> json_text({"tau2": float("nan"), "k": (1, 2)})
    '{"tau2": null, "k": [1, 2]}'
    """
    return json.dumps(_finite(document), indent=indent, allow_nan=False, default=_json_default)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, tuple | set):
        return list(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")
