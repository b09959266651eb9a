"""Dual data extraction in the workspace over HTTP: the studies, the lead's settings, the form
checked as it is typed (bad input never loses what was entered), submission, blinding on every
extraction route, comparison, consensus, a cell's history, and the agreed table's downloads
equal to ``records export-extraction``'s files.
"""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import pandas as pd
import pytest
from markupsafe import escape

from metareview.data.form import Cell, RowKey
from metareview.store.extraction import (
    add_study,
    agreed_values,
    cell_history,
    progress,
    set_extractors_required,
    studies,
    values_for,
)
from metareview.store.review import vote
from metareview.web.extraction_form import anchor, row_code
from tests import stores
from tests.test_records_cli import run
from tests.web_client import make_project, workspace

store_url = stores.store_url  # the fixture, once per backend
ROW = RowKey(1, 2, "depressive symptoms", "post", "PHQ-9")
MEANS = {
    "mean_arm1": "10.2",
    "sd_arm1": "4.1",
    "n_arm1": "40",
    "mean_arm2": "12.5",
    "sd_arm2": "4.4",
    "n_arm2": "41",
}
ARMS = {Cell("condition", arm=1): "peer support", Cell("condition", arm=2): "care as usual"}
HX = {"HX-Request": "true"}


@pytest.fixture
def project(tmp_path):
    with make_project(stores.sqlite_url(tmp_path)) as opened:
        yield opened


def type_in(browser, number: int, cell: Cell, text: str):
    """What htmx sends when a field of the form changes."""
    headers = {**HX, "HX-Trigger-Name": cell.code}
    return browser.post(f"/extraction/{number}/cell", {cell.code: text}, headers=headers)


def extract(browser, number: int, means: dict[str, str] | None = None) -> None:
    """Fill in the arms and a row of means as an extractor does, field by field."""
    for cell, text in ARMS.items():
        assert type_in(browser, number, cell, text).status_code == 200
    for name, text in (means or MEANS).items():
        response = type_in(browser, number, Cell(name, row=ROW), text)
        assert response.status_code == 200 and 'class="msg" role="alert"></span>' in response.text


def shown(message: str) -> str:
    """A message as the page shows it (escaped)."""
    return str(escape(message))


def test_lead_adds_studies_from_screening_and_by_hand_and_builds_the_form(project):
    for record_id in (1, 2):
        for stage in ("ta", "ft"):
            for who in ("rita", "ravi"):
                vote(project, record_id, reviewer=who, stage=stage, decision="include")
    with workspace(project) as browser:
        lena, rita, vic = browser("lena"), browser("rita"), browser("vic")
        assert rita.post("/extraction/studies/included").status_code == 403
        page = lena.post("/extraction/studies/included")
        assert page.status_code == 200 and "Added 2 studies from screening." in page.text
        assert [s.label for s in studies(project)] == ["Doe, 2000", "Doe, 2001"]
        assert "No included study without" in lena.post("/extraction/studies/included").text
        added = lena.post("/extraction/studies", {"label": "Okafor, 2017", "note": "ISRCTN12345"})
        assert "Added study 3: Okafor, 2017." in added.text and "ISRCTN12345" in added.text
        again = lena.post("/extraction/studies", {"label": "Okafor,  2017"})
        assert (
            again.status_code == 400
            and "a study labelled &#39;Okafor, 2017&#39; already" in again.text
        )
        listed = vic.get("/extraction")
        assert listed.status_code == 200 and "Okafor, 2017" in listed.text
        assert "add-included" not in listed.text and "/extraction/3" not in listed.text
        assert rita.get("/extraction/settings").status_code == 403

        assert (
            "Extractors per study: 1."
            in lena.post("/extraction/settings/extractors", {"extractors": "1"}).text
        )
        bad = lena.post("/extraction/settings/extractors", {"extractors": "3"})
        assert bad.status_code == 409 and "must be 1 or 2" in bad.text
        lena.post("/extraction/settings/extractors", {"extractors": "2"})
        field = {
            "key": "format",
            "label": "Format",
            "level": "row",
            "type": "choice",
            "choices": "group\none-to-one",
        }
        assert (
            "Field &#39;format&#39; added." in lena.post("/extraction/settings/fields", field).text
        )
        wrong = lena.post(
            "/extraction/settings/fields",
            {**field, "key": "sd_am1", "type": "number", "choices": ""},
        )
        assert wrong.status_code == 400
        assert "so close to the data standard&#39;s &#39;sd_arm1&#39;" in wrong.text
        assert 'value="sd_am1"' in wrong.text  # what was typed stays in the form
        no_choices = lena.post(
            "/extraction/settings/fields", {**field, "key": "mode", "choices": ""}
        )
        assert "a choice field needs a list of non-empty choices" in no_choices.text
        for key, kind in (("population", "text"), ("dose", "number"), ("blinded", "yes_no")):
            lena.post("/extraction/settings/fields", {"key": key, "level": "study", "type": kind})
        form_page = rita.get("/extraction/3").text
        for key in ("population", "dose", "blinded", "icc", "cluster_size", "country"):
            assert f"<code>{key}</code>" in form_page, key
        row = quote('["row", 1, 2, "hope", "post", ""]', safe="")
        assert "<code>format</code>" in rita.get(f"/extraction/3/fields?row={row}").text

        type_in(rita, 3, Cell("country"), "UK")
        late = lena.post("/extraction/settings/extractors", {"extractors": "1"})
        assert late.status_code == 409 and "can no longer change" in late.text


