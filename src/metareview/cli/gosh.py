"""``metareview gosh DATA``: GOSH plot data (fits on subsets of the studies) to Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from metareview.cli.console import echo
from metareview.cli.options import (
    choice_option,
    count_option,
    data_argument,
    echo_dropped,
    json_option,
    mapping_from,
    measure_option,
    output_file_option,
    preset_option,
    table_options,
)
from metareview.plan.analysis import analysis_settings
from metareview.plan.analysis import analyze as run_analysis
from metareview.stats.gosh import DEFAULT_LIMIT, GOSH_METHODS, gosh
from metareview.stats.gosh_diagnostics import gosh_diagnostics


def unique_labels(labels: list[str]) -> list[str]:
    """Study labels made unique (a repeated label gets `` (2)``, `` (3)``, …) for columns.

    >>> unique_labels(["A", "B", "A"])
    ['A', 'B', 'A (2)']
    """
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


@click.command("gosh")
@data_argument
@choice_option(
    "--method",
    choices=list(GOSH_METHODS),
    case_sensitive=False,
    default="FE",
    help="Model fitted on each subset.",
)
@count_option(
    "--subsets",
    default=DEFAULT_LIMIT,
    help="Random subsets to fit when there are more than this many subsets in all "
    "(else every subset is fitted).",
)
@click.option("--seed", type=int, default=0, help="Seed of the random subsets.")
@measure_option
@preset_option
@output_file_option(
    (".parquet",),
    help="Parquet file: one row per subset (estimate, tau2, i2, h2, q, k, one boolean "
    "column per study).",
)
@click.option(
    "--diagnostics",
    is_flag=True,
    help="Cluster the GOSH cloud (k-means, DBSCAN, Gaussian mixture) and name the studies "
    "that drive the clusters.",
)
@table_options
@json_option
def gosh_command(
    data: str,
    method: str,
    subsets: int,
    seed: int,
    measure: str | None,
    preset: str,
    output: str | None,
    diagnostics: bool,
    columns: tuple[str, ...],
    sheet: str | None,
    drop_incomplete: bool,
    as_json: bool,
) -> None:
    """Fit the meta-analysis on all subsets of the studies in DATA (or on random subsets when
    there are too many) for a GOSH plot; prints a summary and writes the fits to -o.
    """
    settings = analysis_settings(
        measure=measure,
        preset=preset,
        columns=mapping_from(columns),
        sheet=sheet,
        drop_incomplete=drop_incomplete,
    )
    analysis = run_analysis(data, settings)
    pooled = analysis.pooled
    result = gosh(
        np.asarray(pooled.yi),
        np.asarray(pooled.vi),
        method=method.upper(),
        subsets=subsets,
        seed=seed,
        studies=unique_labels(list(pooled.studies)),
    )
    document = {**result.to_dict(), "output": None if output is None else str(output)}
    if output:
        result.to_frame().to_parquet(Path(output), index=False)
    document["dropped"] = [d.to_dict() for d in analysis.dropped]
    clusters = gosh_diagnostics(result, seed=seed) if diagnostics else None
    document["diagnostics"] = None if clusters is None else clusters.to_dict()
    if as_json:
        echo(json.dumps(document, indent=2))
        return
    echo(result.summary())
    if clusters is not None:
        echo(clusters.summary())
    echo_dropped(document["dropped"])
    if output:
        echo(f"Wrote {result.n_subsets} rows to {output}")
