"""``metareview check-revman FILE``: re-run a RevMan review and compare with RevMan's numbers."""

from __future__ import annotations

import json

import click

from metareview.cli.console import echo
from metareview.cli.options import json_option


@click.command("check-revman")
@click.argument("file", type=click.Path(exists=True))
@click.option(
    "--rel-tol",
    type=click.FloatRange(min=0, min_open=True, max=1),
    default=1e-6,
    help="Relative tolerance for numbers RevMan stored unrounded (rounded ones must round to "
    "the stored value).",
)
@click.option(
    "--package",
    "package",
    type=click.Path(dir_okay=False),
    help="Also write metareview's results as a RevMan Web data package (zip) to this file.",
)
@json_option
def check_revman(file: str, rel_tol: float, package: str | None, as_json: bool) -> None:
    """Re-run every analysis of the RevMan file FILE (.rm5, or a data package: .zip or folder)
    with the revman5 preset and set each number RevMan stored beside metareview's.

    Lists per study effect, CI and weight; per subgroup and total effect, CI, weight, chi2,
    df, P, I2, tau2, Z, P(Z); the test for subgroup differences; each with its relative
    difference. Exit code 1 when any differs beyond its tolerance (docs/revman.md) or there
    is nothing to check; what could not be checked is listed with the reason. --package
    writes metareview's results in RevMan Web's data-package layout.
    """
    from metareview.data.revman import read_revman
    from metareview.plan.revman_check import check_review
    from metareview.plan.revman_export import write_results_package

    review = read_revman(file)
    report = check_review(review, rel_tol=rel_tol)
    if package:
        write_results_package(review, package)
    if as_json:
        echo(json.dumps(report.to_dict(), indent=2))
    else:
        echo(report.summary())
    if not report.passed:
        raise SystemExit(1)
