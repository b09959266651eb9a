"""The workspace's risk-of-bias pages over HTTP: roles, unknown studies, blinding on the responses
of every RoB route, live proposals, overrides that need a justification (refused at the field,
nothing typed lost), cluster trials, comparison and consensus, and the robvis exports."""

from __future__ import annotations

import csv
import io

import pytest
from starlette.routing import Route

from metareview.data.form import Cell
from metareview.store.extraction import add_study, enter
from metareview.store.rob_assessment import (
    rob_consensus,
    rob_progress,
    rob_view,
    set_assessors_required,
    set_rob_tool,
)
from metareview.web.app import routes
from tests import stores
from tests.browser_rob_steps import ALL_LOW as LOW
from tests.web_client import make_project, workspace

store_url = stores.store_url  # the fixture, once per backend

SECRET = "RITA-ONLY 30% lost in one arm"
RESULT = "depressive symptoms"


def form(answers: dict[str, str], study: int = 1, result: str = RESULT, **extra) -> dict:
    """The fields the assessment form posts."""
    fields = {"study": str(study), "result": result}
    fields |= {f"q_{k}": v for k, v in answers.items()}
    return fields | extra


def where(study: int = 1, result: str = RESULT) -> str:
    return f"study={study}&result={result.replace(' ', '+')}"


@pytest.fixture
def project(store_url):
    with make_project(store_url) as opened:
        for label in ("Lee, 2020", "Ng, 2021", "Ode, 2022"):
            add_study(opened, label, actor="lena")
        yield opened


def rob_routes() -> list[tuple[str, str]]:
    return [
        (m, r.path)
        for r in routes()
        if isinstance(r, Route) and r.path.startswith("/rob")
        for m in sorted(r.methods - {"HEAD"})
    ]


def test_the_pages_show_the_proposal_as_the_assessor_answers(project):
    with workspace(project) as browser:
        rita = browser("rita")
        page = rita.get(f"/rob/assess?{where()}")
        assert page.status_code == 200
        assert "Was the allocation sequence random?" in page.text
        assert "Waiting for an answer" in page.text
        part = {k: v for k, v in LOW.items() if k.startswith("1.")}
        saved = rita.post("/rob/assess", form(part), headers={"hx-request": "true"})
        assert saved.status_code == 200 and "<html" not in saved.text  # the fragment only
        assert "1.2 = Y → 1.1 = Y → 1.3 = N ⇒ Low" in saved.text
        done = rita.post("/rob/assess", form(LOW))
        assert "all domains Low" in done.text
        assert rob_view(project, 1, RESULT, "rita").assessment.overall.judgement.value == "Low"


def test_an_override_needs_a_justification_and_nothing_typed_is_lost(project):
    with workspace(project) as browser:
        rita = browser("rita")
        rita.post("/rob/assess", form(LOW))
        before = rob_view(project, 1, RESULT, "rita").items
        changed = dict(LOW, **{"5.1": "NI"})
        refused = rita.post("/rob/assess", form(changed, override_D3="High", justification_D3=""))
        assert refused.status_code == 409
        assert "needs a justification" in refused.text
        assert 'class="field-error"' in refused.text
        assert "<option selected>NI</option>" in refused.text  # the new answer is still there
        assert rob_view(project, 1, RESULT, "rita").items == before  # nothing stored
        justified = form(changed, override_D3="High", justification_D3="30% lost in one arm")
        saved = rita.post("/rob/assess", justified)
        assert saved.status_code == 200 and "overridden" in saved.text
        domains = rob_view(project, 1, RESULT, "rita").assessment.judgements
        assert domains["D3"].value == "High" and domains["Overall"].value == "High"


def test_a_justification_without_a_judgement_is_refused_at_the_field(project):
    with workspace(project) as browser:
        rita = browser("rita")
        response = rita.post("/rob/assess", form(LOW, justification_D2="they switched arms"))
        assert response.status_code == 409
        assert "a judgement Low, Some concerns or High" in response.text
        assert "they switched arms" in response.text
        assert rob_view(project, 1, RESULT, "rita").items == {}


def test_a_hostile_answer_gets_the_tools_message(project):
    with workspace(project) as browser:
        rita = browser("rita")
        response = rita.post("/rob/assess", form({"3.1": "N", "3.2": "NI"}))
        assert response.status_code == 409
        assert "expected one of Y/PY/PN/N/NA for question 3.2" in response.text
        script = form({"1.1": "<script>alert(1)</script>"})
        response = rita.post("/rob/assess", script)
        assert response.status_code == 409 and "<script>alert" not in response.text


