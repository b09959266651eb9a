"""``import-revman``: a RevMan review as extraction table + plan + RoB table, a ``run`` of that
plan reproducing RevMan's numbers, and the round trip through metareview's data package."""

from __future__ import annotations

import json
import math
import tomllib

import pandas as pd
import pytest

from metareview.data.revman import read_revman
from metareview.data.revman.extraction import review_table
from metareview.data.revman.package import read_package
from metareview.data.revman.writers import safe_cell, study_data_csv
from metareview.plan.plan import load_plan
from metareview.plan.results import headline_result
from metareview.plan.revman_check import check_review
from metareview.plan.revman_export import write_results_package
from metareview.plan.revman_plan import review_plan
from metareview.rob.table import RobTable
from tests.revman_files import HANDBUILT, fleiss
from tests.test_cli_e2e import run_cli


def test_import_fleiss_writes_table_plan_and_rob(shared_data, tmp_path, capsys):
    code, out, _ = run_cli(capsys, "import-revman", fleiss(shared_data, ".rm5"), "-o", tmp_path)
    assert code in (0, None)
    assert "2 analyses, 12 study rows, 12 studies, 12 risk-of-bias judgements" in out
    # RevMan's references of this review carry only the study name: the RIS importer says so.
    assert "references.ris: 0 records for `metareview records import`; 12 not importable" in out
    table = pd.read_csv(tmp_path / "extraction.csv")
    assert len(table) == 12 and set(table["outcome_no"]) == {1, 2}
    isis = table[table["study"] == "ISIS-2"].iloc[0]
    assert (isis["event_arm1"], isis["totaln_arm1"], isis["event_arm2"], isis["totaln_arm2"]) == (
        1570, 8587, 1720, 8600,
    )  # fmt: skip
    plan = load_plan(tmp_path / "plan.toml")
    assert plan.settings.preset == "revman5" and plan.min_k.pool == 1
    assert [(a.name, a.settings.measure, a.settings.model) for a in plan.custom] == [
        ("1.1 Aspirin for Preventing Death after Myocardial Infarction", "OR", "fixed"),
        ("1.2 Mental Health Treatment versus Control", "SMD", "fixed"),
    ]
    rob = RobTable.from_robvis(tmp_path / "rob.csv")
    assert rob.domains == ("Allocation concealment?",) and rob.n_studies == 12


def test_import_lists_what_it_cannot_represent(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "import-revman", HANDBUILT / "dichotomous.rm5", "-o", tmp_path)
    assert code in (0, None)
    assert "note: dichotomous.rm5, line 56, DICH_OUTCOME: outcome 1.3" in out
    assert "Peto odds ratio" in out and "swap events" in out
    assert "study CIs at 90% (RevMan) are shown at the analysis level 99%" in out
    assert "subgroup totals only" in out
    assert "references.ris: 6 records" in out
    code, out, _ = run_cli(capsys, "import-revman", HANDBUILT / "generic-oe.rm5", "-o", tmp_path)
    assert "not represented: generic-oe.rm5, line 65, OTHER_OUTCOME" in out
    assert "O - E and variance" in out


def stored_beside_run(review, results):
    """(stored, ours, decimals) for each total and subgroup number the run reproduces."""
    pairs = []
    by_filter = {
        (a["spec"]["filters"]["comparison_no"], a["spec"]["filters"]["outcome_no"]): a
        for a in results["analyses"]
    }
    for outcome in review.outcomes:
        if not outcome.calculated:
            continue
        record = by_filter[(outcome.comparison, outcome.number)]
        assert record["status"] == "ok", record["reason"]
        model = outcome.settings.model
        shown = math.exp if outcome.settings.ratio else float
        blocks = [(outcome.stored, headline_result(record["result"]))]
        if outcome.has_subgroups:
            levels = {lv["level"]: lv["result"] for lv in record["subgroups"][0]["levels"]}
            blocks += [(s.stored, levels[s.name]) for s in outcome.subgroups]
            if "q_between" in outcome.stored:
                pairs.append((outcome.stored["q_between"], record["subgroups"][0]["test"]["q"]))
        for stored, result in blocks:
            het = result["heterogeneity"]
            ours = {
                "effect": shown(result[model]["estimate"]),
                "ci_lower": shown(result[model]["ci_lower"]),
                "ci_upper": shown(result[model]["ci_upper"]),
                "p_z": result[model]["pvalue"],
                "chi2": het["q"],
                "i2": het["i2"],
            }
            if model == "random":
                ours["tau2"] = het["tau2"]
            pairs += [(stored[key], value) for key, value in ours.items() if key in stored]
    return pairs


def assert_agree(pairs):
    assert pairs
    for stored, ours in pairs:
        if stored.decimals is None:
            assert ours == pytest.approx(stored.value, rel=1e-6, abs=1e-9)
        else:
            assert abs(ours - stored.value) <= 0.5 * 10**-stored.decimals + 1e-12


