"""Opt-in "drop and list" for rows without usable effect data (``--drop-incomplete``,
plan ``data.drop_incomplete``): by default such a row rejects the table; with the option it is
left out, counted and listed with what it lacks in every result, the CLI and the report."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metareview.data.effects import compute_effects, not_estimable_rows
from metareview.data.table import load_table
from metareview.errors import DataError
from metareview.plan.analysis import AnalysisSettings, analyze
from metareview.plan.plan import load_plan
from metareview.plan.runner import run_plan
from tests.test_cli_e2e import run_cli

PARTIAL = "no complete data group: 'yi_sei' has yi but lacks sei"
EMPTY = "no effect data (no column of any data group filled in)"


@pytest.fixture
def third_wave(shared_data) -> pd.DataFrame:
    """dmetar's ThirdWave with the SE of row 4 and the whole effect of row 7 left blank."""
    frame = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv")
    frame = frame.rename(columns={"Author": "study", "TE": "yi", "seTE": "sei"})
    frame.loc[2, "sei"] = np.nan
    frame.loc[5, ["yi", "sei"]] = np.nan
    return frame


def _expected_dropped(frame: pd.DataFrame) -> list[dict]:
    return [
        {"row": 4, "study": frame.loc[2, "study"], "reason": PARTIAL},
        {"row": 7, "study": frame.loc[5, "study"], "reason": EMPTY},
    ]


def _run(capsys, argv):
    return run_cli(capsys, *argv)


def test_by_default_a_row_without_effect_data_rejects_the_table(third_wave):
    with pytest.raises(DataError) as error:
        load_table(third_wave)
    assert [(p.row, p.column) for p in error.value.problems] == [(4, "sei"), (7, None)]


def test_the_table_lists_what_each_dropped_row_lacks(third_wave):
    table = load_table(third_wave, drop_incomplete=True)
    assert table.n_rows == 18 and table.incomplete == {4: PARTIAL, 7: EMPTY}
    assert table.to_dict()["dropped"] == _expected_dropped(third_wave)
    assert "dropped 2 row(s) without usable effect data:\n    row 4 (" in table.summary()


def test_bad_values_are_errors_even_when_dropping(third_wave):
    third_wave.loc[2, "sei"] = -0.1
    with pytest.raises(DataError, match=r"row 4, column 'sei': got '-0.1', expected a number > 0"):
        load_table(third_wave, drop_incomplete=True)


def test_dropped_rows_are_not_estimable_and_left_out_of_the_pooling(third_wave):
    effects = compute_effects(third_wave, "SMD", drop_incomplete=True)
    assert not_estimable_rows(effects) == _expected_dropped(third_wave)
    result = analyze(third_wave, AnalysisSettings(measure="SMD", drop_incomplete=True))
    assert [d.to_dict() for d in result.dropped] == _expected_dropped(third_wave)
    complete = analyze(third_wave.drop(index=[2, 5]), AnalysisSettings(measure="SMD"))
    assert result.k == complete.k == 16
    assert result.pooled.random.estimate == complete.pooled.random.estimate


@pytest.mark.parametrize(
    "command",
    [
        ["validate"],
        ["effects", "--measure", "SMD"],
        ["analyze"],
        ["grade", "--rob-column", "RiskOfBias"],
        ["metareg", "--mods", "InterventionDuration"],
        ["gosh", "--subsets", "200"],
    ],
    ids=str,
)
def test_cli_commands_list_the_dropped_rows_in_json_and_text(command, third_wave, tmp_path, capsys):
    path = tmp_path / "thirdwave.csv"
    third_wave.to_csv(path, index=False)
    code, _, err = _run(capsys, [*command, str(path)])
    assert code == 2 and "row 4, column 'sei'" in err
    code, out, err = _run(capsys, [*command, str(path), "--drop-incomplete", "--json"])
    assert code == 0, err
    assert json.loads(out)["dropped"] == _expected_dropped(third_wave)
    code, out, _ = _run(capsys, [*command, str(path), "--drop-incomplete"])
    assert code == 0 and PARTIAL in out and EMPTY in out


def _plan(tmp_path: Path, frame: pd.DataFrame, data_keys: str = "") -> Path:
    frame.to_csv(tmp_path / "thirdwave.csv", index=False)
    plan = tmp_path / "plan.toml"
    plan.write_text(
        f'title = "Third wave"\n[data]\nfile = "thirdwave.csv"\n{data_keys}'
        '[[analysis]]\nname = "Perceived stress"\nfilter = {}\n'
    )
    return plan


def test_plan_key_drops_and_lists_the_rows_in_the_results(third_wave, tmp_path):
    with pytest.raises(DataError):
        run_plan(load_plan(_plan(tmp_path, third_wave)), jobs=1)
    results = run_plan(load_plan(_plan(tmp_path, third_wave, "drop_incomplete = true\n")), jobs=1)
    assert list(results.dropped) == _expected_dropped(third_wave)
    assert results["perceived-stress/all-time-points"].k == 16


def test_run_flag_lists_the_rows_on_the_console_in_results_json_and_report(
    third_wave, tmp_path, capsys
):
    out_dir = tmp_path / "out"
    argv = ["run", str(_plan(tmp_path, third_wave)), "-o", str(out_dir), "--jobs", "1"]
    code, _, err = _run(capsys, [*argv, "--drop-incomplete"])
    assert code == 0, err
    assert "2 row(s) without an effect size left out:" in err and PARTIAL in err
    results = json.loads((out_dir / "results.json").read_text())
    assert [d["row"] for d in results["dropped"]] == [4, 7]
    report = html.unescape((out_dir / "report" / "index.html").read_text())
    dropped_section = report[report.index('<section id="dropped">') :]
    assert PARTIAL in dropped_section and EMPTY in dropped_section


def test_grade_of_a_plan_drops_and_lists_the_rows(third_wave, tmp_path, capsys):
    plan = str(_plan(tmp_path, third_wave))
    code, _, err = _run(capsys, ["grade", plan])
    assert code == 2 and "row 4, column 'sei'" in err
    code, out, err = _run(capsys, ["grade", plan, "--drop-incomplete", "--json"])
    assert code == 0, err
    document = json.loads(out)
    assert document["dropped"] == _expected_dropped(third_wave)
    assert document["outcomes"][0]["k"] == 16
