"""``metareview records stop-screening``: end title/abstract screening early by a stated rule."""

from __future__ import annotations

import click

from metareview.cli.console import echo
from metareview.cli.records_options import by_option, open_project, project_argument
from metareview.errors import RecordsError


@click.command("stop-screening")
@project_argument
@click.option(
    "--stage",
    type=click.Choice(["ta"]),
    default="ta",
    show_default=True,
    help="The stage to stop (title/abstract).",
)
@click.option(
    "--rule",
    default=None,
    metavar="NAME",
    help="The stopping rule that decided it (e.g. 'SAFE: 50 irrelevant in a row').",
)
@click.option("--undo", is_flag=True, help="Resume screening (until full-text work begins).")
@by_option
def stop_screening(project: str, stage: str, rule: str | None, undo: bool, actor: str) -> None:
    """Stop screening early: the records nobody has voted on are set aside and counted by
    `records prisma` as marked ineligible by automation tools. Logged with the rule and who."""
    from metareview.store.review import resume_screening
    from metareview.store.review import stop_screening as stop

    with open_project(project) as opened:
        if undo:
            if rule:
                raise RecordsError("give --rule or --undo, not both")
            event = resume_screening(opened, stage=stage, by=actor)
            echo(f"screening at stage {stage} resumed (undoes event {event.data['undoes']})")
            return
        event = stop(opened, stage=stage, rule=rule or "", by=actor)
    echo(
        f"screening at stage {stage} stopped by rule {rule!r} ({actor}): "
        f"{event.data['set_aside']} unscreened records set aside (event {event.id})"
    )
