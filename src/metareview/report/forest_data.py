"""What a forest plot shows, gathered from one analysis record: rows, pooled rows and texts.

Kept apart from the drawing so the numbers and wording can be tested without pixels.

>>> from metareview.plan.results import AnalysisRecord
>>> record = AnalysisRecord(spec={"id": "a", "title": "A"}, status="ok", input=[
...     {"study": "S1", "yi": 0.2, "vi": 0.04}, {"study": "S2", "yi": 0.4, "vi": 0.09}],
...     result={"k": 2, "measure": "SMD", "level": 0.95, "ci_method": "z",
...             "studies": [{"study": "S1", "yi": 0.2, "vi": 0.04, "weight": 69.2},
...                         {"study": "S2", "yi": 0.4, "vi": 0.09, "weight": 30.8}],
...             "fixed": {"estimate": 0.26, "se": 0.17, "ci_lower": -0.07, "ci_upper": 0.59,
...                       "statistic": 1.56, "pvalue": 0.12},
...             "random": {"estimate": 0.26, "se": 0.17, "ci_lower": -0.07, "ci_upper": 0.59,
...                        "statistic": 1.56, "df": None, "pvalue": 0.12,
...                        "pi_lower": None, "pi_upper": None},
...             "heterogeneity": {"tau2": 0.0, "i2": 0.0, "q": 0.36, "q_df": 1, "q_pvalue": 0.55}})
>>> data = forest_data(record)
>>> [row.label for row in data.rows], data.summaries[0].label, data.summaries[0].kind
(['S1', 'S2'], 'Total', 'random')
>>> data.heterogeneity_text("revman5")
'Heterogeneity: Tau² = 0.00; Chi² = 0.36, df = 1 (P = 0.55); I² = 0%'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import scipy

from metareview.plan.analysis import AnalysisResult
from metareview.plan.result_tree import FitResult, Model, SubgroupTest
from metareview.plan.results import AnalysisRecord
from metareview.report.numbers import fixed
from metareview.report.plot_inputs import forest_record
from metareview.stats.vocabulary import RATIO_MEASURES

MEASURE_LABELS = {
    "SMD": ("Std. Mean Difference", "SMD", "Hedges' g"),
    "MD": ("Mean Difference", "MD", "Mean difference"),
    "OR": ("Odds Ratio", "OR", "Odds ratio"),
    "RR": ("Risk Ratio", "RR", "Risk ratio"),
    "RD": ("Risk Difference", "RD", "Risk difference"),
    "HR": ("Hazard Ratio", "HR", "Hazard ratio"),
}


@dataclass(frozen=True)
class ForestRow:
    """One study row: effect and CI on the analysis scale, weight (%) and arm data."""

    label: str
    yi: float
    lower: float
    upper: float
    weight: float | None
    arms: dict[str, Any] = field(default_factory=dict)
    rob: str | None = None


@dataclass(frozen=True)
class PooledRow:
    """A pooled estimate (``kind`` ``fixed``/``random``) or a prediction interval (``pi``).

    A subtotal carries the study rows it pools (``rows``) and their share of the total weight
    (``weight``, %); a total leaves both empty: all rows, 100%."""

    label: str
    kind: str
    estimate: float | None
    lower: float
    upper: float
    weight: float | None = None
    rows: tuple[ForestRow, ...] = ()


@dataclass(frozen=True)
class ForestSection:
    """A block of study rows with its pooled rows (a subgroup, or the whole analysis)."""

    title: str | None
    rows: tuple[ForestRow, ...]
    summaries: tuple[PooledRow, ...]
    result: FitResult  # (its document is read as one)

    def __post_init__(self) -> None:
        object.__setattr__(self, "result", FitResult.of(self.result))


@dataclass(frozen=True)
class ForestData:
    """Everything a forest plot draws."""

    sections: tuple[ForestSection, ...]
    summaries: tuple[PooledRow, ...]
    result: FitResult  # (its document is read as one)
    measure: str
    model: str
    level: float
    positive_favours_intervention: bool = True
    subgroup_test: SubgroupTest | None = None
    # lines under the pooled rows in place of the heterogeneity and overall-effect lines
    # (a multilevel model's: report.multilevel_forest)
    texts: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "result", FitResult.of(self.result))
        if self.subgroup_test is not None:
            object.__setattr__(self, "subgroup_test", SubgroupTest.of(self.subgroup_test))

    @property
    def rows(self) -> tuple[ForestRow, ...]:
        return tuple(row for section in self.sections for row in section.rows)

    @property
    def ratio(self) -> bool:
        return self.measure in RATIO_MEASURES

    def favours(self) -> tuple[str, str]:
        """(left label, right label) of the effect axis."""
        good, bad = "Favours intervention", "Favours control"
        return (bad, good) if self.positive_favours_intervention else (good, bad)

    def heterogeneity_text(self, layout: str, result: FitResult | None = None) -> str:
        het = (result or self.result).heterogeneity
        if layout == "revman5":  # RevMan prints no Tau² for a fixed-effect model
            tau2 = f"Tau² = {het.tau2:.2f}; " if self.model == "random" else ""
            return (
                f"Heterogeneity: {tau2}Chi² = {het.q:.2f}, "
                f"df = {het.q_df} (P {format_p(het.q_pvalue, 'revman5', equals=True)}); "
                f"I² = {het.i2:.0f}%"
            )
        if layout == "jama":
            return (
                f"Heterogeneity: τ² = {het.tau2:.2f}; χ²{_sub(het.q_df)} = {het.q:.2f} "
                f"(P {format_p(het.q_pvalue, 'jama', equals=True)}); I² = {het.i2:.0f}%"
            )
        return (
            f"Heterogeneity: I² = {het.i2:.0f}%, τ² = {het.tau2:.4f}, "
            f"p {format_p(het.q_pvalue, 'meta', equals=True)}"
        )

    def overall_text(self, layout: str, result: FitResult | None = None) -> str:
        pooled = (result or self.result).pooled(self.model)
        name = "t" if pooled.df else "Z"
        df = f"{_sub(pooled.df)}" if pooled.df and layout != "revman5" else ""
        stat = abs(pooled.statistic) if layout == "revman5" else pooled.statistic
        if layout != "revman5":
            name = f"{name.lower()}{df}"
        p = format_p(pooled.pvalue, layout, equals=True)
        return f"Test for overall effect: {name} = {fixed(stat)} (P {p})"

    def subgroup_text(self, layout: str) -> str | None:
        test = self.subgroup_test
        if not test:
            return None
        if layout == "revman5":
            return (
                f"Test for subgroup differences: Chi² = {test.q:.2f}, df = {test.df} "
                f"(P {format_p(test.pvalue, layout, equals=True)})"
            )
        return (
            f"Test for subgroup differences: χ²{_sub(test.df)} = {test.q:.2f} "
            f"(P {format_p(test.pvalue, layout, equals=True)})"
        )

    def axis_label(self, layout: str) -> str:
        long, short, plain = MEASURE_LABELS.get(self.measure, (self.measure,) * 3)
        if layout == "revman5":
            pooling = "M-H" if self.result.mantel_haenszel_model else "IV"
            model = "Random" if self.model == "random" else "Fixed"
            return f"{long}\n{pooling}, {model}, {self.level:.0%} CI"
        return f"{plain} ({self.level:.0%} CI)" if layout == "jama" else short


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(number: Any) -> str:
    return str(number).translate(_SUBSCRIPTS)


def format_p(p: float | None, layout: str, equals: bool = False) -> str:
    """A p value as the layout prints it (``equals`` prefixes '= ' or '< ').

    >>> format_p(0.00004, "revman5"), format_p(0.0312, "jama", equals=True)
    ('< 0.0001', '= .03')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "NA"
    if layout == "revman5":
        digits = 4 if p < 0.001 else 3 if p < 0.01 else 2
        text = "< 0.0001" if p < 0.0001 else f"{p:.{digits}f}"
    elif layout == "jama":
        text = "< .001" if p < 0.001 else (f"{p:.3f}" if p < 0.01 else f"{p:.2f}").lstrip("0")
    else:
        text = "< 0.0001" if p < 0.0001 else f"{p:.4f}"
    if not equals:
        return text
    return text if text.startswith("<") else f"= {text}"


