"""The ranking model on the lead's settings page, over HTTP on both store backends: the lead
sees and changes it through ``configure`` (logged like every setting), others are refused, an
unknown model is refused with the page, the sentence vectors a model needs are counted, and
the project then ranks with the model chosen; a ranking that fails shows, with why, to its
reviewer (never to another) and on the lead's dashboard, until one succeeds."""

from __future__ import annotations

import json
import re
import time

import pytest

from metareview.errors import ExtraNotInstalledError
from metareview.records import embeddings
from metareview.records.active_learning import MODELS
from metareview.records.ranking_choices import RANKING_CHOICES
from metareview.store.embeddings import embed_project, vector_counts
from metareview.store.rankings import RankingCache, project_ranker
from metareview.store.review import screening_config
from tests import stores
from tests.embedding_double import WordHashEncoder
from tests.web_client import make_project, workspace

store_url = stores.store_url  # the fixture, once per backend
#: the other fields of the settings form, as the page sends them
FORM = {"include": "", "exclude": "", "reviewers_required": "2", "reasons": "wrong population"}


@pytest.fixture
def project(store_url):
    with make_project(store_url) as opened:
        yield opened


@pytest.fixture
def no_extra(monkeypatch):
    """The extra is not installed (whatever this machine has): nothing can be embedded."""

    def refuse(threads=None):
        raise ExtraNotInstalledError(embeddings.INSTALL_HINT)

    monkeypatch.setattr(embeddings, "load_encoder", refuse)
    monkeypatch.setattr(embeddings, "extra_installed", lambda: False)


def _stand_in() -> WordHashEncoder:
    """The stand-in encoder, storing its vectors under the optional model's name."""
    return WordHashEncoder(dimension=embeddings.DIMENSION, name=embeddings.MODEL_NAME)


def _checked(page: str) -> list[str]:
    return re.findall(r'name="ranking_model" value="([^"]+)" checked', page)


def test_the_choices_are_the_built_in_models_in_their_order():
    assert [choice.name for choice in RANKING_CHOICES] == list(MODELS)
    for choice in RANKING_CHOICES:
        assert choice.reads_vectors == MODELS[choice.name].embedding
        assert choice.description and "\n" not in choice.description


def test_the_lead_sees_and_changes_the_ranking_model_and_the_change_is_logged(project):
    with workspace(project) as browser:
        lena = browser("lena")
        page = lena.get("/settings").text
        assert re.findall(r'name="ranking_model" value="([^"]+)"', page) == list(MODELS)
        assert _checked(page) == ["svm"]
        assert "with 100 records not yet screened taken as presumed irrelevant" in page
        assert "The optional sentence-embedding model" in page
        saved = lena.post("/settings", FORM | {"ranking_model": "logistic"})
        assert saved.status_code == 200 and "Settings saved." in saved.text
        assert _checked(saved.text) == ["logistic"]
        assert screening_config(project).ranking_model == "logistic"
        assert "have none yet" not in saved.text  # logistic reads no vectors: no warning
        # a form without the field (an older page) leaves the model as it is
        assert lena.post("/settings", FORM).status_code == 200
        assert screening_config(project).ranking_model == "logistic"
        assert _checked(lena.get("/settings").text) == ["logistic"]
        # logged like every setting: an event by the lead, in the audit log's download
        changes = [e for e in project.events("setting") if e.value == "ranking_model"]
        assert [(e.actor, e.data["value"]) for e in changes] == [("lena", "logistic")]
        log = [json.loads(line) for line in lena.get("/exports/log.jsonl").text.splitlines()]
        assert any(
            e["kind"] == "setting" and e["value"] == "ranking_model" and e["actor"] == "lena"
            for e in log
        )


def test_reviewers_and_viewers_are_refused_and_nothing_changes(project):
    with workspace(project) as browser:
        for name in ("rita", "vic"):
            person = browser(name)
            assert person.get("/settings").status_code == 403
            refused = person.post("/settings", FORM | {"ranking_model": "nb"})
            assert refused.status_code == 403
        assert screening_config(project).ranking_model == "svm"
        assert not [e for e in project.events("setting") if e.value == "ranking_model"]


