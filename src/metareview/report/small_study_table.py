"""Small-study effects as the report prints them: one row per analysis the plan asked for.

Every number is from the analysis document's ``small_study`` section (what
:func:`metareview.stats.bias.small_study.small_study_effects` returned); this module only
formats. An analysis the data did not allow is listed with its reason; the others stand.
Adjusted estimates are printed as the summary tables print effects (ratio measures back from
the log scale, under the measure's symbol and the analysis' CI level); Egger's intercept and
τ² stay on the analysis scale.

>>> small = {"run": True, "egger": None, "egger_rma": {"statistic": 2.5, "pvalue": 0.012},
...     "trim_and_fill": None, "selection": None,
...     "failed": {"trim_and_fill": "the Q0 estimator is undefined for these data"}}
>>> record = AnalysisRecord(spec={"id": "a/b", "title": "Stress", "small_study": ["egger",
...     "trimfill"]}, status="ok", result={"k": 12, "preset": "metafor", "small_study": small})
>>> [row["result"] for row in small_study_block(record, 10)["rows"]]
['z = 2.50, p = 0.012', 'not run: the Q0 estimator is undefined for these data']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from metareview.plan.expand import slug
from metareview.plan.result_tree import (
    Egger,
    FitResult,
    SelectionModel,
    SmallStudy,
    TrimAndFill,
)
from metareview.plan.results import AnalysisRecord
from metareview.report.numbers import ci_label, effect_symbol, fixed, p_clause, shown_scale
from metareview.stats.presets import get_preset

# plan name of an analysis → key of its section in the ``small_study`` document
SECTIONS = {"egger": "egger", "trimfill": "trim_and_fill", "selection": "selection"}


def adjusted_estimate(
    section: TrimAndFill | SelectionModel | Mapping[str, Any], result: FitResult | Mapping[str, Any]
) -> str:
    """An adjusted estimate of a small-study ``section`` as the report prints effects: on the
    printed scale of the analysis ``result``'s measure, with its symbol and CI level.

    >>> from math import log
    >>> section = {"estimate": log(1.19), "ci_lower": log(1.08), "ci_upper": log(1.31)}
    >>> adjusted_estimate(section, {"measure": "OR", "level": 0.9})
    'adjusted estimate OR = 1.19 (90% CI 1.08 to 1.31)'
    """
    if not isinstance(section, TrimAndFill | SelectionModel):
        section = TrimAndFill.from_dict(section)
    fit = FitResult.of(result)
    shown = shown_scale(fit.measure)
    estimate, low, high = (
        fixed(shown(value)) for value in (section.estimate, section.ci_lower, section.ci_upper)
    )
    label = ci_label(fit.ci_level)
    return f"adjusted estimate {effect_symbol(fit.measure)} = {estimate} ({label} {low} to {high})"


def _egger(small: SmallStudy, preset: str) -> tuple[str, Egger | None, str]:
    """Label, section and key of the Egger variant the preset's software reports."""
    if get_preset(preset).egger_variant == "rma":
        return (
            "Egger's test (mixed-effects meta-regression on the SE)",
            small.egger_rma,
            "egger_rma",
        )
    return "Egger's test (weighted regression on the SE)", small.egger, "egger"


def _egger_text(section: Egger) -> str:
    if section.has("intercept"):
        return (
            f"intercept {fixed(section.intercept)} (SE {fixed(section.se)}), "
            f"t({section.df}) = {fixed(section.statistic)}, {p_clause(section.pvalue)}"
        )
    return f"z = {fixed(section.statistic)}, {p_clause(section.pvalue)}"


def _trim_and_fill_text(section: TrimAndFill, result: FitResult) -> str:
    return (
        f"{section.k0} studies imputed on the {section.side} side (estimator "
        f"{section.estimator}); {adjusted_estimate(section, result)}"
    )


def _selection_text(section: SelectionModel, result: FitResult) -> str:
    tau2 = "" if section.method == "FE" else f", τ² = {fixed(section.tau2, 4)}"
    return (
        f"{adjusted_estimate(section, result)}{tau2}; "
        f"likelihood-ratio test of selection χ²({section.lrt_df}) = {fixed(section.lrt)}, "
        f"{p_clause(section.lrt_pvalue)}"
        + ("" if section.converged else " (the fit did not converge)")
    )


def _intervals(section: SelectionModel) -> list[dict[str, str]]:
    """One row per p-value interval: its bounds, the studies in it and the estimated weight."""
    return [
        {
            "interval": f"{interval.lower:g} < p ≤ {interval.upper:g}",
            "k": str(interval.k),
            "weight": "1 (reference)"
            if index == 0
            else f"{fixed(interval.delta, 3)}"
            + (f" (SE {fixed(interval.se_delta, 3)})" if interval.se_delta else ""),
        }
        for index, interval in enumerate(section.intervals)
    ]


def small_study_ran(record: AnalysisRecord, min_k: int) -> bool:
    """Whether the plan asked for small-study analyses of ``record`` and they were run (with
    at least ``min_k``, the plan's ``min_k.small_study``, studies)."""
    tree = record.tree
    small = tree.result.small_study
    return (
        record.ok
        and bool(tree.spec.small_study)
        and small is not None
        and bool(small.run)
        and record.k >= min_k
    )


def small_study_block(record: AnalysisRecord, min_k: int) -> dict[str, Any] | None:
    """The HTML-ready content of the small-study analyses the plan asked for in ``record``
    (``min_k``: the plan's ``min_k.small_study``)
    (``None`` when it asked for none): a row per analysis, the selection model's intervals,
    or why nothing was run."""
    tree = record.tree
    spec, fit = tree.spec, tree.result
    if not record.ok or not spec.small_study:
        return None
    small = fit.small_study or SmallStudy(present=())
    rows: list[dict[str, str]] = []
    block: dict[str, Any] = {
        "id": f"small-study-{slug(record.id)}",
        "title": spec.title,
        "reason": None,
        "rows": rows,
        "intervals": [],
    }
    if record.k < min_k:
        block["reason"] = (
            f"{record.k} trials, fewer than the {min_k} the plan requires (min_k.small_study)"
        )
        return block
    if not small.run:
        reason = small.reason if small.has("reason") else "not computed"
        block["reason"] = str(reason).removeprefix("not run: ")
        return block
    failed = small.failed or {}
    for name in spec.small_study:
        if name == "egger":
            label, section, key = _egger(small, fit.preset)
        else:
            key = SECTIONS[name]
            section = getattr(small, key)
            label = "Trim-and-fill (Duval & Tweedie)"
        if name == "selection":
            steps = ", ".join(f"{s:g}" for s in ((section and section.steps) or ())[:-1])
            label = "Step-function selection model (Vevea & Hedges)" + (
                f", cut-points {steps}" if steps else ""
            )
        if section is None:
            text = f"not run: {failed.get(key, 'not computed')}"
        elif name == "egger":
            text = _egger_text(section)
        elif name == "trimfill":
            text = _trim_and_fill_text(section, fit)
        else:
            text = _selection_text(section, fit)
            block["intervals"] = _intervals(section)
        rows.append({"analysis": label, "result": text})
    return block