@pytest.mark.parametrize("name", ["continuous.rm5", "generic-oe.rm5"])
def test_run_of_the_imported_plan_reproduces_the_stored_numbers(name, tmp_path, capsys):
    review = read_revman(HANDBUILT / name)
    run_cli(capsys, "import-revman", HANDBUILT / name, "-o", tmp_path)
    code, _, err = run_cli(capsys, "run", tmp_path / "plan.toml", "-q", "-o", tmp_path / "out")
    assert code in (0, None), err
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert_agree(stored_beside_run(review, results))


def test_round_trip_through_our_data_package(tmp_path):
    for name in ("dichotomous.rm5", "continuous.rm5", "generic-oe.rm5"):
        review = read_revman(HANDBUILT / name)
        path = write_results_package(review, tmp_path / f"{name}.zip")
        back = read_package(path)
        pd.testing.assert_frame_equal(review_table(back), review_table(review))
        ours, _ = review_plan(review, "extraction.csv")
        theirs, _ = review_plan(back, "extraction.csv")
        assert tomllib.loads(theirs)["analysis"] == tomllib.loads(ours)["analysis"]
        report = check_review(back)  # our package carries our results, rounded as RevMan Web
        assert report.passed and {n.decimals for n in report.numbers} == {6}
        assert sorted(back.rob, key=str) == sorted(review.rob, key=str)
        assert [s.characteristics for s in back.studies] == [
            s.characteristics for s in review.studies
        ]


def test_fleiss_round_trip_and_study_data_csv(shared_data, tmp_path):
    review = read_revman(fleiss(shared_data, ".rm5"))
    back = read_package(write_results_package(review, tmp_path / "f.zip"))
    pd.testing.assert_frame_equal(review_table(back), review_table(review))
    rows = pd.read_csv(pd.io.common.BytesIO(study_data_csv(review)), encoding="utf-8-sig")
    assert len(rows) == 12 and rows["Weight"].isna().all()
    assert rows.loc[0, ["Study", "Experimental cases", "Control N"]].tolist() == ["MRC-1", 49, 624]


def test_exports_carry_no_live_formulas():
    assert safe_cell("=1+2") == "'=1+2" and safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-3.5") == "-3.5" and safe_cell("+1") == "+1"


def test_cli_writes_our_package_and_revman_study_data(shared_data, tmp_path, capsys):
    package = tmp_path / "ours.zip"
    code, _, _ = run_cli(capsys, "check-revman", HANDBUILT / "continuous.rm5", "--package", package)
    assert code in (0, None) and package.is_file()
    code, out, _ = run_cli(capsys, "check-revman", package, "--json")
    document = json.loads(out)
    assert code in (0, None) and document["passed"] and document["checked"] > 100
    run_cli(capsys, "import-revman", fleiss(shared_data, ".rm5"), "-o", tmp_path / "imp")
    rows = pd.read_csv(tmp_path / "imp" / "revman-study-data.csv", encoding="utf-8-sig")
    assert list(rows.columns[:6]) == [
        "Analysis group", "Analysis number", "Analysis name", "Subgroup", "Applicability", "Study",
    ]  # fmt: skip
    assert len(rows) == 12


def test_the_data_package_gives_the_rm5_table_and_plan(shared_data):
    """RevMan Web's package of Fleiss1993 holds the same data as the RevMan 5 file (its rows
    sorted by study name; its group labels are blank, the rm5 file's are 'Aspirin' …)."""
    from_rm5 = read_revman(fleiss(shared_data, ".rm5"))
    from_zip = read_revman(fleiss(shared_data, ".zip"))
    key = ["outcome_no", "study"]
    labels = ["condition_arm1", "condition_arm2"]
    assert set(review_table(from_zip)[labels].stack()) == {""}
    pd.testing.assert_frame_equal(
        review_table(from_zip).drop(columns=labels).sort_values(key).reset_index(drop=True),
        review_table(from_rm5).drop(columns=labels).sort_values(key).reset_index(drop=True),
    )
    ours, _ = review_plan(from_rm5, "extraction.csv")
    theirs, _ = review_plan(from_zip, "extraction.csv")
    assert tomllib.loads(theirs)["analysis"] == tomllib.loads(ours)["analysis"]


@pytest.mark.parametrize("which", ["Fleiss1993.rm5", "Fleiss1993.zip", "dichotomous.rm5"])
def test_run_reproduces_revman_mantel_haenszel(which, shared_data, tmp_path, capsys):
    """The run of an imported plan pools event counts as RevMan does (M-H Fixed/Random, Peto
    through the per-study (O - E)/V, IV): its totals, subgroups and subgroup tests equal the
    numbers RevMan stored (Fleiss1993: RevMan 5.0's own; rounded in the package)."""
    path = shared_data / "revman" / which if which.startswith("Fleiss") else HANDBUILT / which
    review = read_revman(path)
    run_cli(capsys, "import-revman", path, "-o", tmp_path)
    code, _, err = run_cli(capsys, "run", tmp_path / "plan.toml", "-q", "-o", tmp_path / "out")
    assert code in (0, None), err
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert_agree(stored_beside_run(review, results))