def test_a_missing_or_another_sessions_csrf_token_is_refused(project):
    with workspace(project) as browser:
        lena, rita = browser("lena"), browser("rita")
        wanted = FORM | {"ranking_model": "nb"}
        assert lena.post("/settings", wanted, csrf=False).status_code == 403
        stolen = wanted | {"csrf_token": rita.csrf}
        assert lena.post("/settings", stolen, csrf=False).status_code == 403
        wrong = wanted | {"csrf_token": "x" * 43}
        assert lena.post("/settings", wrong, csrf=False).status_code == 403
        assert screening_config(project).ranking_model == "svm"


def test_an_unknown_model_is_refused_with_the_page_and_nothing_is_saved(project):
    with workspace(project) as browser:
        lena = browser("lena")
        for model in ("bert", "SVM", "", "<script>alert(1)</script>"):
            refused = lena.post("/settings", FORM | {"include": "yoga", "ranking_model": model})
            assert refused.status_code == 400, model
            assert "text/html" in refused.headers["content-type"]
            assert "ranking model must be one of svm, logistic, nb, minilm" in refused.text
            assert '<p class="error" role="alert">' in refused.text
            assert "<script>alert" not in refused.text  # escaped
            assert _checked(refused.text) == ["svm"]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in refused.text
        config = screening_config(project)
        assert config.ranking_model == "svm" and config.highlight_include == ()
        assert not [e for e in project.events("setting") if e.value == "ranking_model"]


def _counts_beside(page: str, model: str) -> str:
    """The text of the vector counts shown right after the radio button of ``model`` (and
    before the next one), whitespace collapsed; the button names them for screen readers."""
    button = re.search(rf'<input type="radio" name="ranking_model" value="{model}"[^>]*>', page)
    assert button and f'aria-describedby="vectors-{model}"' in button.group(0)
    after = page[button.end() :].split('name="ranking_model"')[0]
    counts = re.search(rf'<div id="vectors-{model}" class="([^"]+)"(.*?)</div>', after, re.S)
    assert counts, f"no vector counts beside {model}"
    return counts.group(1) + " | " + " ".join(re.sub("<[^>]+>", "", counts.group(2)).split())


def test_the_counts_show_beside_minilm_before_a_lead_chooses_it(project, no_extra, monkeypatch):
    embed_project(project, _stand_in(), ids=[1, 2, 3])  # 3 of the 6 records
    with workspace(project) as browser:
        lena = browser("lena")
        page = lena.get("/settings").text
        assert _checked(page) == ["svm"]
        counts = _counts_beside(page, "minilm")
        assert counts.startswith("notice vector-counts |")  # not chosen: no warning yet
        assert "3 of the project's 6 records have one; 3 do not." in counts
        assert "is not installed on this server, so it cannot compute them" in counts
        assert "ranking with minilm fails" in counts
        assert 'class="warning"' not in page
        for other in ("svm", "logistic", "nb"):  # read no vectors: nothing beside them
            assert f'aria-describedby="vectors-{other}"' not in page
        monkeypatch.setattr(embeddings, "extra_installed", lambda: True)
        counts = _counts_beside(lena.get("/settings").text, "minilm")
        assert "The server computes the missing ones in the background" in counts
        assert "once minilm is chosen" in counts
        # what is shown is escaped (here a model name that is markup)
        monkeypatch.setattr(embeddings, "MODEL_NAME", "<img src=x onerror=alert(1)>")
        page = lena.get("/settings").text
        assert "<img src=x" not in page and "(&lt;img src=x onerror=alert(1)&gt;)" in page
        assert not re.findall(r"<script(?![^>]*\bsrc=)", page)  # no inline script (CSP)
        for name in ("rita", "vic"):  # the lead's page only
            refused = browser(name).get("/settings")
            assert refused.status_code == 403 and "Sentence vectors" not in refused.text


