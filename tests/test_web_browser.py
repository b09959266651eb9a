"""The workspace in headless Chromium (Playwright): hostile records do not run, and a team
screens a SYNERGY set together, blinded, with conflicts settled by a third reviewer, then the
full texts (a PDF uploaded and shown inline), and the lead's downloads equal the CLI's exports.

Screenshots for ``docs/workspace.md`` are written to ``docs/img/``.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
from collections import Counter
from pathlib import Path

import pytest
import rispy

from metareview.records.importers import read_records
from metareview.store.review import passed_stage, stage_state
from metareview.store.reviewer_view import stage_summary
from tests import stores
from tests.conftest import REPO
from tests.pdfs import pdf_bytes
from tests.test_web_cli import run
from tests.web_client import make_project
from tests.web_server import chromium, live_server, sign_in

pytestmark = pytest.mark.browser
store_url = stores.store_url  # the fixture, once per backend
chromium = chromium  # the fixture
_person = sign_in  # (the name test_browser_rob and test_browser_analysis import)
IMAGES = REPO / "docs" / "img"

PAYLOADS = {
    "TI": '<script>window.__xss = "title"</script> Exercise "><img src=x onerror="window.__xss=\'img\'">',
    "AU": '"><img src=x onerror="window.__xss=\'author\'">',
    "JO": "<svg onload=\"window.__xss='journal'\"></svg>",
    "AB": "</div><script>window.__xss='abstract'</script><b onmouseover=\"window.__xss='b'\">depression</b>",
    "KW": "<iframe src=\"javascript:window.__xss='kw'\"></iframe>",
    "DO": '10.1000/x"><img src=x onerror="window.__xss=\'doi\'">',
}
NOTE = "<img src=x onerror=\"window.__xss='note'\"> I doubt this"


def _ris() -> str:
    entry = ["TY  - JOUR"] + [f"{tag}  - {value}" for tag, value in PAYLOADS.items()]
    plain = ["TY  - JOUR", "TI  - A plain trial of exercise", "PY  - 2020", "ER  - "]
    return "\n".join([*entry, "PY  - 2021", "ER  - ", "", *plain]) + "\n"


def _shot(page, name: str) -> None:
    """A screenshot for the docs (``caret="initial"``: Playwright's caret-hiding style would be
    refused by the CSP, as it should be)."""
    page.screenshot(path=str(IMAGES / name), full_page=True, caret="initial")


def _record_id(page) -> str:
    return page.get_attribute("#card input[name=record_id]", "value") or ""


def _press(page, key: str) -> None:
    """Press a shortcut on the screening page and wait for the card htmx swaps in."""
    page.evaluate("document.getElementById('card').dataset.seen = '1'")
    with page.expect_response(lambda r: "/screen/" in r.url and r.request.method == "POST"):
        page.keyboard.press(key)
    page.wait_for_selector("#card:not([data-seen])")  # (no wait_for_function: the CSP forbids eval)


def test_hostile_records_and_notes_show_as_text_and_never_run(store_url, chromium, tmp_path):
    export = tmp_path / "hostile.ris"
    export.write_text(_ris())
    errors: list[str] = []
    with make_project(store_url, n_records=0) as project, live_server(project) as base:
        lena = sign_in(chromium, base, "lena", errors)
        lena.goto(f"{base}/settings")
        lena.fill("textarea[name=include]", "exercise\ndepression")
        lena.fill("textarea[name=exclude]", "onerror\n<script>")
        lena.click("form button.primary")
        lena.goto(f"{base}/import")
        lena.set_input_files("input[type=file]", str(export))
        lena.click("form button.primary")
        lena.wait_for_selector("table.import-result")
        assert "2" in lena.inner_text("table.import-result tbody td:nth-child(4)")
        _shot(lena, "workspace-import.png")
        pages = {name: sign_in(chromium, base, name, errors) for name in ("rita", "ravi", "tess")}
        for name, decision in (("rita", "i"), ("ravi", "e")):
            page = pages[name]
            page.goto(f"{base}/screen?stage=ta&record=1")
            title = page.inner_text("#card h2.title")
            assert title.startswith('<script>window.__xss = "title"</script> Exercise "><img')
            assert page.inner_text("#card .authors") == PAYLOADS["AU"]
            assert page.inner_text("#card .journal") == PAYLOADS["JO"]
            assert page.query_selector("#card mark.exc") is not None  # "onerror", highlighted
            if name == "rita":
                page.fill("#note", NOTE)
                _shot(page, "workspace-hostile-record.png")
                page.locator("#note").blur()
            _press(page, decision)
        tess = pages["tess"]
        tess.goto(f"{base}/conflicts/1?stage=ta")
        assert NOTE in tess.inner_text(".note-text")
        _shot(tess, "workspace-conflict.png")
        for page in (lena, *pages.values()):
            assert page.evaluate("window.__xss") is None
            assert (
                page.evaluate(
                    "document.querySelectorAll('#card img, .panel img, iframe, svg').length"
                )
                == 0
            )
        assert stage_state(project, "ta").votes[1] == {"rita": "include", "ravi": "exclude"}
    assert errors == [], "\n".join(errors)  # nothing ran or was refused by the CSP; no dialog


def test_the_lead_sees_the_vectors_minilm_lacks_before_and_after_choosing_it(
    store_url, chromium, monkeypatch
):
    from metareview.records import embeddings
    from metareview.store.embeddings import embed_project
    from metareview.store.review import screening_config
    from tests.embedding_double import WordHashEncoder

    monkeypatch.setattr(embeddings, "extra_installed", lambda: False)
    errors: list[str] = []
    with make_project(store_url) as project, live_server(project) as base:
        stand_in = WordHashEncoder(embeddings.DIMENSION, name=embeddings.MODEL_NAME)
        embed_project(project, stand_in, ids=[1, 2, 3, 4])
        lena = sign_in(chromium, base, "lena", errors)
        lena.goto(f"{base}/settings")
        assert lena.is_checked("input[name=ranking_model][value=svm]")
        before = lena.inner_text("#vectors-minilm")  # shown before minilm is chosen
        assert "4 of the project's 6 records have one; 2 do not." in before
        assert lena.query_selector("p.warning, .warning.vector-counts") is None
        _shot(lena, "workspace-settings.png")
        lena.check("input[name=ranking_model][value=minilm]")
        lena.click("form button.primary")
        lena.wait_for_selector(".vector-counts")
        assert screening_config(project).ranking_model == "minilm"
        assert lena.is_checked("input[name=ranking_model][value=minilm]")
        assert "4 of the project's 6 records have one; 2 do not." in lena.inner_text(
            ".vector-counts"
        )
        assert "have none yet" in lena.inner_text("p.warning")
        assert lena.query_selector(".warning.vector-counts") is not None
    assert errors == [], "\n".join(errors)


def _synergy_export(shared_data, tmp_path, n: int):
    """The first ``n`` records of a SYNERGY set as a CSV, and their labels by title."""
    with gzip.open(shared_data / "synergy" / "Donners_2021.csv.gz", "rt", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:n]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["title", "abstract", "year", "doi"])
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row[k] for k in ("title", "abstract", "year", "doi")})
    path = tmp_path / "donners_2021.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path, [row["label_included"] == "1" for row in rows]


def test_two_reviewers_screen_200_synergy_records_at_once_and_a_third_resolves(
    store_url, chromium, shared_data, tmp_path
):
    export, labels = _synergy_export(shared_data, tmp_path, 200)
    read = read_records(export, "OpenAlex")
    assert len(read.records) == 200 and not read.errors
    errors: list[str] = []
    with make_project(store_url, n_records=0) as project:
        ids = project.add_import(export.name, read.records, actor="lena").record_ids
        project.set_setting("highlight_include", ["systematic review", "screening"], actor="lena")
        project.set_setting("highlight_exclude", ["protocol"], actor="lena")
        label = dict(zip(ids, labels))
        # rita and ravi mostly follow the published labels and disagree on a few records
        rules = {
            "rita": lambda r: "i" if label[r] or r % 17 == 0 else "e",
            "ravi": lambda r: "i" if label[r] or r % 23 == 0 else "e",
        }
        with live_server(project) as base:
            pages = {name: sign_in(chromium, base, name, errors) for name in rules}
            for page in pages.values():
                page.goto(f"{base}/screen?stage=ta")
            pages["rita"].keyboard.press("?")
            assert pages["rita"].is_visible("#help")
            _shot(pages["rita"], "workspace-shortcuts.png")
            pages["rita"].keyboard.press("Escape")
            cast = {name: [] for name in rules}
            undone = False
            while any(
                page.query_selector("#card input[name=record_id]") for page in pages.values()
            ):
                for name, page in pages.items():  # the two take turns: both at the same time
                    if not page.query_selector("#card input[name=record_id]"):
                        continue
                    record_id = int(_record_id(page))
                    if name == "ravi" and len(cast["ravi"]) == 40:
                        _shot(page, "workspace-screening.png")
                    _press(page, rules[name](record_id))
                    cast[name].append(record_id)
                    # (an undo is refused once the other's vote completed the record)
                    if (
                        name == "rita"
                        and len(cast["rita"]) >= 10
                        and not undone
                        and (record_id not in cast["ravi"])
                    ):
                        _press(page, "u")  # the undone record comes back at once
                        assert int(_record_id(page)) == record_id
                        cast["rita"].pop()
                        undone = True
            assert undone
            for name in rules:
                assert sorted(cast[name]) == sorted(ids), name  # every record once, none lost
            state = stage_state(project, "ta")
            conflicts = [c.record_id for c in state.conflicts()]
            expected = [r for r in ids if rules["rita"](r) != rules["ravi"](r)]
            assert conflicts == expected and conflicts
            tess = sign_in(chromium, base, "tess", errors)
            tess.goto(f"{base}/conflicts?stage=ta")
            _shot(tess, "workspace-conflicts.png")
            for record_id in conflicts:
                tess.goto(f"{base}/conflicts/{record_id}?stage=ta")
                decision = "include" if label[record_id] else "exclude"
                tess.click(f"form.resolve button[value={decision}]")
                tess.wait_for_url(f"{base}/conflicts?stage=ta")
            lena = sign_in(chromium, base, "lena", errors)
            ft_ids = _full_text_stage(chromium, base, pages, lena, project, tmp_path)
            lena.goto(f"{base}/dashboard")
            _shot(lena, "workspace-dashboard.png")
            downloads = _downloads(lena)
            summary = stage_summary(project, "ta")
            assert summary.complete == 200 and summary.unresolved_conflicts == 0
            assert summary.votes_cast == {"ravi": 200, "rita": 200}
            agreed = {r: rules["rita"](r) == "i" for r in ids if r not in conflicts}
            settled = {r: label[r] for r in conflicts}  # tess followed the published labels
            expected_included = sum({**agreed, **settled}.values())
            assert summary.outcomes["include"] == expected_included
            assert summary.outcomes["exclude"] == 200 - expected_included
            assert stage_summary(project, "ft").outcomes == {
                "include": len(ft_ids) - 1,
                "exclude": 1,
            }
        _same_as_the_cli(project, downloads, tmp_path, conflicts, ft_ids)
    assert errors == [], "\n".join(errors)


def _full_text_stage(chromium, base, pages, lena, project, tmp_path) -> tuple[int, ...]:
    """The lead uploads a PDF for the first record at full text; both reviewers screen every
    full text in the browser (the PDF shows inline), excluding the last for the same reason."""
    ft_ids = passed_stage(project, "ta")
    assert len(ft_ids) > 2
    first = ft_ids[0]
    pdf = tmp_path / "full-text.pdf"
    pdf.write_bytes(pdf_bytes(f"Full text of record {first}"))
    lena.goto(f"{base}/screen?stage=ft&record={first}")
    assert lena.inner_text(".full-text .pdf-info") == "No full text uploaded yet."
    lena.set_input_files("form.upload input[type=file]", str(pdf))
    lena.click("#upload-pdf")
    lena.wait_for_selector("iframe.pdf")
    served = lena.request.get(base + lena.get_attribute("iframe.pdf", "src"))
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("inline")
    assert served.body() == pdf.read_bytes()
    _shot_pdf(lena, "workspace-full-text.png")
    for page in pages.values():
        page.goto(f"{base}/screen?stage=ft")
        while page.query_selector("#card input[name=record_id]"):
            record_id = int(_record_id(page))
            if record_id == first:
                assert page.query_selector("iframe.pdf") is not None
            if record_id == ft_ids[-1]:
                page.select_option("#card select[name=reason]", "wrong study design")
                page.locator("#card select[name=reason]").blur()
                _press(page, "e")
            else:
                _press(page, "i")
    return ft_ids


def _shot_pdf(page, name: str) -> None:
    """A screenshot once the browser's PDF viewer (an extension frame) has drawn the file."""
    for _ in range(100):
        viewer = [f for f in page.frames if f.url.startswith("chrome-extension://")]
        if viewer:
            viewer[0].wait_for_load_state()
            break
        page.wait_for_timeout(100)
    page.locator("iframe.pdf").scroll_into_view_if_needed()
    page.wait_for_timeout(3000)  # (its first page is drawn after the frame loads)
    _shot(page, name)


