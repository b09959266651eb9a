"""Dual data extraction in headless Chromium (Playwright): the lead adds the included studies
and a field of the review's own; two extractors, each in their own browser, extract three
studies of the example review, one of them mistyping a mean; a wrong value gets validate's
message at the field and loses nothing; neither sees the other's values before both have
submitted; the comparison lists exactly the mistyped mean, the consensus settles it, the
cell's history shows who entered and agreed what, and the lead's downloads are the CLI's
files byte for byte, with the report's numbers.

Screenshots for ``docs/workspace.md`` are written to ``docs/img/``.
"""

from __future__ import annotations

import io
from dataclasses import replace

import pandas as pd
import pytest

from metareview.data.form import Cell
from metareview.data.table import load_table
from metareview.store.extraction import (
    add_study,
    agreed_values,
    cell_history,
    progress,
    set_extractors_required,
    values_for,
)
from metareview.web.extraction_form import anchor
from tests import stores
from tests.browser_extraction_steps import (
    ROW,
    TRIALS,
    agree_on,
    differences,
    download,
    extract_trial,
    included_trials,
    lead_adds_field,
    lead_adds_included_studies,
    shot,
    sign_in,
    submit_study,
    type_value,
)
from tests.conftest import REPO
from tests.test_records_cli import run
from tests.web_client import make_project
from tests.web_server import chromium, live_server

pytestmark = pytest.mark.browser
chromium = chromium  # the fixture
store_url = stores.store_url  # the fixture, once per backend
IMAGES = REPO / "docs" / "img"
REFUSED = "Failed to load resource: the server responded with a status of 409 (Conflict)"
MISTYPED = "13.1"  # ravi's mean_arm1 of the second study; the report says 11.3


def test_two_extractors_three_studies_one_mean_differs_then_consensus(
    store_url, chromium, tmp_path
):
    errors: list[str] = []
    mean = Cell("mean_arm1", row=ROW)
    with make_project(store_url, n_records=0) as project, live_server(project) as base:
        included_trials(project)
        lena = sign_in(chromium, base, "lena", errors)
        assert lead_adds_included_studies(lena, base) == [t.label for t in TRIALS]
        choices = ("group", "one-to-one")
        assert "added" in lead_adds_field(
            lena, base, "format", "row", "choice", choices, "Delivery format"
        )
        shot(lena, IMAGES / "workspace-extraction-settings.png")

        rita, ravi = (sign_in(chromium, base, name, errors) for name in ("rita", "ravi"))
        for number, trial in enumerate(TRIALS, start=1):
            extract_trial(rita, base, number, trial)
            if number == 1:  # a wrong value: the message at the field, nothing lost
                sd = Cell("sd_arm1", row=ROW)
                message = type_value(rita, number, sd, "-5.35")
                assert message == "got '-5.35', expected a number > 0"
                assert rita.input_value(f"[name='{sd.code}']") == "-5.35"
                assert rita.input_value(f"[name='{mean.code}']") == trial.means["mean_arm1"]
                shot(rita, IMAGES / "workspace-extraction-form.png")
                assert type_value(rita, number, sd, trial.means["sd_arm1"]) == ""
            submit_study(rita, base, number)
            typos = {"mean_arm1": MISTYPED} if number == 2 else {}
            extract_trial(ravi, base, number, trial, typos)
            if number == 1:  # rita submitted, ravi has not: nothing of rita's shows to ravi
                assert "blinded" in ravi.goto(f"{base}/extraction/1/compare").text()
                errors.remove(f"ravi: {REFUSED}")  # the comparison's refusal, as expected
                ravi.goto(f"{base}/extraction/1")
                assert ravi.input_value(f"[name='{mean.code}']") == trial.means["mean_arm1"]
            submit_study(ravi, base, number)

        lena.goto(f"{base}/extraction")
        standing = lena.locator("table.studies td.standing").all_inner_texts()
        assert standing == ["complete, no difference", "1 cell differs, 1 without consensus",
                            "complete, no difference"]  # fmt: skip
        shot(lena, IMAGES / "workspace-extraction-studies.png")
        assert differences(lena, base, 2) == [[mean.label(), "11.3", MISTYPED]]
        shot(lena, IMAGES / "workspace-extraction-compare.png")
        agreed = agree_on(rita, base, 2, mean, "11.3", "checked against table 2 of the report")
        assert agreed.startswith("11.3\nagreed by rita, ravi; recorded by rita")
        assert agreed_values(project, 2).values[mean] == 11.3
        rita.click(f"tr#{anchor(mean.code)} a")
        rita.wait_for_selector("table.history")
        history = rita.locator("table.history tbody tr").all_inner_texts()
        assert [line.split("\t")[1:4] for line in history] == [
            ["rita", "entered", "11.3"], ["ravi", "entered", MISTYPED], ["rita", "consensus", "11.3"]
        ]  # fmt: skip
        shot(rita, IMAGES / "workspace-extraction-history.png")
        assert len(cell_history(project, 2, mean, viewer="lena")) == 3

        files = {fmt: download(lena, base, f"#export-{fmt}") for fmt in ("csv", "xlsx")}
    for fmt, data in files.items():
        cli = tmp_path / f"cli.{fmt}"
        run("export-extraction", project.url, "-o", str(cli))
        assert data == cli.read_bytes(), fmt
        assert len(load_table(cli).frame) == 3  # what `metareview run` reads, valid
    table = pd.read_csv(io.BytesIO(files["csv"]))
    assert table["study"].tolist() == [t.label for t in TRIALS]
    assert table["mean_arm1"].tolist() == [float(t.means["mean_arm1"]) for t in TRIALS]
    assert table["format"].tolist() == [t.settings["format"] for t in TRIALS]
    assert pd.read_excel(io.BytesIO(files["xlsx"])).equals(table)
    assert errors == [], "\n".join(errors)


def test_a_value_typed_just_before_submitting_is_saved_first(tmp_path, chromium):
    """The last value typed, then Submit clicked at once (no Tab): the value is in the
    submitted extraction (the field's save starts as the field loses focus; Submit is also
    disabled while a save runs)."""
    errors: list[str] = []
    with make_project(stores.sqlite_url(tmp_path), n_records=0) as project:
        set_extractors_required(project, 1, actor="lena")
        add_study(project, TRIALS[0].label, actor="lena")
        with live_server(project) as base:
            rita = sign_in(chromium, base, "rita", errors)
            plain = {k: v for k, v in TRIALS[0].settings.items() if k != "format"}
            extract_trial(rita, base, 1, replace(TRIALS[0], settings=plain))
            rita.fill(f"[name='{Cell('rating', row=ROW).code}']", "self-report")
            for _ in range(20):  # (a click while a save runs finds Submit disabled)
                if rita.is_enabled("#submit-study"):
                    rita.click("#submit-study")
                if rita.query_selector("p.notice"):
                    break
                rita.wait_for_timeout(100)
            rita.wait_for_selector("p.notice:has-text('You submitted this study')")
        assert values_for(project, 1, "rita")[Cell("rating", row=ROW)] == "self-report"
        assert progress(project, 1).submitted == ("rita",)
    assert errors == [], "\n".join(errors)
