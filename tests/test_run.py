"""``metareview run``: the example review end to end, agreement with ``metareview analyze``,
determinism, caching, parallel runs, plan errors against the data, and ``metareview init``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from metareview.cli import main
from metareview.errors import AnalysisError, PlanError
from metareview.plan.analysis import AnalysisSettings, analyze
from metareview.plan.models import MULTILEVEL_MODELS, model_request
from metareview.plan.moderators import MetaRegRequest
from metareview.plan.plan import Settings, load_plan, parse_plan
from metareview.plan.result_tree import ReviewTree
from metareview.plan.results import ReviewResults, json_text
from metareview.plan.runner import run_plan
from metareview.report.build import write_report
from tests.report_records import study_columns

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "peer-support"


@pytest.fixture(scope="module")
def example_run(tmp_path_factory) -> Path:
    """The example plan run once through the CLI (one process)."""
    out = tmp_path_factory.mktemp("peer-support")
    with pytest.raises(SystemExit) as done:
        main(["run", str(EXAMPLE / "plan.toml"), "-o", str(out), "--jobs", "1", "--quiet"])
    assert done.value.code == 0
    return out


@pytest.fixture(scope="module")
def example_results(example_run) -> ReviewResults:
    return ReviewResults.from_dict(json.loads((example_run / "results.json").read_text()))


def test_the_example_report_is_the_same_from_results_json_with_fitting_refused(
    example_run, tmp_path, monkeypatch
):
    """The example's report (meta-regressions with a bubble plot, the models table with the
    three-level and CHE models and their forest plot, the multiverse with its curve and test,
    subgroups, small-study tests, leave-one-out, GOSH) made again from ``results.json`` alone,
    with every function that fits or tests anything refused: the same HTML and figures."""
    from tests.test_report_from_results import refuse_fitting

    stored = json.loads((example_run / "results.json").read_text(encoding="utf-8"))
    assert ReviewTree.from_dict(stored).to_dict() == stored  # every node reads back unchanged
    results = ReviewResults.from_dict(stored)
    assert results.multiverses and any(r.models for r in results.analyses)
    assert any(r.tree.result.metaregression for r in results.analyses)
    refuse_fitting(monkeypatch)
    again = write_report(results, tmp_path / "again")
    html = (example_run / "report" / "index.html").read_text(encoding="utf-8")
    assert again.read_text(encoding="utf-8") == html
    figures = sorted(p.name for p in (example_run / "figures").glob("*.svg"))
    assert {"bubble", "multiverse", "gosh"} <= {name.split("-")[0] for name in figures}
    assert any(name.endswith("-multilevel.svg") for name in figures)
    for name in figures:
        first = (example_run / "figures" / name).read_text(encoding="utf-8")
        assert (tmp_path / "again" / "figures" / name).read_text(encoding="utf-8") == first


def _numbers(document, path=""):
    """Every number in a JSON document, by path."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _numbers(value, f"{path}.{key}")
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _numbers(value, f"{path}[{index}]")
    elif isinstance(document, int | float) and not isinstance(document, bool):
        yield path, float(document)


