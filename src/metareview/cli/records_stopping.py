"""``metareview records stopping`` (is it safe to stop yet? what each stopping rule says) and
``metareview records stop-screening`` (end title/abstract screening early by a stated rule)."""

from __future__ import annotations

import json

import click

from metareview.cli.console import echo
from metareview.cli.options import choice_option, count_option
from metareview.cli.records_options import by_option, open_project, project_argument, stage_option
from metareview.errors import RecordsError


@click.command("stop-screening")
@project_argument
@choice_option("--stage", choices=["ta"], default="ta", help="The stage to stop (title/abstract).")
@click.option(
    "--rule",
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


def _random_sample(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    size, _, relevant = value.partition(":")
    try:
        return int(size), int(relevant)
    except ValueError:
        raise click.BadParameter(
            f"expected SIZE:RELEVANT, e.g. 40:2; got {value!r}", param_hint="--random-sample"
        ) from None


@click.command("stopping")
@project_argument
@stage_option
@click.option(
    "--reviewer",
    metavar="NAME",
    help="Judge this reviewer's own votes (default: the team's records whose votes are all in).",
)
@click.option(
    "--recall-target",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.95,
    help="The recall buscar tests for.",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.05,
    help="buscar's significance level.",
)
@count_option(
    "--run", default=50, help="Irrelevant records in a row (SAFE and the consecutive rule)."
)
@click.option(
    "--random-sample",
    metavar="SIZE:RELEVANT",
    help="SAFE phase 1: a random sample screened first and how many were relevant.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the advice as JSON.")
def stopping(
    project: str,
    stage: str,
    reviewer: str | None,
    recall_target: float,
    alpha: float,
    run: int,
    random_sample: str | None,
    as_json: bool,
) -> None:
    """What each stopping rule says about screening PROJECT so far: buscar (a test with a
    recall promise), the knee method, SAFE and N consecutive irrelevant (heuristics)."""
    from metareview.records.stopping_rules import RandomSample
    from metareview.store.stopping_rules import stopping_advice

    sample = _random_sample(random_sample)
    with open_project(project) as opened:
        advice = stopping_advice(
            opened,
            stage,
            reviewer,
            recall_target=recall_target,
            alpha=alpha,
            run=run,
            random_sample=None if sample is None else RandomSample(*sample),
        )
    if as_json:
        echo(json.dumps([a.to_dict() for a in advice], indent=2))
        return
    first = advice[0]
    who = f"{reviewer}'s votes" if reviewer else "the team's completed records"
    echo(
        f"Stage {stage}, {who}: {first.screened} of {first.records} records screened, "
        f"{first.relevant_found} kept, {first.unscreened} unscreened"
    )
    for item in advice:
        echo(f"  {item.summary()}")


@click.command("methods")
@project_argument
@click.option(
    "--unprioritised",
    is_flag=True,
    help="Records were screened in import order, not ranked by the active-learning model.",
)
def methods(project: str, unprioritised: bool) -> None:
    """The screening paragraph of the methods: records, reviewers, prioritisation, and the
    stopping rule that ended screening with the recall it reached in simulation."""
    from metareview.store.stopping_rules import screening_methods

    with open_project(project) as opened:
        echo(screening_methods(opened, prioritised=not unprioritised))
