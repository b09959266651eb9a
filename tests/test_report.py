"""Summary tables (Smit et al. layout; CSV/XLSX), methods and results text, the HTML page."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from metareview.plan.plan import load_plan
from metareview.plan.runner import run_plan
from metareview.report.build import write_report
from metareview.report.html import anchors
from metareview.report.methods_text import methods_paragraph, results_paragraph
from metareview.report.tables import format_table, summary_table
from tests.report_records import study_columns


@pytest.fixture(scope="module")
def review(tmp_path_factory, shared_data):
    """ThirdWave (18 trials, dmetar) under a plan with subgroups, sensitivity and bias tests."""
    folder = tmp_path_factory.mktemp("thirdwave")
    frame = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv")
    frame = frame.rename(columns={"Author": "study", "TE": "yi", "seTE": "sei"})
    frame.to_csv(folder / "thirdwave.csv", index=False)
    (folder / "plan.toml").write_text(
        'title = "Third-wave therapies and perceived stress"\n'
        '[data]\nfile = "thirdwave.csv"\n'
        '[settings]\npreset = "metapsy"\n'
        '[rob]\ncolumn = "RiskOfBias"\nlow = "low"\n'
        '[analyses]\nsubgroups = ["RiskOfBias", "ModeOfDelivery"]\n'
        'sensitivity = ["leave_one_out", "outliers_removed", "low_rob_only"]\n'
        'small_study = ["egger", "trimfill"]\n'
        '[[analysis]]\nname = "Perceived stress"\nfilter = {}\n'
    )
    results = run_plan(load_plan(folder / "plan.toml"), jobs=1)
    index = write_report(results, folder / "out")
    return results, index


def test_summary_table_rows_follow_smit_et_al(review):
    results, _ = review
    table = summary_table(results, "Perceived stress")
    main = results["perceived-stress/all-time-points"]
    first = table.iloc[0]
    assert first["section"] == "Main analysis" and first["k"] == 18
    assert first["estimate"] == main.result["random"]["estimate"]
    assert first["i2"] == main.result["heterogeneity"]["i2"]
    assert first["pi_lower"] == main.result["random"]["pi_lower"]
    sections = list(dict.fromkeys(table["section"]))
    assert sections == [
        "Main analysis",
        "Subgroup analyses",
        "Publication bias",
        "Sensitivity analyses",
    ]
    rob = table[table["analysis"] == "RiskOfBias"].iloc[0]
    assert rob["p_subgroups"] == main.subgroups[0]["test"]["pvalue"]
    # ModeOfDelivery 'book' has 2 trials (< 3): listed, not pooled
    book = table[table["analysis"].str.strip() == "book"].iloc[0]
    assert book["k"] == 2 and pd.isna(book["estimate"]) and "not pooled" in book["note"]
    trimfill = main.result["small_study"]["trim_and_fill"]
    bias = table[table["section"] == "Publication bias"].iloc[0]
    assert bias["estimate"] == trimfill["estimate"] and bias["k"] == 18 + trimfill["k0"]
    outliers = table[table["analysis"].str.startswith("Outliers removed")].iloc[0]
    assert outliers["k"] == 18 - len(
        results["perceived-stress/all-time-points/outliers-removed"].excluded_studies
    )


def test_formatted_table_prints_as_in_the_paper(review):
    results, _ = review
    printed = format_table(summary_table(results, "Perceived stress"))
    assert list(printed.columns) == [
        "Section",
        "Analysis",
        "No. of trials",
        "g (95% CI)",
        "I² (95% CI)",
        "p",
        "PI",
        "p (subgroups)",
        "Note",
    ]
    main = results["perceived-stress/all-time-points"].result
    r = main["random"]
    assert (
        printed.iloc[0]["g (95% CI)"]
        == f"{r['estimate']:.2f} ({r['ci_lower']:.2f} to {r['ci_upper']:.2f})"
    )
    het = main["heterogeneity"]
    assert printed.iloc[0]["I² (95% CI)"].startswith(f"{het['i2']:.0f} (")


def test_csv_and_xlsx_tables(review):
    results, index = review
    folder = index.parent.parent / "tables"
    csv = pd.read_csv(folder / "table-perceived-stress.csv")
    assert csv["estimate"].iloc[0] == pytest.approx(
        results["perceived-stress/all-time-points"].result["random"]["estimate"], rel=1e-12
    )
    sheets = pd.read_excel(folder / "tables.xlsx", sheet_name=None)
    assert list(sheets) == ["Perceived stress"]
    assert sheets["Perceived stress"]["Analysis"].iloc[0].startswith("Perceived stress")


def test_methods_paragraph_states_the_conventions_with_references(review):
    results, _ = review
    text, references = methods_paragraph(results)
    for phrase in (
        "metareview 0.1.0",
        "R metapsyTools",
        "restricted maximum likelihood",
        "Hartung–Knapp–Sidik–Jonkman",
        "(Q − df)/Q",
        "k − 1 degrees of freedom",
        "ρ = 0.6",  # metapsy combines at 0.6 (metapsyTools >= 1.0.4), as the runner does
        "Egger's regression test",
        "trim-and-fill",
        "at least 2 trials",
        "Outliers were studies whose 95% CI",
    ):
        assert phrase in text, phrase
    assert len(references) == text.count("[")
    # ThirdWave's effects are precomputed g: pooled as reported, no small-sample correction
    assert "pooled as reported" in text and "small-sample correction" not in text
    assert not any(reference.startswith("Hedges LV. Distribution") for reference in references)


def test_results_paragraph_reports_each_outcome(review):
    results, _ = review
    records = [r for r in results.analyses if r.spec["group"] == "Perceived stress"]
    text = results_paragraph(records)
    r = records[0].result["random"]
    assert f"pooling 18 trials gave g = {r['estimate']:.2f}, 95% CI {r['ci_lower']:.2f} to" in text
    assert "Subgroups by RiskOfBias" in text


def test_html_report_is_self_contained_with_resolving_toc(review):
    _, index = review
    html = index.read_text()
    ids, links = anchors(html)
    assert links and links <= ids
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from a network
    assert html.count("<svg") == len(list((index.parent.parent / "figures").glob("*.svg")))
    assert "funnel-perceived-stress-all-time-points" in ids
    assert "Leave-one-out" in html and "Rows left out or combined" in html
    assert "Small-study effects: Perceived stress, All time points" in html


def test_leave_one_out_table_agrees_with_the_leave_one_out_plot_data(review):
    from metareview.stats.leave_one_out import leave_one_out

    results, index = review
    main = results["perceived-stress/all-time-points"]
    yi, vi, labels = study_columns(main.result)
    plotted = leave_one_out(
        yi,
        vi,
        method=main.result["method"],
        ci_method=main.result["ci_method"],
        preset=main.result["preset"],
        studies=labels,
    )
    table = {row["omitted"]: row["estimate"] for row in main.leave_one_out}
    assert len(plotted.rows) == len(table) == 18
    for row in plotted.rows:
        assert table[row.omitted] == pytest.approx(row.estimate, rel=1e-9)
    figures = {p.name for p in (index.parent.parent / "figures").iterdir()}
    assert {
        "loo-perceived-stress-all-time-points.svg",
        "baujat-perceived-stress-all-time-points.svg",
    } <= figures


def test_rewriting_a_report_replaces_old_figures_and_keeps_other_files(review, tmp_path):
    results, _ = review
    figures = tmp_path / "figures"
    figures.mkdir()
    (figures / "forest-an-analysis-no-longer-planned.svg").write_text("<svg/>")
    (figures / "my-own-drawing.svg").write_text("<svg/>")
    write_report(results, tmp_path)
    names = {p.name for p in figures.iterdir()}
    assert "forest-an-analysis-no-longer-planned.svg" not in names
    assert "my-own-drawing.svg" in names
    assert "forest-perceived-stress-all-time-points.svg" in names
