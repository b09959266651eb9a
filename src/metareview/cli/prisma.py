"""``metareview prisma COUNTS.csv``: check PRISMA 2020 counts and draw the flow diagram."""

from __future__ import annotations

import json

import click
import matplotlib

from metareview.cli.console import echo
from metareview.rob.prisma import PrismaCounts


@click.command("prisma")
@click.argument("counts", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    default="prisma.svg",
    metavar="FILE",
    help="The diagram file: .svg, .png or .pdf (by extension).",
)
@click.option("--check-only", is_flag=True, help="Check the arithmetic; draw nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the checked equations as JSON.")
def prisma(counts: str, output: str, check_only: bool, as_json: bool) -> None:
    """Check the counts in COUNTS (the PRISMA2020 R package's CSV, `n` column filled) and draw
    the PRISMA 2020 flow diagram. An inconsistent flow is an error naming the failed equation."""
    flow = PrismaCounts.from_csv(counts)
    result = flow.check()
    if not check_only:
        matplotlib.use("Agg")
        from metareview.report.prisma_diagram import save_prisma_diagram

        try:
            save_prisma_diagram(flow, output)
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--output") from err
    if as_json:
        echo(
            json.dumps(
                {
                    "file": counts,
                    "checked": [e.to_dict() for e in result.checked],
                    "unchecked": list(result.unchecked),
                    "diagram": None if check_only else output,
                },
                indent=2,
            )
        )
    else:
        echo(result.summary())
        if not check_only:
            echo(f"wrote {output}")
