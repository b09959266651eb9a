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


def third_wave(shared_data):
    return [shared_data / "dmetar" / "ThirdWave.csv", "--col", "study=Author", "--col", "yi=TE"]


def test_thirdwave_meta_knha_matches_the_book(capsys, shared_data):
    """Harrer et al., Doing Meta-Analysis in R, ch. 4: g = 0.58 [0.38; 0.78] (meta, HK)."""
    argv = [*third_wave(shared_data), "--col", "sei=seTE", "--preset", "meta", "--ci", "knha"]
    code, out, err = run_cli(capsys, "analyze", *argv, "--json")
    assert code == 0, err
    random = json.loads(out)["random"]
    assert [round(random[k], 4) for k in ("estimate", "ci_lower", "ci_upper")] == [
        0.5771,
        0.3782,
        0.7760,
    ]


def test_effects_of_precomputed_yi_without_measure_is_a_usage_error(capsys, shared_data):
    code, _, err = run_cli(capsys, "effects", *third_wave(shared_data), "--col", "sei=seTE")
    assert_one_error_line(code, err, "ThirdWave.csv", "--measure")


@pytest.mark.parametrize(
    ("command", "output", "expected"),
    [
        ("effects", "out.json", "ending in .csv"),
        ("effects", "no-such-folder/out.csv", "existing folder"),
        ("gosh", "out.csv", "ending in .parquet"),
    ],
)
def test_output_file_is_checked_before_any_work(
    capsys, shared_data, tmp_path, command, output, expected
):
    argv = [*third_wave(shared_data), "--col", "sei=seTE", "--measure", "SMD"]
    code, _, err = run_cli(capsys, command, *argv, "-o", tmp_path / output)
    assert_one_error_line(code, err, "--output", expected)
    assert not (tmp_path / output).exists()


def test_many_problems_stay_one_readable_line(capsys, shared_data):
    depression = shared_data / "metapsy" / "depression.csv"
    argv = [depression, "--col", "yi=target_group", "--col", "sei=SE"]
    code, _, err = run_cli(capsys, "analyze", *argv)
    assert_one_error_line(code, err, "row 2, column 'target_group'", "got 'Adults'", "406 more")
    assert len(err) < 1000
