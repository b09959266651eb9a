"""User labels are drawn as typed in every plot, never as mathtext (issue 14, item 6): a study
label ``$\\undefinedmacro{x}$ Smith`` crashed ``run`` and ``Cost $5 vs $10`` was drawn garbled."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import pytest
from matplotlib import pyplot as plt
from matplotlib.text import Text

from metareview.plan.plan import load_plan
from metareview.plan.runner import run_plan
from metareview.report.baujat_plot import baujat_plot
from metareview.report.bubble_plot import BubbleData, bubble_plot
from metareview.report.build import write_report
from metareview.report.funnel_plot import funnel_plot
from metareview.report.gosh_plot import gosh_plot
from metareview.report.leave_one_out_plot import leave_one_out_plot
from metareview.report.prisma_diagram import prisma_diagram
from metareview.report.rob_plots import summary_plot, traffic_light_plot
from metareview.rob.prisma import PrismaCounts
from metareview.rob.table import RobTable
from metareview.rob.vocabulary import Judgement
from metareview.stats.bias.funnel import funnel_data
from metareview.stats.gosh import gosh
from metareview.stats.influence import influence
from metareview.stats.leave_one_out import leave_one_out

MACRO = "$\\undefinedmacro{x}$ Smith"
DOLLARS = "Cost $5 vs $10"
LABELS = [MACRO, DOLLARS, "Jones $", "Lee"]
YI, VI = [0.2, 0.5, 0.1, 0.4], [0.04, 0.05, 0.03, 0.06]


def shown(figure) -> list[str]:
    """The text of every text artist as matplotlib draws it, after drawing the figure; a
    text parsed as mathtext fails the test."""
    figure.canvas.draw()
    texts = []
    for artist in figure.findobj(Text):
        drawn, math = artist._preprocess_math(artist.get_text())
        assert not math, f"drawn as mathtext: {artist.get_text()!r}"
        texts.append(drawn)
    return texts


def assert_plain(ax, *labels: str) -> None:
    texts = " | ".join(shown(ax.figure))
    plt.close(ax.figure)
    for label in labels:
        assert label in texts


def test_baujat_plot():
    ax = baujat_plot(influence(YI, VI, studies=LABELS), max_labels=None)
    assert_plain(ax, MACRO, DOLLARS)


def test_leave_one_out_plot():
    ax = leave_one_out_plot(leave_one_out(YI, VI, studies=LABELS), xlabel=DOLLARS)
    assert_plain(ax, f"Omitting {MACRO}", DOLLARS)


def test_funnel_gosh_and_bubble_axis_labels():
    assert_plain(funnel_plot(funnel_data(YI, VI), xlabel=DOLLARS), DOLLARS)
    assert_plain(gosh_plot(gosh(YI, VI), xlabel=MACRO), MACRO)
    bubble = BubbleData(
        moderator=DOLLARS,
        x=np.array([1.0, 2.0, 3.0, 4.0]),
        yi=np.array(YI),
        weights=np.array([1.0, 2.0, 1.0, 2.0]),
        labels=tuple(LABELS),
        grid=np.array([1.0, 4.0]),
        fitted=np.array([0.2, 0.4]),
        lower=np.array([0.0, 0.2]),
        upper=np.array([0.4, 0.6]),
        level=0.95,
    )
    assert_plain(bubble_plot(bubble, ylabel=MACRO), DOLLARS, MACRO)


def test_rob_plots():
    table = RobTable(
        tool="RoB 2",
        domains=("D1", "D$2"),
        domain_names=(DOLLARS, "Deviations"),
        studies=tuple(LABELS),
        judgements=tuple((Judgement.LOW, Judgement.HIGH) for _ in LABELS),
        overall=tuple(Judgement.HIGH for _ in LABELS),
    )
    assert_plain(traffic_light_plot(table), MACRO, DOLLARS, "D$2")
    assert_plain(summary_plot(table), DOLLARS)


def test_prisma_diagram():
    counts = PrismaCounts(  # a line per box of the diagram, top to bottom
        database_specific_results=((DOLLARS, 10), (MACRO, 5)), duplicates=3,
        records_screened=12, records_excluded=8,
        dbr_sought_reports=4, dbr_notretrieved_reports=0,
        dbr_assessed=4, dbr_excluded=(("Cost $ too high", 1),),
        new_studies=3, new_reports=3,
    )  # fmt: skip
    assert_plain(prisma_diagram(counts), "Cost $5 vs $10 (n = 10)", "Cost $ too high (n = 1)")


def test_run_draws_dollar_labels_as_typed(tmp_path):
    frame = pd.DataFrame({"study": LABELS, "yi": YI, "vi": VI, "group": ["a $1", "a $1", "b", "b"]})
    frame.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "plan.toml").write_text(
        'title = "Costs $5"\n[data]\nfile = "data.csv"\n[settings]\nmeasure = "SMD"\n'
        '[min_k]\nsubgroup = 2\n[analyses]\nspecific_outcomes = false\nsubgroups = ["group"]\n'
        'sensitivity = ["leave_one_out"]\n[[analysis]]\nname = "Cost $ effects"\nfilter = {}\n',
        encoding="utf-8",
    )
    results = run_plan(load_plan(tmp_path / "plan.toml"), jobs=1)
    index = write_report(results, tmp_path / "out")
    assert index.is_file()
    assert len(list((tmp_path / "out" / "figures").glob("forest-*.svg"))) == 2


@pytest.mark.parametrize("layout", ["meta", "revman5", "jama"])
def test_forest_plot_draws_labels_as_typed(tmp_path, layout):
    from metareview.report.forest_plot import forest_plot

    frame = pd.DataFrame({"study": LABELS, "yi": YI, "vi": VI})
    frame.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "plan.toml").write_text(
        '[data]\nfile = "data.csv"\n[settings]\nmeasure = "SMD"\n'
        '[analyses]\nspecific_outcomes = false\n[[analysis]]\nname = "All"\nfilter = {}\n',
        encoding="utf-8",
    )
    record = run_plan(load_plan(tmp_path / "plan.toml"), jobs=1).analyses[0]
    assert_plain(forest_plot(record, layout=layout), MACRO, DOLLARS, "Jones $")
