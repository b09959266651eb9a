"""``metareview multiverse DATA``: fit every combination of analytic choices."""

from __future__ import annotations

import json
from pathlib import Path

import click

from metareview.cli.console import echo
from metareview.cli.options import (
    comma_separated,
    count_option,
    data_argument,
    echo_dropped,
    json_option,
    level_option,
    mapping_from,
    measure_option,
    output_folder_option,
    pairs_option,
    preset_option,
    table_options,
)


@click.command("multiverse")
@data_argument
@pairs_option(
    "--where",
    "where",
    "COLUMN=VALUE",
    help="Analyse only these rows (e.g. --where outcome_category='clinical recovery'). Repeatable.",
)
@click.option(
    "--studies",
    default="all,outliers_removed,influential_removed",
    help="Which studies: all, low_rob, outliers_removed, influential_removed (comma-separated).",
)
@click.option(
    "--effects",
    default="combined,lowest,highest",
    help="Several effects of one study: combined, lowest, highest, three_level (all of them in "
    "the three-level model).",
)
@click.option(
    "--methods", default="REML,DL,PM", help="tau^2 estimators of the random-effects specifications."
)
@click.option("--models", default="random,fixed", help="random, fixed.")
@click.option("--ci-methods", default="z,knha", help="z, knha.")
@click.option(
    "--by",
    "filters",
    multiple=True,
    metavar="COLUMN",
    help="A moderator whose levels are analysed alone as well as together. Repeatable.",
)
@click.option("--rob-column", metavar="COLUMN", help="Risk-of-bias column for --studies low_rob.")
@click.option("--rob-low", default="Low", help="Its low-risk value.")
@click.option(
    "--rho",
    type=click.FloatRange(-1, 1),
    default=0.5,
    help="Correlation assumed when combining a study's effects.",
)
@count_option("--min-k", default=2, help="Fewest studies a specification needs.")
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0),
    default=0,
    help="Resamples of the under-the-null specification-curve test (0: no test).",
)
@click.option("--seed", type=int, default=0, help="Seed of the test.")
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run on a Dask cluster (tcp://HOST:8786; needs metareview[dask]).",
)
@output_folder_option(
    "Folder for specifications.csv, specifications.parquet, summary.json and "
    "specification-curve.svg.",
    dest="output",
)
@measure_option
@preset_option
@level_option
@table_options
@json_option
def multiverse_command(
    data: str, where: tuple[tuple[str, str], ...], studies: str, effects: str, methods: str, models: str,
    ci_methods: str, filters: tuple[str, ...], rob_column: str | None, rob_low: str,
    rho: float, min_k: int, bootstrap: int, seed: int, scheduler: str | None,
    output: str | None,
    measure: str | None, preset: str, level: float, columns: tuple[str, ...],
    sheet: str | None, drop_incomplete: bool, as_json: bool,
) -> None:  # fmt: skip
    """Fit every combination of the chosen studies, effect handling, moderator levels,
    estimator, model and CI method on DATA (Voracek et al. 2019): one row per
    specification, a summary, the specification curve and, with --bootstrap, its test."""
    from metareview.plan.analysis import analysis_settings, effect_sizes
    from metareview.plan.multiverse import Factors, multiverse, specification_test

    settings = analysis_settings(
        measure=measure, preset=preset, level=level, columns=mapping_from(columns),
        sheet=sheet, drop_incomplete=drop_incomplete,
    )  # fmt: skip
    rows, dropped = effect_sizes(data, settings, where=dict(where))
    factors = Factors(
        studies=comma_separated(studies), effects=comma_separated(effects),
        methods=tuple(m.upper() for m in comma_separated(methods)), models=comma_separated(models),
        ci_methods=tuple(c.lower() for c in comma_separated(ci_methods)),
        filters={column: () for column in filters}, rob_column=rob_column, rob_low=rob_low,
        rho=rho, level=level, min_k=min_k, preset=settings.preset,
    )  # fmt: skip
    test = None
    if scheduler:  # the multiverse and the test's resamples run on the cluster
        from metareview.scale.backend import open_backend
        from metareview.scale.jobs import multiverse_chunks, specification_test_chunks

        with open_backend(scheduler) as backend:
            result = multiverse_chunks(rows, factors, backend)
            if bootstrap:
                test = specification_test_chunks(
                    rows, result, backend, iterations=bootstrap, seed=seed
                )
    else:
        result = multiverse(rows, factors)
        if bootstrap:
            test = specification_test(rows, result, iterations=bootstrap, seed=seed)
    document = {
        **result.to_dict(),
        "test": None if test is None else test.to_dict(),
        "dropped": [d.to_dict() for d in dropped],
    }
    if output:
        _write(Path(output), result, document)
    if as_json:
        echo(json.dumps(document, indent=2, default=str))
        return
    echo(result.summary())
    if test is not None:
        echo(test.summary())
    not_fitted = result.specifications[result.specifications["status"] != "ok"]
    if len(not_fitted):
        reasons = not_fitted["reason"].value_counts()
        for reason, count in reasons.items():
            echo(f"Not fitted ({count} specifications): {reason}")
    echo_dropped(document["dropped"])
    if output:
        echo(f"Wrote {len(result.specifications)} specifications to {output}")


def _write(folder: Path, result, document: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from metareview.report.multiverse_section import write_specifications
    from metareview.report.specification_curve import specification_curve

    write_specifications(result.specifications, folder / "specifications.csv")
    (folder / "summary.json").write_text(
        json.dumps({k: v for k, v in document.items() if k != "specifications"}, indent=2)
    )
    top, _ = specification_curve(result)
    top.figure.savefig(folder / "specification-curve.svg", bbox_inches="tight")
    plt.close(top.figure)