def test_example_writes_report_results_figures_and_tables(example_run, example_results):
    assert (example_run / "report" / "index.html").is_file()
    figures = sorted(p.name for p in (example_run / "figures").glob("*.svg"))
    assert "forest-clinical-recovery-post-test.svg" in figures
    assert "forest-stigma-post-test-by-intervention-type.svg" in figures
    assert "funnel-clinical-recovery-post-test.svg" in figures
    assert {"loo-clinical-recovery-post-test.svg", "baujat-clinical-recovery-post-test.svg"} <= set(
        figures
    )
    assert {"rob-traffic.svg", "rob-summary.svg"} <= set(figures)
    gosh = example_run / "figures" / "gosh-clinical-recovery-post-test.svg"
    assert gosh.stat().st_size < 400_000  # 20 000 points, rasterised
    tables = {p.name for p in (example_run / "tables").iterdir()}
    assert {"table-clinical-recovery.csv", "tables.xlsx", "models.csv"} <= tables
    assert "forest-clinical-recovery-post-test-multilevel.svg" in figures  # plan models
    models = example_results["clinical-recovery/post-test"].models
    assert [row["model"] for row in models] == ["overall", "combined", "threelevel", "che"]
    ids = example_results.ids
    assert ids[0] == "clinical-recovery/post-test"
    assert "stigma/post-test/low-rob-only" in ids
    main_result = example_results["clinical-recovery/post-test"]
    assert main_result.ok and main_result.k >= 20
    assert [b["column"] for b in main_result.subgroups] == [
        "population",
        "format",
        "delivery",
        "rob_overall",
    ]
    assert len(main_result.leave_one_out) == main_result.k
    # several subgroup columns: each its own test, forest plot, table rows and sentence
    assert all(block["test"] is not None for block in main_result.subgroups)
    by_column = {
        f"forest-clinical-recovery-post-test-by-{c}.svg"
        for c in ("population", "format", "delivery", "rob-overall")
    }
    assert by_column <= set(figures)
    table = pd.read_csv(example_run / "tables" / "table-clinical-recovery.csv")
    headers = table[(table["section"] == "Subgroup analyses") & table["p_subgroups"].notna()]
    assert list(headers["analysis"]) == ["population", "format", "delivery", "rob_overall"]
    html = (example_run / "report" / "index.html").read_text()
    assert all(f"Subgroups by {c} " in html for c in ("population", "format", "delivery"))
    assert not re.search(r"[-−]0\.0+(?!\d)", html)  # a rounded zero has no sign
    forest = (example_run / "figures" / "forest-clinical-recovery-post-test.svg").read_text()
    assert "Total" in forest or "Random" in forest
    skipped = example_results["clinical-recovery/post-test/outcome-remission"]
    assert skipped.status == "skipped" and "< 5" in skipped.reason


def test_every_number_equals_analyze_on_the_same_effect_sizes(example_results):
    """Each analysis refitted from its recorded input (study, yi, vi, moderators) gives the same
    document, its meta-regressions included."""
    checked = 0
    with_metaregression = 0
    for record in example_results.analyses:
        if not record.ok:
            continue
        requests = tuple(MetaRegRequest.from_plan(r) for r in record.spec["metaregression"])
        moderators = [m for request in requests for m in request.moderators]
        frame = pd.DataFrame(record.input)[list(dict.fromkeys(["study", "yi", "vi", *moderators]))]
        spec_settings = replace(_settings_of(example_results, record), metaregression=requests)
        if record.spec["role"] == "model" and record.spec["variant"] in MULTILEVEL_MODELS:
            rho = record.result["multilevel"]["rho"]  # the plan's (0.5), as combining uses
            request = model_request(record.spec["variant"], Settings(), rho)
            spec_settings = replace(spec_settings, multilevel=request)
        again = json.loads(json.dumps(analyze(frame, spec_settings).to_dict()))
        # row numbers are the extraction table's, which the recorded input does not carry
        # (test_plan_metareg checks them); every other number must be the same
        expected = {k: v for k, v in _numbers(again) if not k.endswith(".row")}
        actual = {k: v for k, v in _numbers(record.result) if not k.endswith(".row")}
        assert actual.keys() == expected.keys()
        for key, value in expected.items():
            assert actual[key] == pytest.approx(value, rel=1e-12, abs=1e-14), (record.id, key)
        checked += 1
        with_metaregression += bool(record.result.get("metaregression"))
    assert checked >= 25 and with_metaregression >= 4


def _settings_of(results: ReviewResults, record) -> AnalysisSettings:
    plan = results.plan
    settings = dict(plan["settings"])
    for item in plan.get("analysis", []):
        if item["name"] == record.spec["group"]:
            settings.update(item.get("settings", {}))
    return AnalysisSettings(
        measure=settings["measure"],
        preset=settings["preset"],
        method=settings.get("method"),
        ci_method=settings.get("ci_method"),
        level=settings.get("level", 0.95),
    )


def test_an_analysis_equals_metareview_analyze_on_the_raw_rows(example_results, tmp_path, capsys):
    """Where each trial gave one row, `metareview analyze` on those spreadsheet rows agrees."""
    single = [
        r
        for r in example_results.analyses
        if r.ok and r.model == "random" and all(len(i["rows"]) == 1 for i in r.input)
    ]
    assert len(single) >= 5  # e.g. the one-effect-per-study (lowest/highest) runs
    record = single[0]
    rows = [item["rows"][0] for item in record.input]
    table = pd.read_csv(EXAMPLE / "extraction.csv")
    table.index = table.index + 2  # spreadsheet row numbers
    subset = tmp_path / "hope.csv"
    table.loc[rows].to_csv(subset, index=False)
    with pytest.raises(SystemExit):
        main(["analyze", str(subset), "--preset", "metapsy", "--measure", "SMD", "--json"])
    document = json.loads(capsys.readouterr().out)
    for key in ("estimate", "ci_lower", "ci_upper", "pvalue", "pi_lower", "pi_upper"):
        assert record.result["random"][key] == pytest.approx(document["random"][key], rel=1e-10)
    assert record.result["heterogeneity"]["i2"] == pytest.approx(
        document["heterogeneity"]["i2"], rel=1e-10
    )


