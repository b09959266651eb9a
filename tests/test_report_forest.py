"""Forest plots: content, layout guarded by image comparison, and no overlapping text."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.testing.compare import compare_images

from metareview.plan.analysis import AnalysisSettings
from metareview.report.forest_data import forest_data
from metareview.report.forest_plot import (
    LAYOUTS,
    columns_for,
    forest_figure,
    forest_plot,
    save_figure,
)
from tests.report_records import record_from, thirdwave

BASELINE = Path(__file__).parent / "baseline"
BASELINE_DPI = 50  # small files; the layout (positions of every element) is what is guarded


def test_forest_data_of_thirdwave_matches_the_fit(shared_data):
    record = record_from(thirdwave(shared_data), AnalysisSettings(method="REML"))
    data = forest_data(record)
    assert len(data.rows) == 18
    first = data.rows[0]
    assert first.label == "Call et al."
    half = 1.959963984540054 * 0.260820178547769
    assert first.lower == pytest.approx(0.709136234756933 - half, rel=1e-9)
    assert sum(row.weight for row in data.rows) == pytest.approx(100.0)
    total = data.summaries[0]
    assert total.estimate == pytest.approx(record.result["random"]["estimate"], rel=1e-12)
    assert data.summaries[1].kind == "pi"
    assert data.heterogeneity_text("revman5").startswith("Heterogeneity: Tau² = 0.")


def test_fixed_model_plots_fixed_weights(shared_data):
    frame = thirdwave(shared_data)
    record = record_from(frame, AnalysisSettings(method="DL"), model="fixed")
    weights = np.array([row.weight for row in forest_data(record).rows])
    expected = (1 / frame["vi"]) / (1 / frame["vi"]).sum() * 100
    assert weights == pytest.approx(expected.to_numpy(), rel=1e-12)


def test_subgroup_sections_and_test(shared_data):
    record = record_from(
        thirdwave(shared_data),
        AnalysisSettings(method="DL", preset="revman5"),
        subgroups=("RiskOfBias",),
    )
    data = forest_data(record, subgroup="RiskOfBias")
    assert [s.title for s in data.sections] == ["RiskOfBias: high", "RiskOfBias: low"]
    test = record.subgroups[0]["test"]
    # Q between two subgroup estimates, each weighted by 1/SE²
    (a, b) = [s.summaries[0] for s in data.sections]
    ses = [lvl["result"]["random"]["se"] for lvl in record.subgroups[0]["levels"]]
    w = [1 / se**2 for se in ses]
    mean = (w[0] * a.estimate + w[1] * b.estimate) / sum(w)
    q = w[0] * (a.estimate - mean) ** 2 + w[1] * (b.estimate - mean) ** 2
    assert test["q"] == pytest.approx(q, rel=1e-12) and test["df"] == 1
    assert data.subgroup_text("revman5").startswith("Test for subgroup differences: Chi² = ")


def test_subtotals_show_their_own_weight_share_and_arm_totals(shared_data):
    """RevMan and meta print study weights as shares of the total and, on each subtotal row,
    the subgroup's share and its own arm totals (not 100% and the whole analysis's totals)."""
    frame = thirdwave(shared_data)
    frame["n_arm1"] = range(20, 20 + len(frame))
    frame["n_arm2"] = range(30, 30 + len(frame))
    record = record_from(frame, AnalysisSettings(method="DL"), subgroups=("RiskOfBias",))
    data = forest_data(record, subgroup="RiskOfBias")
    overall = dict(zip(frame["study"], forest_data(record).rows, strict=True))
    left, _ = columns_for("revman5", data)
    weight = next(c for c in left if c.header == "Weight")
    totals = [c for c in left if c.header == "Total"]
    for section in data.sections:
        subtotal = section.summaries[0]
        for row in section.rows:
            assert row.weight == pytest.approx(overall[row.label].weight, rel=1e-12)
        share = sum(row.weight for row in section.rows)
        assert weight.pooled(subtotal, data) == f"{share:.1f}%"
        members = frame[frame["study"].isin([row.label for row in section.rows])]
        assert [c.pooled(subtotal, data) for c in totals] == [
            str(members["n_arm1"].sum()),
            str(members["n_arm2"].sum()),
        ]
    assert weight.pooled(data.summaries[0], data) == "100.0%"
    assert [c.pooled(data.summaries[0], data) for c in totals] == [
        str(frame["n_arm1"].sum()),
        str(frame["n_arm2"].sum()),
    ]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_forest_layout_matches_baseline(shared_data, tmp_path, layout):
    record = record_from(
        thirdwave(shared_data),
        AnalysisSettings(method="REML"),
        subgroups=("RiskOfBias",),
        title="ThirdWave",
    )
    figure = forest_figure(record, layout, subgroup="RiskOfBias" if layout == "revman5" else None)
    actual = save_figure(figure, tmp_path / f"forest-{layout}.png", dpi=BASELINE_DPI)
    expected = BASELINE / f"forest-{layout}.png"
    assert compare_images(str(expected), str(actual), tol=6) is None


def _many_studies(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    names = [
        f"Investigator{i:02d} and the Very Long Named Collaborative Group, {2000 + i}"
        for i in range(n)
    ]
    return pd.DataFrame(
        {"study": names, "yi": rng.normal(0.3, 0.3, n), "vi": rng.uniform(0.01, 0.2, n)}
    )


@pytest.mark.parametrize("layout", LAYOUTS)
def test_sixty_studies_have_no_overlapping_text(layout):
    record = record_from(_many_studies(60), AnalysisSettings(method="DL"))
    figure = forest_figure(record, layout)
    renderer = FigureCanvasAgg(figure).get_renderer()
    ax = figure.axes[0]
    boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_text().strip()]
    assert len(boxes) > 60 * 2
    for a, b in itertools.combinations(boxes, 2):
        overlap_x = min(a.x1, b.x1) - max(a.x0, b.x0)
        overlap_y = min(a.y1, b.y1) - max(a.y0, b.y0)
        assert overlap_x <= 0.5 or overlap_y <= 0.5, "two texts overlap"
    # every text lies inside the figure
    width, height = figure.bbox.width, figure.bbox.height
    assert all(
        b.x0 >= -1 and b.x1 <= width + 1 and b.y0 >= -1 and b.y1 <= height + 1 for b in boxes
    )
    # long names are truncated deliberately, with an ellipsis
    labels = [t.get_text() for t in ax.texts if t.get_text().startswith("Investigator")]
    assert labels and all(len(label) <= 32 and label.endswith("…") for label in labels)


def test_vector_and_raster_output(tmp_path, shared_data):
    record = record_from(thirdwave(shared_data), AnalysisSettings())
    figure = forest_figure(record, "jama")
    svg = save_figure(figure, tmp_path / "f.svg").read_text()
    assert "<svg" in svg and "Call et al." in svg  # text stays text
    assert save_figure(figure, tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")
    png = save_figure(figure, tmp_path / "f.png")
    from PIL import Image

    with Image.open(png) as image:
        assert image.info["dpi"][0] == pytest.approx(300, abs=1)
        assert image.size[0] == math.ceil(figure.get_figwidth() * 300) or image.size[0] == int(
            figure.get_figwidth() * 300
        )
    # same plot, same bytes
    again = save_figure(forest_figure(record, "jama"), tmp_path / "g.svg").read_text()
    assert again == svg


def test_forest_plot_draws_on_given_axes_and_rejects_unknown_layout(shared_data):
    from matplotlib.figure import Figure

    record = record_from(thirdwave(shared_data), AnalysisSettings())
    figure = Figure(figsize=(10, 8))
    ax = figure.add_axes((0.45, 0.1, 0.3, 0.85))
    assert forest_plot(record, layout="meta", ax=ax) is ax
    with pytest.raises(ValueError, match="layout must be one of revman5, jama, meta"):
        forest_plot(record, layout="cochrane")


def test_risk_of_bias_column_shows_coloured_judgements(shared_data):
    frame = thirdwave(shared_data)
    record = record_from(frame, AnalysisSettings(method="REML"))
    figure = forest_figure(record, "revman5", rob_column="RiskOfBias")
    texts = figure.axes[0].texts
    header = [t for t in texts if t.get_text() == "RoB"]
    assert len(header) == 1
    symbols = [t for t in texts if t.get_text() in ("+", "X")]
    assert len(symbols) == 18
    expected = {"low": "+", "high": "X"}  # robvis, as the traffic-light plot
    assert sorted(t.get_text() for t in symbols) == sorted(expected[r] for r in frame["RiskOfBias"])
    colours = {t.get_text(): to_hex(t.get_bbox_patch().get_facecolor()) for t in symbols}
    assert colours == {"+": "#02c100", "X": "#bf0000"}
    assert "Risk of bias: X High, + Low" in [t.get_text() for t in texts]
    without = forest_figure(record, "revman5")
    assert not [t for t in without.axes[0].texts if t.get_text() == "RoB"]
