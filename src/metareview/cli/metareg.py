"""``metareview metareg DATA --mods a,b``: mixed-effects meta-regression on moderators."""

from __future__ import annotations

import json

import click
import numpy as np

from metareview.cli.options import (
    ci_method_option,
    column_option,
    json_option,
    level_option,
    measure_option,
    preset_option,
    sheet_option,
    tau2_method_option,
)
from metareview.cli.settings import analysis_settings
from metareview.data.table import load_table
from metareview.errors import AnalysisError, DataError, Problem
from metareview.plan.analysis import analyze as run_analysis
from metareview.stats.metaregression import metareg as fit_metareg
from metareview.stats.presets import PRESETS


def _names(text: str | None) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


@click.command()
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("--mods", required=True, metavar="A,B", help="Moderator columns, comma-separated.")
@click.option(
    "--categorical",
    default=None,
    metavar="A,B",
    help="Moderators to treat as categorical even if numeric (text columns always are).",
)
@measure_option
@preset_option
@tau2_method_option
@ci_method_option
@level_option
@click.option(
    "--permutations",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Random permutations for the permutation test (0: none).",
)
@click.option("--seed", type=int, default=None, help="Seed of the permutation test.")
@column_option
@sheet_option
@json_option
def metareg(
    data: str,
    mods: str,
    categorical: str | None,
    measure: str | None,
    preset: str,
    method: str | None,
    ci_method: str | None,
    level: float,
    permutations: int,
    seed: int | None,
    columns: tuple[str, ...],
    sheet: str | None,
    as_json: bool,
) -> None:
    """Meta-regression of the effect sizes in DATA on moderator columns: coefficients, the
    omnibus test QM, residual tau^2, I^2 and R^2, and optionally a permutation test.

    Rows without an effect size or with a missing moderator are dropped and listed.
    """
    moderators = _names(mods)
    if not moderators:
        raise click.BadParameter("name at least one moderator column", param_hint="--mods")
    chosen = PRESETS[preset.lower()]
    settings = analysis_settings(
        measure=measure,
        preset=preset,
        method=method,
        ci_method=ci_method,
        level=level,
        columns=columns,
        sheet=sheet,
    )
    table = load_table(data, columns=settings.columns or None, sheet=sheet)
    missing = [m for m in moderators if m not in table.frame.columns]
    if missing:
        raise DataError(
            [
                Problem(str(table.source), None, m, None, "a moderator column of the table")
                for m in missing
            ]
        )
    analysis = run_analysis(table, settings)
    rows = list(analysis.rows)
    frame = table.frame.loc[rows, moderators]
    complete = frame.notna().all(axis=1).to_numpy()
    dropped = [d.to_dict() for d in analysis.dropped] + [
        {
            "row": int(row),
            "study": study,
            "reason": "missing moderator " + ", ".join(frame.columns[frame.loc[row].isna()]),
        }
        for row, study, ok in zip(rows, analysis.pooled.studies, complete)
        if not ok
    ]
    yi = np.asarray(analysis.pooled.yi)[complete]
    vi = np.asarray(analysis.pooled.vi)[complete]
    try:
        result = fit_metareg(
            yi,
            vi,
            {m: frame[m].to_numpy()[complete].tolist() for m in moderators},
            method=settings.method or chosen.tau2_method,
            ci_method=settings.ci_method or chosen.ci_method,
            level=level,
            categorical=_names(categorical),
            permutations=permutations,
            seed=seed,
        )
    except ValueError as err:
        raise AnalysisError(f"{table.source}: {err}") from err
    document = {**result.to_dict(), "moderators": moderators, "dropped": dropped}
    if as_json:
        click.echo(json.dumps(document, indent=2))
        return
    click.echo(result.summary())
    for row in dropped:
        click.echo(f"Dropped row {row['row']} ({row['study']}): {row['reason']}")