def test_subgroup_test_is_analyzes_and_matches_q_between_separate_estimates(example_results):
    """metapsy preset: separate τ² per subgroup, so the test is the Q between the subgroup
    estimates weighted by their inverse squared SEs (recomputed here by hand)."""
    block = example_results["clinical-recovery/post-test"].subgroups[0]
    assert block["column"] == "population" and block["test"]["tau_common"] is False
    pooled = [level["result"]["random"] for level in block["levels"]]
    weights = [1 / p["se"] ** 2 for p in pooled]
    mean = sum(w * p["estimate"] for w, p in zip(weights, pooled)) / sum(weights)
    q = sum(w * (p["estimate"] - mean) ** 2 for w, p in zip(weights, pooled))
    assert block["test"]["q"] == pytest.approx(q, rel=1e-9) and block["test"]["df"] == 1


def test_forest_arm_sizes_come_from_every_data_group(example_results):
    """n per arm from n_arm*, n_change_arm* or totaln_arm*; combined rows take the largest."""
    from metareview.report.forest_data import forest_data
    from metareview.report.forest_plot import _arm

    data = forest_data(example_results["clinical-recovery/post-test"])
    sizes = {row.label: _arm(row, "n", 1) for row in data.rows}
    assert sizes["Delacroix, 2013"] == 42  # events: totaln_arm1
    assert sizes["Abernathy, 2008"] == 62  # change scores: n_change_arm1
    barreto = next(r for r in data.rows if r.label == "Barreto, 2010")
    assert barreto.arms["n_effects"] == 2 and sizes["Barreto, 2010"] is not None


def test_revman_style_model_switch_and_hop_subgroup_test(example_results):
    stigma = example_results["stigma/post-test"]
    i2 = stigma.result["heterogeneity"]["i2"]
    assert stigma.model == ("fixed" if i2 < 50 else "random")
    assert "I² =" in stigma.model_reason
    block = stigma.subgroups[0]
    assert block["column"] == "intervention_type"
    assert {level["level"] for level in block["levels"]} == {"HOP", "other"}
    assert block["test"]["df"] == 1 and 0 <= block["test"]["pvalue"] <= 1


def test_outliers_removed_excludes_the_flagged_studies(example_results):
    for record in example_results.analyses:
        if record.spec["variant"] == "outliers_removed" and record.ok:
            parent = example_results[record.spec["parent"]]
            assert record.excluded_studies
            assert record.k == parent.k - len(record.excluded_studies)
            studies = {row["study"] for row in record.input}
            assert not studies & set(record.excluded_studies)
            # the heterogeneity layer's outlier section (same rule) agrees, refit included
            section = parent.result["outliers"]
            assert section["studies"] == record.excluded_studies
            assert record.result["random"]["estimate"] == pytest.approx(
                section["random"]["estimate"], rel=1e-9
            )
            return
    pytest.fail("no outlier analysis was run on the example")


def _small_plan(tmp_path: Path, shared_data: Path, extra: str = "") -> Path:
    frame = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv")
    frame = frame.rename(columns={"Author": "study", "TE": "yi", "seTE": "sei"})
    frame.to_csv(tmp_path / "thirdwave.csv", index=False)
    plan = tmp_path / "plan.toml"
    plan.write_text(
        'title = "Third wave"\n[data]\nfile = "thirdwave.csv"\n'
        '[settings]\npreset = "meta"\n'
        '[analyses]\nsubgroups = ["RiskOfBias"]\nsensitivity = ["leave_one_out", "outliers_removed"]\n'
        '[[analysis]]\nname = "Perceived stress"\nfilter = {}\n' + extra
    )
    return plan


def test_parallel_and_serial_runs_give_identical_results(tmp_path, shared_data):
    plan = load_plan(_small_plan(tmp_path, shared_data))
    stages = []
    serial = run_plan(plan, jobs=1, progress=lambda *args: stages.append(args))
    parallel = run_plan(plan, jobs=2)
    assert serial.to_json() == parallel.to_json()
    assert stages[-1][1] == stages[-1][2]  # progress reached its total
    record = serial["perceived-stress/all-time-points"]
    assert record.k == 18 and len(record.leave_one_out) == 18


