"""The workspace's GRADE decisions page over HTTP: the proposal per outcome with its rules (from
the agreed extraction and risk of bias), decisions that need a reason (refused at the form with
nothing typed lost), who decided and when, withdrawal, roles and escaping."""

from __future__ import annotations

import json

import pytest

from metareview.data.form import Cell, RowKey
from metareview.store.extraction import add_study, enter, set_extractors_required, submit
from metareview.store.grade_decisions import decision_history, grade_decisions
from metareview.store.rob_assessment import answer, set_assessors_required, submit_rob
from tests import stores
from tests.browser_rob_steps import ALL_LOW as LOW
from tests.web_client import make_project, workspace

store_url = stores.store_url  # the fixture, once per backend

OUTCOME = "stress, post"


def agreed_review(project) -> None:
    """Three studies of one outcome with agreed extraction and risk of bias (one at high risk)."""
    set_extractors_required(project, 1, actor="lena")
    set_assessors_required(project, 1, actor="lena")
    for label, yi, d12 in (("Lee, 2020", 0.3, "Y"), ("Ng, 2021", 0.55, "N"), ("Ode", 0.4, "Y")):
        number = add_study(project, label, actor="lena").number
        row = RowKey(1, 2, "stress", "post")
        values = {Cell("yi", row=row): yi, Cell("vi", row=row): 0.04}
        enter(project, number, values, extractor="rita")
        submit(project, number, extractor="rita")
        answer(project, number, "stress", dict(LOW, **{"1.2": d12}), assessor="ravi")
        submit_rob(project, number, "stress", assessor="ravi")


@pytest.fixture
def project(store_url):
    with make_project(store_url) as opened:
        agreed_review(opened)
        yield opened


def test_the_page_shows_each_outcomes_proposal_and_its_rules(project):
    with workspace(project) as browser:
        page = browser("vic").get("/grade")
        assert page.status_code == 200
        assert f"{OUTCOME} <small>3 studies" in page.text
        assert "of the weight from trials at high risk of bias" in page.text
        assert "never computed" in page.text or "reviewer" in page.text  # indirectness
        assert "/grade/decide" not in page.text  # a viewer reads only
        assert browser("vic").post("/grade/decide", {"domain": "imprecision"}).status_code == 403
        assert browser("rita").get("/grade?measure=XYZ").status_code == 404
        assert "RR" in browser("rita").get("/grade?measure=SMD").text  # the measure choice


def test_a_decision_needs_a_reason_and_keeps_what_was_typed(project):
    with workspace(project) as browser:
        rita = browser("rita")
        typed = {"outcome": OUTCOME, "domain": "indirectness", "levels": "-1", "reason": "  "}
        refused = rita.post("/grade/decide", typed)
        assert refused.status_code == 409 and "needs a footnote" in refused.text
        assert f"<option selected>{OUTCOME}</option>" in refused.text
        assert "<option selected>indirectness</option>" in refused.text
        assert '<option value="-1" selected>' in refused.text
        assert decision_history(project) == ()
        bad = rita.post("/grade/decide", dict(typed, levels="3", reason="x"))
        assert bad.status_code == 409 and "0, -1 or -2" in bad.text


def test_decisions_are_applied_shown_with_who_and_when_and_withdrawn(project):
    with workspace(project) as browser:
        rita, lena = browser("rita"), browser("lena")
        reason = 'students only <script>alert("x")</script>'
        decision = {"outcome": OUTCOME, "domain": "indirectness", "levels": "-1", "reason": reason}
        assert rita.post("/grade/decide", decision).status_code == 303
        page = lena.get("/grade").text
        assert "reviewers' decision" in page and "−1 (serious)" in page
        assert "<script>alert" not in page and "&lt;script&gt;" in page
        assert "rita, " in page and " UTC" in page
        [stored] = grade_decisions(project)
        assert (stored.outcome, stored.levels, stored.actor) == (OUTCOME, -1, "rita")
        every = {"outcome": "", "domain": "publication bias", "levels": "0", "reason": "k < 10"}
        assert lena.post("/grade/decide", every).status_code == 303
        gone = {"outcome": OUTCOME, "domain": "indirectness"}
        assert lena.post("/grade/withdraw", gone).status_code == 303
        assert [d.domain for d in grade_decisions(project)] == ["publication bias"]
        page = lena.get("/grade").text
        assert "withdrawn" in page and "every outcome" in page
        again = lena.post("/grade/withdraw", gone)
        assert again.status_code == 409 and "no decision on indirectness" in again.text


