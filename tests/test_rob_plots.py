"""Risk-of-bias figures for the suicide-prevention data (metapsy), compared with baselines.

The data (van Ballegooijen & Rawee, metapsy ``suicide``) code each domain 1 = low risk,
0.5 = unclear, 0 = high risk, and 2 for blinding of assessors when the outcome is
self-reported (drawn as "Not applicable"); a blank is "No information". Baselines are small
PNGs in tests/baseline/rob; set METAREVIEW_UPDATE_BASELINES=1 to rewrite them after an
intended change of the figures (then look at them).
"""

from __future__ import annotations

import os
import shutil

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.testing.compare import compare_images

from metareview.report.rob_plots import (
    PALETTES,
    draw_rob_columns,
    summary_plot,
    traffic_light_plot,
)
from metareview.rob.table import RobTable
from metareview.rob.vocabulary import Judgement
from tests.conftest import REPO

BASELINE = REPO / "tests" / "baseline" / "rob"
TOLERANCE = 6.0  # RMS of 0–255 pixel values: absorbs font hinting, not a changed dot or bar
SUICIDE_DOMAINS = {
    "Sequence generation": "RoB_SG",
    "Allocation concealment": "RoB_AC",
    "Blinding of outcome assessors (attempts)": "RoBCLAssAtt",
    "Blinding of outcome assessors (ideation)": "RoB_BLAss_Ide",
    "Intention-to-treat analysis": "RoB_ITT",
}
SUICIDE_CODES = {1: "Low", 0.5: "Unclear", 0: "High", 2: "Not applicable"}


@pytest.fixture(scope="module")
def suicide(shared_data) -> RobTable:
    frame = pd.read_csv(shared_data / "metapsy" / "suicide.csv")
    frame.index = frame.index + 2
    return RobTable.from_columns(
        frame,
        study="Study",
        domains=SUICIDE_DOMAINS,
        overall="RoB_overall_ideation",
        weight="Total number of participants",
        recode=SUICIDE_CODES,
        tool="metapsy suicide",
        source="suicide.csv",
    )


def _compare(ax, name, tmp_path, dpi):
    actual = tmp_path / name
    ax.figure.savefig(actual, dpi=dpi, bbox_inches="tight")
    plt.close(ax.figure)
    expected = BASELINE / name
    if os.environ.get("METAREVIEW_UPDATE_BASELINES"):
        shutil.copy(actual, expected)
    return compare_images(str(expected), str(actual), TOLERANCE)


def test_suicide_table_reads_all_113_trials_with_their_judgements(suicide):
    assert suicide.n_studies == 113
    overall = pd.Series([j.value for j in suicide.overall]).value_counts().to_dict()
    assert overall == {"High": 89, "No information": 24}
    counts = suicide.proportions().mul(113).round().astype(int)
    assert counts.loc["D1", "Low"] == 80 and counts.loc["D1", "Unclear"] == 32
    assert counts.loc["D4", "Not applicable"] == 48 and counts.loc["D4", "No information"] == 20
    assert counts.loc["D5", "High"] == 55


@pytest.mark.parametrize("palette", ["cochrane", "colourblind"])
def test_traffic_light_plot_matches_baseline(suicide, tmp_path, palette):
    ax = traffic_light_plot(suicide, palette=palette)
    assert _compare(ax, f"traffic_light_suicide_{palette}.png", tmp_path, dpi=30) is None


@pytest.mark.parametrize("weighted", [False, True])
def test_summary_plot_matches_baseline(suicide, tmp_path, weighted):
    ax = summary_plot(suicide, weighted=weighted)
    name = f"summary_suicide{'_weighted' if weighted else ''}.png"
    assert _compare(ax, name, tmp_path, dpi=50) is None


def test_image_comparison_catches_a_changed_judgement(suicide, tmp_path):
    changed = RobTable(
        suicide.tool,
        suicide.domains,
        suicide.domain_names,
        suicide.studies,
        suicide.judgements,
        (Judgement.LOW,) * suicide.n_studies,
        suicide.weights,
    )
    ax = summary_plot(changed)
    actual = tmp_path / "changed.png"
    ax.figure.savefig(actual, dpi=50, bbox_inches="tight")
    plt.close(ax.figure)
    assert compare_images(str(BASELINE / "summary_suicide.png"), str(actual), TOLERANCE) is not None


def test_traffic_light_dots_carry_the_judgement_colours(suicide):
    ax = traffic_light_plot(suicide)
    overall_dots = ax.collections[-1].get_facecolors()
    high = matplotlib.colors.to_rgba(PALETTES["cochrane"][Judgement.HIGH])
    assert sum(tuple(c) == high for c in overall_dots) == 89
    plt.close(ax.figure)


def test_weighted_summary_uses_the_weights(suicide):
    shares = suicide.proportions(weighted=True)
    weights = pd.Series(suicide.weights)
    high = pd.Series([j == Judgement.HIGH for j in suicide.overall])
    assert shares.loc["Overall", "High"] == pytest.approx(weights[high].sum() / weights.sum())
    unweighted = RobTable(
        suicide.tool,
        suicide.domains,
        suicide.domain_names,
        suicide.studies,
        suicide.judgements,
        suicide.overall,
    )
    with pytest.raises(ValueError, match="needs weights"):
        summary_plot(unweighted, weighted=True)


def test_rob_columns_beside_a_forest_plot(suicide):
    fig, ax = plt.subplots()
    first = RobTable(
        suicide.tool,
        suicide.domains,
        suicide.domain_names,
        suicide.studies[:5],
        suicide.judgements[:5],
        suicide.overall[:5],
    )
    ax.set_ylim(5, -1)
    draw_rob_columns(ax, first, y=range(5), x=[1.05 + 0.05 * i for i in range(6)], header_y=-0.8)
    assert len(ax.collections) == 6
    assert [t.get_text() for t in ax.texts if t.get_text().startswith(("D", "O"))] == [
        "D1",
        "D2",
        "D3",
        "D4",
        "D5",
        "Overall",
    ]
    with pytest.raises(ValueError, match="x needs 6 positions"):
        draw_rob_columns(ax, first, y=range(5), x=[1.1])
    with pytest.raises(ValueError, match="palette must be one of"):
        draw_rob_columns(ax, first, y=range(5), x=[1.0] * 6, palette="rainbow")
    plt.close(fig)
