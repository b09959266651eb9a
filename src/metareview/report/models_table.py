"""The models table of an analysis (plan ``analyses.models``) as the report prints it.

One row per model in the layout of metapsyTools' ``runMetaAnalysis`` summary (model, k, g,
CI, p, I², its CI, prediction interval, NNT), a table of the variance components of the
three-level and CHE models (σ² and I² per level) and the methods sentence that says how the
models were fitted. Every number is the runner's (``AnalysisRecord.models``, made by
:func:`metareview.plan.models.models_table`); this module only formats.

>>> row = {"model": "che", "label": "Three-level model (CHE)", "status": "ok", "k": 56,
...     "n_studies": 11, "estimate": 0.1847, "ci_lower": 0.0138, "ci_upper": 0.3556,
...     "pvalue": 0.036, "i2": 93.5, "i2_ci": None, "pi_lower": -0.35, "pi_upper": 0.72,
...     "nnt": 10.2, "nnt_cer": 0.2, "excluded": [], "variance": {"sigma2": {"between": 0.0651, "within": 0.0327},
...     "sigma2_ci": {"between": [0.0222, 0.2072], "within": [0.0163, 0.0628]},
...     "i2": {"sampling": 6.5, "within": 31.0, "between": 62.5, "total": 93.5},
...     "method": "REML", "rho": 0.6, "smooth_vi": True, "test": "t", "robust": "CR2"}}
>>> record = AnalysisRecord(spec={"id": "a/b", "title": "Schools"}, status="ok",
...     result={"measure": "SMD", "level": 0.95}, models=[row])
>>> block = models_block(record)
>>> block["rows"][0]["cells"]
['Three-level model (CHE)', '56 (11)', '0.18', '0.01 to 0.36', '0.036', '93.5', '–', '-0.35 to 0.72', '10.20']
>>> [r["cells"][1:] for r in block["variance"]][1]
['Within studies (level 2)', '0.0327 (0.0163 to 0.0628)', '31.0']
>>> block["legend"]
'k: effect sizes pooled (studies in parentheses); Three-level model (CHE): CI and p value by CR2 cluster-robust variance; NNT: number needed to treat (Furukawa & Leucht), control event rate 0.2.'
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from metareview.plan.expand import slug
from metareview.plan.result_tree import ByLevel, ModelRow, ModelVariance, MultilevelI2
from metareview.plan.results import AnalysisRecord, ReviewResults
from metareview.report.numbers import ci_label, effect_symbol, fixed, p_value, shown_scale

LEVELS = (
    ("sampling", "Sampling error (level 1)"),
    ("within", "Within studies (level 2)"),
    ("between", "Between studies (level 3)"),
)
NAMES = {"threelevel": "three-level model", "che": "CHE model"}
NAMED_EXCLUDED = 6
FRAME_KEYS = ("model", "label", "id", "status", "reason", "k", "n_studies", "estimate", "se",
              "ci_lower", "ci_upper", "pvalue", "i2", "pi_lower", "pi_upper", "nnt", "nnt_cer", "rho")  # fmt: skip  # effects a note names before it gives only the count


def models_block(record: AnalysisRecord) -> dict[str, Any] | None:
    """The HTML-ready models table of ``record`` (``None`` when the plan asked for none)."""
    tree = record.tree
    if not record.ok or not tree.models:
        return None
    result = tree.result
    measure, level = result.measure, ci_label(result.ci_level)
    shown = shown_scale(measure)
    rows, notes, variance = [], [], []
    for row in tree.models:
        if row.status != "ok":
            rows.append({"cells": [row.label, "", "", "", "", "", "", "", ""],
                         "note": f"not run: {row.reason}"})  # fmt: skip
            continue
        rows.append({"cells": _cells(row, shown), "note": ""})
        if row.excluded:
            named = row.excluded[:NAMED_EXCLUDED]
            more = len(row.excluded) - len(named)
            notes.append(
                f"{row.label}: left out {', '.join(named)}" + (f" and {more} more" if more else "")
            )
        if row.has("variance"):
            variance += _variance_rows(row)
    return {
        "id": f"models-{slug(record.id)}",
        "legend": _legend(tree.models),
        "title": tree.spec.title,
        "columns": [
            "Model",
            "k (studies)",
            effect_symbol(measure),
            level,
            "p",
            "I² (%)",
            f"I² {level}",
            "Prediction interval",
            "NNT",
        ],
        "rows": rows,
        "notes": notes,
        "variance": variance,
    }


def models_frame(results: ReviewResults) -> pd.DataFrame:
    """Every models table of the review, one row per analysis and model, numbers unrounded on
    the analysis scale as in ``results.json`` (``tables/models.csv``); empty without any.

    >>> models_frame(ReviewResults("t", "0", "k", {}, {}, ())).empty
    True
    """
    rows = []
    for record in results.analyses:
        tree = record.tree
        for row in tree.models:
            variance = row.variance or ModelVariance()
            i2_ci = row.i2_ci or (None, None)
            sigma2, i2 = variance.sigma2 or ByLevel(), variance.i2 or MultilevelI2()
            rows.append(
                {
                    "analysis": record.id,
                    "title": tree.spec.title,
                    **{key: getattr(row, key) for key in FRAME_KEYS},
                    "i2_lower": i2_ci[0],
                    "i2_upper": i2_ci[1],
                    **{
                        f"sigma2_{level}": getattr(sigma2, level) for level in ("between", "within")
                    },
                    **{f"i2_{level}": getattr(i2, level) for level, _name in LEVELS},
                    "excluded": "; ".join(row.excluded),
                }
            )
    return pd.DataFrame(rows)


def _legend(rows: tuple[ModelRow, ...]) -> str:
    """What the columns mean: k, which CIs are cluster-robust, the NNT's event rate."""
    text = "k: effect sizes pooled (studies in parentheses)"
    for row in rows:
        robust = row.variance.robust if row.variance else None
        if robust:
            text += f"; {row.label}: CI and p value by {robust} cluster-robust variance"
    cer = next((row.nnt_cer for row in rows if row.nnt is not None), None)
    if cer is not None:
        text += f"; NNT: number needed to treat (Furukawa & Leucht), control event rate {cer:g}"
    return text + "."