def test_every_value_is_checked_on_entry_and_nothing_entered_is_lost(project):
    number = add_study(project, "Okafor, 2017", actor="lena").number
    with workspace(project) as browser:
        lena, rita = browser("lena"), browser("rita")
        lena.post(
            "/extraction/settings/fields",
            {"key": "format", "level": "row", "type": "choice", "choices": "group\none-to-one"},
        )
        extract(rita, number, {"mean_arm1": "10,2", "n_arm1": "40"})
        own = values_for(project, number, "rita")
        assert (
            own[Cell("mean_arm1", row=ROW)] == 10.2
            and own[Cell("condition", arm=2)] == "care as usual"
        )
        for name, text, message in (
            ("sd_arm1", "-2.1", "got '-2.1', expected a number > 0"),
            ("n_arm2", "1", "got '1', expected a number >= 2"),
            ("format", "webinar", "got 'webinar', expected one of group, one-to-one"),
        ):
            answer = type_in(rita, number, Cell(name, row=ROW), text)
            assert answer.status_code == 200 and shown(message) in answer.text, name
            assert f'value="{text}"' in answer.text or f"selected>{text}" in answer.text
            assert Cell(name, row=ROW) not in values_for(project, number, "rita")
        # another data group shows its fields, and keeps showing those that hold a value
        row = quote(row_code(ROW), safe="")
        switched = rita.get(f"/extraction/{number}/fields?row={row}&group=events").text
        assert "<code>event_arm1</code>" in switched and 'value="10.2"' in switched
        assert "<code>sd_change_arm1</code>" not in switched
        # a yes/no setting of the row says what it expects (not "text")
        flag = switched.split("<code>higher_is_better</code>")[1].split("</div>")[0]
        assert '<small class="expected">&#39;yes&#39; or &#39;no&#39;</small>' in flag
        assert "<h3>Arm 3</h3>" in rita.get(f"/extraction/{number}?arms=3").text
        assert "<h3>Arm 3</h3>" not in rita.get(f"/extraction/{number}").text
        icc = type_in(rita, number, Cell("icc"), "1.5")
        assert shown("got '1.5', expected an ICC between 0 and 1") in icc.text
        # across the row: events above their total, shown beside the field
        events = RowKey(1, 2, "relapse", "12 months")
        type_in(rita, number, Cell("totaln_arm1", row=events), "20")
        answer = type_in(rita, number, Cell("event_arm1", row=events), "30")
        assert shown("got '30', expected at most totaln_arm1 (20)") in answer.text
        assert values_for(project, number, "rita")[Cell("event_arm1", row=events)] == 30
        # typed the other way round, the message goes beside the events all the same (htmx
        # swaps it in out of band, leaving the field being typed in alone)
        answer = type_in(rita, number, Cell("totaln_arm1", row=events), "25")
        beside = f'<span class="row-msg" id="r{anchor(Cell("event_arm1", row=events).code)}" hx-swap-oob="true">'
        assert (
            beside + shown("got '30', expected at most totaln_arm1 (25)") + "</span>" in answer.text
        )
        answer = type_in(rita, number, Cell("totaln_arm1", row=events), "40")
        assert beside + "</span>" in answer.text
        type_in(rita, number, Cell("totaln_arm1", row=events), "20")
        # a whole section saved without scripts: the good values are saved, the bad one stays
        sd1, sd2, mean2 = (Cell(n, row=ROW) for n in ("sd_arm1", "sd_arm2", "mean_arm2"))
        page = rita.post(
            f"/extraction/{number}/save", {sd1.code: "4.1", sd2.code: "-4", mean2.code: "12.5"}
        )
        assert page.status_code == 400 and shown("got '-4', expected a number > 0") in page.text
        assert 'value="-4"' in page.text and 'value="4.1"' in page.text
        own = values_for(project, number, "rita")
        assert own[sd1] == 4.1 and own[mean2] == 12.5 and sd2 not in own
        # a new row: its good values are kept, the bad one shown in the row with its message
        new = {
            "arm1": "1",
            "arm2": "2",
            "outcome": "hope",
            "time": "post",
            "instrument": "",
            "group": "yi_vi",
            "v:yi": "0.3",
            "v:vi": "-1",
        }
        page = rita.post(f"/extraction/{number}/rows", new)
        assert page.status_code == 400 and shown("got '-1', expected a number > 0") in page.text
        hope = RowKey(1, 2, "hope", "post")
        assert values_for(project, number, "rita")[Cell("yi", row=hope)] == 0.3
        assert 'value="-1"' in page.text and 'value="0.3"' in page.text
        # "Remove the row" empties every cell of it, whatever the fields showed
        shown_row = {Cell("yi", row=hope).code: "0.3", Cell("vi", row=hope).code: "-1"}
        removed = rita.post(f"/extraction/{number}/save", {**shown_row, "remove": "1"})
        assert removed.status_code == 303
        assert not any(c.row == hope for c in values_for(project, number, "rita"))
        only_bad = {**new, "outcome": "anxiety", "v:yi": "", "v:vi": "zero"}
        page = rita.post(f"/extraction/{number}/rows", only_bad)
        assert page.status_code == 400 and 'value="zero"' in page.text
        assert "arm 1 vs 2, anxiety, post" in page.text  # the row is shown, with what was typed
        same_arm = rita.post(f"/extraction/{number}/rows", {**new, "arm2": "1"})
        assert "a row compares two different arms" in same_arm.text
        assert 'value="hope"' in same_arm.text  # the add-a-row form keeps what was typed
        assert (
            rita.post(f"/extraction/{number}/rows", {**new, "v:yi": "", "v:vi": ""}).status_code
            == 400
        )
        # the submission is refused while a row would not pass validation, each problem named
        refused = rita.post(f"/extraction/{number}/submit")
        assert refused.status_code == 409
        assert "arm 1 vs 2, relapse, 12 months, event_arm1: got &#39;30&#39;" in refused.text
        assert "missing sd_arm2" in refused.text
        assert progress(project, number).submitted == ()