def test_results_are_cached_by_plan_and_data(tmp_path, shared_data):
    plan_path = _small_plan(tmp_path, shared_data)
    cache = tmp_path / "cache"
    first = run_plan(load_plan(plan_path), jobs=1, cache_dir=cache)
    assert (cache / f"{first.cache_key}.json").is_file()
    again = run_plan(load_plan(plan_path), jobs=1, cache_dir=cache)
    assert again.to_json() == first.to_json()
    plan_path.write_text(plan_path.read_text().replace('"meta"', '"metafor"'))
    changed = run_plan(load_plan(plan_path), jobs=1, cache_dir=cache)
    assert changed.cache_key != first.cache_key


def test_results_made_by_other_code_are_not_reused(tmp_path, shared_data, monkeypatch):
    """A development checkout changes code without bumping the version: the cache key covers
    metareview's source files too."""
    import metareview.plan.runner as runner

    plan = load_plan(_small_plan(tmp_path, shared_data))
    before = runner.cache_key(plan)
    monkeypatch.setattr(runner, "source_digest", lambda: "0" * 64)
    assert runner.cache_key(plan) != before


def test_plan_naming_a_missing_column_is_a_plan_error(tmp_path, shared_data):
    plan_path = _small_plan(tmp_path, shared_data)
    plan_path.write_text(plan_path.read_text().replace('["RiskOfBias"]', '["RiskofBias"]'))
    with pytest.raises(
        PlanError,
        match=r"line 7, key 'analyses.subgroups': column 'RiskofBias' is not in thirdwave.csv",
    ):
        run_plan(load_plan(plan_path), jobs=1)


def test_several_effects_per_study_with_rule_error_fail_the_run(tmp_path, shared_data):
    plan_path = _small_plan(tmp_path, shared_data)
    frame = pd.read_csv(tmp_path / "thirdwave.csv")
    second = frame.head(1).assign(yi=0.5)  # a second outcome of the first trial
    pd.concat([frame, second]).to_csv(tmp_path / "thirdwave.csv", index=False)
    plan_path.write_text(
        plan_path.read_text().replace(
            'preset = "meta"', 'preset = "meta"\nmultiple_effects = "error"'
        )
    )
    with pytest.raises(
        AnalysisError, match=r"study 'Call et al.' gives 2 effect sizes \(rows 2, 20\)"
    ):
        run_plan(load_plan(plan_path), jobs=1)


