"""One analysis that fails in an unforeseen way (a defect, not bad input) is reported as that
analysis's error, and the run goes on with the others (issue 13)."""

from __future__ import annotations

from metareview.plan import runner
from metareview.plan.plan import load_plan
from metareview.plan.runner import run_plan


def _plan(folder):
    (folder / "data.csv").write_text(
        "study,yi,vi,outcome\nA,0.5,0.04,mood\nB,0.4,0.09,mood\nC,0.2,0.02,mood\n"
        "D,0.1,0.05,hope\nE,0.6,0.08,hope\nF,0.9,0.03,hope\n"
    )
    (folder / "plan.toml").write_text(
        '[data]\nfile = "data.csv"\n[settings]\npreset = "metafor"\nmeasure = "SMD"\n'
        "[analyses]\nspecific_outcomes = false\n"
        '[[analysis]]\nname = "Mood"\nfilter = {outcome = "mood"}\n'
        '[[analysis]]\nname = "Hope"\nfilter = {outcome = "hope"}\n'
    )
    return folder / "plan.toml"


def test_a_defect_in_one_analysis_is_its_error_and_the_others_run(tmp_path, monkeypatch):
    real_analyze = runner.analyze

    def analyze_failing_on_hope(table, settings):
        if "D" in set(table.frame["study"]):
            raise ZeroDivisionError("float division by zero")
        return real_analyze(table, settings)

    monkeypatch.setattr(runner, "analyze", analyze_failing_on_hope)
    results = run_plan(load_plan(_plan(tmp_path)), jobs=1, cache_dir=tmp_path / "cache")
    by_name = {record.spec["group"]: record for record in results.analyses}
    assert by_name["Mood"].status == "ok"
    assert by_name["Mood"].result["k"] == 3
    assert by_name["Hope"].status == "skipped"
    assert by_name["Hope"].reason == (
        "could not be fitted (ZeroDivisionError: float division by zero); please report this"
    )
