"""Progress of the CLI's long steps on stderr: a bar at a terminal, cleared when done; plain
lines without control characters anywhere else; nothing with ``--json`` (quiet)."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stderr

from rich.console import Console

from metareview.cli import progress
from metareview.cli.progress import progress_bar

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _reported(label: str, steps, total: int, **options) -> str:
    err = io.StringIO()
    with redirect_stderr(err), progress_bar(label, **options) as report:
        for done in steps:
            report(done, total)
    return err.getvalue()


def test_off_a_terminal_it_prints_the_start_each_tenth_and_the_end():
    shown = _reported("embedding", range(0, 1001, 64), 1000)  # 0, 64, …, 960 (no 1000)
    lines = shown.splitlines()
    assert lines[0] == "embedding: 0 of 1000" and lines[-1] == "embedding: 960 of 1000"
    assert len(lines) == 10 and not CONTROL.search(shown.replace("\n", ""))
    assert _reported("embedding", [0, 5, 5], 5).splitlines() == [
        "embedding: 0 of 5",
        "embedding: 5 of 5",
    ]
    assert _reported("embedding", [0], 0) == "embedding: 0 of 0\n"


def test_a_label_from_the_data_cannot_take_over_the_terminal():
    assert _reported("embedding \x1b[2J[bold]x[/bold]", [0], 1) == (
        "embedding [2J[bold]x[/bold]: 0 of 1\n"
    )


def test_quiet_shows_nothing():
    assert _reported("embedding", [0, 50, 100], 100, quiet=True) == ""


def test_at_a_terminal_it_draws_a_bar_and_clears_it(monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr(
        progress,
        "Console",
        lambda stderr, quiet: Console(file=screen, force_terminal=True, width=60, quiet=quiet),
    )
    assert _reported("embedding", [0, 50, 100], 100) == ""  # no plain lines
    drawn = screen.getvalue()
    assert "embedding" in drawn and "100/100" in drawn and "\x1b[" in drawn
    assert drawn.endswith("\x1b[1A\x1b[2K")  # cleared when done: up a line, erased
    screen.truncate(0)
    assert _reported("embedding", [0, 100], 100, quiet=True) == "" and screen.getvalue() == ""