def test_hostile_and_unknown_input(project):
    number = add_study(project, "<script>alert(1)</script>", actor="lena").number
    with workspace(project) as browser:
        rita = browser("rita")
        page = rita.get(f"/extraction/{number}")
        assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text
        answer = type_in(rita, number, Cell("country"), '"><img src=x onerror=alert(1)>')
        assert "<img" not in answer.text
        assert rita.get(f"/extraction/{number}").text.count("&lt;img src=x") == 1
        for path in (
            "/extraction/999",
            "/extraction/abc",
            "/extraction/999/compare",
            "/extraction/1234567890123",
            "/extraction/export.pdf",
        ):
            assert browser("lena").get(path).status_code == 404, path
        assert type_in(rita, 999, Cell("country"), "UK").status_code == 404
        for code in (
            '["row", 1, 1, "a", "b", "", "yi"]',
            '["arm", "1", "condition"]',
            "[1]",
            '["study", "nofield"]',
            "not json",
            '["arm", 99, "condition"]',
        ):
            answer = rita.post(
                f"/extraction/{number}/cell", {code: "1"}, headers={**HX, "HX-Trigger-Name": code}
            )
            assert answer.status_code == 400, code
            if code.startswith("["):  # (a section's other fields are not cells)
                assert rita.post(f"/extraction/{number}/save", {code: "1"}).status_code == 400
        assert rita.get(f"/extraction/{number}/history?cell=%5B").status_code == 400
        assert rita.get(f"/extraction/{number}/fields?group=nope").status_code == 404
        assert values_for(project, number, "rita") == {
            Cell("country"): '"><img src=x onerror=alert(1)>'
        }


SECRET_MEAN, SECRET_ARM = "987.654", "zebra-arm-therapy"


