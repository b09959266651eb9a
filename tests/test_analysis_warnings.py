"""What ``analyze`` warns about an analysis (small-study tests forced below their minimum k,
Hartung–Knapp falling back to the ad hoc interval, τ² not converging …) reaches the report's
"Analysis warnings" and the ``metareview run`` console, not only results.json."""

from __future__ import annotations

import html
import io
import json

import pytest
from rich.console import Console

from metareview.cli import main
from metareview.cli.run import _echo_analysis_warnings
from metareview.plan.plan import load_plan
from metareview.plan.runner import run_plan
from metareview.report.html import render_html

FORCED = "small-study tests forced: 6 studies, fewer than the 10 the preset metafor requires"
IDENTICAL = "all effects are identical, so the Hartung-Knapp SE would be 0"


def _plan(folder):
    """Six studies: the three of format 'group' with one effect (so Hartung–Knapp's SE would be
    0 in that subgroup), Egger's test asked for with min_k.small_study = 5 (below metafor's 10)."""
    (folder / "data.csv").write_text(
        "study,yi,vi,format\nA,0.5,0.04,group\nB,0.5,0.09,group\nC,0.5,0.02,group\n"
        "D,0.1,0.05,online\nE,0.6,0.08,online\nF,0.9,0.03,online\n"
    )
    (folder / "plan.toml").write_text(
        '[data]\nfile = "data.csv"\n'
        '[settings]\npreset = "metafor"\nmeasure = "SMD"\nci_method = "knha"\n'
        "[min_k]\nsubgroup = 2\nsmall_study = 5\n"
        '[analyses]\nspecific_outcomes = false\nsubgroups = ["format"]\nsmall_study = ["egger"]\n'
        '[[analysis]]\nname = "All"\nfilter = {}\n'
    )
    return folder / "plan.toml"


def test_analysis_warnings_reach_the_report_and_the_console(tmp_path, capsys):
    out_dir = tmp_path / "out"
    with pytest.raises(SystemExit) as done:
        main(["run", str(_plan(tmp_path)), "-o", str(out_dir), "--jobs", "1"])
    err = " ".join(capsys.readouterr().err.split())
    assert done.value.code == 0, err
    assert '2 analysis warning(s) (all in the report\'s "Analysis warnings")' in err
    assert f"All, All time points: {FORCED}" in err
    assert f"All, All time points, subgroup format = group: {IDENTICAL}" in err
    record = json.loads((out_dir / "results.json").read_text())["analyses"][0]
    assert any(w.startswith(FORCED) for w in record["result"]["warnings"])
    report = html.unescape((out_dir / "report" / "index.html").read_text())
    section = report[report.index('<section id="analysis-warnings">') :]
    section = section[: section.index("</section>")]
    assert f"<tr><td>All, All time points</td><td>{FORCED}" in section
    assert f"<tr><td>All, All time points, subgroup format = group</td><td>{IDENTICAL}" in section
    assert 'href="#analysis-warnings"' in report


def test_a_review_without_warnings_says_so(tmp_path):
    plan = _plan(tmp_path)
    plan.write_text(
        plan.read_text()
        .replace('ci_method = "knha"\n', "")
        .replace("small_study = 5", "small_study = 6")
    )
    results = run_plan(load_plan(plan), jobs=1)
    assert results.analysis_warnings() == [
        ("All, All time points", FORCED + "; they have little power")
    ]
    plan.write_text(plan.read_text().replace('small_study = ["egger"]', "small_study = []"))
    report = render_html(run_plan(load_plan(plan), jobs=1), [])
    section = report[report.index('<section id="analysis-warnings">') :]
    assert "<p>No analysis gave a warning.</p>" in section[: section.index("</section>")]


def test_the_console_shows_the_first_three_and_counts_the_rest():
    buffer = io.StringIO()
    found = [(f"Analysis {i}", f"warning {i}") for i in range(5)]
    _echo_analysis_warnings(Console(file=buffer, width=200), found)
    lines = buffer.getvalue().splitlines()
    assert lines == [
        '5 analysis warning(s) (all in the report\'s "Analysis warnings"):',
        "  Analysis 0: warning 0",
        "  Analysis 1: warning 1",
        "  Analysis 2: warning 2",
        "  … and 2 more",
    ]
