"""``metareview metareg DATA --mods a,b``: mixed-effects meta-regression on moderators."""

from __future__ import annotations

import json
from typing import Any

import click

from metareview.cli.console import echo
from metareview.cli.options import (
    comma_separated,
    data_argument,
    echo_dropped,
    json_option,
    mapping_from,
    measure_option,
    pooling_options,
    table_options,
)
from metareview.errors import AnalysisError
from metareview.plan.analysis import analysis_settings
from metareview.plan.analysis import analyze as run_analysis
from metareview.plan.moderators import MetaRegRequest


@click.command()
@data_argument
@click.option("--mods", required=True, metavar="A,B", help="Moderator columns, comma-separated.")
@click.option(
    "--categorical",
    metavar="A,B",
    help="Moderators to treat as categorical even if numeric (text columns always are).",
)
@measure_option
@pooling_options
@click.option(
    "--permutations",
    type=click.IntRange(min=0, max=100_000),
    default=0,
    help="Random permutations for the permutation test (0: none; at most 100,000).",
)
@click.option("--seed", type=int, help="Seed of the permutation test.")
@table_options
@json_option
def metareg(
    data: str,
    mods: str,
    categorical: str | None,
    permutations: int,
    seed: int | None,
    columns: tuple[str, ...],
    as_json: bool,
    **settings: Any,
) -> None:
    """Meta-regression of the effect sizes in DATA on moderator columns: coefficients, the
    omnibus test QM, residual tau^2, I^2 and R^2, and optionally a permutation test.

    Rows without an effect size or with a missing moderator are dropped and listed.
    """
    moderators = comma_separated(mods)
    if not moderators:
        raise click.BadParameter("name at least one moderator column", param_hint="--mods")
    twice = sorted({m for m in moderators if moderators.count(m) > 1})
    if twice:
        raise click.BadParameter(
            f"got {', '.join(twice)} twice, expected each once", param_hint="--mods"
        )
    factors = comma_separated(categorical)
    for name in factors:
        if name not in moderators:
            raise click.BadParameter(
                f"got {name!r}, expected one of the moderators ({', '.join(moderators)})",
                param_hint="--categorical",
            )
    request = MetaRegRequest(
        tuple(moderators), tuple(factors), permutations=permutations, seed=seed
    )
    # the other options (measure, preset, method, ci_method, level, sheet, drop_incomplete)
    # are fields of AnalysisSettings, under their names
    analysis = run_analysis(
        data,
        analysis_settings(columns=mapping_from(columns), metaregression=(request,), **settings),
    )
    section = analysis.metaregression[0]
    if section.result is None:
        raise AnalysisError(f"{data}: {section.reason}")
    result = section.result
    dropped = [d.to_dict() for d in analysis.dropped] + list(section.dropped)
    document = {**result.to_dict(), "moderators": moderators, "dropped": dropped}
    if as_json:
        echo(json.dumps(document, indent=2))
        return
    echo(result.summary())
    echo_dropped(dropped)
