"""``metareview analyze DATA``: effect sizes (when needed), pooling and heterogeneity."""

from __future__ import annotations

import json
from typing import Any

import click

from metareview.cli.console import echo
from metareview.cli.options import (
    choice_option,
    count_option,
    data_argument,
    direction_option,
    json_option,
    mapping_from,
    measure_option,
    pooling_options,
    table_options,
)
from metareview.plan.analysis import analysis_settings
from metareview.plan.analysis import analyze as run_analysis
from metareview.plan.multilevel import MODELS, MultilevelRequest
from metareview.stats.bias.selection import check_steps
from metareview.stats.bias.trimfill import ESTIMATORS, SIDES


def _selection_steps(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[float, ...] | None:
    """``0.025,0.5`` → ``(0.025, 0.5)``; anything else is a usage error (exit 2)."""
    if value is None:
        return None
    try:
        steps = [float(part) for part in value.split(",")]
        check_steps(steps)
    except ValueError:
        raise click.BadParameter(
            f"got {value!r}, expected increasing one-sided p values in (0, 1) separated by "
            "commas, e.g. 0.025,0.5",
            ctx,
            param,
        ) from None
    return tuple(steps)


def multilevel_request(
    model: str, rho: float | None, smooth_vi: bool | None, robust: str | None
) -> MultilevelRequest:
    """The ``--model --rho --smooth-vi --robust`` options; a misuse is a usage error (exit 2)."""
    try:
        return MultilevelRequest(
            model=model.lower(),
            rho=rho,
            smooth_vi=smooth_vi,
            robust=robust.upper() if robust and robust.lower() != "none" else robust,
        )
    except ValueError as err:
        raise click.UsageError(str(err)) from None


@click.command()
@data_argument
@measure_option
@pooling_options
@direction_option
@click.option(
    "--force",
    "force_bias",
    is_flag=True,
    help="Run the small-study tests (Egger, Begg, trim-and-fill, ...) even with fewer studies "
    "than the preset's minimum (10), with a warning.",
)
@click.option(
    "--by",
    metavar="COL",
    help="Subgroup analysis by this column, with the test for subgroup differences.",
)
@click.option(
    "--tau-common/--tau-separate",
    "tau_common",
    default=None,
    help="One tau^2 shared by the subgroups (metafor) or one per subgroup (meta, RevMan); "
    "default: the preset's.",
)
@count_option(
    "--min-k-subgroup",
    default=2,
    help="Fewest studies a subgroup needs to enter the test (smaller ones are reported only).",
)
@choice_option(
    "--trimfill-estimator",
    choices=ESTIMATORS,
    case_sensitive=False,
    default="L0",
    help="Trim-and-fill estimator of the number of missing studies (Duval & Tweedie).",
)
@choice_option(
    "--trimfill-side",
    choices=SIDES,
    case_sensitive=False,
    help="Side of the funnel plot where trim-and-fill looks for missing studies "
    "(default: chosen from the slope of the effects on their standard errors).",
)
@click.option(
    "--selection-steps",
    callback=_selection_steps,
    metavar="P[,P...]",
    help="Also fit the step-function selection model (Vevea & Hedges 1995) with these "
    "cut-points of one-sided p values, e.g. 0.025,0.5.",
)
@choice_option(
    "--model",
    choices=MODELS,
    case_sensitive=False,
    default="standard",
    help="standard: one random-effects model over the rows; threelevel: effects (rows) nested "
    "in studies (the study column); che: the correlated-and-hierarchical-effects working model.",
)
@click.option(
    "--rho",
    type=click.FloatRange(-1.0, 1.0, min_open=True, max_open=True),
    help="CHE only: assumed correlation of effects within a study (default 0.6).",
)
@click.option(
    "--smooth-vi/--no-smooth-vi",
    "smooth_vi",
    default=None,
    help="CHE only: replace each effect's variance by its study's mean variance (default: the "
    "preset's; on under metapsy).",
)
@choice_option(
    "--robust",
    choices=["cr2", "cr1", "none"],
    case_sensitive=False,
    help="Cluster-robust variance by study for threelevel/che: cr2 (clubSandwich, Satterthwaite "
    "df), cr1 (metafor robust) or none (default: cr2 for che, none for threelevel).",
)
@table_options
@json_option
def analyze(
    data: str,
    columns: tuple[str, ...],
    model: str,
    rho: float | None,
    smooth_vi: bool | None,
    robust: str | None,
    as_json: bool,
    **settings: Any,
) -> None:
    """Pool the studies in DATA: common and random effects, tau^2, I^2, Q, prediction interval,
    and small-study effects (Egger, Begg, trim-and-fill, PET-PEESE, fail-safe N). With
    --model threelevel or che, also the multilevel model of the rows (one effect each)
    clustered by study.

    Rows whose effect size cannot be estimated are dropped and listed with the reason.
    """
    # every other option is a field of AnalysisSettings, under its name
    settings = analysis_settings(
        columns=mapping_from(columns),
        multilevel=multilevel_request(model, rho, smooth_vi, robust),
        **settings,
    )
    result = run_analysis(data, settings)
    echo(json.dumps(result.to_dict(), indent=2) if as_json else result.summary())
