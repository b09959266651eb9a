"""How each kind of the report's figures is drawn (:data:`DRAWERS`) from its
:class:`~metareview.report.figures.FigureJob`, and :func:`draw_figure`, which writes it in
every format. Every figure draws from the analysis's typed result tree
(:attr:`~metareview.plan.results.AnalysisRecord.tree`) or the stored cloud and rows; nothing is
fitted again.
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from metareview.plan.result_tree import FitResult
from metareview.report.baujat_plot import baujat_plot
from metareview.report.bubble_plot import bubble_data, bubble_plot
from metareview.report.figures import FigureJob, FigureKind, drawn_figure
from metareview.report.forest_plot import forest_figure, save_figure
from metareview.report.funnel_plot import funnel_plot
from metareview.report.gosh_plot import gosh_plot
from metareview.report.html import RenderedFigure
from metareview.report.leave_one_out_plot import leave_one_out_plot
from metareview.report.multilevel_forest import multilevel_forest_data
from metareview.report.plot_inputs import FilledStudies
from metareview.report.rob_plots import rob_figure
from metareview.report.specification_curve import multiverse_figure
from metareview.report.text_metrics import shared_text_metrics
from metareview.stats.bias.funnel import funnel_data
from metareview.stats.gosh import GoshResult
from metareview.stats.influence import InfluenceResult
from metareview.stats.leave_one_out import LeaveOneOutResult


def effect_label(result: FitResult) -> str:
    """The axis label of an analysis's effect sizes (analysis scale)."""
    measure = result.measure or "effect size"
    return {
        "SMD": "Hedges' g",
        "OR": "log odds ratio",
        "RR": "log risk ratio",
        "HR": "log hazard ratio",
    }.get(measure, measure)


def forest(job: FigureJob) -> Figure:
    """The forest plot of the job's analysis (by its subgroup column, if any)."""
    return forest_figure(
        job.record,
        job.layout,
        subgroup=job.subgroup,
        rob_column=job.rob_column,
        links=dict(job.links),
    )


def multilevel_forest(job: FigureJob) -> Figure:
    """Every effect size under its study, with the multilevel models' diamonds."""
    data = multilevel_forest_data(job.record, job.tree.models, job.layout)
    return forest_figure(data, job.layout, links=dict(job.links))


def funnel(job: FigureJob) -> Figure:
    """The contour-enhanced funnel plot of the job's analysis with its trim-and-fill studies,
    as the run stored them."""
    tree = job.tree
    fit = tree.result
    stored = fit.small_study.trim_and_fill  # None: not asked for, or it failed
    filled = None
    if "trimfill" in tree.spec.small_study and stored is not None:
        filled = FilledStudies(int(stored.k0), stored.estimate, stored.filled_yi, stored.filled_vi)
    data = funnel_data(
        [study.yi for study in fit.studies],
        [study.vi for study in fit.studies],
        center=fit.pooled(tree.model).estimate,
        level=fit.level,
        labels=[study.study for study in fit.studies],
    )
    return _one_plot(
        (5.5, 4.5),
        lambda ax: funnel_plot(data, ax=ax, trim_and_fill=filled, xlabel=effect_label(fit)),
    )


def bubble(job: FigureJob) -> Figure:
    """The bubble plot of the job's meta-regression."""
    fit = job.tree.result
    data = bubble_data(fit.metaregression[job.metaregression])
    return _one_plot((6.0, 4.5), lambda ax: bubble_plot(data, ax=ax, ylabel=effect_label(fit)))


def leave_one_out_figure(job: FigureJob) -> Figure:
    """The leave-one-out forest plot, from the rows the run stored (random-effects model)."""
    fit = job.tree.result
    rows = LeaveOneOutResult.from_dict(
        [row.to_dict() for row in fit.leave_one_out], fit.method, fit.ci_method
    )
    return _one_plot(
        (6.5, 1.2 + 0.22 * len(fit.studies)),
        lambda ax: leave_one_out_plot(rows, fit.random, ax=ax),
    )


def baujat(job: FigureJob) -> Figure:
    """The Baujat plot, from the influence rows the run stored."""
    fit = job.tree.result
    rows = InfluenceResult.from_dict([row.to_dict() for row in fit.influence], fit.method)
    return _one_plot((6.0, 4.8), lambda ax: baujat_plot(rows, ax=ax))


def gosh(job: FigureJob) -> Figure:
    """The GOSH plot of the stored cloud (points rasterised so the SVG stays small)."""
    cloud = GoshResult.from_dict(job.tree.gosh.to_dict())

    def paint(ax: Axes) -> None:
        gosh_plot(cloud, ax=ax)
        for collection in ax.collections:
            collection.set_rasterized(True)

    return _one_plot((6.0, 4.8), paint)


def _one_plot(size: tuple[float, float], paint: Callable[[Axes], object]) -> Figure:
    """A figure of ``size`` inches with one plot, drawn by ``paint``, laid out tightly."""
    figure = Figure(figsize=size)
    paint(figure.add_subplot())
    figure.tight_layout()
    return figure


#: How each kind of figure is drawn from its job.
DRAWERS: dict[FigureKind, Callable[[FigureJob], Figure]] = {
    FigureKind.FOREST: forest,
    FigureKind.FOREST_MULTILEVEL: multilevel_forest,
    FigureKind.FUNNEL: funnel,
    FigureKind.LOO: leave_one_out_figure,
    FigureKind.BAUJAT: baujat,
    FigureKind.GOSH: gosh,
    FigureKind.BUBBLE: bubble,
    FigureKind.MULTIVERSE: lambda job: multiverse_figure(job.multiverse),
    FigureKind.ROB_TRAFFIC: lambda job: rob_figure(job.rob_table, "traffic"),
    FigureKind.ROB_SUMMARY: lambda job: rob_figure(job.rob_table, "summary"),
}


def draw_figure(job: FigureJob) -> RenderedFigure:
    """Draw one figure and write it in every format (texts measured once for all figures)."""
    with shared_text_metrics():
        figure = DRAWERS[job.kind](job)
        for name in job.files:
            save_figure(figure, job.folder / name, dpi=job.dpi)
    return drawn_figure(job)
