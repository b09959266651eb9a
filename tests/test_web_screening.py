"""Screening in the workspace over HTTP: votes, undo, notes, conflicts, and blinding.

Blinding is checked on whole responses: every page and fragment another account can fetch
must be byte-for-byte the same before and after a reviewer votes (so no vote, count or
timestamp leaks), until the record's required votes are all in.
"""

from __future__ import annotations

import re

import pytest

from metareview.store.review import stage_state
from tests import stores
from tests.web_client import make_project, workspace

store_url = stores.store_url  # the fixture, once per backend
SECRET_NOTE = "rita-thinks-this-is-out"


@pytest.fixture
def project(store_url):
    with make_project(store_url) as opened:
        yield opened


def _pages(browser, record_id: int) -> dict[str, str]:
    """Every response an account can get that shows records or counts."""
    urls = [
        "/",
        "/dashboard",
        "/screen?stage=ta",
        f"/screen?stage=ta&record={record_id}",
        "/screen?stage=ft",
        "/screen/awaiting?stage=ta",
        "/conflicts?stage=ta",
        f"/conflicts/{record_id}?stage=ta",
        "/settings",
        "/members",
        "/dashboard/prisma.svg",
        "/exports/prisma.csv",
        "/exports/included.csv?stage=ta",
        "/exports/included.ris?stage=ta",
        "/exports/votes.csv",
        "/exports/log.jsonl",
    ]
    out = {}
    for url in urls:
        response = browser.get(url)
        out[url] = f"{response.status_code} {response.text}"
        if url.startswith("/screen?"):  # the htmx fragment of the same page
            again = browser.get(url, headers={"HX-Request": "true"})
            out[url + " (fragment)"] = f"{again.status_code} {again.text}"
    return out


def _without_lead_only_counts(text: str) -> str:
    """The lead's dashboard lists votes cast per reviewer (never which way): drop that table."""
    return re.sub(r"<table class=\"list compact votes-cast\">.*?</table>", "", text, flags=re.S)


def test_no_response_reveals_a_vote_before_the_votes_are_complete(project):
    with workspace(project) as browser:
        rita, ravi, tess, vic, lena = (browser(n) for n in ("rita", "ravi", "tess", "vic", "lena"))
        record_id = 3
        others = {"ravi": ravi, "tess": tess, "vic": vic, "lena": lena}
        before = {name: _pages(b, record_id) for name, b in others.items()}
        vote = {
            "record_id": str(record_id),
            "stage": "ta",
            "decision": "exclude",
            "note": SECRET_NOTE,
        }
        assert rita.post("/screen/vote", vote).status_code == 303
        after = {name: _pages(b, record_id) for name, b in others.items()}
        for name in others:
            for url, text in before[name].items():
                if name == "lena" and url == "/dashboard":
                    assert _without_lead_only_counts(after[name][url]) == _without_lead_only_counts(
                        text
                    )
                else:
                    assert after[name][url] == text, (name, url)
                assert SECRET_NOTE not in after[name][url]
        # ravi votes on the record through the htmx fragment: the answer shows his next record
        # and nothing of rita's vote
        fragment = ravi.post(
            "/screen/vote",
            {"record_id": str(record_id), "stage": "ta", "decision": "include"},
            headers={"HX-Request": "true"},
        )
        assert fragment.status_code == 200 and SECRET_NOTE not in fragment.text
        assert "exclude</" not in fragment.text
        # now complete and in conflict: the third reviewer and the lead see both votes and the
        # note; the voters do not see each other's vote through the conflict page
        shown = tess.get(f"/conflicts/{record_id}?stage=ta").text
        assert SECRET_NOTE in shown and "rita" in shown and "ravi" in shown
        assert SECRET_NOTE in lena.get(f"/conflicts/{record_id}?stage=ta").text
        assert ravi.get(f"/conflicts/{record_id}?stage=ta").status_code == 403
        assert str(record_id) in ravi.get("/conflicts?stage=ta").text