def test_cli_errors_are_one_line_with_exit_code(tmp_path, shared_data, capsys):
    plan_path = _small_plan(tmp_path, shared_data)
    plan_path.write_text(plan_path.read_text() + "[min_k]\npool = 0\n")
    with pytest.raises(SystemExit) as done:
        main(["run", str(plan_path), "-o", str(tmp_path / "out"), "-q"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "key 'min_k.pool'" in err


def test_init_writes_a_plan_that_runs(tmp_path, shared_data, capsys):
    frame = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv")
    frame.rename(columns={"Author": "study", "TE": "yi", "seTE": "sei"}).to_csv(
        tmp_path / "tw.csv", index=False
    )
    target = tmp_path / "plan.toml"
    with pytest.raises(SystemExit) as done:
        main(["init", str(tmp_path / "tw.csv"), "-o", str(target)])
    assert done.value.code == 0
    text = target.read_text()
    assert '"RiskOfBias"' in text and "# preset" in text
    results = run_plan(load_plan(target), jobs=1)
    assert results.analyses[0].ok and results.analyses[0].k == 18
    with pytest.raises(SystemExit) as again:
        main(["init", str(tmp_path / "tw.csv"), "-o", str(target)])
    assert again.value.code == 2 and "--force" in capsys.readouterr().err


def test_init_on_the_example_lists_its_categories_and_time_points(tmp_path):
    target = tmp_path / "plan.toml"
    with pytest.raises(SystemExit):
        main(["init", str(EXAMPLE / "extraction.csv"), "-o", str(target)])
    plan = load_plan(target)
    assert {c.name for c in plan.categories} == {
        "Clinical recovery",
        "Personal recovery",
        "Functional recovery",
        "Stigma",
    }
    assert [w.name for w in plan.windows] == ["post", "fu1", "fu2"]
    assert plan.rob_column == "rob_overall"
    assert parse_plan(target.read_text()).runs.subgroups[-1] == "rob_overall"


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.mark.browser
def test_report_opens_in_headless_chromium(example_run, example_results):
    """No console errors, every figure rendered, every TOC link resolves; a screenshot is saved."""
    from playwright.sync_api import sync_playwright

    index = example_run / "report" / "index.html"
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(index.as_uri())
            page.wait_for_load_state("load")
            assert page.title() == example_results.title
            figures = page.query_selector_all("figure.plot")
            assert len(figures) == len(list((example_run / "figures").glob("*.svg")))
            for figure in figures:
                svg = figure.query_selector("svg")
                box = svg.bounding_box()
                assert box and box["width"] > 200 and box["height"] > 100
                assert svg.evaluate("s => s.querySelectorAll('text').length") > 10
            links = page.eval_on_selector_all(
                "nav.toc a", "as => as.map(a => a.getAttribute('href'))"
            )
            assert len(links) >= 8
            for link in links:
                assert page.query_selector(link) is not None, link
                page.click(f"nav.toc a[href='{link}']")
                assert page.evaluate("location.hash") == link
            screenshot = example_run / "report" / "screenshot.png"
            page.screenshot(path=str(screenshot), full_page=False)
        finally:
            browser.close()
    assert errors == []
    assert all(url.startswith("file://") for url in requests)  # offline: nothing fetched
    assert screenshot.stat().st_size > 10_000


def test_influential_removed_excludes_what_the_influence_diagnostics_flag(tmp_path, shared_data):
    from metareview.stats.influence import influence

    plan_path = _small_plan(tmp_path, shared_data)
    plan_path.write_text(
        plan_path.read_text().replace(
            '"outliers_removed"]', '"outliers_removed", "influential_removed"]'
        )
    )
    results = run_plan(load_plan(plan_path), jobs=1)
    main = results["perceived-stress/all-time-points"]
    yi, vi, labels = study_columns(main.result)
    diagnostics = influence(yi, vi, method=main.result["method"], studies=labels)
    flagged = [s for s, flag in zip(diagnostics.studies, diagnostics.influential) if flag]
    assert flagged  # ThirdWave has influential trials (DanitzOrsillo)
    record = results["perceived-stress/all-time-points/influential-removed"]
    assert record.excluded_studies == flagged and record.k == 18 - len(flagged)


def test_leave_one_out_rows_reuse_the_analysis_documents_section(shared_data):
    """When ``analyze`` reports leave-one-out itself, the runner takes it instead of refitting."""
    from metareview.plan.results import AnalysisRecord
    from metareview.plan.runner import leave_one_out_jobs, leave_one_out_rows
    from metareview.stats.leave_one_out import leave_one_out

    frame = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv").rename(
        columns={"Author": "study", "TE": "yi"}
    )
    frame["vi"] = frame.pop("seTE") ** 2
    result = analyze(frame[["study", "yi", "vi"]], AnalysisSettings()).to_dict()
    section = leave_one_out(frame["yi"], frame["vi"], studies=list(frame["study"]))
    record = AnalysisRecord(
        spec={"id": "x"}, status="ok", result={**result, "leave_one_out": section.to_dict()}
    )
    from metareview.plan.expand import expand_plan

    spec = expand_plan(load_plan(EXAMPLE / "plan.toml"))[0]
    assert leave_one_out_jobs(spec, frame, record) == []
    rows = leave_one_out_rows(spec, frame, record, {})
    assert [r["omitted"] for r in rows] == list(frame["study"])
    assert rows[0]["k"] == 17 and rows[0]["estimate"] == section.rows[0].estimate


def test_example_report_has_grade_and_prisma(example_run):
    """The summary of findings rates each outcome category; the PRISMA diagram shows the
    counts of Smit et al. (2023) as SVG text."""
    html = (example_run / "report" / "index.html").read_text()
    sof = pd.read_csv(example_run / "tables" / "summary-of-findings.csv")
    rated = sof[~sof["Outcome"].str.startswith("footnote ")]
    for category in ("Clinical recovery", "Personal recovery", "Functional recovery", "Stigma"):
        certainty = rated.loc[rated["Outcome"] == f"{category}, Post-test", "Certainty"].item()
        assert certainty.split(" ", 1)[1] in ("High", "Moderate", "Low", "Very low")
        assert f"<td>{category}, Post-test</td>" in html
    assert 'href="#summary-of-findings"' in html and 'href="#study-selection"' in html
    svg = (example_run / "figures" / "prisma.svg").read_text()
    for count in ("3455", "3322", "133", "103", "30", "28"):
        assert f"n = {count}" in svg, count
    assert '<figure id="prisma" class="plot">' in html
    assert "rated with GRADE" in html


def _figure_files(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((out / "figures").iterdir())}


def _run_cli(plan: Path, out: Path, *options: str) -> None:
    with pytest.raises(SystemExit) as done:
        main(["run", str(plan), "-o", str(out), "--jobs", "1", "--quiet", *options])
    assert done.value.code == 0


def _recording_draw(monkeypatch) -> list[str]:
    """Record the id of every figure drawn from now on (and still draw it)."""
    from metareview.report import build

    drawn, real = [], build.draw
    monkeypatch.setattr(build, "draw", lambda job: drawn.append(job.id) or real(job))
    return drawn


def test_a_second_run_of_an_unchanged_plan_draws_nothing(tmp_path, shared_data, monkeypatch):
    plan, out = _small_plan(tmp_path, shared_data), tmp_path / "out"
    _run_cli(plan, out)
    figures, report = _figure_files(out), (out / "report" / "index.html").read_bytes()
    assert any(name.startswith("forest-") for name in figures)
    drawn = _recording_draw(monkeypatch)
    _run_cli(plan, out)
    assert drawn == []
    assert _figure_files(out) == figures
    assert (out / "report" / "index.html").read_bytes() == report
    (out / "figures" / "forest-perceived-stress-all-time-points.svg").unlink()
    _run_cli(plan, out)
    assert drawn == ["forest-perceived-stress-all-time-points"]
    assert (out / "report" / "index.html").read_bytes() == report
    _run_cli(plan, out, "--no-cache")
    assert len(drawn) == 1 + len([name for name in figures if name != ".keys.json"])


def test_a_second_run_loads_neither_matplotlib_nor_scipy_stats(tmp_path, shared_data):
    """Results from the cache and every figure kept: nothing is fitted or drawn, so the run
    does not pay for importing the plotting and fitting libraries."""
    plan, out = _small_plan(tmp_path, shared_data), tmp_path / "out"
    _run_cli(plan, out)
    report = (out / "report" / "index.html").read_bytes()
    again = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "metareview", "run", str(plan), "-o", str(out),
         "--jobs", "1", "--quiet"],
        capture_output=True, text=True, env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    imported = {line.split("|")[-1].strip() for line in again.stderr.splitlines()}
    assert "metareview.report.build" in imported
    assert not {"matplotlib", "scipy.stats", "scipy.optimize"} & imported
    assert (out / "report" / "index.html").read_bytes() == report