def test_minilm_shows_how_many_records_have_a_vector_and_warns_while_some_do_not(
    project, no_extra, monkeypatch
):
    embed_project(project, _stand_in(), ids=[1, 2, 3, 4])  # 4 of the 6 records
    with workspace(project) as browser:
        lena = browser("lena")
        before = lena.get("/settings").text
        assert 'class="warning"' not in before  # svm reads none: shown, no warning
        saved = lena.post("/settings", FORM | {"ranking_model": "minilm"})
        assert saved.status_code == 200 and "Settings saved." in saved.text  # allowed, warned
        assert screening_config(project).ranking_model == "minilm"
        text = " ".join(saved.text.split())
        assert "4 of the project's 6 records have one; 2 do not." in text
        assert _counts_beside(saved.text, "minilm").startswith("warning vector-counts |")
        assert '<p class="warning" role="alert">' in saved.text
        assert "2 of the project's 6 records have none yet" in text
        assert "is not installed on this server" in text
        assert "<code>metareview records embed PROJECT</code>" in text
        # with the extra installed, the server computes them when it next ranks
        monkeypatch.setattr(embeddings, "extra_installed", lambda: True)
        text = " ".join(lena.get("/settings").text.split())
        assert "The server computes the missing ones in the background" in text
        # every record with a vector: no warning
        embed_project(project, _stand_in())
        page = lena.get("/settings").text
        text = " ".join(page.split())
        assert "6 of the project's 6 records have one; 0 do not." in text
        assert 'class="warning"' not in page
    counts = vector_counts(project)
    assert (counts.records, counts.cached, counts.missing) == (6, 6, 0)


def test_the_project_then_ranks_with_the_model_chosen(project, no_extra):
    pool = list(project.record_ids())
    with workspace(project) as browser:
        lena, rita = browser("lena"), browser("rita")
        assert project_ranker(project, pool).model.name == "svm"
        assert lena.post("/settings", FORM | {"ranking_model": "minilm"}).status_code == 200
        for record_id, decision in ((1, "include"), (2, "exclude")):
            vote = {"record_id": str(record_id), "stage": "ta", "decision": decision}
            assert rita.post("/screen/vote", vote).status_code == 303
        # minilm reads the vectors: without them (and without the extra) it cannot rank
        with pytest.raises(ExtraNotInstalledError):
            RankingCache().order(project, "rita", "ta")
        assert rita.get("/screen?stage=ta").status_code == 200  # the queue still serves
        embed_project(project, _stand_in())
        ranker = project_ranker(project, pool)
        assert ranker.model.name == "minilm" and ranker.vectors.shape == (6, 384)
        order = list(RankingCache().order(project, "rita", "ta"))
        assert sorted(order) == [3, 4, 5, 6]
        assert lena.post("/settings", FORM | {"ranking_model": "nb"}).status_code == 200
        assert project_ranker(project, pool).model.name == "nb"


NOTICE = "Your queue is in its previous order: the last ranking failed ("


def _screen_until(browser, wanted: bool, attempts: int = 600) -> str:
    """The reviewer's screening page once it shows (or no longer shows) the notice of a
    failed ranking (polls: the ranking runs in the background after each vote)."""
    for _ in range(attempts):
        page = browser.get("/screen?stage=ta").text
        if (NOTICE in page) == wanted:
            return page
        time.sleep(0.05)
    raise AssertionError(f"the notice of a failed ranking {'never came' if wanted else 'stayed'}")


def test_a_failed_ranking_shows_to_its_reviewer_and_the_lead_until_one_succeeds(project, no_extra):
    with workspace(project) as browser:
        lena, rita, vic = browser("lena"), browser("rita"), browser("vic")
        assert lena.post("/settings", FORM | {"ranking_model": "minilm"}).status_code == 200
        vote = {"record_id": "1", "stage": "ta", "decision": "include"}
        assert rita.post("/screen/vote", vote).status_code == 303
        page = _screen_until(rita, True)
        notice = re.search(r'<p class="warning ranking-failure" role="status">([^<]*)</p>', page)
        assert notice, page
        text = notice.group(1)
        assert re.search(r"failed \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\): ", text)
        assert "6 of 6 records have no all-MiniLM-L6-v2 vector yet" in text
        assert "&#39;metareview records embed PROJECT&#39;" in text  # escaped by Jinja
        dashboard = lena.get("/dashboard").text
        assert "Rankings that failed" in dashboard
        row = re.search(
            r"<tr><td>rita</td><td>Title/abstract</td><td>[^<]+ UTC</td><td>([^<]+)<", dashboard
        )
        assert row and "6 of 6 records have no all-MiniLM-L6-v2 vector yet" in row.group(1)
        for other in (rita, vic):  # the list names reviewers: the lead's only
            assert "Rankings that failed" not in other.get("/dashboard").text

        assert lena.post("/settings", FORM | {"ranking_model": "svm"}).status_code == 200
        vote = {"record_id": "2", "stage": "ta", "decision": "exclude"}
        assert rita.post("/screen/vote", vote).status_code == 303
        _screen_until(rita, False)  # a ranking that succeeds clears it, for the lead too
        assert "Rankings that failed" not in lena.get("/dashboard").text


