"""The heterogeneity plots draw what they are given and return the axes they drew on."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib import pyplot as plt

from metareview.report.baujat_plot import baujat_plot
from metareview.report.gosh_plot import gosh_plot
from metareview.report.leave_one_out_plot import leave_one_out_plot
from metareview.stats.gosh import gosh
from metareview.stats.gosh_diagnostics import gosh_diagnostics
from metareview.stats.influence import influence
from metareview.stats.leave_one_out import leave_one_out
from metareview.stats.pooling import pool

YI = [0.1, 0.3, 0.35, 0.65, 0.45, 0.15, 1.4]
VI = [0.03, 0.03, 0.05, 0.01, 0.05, 0.02, 0.04]


def test_baujat_plot_uses_the_given_axes_and_data():
    fig, ax = plt.subplots()
    res = influence(YI, VI, method="DL")
    assert baujat_plot(res, ax=ax) is ax
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 0], res.baujat_x)
    np.testing.assert_allclose(offsets[:, 1], res.baujat_y)
    plt.close(fig)


def test_baujat_plot_names_only_the_extreme_studies_when_there_are_many():
    rng = np.random.default_rng(7)
    yi = rng.normal(0.3, 0.2, 30)
    vi = rng.uniform(0.01, 0.05, 30)
    res = influence(yi, vi, method="DL")
    fig, ax = plt.subplots()
    baujat_plot(res, ax=ax, max_labels=3)
    named = {t.get_text() for t in ax.texts}
    top_x = {res.studies[i] for i in np.argsort(res.baujat_x)[-3:]}
    top_y = {res.studies[i] for i in np.argsort(res.baujat_y)[-3:]}
    flagged = {s for s, f in zip(res.studies, res.influential) if f}
    assert named == top_x | top_y | flagged
    assert len(named) < 30
    plt.close(fig)
    fig, ax = plt.subplots()
    baujat_plot(res, ax=ax, max_labels=None)
    assert len(ax.texts) == 30
    plt.close(fig)
    with pytest.raises(ValueError, match="max_labels"):
        baujat_plot(res, max_labels=-1)


def test_gosh_plot_highlight_and_clusters():
    res = gosh(YI, VI, method="DL")
    _, ax = plt.subplots()
    assert gosh_plot(res, ax=ax, highlight="7") is ax
    with_7 = ax.collections[1].get_offsets()
    assert len(with_7) == int(res.membership[:, 6].sum())
    with pytest.raises(ValueError, match="highlight must be one of"):
        gosh_plot(res, highlight="nope")
    labels = gosh_diagnostics(res).results[2].labels
    ax2 = gosh_plot(res, labels=labels, max_points=50)
    assert len(ax2.collections[0].get_offsets()) == 50
    plt.close("all")


def test_leave_one_out_plot_rows_and_reference_band():
    loo = leave_one_out(YI, VI, method="DL")
    full = pool(YI, VI, method="DL")
    ax = leave_one_out_plot(loo, full, sort_by="estimate")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    order = sorted(loo.rows, key=lambda r: r.estimate)
    assert labels == [f"Omitting {r.omitted}" for r in order]
    assert ax.lines[0].get_xdata()[0] == pytest.approx(full.random.estimate)
    with pytest.raises(ValueError, match="sort_by"):
        leave_one_out_plot(loo, sort_by="weight")
    plt.close("all")