def test_a_decision_on_an_outcome_no_longer_rated_is_flagged(project):
    with workspace(project) as browser:
        rita = browser("rita")
        decision = {"outcome": "anxiety", "domain": "imprecision", "levels": "-1", "reason": "wide"}
        assert rita.post("/grade/decide", decision).status_code == 303
        assert "no outcome of this name is rated now" in rita.get("/grade").text


def test_a_run_goes_on_past_a_decision_on_an_outcome_no_longer_rated(store_url):
    from metareview.store.analysis_runs import run, runs
    from tests.analysis_review import extract
    from tests.test_web_analysis import _form, _wait

    with make_project(store_url) as project, workspace(project) as browser:
        extract(project)
        lena, rita, vic = browser("lena"), browser("rita"), browser("vic")
        decision = {"outcome": "anxiety", "domain": "imprecision", "levels": "-1", "reason": "wide"}
        assert rita.post("/grade/decide", decision).status_code == 303
        assert lena.post("/analysis/plan", _form(lena.get("/analysis").text)).status_code == 200
        assert lena.post("/analysis/run").status_code == 303
        run_id = runs(project)[0].id
        assert "is done" in _wait(lena, run_id), run(project, run_id)
        warning = "GRADE decision for &#39;anxiety&#39; (imprecision) not applied: no such outcome"
        page = vic.get(f"/analysis/runs/{run_id}").text
        assert warning in page.split('id="run-warnings"')[1]
        report = vic.get(f"/analysis/runs/{run_id}/files/report/index.html").text
        assert warning in report.split('id="analysis-warnings"')[1]


def test_an_empty_review_says_what_grade_needs(store_url):
    with make_project(store_url) as empty, workspace(empty) as browser:
        page = browser("rita").get("/grade")
        assert page.status_code == 200 and "No study has agreed extraction data yet" in page.text


def test_after_a_run_the_proposal_is_the_runs_and_the_next_run_rates_with_the_decisions(
    store_url,
):
    from metareview.plan.grade_review import DECISIONS_MARKER
    from metareview.store.analysis_runs import run_inputs, runs
    from tests.analysis_review import extract
    from tests.test_web_analysis import _form, _wait

    with make_project(store_url) as project, workspace(project) as browser:
        extract(project)
        lena, rita = browser("lena"), browser("rita")
        assert lena.post("/analysis/plan", _form(lena.get("/analysis").text)).status_code == 200
        assert lena.post("/analysis/run").status_code == 303
        first = runs(project)[0].id
        assert "is done" in _wait(lena, first)
        page = rita.get("/grade").text
        assert f'href="/analysis/runs/{first}"' in page
        title = "All outcomes, Post-test"
        assert f"<h2>{title} <small>" in page and f"<option>{title}</option>" in page
        why = "all trials in one country"
        decision = {"outcome": title, "domain": "indirectness", "levels": "-1", "reason": why}
        assert rita.post("/grade/decide", decision).status_code == 303
        assert "reviewers' decision" in rita.get("/grade").text  # applied to the run's results
        assert lena.post("/analysis/run").status_code == 303
        second = runs(project)[0].id
        assert "is done" in _wait(lena, second)
        kept = run_inputs(project, second).plan_text
        assert DECISIONS_MARKER in kept and why in kept
        assert DECISIONS_MARKER not in run_inputs(project, first).plan_text
        served = json.loads(lena.get(f"/analysis/runs/{second}/files/results.json").text)
        assert {"outcome": title, "domain": "indirectness", "levels": -1, "footnote": why} in (
            served["plan"]["grade"]["decision"]
        )
        report = lena.get(f"/analysis/runs/{second}/files/report/index.html").text
        assert why in report  # the summary-of-findings footnote


def test_reviewers_can_rate_up_with_a_reason(project):
    with workspace(project) as browser:
        rita = browser("rita")
        up = {"outcome": OUTCOME, "domain": "large effect", "levels": "1", "reason": "SMD > 0.8"}
        assert rita.post("/grade/decide", up).status_code == 303
        page = rita.get("/grade").text
        assert "+1 (rate up)" in page and "SMD &gt; 0.8" in page
        wrong = dict(up, domain="imprecision")
        refused = rita.post("/grade/decide", wrong)
        assert refused.status_code == 409 and "levels must be 0, -1 or -2" in refused.text
