"""``metareview users …``: the workspace's accounts, from the shell (for the server admin)."""

from __future__ import annotations

import json
import sys

import click

from metareview.cli.console import echo
from metareview.cli.options import json_option
from metareview.cli.records_options import open_project, project_argument

ROLES = click.Choice(["lead", "reviewer", "viewer"])
password_stdin = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group("users")
def users() -> None:
    """Workspace accounts: add, list, disable, reset."""


@users.command("add")
@project_argument
@click.argument("username")
@click.option("--role", type=ROLES, default="reviewer",
              help="The account's role in the review.")  # fmt: skip
@click.option("--admin", is_flag=True, help="The account also manages accounts.")
@password_stdin
def add(project: str, username: str, role: str, admin: bool, password_stdin: bool) -> None:
    """Create an account on PROJECT (the password is asked for, or read with --password-stdin)."""
    from metareview.store.accounts import add_account

    with open_project(project) as opened:
        account = add_account(
            opened, username, _password(password_stdin), role=role, is_admin=admin
        )
    echo(f"account {account.username} created ({role}{', admin' if admin else ''})")


@users.command("list")
@project_argument
@json_option
def list_(project: str, as_json: bool) -> None:
    """List the accounts of PROJECT with their roles."""
    from metareview.store.accounts import list_accounts

    with open_project(project) as opened:
        found = list_accounts(opened)
    if as_json:
        echo(json.dumps([a.to_dict() for a in found], indent=2))
        return
    for a in found:
        flags = ", ".join(
            f for f in ("admin" if a.is_admin else "", "disabled" if a.disabled else "") if f
        )
        echo(f"{a.username}\t{a.role or 'no access'}{f' ({flags})' if flags else ''}")


@users.command("disable")
@project_argument
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
def disable(project: str, username: str, enable: bool) -> None:
    """Disable an account (it is signed out everywhere), or --enable it again."""
    from metareview.store.accounts import set_disabled

    with open_project(project) as opened:
        set_disabled(opened, username, not enable)
    echo(f"account {username} {'enabled' if enable else 'disabled'}")


@users.command("reset")
@project_argument
@click.argument("username")
@password_stdin
def reset(project: str, username: str, password_stdin: bool) -> None:
    """Give an account a new password (it is signed out everywhere)."""
    from metareview.store.accounts import set_password

    with open_project(project) as opened:
        set_password(opened, username, _password(password_stdin))
    echo(f"password of {username} reset; its sessions are ended")
