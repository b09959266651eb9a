"""Summary tables per outcome group in the layout of Smit et al. (2023), Tables 1–3.

Rows: the main effect, subgroup analyses (with the test for subgroup differences), specific
outcomes, publication-bias-adjusted estimates, sensitivity analyses and the long-term
windows. Columns: No. of trials, effect (95% CI), I² (95% CI), p, prediction interval.
:func:`summary_table` gives numbers (for CSV/XLSX); :func:`format_table` the printed text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from metareview.data.spreadsheet import safe_frame
from metareview.plan.expand import SENSITIVITY_LABELS, slug
from metareview.plan.result_tree import FitResult, TrimAndFill
from metareview.plan.results import AnalysisRecord, ReviewResults
from metareview.report.metaregression_table import (
    metaregression_table,
    printed_metaregression_table,
)
from metareview.report.models_table import models_frame
from metareview.report.numbers import (
    ci_label,
    effect_symbol,
    fixed,
    i2_footnote,
    p_value,
    shown_scale,
)
from metareview.report.small_study_table import small_study_ran

COLUMNS = [
    "section",
    "analysis",
    "k",
    "estimate",
    "ci_lower",
    "ci_upper",
    "i2",
    "i2_ci_lower",
    "i2_ci_upper",
    "p",
    "pi_lower",
    "pi_upper",
    "p_subgroups",
    "note",
]


def groups(results: ReviewResults) -> list[str]:
    """Outcome groups (categories and ``[[analysis]]`` names) in plan order."""
    return list(dict.fromkeys(record.tree.spec.group for record in results.analyses))


def _row(
    section: str,
    label: str,
    result: FitResult | None,
    model: str,
    note: str = "",
    k: int | None = None,
) -> dict[str, Any]:
    row = dict.fromkeys(COLUMNS)
    row.update(section=section, analysis=label, note=note, k=k)
    if result is not None:
        row["note"] = "; ".join(text for text in (note, i2_footnote(result)) if text)
        pooled, het = result.pooled(model), result.heterogeneity
        i2_ci = het.i2_ci or (None, None)
        random = model == "random"
        row.update(
            k=result.k,
            estimate=pooled.estimate,
            ci_lower=pooled.ci_lower,
            ci_upper=pooled.ci_upper,
            i2=het.i2,
            i2_ci_lower=i2_ci[0],
            i2_ci_upper=i2_ci[1],
            p=pooled.pvalue,
            pi_lower=result.random.pi_lower if random else None,
            pi_upper=result.random.pi_upper if random else None,
        )
    return row


def _record_row(section: str, label: str, record: AnalysisRecord) -> dict[str, Any]:
    if not record.ok:
        return _row(
            section,
            label,
            None,
            record.model,
            note=f"not pooled: {record.reason}",
            k=len(record.input) or None,
        )
    return _row(section, label, record.tree.fit, record.model)


def summary_table(results: ReviewResults, group: str) -> pd.DataFrame:
    """The numeric summary table of one outcome group (one row per line of the table), on the
    analysis scale (log for ratio measures); ``attrs`` hold the main analysis' ``measure`` and
    ``level`` for :func:`format_table`."""
    records = [r for r in results.analyses if r.tree.spec.group == group]
    mains = [r for r in records if r.tree.spec.role == "main"]
    rows: list[dict[str, Any]] = []
    if not mains:
        return pd.DataFrame(rows, columns=COLUMNS)
    primary = mains[0]
    rows.append(_record_row("Main analysis", f"{group}, {primary.tree.spec.window}", primary))
    for block in primary.tree.subgroups:
        header = _row("Subgroup analyses", block.column, None, primary.model)
        header["p_subgroups"] = None if block.test is None else block.test.pvalue
        rows.append(header)
        for level in block.levels:
            note = "" if level.result is not None else f"not pooled: {level.reason}"
            rows.append(
                _row(
                    "Subgroup analyses",
                    f"  {level.level}",
                    level.result,
                    primary.model,
                    note,
                    level.k,
                )
            )
    for record in records:
        if record.tree.spec.role == "specific":
            rows.append(_record_row("Specific outcomes", record.tree.spec.outcome, record))
    trimfill = _trim_and_fill(primary, results.typed_plan.min_k.small_study)
    if trimfill:
        k0 = int(trimfill.k0)
        row = _row("Publication bias", f"Trim-and-fill ({k0} imputed)", None, "random")
        row.update(
            estimate=trimfill.estimate,
            ci_lower=trimfill.ci_lower,
            ci_upper=trimfill.ci_upper,
            p=trimfill.pvalue,
            k=primary.k + k0,
        )
        rows.append(row)
    for record in records:
        if record.tree.spec.role == "sensitivity":
            label = SENSITIVITY_LABELS[record.tree.spec.variant]
            if record.excluded_studies:
                label += f" ({studies_in_brief(record.excluded_studies)})"
            rows.append(_record_row("Sensitivity analyses", label, record))
    for record in mains[1:]:
        rows.append(_record_row("Long-term effects", record.tree.spec.window, record))
    table = pd.DataFrame(rows, columns=COLUMNS)
    fit = primary.tree.result
    table.attrs.update(measure=fit.measure, level=fit.ci_level)
    return table


NAMED_IN_BRIEF = 3  # studies a table cell names before it gives only the count


def studies_in_brief(studies: list[str]) -> str:
    """The studies an analysis left out, as a table cell names them: all of up to three, else
    the count and the first three (the report lists them all below the table).

    >>> studies_in_brief(["A", "B"]), studies_in_brief(["A", "B", "C", "D", "E"])
    ('A, B', '5 studies: A, B, C, …')
    """
    if len(studies) <= NAMED_IN_BRIEF:
        return ", ".join(studies)
    return f"{len(studies)} studies: {', '.join(studies[:NAMED_IN_BRIEF])}, …"


def _trim_and_fill(record: AnalysisRecord, min_k: int) -> TrimAndFill | None:
    """The trim-and-fill block when the plan asked for it and it was run (k large enough)."""
    tree = record.tree
    if not small_study_ran(record, min_k) or "trimfill" not in tree.spec.small_study:
        return None
    return tree.result.small_study.trim_and_fill


def _num(value: Any, digits: int = 2) -> str:
    return fixed(value, digits)


def format_table(table: pd.DataFrame, measure_label: str = "g") -> pd.DataFrame:
    """The printed form of :func:`summary_table` (Smit et al. columns): effects of ratio
    measures back from the log scale, headed by the measure's symbol (``measure_label`` for
    SMD and effects given as they are) and the CI level of the analysis."""
    measure = table.attrs.get("measure")
    shown = shown_scale(measure)
    level = ci_label(table.attrs.get("level", 0.95))
    out = []
    for row in table.to_dict("records"):
        estimate = ""
        if row["estimate"] is not None and not pd.isna(row["estimate"]):
            low, high = shown(row["ci_lower"]), shown(row["ci_upper"])
            estimate = f"{_num(shown(row['estimate']))} ({_num(low)} to {_num(high)})"
        i2 = ""
        if row["i2"] is not None and not pd.isna(row["i2"]):
            i2 = f"{row['i2']:.0f}"
            if row["i2_ci_lower"] is not None and not pd.isna(row["i2_ci_lower"]):
                i2 += f" ({row['i2_ci_lower']:.0f} to {row['i2_ci_upper']:.0f})"
        pi = ""
        if row["pi_lower"] is not None and not pd.isna(row["pi_lower"]):
            pi = f"{_num(shown(row['pi_lower']))} to {_num(shown(row['pi_upper']))}"
        out.append(
            {
                "Section": row["section"],
                "Analysis": row["analysis"],
                "No. of trials": ""
                if row["k"] is None or pd.isna(row["k"])
                else f"{int(row['k'])}",
                f"{effect_symbol(measure, measure_label)} ({level})": estimate,
                f"I² ({level})": i2,
                "p": p_value(row["p"]),
                "PI": pi,
                "p (subgroups)": p_value(row["p_subgroups"]),
                "Note": row["note"] or "",
            }
        )
    return pd.DataFrame(out)


def write_tables(results: ReviewResults, folder: str | Path) -> list[Path]:
    """Write each group's table as CSV (numbers) and all of them to one XLSX (a sheet each);
    the meta-regressions, when the plan has any, to ``metaregression.csv`` (numbers) and
    ``metaregression.xlsx`` (as the report prints them); the models tables (plan ``models``)
    to ``models.csv`` (numbers)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    sheets = {}
    for group in groups(results):
        table = summary_table(results, group)
        path = folder / f"{_file_name(group)}.csv"
        safe_frame(table).to_csv(path, index=False)
        written.append(path)
        sheets[group[:31]] = safe_frame(format_table(table))
    workbook = folder / "tables.xlsx"
    with pd.ExcelWriter(workbook, engine="openpyxl") as writer:
        for name, table in sheets.items():
            table.to_excel(writer, sheet_name=_sheet_name(name), index=False)
    written.append(workbook)
    metaregressions = metaregression_table(results)
    if not metaregressions.empty:
        path = folder / "metaregression.csv"
        safe_frame(metaregressions).to_csv(path, index=False)
        workbook = folder / "metaregression.xlsx"
        safe_frame(printed_metaregression_table(results)).to_excel(
            workbook, sheet_name="Meta-regression", index=False
        )
        written += [path, workbook]
    models = models_frame(results)
    if not models.empty:
        path = folder / "models.csv"
        safe_frame(models).to_csv(path, index=False)
        written.append(path)
    return written


def _file_name(group: str) -> str:
    return f"table-{slug(group)}"


def _sheet_name(name: str) -> str:
    return "".join("_" if char in "[]:*?/\\" else char for char in name)[:31]
