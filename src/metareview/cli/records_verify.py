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
    """Check the hash chain of PROJECT's event log and name the first broken link (exit
    code 1 when broken). Note the head hash it prints to detect a later wholesale rewrite."""
    with open_project(project) as opened:
        check = opened.verify_log()
    if as_json:
        echo(json.dumps(check.to_dict(), indent=2))
    else:
        echo(check.summary())
    if not check.intact:
        sys.exit(1)
