"""``metareview records same-study`` / ``separate-study``: which reports belong to one study.

PRISMA 2020 counts included studies and their reports separately; a record is a report, and
these commands link the reports of one study (logged, and undone by another logged event).
"""

from __future__ import annotations

import click

from metareview.cli.console import echo
from metareview.cli.records_options import by_option, open_project, project_argument


@click.command("same-study")
@project_argument
@click.argument("record_id", type=int)
@click.argument("report_ids", type=int, nargs=-1, required=True)
@by_option
def same_study(project: str, record_id: int, report_ids: tuple[int, ...], actor: str) -> None:
    """Record that REPORT_IDS report the same study as RECORD_ID (e.g. a protocol, a secondary
    analysis or a conference abstract of one trial): PRISMA counts the study once. All or
    nothing: if any ID cannot be linked, none is."""
    from metareview.store.review import link_same_study

    with open_project(project) as opened:
        link_same_study(opened, report_ids, of=record_id, actor=actor)
    echo(f"{len(report_ids)} report(s) linked to the study of record {record_id}")


@click.command("separate-study")
@project_argument
@click.argument("report_ids", type=int, nargs=-1, required=True)
@by_option
def separate_study(project: str, report_ids: tuple[int, ...], actor: str) -> None:
    """Undo same-study: each of REPORT_IDS is its own study again, the other reports of its
    study staying together (logged; all or nothing)."""
    from metareview.store.review import separate_study as separate

    with open_project(project) as opened:
        separate(opened, report_ids, actor=actor)
    echo(f"{len(report_ids)} report(s) made separate studies")
