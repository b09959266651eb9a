"""``metareview serve``: the team workspace in the browser (see ``docs/workspace.md``)."""

from __future__ import annotations

import click

from metareview.cli.console import echo
from metareview.cli.records_options import project_argument


def setup_link(project, base_url: str) -> str | None:
    """On a project with no accounts, a one-time link that creates the first account (lead
    and admin); ``None`` once an account exists."""
    from metareview.store.accounts import count_accounts
    from metareview.store.sessions import create_invitation

    if count_accounts(project):
        return None
    token = create_invitation(project, role="lead", is_admin=True, created_by="setup")
    return f"{base_url}/join?token={token}"


@click.command("serve")
@project_argument
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: every interface; put HTTPS in front).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on.")  # fmt: skip
def serve(project: str, host: str, port: int) -> None:
    """Start the team workspace on PROJECT (a project file, created if missing, or a
    PostgreSQL URL). The first start on a project with no accounts prints a one-time setup
    link that creates the lead's account."""
    import uvicorn

    from metareview.store import Project
    from metareview.web import create_app

    opened = Project.open(project)
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    link = setup_link(opened, base)
    echo(f"metareview workspace on {base} (project {opened.url.split('?')[0]})")
    if link:
        echo("No accounts yet. Open this link once to create the first (lead) account:")
        echo(f"    {link}")
    uvicorn.run(create_app(opened), host=host, port=port, log_level="warning")