def test_changing_a_figure_setting_redraws_those_figures(tmp_path, shared_data, monkeypatch):
    plan, out = _small_plan(tmp_path, shared_data), tmp_path / "out"
    _run_cli(plan, out)
    before = _figure_files(out)
    drawn = _recording_draw(monkeypatch)
    plan.write_text(
        plan.read_text().replace('preset = "meta"', 'preset = "meta"\nforest_layout = "jama"')
    )
    _run_cli(plan, out)
    forests = sorted(name.removesuffix(".svg") for name in before if name.startswith("forest-"))
    assert sorted(name for name in drawn if name.startswith("forest-")) == forests
    after = _figure_files(out)
    assert all(after[f"{name}.svg"] != before[f"{name}.svg"] for name in forests)
    assert sorted(after) == sorted(before)
    plan.write_text(plan.read_text() + '[report]\nfigure_formats = ["svg", "png"]\n')
    drawn.clear()
    _run_cli(plan, out)
    assert sorted(drawn) == sorted(
        name.removesuffix(".svg") for name in before if name.endswith(".svg")
    )
    assert {name for name in _figure_files(out) if name.endswith(".png")} == {
        name.replace(".svg", ".png") for name in before if name.endswith(".svg")
    }


def test_results_json_stores_each_input_row_once_and_reads_back_whole(tmp_path, shared_data):
    results = run_plan(load_plan(_small_plan(tmp_path, shared_data)), jobs=1)
    document = json.loads(results.to_json())
    stored = document["input_rows"]["rows"]
    assert len(stored) < sum(len(record.input) for record in results.analyses)
    again = ReviewResults.from_dict(document)
    assert [json_text(r.to_dict()) for r in again.analyses] == [
        json_text(r.to_dict()) for r in results.analyses
    ]
    assert again.to_json() == results.to_json()
