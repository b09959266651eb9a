"""``metareview validate DATA``: check an extraction table and summarise it."""

from __future__ import annotations

import json

import click

from metareview.cli.console import echo
from metareview.cli.options import (
    data_argument,
    json_option,
    mapping_from,
    table_options,
)
from metareview.data.table import load_table
from metareview.errors import DataError


@click.command()
@data_argument
@table_options
@json_option
def validate(
    data: str, columns: tuple[str, ...], sheet: str | None, drop_incomplete: bool, as_json: bool
) -> None:
    """Check the extraction table DATA and print rows, studies and data groups.

    Exit code 0 when valid; 2 with every problem (file, row, column, value, expected) when not.
    With --drop-incomplete, rows without effect data are listed as dropped instead.
    """
    try:
        table = load_table(
            data, mapping_from(columns), sheet=sheet, drop_incomplete=drop_incomplete
        )
    except DataError as err:
        if as_json:
            report = {
                "file": data,
                "valid": False,
                "problem_count": err.total,
                "problems": [problem.to_dict() for problem in err.problems],
            }
            echo(json.dumps(report, indent=2))
        else:
            echo(f"{data}: {err.total} problem{'s' if err.total != 1 else ''}")
            for problem in err.problems:
                echo(f"  - {problem}")
        raise
    echo(json.dumps(table.to_dict(), indent=2) if as_json else table.summary())
