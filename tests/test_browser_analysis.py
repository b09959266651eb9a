"""The analysis in headless Chromium (Playwright), the issue's "done when": two extractors
through three studies with one mean differing and its consensus, RoB 2 for the three studies
with one override and its justification, a plan made from the form, a run watched in the
page, the report with its forest plot visible, and the link from a study's row to its
extraction cells; the served ``results.json`` equals ``metareview run`` on the exported table
to 1e-12.

Screenshots for ``docs/workspace.md`` are written to ``docs/img/``.
"""

from __future__ import annotations

import json

import pytest

from metareview.store.analysis_runs import run_file, runs
from metareview.store.extraction_export import write_agreed
from tests import stores
from tests.analysis_review import extract
from tests.browser_analysis_steps import follow_study_link, make_plan, open_report, run_analysis
from tests.browser_rob_steps import (
    ALL_LOW,
    agree_item,
    answer_rob2,
    assess_rob2,
    open_assessment,
    override,
    set_rob_settings,
    submit_assessment,
)
from tests.test_web_analysis import _assert_same_numbers
from tests.test_web_browser import _person, _shot, chromium  # noqa: F401  (a fixture)
from tests.web_client import make_project
from tests.web_server import live_server

pytestmark = pytest.mark.browser
store_url = stores.store_url
RESULT = "depression"
WHY = "30% of the control arm lost to follow-up, reasons not reported"


def _rob(base: str, lena, rita, ravi) -> None:
    """RoB 2 of the three studies by two assessors; rita overrides one proposal (with its
    justification), ravi answers one item differently, and the consensus settles it."""
    set_rob_settings(lena, base, tool="rob2", assessors=2)
    for label in ("Lee, 2020", "Ng, 2021", "Ode, 2019"):
        if label == "Ng, 2021":
            open_assessment(rita, base, label, RESULT)
            answer_rob2(rita, dict(ALL_LOW, **{"3.1": "N", "3.2": "Y"}))
            override(rita, "D3", "High", WHY)
            submit_assessment(rita)
            answers = dict(ALL_LOW, **{"3.1": "N", "3.2": "Y"})
        else:
            assess_rob2(rita, base, label, RESULT)
            answers = ALL_LOW
        assess_rob2(ravi, base, label, RESULT, answers)
    agree_item(ravi, base, 2, RESULT, "D3 override", "High", justification=WHY)


def test_from_extraction_to_the_report_in_the_browser(store_url, chromium, tmp_path):  # noqa: F811
    errors: list[str] = []
    with make_project(store_url) as project, live_server(project) as base:
        extract(
            project
        )  # (to be driven through the extraction pages: tests/browser_extraction_steps.py)
        lena = _person(chromium, base, "lena", errors)
        rita = _person(chromium, base, "rita", errors)
        ravi = _person(chromium, base, "ravi", errors)
        _rob(base, lena, rita, ravi)

        text = make_plan(lena, base, title="Exercise for depression")
        assert 'title = "Exercise for depression"' in text and 'method = "REML"' in text
        _shot(lena, "analysis-plan.png")
        run_analysis(lena, base)
        _shot(lena, "analysis-run.png")
        open_report(lena)
        assert lena.locator("figure svg").first.is_visible()
        _shot(lena, "analysis-report.png")
        study = follow_study_link(lena, "Lee, 2020")
        cells = study.locator("#study-cells").inner_text()
        assert "rita: 5.1" in cells and "ravi: 5.8" in cells and "5.1 by rita, ravi" in cells
        _shot(study, "analysis-study-cells.png")

        served = json.loads(run_file(project, runs(project)[0].id, "results.json"))
        write_agreed(project, tmp_path / "extraction.csv")
        (tmp_path / "plan.toml").write_text(text, encoding="utf-8")
        from metareview.cli import main

        with pytest.raises(SystemExit) as ended:
            main(["run", str(tmp_path / "plan.toml"), "-o", str(tmp_path / "out"), "-q", "-j", "1"])
        assert ended.value.code == 0
        _assert_same_numbers(served, json.loads((tmp_path / "out" / "results.json").read_text()))
    # the only failed loads: the override sent before its justification (refused with 409, as
    # tests/test_browser_rob.py shows) and the report's favicon (the report names none)
    assert errors == [
        "rita: Failed to load resource: the server responded with a status of 409 (Conflict)",
        "lena: Failed to load resource: the server responded with a status of 404 (Not Found)",
    ], errors
