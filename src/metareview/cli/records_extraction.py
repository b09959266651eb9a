"""``metareview records export-extraction`` and ``export-rob``: the agreed extraction table (the
file ``metareview run`` reads) and the agreed risk-of-bias judgements (robvis), from a project."""

from __future__ import annotations

import click

from metareview.cli.console import echo
from metareview.cli.records_exports import output_option
from metareview.cli.records_options import open_project, project_argument

partial_option = click.option(
    "--partial",
    is_flag=True,
    help="Write the agreed studies even when others are not agreed yet (they are listed).",
)


def _left_out(left_out: dict[str, str]) -> str:
    return "".join(f"\n  left out: {label} ({why})" for label, why in left_out.items())


@click.command("export-extraction")
@project_argument
@output_option
@partial_option
def export_extraction(project: str, output: str, partial: bool) -> None:
    """Write the agreed extraction table (every complete study, consensus values applied) as
    CSV or XLSX, in the form `metareview run` reads. Refused while a study is not agreed,
    unless --partial."""
    from metareview.store.extraction_export import write_agreed

    with open_project(project) as opened:
        table = write_agreed(opened, output, partial=partial)
    echo(f"wrote {len(table.frame)} rows of {table.to_dict()['studies']} studies to {output}")
    if table.left_out:
        echo(_left_out(table.left_out).lstrip("\n"))


@click.command("export-rob")
@project_argument
@click.argument("result")
@output_option
@partial_option
def export_rob(project: str, result: str, output: str, partial: bool) -> None:
    """Write the agreed risk-of-bias judgements of RESULT (e.g. an outcome) in the robvis
    layout, and the details of each domain (overrides flagged with their justification)
    beside it. Refused while an assessment is not agreed, unless --partial."""
    from pathlib import Path

    from metareview.data.spreadsheet import safe_frame
    from metareview.errors import ExtractionError
    from metareview.store.rob_assessment import rob_export

    with open_project(project) as opened:
        export = rob_export(opened, result)
    if export.left_out and not partial:
        raise ExtractionError(
            f"{len(export.left_out)} assessment(s) of {result!r} not agreed: "
            + "; ".join(f"{k} ({v})" for k, v in export.left_out.items())
            + " (write the others with --partial)"
        )
    if export.table is None:
        raise ExtractionError(f"no agreed assessment of {result!r} to write")
    path = export.table.to_robvis_csv(output)
    details = path.with_name(f"{path.stem}-details.csv")
    safe_frame(export.details).to_csv(details, index=False)
    echo(f"wrote {export.table.n_studies} studies to {Path(output)} and the details to {details}")
    if export.left_out:
        echo(_left_out(export.left_out).lstrip("\n"))
