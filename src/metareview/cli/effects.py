"""``metareview effects DATA``: one effect size per row of an extraction table."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click
import pandas as pd

from metareview.cli.console import echo
from metareview.cli.options import (
    choice_option,
    data_argument,
    direction_option,
    json_option,
    level_option,
    mapping_from,
    output_file_option,
    preset_option,
    table_options,
)
from metareview.data.arms import MULTI_ARM_MODES
from metareview.data.effects import (
    EFFECT_COLUMNS,
    NOT_ESTIMABLE,
    SMD_FROM_EVENTS,
    compute_effects,
    not_estimable_rows,
)
from metareview.stats.effects import MEASURES, SMD_CORRECTIONS, SMD_VARIANCES, ZERO_CELL_METHODS

SHOWN = ("study", *EFFECT_COLUMNS)


@click.command()
@data_argument
@choice_option(
    "--measure",
    choices=MEASURES,
    case_sensitive=False,
    help="Effect measure (OR/RR on the log scale). Default: SMD for continuous data, "
    "RR for dichotomous data.",
)
@preset_option
@table_options
@output_file_option(
    (".csv", ".tsv", ".txt", ".xlsx", ".parquet"),
    help="Write the table with the effect columns to FILE (.csv, .tsv/.txt, .xlsx, .parquet).",
)
@json_option
@direction_option
@choice_option(
    "--multi-arm",
    choices=MULTI_ARM_MODES,
    default="keep",
    help="Rows of a multi-arm trial sharing an arm: keep and flag, combine the other "
    "arms (Handbook 23.3.4) or split the shared arm.",
)
@choice_option(
    "--zero-cell",
    "zero_cell_method",
    choices=ZERO_CELL_METHODS,
    default="constant",
    help="Zero-cell correction: add a constant to each cell, or Sweeting's "
    "treatment-arm correction.",
)
@click.option(
    "--zero-cell-add",
    type=click.FloatRange(min=0),
    help="Increment for zero cells (preset default 0.5; 0 disables).",
)
@click.option(
    "--drop-double-zero/--keep-double-zero",
    default=None,
    help="Exclude studies without events in both arms from OR/RR (preset default).",
)
@choice_option(
    "--smd-correction",
    choices=SMD_CORRECTIONS,
    help="Small-sample correction of Hedges' g (preset default).",
)
@choice_option(
    "--smd-variance", choices=SMD_VARIANCES, help="Variance formula of Hedges' g (preset default)."
)
@choice_option(
    "--smd-from-events",
    choices=SMD_FROM_EVENTS,
    help="How dichotomous rows become an SMD (preset default).",
)
@level_option
def effects(
    data,
    measure,
    preset,
    columns,
    sheet,
    drop_incomplete,
    output,
    as_json,
    higher_is_better,
    multi_arm,
    zero_cell_method,
    zero_cell_add,
    drop_double_zero,
    smd_correction,
    smd_variance,
    smd_from_events,
    level,
) -> None:
    """Compute yi, vi, sei, ci_lower, ci_upper, es_source and note for every row of DATA.

    Rows that cannot give the measure stay in the output with a note starting
    'not estimable:'. Formulas and sources: docs/effect-sizes.md.
    """
    table = compute_effects(
        data,
        measure.upper() if measure else None,
        preset,
        mapping_from(columns),
        sheet=sheet,
        drop_incomplete=drop_incomplete,
        higher_is_better=higher_is_better,
        multi_arm=multi_arm,
        zero_cell_method=zero_cell_method,
        level=level,
        zero_cell_add=zero_cell_add,
        drop_double_zero=drop_double_zero,
        smd_correction=smd_correction,
        smd_variance=smd_variance,
        smd_from_events=smd_from_events,
    )
    if output:
        _write(table, Path(output))
    if as_json:
        echo(json.dumps(_report(table, data, output), indent=2))
    elif output:
        dropped = int(table["note"].str.startswith(NOT_ESTIMABLE).sum())
        echo(
            f"{output}: {len(table)} rows, {table.attrs['measure']} under preset "
            f"{table.attrs['preset']}; {dropped} not estimable"
        )
    else:
        echo(_text(table))


def _write(table: pd.DataFrame, path: Path) -> None:
    from metareview.data.spreadsheet import safe_frame

    suffix = path.suffix.lower()
    if suffix != ".parquet":  # a spreadsheet would run text such as '=HYPERLINK(…)'
        table = safe_frame(table)
    if suffix == ".xlsx":
        table.to_excel(path, index_label="row")
    elif suffix == ".parquet":
        table.to_parquet(path)
    else:
        table.to_csv(path, sep="\t" if suffix in (".tsv", ".txt") else ",", index_label="row")


def _clean(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _report(table: pd.DataFrame, data: str, output: str | None) -> dict:
    shown = [c for c in (*SHOWN, "yi_unflipped") if c in table]
    rows = [
        {"row": int(row), **{c: _clean(record[c]) for c in shown}}
        for row, record in table.iterrows()
    ]
    return {
        "file": data,
        "output": output,
        "measure": table.attrs["measure"],
        "preset": table.attrs["preset"],
        "settings": table.attrs["settings"],
        "level": table.attrs["level"],
        "rows": rows,
        "dropped": not_estimable_rows(table),
    }


def _text(table: pd.DataFrame) -> str:
    shown = table[[c for c in SHOWN if c in table]].copy()
    for column in ("yi", "vi", "sei", "ci_lower", "ci_upper"):
        shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.4f}")
    shown["es_source"] = shown["es_source"].fillna("")
    notes = shown.pop("note").fillna("").tolist()
    # The note goes last and unpadded: one long note must not push every row to the right.
    lines = shown.reset_index().to_string(index=False).splitlines()
    lines = [f"{lines[0]}  note"] + [
        f"{line}  {note}".rstrip() for line, note in zip(lines[1:], notes, strict=True)
    ]
    header = f"{table.attrs['measure']} under preset {table.attrs['preset']} ({len(table)} rows)"
    return "\n".join([header, *lines])