def test_a_conflict_is_resolved_by_a_third_reviewer_not_a_voter(project):
    with workspace(project) as browser:
        rita, ravi, tess = browser("rita"), browser("ravi"), browser("tess")
        for who, decision in ((rita, "include"), (ravi, "exclude")):
            who.post("/screen/vote", {"record_id": "2", "stage": "ta", "decision": decision})
        refused = ravi.post("/conflicts/2/resolve", {"stage": "ta", "decision": "exclude"})
        assert refused.status_code == 403
        assert "2" in tess.get("/conflicts?stage=ta").text
        done = tess.post("/conflicts/2/resolve", {"stage": "ta", "decision": "include"})
        assert done.status_code == 303
        resolution = stage_state(project, "ta").resolutions[2]
        assert (resolution.vote, resolution.by, resolution.method) == (
            "include",
            "tess",
            "third_reviewer",
        )
        again = tess.post("/conflicts/2/resolve", {"stage": "ta", "decision": "exclude"})
        assert again.status_code == 409 and "already resolved by tess" in again.text


def test_undo_withdraws_the_last_vote_and_shows_that_record(project):
    with workspace(project) as browser:
        rita = browser("rita")
        rita.post("/screen/vote", {"record_id": "4", "stage": "ta", "decision": "include"})
        assert stage_state(project, "ta").votes[4] == {"rita": "include"}
        response = rita.post("/screen/undo", {"stage": "ta"}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert 'name="record_id" value="4"' in response.text
        assert 4 not in stage_state(project, "ta").votes
        nothing = rita.post("/screen/undo", {"stage": "ta"}, headers={"HX-Request": "true"})
        assert nothing.status_code == 409 and "no vote to undo" in nothing.text


def test_vote_refused_once_votes_are_locked_and_viewers_cannot_vote(project):
    with workspace(project) as browser:
        rita, ravi, tess, vic = (browser(n) for n in ("rita", "ravi", "tess", "vic"))
        for who in (rita, ravi):
            who.post("/screen/vote", {"record_id": "1", "stage": "ta", "decision": "include"})
        late = tess.post("/screen/vote", {"record_id": "1", "stage": "ta", "decision": "exclude"})
        assert late.status_code == 409 and "locked" in late.text
        assert (
            vic.post(
                "/screen/vote", {"record_id": "5", "stage": "ta", "decision": "include"}
            ).status_code
            == 403
        )
        assert set(stage_state(project, "ta").votes[1]) == {"rita", "ravi"}


def test_a_note_holding_a_nul_character_is_refused_with_the_reason(project):
    with workspace(project) as browser:
        vote = {"record_id": "2", "stage": "ta", "decision": "include", "note": "see\x00p. 3"}
        refused = browser("rita").post("/screen/vote", vote)
        assert refused.status_code == 409 and "holds a NUL character" in refused.text
        assert 2 not in stage_state(project, "ta").votes


def test_lead_settings_highlight_terms_and_reviewers_required(project):
    with workspace(project) as browser:
        lena, rita = browser("lena"), browser("rita")
        reasons = "wrong population\nwrong design"
        saved = lena.post(
            "/settings",
            {
                "include": "exercise\nrandomised",
                "exclude": "trial 2",
                "reviewers_required": "2",
                "reasons": reasons,
            },
        )
        assert saved.status_code == 200 and "Settings saved." in saved.text
        page = rita.get("/screen?stage=ta&record=3").text
        assert '<mark class="inc">Exercise</mark>' in page
        assert '<mark class="exc">trial 2</mark>' in page
        assert 'href="https://doi.org/10.1000/trial.2"' in page  # the DOI as a link
        bad = lena.post("/settings", {"reviewers_required": "0", "reasons": reasons})
        assert bad.status_code == 400
        assert project.setting("exclusion_reasons") == ["wrong population", "wrong design"]
        # once screening has begun, a new number applies only to records nobody voted on
        rita.post("/screen/vote", {"record_id": "1", "stage": "ta", "decision": "include"})
        one = {"reviewers_required": "1", "reasons": reasons}
        refused = lena.post("/settings", one)
        assert refused.status_code == 400 and "screening has begun" in refused.text
        assert lena.post("/settings", one | {"only_unvoted": "1"}).status_code == 200
        state = stage_state(project, "ta")
        assert (state.required_for(1), state.required_for(2)) == (2, 1)
        assert not state.complete(1)  # rita's vote stays blinded: record 1 still needs two


def test_dashboard_prisma_files_equal_the_cli_and_the_lead_sees_agreement(project, tmp_path):
    from contextlib import redirect_stdout
    from io import StringIO

    from metareview.cli import main

    with workspace(project) as browser:
        lena, rita, ravi, vic, tess = (browser(n) for n in ("lena", "rita", "ravi", "vic", "tess"))
        for record_id in range(1, 7):
            for who, decision in (
                (rita, "include"),
                (ravi, "include" if record_id < 5 else "exclude"),
            ):
                who.post(
                    "/screen/vote",
                    {"record_id": str(record_id), "stage": "ta", "decision": decision},
                )
        while_screening = lena.get("/dashboard/prisma.svg")  # drawn before the flow adds up
        assert while_screening.status_code == 200 and b"<svg" in while_screening.content
        for record_id in (5, 6):
            tess.post(f"/conflicts/{record_id}/resolve", {"stage": "ta", "decision": "exclude"})
        svg, csv_file = lena.get("/dashboard/prisma.svg"), lena.get("/exports/prisma.csv")
        assert svg.headers["content-type"] == "image/svg+xml" and csv_file.status_code == 200
        assert vic.get("/dashboard/prisma.svg").content == svg.content  # a viewer sees the flow
        assert vic.get("/exports/prisma.csv").status_code == 403
        board = lena.get("/dashboard").text
        assert "rita &amp; ravi" in board or "ravi &amp; rita" in board
        assert "PABAK" in board and "rita &amp;" not in vic.get("/dashboard").text
        url = project.url
        with redirect_stdout(StringIO()):
            try:
                main(
                    [
                        "records",
                        "prisma",
                        url,
                        "-o",
                        str(tmp_path / "p.csv"),
                        "--diagram",
                        str(tmp_path / "p.svg"),
                    ]
                )
            except SystemExit as done:
                assert not done.code
        assert (tmp_path / "p.csv").read_bytes() == csv_file.content
        assert (tmp_path / "p.svg").read_bytes() == svg.content
        for kind in ("ris", "csv"):
            downloaded = lena.get(f"/exports/included.{kind}?stage=ta")
            assert downloaded.status_code == 200 and b"trial 0" in downloaded.content
            with redirect_stdout(StringIO()):
                try:
                    main(
                        [
                            "records",
                            "export",
                            url,
                            "-o",
                            str(tmp_path / f"in.{kind}"),
                            "--stage",
                            "ta",
                        ]
                    )
                except SystemExit as done:
                    assert not done.code
            assert (tmp_path / f"in.{kind}").read_bytes() == downloaded.content
        assert vic.get("/exports/included.csv?stage=ta").status_code == 403


def test_full_text_needs_a_listed_reason_and_the_lead_marks_not_retrieved(project):
    with workspace(project) as browser:
        lena, rita, ravi = browser("lena"), browser("rita"), browser("ravi")
        for record_id in ("1", "2"):
            for who in (rita, ravi):
                who.post(
                    "/screen/vote", {"record_id": record_id, "stage": "ta", "decision": "include"}
                )
        page = rita.get("/screen?stage=ft&record=1").text
        assert "<option>wrong population</option>" in page and "not-retrieved" not in page
        no_reason = {"record_id": "1", "stage": "ft", "decision": "exclude"}
        refused = rita.post("/screen/vote", no_reason, headers={"HX-Request": "true"})
        assert refused.status_code == 409 and "needs a reason" in refused.text
        ok = rita.post("/screen/vote", no_reason | {"reason": "wrong population"})
        assert ok.status_code == 303
        assert stage_state(project, "ft").reasons[1] == {"rita": "wrong population"}
        assert 'id="not-retrieved"' in lena.get("/screen?stage=ft&record=2").text
        assert rita.post("/screen/not-retrieved", {"record_id": "2"}).status_code == 403
        assert lena.post("/screen/not-retrieved", {"record_id": "2"}).status_code == 303
        assert lena.get("/screen?stage=ft&record=2").status_code == 404  # out of the queue
        assert (
            lena.post("/screen/not-retrieved", {"record_id": "5"}).status_code == 404
        )  # not at ft
