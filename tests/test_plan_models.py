"""A plan's ``models = [...]`` (issue 17, "Plans"): the models of metapsyTools'
``runMetaAnalysis`` for one analysis, each row of their summary table equal to the direct
fit (``analyze`` on the same effects, ``fit_multilevel`` for the multilevel models), and the
plan errors naming the key."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metareview.errors import PlanError
from metareview.plan.analysis import analyze, plan_analysis_settings
from metareview.plan.expand import expand_plan
from metareview.plan.models import MODELS
from metareview.plan.multilevel import MultilevelRequest
from metareview.plan.plan import Settings, load_plan, parse_plan
from metareview.plan.results import ReviewResults
from metareview.plan.runner import run_plan
from metareview.plan.selection import one_per_study
from metareview.report.build import figure_jobs, write_report
from metareview.report.forest_plot import forest_figure
from metareview.report.methods_text import methods_paragraph
from metareview.report.multilevel_forest import multilevel_forest_data
from metareview.report.numbers import fixed
from metareview.stats.influence import influence
from metareview.stats.multilevel import fit_multilevel
from metareview.stats.nnt import nnt_furukawa
from metareview.stats.outliers import outside_pooled_ci
from tests.conftest import REPO

FIXTURE = json.loads((REPO / "tests" / "reference" / "multilevel_metapsy.json").read_text())
ALL = '["overall", "combined", "lowest", "highest", "outliers", "influence", "rob", "threelevel", "che"]'


def _data(folder: Path) -> Path:
    """dat.konstantopoulos2011 (56 effects in 11 districts), with a risk-of-bias column."""
    data = FIXTURE["data"]["konstantopoulos2011"]
    frame = pd.DataFrame(
        {"study": [f"district {s}" for s in data["study"]], "yi": data["yi"], "vi": data["vi"]}
    )
    high = {"district 11", "district 58", "district 644"}  # risk of bias is a study's
    frame["rob"] = ["High" if study in high else "Low" for study in frame["study"]]
    path = folder / "effects.csv"
    frame.to_csv(path, index=False)
    return path


def _plan(folder: Path, models: str = ALL, settings: str = 'preset = "metapsy"') -> Path:
    path = folder / "plan.toml"
    path.write_text(
        f'[data]\nfile = "{_data(folder).as_posix()}"\n[settings]\nmeasure = "SMD"\n{settings}\n'
        f"[analyses]\nspecific_outcomes = false\nmodels = {models}\n"
        '[[analysis]]\nname = "Schools"\nfilter = {}\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    plan = load_plan(_plan(folder))
    results = run_plan(plan, jobs=1)
    effects = pd.read_csv(folder / "effects.csv")
    effects.index = effects.index + 2  # spreadsheet rows (header is row 1)
    effects.index.name = "row"
    return plan, results, effects


def _direct(frame: pd.DataFrame, settings: Settings, multilevel: MultilevelRequest | None = None):
    analysis = plan_analysis_settings(settings)
    if multilevel is not None:
        analysis = replace(analysis, multilevel=multilevel)
    return analyze(frame[["study", "yi", "vi"]].reset_index(drop=True), analysis).to_dict()


def _row(results: ReviewResults, model: str) -> dict:
    table = results["schools/all-time-points"].models
    return next(row for row in table if row["model"] == model)


def test_every_model_is_an_analysis_and_the_table_lists_them_in_runmetaanalysis_order(run):
    results = run[1]
    table = results["schools/all-time-points"].models
    assert [row["model"] for row in table] == list(MODELS)
    assert all(row["status"] == "ok" for row in table)
    assert results["schools/all-time-points/model-che"].spec["role"] == "model"
    # the table survives results.json
    again = ReviewResults.from_dict(json.loads(results.to_json()))
    assert again["schools/all-time-points"].models == json.loads(json.dumps(table))


def test_standard_model_rows_equal_analyze_on_their_effects(run):
    plan, results, effects = run
    settings = plan.custom[0].settings
    rho = 0.6  # the metapsy preset's within_study_rho
    frames = {
        "overall": effects,
        "combined": one_per_study(effects, "combine", rho=rho, label="t").frame,
        "lowest": one_per_study(effects, "lowest", rho=rho, label="t").frame,
        "highest": one_per_study(effects, "highest", rho=rho, label="t").frame,
        "rob": effects[effects["rob"] == "Low"],
    }
    for model, frame in frames.items():
        row = _row(results, model)
        direct = _direct(frame, settings)
        pooled, het = direct["random"], direct["heterogeneity"]
        assert row["k"] == len(frame) == direct["k"], model
        assert row["n_studies"] == frame["study"].nunique()
        for key in ("estimate", "se", "ci_lower", "ci_upper", "pvalue", "pi_lower", "pi_upper"):
            assert row[key] == pytest.approx(pooled[key], rel=1e-12), (model, key)
        assert row["i2"] == pytest.approx(het["i2"], rel=1e-12)
        assert row["i2_ci"] == pytest.approx(het["i2_ci"], rel=1e-12)
        assert row["nnt"] == pytest.approx(nnt_furukawa(pooled["estimate"], 0.2), rel=1e-12)
    assert _row(results, "combined")["k"] == 11 and _row(results, "overall")["k"] == 56


def test_outliers_and_influence_leave_out_the_effects_flagged_in_the_overall_model(run):
    plan, results, effects = run
    settings = plan.custom[0].settings
    overall = _direct(effects, settings)
    yi, vi = effects["yi"].to_numpy(), effects["vi"].to_numpy()
    random = overall["random"]
    outside = outside_pooled_ci(yi, vi, (random["ci_lower"], random["ci_upper"]), 0.95)
    flags = influence(yi, vi, method="REML", studies=list(effects["study"])).influential
    for model, flagged in (("outliers", np.asarray(outside)), ("influence", np.asarray(flags))):
        assert flagged.any(), model
        row = _row(results, model)
        kept = effects[~flagged]
        direct = _direct(kept, settings)
        assert row["k"] == len(kept)
        assert row["estimate"] == pytest.approx(direct["random"]["estimate"], rel=1e-12)
        assert row["ci_lower"] == pytest.approx(direct["random"]["ci_lower"], rel=1e-12)
        assert row["excluded"] == [
            f"{study} (row {r})" for r, study in effects.loc[flagged, "study"].items()
        ]


@pytest.mark.parametrize("model", ["threelevel", "che"])
def test_multilevel_rows_equal_fit_multilevel_under_the_metapsy_preset(run, model):
    _, results, effects = run
    row = _row(results, model)
    fit = fit_multilevel(
        effects["yi"].to_numpy(), effects["vi"].to_numpy(), list(effects["study"]),
        method="REML", test="t", rho=0.6 if model == "che" else None,
        smooth_vi=model == "che", robust="CR2" if model == "che" else "none",
        pi_method="robust_k1",
    )  # fmt: skip
    ci = fit.robust or fit
    assert row["estimate"] == pytest.approx(fit.estimate[0], rel=1e-10)
    assert [row["se"], row["ci_lower"], row["ci_upper"], row["pvalue"]] == pytest.approx(
        [ci.se[0], ci.ci_lower[0], ci.ci_upper[0], ci.pvalue[0]], rel=1e-10
    )
    assert [row["pi_lower"], row["pi_upper"]] == pytest.approx(
        [fit.pi_lower, fit.pi_upper], rel=1e-10
    )
    assert row["i2"] == pytest.approx(fit.i2.total, rel=1e-10) and row["i2_ci"] is None
    variance = row["variance"]
    assert [variance["sigma2"]["between"], variance["sigma2"]["within"]] == pytest.approx(
        list(fit.sigma2), rel=1e-10
    )
    assert variance["i2"] == pytest.approx(fit.i2.to_dict(), rel=1e-10)
    assert variance["robust"] == ("CR2" if model == "che" else None)
    assert (row["k"], row["n_studies"]) == (56, 11)
    # the metapsyTools numbers written out in R (tests/reference/multilevel_metapsy.R)
    expected = FIXTURE["cases"]["konstantopoulos2011"][model]
    assert row["estimate"] == pytest.approx(expected["estimate"], rel=1e-6)
    assert [row["pi_lower"], row["pi_upper"]] == pytest.approx(expected["pi"], rel=1e-6)
    assert row["nnt"] == pytest.approx(expected["nnt"], rel=1e-6)  # R pnorm/qnorm


def test_model_analyses_are_expanded_for_the_main_analysis_only():
    plan = parse_plan(
        '[data]\nfile = "t.csv"\n[settings]\npreset = "metapsy"\n[[time_window]]\nname = "Post"\n'
        'time = "post"\n[[time_window]]\nname = "FU"\ntime = "fu"\n[analyses]\n'
        'models = ["overall", "rob", "che"]\n[[category]]\nname = "Depression"\n'
    )
    specs = [s for s in expand_plan(plan, {}) if s.role == "model"]
    assert [s.id for s in specs] == [
        "depression/post/model-overall",
        "depression/post/model-rob",
        "depression/post/model-che",
    ]
    assert specs[0].settings.multiple_effects == "independent"
    assert specs[1].filters["rob"] == ("Low",)
    # an analysis of its own can turn them off (here one whose method fits no CHE model)
    plan = parse_plan(
        '[data]\nfile = "t.csv"\n[analyses]\nmodels = ["overall", "che"]\n[[category]]\n'
        'name = "A"\n[[analysis]]\nname = "B"\nfilter = {}\n[analysis.settings]\n'
        'method = "DL"\n[analysis.analyses]\nmodels = []\n'
    )
    assert [s.id for s in expand_plan(plan, {}) if s.role == "model"] == [
        "a/all-time-points/model-overall",
        "a/all-time-points/model-che",
    ]


@pytest.mark.parametrize(
    ("models", "settings", "expected"),
    [
        (
            '["outliers"]',
            'preset = "metapsy"',
            "key 'analyses.models': got outliers without 'overall': outliers and influential "
            "cases are found in the overall model; expected 'overall' in the list too",
        ),
        (
            '["overall", "che"]',
            'preset = "meta"\nmethod = "DL"',
            "key 'analyses.models': got che with the tau^2 method DL (Schools); expected "
            "settings.method REML or ML for the three-level and CHE models",
        ),
        ('["overall", "overall"]', "", "got ['overall', 'overall'], expected each model once"),
        (
            '["three-level"]',
            "",
            "key 'analyses.models[1]': got 'three-level', expected one of overall, combined, "
            "lowest, highest, outliers, influence, rob, threelevel, che",
        ),
    ],
)
def test_plan_errors_name_the_models_key(tmp_path, models, settings, expected):
    path = _plan(tmp_path, models, settings)
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    assert expected in str(caught.value)
    line = path.read_text().splitlines().index(f"models = {models}") + 1
    assert f"plan.toml, line {line}, key 'analyses.models" in str(caught.value)


def test_nnt_cer_and_a_ratio_measure(tmp_path):
    plan = load_plan(_plan(tmp_path, '["overall"]', 'preset = "metapsy"\nnnt_cer = 0.4'))
    row = run_plan(plan, jobs=1)["schools/all-time-points"].models[0]
    assert row["nnt"] == pytest.approx(nnt_furukawa(row["estimate"], 0.4), rel=1e-12)


def test_report_shows_the_models_table_variance_components_and_methods(run, tmp_path):
    _, results, _ = run
    html = write_report(results, tmp_path / "out").read_text(encoding="utf-8")
    table = results["schools/all-time-points"].models
    csv = pd.read_csv(tmp_path / "out" / "tables" / "models.csv")
    assert list(csv["model"]) == list(MODELS)
    assert csv["estimate"].tolist() == pytest.approx([row["estimate"] for row in table], rel=1e-12)
    che_csv = csv[csv["model"] == "che"].iloc[0]
    assert che_csv["sigma2_within"] == pytest.approx(table[-1]["variance"]["sigma2"]["within"])
    che = next(row for row in table if row["model"] == "che")
    section = html[html.index('id="models-schools-all-time-points"') :]
    section = section[: section.index("</table>", section.index('class="variance"'))]
    assert "Three-level model (CHE)" in section and "Low risk of bias only" in section
    cells = [f"{che['k']} ({che['n_studies']})", fixed(che["estimate"]), fixed(che["nnt"])]
    cells.append(f"{fixed(che['ci_lower'])} to {fixed(che['ci_upper'])}")
    assert all(f">{cell}<" in section for cell in cells)
    sigma2 = che["variance"]["sigma2"]["between"]
    assert f">{sigma2:.4f} (" in section and "Between studies (level 3)" in section
    assert "CR2 cluster-robust variance" in section
    methods, references = methods_paragraph(results)
    assert "Models of Schools, All time points: overall, combined," in methods
    assert "ρ = 0.6 between the sampling errors" in methods
    assert "combined each study's effect sizes assuming a correlation of ρ = 0.6" in methods
    assert any(ref.startswith("Furukawa TA, Leucht S.") for ref in references)
    assert "metapsyTools&#39; runMetaAnalysis" in html
    # a model is not a separate forest plot or results sentence of its own
    assert "forest-schools-all-time-points-model" not in html
    assert "low risk of bias only: pooling" not in html


def test_forest_plot_shows_each_effect_under_its_study_with_the_multilevel_estimates(run, tmp_path):
    _, results, effects = run
    main = results["schools/all-time-points"]
    jobs = [job for job in figure_jobs(results, tmp_path) if job.kind == "forest-multilevel"]
    assert [job.id for job in jobs] == ["forest-schools-all-time-points-multilevel"]
    record = jobs[0].record
    data = multilevel_forest_data(record, record.models)
    assert [section.title for section in data.sections] == list(effects["study"].unique())
    sizes = effects.groupby("study", sort=False).size().tolist()
    assert [len(section.rows) for section in data.sections] == sizes
    first = data.sections[0].rows[0]
    assert (first.label, first.yi) == ("  row 2", effects["yi"].iloc[0])
    che = next(row for row in main.models if row["model"] == "che")
    diamond = next(p for p in data.summaries if p.kind == "che")
    assert (diamond.estimate, diamond.lower, diamond.upper) == (
        che["estimate"], che["ci_lower"], che["ci_upper"]
    )  # fmt: skip
    assert [p.label for p in data.summaries if p.kind == "pi"] == [
        "Prediction interval (Three-level model)",
        "Prediction interval (Three-level model (CHE))",
    ]
    figure = forest_figure(data, "meta")
    texts = {text.get_text() for text in figure.axes[0].texts}
    assert {"district 11", "  row 2", "Three-level model (CHE)"} <= texts