def _extraction_responses(b, number: int) -> dict[str, str]:
    """Every extraction response an account can get for a study (pages, fragments, exports)."""
    cell = quote(Cell("mean_arm1", row=ROW).code, safe="")
    row = quote(row_code(ROW), safe="")
    urls = [
        "/extraction",
        f"/extraction/{number}",
        f"/extraction/{number}?arms=4",
        f"/extraction/{number}/fields?row={row}&group=means",
        f"/extraction/{number}/fields?row={row}&group=change",
        f"/extraction/{number}/fields?group=means",
        f"/extraction/{number}/compare",
        f"/extraction/{number}/history?cell={cell}",
        "/extraction/export.csv",
        "/extraction/export.csv?partial=1",
        "/extraction/export.xlsx?partial=1",
        "/extraction/settings",
        "/dashboard",
    ]
    out = {}
    for url in urls:
        response = b.get(url)
        body = response.content.decode("utf-8", "replace")
        out[url] = f"{response.status_code} {body}"
        again = b.get(url, headers=HX)
        out[url + " (htmx)"] = f"{again.status_code} {again.content.decode('utf-8', 'replace')}"
    return out


def test_no_extraction_response_shows_another_extractors_values_before_both_submit(store_url):
    with make_project(store_url) as project, workspace(project) as browser:
        number = add_study(project, "Okafor, 2017", actor="lena").number
        rita, ravi, tess, vic, lena = (browser(n) for n in ("rita", "ravi", "tess", "vic", "lena"))
        others = {"ravi": ravi, "tess": tess, "vic": vic, "lena": lena}
        type_in(rita, number, Cell("country"), "UK")  # both have started: progress is public
        type_in(ravi, number, Cell("country"), "UK")
        before = {name: _extraction_responses(b, number) for name, b in others.items()}
        extract(rita, number, {**MEANS, "mean_arm1": SECRET_MEAN})
        type_in(rita, number, Cell("condition", arm=3), SECRET_ARM)
        after = {name: _extraction_responses(b, number) for name, b in others.items()}
        for name in others:
            for url, text in before[name].items():
                assert after[name][url] == text, (name, url)
                if name != "vic" and "fields?row" in url:
                    assert text.startswith("200"), (name, url)
                assert SECRET_MEAN not in text and SECRET_ARM not in text
        # ravi's own answers (a field, a section, a row, a refused submission) show only his
        extract(ravi, number)
        answers = [
            type_in(ravi, number, Cell("mean_arm1", row=ROW), "10.3"),
            ravi.post(f"/extraction/{number}/save", {Cell("sd_arm1", row=ROW).code: "-1"}),
            ravi.post(
                f"/extraction/{number}/rows",
                {"arm1": "1", "arm2": "2", "outcome": "x", "time": "post", "v:yi": "0.1"},
            ),
            ravi.post(f"/extraction/{number}/submit"),
            ravi.post(f"/extraction/{number}/agree", {"cell": Cell("country").code, "value": "UK"}),
        ]
        for answer in answers:
            assert SECRET_MEAN not in answer.text and SECRET_ARM not in answer.text
        assert rita.post(f"/extraction/{number}/submit").status_code == 303
        for name, b in others.items():
            for url, text in _extraction_responses(b, number).items():
                assert SECRET_MEAN not in text and SECRET_ARM not in text, (name, url)
        type_in(ravi, number, Cell("yi", row=RowKey(1, 2, "x", "post")), "")  # drop his extra row
        assert ravi.post(f"/extraction/{number}/submit").status_code == 303
        shown_now = ravi.get(f"/extraction/{number}/compare").text
        assert SECRET_MEAN in shown_now and SECRET_ARM in shown_now and "10.3" in shown_now


