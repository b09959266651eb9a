"""Options shared by several subcommands."""

from __future__ import annotations

import click

from metareview.data.mapping import parse_column_mapping

column_option = click.option(
    "--col",
    "columns",
    multiple=True,
    metavar="STD=ACTUAL",
    help="Map a standard column to your header, e.g. --col yi=TE --col study=Author. Repeatable.",
)
sheet_option = click.option(
    "--sheet", default=None, metavar="NAME", help="Worksheet of an XLSX file (default: the first)."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


def mapping_from(columns: tuple[str, ...]) -> dict[str, str]:
    """Turn repeated ``--col STD=ACTUAL`` values into a mapping (a usage error if malformed)."""
    try:
        return parse_column_mapping(columns)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--col") from err