EXPORTS = {
    "votes.csv": "#export-votes",
    "log.jsonl": "#export-log",
    "prisma.csv": "a[href='/exports/prisma.csv']",
    "included.ris": "a[href='/exports/included.ris?stage=ft']",
    "included.csv": "a[href='/exports/included.csv?stage=ft']",
}


def _downloads(lena) -> dict[str, bytes]:
    """The lead's exports, downloaded from the dashboard's links."""
    out = {}
    for name, link in EXPORTS.items():
        with lena.expect_download() as info:
            lena.click(link)
        out[name] = Path(info.value.path()).read_bytes()
    return out


def _same_as_the_cli(project, downloads, tmp_path, conflicts, ft_ids) -> None:
    """The downloads are the CLI's exports of the same project, byte for byte, and parse."""
    commands = {
        "votes.csv": ["export-votes"],
        "log.jsonl": ["export-log"],
        "prisma.csv": ["prisma"],
        "included.ris": ["export", "--stage", "ft"],
        "included.csv": ["export", "--stage", "ft"],
    }
    for name, command in commands.items():
        path = tmp_path / f"cli-{name}"
        done = run("records", command[0], project.url, "-o", str(path), *command[1:])
        assert done.returncode == 0, done.stderr
        assert downloads[name] == path.read_bytes(), name
    votes = list(csv.DictReader(io.StringIO(downloads["votes.csv"].decode("utf-8"))))
    actions = Counter(row["action"] for row in votes)
    assert actions == {"vote": 400 + 1 + 2 * len(ft_ids), "undo": 1, "resolution": len(conflicts)}
    log = [json.loads(line) for line in downloads["log.jsonl"].decode("utf-8").splitlines()]
    assert len(log) == len(project.events())  # screening is complete: nothing is left out
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(log))
    assert [e["kind"] for e in log].count("full_text") == 1
    included = rispy.loads(downloads["included.ris"].decode("utf-8"))
    assert sorted(int(e["id"]) for e in included) == sorted(ft_ids[:-1])