def test_comparison_consensus_and_history(project):
    number = add_study(project, "Okafor, 2017", actor="lena").number
    with workspace(project) as browser:
        rita, ravi, tess, lena = (browser(n) for n in ("rita", "ravi", "tess", "lena"))
        vic = browser("vic")
        mean_history = (
            f"/extraction/{number}/history?cell={quote(Cell('mean_arm1', row=ROW).code, safe='')}"
        )
        extract(rita, number)
        extract(ravi, number, {**MEANS, "mean_arm1": "10.8"})
        early = rita.get(f"/extraction/{number}/compare")
        assert early.status_code == 409 and "values stay blinded" in early.text
        assert vic.get(f"/extraction/{number}/compare").status_code == 409  # a viewer neither
        assert "10.8" not in vic.get(mean_history).text and "10.2" not in vic.get(mean_history).text
        for who in (rita, ravi):
            assert who.post(f"/extraction/{number}/submit").status_code == 303
        page = tess.get(f"/extraction/{number}/compare")
        assert page.status_code == 200 and "1 cell differs, 1 without consensus" in page.text
        cells = re.findall(r'<td class="value">([^<]*)</td>', page.text)
        assert cells == ["10.2", "10.8"] and "Record the consensus" not in page.text
        mean = Cell("mean_arm1", row=ROW)
        vote_ = {"cell": mean.code, "value": "-", "agreed_by": ["rita", "ravi"], "note": "table 2"}
        assert (
            tess.post(f"/extraction/{number}/agree", {**vote_, "value": "10.2"}).status_code == 403
        )
        bad = ravi.post(f"/extraction/{number}/agree", {**vote_, "value": "ten"})
        assert bad.status_code == 400 and shown("got 'ten', expected a number") in bad.text
        assert 'value="ten"' in bad.text
        outsider = ravi.post(f"/extraction/{number}/agree", {**vote_, "agreed_by": ["tess"]})
        assert outsider.status_code == 400
        done = ravi.post(f"/extraction/{number}/agree", {**vote_, "value": "10.2"})
        assert done.status_code == 303
        assert agreed_values(project, number).values[mean] == 10.2
        page = lena.get(f"/extraction/{number}/compare").text
        assert "all agreed" in page and "agreed by rita, ravi; recorded by ravi" in page
        history = lena.get(f"/extraction/{number}/history?cell={quote(mean.code, safe='')}").text
        rows = re.findall(
            r"<tr class=\"(value|consensus)\"><td>[^<]*</td><td>(\w+)</td><td>\w+</td>"
            r"<td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>",
            history,
        )
        assert rows == [
            ("value", "rita", "10.2", "", ""),
            ("value", "ravi", "10.8", "", ""),
            ("consensus", "ravi", "10.2", "rita, ravi", "table 2"),
        ]
        assert len(cell_history(project, number, mean, viewer="lena")) == 3
        # a viewer reads the comparison and the history once the study is complete, no form
        read = vic.get(f"/extraction/{number}/compare")
        assert read.status_code == 200 and "agreed by rita, ravi; recorded by ravi" in read.text
        assert "/agree" not in read.text and f'href="/extraction/{number}"' not in read.text
        assert vic.get(mean_history).text.count('<tr class="') == history.count('<tr class="')
        assert (
            vic.post(f"/extraction/{number}/agree", {**vote_, "value": "10.8"}).status_code == 403
        )
        assert f'href="/extraction/{number}/compare"' in vic.get("/extraction").text
        assert "complete, no difference" not in lena.get("/extraction").text
        assert "1 cell differs, all agreed" in lena.get("/extraction").text


def test_the_agreed_table_downloads_as_the_cli_writes_it(project, tmp_path):
    with workspace(project) as browser:
        lena, rita, ravi = browser("lena"), browser("rita"), browser("ravi")
        lena.post(
            "/extraction/settings/fields", {"key": "note_text", "level": "study", "type": "text"}
        )
        for label in ("Okafor, 2017", "Lee, 2020"):
            lena.post("/extraction/studies", {"label": label})
        for who in (rita, ravi):
            extract(who, 1)
            type_in(who, 1, Cell("note_text"), '=HYPERLINK("http://x")')
            assert who.post("/extraction/1/submit").status_code == 303
        extract(rita, 2)
        refused = lena.get("/extraction/export.csv")
        assert refused.status_code == 409 and "Lee, 2020 (not complete" in refused.text
        assert rita.get("/extraction/export.csv?partial=1").status_code == 403
        for fmt in ("csv", "xlsx"):
            download = lena.get(f"/extraction/export.{fmt}?partial=1")
            assert download.status_code == 200
            assert (
                download.headers["content-disposition"]
                == f'attachment; filename="extraction.{fmt}"'
            )
            cli = tmp_path / f"cli.{fmt}"
            done = run("export-extraction", project.url, "-o", str(cli), "--partial")
            assert done.returncode == 0, done.stderr
            assert download.content == cli.read_bytes(), fmt
        table = pd.read_csv(io.BytesIO(lena.get("/extraction/export.csv?partial=1").content))
        assert table["study"].tolist() == ["Okafor, 2017"] and table["mean_arm1"].tolist() == [10.2]
        assert not table["note_text"].iloc[0].startswith("=")  # neutralised, not a formula


def test_one_extractor_per_study(project):
    set_extractors_required(project, 1, actor="lena")
    number = add_study(project, "Okafor, 2017", actor="lena").number
    with workspace(project) as browser:
        rita, ravi = browser("rita"), browser("ravi")
        extract(rita, number)
        taken = type_in(ravi, number, Cell("country"), "UK")
        assert "has its 1 extractor(s) already: rita" in taken.text
        assert "This study has its 1 extractor: rita." in ravi.get(f"/extraction/{number}").text
        assert rita.post(f"/extraction/{number}/submit").status_code == 303
        page = rita.get(f"/extraction/{number}/compare")
        assert page.status_code == 200 and "The extractors gave the same values." in page.text