def test_cluster_trials_get_domain_1b(project):
    enter(project, 2, {Cell("design"): "cluster-randomised trial"}, extractor="rita")
    with workspace(project) as browser:
        rita = browser("rita")
        assert "1b.1" in rita.get(f"/rob/assess?{where(2)}").text  # suggested by extraction
        assert "1b.1" not in rita.get(f"/rob/assess?{where(1)}").text
        response = rita.post("/rob/assess", form({"1b.1": "Y"}, cluster="yes"))
        assert "D1b" in response.text and "1b.1 = Y ⇒ Low" in response.text


def _assess(browser, who, answers, study=1, **extra):
    person = browser(who)
    assert person.post("/rob/assess", form(answers, study, **extra)).status_code == 200
    return person


def test_no_rob_response_shows_another_assessors_answers_before_both_submit(project):
    with workspace(project) as browser:
        rita = _assess(browser, "rita", LOW, override_D3="High", justification_D3=SECRET)
        rita.post("/rob/submit", {"study": "1", "result": RESULT})
        ravi = _assess(browser, "ravi", dict(LOW, **{"1.1": "PY"}))
        lena, vic = browser("lena"), browser("vic")
        for person in (ravi, lena, vic):
            for method, path in rob_routes():
                query = f"?{where()}&kind=traffic&partial=1"
                if method == "GET":
                    response = person.get(path + query)
                else:  # (submitting study 1 would open the comparison)
                    study = 2 if path == "/rob/submit" else 1
                    response = person.post(path, form(LOW, study, item="1.1", value="Y"))
                assert SECRET not in response.text, (person.name, method, path)
                assert "RITA-ONLY" not in response.text, (person.name, method, path)
        assert "not complete" in ravi.get(f"/rob/compare?{where()}").text
        assert ravi.post("/rob/submit", {"study": "1", "result": RESULT}).status_code == 200
        opened = ravi.get(f"/rob/compare?{where()}")
        assert opened.status_code == 200 and SECRET in opened.text
        read = vic.get(f"/rob/compare?{where()}")  # a viewer reads it, without the forms
        assert read.status_code == 200 and SECRET in read.text and "/rob/agree" not in read.text
        assert 'href="/rob/compare?study=1&amp;result=' in vic.get("/rob").text
        assert vic.post("/rob/agree", form(LOW, item="1.1", value="Y")).status_code == 403


def test_comparison_and_consensus_record_who_agreed_and_when(project):
    with workspace(project) as browser:
        rita = _assess(browser, "rita", LOW, override_D3="High", justification_D3=SECRET)
        ravi = _assess(browser, "ravi", dict(LOW, **{"1.1": "PY"}))
        for person in (rita, ravi):
            person.post("/rob/submit", {"study": "1", "result": RESULT})
        page = rita.get(f"/rob/compare?{where()}")
        assert "Items that differ <small>2</small>" in page.text
        assert 'id="item-1-1"' in page.text and 'id="item-D3-override"' in page.text
        missing = {"study": "1", "result": RESULT, "item": "D3 override", "value": "High"}
        refused = rita.post("/rob/agree", missing)
        assert refused.status_code == 409 and "needs a justification" in refused.text
        agreed = rita.post("/rob/agree", dict(missing, justification="agreed: 30% lost"))
        assert agreed.status_code == 200
        one = {"study": "1", "result": RESULT, "item": "1.1", "value": "Y", "note": "protocol"}
        page = ravi.post("/rob/agree", dict(one, agreed_by="rita, ravi")).text
        assert "recorded by ravi, agreed by rita, ravi" in page
        assert "Every item is agreed" in page
        [_, last] = rob_consensus(project, 1, RESULT)
        assert (last.actor, last.data["agreed_by"], last.at.tzinfo is not None) == (
            "ravi",
            ["rita", "ravi"],
            True,
        )
        lena = browser("lena")
        robvis = lena.get(f"/rob/robvis.csv?result={RESULT}")
        rows = list(csv.DictReader(io.StringIO(robvis.text)))
        assert [(r["Study"], r["D3"], r["Overall"]) for r in rows] == [
            ("Lee, 2020", "High", "High")
        ]
        details = list(
            csv.DictReader(io.StringIO(lena.get(f"/rob/details.csv?result={RESULT}").text))
        )
        d3 = next(r for r in details if r["domain"] == "D3")
        assert (d3["proposed"], d3["judgement"], d3["overridden"]) == ("Low", "High", "True")
        assert d3["justification"] == "agreed: 30% lost"
        overview = lena.get("/rob").text
        assert "Overridden proposals" in overview and "/rob/figure.svg?result=" in overview
        svg = lena.get(f"/rob/figure.svg?result={RESULT}&kind=summary")
        assert svg.headers["content-type"] == "image/svg+xml" and b"<svg" in svg.content


