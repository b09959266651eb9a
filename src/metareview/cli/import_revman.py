"""``metareview import-revman FILE -o DIR``: a RevMan review as an extraction table, a plan
that re-runs every analysis, and a risk-of-bias table."""

from __future__ import annotations

from pathlib import Path

import click

from metareview.cli.console import echo, printable
from metareview.cli.options import output_folder_option


@click.command("import-revman")
@click.argument("file", type=click.Path(exists=True))
@output_folder_option(
    "Folder to write extraction.csv, plan.toml and rob.csv into (created if needed).",
    required=True,
)
def import_revman(file: str, outdir: str) -> None:
    """Import the RevMan review FILE (.rm5, or a RevMan Web data package: .zip or folder).

    Writes DIR/extraction.csv (one row per study x outcome x subgroup, in the data standard,
    with comparison/outcome/subgroup columns), DIR/plan.toml (every analysis with RevMan's
    settings under the revman5 preset: `metareview run DIR/plan.toml` re-runs the review),
    DIR/rob.csv (RevMan's risk-of-bias judgements, robvis format), DIR/studies.csv (study
    information), DIR/revman-study-data.csv (the study data in RevMan Web's layout) and
    DIR/references.ris when the file has references. Prints every analysis
    or element it could not represent exactly, and why.
    """
    from metareview.data.revman import read_revman
    from metareview.data.revman.extraction import review_table
    from metareview.data.revman.writers import (
        references_ris,
        study_data_csv,
        write_csv,
        write_references,
        write_studies,
    )
    from metareview.plan.revman_plan import review_plan
    from metareview.records.importers.ris import parse_ris
    from metareview.rob.revman import rob_table

    review = read_revman(file)
    folder = Path(outdir)
    folder.mkdir(parents=True, exist_ok=True)
    table = review_table(review)
    write_csv(table, folder / "extraction.csv")
    rob = rob_table(review.rob)
    if rob is not None:
        write_csv(rob.to_frame(), folder / "rob.csv")
    text, notes = review_plan(review, "extraction.csv", "rob.csv" if rob is not None else None)
    (folder / "plan.toml").write_text(text, encoding="utf-8")
    write_studies(review, folder / "studies.csv")
    (folder / "revman-study-data.csv").write_bytes(study_data_csv(review))
    references = write_references(review, folder / "references.ris")
    echo(
        printable(
            f"{file}: {len(review.outcomes)} analyses, {len(table)} study rows, "
            f"{len(review.studies)} studies, {len(review.rob)} risk-of-bias judgements, "
            f"{references} references -> {folder}"
        )
    )
    if references:
        records, problems = parse_ris(references_ris(review), "references.ris")
        echo(
            printable(
                f"references.ris: {len(records)} records for `metareview records import`"
                + (f"; {len(problems)} not importable (first: {problems[0]})" if problems else "")
            )
        )
    for skip in review.skipped:
        echo(f"not represented: {skip}")
    for note in notes:
        echo(f"note: {note}")
    echo(f"Run it: metareview run {folder / 'plan.toml'}")
