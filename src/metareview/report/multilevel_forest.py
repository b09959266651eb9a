"""The forest plot of a multilevel model: each effect on its own row under its study's name,
and the pooled three-level and CHE estimates (plan ``models``).

The rows are the effects a multilevel model analysis pooled (its record's input, in the order
of its result's ``studies``); the pooled rows, prediction intervals and the lines under them
are the rows of the main analysis' models table (:func:`metareview.plan.models.models_table`),
so the plot shows the numbers of the fits. An effect is labelled by what tells it apart from
the study's other effects (outcome, instrument, time point, arm …), else by its row.

>>> from metareview.plan.results import AnalysisRecord
>>> record = AnalysisRecord(spec={"id": "a/model-che", "title": "A"}, status="ok",
...     input=[{"study": "S1", "instrument": "PHQ-9", "rows": [2]},
...            {"study": "S1", "instrument": "BDI", "rows": [3]},
...            {"study": "S2", "instrument": "PHQ-9", "rows": [4]}],
...     result={"level": 0.95, "measure": "SMD", "studies": [
...         {"row": 2, "study": "S1", "yi": 0.2, "vi": 0.04},
...         {"row": 3, "study": "S1", "yi": 0.4, "vi": 0.05},
...         {"row": 4, "study": "S2", "yi": 0.1, "vi": 0.03}]})
>>> pooled = {"model": "che", "label": "Three-level model (CHE)", "status": "ok",
...     "estimate": 0.22, "ci_lower": 0.01, "ci_upper": 0.43, "pvalue": 0.04, "pi_lower": -0.2,
...     "pi_upper": 0.64, "variance": {"sigma2": {"between": 0.01, "within": 0.002},
...     "i2": {"sampling": 70.0, "within": 5.0, "between": 25.0, "total": 30.0},
...     "test": "t", "robust": "CR2"}}
>>> data = multilevel_forest_data(record, [pooled])
>>> [(s.title, [r.label for r in s.rows]) for s in data.sections]
[('S1', ['  PHQ-9', '  BDI']), ('S2', ['  PHQ-9'])]
>>> [p.label for p in data.summaries]
['Three-level model (CHE)', 'Prediction interval']
>>> data.texts
('Three-level model (CHE): p = 0.0400 (CR2 robust variance)', '    σ² between studies = 0.0100, within = 0.0020; I² = 30% (between 25%, within 5%)')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import scipy

from metareview.plan.result_tree import ModelRow, Study
from metareview.plan.results import AnalysisRecord
from metareview.report.forest_data import ForestData, ForestRow, ForestSection, PooledRow, format_p

INDENT = "  "  # an effect's label stands under its study's name
# columns that can tell one effect of a study from another, in the order a label names them
EFFECT_COLUMNS = (
    "outcome",
    "instrument",
    "time",
    "time_weeks",
    "condition_arm1",
    "condition_arm2",
    "multi_arm1",
    "rating",
)


def multilevel_forest_data(
    record: AnalysisRecord,
    pooled: Sequence[ModelRow | Mapping[str, Any]],
    layout: str = "meta",
) -> ForestData:
    """The forest plot of the effects ``record`` (a three-level or CHE model analysis) pooled,
    with a diamond and prediction interval per row of ``pooled`` (models-table rows of the
    multilevel models, ``status`` ok, or their documents)."""
    result = record.tree.result
    pooled = [ModelRow.of(row) for row in pooled]
    level = result.ci_level
    z = scipy.stats.norm.ppf(0.5 + level / 2)
    inputs = {row["rows"][0]: row for row in record.input if row.get("rows")}
    studies: dict[str, list[Study]] = {}
    for entry in result.studies:
        studies.setdefault(str(entry.study), []).append(entry)
    sections = []
    for study, entries in studies.items():
        labels = effect_labels([inputs.get(e.row, {}) for e in entries], [e.row for e in entries])
        rows = tuple(
            ForestRow(label, e.yi, e.yi - z * math.sqrt(e.vi), e.yi + z * math.sqrt(e.vi), None)
            for label, e in zip(labels, entries, strict=True)
        )
        sections.append(ForestSection(study, rows, (), result))
    summaries: list[PooledRow] = []
    for row in pooled:
        summaries.append(PooledRow(row.label, row.model, row.estimate, row.ci_lower, row.ci_upper))
        if row.pi_lower is not None:
            label = "Prediction interval" + (f" ({row.label})" if len(pooled) > 1 else "")
            summaries.append(PooledRow(label, "pi", None, row.pi_lower, row.pi_upper))
    return ForestData(
        sections=tuple(sections),
        summaries=tuple(summaries),
        result=result,
        measure=result.measure or "SMD",
        model="random",
        level=level,
        texts=tuple(text for row in pooled for text in _texts(row, layout)),
    )


def effect_labels(inputs: list[dict[str, Any]], rows: list[int]) -> list[str]:
    """Each effect's label (indented): the values of :data:`EFFECT_COLUMNS` that differ between the
    study's effects (a study's only effect: the first of them it has), else its row.

    >>> effect_labels([{"outcome": "a", "time": "post"}, {"outcome": "a", "time": "fu"}], [5, 6])
    ['  post', '  fu']
    >>> effect_labels([{"outcome": "a"}, {"outcome": "a"}], [5, 6]), effect_labels([{}], [7])
    (['  row 5', '  row 6'], ['  row 7'])
    """
    differ = [
        column
        for column in EFFECT_COLUMNS
        if len({_text_of(row.get(column)) for row in inputs}) > 1
    ]
    if len(inputs) == 1:
        differ = [column for column in EFFECT_COLUMNS if _text_of(inputs[0].get(column))][:1]
    labels = []
    for row, number in zip(inputs, rows, strict=True):
        parts = [_text_of(row.get(column)) for column in differ]
        labels.append(INDENT + (", ".join(p for p in parts if p) or f"row {number}"))
    return labels


def _text_of(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _texts(row: ModelRow, layout: str) -> tuple[str, str]:
    """The test of the pooled effect of one multilevel model, then σ² and I² per level."""
    variance = row.variance
    sigma2, i2 = variance.sigma2, variance.i2
    robust = f" ({variance.robust} robust variance)" if variance.robust else ""
    return (
        f"{row.label}: p {format_p(row.pvalue, layout, equals=True)}{robust}",
        f"    σ² between studies = {sigma2.between:.4f}, within = {sigma2.within:.4f}; "
        f"I² = {i2.total:.0f}% (between {i2.between:.0f}%, within {i2.within:.0f}%)",
    )
