"""The console never prints raw control characters from untrusted text (titles, study labels)."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from metareview.cli.console import printable
from metareview.records.record import Record
from metareview.store import Project
from metareview.store.review import vote
from tests.test_cli_e2e import run_cli
from tests.test_records_cli import run as run_records

ESCAPES = "\x1b[2J\x1b]0;pwned\x07\x9b31m\r\u202e"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")


def _cli(capsys, argv):
    code, out, err = run_cli(capsys, *argv)
    return code, out + err


def test_printable_keeps_text_and_layout():
    assert printable(f"Smith{ESCAPES} 2020\n\tnext") == "Smith[2J]0;pwned31m 2020\n\tnext"


@pytest.fixture
def hostile_table(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame(
        {
            "study": [f"Smith{ESCAPES} 2020", "Lee 2001", "Kim 2010", "Wu 2012"],
            "yi": [2.5, 0.1, 0.15, 0.05],  # Smith is an outlier: analyze names it
            "vi": [0.01, 0.02, 0.02, 0.03],
        }
    ).to_csv(path, index=False, quoting=csv.QUOTE_ALL)  # (a bare CR would end the row)
    return path


@pytest.mark.parametrize("command", ["effects", "analyze"])
def test_analysis_output_strips_control_characters(capsys, hostile_table, command):
    code, out = _cli(capsys, [command, str(hostile_table), "--measure", "SMD"])
    assert code == 0, out
    assert "Smith[2J]0;pwned31m" in out  # (pandas shows the CR as the text \r)
    assert not CONTROL.findall(out)


def test_error_line_strips_control_characters(capsys, tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"study": ["A"], "yi": [f"1{ESCAPES}"], "vi": [0.1]}).to_csv(path, index=False)
    code, out = _cli(
        capsys, ["analyze", str(path), "--measure", "SMD", "--col", f"study{ESCAPES}=study"]
    )
    assert code == 2 and out.startswith("metareview: error:")
    assert not CONTROL.findall(out)


def test_records_conflicts_strips_control_characters(tmp_path):
    url = str(tmp_path / "p.mrproj")
    with Project.open(url) as project:
        project.add_import("s.ris", [Record(title=f"Trial{ESCAPES} of sleep")], actor="ana")
        vote(project, 1, reviewer="ana", stage="ta", decision="include")
        vote(project, 1, reviewer="ben", stage="ta", decision="exclude")
    out = run_records("conflicts", url).stdout
    assert "Trial[2J]0;pwned31m of sleep" in out and not CONTROL.findall(out)
