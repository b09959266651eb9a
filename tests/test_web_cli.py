"""``metareview serve`` and ``metareview users``: the workspace from the shell."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout

import httpx
import pytest

from metareview.cli import main
from metareview.store.accounts import authenticate, find_account
from metareview.store.project import Project
from tests.conftest import REPO
from tests.web_server import free_port, wait_until_serving

PASSWORD = "a long enough passphrase"


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """The CLI in this process (``stdin``: what standard input holds)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main(list(args))
    except SystemExit as done:
        code = done.code or 0
    finally:
        sys.stdin = saved
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def test_users_add_list_disable_reset(tmp_path):
    project = str(tmp_path / "review.mrproj")
    Project.open(project).close()
    added = run(
        "users",
        "add",
        project,
        "ana",
        "--role",
        "lead",
        "--admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    weak = run("users", "add", project, "ben", "--password-stdin", stdin="password123\n")
    assert weak.returncode == 2
    assert weak.stderr.strip() == (
        "metareview: error: that password is on the list of common passwords; choose another"
    )
    short = run("users", "add", project, "ben", "--password-stdin", stdin="short\n")
    assert "at least 8 characters" in short.stderr and short.returncode == 2
    assert (
        run("users", "add", project, "ben", "--password-stdin", stdin=PASSWORD + "!\n").returncode
        == 0
    )
    again = run("users", "add", project, "ben", "--password-stdin", stdin=PASSWORD + "\n")
    assert "already exists" in again.stderr
    listed = json.loads(run("users", "list", project, "--json").stdout)
    assert [(a["username"], a["role"], a["is_admin"]) for a in listed] == [
        ("ana", "lead", True),
        ("ben", "reviewer", False),
    ]
    assert run("users", "disable", project, "ben").returncode == 0
    with Project.open(project) as opened:
        assert find_account(opened, "ben").disabled
    assert "disabled" in run("users", "list", project).stdout
    assert run("users", "disable", project, "ben", "--enable").returncode == 0
    reset = run("users", "reset", project, "ben", "--password-stdin", stdin="new passphrase 42\n")
    assert reset.returncode == 0, reset.stderr
    with Project.open(project) as opened:
        assert authenticate(opened, "ben", "new passphrase 42", client="cli").username == "ben"
    missing = run("users", "reset", project, "nobody", "--password-stdin", stdin=PASSWORD + "\n")
    assert missing.stderr.strip() == "metareview: error: no account named 'nobody'"


@pytest.fixture
def server(tmp_path):
    """``metareview serve`` on a new project and a free port; yields (base URL, first line
    of output with the setup link)."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "metareview",
            "serve",
            str(tmp_path / "new.mrproj"),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
    )
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base)
        yield base, "".join(lines)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_prints_a_one_time_setup_link_that_creates_the_lead(server):
    base, output = server
    assert f"metareview workspace on {base}" in output
    link = re.search(r"(http://\S+/join\?token=\S+)", output).group(1)
    with httpx.Client(base_url=base) as client:
        form = client.get(link)
        assert form.status_code == 200 and "invited as <strong>lead</strong>" in form.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        data = {
            "csrf_token": token,
            "token": link.split("token=")[1],
            "username": "ana",
            "password": PASSWORD,
            "password_again": PASSWORD,
        }
        created = client.post("/join", data=data)
        assert created.status_code == 303 and created.headers["location"] == "/"
        assert client.get("/dashboard").status_code == 200
    with httpx.Client(base_url=base) as other:
        assert other.get(link).status_code == 404  # single use


def test_serve_starts_a_new_project_with_the_ranking_model_of_this_install(server, tmp_path):
    """Where the extra is installed (as in CI) a new project ranks with minilm, otherwise
    with svm: written into its settings, it stays wherever the project is opened."""
    from metareview.records.embeddings import extra_installed
    from metareview.store.review import screening_config

    with Project.open(tmp_path / "new.mrproj", create=False) as opened:
        model = screening_config(opened).ranking_model
    assert model == ("minilm" if extra_installed() else "svm")


def test_serve_demo_opens_a_throwaway_project_with_the_demo_team(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "metareview", "serve", "--demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path)},
    )
    try:
        output = "".join(process.stdout.readline() for _ in range(5))
        folder = re.search(r"throwaway project in (\S+)\)", output).group(1)
        logins = dict(re.findall(r"(demo-\w+)\s+password (\S+)", output))
        assert set(logins) == {"demo-lead", "demo-ana", "demo-ben"}, output
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base)
        with httpx.Client(base_url=base) as client:
            form = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            data = {"username": "demo-ana", "password": logins["demo-ana"], "csrf_token": token}
            assert client.post("/login", data=data).status_code == 303
            card = client.get("/screen?stage=ta").text
            assert "of 200 screened" in card and 'name="record_id"' in card
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert not (tmp_path / folder).exists()  # thrown away on exit
    usage = run("serve")
    assert usage.returncode == 2 and "give either PROJECT or --demo" in usage.stderr


def test_the_role_choices_of_users_are_the_store_roles():
    """``metareview users add --role`` lists the roles literally (so ``users --help`` loads no
    store); they must stay the store's roles."""
    from metareview.cli.users import ROLES
    from metareview.store.accounts import Role

    assert list(ROLES.choices) == [role.value for role in Role]
