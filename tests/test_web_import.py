"""Importing exports in the workspace: the CLI's parsers, every problem listed by line."""

from __future__ import annotations

import pytest

from tests import stores
from tests.web_client import make_project, workspace

store_url = stores.store_url  # the fixture, once per backend

RIS = (
    "TY  - JOUR\nTI  - Walking for low mood\nAU  - Smit, D.\nPY  - 2021\nER  - \n\n"
    "TI  - An entry without its TY line\nER  - \n\n"
    'TY  - JOUR\nTI  - "><img src=x onerror=alert(1)> <script>alert(2)</script>\nER  - \n'
)
CSV = "Title,Authors,Year,DOI\nYoga for anxiety,Lee K,2019,10.1000/yoga\nTai chi for sleep,Wu J,2020,\n"


@pytest.fixture
def project(store_url):
    with make_project(store_url, n_records=0) as opened:
        yield opened


def test_import_reads_every_format_and_lists_problems_by_line(project):
    with workspace(project) as browser:
        lena = browser("lena")
        files = [
            ("files", ("../../etc/hits.ris", RIS.encode(), "application/octet-stream")),
            ("files", ("more.csv", CSV.encode(), "text/csv")),
        ]
        page = lena.post("/import", {"source": "PubMed", "kind": "database"}, files=files)
        assert page.status_code == 200, page.text
        text = page.text
        assert "<td>hits.ris</td><td>ris</td><td>2</td><td>2</td><td>0</td><td>0</td>" in text
        assert "<td>more.csv</td><td>table</td><td>2</td><td>2</td><td>0</td><td>0</td>" in text
        assert "line 7: tagged lines outside an entry (no TY); skipped" in text
        assert "<script>alert(2)" not in text and "<img src=x" not in text
        stored = project.records()
        assert len(stored) == 4  # 2 + 2 imported (the broken entry is listed, not stored)
        assert {r.source_file for r in stored.values()} == {"hits.ris", "more.csv"}
        assert [b.file for b in project.imports()][-2:] == ["hits.ris", "more.csv"]
        again = lena.post("/import", {"kind": "database"}, files=files[1:])  # the same CSV again
        # the record with a DOI is a sure duplicate, the other waits for a person
        assert (
            "<td>more.csv</td><td>table</td><td>2</td><td>2</td><td>1</td><td>1</td>" in again.text
        )
        assert "6 records: 1 duplicates removed in 1 groups; 1 possible" in again.text


def test_an_unreadable_file_imports_nothing(project):
    with workspace(project) as browser:
        lena = browser("lena")
        files = [
            ("files", ("good.ris", RIS.encode(), "application/octet-stream")),
            ("files", ("notes.docx", b"\x00\x01 not an export", "application/octet-stream")),
        ]
        page = lena.post("/import", {"kind": "database"}, files=files)
        assert page.status_code == 400 and "nothing imported" in page.text
        assert project.records() == {}


def test_only_the_lead_imports(project):
    with workspace(project) as browser:
        rita = browser("rita")
        files = [("files", ("a.ris", RIS.encode(), "application/octet-stream"))]
        assert rita.post("/import", {"kind": "database"}, files=files).status_code == 403
        assert rita.get("/import").status_code == 403


def test_possible_duplicates_side_by_side_merge_keep_apart_and_undo(project):
    from metareview.records.duplicate_log import DuplicateState

    first = "Title,Authors,Year\nTai chi for sleep,Wu J,2020\n"
    second = "Title,Authors,Year\nTai chi for sleep,Wu J,2021\n"
    with workspace(project) as browser:
        lena, rita = browser("lena"), browser("rita")
        for name, text in (("a.csv", first), ("b.csv", second)):
            files = [("files", (name, text.encode(), "text/csv"))]
            lena.post("/import", {"kind": "database"}, files=files)
        pairs = DuplicateState.from_events(project.events()).maybe
        assert [(p.record_id, p.of) for p in pairs] == [(2, 1)]
        page = lena.get("/duplicates").text
        assert '<tr class="differs"><th scope="row">year</th><td>2020</td><td>2021</td>' in page
        assert '<tr><th scope="row">authors</th><td>Wu J</td><td>Wu J</td>' in page
        assert rita.get("/duplicates").status_code == 403
        assert lena.post("/duplicates/2/1", {"action": "duplicate"}).status_code == 303
        assert DuplicateState.from_events(project.events()).removed == {2: 1}
        assert lena.post("/duplicates/2/1", {"action": "duplicate"}).status_code == 404  # decided
        assert lena.post("/duplicates/2/1/undo").status_code == 303  # the merge undone: apart
        state = DuplicateState.from_events(project.events())
        assert state.removed == {} and state.maybe == ()
        assert lena.post("/duplicates/2/1/undo").status_code == 303  # waits again
        assert [p.record_id for p in DuplicateState.from_events(project.events()).maybe] == [2]
        assert lena.post("/duplicates/find").status_code == 303  # a new run keeps the queue
        assert [p.record_id for p in DuplicateState.from_events(project.events()).maybe] == [2]
        assert lena.post("/duplicates/9/1/undo").status_code == 404
