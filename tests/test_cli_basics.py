"""The CLI shell: version, help, one-line errors with exit code 2."""

from __future__ import annotations

import subprocess
import sys

import metareview
from tests.conftest import REPO


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "metareview", *args], capture_output=True, text=True, env=env
    )


def test_version_is_printed():
    result = run_cli("--version")
    assert result.returncode == 0
    assert metareview.__version__ in result.stdout


def test_usage_error_is_one_line_and_exit_2():
    result = run_cli("validate")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "Missing argument" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_command_is_exit_2():
    result = run_cli("no-such-command")
    assert result.returncode == 2
    assert result.stderr.startswith("metareview: error:")


def test_commands_import_only_what_they_use():
    """`--version` and `validate` load no scipy, matplotlib, scikit-learn or SQLAlchemy: each
    subcommand's module is imported only when that subcommand runs."""
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "metareview", "--version"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert {"metareview.cli", "click"} <= imported
    assert not {"scipy", "matplotlib", "sklearn", "sqlalchemy", "pandas"} & imported


def test_a_level_given_in_percent_gets_a_hint():
    result = run_cli("analyze", "no-such-file.csv", "--level", "95")
    assert result.returncode == 2
    assert "for 95% give 0.95" in result.stderr
