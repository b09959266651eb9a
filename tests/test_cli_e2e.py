"""End to end: the ``metareview`` command on real files, as a review team uses it.

Each test runs the CLI in-process (``metareview.cli.main``) and checks what a user sees: the
exit code, one ``metareview: error: …`` line for bad input, JSON that parses, sane numbers.
"""

from __future__ import annotations

import json
import re

import pytest

from metareview.cli import main
from tests.conftest import REPO


def run_cli(capsys, *argv):
    """Run ``metareview argv…``; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as done:
        main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return done.value.code, out, err


def assert_one_error_line(code, err, *fragments, exit_code=2):
    """Bad input: exit code 2 (or 1), one stderr line naming what was wrong, no traceback."""
    assert code == exit_code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("metareview: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_docs_have_no_merge_conflict_markers():
    for path in (REPO / "docs").glob("*.md"):
        text = path.read_text()
        assert not re.search(r"^(<{7}|>{7}|={7})( |$)", text, re.M), path.name