def forest_data(
    record: AnalysisRecord | AnalysisResult,
    subgroup: str | None = None,
    positive_favours_intervention: bool = True,
    rob_column: str | None = None,
) -> ForestData:
    """Gather a forest plot's content from an analysis record or an ``analyze`` result
    (optionally by subgroup column; ``rob_column`` names the input column holding each
    study's overall risk of bias)."""
    record = forest_record(record)
    tree = record.tree
    block = None if subgroup is None else tree.block(subgroup)
    result = tree.fit  # RevMan's M-H models when the analysis has them
    level = result.ci_level
    z = scipy.stats.norm.ppf(0.5 + level / 2)
    inputs = {str(row["study"]): row for row in record.input}
    model = record.model

    def rows_of(fit: FitResult, total_weights: dict[str, float | None]) -> tuple[ForestRow, ...]:
        studies = fit.studies
        own = fit.weights(model)
        if all(str(study.study) in total_weights for study in studies):
            own = [total_weights[str(study.study)] for study in studies]
        rows = []
        for study, weight in zip(studies, own, strict=True):
            half = z * math.sqrt(study.vi)
            arms = inputs.get(str(study.study), {})
            rows.append(
                ForestRow(
                    str(study.study),
                    study.yi,
                    study.yi - half,
                    study.yi + half,
                    weight,
                    arms,
                    arms.get(rob_column) if rob_column else None,
                )
            )
        return tuple(rows)

    if block is None:
        sections = (ForestSection(None, rows_of(result, {}), (), result),)
        test = None
    else:
        # As RevMan and meta: study weights are shares of the total, a subtotal sums its own.
        names = [str(study.study) for study in result.studies]
        total_weights = dict(zip(names, result.weights(model), strict=True))
        sections = tuple(
            _subgroup_section(
                f"{subgroup}: {entry.level}",
                rows_of(entry.result, total_weights),
                entry.result,
                model,
            )
            for entry in block.levels
            if entry.result is not None
        )
        test = block.test
    summaries = [pooled_row(result, model, "Total")]
    if model == "random" and result.random.pi_lower is not None:
        summaries.append(
            PooledRow(
                "Prediction interval", "pi", None, result.random.pi_lower, result.random.pi_upper
            )
        )
    data = ForestData(
        tuple(sections),
        tuple(summaries),
        result,
        result.measure or "SMD",
        model,
        level,
        positive_favours_intervention,
        test,
    )
    return as_computed(data) if all_mirrored(record.input) else data


