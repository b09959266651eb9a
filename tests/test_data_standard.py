"""The data standard: real published tables validate; planted problems are all reported."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from metareview.data.table import load_table
from metareview.errors import DataError
from tests.test_cli_basics import run_cli

# Each real file with the mapping a user would give on the command line.
REAL_FILES = {
    "metapsy/depression.csv": (["precalc_g=g", "precalc_g_se=SE"], 411, {"precalc_g": 411}),
    "metapsy/suicide.csv": (
        [
            "precalc_g=Hedges' g ideation",
            "precalc_g_se=Standard Error Ideation",
            "precalc_log_rr=RR_attempts",
            "precalc_log_rr_se=SE_attempts",
        ],
        113,
        {"precalc_g": 73, "precalc_log_rr": 40},
    ),
    "dmetar/ThirdWave.csv": (["study=Author", "yi=TE", "sei=seTE"], 18, {"yi_sei": 18}),
    "dmetar/SuicidePrevention.csv": (
        [
            "study=author",
            "mean_arm1=mean.e",
            "sd_arm1=sd.e",
            "n_arm1=n.e",
            "mean_arm2=mean.c",
            "sd_arm2=sd.c",
            "n_arm2=n.c",
        ],
        9,
        {"means": 9},
    ),
    "dmetar/DepressionMortality.csv": (
        [
            "study=author",
            "event_arm1=event.e",
            "totaln_arm1=n.e",
            "event_arm2=event.c",
            "totaln_arm2=n.c",
        ],
        18,
        {"events": 18},
    ),
    "dmetar/Chernobyl.csv": (["study=author", "yi=z", "vi=var.z"], 33, {"yi_vi": 33}),
}


@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_real_files_validate_through_the_cli(shared_data, name):
    mapping, rows, groups = REAL_FILES[name]
    args = [arg for pair in mapping for arg in ("--col", pair)]
    result = run_cli("validate", str(shared_data / name), *args, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert report["rows"] == rows
    assert {group: len(found) for group, found in report["data_groups"].items()} == groups


def test_mapping_keeps_moderators_and_renames(shared_data):
    table = load_table(shared_data / "dmetar/ThirdWave.csv", ["study=Author", "yi=TE", "sei=seTE"])
    assert list(table.frame.index[:2]) == [2, 3]  # spreadsheet rows
    assert "RiskOfBias" in table.moderators
    assert table.frame.loc[2, "study"] == "Call et al."
    assert table.frame["yi"].dtype == float


PLANTED = """study,mean_arm1,sd_arm1,n_arm1,mean_arm2,sd_arm2,n_arm2,event_arm1,totaln_arm1,event_arm2,totaln_arm2
Alpha 2001,10.1,2.0,30,11.0,2.2,31,,,,
Beta 2002,9.8,-2.1,28,10.9,2.0,29,,,,
Gamma 2003,ten,2.0,40,11.2,2.3,41,,,,
Delta 2004,,,,,,,12,10,5,20
Epsilon 2005,10.0,2.1,1,10.5,2.0,25,,,,
Alpha 2001,10.1,2.0,30,11.0,2.2,31,,,,
"""


def test_five_planted_problems_are_all_named_with_row_and_column(tmp_path):
    path = tmp_path / "planted.csv"
    path.write_text(PLANTED)
    with pytest.raises(DataError) as caught:
        load_table(path)
    found = {(p.row, p.column) for p in caught.value.problems}
    assert found == {
        (3, "sd_arm1"),  # negative SD
        (4, "mean_arm1"),  # not a number
        (5, "event_arm1"),  # events > total
        (6, "n_arm1"),  # n < 2
        (7, None),  # duplicate of row 2
    }
    values = {p.row: p.value for p in caught.value.problems}
    assert values[3] == "-2.1" and values[4] == "ten" and values[6] == "1"
    assert "duplicate of row 2" in str(caught.value)


def test_planted_problems_through_the_cli_exit_2_and_name_all_five(tmp_path):
    path = tmp_path / "planted.csv"
    path.write_text(PLANTED)
    result = run_cli("validate", str(path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    for row in ("row 3", "row 4", "row 5", "row 6", "row 7"):
        assert row in result.stdout and row in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty file"),
        ("study,yi,vi\n", "at least one data row"),
        ("author,yi,vi\nA,1,0.1\n", "did you mean --col study=author?"),
        ("study,yi,vi,sd_am1\nA,1,0.1,3\n", "did you mean 'sd_arm1'?"),
        ("study,yi\nA,1\n", "a complete 'yi_vi' data group"),
        ("study,moderator\nA,x\n", "effect data: one complete data group"),
        ("study,yi,vi\nA,1,0.1,7\n", "3 fields as in the header"),
        ("study,study,yi,vi\nA,A,1,0.1\n", "each column name once"),
        ("study,yi,vi\nA,1,0\n", "a number > 0"),
    ],
)
def test_each_kind_of_problem_has_a_clear_message(tmp_path, text, expected):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError) as caught:
        load_table(path)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_unknown_mapping_target_suggests_the_header(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Author,TE,seTE\nA,0.1,0.2\n")
    with pytest.raises(DataError, match="did you mean 'seTE'"):
        load_table(path, {"study": "Author", "yi": "TE", "sei": "seTe2"})
    with pytest.raises(DataError, match="did you mean 'sei'"):
        load_table(path, {"study": "Author", "yi": "TE", "seii": "seTE"})


def test_encodings_delimiters_and_decimal_commas(tmp_path):
    text = "study;yi;sei;Land\nMüller 2010;0,25;0,1;Österreich\nBøe 2012;-0,1;0,2;Norge\n"
    for encoding in ("utf-8", "utf-8-sig", "latin-1"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        table = load_table(path)
        assert table.frame["yi"].tolist() == [0.25, -0.1]
        assert table.frame.loc[2, "study"] == "Müller 2010"
        assert table.frame.loc[3, "Land"] == "Norge"
    tsv = tmp_path / "t.tsv"
    tsv.write_text("study\tyi\tvi\nA\t1\t0.5\n")
    assert load_table(tsv).data_group == ("yi_vi",)


def test_xlsx_first_or_named_sheet_and_parquet(tmp_path):
    frame = pd.DataFrame({"study": ["A", "B"], "yi": [0.1, 0.2], "vi": [0.01, 0.02]})
    xlsx = tmp_path / "t.xlsx"
    with pd.ExcelWriter(xlsx) as writer:
        pd.DataFrame({"note": ["cover sheet"]}).to_excel(writer, sheet_name="About", index=False)
        frame.to_excel(writer, sheet_name="Data", index=False)
    assert load_table(xlsx, sheet="Data").n_rows == 2
    with pytest.raises(DataError, match="one of the sheets About, Data"):
        load_table(xlsx, sheet="Dta")
    with pytest.raises(DataError, match="a 'study' column"):
        load_table(xlsx)  # the first sheet is a cover sheet
    parquet = tmp_path / "t.parquet"
    frame.to_parquet(parquet)
    assert load_table(parquet).frame["vi"].tolist() == [0.01, 0.02]


def test_blank_lines_keep_spreadsheet_row_numbers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("study,yi,vi\nA,1,0.1\n\nB,x,0.1\n")
    with pytest.raises(DataError) as caught:
        load_table(path)
    assert [(p.row, p.column, p.value) for p in caught.value.problems] == [(4, "yi", "x")]


def test_unsupported_and_missing_files(tmp_path):
    with pytest.raises(DataError, match="an existing, readable file"):
        load_table(tmp_path / "none.csv")
    odd = tmp_path / "t.sav"
    odd.write_text("x")
    with pytest.raises(DataError, match=r"a \.csv, \.tsv"):
        load_table(odd)


def test_infinities_booleans_and_whitespace_in_numeric_cells():
    frame = pd.DataFrame(
        {"study": ["A", "B", "C", "D"], "yi": ["inf", True, " 0.5 ", "1e309"], "vi": [0.1] * 4}
    )
    with pytest.raises(DataError) as caught:
        load_table(frame)
    assert sorted((p.row, p.value) for p in caught.value.problems) == [
        (2, "inf"),
        (3, "True"),
        (5, "1e309"),
    ]
