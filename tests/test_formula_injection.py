"""No CSV or XLSX that metareview writes carries a live formula (OWASP's CSV injection advice)."""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest

from metareview.cli import main
from metareview.data.spreadsheet import FORMULA_STARTS, neutralise, safe_frame
from metareview.plan.plan import load_plan
from metareview.plan.runner import run_plan
from metareview.report.tables import write_tables
from metareview.store import Project
from metareview.store.review import vote
from tests.test_records_cli import run as run_records

HOSTILE = ['=HYPERLINK("http://evil.example","click")', "@SUM(A1:A2)", "+1+cmd|' /C calc'!A0",
           "-2+3", "\t=1", "\r=1"]  # fmt: skip


def _run(capsys, argv):
    with pytest.raises(SystemExit) as done:
        main(argv)
    captured = capsys.readouterr()
    assert done.value.code == 0, captured.err
    return captured.out


def _csv_cells(path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def _assert_no_formula_text(cells) -> None:
    live = [c for c in cells if isinstance(c, str) and c.startswith(FORMULA_STARTS)]
    live = [c for c in live if neutralise(c) != c]  # plain numbers such as -0.5 may stay
    assert not live, f"cells a spreadsheet would run: {live}"


def _xlsx_cells(path):
    book = openpyxl.load_workbook(path)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def test_neutralise_prefixes_text_and_keeps_numbers():
    assert [neutralise(v) for v in HOSTILE] == ["'" + v for v in HOSTILE]
    assert [neutralise(v) for v in (-1.5, "-1.5", "+2", "-3e-4", None, "Lee-Smith")] == [
        -1.5, "-1.5", "+2", "-3e-4", None, "Lee-Smith"]  # fmt: skip
    frame = safe_frame(pd.DataFrame({"=x": ["-a", "b"], "y": [-1, 2]}))
    assert list(frame.columns) == ["'=x", "y"] and frame["y"].tolist() == [-1, 2]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx"])
def test_effects_output_has_no_live_formula(tmp_path, capsys, suffix):
    table = tmp_path / "trials.csv"
    pd.DataFrame(
        {"study": HOSTILE, "yi": [-0.5, -0.2, 0.1, 0.3, -0.1, 0.2], "vi": [0.04] * 6}
    ).to_csv(table, index=False)
    out = tmp_path / f"effects{suffix}"
    _run(capsys, ["effects", str(table), "--measure", "SMD", "-o", str(out)])
    if suffix == ".xlsx":
        cells = _xlsx_cells(out)
        assert not [c.value for c in cells if c.data_type == "f"]
        _assert_no_formula_text(c.value for c in cells)
        yi = [c.value for c in cells if c.column_letter == "C"][1:]
        assert yi[0] == -0.5 and all(isinstance(v, float) for v in yi)  # numbers stay numbers
        assert [c.value for c in cells if c.column_letter == "B"][1] == "'" + HOSTILE[0]
    else:
        with open(out, newline="", encoding="utf-8") as handle:
            cells = [c for row in csv.reader(handle, delimiter="\t" if suffix == ".tsv" else ",")
                     for c in row]  # fmt: skip
        _assert_no_formula_text(cells)
        assert "-0.5" in cells and "'" + HOSTILE[0] in cells


def test_records_export_csv_has_no_live_formula(tmp_path):
    ris = tmp_path / "s.ris"
    ris.write_text(
        "".join(f"TY  - JOUR\nTI  - {title}\nAU  - @Smith\nER  - \n\n" for title in HOSTILE[:4])
    )
    project = str(tmp_path / "p.mrproj")
    run_records("import", project, str(ris))
    run_records("settings", project, "--reviewers-required", "1")
    with Project.open(project) as opened:
        for record_id in range(1, 5):
            vote(opened, record_id, reviewer="lead", stage="ta", decision="include")
    out = tmp_path / "included.csv"
    assert (
        "wrote 4 records" in run_records("export", project, "-o", str(out), "--stage", "ta").stdout
    )
    cells = _csv_cells(out)
    _assert_no_formula_text(cells)
    assert "'" + HOSTILE[0] in cells and "'@Smith" in cells


def test_rob_outputs_have_no_live_formula(tmp_path, capsys):
    table = tmp_path / "rob.csv"
    pd.DataFrame(
        {"Study": HOSTILE[:3], "D1": ["Low", "High", "Some concerns"],
         "D2": ["Low", "Low", "High"], "Overall": ["Low", "High", "High"]}
    ).to_csv(table, index=False)  # fmt: skip
    out = tmp_path / "out"
    _run(capsys, ["rob", str(table), "-o", str(out), "--format", "svg"])
    for name in ("judgements.csv", "robvis.csv"):
        cells = _csv_cells(out / name)
        _assert_no_formula_text(cells)
        assert "'" + HOSTILE[0] in cells


def test_report_tables_have_no_live_formula(tmp_path):
    pd.DataFrame(
        {"study": list("ABCDEF"), "yi": [-0.5, -0.2, 0.1, 0.3, -0.1, 0.2], "vi": [0.04] * 6,
         "setting": ["=1+1"] * 3 + ["@home"] * 3}
    ).to_csv(tmp_path / "t.csv", index=False)  # fmt: skip
    (tmp_path / "plan.toml").write_text(
        'title = "T"\n[data]\nfile = "t.csv"\n[analyses]\nsubgroups = ["setting"]\n'
        '[[analysis]]\nname = "=cmd|calc"\nfilter = {}\n'
    )
    written = write_tables(run_plan(load_plan(tmp_path / "plan.toml"), jobs=1), tmp_path / "tables")
    for path in written:
        if path.suffix == ".xlsx":
            cells = _xlsx_cells(path)
            assert not [c.value for c in cells if c.data_type == "f"]
            _assert_no_formula_text(c.value for c in cells)
        else:
            _assert_no_formula_text(_csv_cells(path))