def test_a_reviewer_never_sees_another_reviewers_failed_ranking(project, monkeypatch):
    real = RankingCache.order

    def order(self, project, reviewer, stage):  # only rita's ranking fails, with markup
        if reviewer == "rita":
            raise ValueError("<script>alert(1)</script> cannot rank")
        return real(self, project, reviewer, stage)

    monkeypatch.setattr(RankingCache, "order", order)
    with workspace(project) as browser:
        rita, ravi = browser("rita"), browser("ravi")
        vote = {"record_id": "1", "stage": "ta", "decision": "include"}
        assert rita.post("/screen/vote", vote).status_code == 303
        page = _screen_until(rita, True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt; cannot rank" in page
        assert "<script>alert" not in page
        vote = {"record_id": "2", "stage": "ta", "decision": "include"}
        assert ravi.post("/screen/vote", vote).status_code == 303
        for _ in range(5):  # ravi's own rankings succeed; rita's failure never shows to him
            page = ravi.get("/screen?stage=ta").text
            assert NOTICE not in page and "cannot rank" not in page
            time.sleep(0.1)


def test_a_failure_goes_once_the_screen_page_ranks_again_without_another_vote(project, monkeypatch):
    """A reviewer who has cast their last vote (or stopped voting) must not keep the notice,
    and stay on the lead's dashboard, once the cause is gone: Screen itself tries again."""
    real, failing = RankingCache.order, [False]

    def order(self, project, reviewer, stage):
        if failing[0]:
            raise ValueError("cannot rank now")
        return real(self, project, reviewer, stage)

    monkeypatch.setattr(RankingCache, "order", order)
    with workspace(project) as browser:
        lena, rita = browser("lena"), browser("rita")
        _screen_until(rita, False)  # her first ranking succeeds
        failing[0] = True
        vote = {"record_id": "1", "stage": "ta", "decision": "include"}
        assert rita.post("/screen/vote", vote).status_code == 303
        _screen_until(rita, True)
        failing[0] = False  # say the lead ran `records embed`: no vote comes after
        _screen_until(rita, False)
        assert "Rankings that failed" not in lena.get("/dashboard").text


def _failed_on_dashboard(lead) -> list[str]:
    """The reviewers the lead's dashboard lists under *Rankings that failed*."""
    return re.findall(r"<tr><td>([^<]+)</td><td>Title/abstract</td>", lead.get("/dashboard").text)


def test_the_dashboard_lists_no_failure_of_a_disabled_or_removed_reviewer(project, monkeypatch):
    """A reviewer whose account is disabled, who is removed from the review, or who is made a
    viewer no longer screens: their failed ranking leaves the lead's dashboard at once (not at
    the next restart), and comes back with them while it still stands."""

    def order(self, project, reviewer, stage):
        raise ValueError("cannot rank now")

    monkeypatch.setattr(RankingCache, "order", order)
    with workspace(project) as browser:
        lena = browser("lena")  # the lead, and an admin: she disables accounts
        for name in ("rita", "ravi", "tess"):
            _screen_until(browser(name), True)  # Screen ranks, and the ranking fails
        assert _failed_on_dashboard(lena) == ["ravi", "rita", "tess"]
        assert lena.post("/members/rita", {"action": "disable"}).status_code == 303
        assert lena.post("/members/ravi", {"action": "role", "role": ""}).status_code == 303
        assert _failed_on_dashboard(lena) == ["tess"]
        assert lena.post("/members/rita", {"action": "enable"}).status_code == 303
        assert _failed_on_dashboard(lena) == ["rita", "tess"]
        assert lena.post("/members/tess", {"action": "role", "role": "viewer"}).status_code == 303
        assert _failed_on_dashboard(lena) == ["rita"]
        assert lena.post("/members/tess", {"action": "role", "role": "reviewer"}).status_code == 303
        assert _failed_on_dashboard(lena) == ["rita", "tess"]
        assert lena.post("/members/tess", {"action": "disable"}).status_code == 303
        assert lena.post("/members/rita", {"action": "disable"}).status_code == 303
        assert "Rankings that failed" not in lena.get("/dashboard").text
