"""``metareview analyze`` end to end on real files (ThirdWave) and a table with raw data."""

from __future__ import annotations

import json

import pytest

from metareview.cli import main


class Run:
    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def run_cli(capsys):
    """Run ``metareview`` in-process through its real entry point (exit code, stdout, stderr)."""

    def run(*args: str) -> Run:
        with pytest.raises(SystemExit) as exit_info:
            main(list(args))
        out = capsys.readouterr()
        return Run(exit_info.value.code, out.out, out.err)

    return run


THIRDWAVE_COLUMNS = ("--col", "study=Author", "--col", "yi=TE", "--col", "sei=seTE")


def test_json_document_has_the_documented_keys(shared_data, run_cli):
    path = str(shared_data / "dmetar" / "ThirdWave.csv")
    result = run_cli(
        "analyze", path, *THIRDWAVE_COLUMNS, "--preset", "meta", "--ci", "knha", "--json"
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [k for k in doc if k in {"k", "measure", "preset", "method", "ci_method"}] == [
        "k",
        "measure",
        "preset",
        "method",
        "ci_method",
    ]
    assert (doc["k"], doc["measure"], doc["preset"], doc["method"], doc["ci_method"]) == (
        18,
        None,
        "meta",
        "REML",
        "knha",
    )
    assert doc["random"]["df"] == 17
    assert round(doc["random"]["estimate"], 4) == 0.5771
    assert [round(x, 4) for x in doc["heterogeneity"]["tau2_ci"]] == [0.0295, 0.3533]
    assert doc["dropped"] == [] and doc["warnings"] == []
    assert doc["studies"][0]["study"] == "Call et al."


def test_summary_is_readable(shared_data, run_cli):
    path = str(shared_data / "dmetar" / "ThirdWave.csv")
    result = run_cli("analyze", path, *THIRDWAVE_COLUMNS, "--method", "DL", "--level", "0.9")
    assert result.returncode == 0, result.stderr
    assert "Random-Effects Model (k = 18; tau^2 estimator: DL" in result.stdout
    assert "Q(df = 17) = 45.5026" in result.stdout
    assert "90% prediction interval" in result.stdout


def test_raw_data_rows_that_cannot_be_estimated_are_listed(tmp_path, run_cli):
    path = tmp_path / "trials.csv"
    path.write_text(
        "study,event_arm1,totaln_arm1,event_arm2,totaln_arm2\n"
        "A,3,40,6,40\nB,0,10,0,10\nC,5,50,9,52\nD,2,30,7,31\n"
    )
    result = run_cli("analyze", str(path), "--measure", "OR", "--preset", "revman5", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["k"] == 3 and doc["measure"] == "OR"
    assert doc["dropped"] == [
        {"row": 3, "study": "B", "reason": pytest.approx(doc["dropped"][0]["reason"])}
    ]
    assert "no events in either arm" in doc["dropped"][0]["reason"]
    assert [s["row"] for s in doc["studies"]] == [2, 4, 5]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--method", "reml2"), "Invalid value for '--method'"),
        (("--ci", "hk"), "Invalid value for '--ci'"),
        (("--level", "95"), "must be between 0 and 1"),
    ],
)
def test_bad_options_exit_2_with_one_line(shared_data, run_cli, args, message):
    path = str(shared_data / "dmetar" / "ThirdWave.csv")
    result = run_cli("analyze", path, *THIRDWAVE_COLUMNS, *args)
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.count("\n") == 1
