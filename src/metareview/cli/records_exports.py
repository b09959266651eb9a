"""``metareview records export-votes``, ``export-log`` and ``full-text``: the voting history
and the audit log (the same bytes as the workspace's downloads), and a record's PDF."""

from __future__ import annotations

import click

from metareview.cli.console import echo
from metareview.cli.records_options import (
    by_option,
    file_output_option,
    open_project,
    project_argument,
)

output_option = file_output_option("The file to write.", required=True)


def _withheld(hidden: int) -> str:
    if not hidden:
        return ""
    return f" ({hidden} vote event(s) on records whose votes are not yet complete left out)"


@click.command("export-votes")
@project_argument
@output_option
def export_votes(project: str, output: str) -> None:
    """Write every vote, undo and resolution (who, when, stage, record, decision, reason,
    note) as CSV. Votes on records whose votes are not yet all in are left out (blinding)."""
    from metareview.store.exports import write_votes

    with open_project(project) as opened:
        hidden = write_votes(opened, output)
    echo(f"wrote the votes to {output}{_withheld(hidden)}")


@click.command("export-log")
@project_argument
@output_option
def export_log(project: str, output: str) -> None:
    """Write the audit log as JSON Lines (one event per line, with its hash). Votes on records
    whose votes are not yet all in are left out (blinding)."""
    from metareview.store.exports import write_log

    with open_project(project) as opened:
        hidden = write_log(opened, output)
    echo(f"wrote the audit log to {output}{_withheld(hidden)}")


@click.command("full-text")
@project_argument
@click.argument("record_id", type=int)
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False))
@by_option
def full_text(project: str, record_id: int, pdf: str, actor: str) -> None:
    """Store PDF as the full text of RECORD_ID (checked to be a PDF, at most 50 MB; kept with
    its SHA-256)."""
    from pathlib import Path

    from metareview.store.full_texts import MAX_FULL_TEXT_BYTES, add_full_text

    path = Path(pdf)
    if path.stat().st_size > MAX_FULL_TEXT_BYTES:
        raise click.UsageError(f"{pdf}: larger than {MAX_FULL_TEXT_BYTES // 2**20} MB")
    with open_project(project) as opened:
        stored = add_full_text(opened, record_id, path.read_bytes(), filename=path.name,
                               actor=actor)  # fmt: skip
    echo(f"stored {path.name} for record {record_id} (SHA-256 {stored.sha256})")