def _cells(row: ModelRow, shown: Any) -> list[str]:
    i2_ci = row.i2_ci
    return [
        row.label,
        f"{row.k} ({row.n_studies})",
        fixed(shown(row.estimate)),
        _interval(shown(row.ci_lower), shown(row.ci_upper)),
        p_value(row.pvalue),
        fixed(row.i2, 1),
        _interval(*i2_ci, digits=1) if i2_ci and i2_ci[0] is not None else "–",
        _interval(shown(row.pi_lower), shown(row.pi_upper)) if row.pi_lower is not None else "–",
        fixed(row.nnt) if row.nnt is not None else "–",
    ]


def _interval(low: float | None, high: float | None, digits: int = 2) -> str:
    return f"{fixed(low, digits)} to {fixed(high, digits)}"


def _variance_rows(row: ModelRow) -> list[dict[str, Any]]:
    """σ² (with its profile-likelihood CI) and I² per level of a multilevel model."""
    variance = row.variance
    rows = []
    for key, name in LEVELS:
        sigma2 = "–"
        if key != "sampling":
            sigma2 = fixed(getattr(variance.sigma2, key), 4)
            low, high = getattr(variance.sigma2_ci, key) or (None, None)
            if low is not None:
                sigma2 += f" ({fixed(low, 4)} to {fixed(high, 4) if high is not None else '∞'})"
        rows.append({"cells": [row.label, name, sigma2, fixed(getattr(variance.i2, key), 1)]})
    return rows


def models_methods(records: list[AnalysisRecord], cite: Any) -> list[str]:
    """The methods sentences for the models tables of ``records`` (none when no main analysis
    has one); ``cite(key)`` numbers a reference of ``methods_text.REFERENCES``."""
    tables = [(record.tree.spec.title, record.tree.models) for record in records if record.models]
    if not tables:
        return []
    names = {row.model: row for _title, table in tables for row in table}
    fitted: dict[tuple[str, ...], list[str]] = {}
    for title, table in tables:
        fitted.setdefault(tuple(row.model for row in table), []).append(title)
    parts = [
        f"As in metapsyTools' runMetaAnalysis {cite('metapsytools')}, main analyses were also "
        "fitted with several models, shown together in one table per analysis."
    ]
    parts += [
        f"Models of {'; '.join(titles)}: "
        f"{', '.join(NAMES.get(m, names[m].label.lower()) for m in models)}."
        for models, titles in fitted.items()
    ]
    if "overall" in names:
        parts.append("The overall model pooled every effect size as if independent.")
    combined = names.get("combined")
    if combined is not None and combined.rho is not None:
        parts.append(
            "The combined model first combined each study's effect sizes assuming a "
            f"correlation of ρ = {combined.rho:g} between them."
        )
    if {"outliers", "influence"} & set(names):
        parts.append(
            "Outliers (effect sizes whose confidence interval did not overlap that of the "
            "overall model) and influential cases (by the influence diagnostics of the "
            f"overall model {cite('influence')}) were removed from the overall model."
        )
    multilevel = [row for row in names.values() if row.has("variance")]
    for row in multilevel:
        variance = row.variance
        test = "t tests" if variance.test == "t" else "z tests"
        method = (
            "restricted maximum likelihood" if variance.method == "REML" else "maximum likelihood"
        )
        text = (
            f"The {NAMES[row.model]} nested effect sizes in studies ({method}, {test}) "
            f"{cite('threelevel')}"
        )
        if variance.rho is not None:
            text += (
                f", with the correlated-and-hierarchical-effects working model assuming a "
                f"correlation of ρ = {variance.rho:g} between the sampling errors of a "
                "study's effect sizes"
                + (", whose sampling variances were averaged" if variance.smooth_vi else "")
                + f" {cite('che')}"
            )
        if variance.robust:
            text += (
                f"; its CI and p value are from {variance.robust} cluster-robust variance"
                + (" with Satterthwaite degrees of freedom" if variance.robust == "CR2" else "")
                + f" {cite('cr2')}"
            )
        parts.append(text + ".")
    if multilevel:
        parts.append(
            "Their I² per level is the share of the total variance at that level "
            f"{cite('multilevel_i2')}."
        )
    nnt = [row for row in names.values() if row.nnt is not None]
    if nnt:
        parts.append(
            "Numbers needed to treat were computed from g by the method of Furukawa and "
            f"Leucht {cite('furukawa')}, assuming a control event rate of "
            f"{nnt[0].nnt_cer:g}."
        )
    return parts
