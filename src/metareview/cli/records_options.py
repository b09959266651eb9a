"""What the ``metareview records …`` commands share: the PROJECT argument, ``--by``,
``--stage``, ``-o/--output FILE``, and opening an existing project."""

from __future__ import annotations

import getpass
import os
from typing import TYPE_CHECKING

import click

from metareview.records.screening import Stage

if TYPE_CHECKING:  # the heavy layers load inside the commands, keeping `metareview` quick
    from metareview.store import Project

STAGES = click.Choice([s.value for s in Stage])
project_argument = click.argument("project", metavar="PROJECT")


def _default_actor() -> str:
    return os.environ.get("METAREVIEW_USER") or getpass.getuser()


by_option = click.option(
    "--by",
    "actor",
    default=_default_actor,
    show_default="$METAREVIEW_USER or your login",
    metavar="NAME",
    help="Who does this (recorded in the project's log).",
)
stage_option = click.option(
    "--stage", type=STAGES, default="ta",
    help="ta = title/abstract, ft = full text.",
)  # fmt: skip


def file_output_option(help: str, required: bool = False):
    """``-o/--output FILE``: the file a records command writes (``help`` says what goes in it).

    >>> @click.command()
    ... @file_output_option("The file to write.", required=True)
    ... def show(output): ...
    >>> [(option.opts, option.required) for option in show.params]
    [(['-o', '--output'], True)]
    """
    return click.option(
        "-o", "--output", required=required, type=click.Path(dir_okay=False), help=help
    )


def open_project(project: str) -> Project:
    """An existing project (a missing one is an error, not a new empty project).

    >>> with open_project("sqlite://") as project:  # a database URL: the server holds it
    ...     project.record_ids()
    ()
    >>> open_project("no-such-folder/p.mrproj")
    Traceback (most recent call last):
    metareview.errors.StoreError: no-such-folder/p.mrproj: no such project (create it with 'records import')
    """
    from metareview.store import Project

    return Project.open(project, create=False)