def test_exports_refuse_unagreed_assessments_unless_partial(project):
    with workspace(project) as browser:
        lena = browser("lena")
        assert lena.get(f"/rob/robvis.csv?result={RESULT}").status_code == 409
        for who in ("rita", "ravi"):
            person = _assess(browser, who, LOW)
            person.post("/rob/submit", {"study": "1", "result": RESULT})
        _assess(browser, "rita", LOW, study=2)
        refused = lena.get(f"/rob/robvis.csv?result={RESULT}")
        assert refused.status_code == 409 and "Ng, 2021" in refused.text
        partial = lena.get(f"/rob/robvis.csv?result={RESULT}&partial=1")
        assert partial.status_code == 200 and "Lee, 2020" in partial.text


def test_roles_unknown_studies_and_third_assessors(project):
    with workspace(project) as browser:
        vic, rita = browser("vic"), browser("rita")
        assert vic.get("/rob").status_code == 200
        assert vic.get(f"/rob/assess?{where()}").status_code == 403
        assert vic.post("/rob/assess", form(LOW)).status_code == 403
        assert rita.get(f"/rob/robvis.csv?result={RESULT}").status_code == 403
        assert rita.post("/rob/settings", {"tool": "rob1", "assessors": "1"}).status_code == 403
        for bad in ("study=999&result=x", "study=abc&result=x", "study=1&result=+", "study=1"):
            assert rita.get(f"/rob/assess?{bad}").status_code == 404, bad
        assert rita.post("/rob/assess", form(LOW, study=999)).status_code == 404
        _assess(browser, "ravi", LOW)
        _assess(browser, "tess", LOW)
        third = rita.post("/rob/assess", form(LOW))
        assert third.status_code == 409 and "assessor(s) already" in third.text
        assert rob_progress(project, 1, RESULT).assessors == ("ravi", "tess")


def test_rob1_with_the_ahrq_rating_and_settings_fixed_once_begun(project):
    with workspace(project) as browser:
        lena, rita = browser("lena"), browser("rita")
        saved = lena.post("/rob/settings", {"tool": "rob1", "assessors": "1"})
        assert saved.status_code == 200 and "Settings saved" in saved.text
        page = rita.get(f"/rob/assess?{where()}").text
        assert "Random sequence generation (selection bias)" in page
        judgements = {
            "j_sequence_generation": "Low", "j_allocation_concealment": "Low",
            "j_blinding_participants": "High", "j_blinding_outcome": "Low",
            "j_incomplete_outcome": "Low", "j_selective_reporting": "Low", "j_other_bias": "Low",
            "s_blinding_participants": "open-label", "likely_biased": "no",
        }  # fmt: skip
        response = rita.post("/rob/assess", {"study": "1", "result": RESULT, **judgements})
        assert response.status_code == 200
        assert 'class="ahrq">fair<' in response.text
        assert rita.post("/rob/submit", {"study": "1", "result": RESULT}).status_code == 200
        assert "fair" in rita.get(f"/rob/compare?{where()}").text
        refused = lena.post("/rob/settings", {"tool": "rob2", "assessors": "1"})
        assert refused.status_code == 409 and "can no longer change" in refused.text
        rows = list(csv.DictReader(io.StringIO(lena.get(f"/rob/robvis.csv?result={RESULT}").text)))
        assert rows[0]["D3"] == "High" and rows[0]["Overall"] == "High"


def test_submit_is_refused_while_a_domain_waits(project):
    set_assessors_required(project, 1, actor="lena")
    set_rob_tool(project, "rob2", actor="lena")
    with workspace(project) as browser:
        rita = _assess(browser, "rita", {"1.1": "Y"})
        refused = rita.post("/rob/submit", {"study": "1", "result": RESULT})
        assert refused.status_code == 409 and "Not submitted" in refused.text
        assert "an answer Y/PY/PN/N/NI to 1.2" in refused.text
        assert rob_progress(project, 1, RESULT).submitted == ()


def test_labels_results_and_justifications_are_shown_as_text(project):
    hostile = '<img src=x onerror="alert(1)">'
    add_study(project, f"Evil {hostile}", actor="lena")
    with workspace(project) as browser:
        rita, ravi = browser("rita"), browser("ravi")
        for person in (rita, ravi):
            fields = form(LOW, 4, result=f"mood {hostile}")
            if person is rita:
                fields |= {"override_D2": "High", "justification_D2": f"why {hostile}"}
            assert person.post("/rob/assess", fields).status_code == 200
            person.post("/rob/submit", {"study": "4", "result": f"mood {hostile}"})
        lena = browser("lena")
        query = f"study=4&result=mood+{hostile}"
        for page in (
            lena.get("/rob"),
            rita.get(f"/rob/assess?{query}"),
            rita.get(f"/rob/compare?{query}"),
        ):
            assert page.status_code == 200
            assert hostile not in page.text and "&lt;img src=x" in page.text
