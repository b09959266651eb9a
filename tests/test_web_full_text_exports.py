"""Full texts (a PDF per record, shown inline) and the voting history and audit log exports,
over HTTP, on SQLite and PostgreSQL: the exports are the CLI's bytes, lead-only and blinded."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from sqlalchemy import text

from metareview.errors import RecordsError
from metareview.records.events import EventKind
from metareview.store.full_texts import (
    MAX_FULL_TEXT_BYTES,
    add_full_text,
    check_pdf,
    latest_full_text,
)
from metareview.store.review import vote
from tests import stores
from tests.pdfs import pdf_bytes
from tests.test_web_cli import run
from tests.web_client import make_project, workspace

store_url = stores.store_url  # the fixture, once per backend
PDF = pdf_bytes("Exercise for depression, trial 0")


@pytest.fixture
def project(store_url):
    with make_project(store_url) as opened:
        for who in ("rita", "ravi"):  # record 1 goes on to full text
            vote(opened, 1, reviewer=who, stage="ta", decision="include")
        yield opened


def _upload(browser, record_id: str, content: bytes, name: str = "trial.pdf"):
    files = {"pdf": (name, content, "application/pdf")}
    return browser.post("/screen/full-text", {"record_id": record_id}, files=files)


def test_a_screener_uploads_a_pdf_and_reads_it_inline(project):
    with workspace(project) as browser:
        rita = browser("rita")
        response = _upload(rita, "1", PDF)
        assert response.status_code == 303
        assert response.headers["location"] == "/screen?stage=ft&record=1"
        stored = latest_full_text(project, 1)
        assert stored.sha256 == hashlib.sha256(PDF).hexdigest() and stored.size == len(PDF)
        card = rita.get("/screen?stage=ft&record=1").text
        assert f'<iframe class="pdf" src="/full-texts/{stored.id}"' in card
        assert stored.sha256[:16] in card
        shown = browser("ravi").get(f"/full-texts/{stored.id}")
        assert shown.status_code == 200 and shown.content == PDF
        assert shown.headers["content-type"] == "application/pdf"
        assert shown.headers["content-disposition"] == 'inline; filename="record-1.pdf"'
        assert shown.headers["x-content-type-options"] == "nosniff"
        policy = shown.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy
        assert "frame-ancestors 'self'" in policy
        upload = project.events(EventKind.FULL_TEXT)
        assert [(e.actor, e.record_id, e.data["sha256"]) for e in upload] == [
            ("rita", 1, stored.sha256)
        ]


def test_what_is_not_a_pdf_or_not_at_full_text_is_refused(project):
    with workspace(project) as browser:
        rita = browser("rita")
        html = b"<html><script>alert(1)</script></html>"
        refused = _upload(rita, "1", html, "trial.pdf")
        assert refused.status_code == 400 and "not a PDF" in refused.text
        assert _upload(rita, "2", PDF).status_code == 404  # record 2 is not at full text
        assert _upload(rita, "999999", PDF).status_code == 404
        assert latest_full_text(project, 1) is None
    with pytest.raises(RecordsError, match="larger than the 50 MB"):
        check_pdf(b"%PDF-" + bytes(MAX_FULL_TEXT_BYTES), "big.pdf")


def test_full_texts_are_for_screeners_and_unknown_ids_are_404(project):
    with workspace(project) as browser:
        file_id = _upload(browser("rita"), "1", PDF) and latest_full_text(project, 1).id
        assert browser("vic").get(f"/full-texts/{file_id}").status_code == 403
        assert browser("otto").get(f"/full-texts/{file_id}").status_code == 404
        assert browser(None).get(f"/full-texts/{file_id}").status_code == 303
        lena = browser("lena")
        for path in (f"/full-texts/{file_id + 1}", "/full-texts/abc", "/full-texts/99999999"):
            assert lena.get(path).status_code == 404, path


def test_a_stored_full_text_cannot_be_changed(project):
    """The append-only triggers refuse it on both backends."""
    stored = add_full_text(project, 1, PDF, filename="a.pdf", actor="rita")
    for statement in (
        f"UPDATE full_texts SET content = x'00' WHERE id = {stored.id}"
        if project.engine.dialect.name == "sqlite"
        else f"UPDATE full_texts SET size = 1 WHERE id = {stored.id}",
        f"DELETE FROM full_texts WHERE id = {stored.id}",
    ):
        with (
            pytest.raises(Exception, match="append-only"),
            project.engine.begin() as connection,
        ):
            connection.execute(text(statement))


def _cli_bytes(project, command: str, tmp_path) -> bytes:
    path = tmp_path / command
    done = run("records", command, project.url, "-o", str(path))
    assert done.returncode == 0, done.stderr
    return path.read_bytes()


def test_votes_and_log_downloads_are_the_cli_files_and_lead_only(project, tmp_path):
    vote(project, 2, reviewer="rita", stage="ta", decision="exclude", note="=cmd|' /C calc'!A0")
    vote(project, 2, reviewer="ravi", stage="ta", decision="exclude")
    vote(project, 3, reviewer="rita", stage="ta", decision="include", note="open vote")
    with workspace(project) as browser:
        lena = browser("lena")
        votes = lena.get("/exports/votes.csv")
        log = lena.get("/exports/log.jsonl")
        assert votes.status_code == 200 and log.status_code == 200
        assert votes.headers["content-disposition"] == 'attachment; filename="votes.csv"'
        assert votes.content == _cli_bytes(project, "export-votes", tmp_path)
        assert log.content == _cli_bytes(project, "export-log", tmp_path)
        for name in ("rita", "vic"):
            assert browser(name).get("/exports/votes.csv").status_code == 403
            assert browser(name).get("/exports/log.jsonl").status_code == 403
        assert browser("otto").get("/exports/log.jsonl").status_code == 404
    rows = list(csv.DictReader(io.StringIO(votes.text)))
    assert [(r["record_id"], r["reviewer"], r["decision"]) for r in rows] == [
        ("1", "rita", "include"), ("1", "ravi", "include"),
        ("2", "rita", "exclude"), ("2", "ravi", "exclude"),
    ]  # fmt: skip
    assert rows[2]["note"] == "'=cmd|' /C calc'!A0"  # neutralised for spreadsheets
    assert "open vote" not in votes.text and "open vote" not in log.text  # record 3: blinded
    events = [json.loads(line) for line in log.text.splitlines()]
    assert [e["kind"] for e in events].count("decision") == 4
    assert all(e["hash"] and e["prev_hash"] for e in events)
    kept = {e.id for e in project.events()} - {e["id"] for e in events}
    assert len(kept) == 1  # only rita's open vote on record 3 is left out


def test_the_cli_stores_a_full_text_and_refuses_what_is_not_a_pdf(project, tmp_path):
    pdf, fake = tmp_path / "trial.pdf", tmp_path / "fake.pdf"
    pdf.write_bytes(PDF)
    fake.write_text("just text")
    done = run("records", "full-text", project.url, "1", str(pdf), "--by", "lena")
    assert done.returncode == 0, done.stderr
    assert latest_full_text(project, 1).sha256 in done.stdout
    refused = run("records", "full-text", project.url, "1", str(fake), "--by", "lena")
    assert refused.returncode == 2
    assert refused.stderr.strip().endswith(
        "fake.pdf: not a PDF (a PDF starts with '%PDF-'; got 'just tex')"
    )
    assert latest_full_text(project, 1).uploaded_by == "lena"


def test_a_hostile_file_name_shows_as_text(project):
    with workspace(project) as browser:
        rita = browser("rita")
        name = '"><img src=x onerror=alert(1)>.pdf'
        assert _upload(rita, "1", PDF, name).status_code == 303
        card = rita.get("/screen?stage=ft&record=1").text
        assert "&lt;img src=x onerror=alert(1)&gt;.pdf" in card
        assert "<img src=x" not in card
        shown = rita.get(f"/full-texts/{latest_full_text(project, 1).id}")
        assert shown.headers["content-disposition"] == 'inline; filename="record-1.pdf"'