def all_mirrored(inputs: list[dict[str, Any]]) -> bool:
    """Whether every row's effect was mirrored (lower is better: ``yi`` = −``yi_unflipped``),
    so the plot can show the effects as computed from the arms beside them.

    A row that combines several (``yi_unflipped`` none) follows the others.

    >>> all_mirrored([{"yi": -0.7, "yi_unflipped": 0.7}, {"yi": 0.2, "yi_unflipped": None}])
    True
    >>> all_mirrored([{"yi": 0.7}]), all_mirrored([{"yi": 0.7, "yi_unflipped": 0.7}])
    (False, False)
    """
    known = [row for row in inputs if row.get("yi_unflipped") is not None]
    return bool(known) and all(
        row["yi"] != 0 and row["yi_unflipped"] == -row["yi"] for row in known
    )


def _mirror_result(result: FitResult) -> FitResult:
    return replace(result, fixed=_mirror_model(result.fixed), random=_mirror_model(result.random))


def _mirror_model(model: Model) -> Model:
    """A pooled model with its estimate, statistic and intervals mirrored around zero."""
    changes: dict[str, Any] = {
        name: -getattr(model, name)
        for name in ("estimate", "statistic")
        if getattr(model, name) is not None
    }
    for low, high in (("ci_lower", "ci_upper"), ("pi_lower", "pi_upper")):
        lower, upper = getattr(model, low), getattr(model, high)
        if lower is not None and upper is not None:
            changes.update({low: -upper, high: -lower})
    return replace(model, **changes)


def _mirror_pooled(row: PooledRow) -> PooledRow:
    estimate = None if row.estimate is None else -row.estimate
    rows = tuple(_mirror_row(r) for r in row.rows)
    return replace(row, estimate=estimate, lower=-row.upper, upper=-row.lower, rows=rows)


def _mirror_row(row: ForestRow) -> ForestRow:
    return replace(row, yi=-row.yi, lower=-row.upper, upper=-row.lower)


def as_computed(data: ForestData) -> ForestData:
    """``data`` of an analysis whose rows were all mirrored (the outcome's lower values are
    better), shown as computed from the arms beside them — a risk ratio of 25/215 against
    171/3088 as 2.10, not 0.48 — with "Favours intervention" on the side of low values. The
    numbers pooled are unchanged; only their display is mirrored back."""
    sections = tuple(
        replace(
            section,
            rows=tuple(_mirror_row(r) for r in section.rows),
            summaries=tuple(_mirror_pooled(p) for p in section.summaries),
            result=_mirror_result(section.result),
        )
        for section in data.sections
    )
    return replace(
        data,
        sections=sections,
        summaries=tuple(_mirror_pooled(p) for p in data.summaries),
        result=_mirror_result(data.result),
        positive_favours_intervention=not data.positive_favours_intervention,
    )


def _subgroup_section(
    title: str, rows: tuple[ForestRow, ...], result: FitResult, model: str
) -> ForestSection:
    weights = [row.weight for row in rows]
    share = None if any(w is None for w in weights) else float(sum(weights))
    subtotal = replace(pooled_row(result, model, "Subtotal"), weight=share, rows=rows)
    return ForestSection(title, rows, (subtotal,), result)


def pooled_row(result: FitResult, model: str, role: str) -> PooledRow:
    """The pooled row of ``model``; ``role`` ('Total' or 'Subtotal') is worded per layout."""
    pooled = result.pooled(model)
    return PooledRow(role, model, pooled.estimate, pooled.ci_lower, pooled.ci_upper)


def pooled_label(row: PooledRow, layout: str, level: float) -> str:
    """How ``layout`` names a pooled row.

    >>> pooled_label(PooledRow("Total", "random", 0.2, 0.1, 0.3), "revman5", 0.95)
    'Total (95% CI)'
    >>> pooled_label(PooledRow("Subtotal", "fixed", 0.2, 0.1, 0.3), "meta", 0.95)
    'Common effect model'
    """
    if row.kind == "pi":
        return row.label  # "Prediction interval", or naming its model
    if row.kind not in ("fixed", "random"):  # a multilevel model, named by its label
        return row.label
    if layout == "revman5":
        return f"{row.label} ({level:.0%} CI)"
    if layout == "meta":
        return "Random effects model" if row.kind == "random" else "Common effect model"
    model = "random effects" if row.kind == "random" else "fixed effect"
    return f"{'Overall' if row.label == 'Total' else 'Subtotal'} ({model})"
