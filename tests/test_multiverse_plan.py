"""A plan's ``[category.multiverse]``: checked with the plan's error style, run by
``metareview run``, its numbers equal to a direct ``multiverse`` call and its test to a direct
``specification_test``; results.json keeps the summary and names the table; the report shows
the section (specification curve, summary, test) and its methods sentence, in Chromium too."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metareview.cli import main
from metareview.errors import PlanError
from metareview.plan import multiverse_record
from metareview.plan.analysis import analysis_settings, effect_sizes
from metareview.plan.multiverse import Factors, multiverse, specification_test
from metareview.plan.plan import parse_plan
from metareview.plan.results import ReviewResults
from metareview.report.build import figure_jobs, write_report
from tests.conftest import REPO
from tests.test_run import CHROMIUM_ARGS

EXAMPLE = REPO / "examples" / "peer-support" / "extraction.csv"
PLAN = f"""
[data]
file = "{EXAMPLE.as_posix()}"
[settings]
preset = "metapsy"
measure = "SMD"
rho = 0.5
[rob]
column = "rob_overall"
[[time_window]]
name = "Post-test"
time = "post"
[[time_window]]
name = "6-9 months"
weeks = [24, 39]
[[category]]
name = "Clinical recovery"
values = "clinical recovery"
[category.analyses]
specific_outcomes = false
[category.multiverse]
studies = ["all", "low_rob", "outliers_removed"]
effects = ["combined", "highest", "three_level"]
methods = ["REML", "DL"]
by = ["format"]
bootstrap = 4
seed = 3
"""


@pytest.fixture(scope="module")
def plan_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("multiverse-plan")
    (folder / "plan.toml").write_text(PLAN)
    with pytest.raises(SystemExit) as done:
        main(["run", str(folder / "plan.toml"), "-o", str(folder / "out"), "--jobs", "1", "-q"])
    assert done.value.code == 0
    return folder / "out"


@pytest.fixture(scope="module")
def direct() -> tuple:
    settings = analysis_settings(measure="SMD", preset="metapsy")
    rows, _ = effect_sizes(
        EXAMPLE, settings, where={"outcome_category": "clinical recovery", "time": "post"}
    )
    factors = Factors(
        studies=("all", "low_rob", "outliers_removed"),
        effects=("combined", "highest", "three_level"),
        methods=("REML", "DL"),
        filters={"format": ()},
        rob_column="rob_overall",
        preset="metapsy",
    )
    result = multiverse(rows, factors)
    return rows, result, specification_test(rows, result, iterations=4, seed=3)


def test_plan_multiverse_equals_a_direct_multiverse_call(plan_run, direct):
    _, result, test = direct
    document = json.loads((plan_run / "results.json").read_text())
    (stored,) = document["multiverses"]
    assert len(stored["specifications"]["rows"]) == len(result.specifications)  # ≤ 5,000
    assert stored["table"] == "tables/multiverse-clinical-recovery-post-test-multiverse.csv"
    assert stored["summary"] == pytest.approx(result.summary_numbers())
    assert stored["test"] == pytest.approx(test.to_dict())
    table = pd.read_parquet(plan_run / stored["table"].replace(".csv", ".parquet"))
    csv = pd.read_csv(plan_run / stored["table"], index_col="specification")
    expected = result.specifications
    assert len(table) == len(csv) == len(expected) == stored["summary"]["specifications"]
    for column in expected.columns:
        if column == "removed":
            assert table[column].tolist() == expected[column].map("; ".join).tolist()
        elif pd.api.types.is_float_dtype(expected[column]):
            np.testing.assert_allclose(table[column], expected[column], rtol=1e-12)
            np.testing.assert_allclose(csv[column], expected[column], rtol=1e-12)
        else:
            assert table[column].astype(str).tolist() == expected[column].astype(str).tolist()
    assert ReviewResults.from_dict(document).multiverses[0].summary == stored["summary"]


def test_the_report_is_the_same_from_results_json_alone(plan_run, tmp_path):
    document = json.loads((plan_run / "results.json").read_text())
    again = write_report(ReviewResults.from_dict(document), tmp_path / "again")
    assert again.read_text() == (plan_run / "report" / "index.html").read_text()


def test_results_json_leaves_out_the_rows_of_a_large_multiverse(plan_run, monkeypatch):
    document = json.loads((plan_run / "results.json").read_text())
    record = ReviewResults.from_dict(document).multiverses[0]
    monkeypatch.setattr(multiverse_record, "ROWS_IN_JSON", len(record.specifications) - 1)
    stored = record.to_dict(rows=None)
    assert "specifications" not in stored and stored["table"].endswith(".csv")
    assert record.to_dict(rows=True)["specifications"]["rows"]  # the run's cache keeps them
    bare = ReviewResults.from_dict({**document, "multiverses": [stored]})
    assert bare.multiverses[0].specifications.empty
    assert not any(job.kind == "multiverse" for job in figure_jobs(bare, Path("unused")))


def test_report_has_the_multiverse_section_and_methods_sentence(plan_run, direct):
    html = (plan_run / "report" / "index.html").read_text()
    _, result, _ = direct
    fitted = result.summary_numbers()["fitted"]
    assert "Multiverse analysis: Clinical recovery, Post-test" in html
    assert f"{len(result.specifications)} specifications, {fitted} fitted" in html
    assert "Under-the-null bootstrap (4 resamples, seed 3)" in html
    assert "a multiverse analysis [" in html and "Voracek M, Kossmeier M, Tran US" in html
    assert (
        plan_run / "figures" / "multiverse-clinical-recovery-post-test-multiverse.svg"
    ).is_file()


@pytest.mark.browser
def test_multiverse_section_renders_in_chromium(plan_run):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto((plan_run / "report" / "index.html").as_uri())
            heading = page.locator("h4[id^='multiverse-']")
            assert heading.inner_text() == "Multiverse analysis: Clinical recovery, Post-test"
            svg = page.locator("figure#multiverse-clinical-recovery-post-test-multiverse svg")
            box = svg.bounding_box()
            assert box and box["width"] > 400 and box["height"] > 300
            labels = svg.evaluate(
                "s => Array.from(s.querySelectorAll('text')).map(t => t.textContent)"
            )
            assert any("three_level" in label for label in labels)
        finally:
            browser.close()


@pytest.mark.parametrize(
    ("table", "key", "message"),
    [
        ('window = "Later"', "category[1].multiverse.window", "got 'Later', expected one of"),
        ('studies = ["most"]', "category[1].multiverse.studies[1]", "got 'most'"),
        ("bootstrap = -1", "category[1].multiverse.bootstrap", "expected a number >= 0"),
        ('method = ["REML"]', "category[1].multiverse", "method"),
    ],
)
def test_plan_multiverse_is_checked_with_file_line_and_key(table, key, message):
    text = '[data]\nfile = "t.csv"\n[[category]]\nname = "A"\n[category.multiverse]\n' + table
    with pytest.raises(PlanError) as error:
        parse_plan(text)
    assert f"plan.toml, line 6, key '{key}" in str(error.value)
    assert message in str(error.value)


def test_a_missing_moderator_column_names_the_key(tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.replace('by = ["format"]', 'by = ["setting"]'))
    with pytest.raises(SystemExit) as done:
        main(["run", str(plan), "-o", str(tmp_path / "out"), "--jobs", "1", "-q"])
    assert done.value.code == 2
