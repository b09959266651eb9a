"""Browser steps of dual data extraction in the workspace (Playwright, one page per person),
for the extraction test and the end-to-end test of issue 16 to compose.

The data are three trials of the example review (``examples/peer-support/extraction.csv``):
depressive symptoms after treatment on the PHQ-9, as means, SDs and ns per arm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from metareview.data.form import Cell, RowKey
from metareview.records.record import Record
from metareview.store.project import Project
from metareview.store.review import vote
from metareview.web.extraction_form import anchor, row_anchor
from tests.web_server import sign_in

__all__ = ["sign_in"]  # (re-exported: the first step of every browser test)

OUTCOME, TIME, INSTRUMENT = "depressive symptoms", "post", "PHQ-9"
ROW = RowKey(1, 2, OUTCOME, TIME, INSTRUMENT)


@dataclass(frozen=True)
class Trial:
    """One trial's report as an extractor reads it: first author, year, what to enter."""

    author: str
    year: int
    country: str
    arms: tuple[str, str]
    means: dict[str, str]  #: mean/sd/n of arm 1 and arm 2, as typed
    settings: dict[str, str] = field(default_factory=dict)  #: the row's other fields

    @property
    def label(self) -> str:
        return f"{self.author}, {self.year}"


def _means(m1, sd1, n1, m2, sd2, n2) -> dict[str, str]:
    names = ("mean_arm1", "sd_arm1", "n_arm1", "mean_arm2", "sd_arm2", "n_arm2")
    return dict(zip(names, (m1, sd1, n1, m2, sd2, n2)))


ARMS = ("peer support", "care as usual")
TRIALS = (
    Trial("Barreto", 2010, "Australia", ARMS, _means("9.5", "5.35", "28", "16", "4.99", "25"),
          {"time_weeks": "8", "higher_is_better": "no", "format": "group"}),
    Trial("Castellanos", 2009, "Canada", ARMS, _means("11.3", "5.75", "44", "11.5", "4.71", "41"),
          {"time_weeks": "12", "higher_is_better": "no", "format": "group"}),
    Trial("Eklund", 2017, "Australia", ARMS, _means("10.7", "5.87", "70", "12.4", "5.19", "71"),
          {"time_weeks": "8", "higher_is_better": "no", "format": "one-to-one"}),
)  # fmt: skip


def included_trials(project: Project, trials=TRIALS, reviewers=("rita", "ravi")) -> list[int]:
    """Import one report per trial and include each at both stages (screening is tested on
    its own); returns the record ids."""
    records = [
        Record(title=f"Peer support for depression: the {t.author} trial", authors=(f"{t.author}, A",),
               year=t.year, journal="Trials")
        for t in trials
    ]  # fmt: skip
    ids = list(project.add_import("trials.ris", records, actor="lena").record_ids)
    for record_id in ids:
        for stage in ("ta", "ft"):
            for who in reviewers:
                vote(project, record_id, reviewer=who, stage=stage, decision="include")
    return ids


def shot(page, path: Path) -> None:
    """A full-page screenshot (``caret="initial"``: the CSP refuses Playwright's caret style)."""
    page.screenshot(path=str(path), full_page=True, caret="initial")


def lead_adds_included_studies(page, base: str) -> list[str]:
    """The lead adds the studies included at full text; returns the labels listed."""
    page.goto(f"{base}/extraction")
    page.click("#add-included")
    page.wait_for_selector("p.notice")
    return page.locator("table.studies tbody tr td:nth-child(2)").all_inner_texts()


def lead_adds_field(page, base: str, key: str, level: str, kind: str, choices=(), label="") -> str:
    """The lead adds a review-specific field; returns the page's message."""
    page.goto(f"{base}/extraction/settings")
    page.fill("form.add-field input[name=key]", key)
    page.fill("form.add-field input[name=label]", label)
    page.select_option("form.add-field select[name=level]", level)
    page.select_option("form.add-field select[name=type]", kind)
    page.fill("form.add-field textarea[name=choices]", "\n".join(choices))
    page.click("#add-field")
    page.wait_for_selector("p.notice")
    return page.inner_text("p.notice")


