"""RoB 2 and GRADE in headless Chromium (Playwright): the lead sets two assessors, who assess three studies
independently; one overrides a proposal (refused until the justification is written) and the
consensus keeps it; the figures appear and the robvis export is the store's.

Screenshots for ``docs/workspace.md`` are written to ``docs/img/``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from metareview.store.extraction import add_study
from metareview.store.rob_assessment import rob_export
from tests import stores
from tests.browser_rob_steps import (
    ALL_LOW,
    agree_item,
    answer_rob2,
    assess_rob2,
    figures_shown,
    open_assessment,
    override,
    proposal_of,
    record_grade_decision,
    set_rob_settings,
    submit_assessment,
)
from tests.conftest import REPO
from tests.test_web_browser import _person, _shot, chromium  # noqa: F401  (a fixture)
from tests.test_web_grade import agreed_review
from tests.web_client import make_project
from tests.web_server import live_server

pytestmark = pytest.mark.browser
store_url = stores.store_url  # the fixture, once per backend
STUDIES = ("Lee, 2020", "Ng, 2021", "Ode, 2022")
RESULT = "depressive symptoms"
WHY = "30% of the control arm lost to follow-up, reasons not reported"


IMAGES = REPO / "docs" / "img"


def _part(page, domain: str, name: str) -> None:
    """A screenshot of one domain of the form, for the docs."""
    page.locator(f"#domain-{domain}").screenshot(path=str(IMAGES / name), caret="initial")


def test_rob2_for_three_studies_with_one_override(store_url, chromium):  # noqa: F811
    errors: list[str] = []
    with make_project(store_url) as project, live_server(project) as base:
        for label in STUDIES:
            add_study(project, label, actor="lena")
        lena = _person(chromium, base, "lena", errors)
        set_rob_settings(lena, base, tool="rob2", assessors=2)
        rita = _person(chromium, base, "rita", errors)
        ravi = _person(chromium, base, "ravi", errors)
        seen = {}
        for label in STUDIES:
            if label == "Ng, 2021":  # the override, refused until its justification is written
                open_assessment(rita, base, label, RESULT)
                answer_rob2(rita, dict(ALL_LOW, **{"3.1": "N", "3.2": "Y"}))
                message = override(
                    rita,
                    "D3",
                    "High",
                    WHY,
                    refused=lambda: _part(rita, "D3", "rob-override-refused.png"),
                )
                assert "needs a justification" in message
                _part(rita, "D3", "rob-override.png")
                seen[label] = {d: proposal_of(rita, d) for d in ("D3", "Overall")}
            else:
                seen[label] = assess_rob2(rita, base, label, RESULT, submit=False)
            if label == "Lee, 2020":
                rita.screenshot(path=str(IMAGES / "rob-form.png"), caret="initial")
            submit_assessment(rita)
            answers = dict(ALL_LOW, **{"3.1": "N", "3.2": "Y"}) if label == "Ng, 2021" else ALL_LOW
            ravi_answers = dict(answers, **{"1.1": "PY"}) if label == "Lee, 2020" else answers
            assess_rob2(ravi, base, label, RESULT, ravi_answers, submit=False)
            assert WHY not in ravi.content() and "overridden" not in ravi.content()  # blinded
            submit_assessment(ravi)
        assert seen["Ng, 2021"]["D3"] == "High" and seen["Ng, 2021"]["Overall"] == "High"
        assert seen["Lee, 2020"]["Overall"] == "Low"
        agree_item(rita, base, 1, RESULT, "1.1", "Y", note="the paper says computer-generated")
        rita.goto(f"{base}/rob/compare?study=2&result={RESULT}")
        assert WHY in rita.content()
        _shot(rita, "rob-compare.png")
        agree_item(ravi, base, 2, RESULT, "D3 override", "High", justification=WHY)
        export = rob_export(project, RESULT)
        assert export.left_out == {} and export.table.n_studies == 3
        sources = figures_shown(lena, base, RESULT)
        assert len(sources) == 2
        assert "Overridden proposals" in lena.content() and WHY in lena.content()
        _shot(lena, "rob-overview.png")
        with lena.expect_download() as info:
            lena.click("a:has-text('robvis CSV')")
        text = Path(info.value.path()).read_text(encoding="utf-8")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [(r["Study"], r["D3"], r["Overall"]) for r in rows] == [
            ("Lee, 2020", "Low", "Low"),
            ("Ng, 2021", "High", "High"),
            ("Ode, 2022", "Low", "Low"),
        ]
    refused = [e for e in errors if "409 (Conflict)" in e]  # the override without justification
    assert refused == ["rita: Failed to load resource: the server responded with a status of 409 "
                       "(Conflict)"] and len(errors) == 1  # fmt: skip
    assert (REPO / "docs" / "img" / "rob-overview.png").exists()


def test_a_grade_decision_with_its_reason(store_url, chromium):  # noqa: F811
    errors: list[str] = []
    with make_project(store_url) as project, live_server(project) as base:
        agreed_review(project)
        rita = _person(chromium, base, "rita", errors)
        why = "all trials recruited students, the question is about patients"
        record_grade_decision(rita, base, "stress, post", "indirectness", -1, why)
        row = rita.locator(".grade-domains tr", has_text="indirectness")
        assert "reviewers' decision" in row.inner_text()
        _shot(rita, "grade.png")
    assert errors == []
