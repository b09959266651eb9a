"""A study whose combined effects carry different risk-of-bias judgements (RoB is judged per
result) is at the risk of its riskiest part, so GRADE and the report can use it; before, the
combined row said "mixed" and the report stopped with a DataError."""

from __future__ import annotations

from metareview.plan.plan import load_plan
from metareview.plan.runner import run_plan
from metareview.report.build import write_report


def _plan(folder):
    (folder / "data.csv").write_text(
        "study,yi,vi,outcome,rob,format\n"
        "A,0.5,0.04,mood,low,group\nA,0.3,0.05,anxiety,high,online\n"
        "B,0.4,0.09,mood,low,group\nC,0.2,0.02,mood,some concerns,group\n"
        "D,0.1,0.05,mood,low,group\n"
    )
    (folder / "plan.toml").write_text(
        '[data]\nfile = "data.csv"\n[settings]\npreset = "metapsy"\n'
        '[rob]\ncolumn = "rob"\nlow = "low"\n'
        '[analyses]\nspecific_outcomes = false\n[[analysis]]\nname = "All"\nfilter = {}\n'
    )
    return folder / "plan.toml"


def test_a_combined_study_takes_its_most_severe_judgement_and_the_report_grades_it(tmp_path):
    results = run_plan(load_plan(_plan(tmp_path)), jobs=1, cache_dir=tmp_path / "cache")
    record = results["all/all-time-points"]
    combined = next(row for row in record.input if row["study"] == "A")
    assert combined["rows"] == [2, 3]
    assert combined["rob"] == "high"  # the riskier of low and high
    assert combined["format"] == "mixed"  # other text still says it differs
    index = write_report(results, tmp_path / "out")
    summary = (tmp_path / "out" / "tables" / "summary-of-findings.csv").read_text()
    assert "All" in summary
    assert index.is_file()