def _selector(cell: Cell) -> str:
    return f"[name={json.dumps(cell.code)}]"


def type_value(page, number: int, cell: Cell, text: str) -> str:
    """Type a value in a field of the open study page and leave the field, as a person does;
    returns the message shown beside the field once htmx has swapped it ('' if none)."""
    box = f"#{anchor(cell.code)}"
    page.evaluate(f"document.querySelector('{box}').dataset.seen = '1'")
    target = page.locator(_selector(cell))
    with page.expect_response(lambda r: r.url.endswith(f"/extraction/{number}/cell")):
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(text)
        else:
            target.fill(text)
            target.press("Tab")
    page.wait_for_selector(f"{box}:not([data-seen])")
    return page.inner_text(f"{box} .msg").strip()


def add_row(page, base: str, number: int, row: RowKey, first: dict[str, str]) -> None:
    """Add a row of means with its first values through the add-a-row form."""
    page.select_option("#new-row select[name=arm1]", str(row.arm1))
    page.select_option("#new-row select[name=arm2]", str(row.arm2))
    page.fill("#new-row input[name=outcome]", row.outcome)
    page.fill("#new-row input[name=time]", row.time)
    page.fill("#new-row input[name=instrument]", row.instrument)
    for name, text in first.items():
        page.fill(f"#new-row input[name='v:{name}']", text)
    page.click("#add-row")
    page.wait_for_url(f"{base}/extraction/{number}#{row_anchor(row)}")


def extract_trial(page, base: str, number: int, trial: Trial, typos: dict[str, str] | None = None):
    """An extractor fills in a study: country, both arms, the row (its first value through
    the add-a-row form, the rest field by field as typed), with ``typos`` typed instead of
    the report's values. Every field must be accepted (no message)."""
    typed = {**trial.means, **(typos or {})}
    page.goto(f"{base}/extraction/{number}")
    assert type_value(page, number, Cell("country"), trial.country) == ""
    for arm, condition in enumerate(trial.arms, start=1):
        assert type_value(page, number, Cell("condition", arm=arm), condition) == ""
    (first, value), *rest = typed.items()
    add_row(page, base, number, ROW, {first: value})
    for name, text in [*rest, *trial.settings.items()]:
        assert type_value(page, number, Cell(name, row=ROW), text) == "", name


def submit_study(page, base: str, number: int) -> None:
    """Submit the open extraction of a study."""
    page.goto(f"{base}/extraction/{number}")
    page.click("#submit-study")
    page.wait_for_selector("p.notice:has-text('You submitted this study')")


def differences(page, base: str, number: int) -> list[list[str]]:
    """The comparison's differing cells: the cell, then each extractor's value."""
    page.goto(f"{base}/extraction/{number}/compare")
    rows = page.locator("table.compare-cells tbody tr")
    return [
        [rows.nth(i).locator("th").inner_text().split("\n")[0],
         *rows.nth(i).locator("td.value").all_inner_texts()]
        for i in range(rows.count())
    ]  # fmt: skip


def agree_on(page, base: str, number: int, cell: Cell, value: str, note: str = "") -> str:
    """Record the consensus value of a differing cell (agreed by both extractors); returns
    what the comparison then shows as agreed."""
    page.goto(f"{base}/extraction/{number}/compare")
    row = page.locator(f"tr#{anchor(cell.code)}")
    row.locator("input[name=value]").fill(value)
    row.locator("input[name=note]").fill(note)
    row.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/extraction/{number}/compare#{anchor(cell.code)}")
    return page.locator(f"tr#{anchor(cell.code)} td.agreed-value").inner_text()


def download(page, base: str, link: str) -> bytes:
    """Download a file from a link of the studies page (e.g. ``#export-csv``)."""
    page.goto(f"{base}/extraction")
    with page.expect_download() as info:
        page.click(link)
    return Path(info.value.path()).read_bytes()
