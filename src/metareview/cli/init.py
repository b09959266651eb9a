"""``metareview init DATA``: write a commented analysis plan for an extraction table."""

from __future__ import annotations

import os
from pathlib import Path

import click

from metareview.cli.console import echo
from metareview.cli.options import column_option, data_argument, mapping_from, sheet_option
from metareview.data.table import load_table
from metareview.plan.plan import parse_plan
from metareview.plan.template import plan_text


@click.command()
@data_argument
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False),
    default="plan.toml",
    help="Where to write the plan.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing plan file.")
@column_option
@sheet_option
def init(data: str, output: str, force: bool, columns: tuple[str, ...], sheet: str | None) -> None:
    """Write a commented analysis plan for the extraction table DATA.

    The plan lists the table's outcome categories, time points and likely subgroup columns;
    edit it and run it with 'metareview run'.
    """
    target = Path(output)
    if target.exists() and not force:
        raise click.UsageError(f"{target} exists; use --force to overwrite it")
    table = load_table(data, mapping_from(columns), sheet=sheet)
    relative = os.path.relpath(Path(data).resolve(), target.resolve().parent)
    text = plan_text(table, Path(relative).as_posix(), sheet)
    parse_plan(text, source=str(target), base_dir=target.parent)  # the plan must be valid
    target.write_text(text, encoding="utf-8")
    echo(f"wrote {target}; edit it, then run: metareview run {target}")
