"""``metareview records verify``: check that the project's event log was not rewritten."""

from __future__ import annotations

import json
import sys

import click

from metareview.cli.console import echo
from metareview.cli.options import json_option
from metareview.cli.records_options import open_project, project_argument


@click.command()
@project_argument
@json_option
def verify(project: str, as_json: bool) -> None:
    """Check the hash chains of PROJECT's event log and, once extraction or risk-of-bias work
    has begun, of its study log; name the first broken link (exit code 1 when broken). Note
    the head hashes it prints to detect a later wholesale rewrite."""
    from metareview.store.study_log import verify_study_log

    with open_project(project) as opened:
        check = opened.verify_log()
        study = verify_study_log(opened)
    if as_json:
        report = check.to_dict()
        if study.events:
            report["study_log"] = study.to_dict()
        echo(json.dumps(report, indent=2))
    else:
        echo(check.summary())
        if study.events:
            echo(f"study log: {study.summary()}")
    if not (check.intact and study.intact):
        sys.exit(1)
