"""``metareview serve``: the team workspace in the browser (see ``docs/workspace.md``)."""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path

import click

from metareview.cli.console import echo
from metareview.cli.options import count_option


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
@click.argument("project", metavar="PROJECT", required=False)
@click.option(
    "--host",
    default="127.0.0.1",
    help="Address to listen on (0.0.0.0: every interface; put HTTPS in front).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000,
              help="Port to listen on.")  # fmt: skip
@click.option(
    "--demo",
    is_flag=True,
    help="Instead of PROJECT, a throwaway project (deleted on exit) with 200 records of a "
    "SYNERGY review and a demo lead and two reviewers, whose logins are printed.",
)
@count_option(
    "--analysis-jobs",
    default=1,
    help="Worker processes of an analysis run, which executes in a child process of the server "
    "(as 'metareview run --jobs'; more helps only on idle cores).",
)
@click.option(
    "--server-timing",
    is_flag=True,
    help="Add a Server-Timing header to every response: the time and processor time the "
    "server spent on it (for benchmarks; see benchmarks/README.md).",
)
def serve(
    project: str | None, host: str, port: int, demo: bool, analysis_jobs: int, server_timing: bool
) -> None:
    """Start the team workspace on PROJECT (a project file, created if missing, or a
    PostgreSQL URL). The first start on a project with no accounts prints a one-time setup
    link that creates the lead's account."""
    from metareview.store import Project
    from metareview.store.review import start_ranking

    if demo == bool(project):
        raise click.UsageError("give either PROJECT or --demo")
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    if demo:
        from metareview.web.demo import make_demo

        # uvicorn re-raises SIGTERM once it has shut down: leave by an exception instead, so
        # the throwaway folder is removed (Ctrl-C already does so)
        signal.signal(signal.SIGTERM, _leave)
        with tempfile.TemporaryDirectory(prefix="metareview-demo-") as folder:
            opened, logins = make_demo(Path(folder) / "demo.mrproj")
            echo(f"metareview demo workspace on {base} (throwaway project in {folder})")
            echo("200 records of a SYNERGY review (Oud 2018, CC0). Sign in as:")
            for name, role, password in logins:
                echo(f"    {role:<9} {name:<10} password {password}")
            _run(opened, host, port, analysis_jobs, server_timing)
        return
    opened = Project.open(project)
    started = start_ranking(opened, actor="metareview")
    link = setup_link(opened, base)
    echo(f"metareview workspace on {base} (project {opened.url.split('?')[0]})")
    if link:
        echo("No accounts yet. Open this link once to create the first (lead) account:")
        echo(f"    {link}")
    if started:
        echo(f"A new project: it ranks with {started} (the optional embedding model is installed).")
    _run(opened, host, port, analysis_jobs, server_timing)


def _leave(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _run(
    project, host: str, port: int, analysis_jobs: int = 1, server_timing: bool = False
) -> None:
    import uvicorn

    from metareview.web import create_app

    app = create_app(
        project, analysis_jobs=analysis_jobs, ranking_process=True, server_timing=server_timing
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
