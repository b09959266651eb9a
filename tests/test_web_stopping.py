"""The dashboard's stopping-rule panel over HTTP: the same advice as ``records stopping``, on
the team's completed records for everyone and on a reviewer's own votes for that reviewer,
and no blinded vote in it."""

from __future__ import annotations

import re
from contextlib import redirect_stdout
from io import StringIO

import pytest
from markupsafe import escape

from metareview.cli import main
from tests import stores
from tests.web_client import make_project, workspace

store_url = stores.store_url  # the fixture, once per backend


@pytest.fixture
def project(store_url):
    with make_project(store_url, n_records=12) as opened:
        yield opened


def _panel(html: str) -> str:
    match = re.search(r'<section class="panel stopping">.*?</section>', html, flags=re.S)
    assert match, "the dashboard has no stopping panel"
    return match.group(0)


def _cli(*args: str) -> list[str]:
    out = StringIO()
    with redirect_stdout(out):
        try:
            main(["records", "stopping", *args])
        except SystemExit as done:
            assert not done.code
    return out.getvalue().splitlines()


def _vote(browser, record_id: int, decision: str):
    data = {"record_id": str(record_id), "stage": "ta", "decision": decision}
    assert browser.post("/screen/vote", data).status_code == 303


def test_the_panel_says_what_the_cli_says_on_completed_records_only(project):
    with workspace(project) as browser:
        lena, rita, ravi, vic = (browser(n) for n in ("lena", "rita", "ravi", "vic"))
        for record_id in range(1, 6):  # five records complete: one kept, four excluded
            for who in (rita, ravi):
                _vote(who, record_id, "include" if record_id == 1 else "exclude")
        _vote(rita, 6, "include")  # rita's vote on record 6 is still blinded

        team = _cli(project.url)
        own = _cli(project.url, "--reviewer", "rita")
        assert team[0].endswith("5 of 12 records screened, 1 kept, 7 unscreened")
        assert own[0].endswith("6 of 12 records screened, 2 kept, 6 unscreened")

        for name, tables in (("vic", [team]), ("lena", [team, []]), ("rita", [team, own])):
            panel = _panel(browser(name).get("/dashboard").text)
            for lines in tables:
                for line in lines[1:]:  # "  rule: stop|go on. message"
                    rule, _, rest = line.strip().partition(": ")
                    verdict, _, message = rest.partition(". ")
                    row = f"<tr><td>{escape(rule)}</td><td>{verdict}</td>"
                    assert row in panel and str(escape(message)) in panel, (name, line)
            assert "5 of 12 records screened, 1 kept, 7 unscreened" in panel
        # the lead sees her own (empty) votes, never rita's: no table counts rita's record 6
        assert "6 of 12" not in _panel(lena.get("/dashboard").text)
        assert "your own votes" not in _panel(vic.get("/dashboard").text)
        assert "On your own votes" in _panel(rita.get("/dashboard").text)


def test_a_blinded_vote_leaves_everyone_elses_panel_unchanged(project):
    with workspace(project) as browser:
        rita, ravi, tess, vic = (browser(n) for n in ("rita", "ravi", "tess", "vic"))
        for record_id in range(1, 4):
            for who in (rita, ravi):
                _vote(who, record_id, "exclude")
        others = {"ravi": ravi, "tess": tess, "vic": vic}
        before = {name: _panel(b.get("/dashboard").text) for name, b in others.items()}
        own_before = _panel(rita.get("/dashboard").text)
        _vote(rita, 4, "include")
        for name, b in others.items():
            assert _panel(b.get("/dashboard").text) == before[name], name
        assert _panel(rita.get("/dashboard").text) != own_before  # her own table moved
        _vote(ravi, 4, "include")  # now complete: the team's table counts it for everyone
        assert "4 of 12 records screened, 1 kept" in _panel(vic.get("/dashboard").text)
