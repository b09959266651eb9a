"""``metareview rob``: RoB 2 answers, extraction-table judgements, RoB 1 and modified tools."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import pandas as pd

from metareview.rob.table import RobTable
from tests.test_cli_e2e import run_cli

LOW_ANSWERS = {
    "q1_1": "Y", "q1_2": "Y", "q1_3": "N", "q2_1": "N", "q2_2": "N", "q2_6": "Y", "q3_1": "Y",
    "q4_1": "N", "q4_2": "N", "q4_3": "N", "q5_1": "Y", "q5_2": "N", "q5_3": "N",
}  # fmt: skip


def run(args, capsys):
    return run_cli(capsys, *args)


def test_rob2_answers_to_judgements_and_figures(tmp_path, capsys):
    rows = [
        {"study": "Low 2020", **LOW_ANSWERS},
        {"study": "Concealment NI 2019", **LOW_ANSWERS, "q1_2": "NI", "q1_3": "PN"},
        {"study": "Open label 2018", **LOW_ANSWERS, "q2_1": "Y", "q2_2": "Y", "q2_3": "Y",
         "q2_4": "PY", "q2_5": "N", "q2_6": "N", "q2_7": "Y"},
    ]  # fmt: skip
    table = tmp_path / "answers.csv"
    pd.DataFrame(rows).to_csv(table, index=False)
    code, out, _ = run(["rob", str(table), "-o", str(tmp_path / "out"), "--format", "svg"], capsys)
    assert code == 0, out
    judged = pd.read_csv(tmp_path / "out" / "judgements.csv")
    assert list(judged.columns) == ["study", "d1", "d2", "d3", "d4", "d5", "overall"]
    assert judged["d1"].tolist() == ["Low", "Some concerns", "Low"]
    assert judged["d2"].tolist() == ["Low", "Low", "High"]
    assert judged["overall"].tolist() == ["Low", "Some concerns", "High"]
    details = pd.read_csv(tmp_path / "out" / "details.csv")
    assert "1.2 = NI → 1.3 = PN ⇒ Some concerns" in details["rule"].tolist()
    for name in ("traffic_light.svg", "summary.svg", "robvis.csv"):
        assert (tmp_path / "out" / name).is_file()
    robvis = RobTable.from_robvis(tmp_path / "out" / "robvis.csv", tool="RoB 2")
    assert [j.value for j in robvis.overall] == ["Low", "Some concerns", "High"]


def test_rob2_missing_answer_is_one_line_naming_row_and_column(tmp_path, capsys):
    table = tmp_path / "answers.csv"
    pd.DataFrame([{"study": "A", **LOW_ANSWERS, "q1_2": "NI", "q1_3": ""}]).to_csv(
        table, index=False
    )
    code, _, err = run(["rob", str(table), "-o", str(tmp_path / "out")], capsys)
    assert code == 2
    assert err.count("\n") == 1
    assert (
        "answers.csv, row 2, column 'q1_3': expected an answer Y/PY/PN/N/NI to 1.3 (1.2 is NI)"
        in err
    )


def test_extraction_table_judgements_one_row_per_study(tmp_path, capsys):
    table = tmp_path / "extraction.csv"
    pd.DataFrame(
        {
            "study": ["A", "A", "B"],
            "yi": [0.1, 0.2, 0.3],
            "n": [40, 40, 60],
            "rob_d1": ["Low", "Low", "High"],
            "rob_d2": ["Low", "Low", "Some concerns"],
            "rob_d3": ["Low"] * 3,
            "rob_d4": ["Low"] * 3,
            "rob_d5": ["Low"] * 3,
            "rob_overall": ["Low", "Low", "High"],
        }
    ).to_csv(table, index=False)
    code, out, _ = run(
        ["rob", str(table), "-o", str(tmp_path / "o"), "--weight", "n", "--json"], capsys
    )
    assert code == 0
    judged = pd.read_csv(tmp_path / "o" / "judgements.csv")
    assert judged["study"].tolist() == ["A", "B"] and judged["overall"].tolist() == ["Low", "High"]
    assert (tmp_path / "o" / "summary_weighted.png").is_file()
    assert '"studies": 2' in out


def test_extraction_table_with_disagreeing_rows_is_an_error(tmp_path, capsys):
    table = tmp_path / "extraction.csv"
    pd.DataFrame(
        {"study": ["A", "A"], "rob_d1": ["Low", "High"], "rob_overall": ["Low", "High"]}
    ).to_csv(table, index=False)
    code, _, err = run(["rob", str(table), "-o", str(tmp_path / "o")], capsys)
    assert code == 2 and "row 2, column 'rob_d1'" in err and "rows 2, 3" in err


def test_rob1_and_a_modified_tool_with_ahrq(tmp_path, capsys):
    keys = [
        "sequence_generation",
        "allocation_concealment",
        "blinding_outcome",
        "incomplete_outcome",
        "selective_reporting",
        "other_bias",
        "power",
        "itt",
    ]
    tool = tmp_path / "eiring.toml"
    tool.write_text(
        'name = "Modified Cochrane tool"\nbase = "rob1"\nremove = ["blinding_participants"]\n'
        '[[domain]]\nkey = "power"\nname = "Power calculation"\n'
        '[[domain]]\nkey = "itt"\nname = "Intention-to-treat analysis"\n'
    )
    rows = [
        {"study": "Good", **dict.fromkeys(keys, "Low")},
        {"study": "Fair", **dict.fromkeys(keys, "Low"), "power": "High"},
        {"study": "Poor", **dict.fromkeys(keys, "Low"), "power": "High", "itt": "Unclear"},
    ]
    table = tmp_path / "rob1.csv"
    pd.DataFrame(rows).to_csv(table, index=False)
    code, out, _ = run(["rob", str(table), "--tool", str(tool), "-o", str(tmp_path / "o")], capsys)
    assert code == 0, out
    judged = pd.read_csv(tmp_path / "o" / "judgements.csv")
    assert judged["ahrq"].tolist() == ["good", "fair", "poor"]
    assert judged["overall"].tolist() == ["Low", "High", "High"]
    assert "Power calculation" in out
    code, _, err = run(["rob", str(table), "--tool", "rob1", "-o", str(tmp_path / "o2")], capsys)
    assert code == 2 and "blinding_participants" in err


def test_named_domain_columns_with_recoded_codes(shared_data, tmp_path, capsys):
    """The metapsy suicide data: five coded domains and the overall, straight from the CLI."""
    args = ["rob", str(shared_data / "metapsy" / "suicide.csv"), "--study", "Study",
            "--domain", "Sequence generation=RoB_SG", "--domain", "Allocation concealment=RoB_AC",
            "--domain", "Blinding (attempts)=RoBCLAssAtt", "--domain", "Blinding (ideation)=RoB_BLAss_Ide",
            "--domain", "Intention to treat=RoB_ITT", "--overall", "RoB_overall_ideation",
            "--recode", "1=Low", "--recode", "0.5=Unclear", "--recode", "0=High",
            "--recode", "2=Not applicable", "--weight", "Total number of participants",
            "-o", str(tmp_path / "o")]  # fmt: skip
    code, _out, err = run(args, capsys)
    assert code == 0, err
    judged = pd.read_csv(tmp_path / "o" / "judgements.csv")
    assert len(judged) == 113 and judged["d1"].value_counts()["Low"] == 80
    assert (tmp_path / "o" / "summary_weighted.png").is_file()
    at = args.index("--overall")
    code, _, err = run([*args[:at], *args[at + 2 :]], capsys)
    assert code == 2 and "--domain needs --overall" in err


def test_stated_overall_is_checked_against_the_rule(tmp_path, capsys):
    table = tmp_path / "extraction.csv"
    pd.DataFrame({
        "study": ["A", "B"], "rob_d1": ["Some concerns", "Low"], "rob_d2": ["Some concerns", "Low"],
        "rob_d3": ["Some concerns", "Low"], "rob_d4": ["Low", "Low"], "rob_d5": ["Low", "High"],
        "rob_overall": ["High", "High"],
    }).to_csv(table, index=False)  # fmt: skip
    code, out, _ = run(["rob", str(table), "-o", str(tmp_path / "o")], capsys)
    assert code == 0
    assert (
        "note: A: stated High, the RoB 2 rule gives Some concerns (3 domains Some concerns" in out
    )
    assert "note: B" not in out
    code, out, _ = run(
        ["rob", str(table), "-o", str(tmp_path / "o"), "--some-concerns-high-at", "3"], capsys
    )
    assert code == 0 and "note:" not in out
