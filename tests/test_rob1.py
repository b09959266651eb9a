"""RoB 1, modified tools from TOML, the AHRQ conversion and the robvis format.

RoB 1: Higgins et al., BMJ 2011;343:d5928, and Cochrane Handbook 5.1.0 Table 8.7.a (summary
across domains). AHRQ thresholds: the wording in docs/risk-of-bias.md, which could not be
checked against a stored copy of its source (see the caveat there).
"""

from __future__ import annotations

import pandas as pd
import pytest

from metareview.errors import DataError, PlanError
from metareview.rob.rob1 import (
    ROB1,
    AhrqThresholds,
    Domain,
    Rob1Tool,
    ahrq_rating,
    assess_rob1,
    assess_rob1_table,
    load_tool,
)
from metareview.rob.table import RobTable
from metareview.rob.vocabulary import Judgement

L, U, H, NI = Judgement.LOW, Judgement.UNCLEAR, Judgement.HIGH, Judgement.NO_INFORMATION


@pytest.mark.parametrize(
    ("levels", "likely", "expected"),
    [
        ([L] * 7, None, "good"),
        ([L] * 6 + [U], None, "fair"),
        ([L] * 5 + [U, U], None, "fair"),
        ([L] * 5 + [U, U], True, "poor"),
        ([L] * 6 + [H], False, "fair"),
        ([L] * 6 + [H], True, "poor"),
        ([L] * 5 + [H, U], False, "poor"),
        ([L] * 5 + [H, H], None, "poor"),
        ([L] * 4 + [U, U, U], False, "poor"),
        ([L] * 6 + [NI], None, "fair"),
    ],
)
def test_ahrq_thresholds(levels, likely, expected):
    result = ahrq_rating(levels, likely_biased=likely)
    assert result.rating == expected
    assert ("assumed" in result.rule) == (likely is None and expected == "fair")


@pytest.mark.parametrize(
    ("levels", "thresholds", "expected"),
    [
        ([L] * 5 + [U, U], AhrqThresholds(fair_max_unclear=1), "poor"),
        ([L] * 6 + [U], AhrqThresholds(fair_max_unclear=1), "fair"),
        ([L] * 5 + [H, H], AhrqThresholds(fair_max_high=2), "fair"),
        ([L] * 5 + [H, U], AhrqThresholds(fair_max_high=2, fair_max_unclear=3), "poor"),
        ([L] * 6 + [H], AhrqThresholds(fair_max_high=0), "poor"),
        ([L] * 7, AhrqThresholds(fair_max_high=0, fair_max_unclear=0), "good"),
    ],
)
def test_a_review_sets_its_own_ahrq_thresholds(levels, thresholds, expected):
    result = ahrq_rating(levels, likely_biased=False, thresholds=thresholds)
    assert result.rating == expected
    if expected == "poor":
        assert thresholds.describe() in result.rule


def test_ahrq_thresholds_come_from_the_tool_file(tmp_path):
    path = tmp_path / "strict.toml"
    path.write_text('base = "rob1"\n[ahrq]\nfair_max_unclear = 1\n')
    tool = load_tool(path)
    assert tool.ahrq == AhrqThresholds(fair_max_high=1, fair_max_unclear=1)
    values = {d.key: "Low" for d in ROB1.domains} | {
        "other_bias": "Unclear",
        "blinding_outcome": "Unclear",
    }
    assert assess_rob1(values, tool, likely_biased=False).ahrq.rating == "poor"
    assert assess_rob1(values, ROB1, likely_biased=False).ahrq.rating == "fair"
    path.write_text('base = "rob1"\n[ahrq]\nfair_max_unclear = -1\n')
    with pytest.raises(
        PlanError,
        match=r"strict.toml: \[ahrq\] fair_max_unclear must be a whole number >= 0; got -1",
    ):
        load_tool(path)
    path.write_text('base = "rob1"\n[ahrq]\nfair_max = 1\n')
    with pytest.raises(PlanError, match=r"\[ahrq\] takes only"):
        load_tool(path)


