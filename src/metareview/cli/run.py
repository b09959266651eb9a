"""``metareview run PLAN.toml``: run every analysis of a plan and write the report."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from metareview.cli.console import echo
from metareview.cli.options import count_option, drop_incomplete_option, output_folder_option
from metareview.plan.plan import load_plan
from metareview.plan.runner import run_plan
from metareview.report.build import write_report


@click.command()
@click.argument("plan_file", metavar="PLAN.toml", type=click.Path(dir_okay=False))
@output_folder_option("Output folder (default: '<plan name>-report' in the current folder).")
@count_option("--jobs", "-j", help="Worker processes (default: the number of cores).")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Recompute and redraw every figure even when plan and data are unchanged.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bars; print only the report path.")
@drop_incomplete_option
def run(
    plan_file: str,
    outdir: str | None,
    jobs: int | None,
    no_cache: bool,
    quiet: bool,
    drop_incomplete: bool,
) -> None:
    """Run the analysis plan PLAN.toml and write the report.

    Writes OUTDIR/report/index.html (self-contained), OUTDIR/results.json (every number),
    OUTDIR/figures/ and OUTDIR/tables/ (CSV and XLSX). Results are cached in OUTDIR/.cache
    under a hash of plan, data and version; figures drawn from unchanged inputs are kept.
    --drop-incomplete sets the plan's data.drop_incomplete.
    """
    plan = load_plan(plan_file)
    if drop_incomplete:
        plan = plan.dropping_incomplete()
    folder = Path(outdir) if outdir else default_output(Path(plan_file))
    workers = jobs or os.cpu_count() or 1
    cache = None if no_cache else folder / ".cache"
    console = Console(stderr=True, quiet=quiet)
    with Progress(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[str, int] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        results = run_plan(plan, jobs=workers, cache_dir=cache, progress=report)
        index = write_report(results, folder, jobs=workers, progress=report, redraw=no_cache)
    skipped = sum(not record.ok for record in results.analyses)
    if not quiet:
        console.print(
            f"{len(results.analyses) - skipped} analyses run, {skipped} not run (see the report)."
        )
        if results.dropped:
            console.print(f"{len(results.dropped)} row(s) without an effect size left out:")
            for row in results.dropped:
                line = f"  row {row['row']} ({row['study']}): {row['reason']}"
                console.print(line, markup=False, soft_wrap=True)
        if results.warnings:
            console.print(f"{len(results.warnings)} data check(s) (also in the report):")
            for warning in results.warnings:
                console.print(f"  {warning}", markup=False, soft_wrap=True)
        _echo_analysis_warnings(console, results.analysis_warnings())
    echo(str(index))


def _echo_analysis_warnings(console: Console, found: list[tuple[str, str]], shown: int = 3) -> None:
    """The count of the analyses' warnings and the first ``shown`` of them; the report's
    "Analysis warnings" lists them all."""
    if not found:
        return
    console.print(f'{len(found)} analysis warning(s) (all in the report\'s "Analysis warnings"):')
    for where, warning in found[:shown]:
        console.print(f"  {where}: {warning}", markup=False, soft_wrap=True)
    if len(found) > shown:
        console.print(f"  … and {len(found) - shown} more")


def default_output(plan_file: Path) -> Path:
    """``<name>-report`` in the current folder; a plan called ``plan.toml`` is named after its
    folder.

    >>> default_output(Path("examples/peer-support/plan.toml")).name
    'peer-support-report'
    """
    name = plan_file.resolve().parent.name if plan_file.stem == "plan" else plan_file.stem
    return Path(f"{name}-report")