def test_overall_follows_key_domains():
    tool = Rob1Tool(
        "keys", ROB1.domains, key_domains=("sequence_generation", "allocation_concealment")
    )
    values = {d.key: "Low" for d in ROB1.domains} | {"other_bias": "High"}
    assert assess_rob1(values, tool).overall == L
    assert assess_rob1(values, ROB1).overall == H
    assert assess_rob1(values | {"other_bias": "Unclear"}, ROB1).overall == U
    with pytest.raises(ValueError, match="Low, Unclear or High"):
        assess_rob1(values | {"other_bias": "Some concerns"}, ROB1)


def test_tool_files_are_checked(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "rob1"\nremove = ["blinding"]\n')
    with pytest.raises(PlanError, match=r"remove names unknown domain\(s\) \['blinding'\]"):
        load_tool(bad)
    bad.write_text('name = "x"\ncolour = "red"\n')
    with pytest.raises(PlanError, match="unknown key"):
        load_tool(bad)
    bad.write_text('name = "x"\n')
    with pytest.raises(PlanError, match="has no domains"):
        load_tool(bad)
    bad.write_text("[[domain]]\nkey = 'a'\nname = 'A'\n[[domain]]\nkey = 'a'\nname = 'B'\n")
    with pytest.raises(PlanError, match="twice"):
        load_tool(bad)
    with pytest.raises(PlanError, match="no such tool file"):
        load_tool(tmp_path / "missing.toml")
    with pytest.raises(PlanError, match="not domains"):
        Rob1Tool("x", (Domain("a", "A"),), key_domains=("b",))


def test_table_problems_name_row_and_column():
    frame = pd.DataFrame(
        [
            {"study": "A", **{d.key: "Low" for d in ROB1.domains}, "ahrq_likely_biased": "perhaps"},
            {"study": "B", **{d.key: "Low" for d in ROB1.domains}, "other_bias": "bad"},
        ]
    )
    with pytest.raises(DataError) as info:
        assess_rob1_table(frame, source="r.csv")
    text = str(info.value)
    assert "r.csv, row 2, column 'ahrq_likely_biased'" in text
    assert "r.csv, row 3, column 'other_bias'" in text


def test_robvis_round_trip_and_bad_cells(tmp_path):
    table = RobTable(
        "RoB 2",
        ("D1", "D2"),
        ("Randomization", "Deviations"),
        ("A", "B"),
        ((L, H), (Judgement.SOME_CONCERNS, NI)),
        (H, Judgement.SOME_CONCERNS),
        (60.0, 40.0),
    )
    path = table.to_robvis_csv(tmp_path / "robvis.csv")
    assert path.read_text().splitlines()[0] == "Study,D1,D2,Overall,Weight"
    again = RobTable.from_robvis(path, tool="RoB 2", domain_names=("Randomization", "Deviations"))
    assert again == table
    path.write_text("Study,D1,Overall,Weight\nA,Low,Low,1\nB,Medium,Low,-2\n")
    with pytest.raises(DataError) as info:
        RobTable.from_robvis(path)
    text = str(info.value)
    assert "row 3, column 'D1': got 'Medium'" in text and "row 3, column 'Weight': got '-2'" in text


def test_from_columns_recodes_and_reports_missing_columns():
    frame = pd.DataFrame(
        {"Study": ["A", "B"], "sg": [1, 0.5], "ov": ["High risk", None]}, index=[2, 3]
    )
    table = RobTable.from_columns(
        frame,
        study="Study",
        domains={"Sequence": "sg"},
        overall="ov",
        recode={1: "Low", 0.5: "Unclear"},
    )
    assert table.judgements == ((L,), (U,)) and table.overall == (H, NI)
    with pytest.raises(DataError, match="column 'ac'"):
        RobTable.from_columns(frame, study="Study", domains={"AC": "ac"}, overall="ov")
