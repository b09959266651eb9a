"""The report's figures declared as data: which figures a review has, and how each kind is
drawn from what the run stored.

:func:`figure_jobs` lists one :class:`FigureJob` per figure; a job's :class:`FigureKind`
names its drawing function in :data:`DRAWERS`, so adding a figure is one entry there and one
rule in :func:`figure_jobs`. Every figure draws from the analysis's typed result tree
(:attr:`AnalysisRecord.tree`); nothing is fitted again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import partial
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from metareview.plan.expand import slug
from metareview.plan.models import MULTILEVEL_MODELS
from metareview.plan.multiverse_record import MultiverseRecord
from metareview.plan.result_tree import AnalysisTree, FitResult
from metareview.plan.results import AnalysisRecord, ReviewResults
from metareview.plan.robustness import GOSH_SUBSETS
from metareview.report.baujat_plot import baujat_plot
from metareview.report.bubble_plot import bubble_data, bubble_plot
from metareview.report.forest_plot import forest_figure, save_figure
from metareview.report.funnel_plot import funnel_plot
from metareview.report.gosh_plot import gosh_plot
from metareview.report.html import ROB_GROUP, RenderedFigure
from metareview.report.leave_one_out_plot import leave_one_out_plot
from metareview.report.multilevel_forest import multilevel_forest_data
from metareview.report.multiverse_section import multiverse_figure
from metareview.report.plot_inputs import FilledStudies
from metareview.report.rob_figures import rob_figure, rob_table
from metareview.report.small_study_table import small_study_ran
from metareview.rob.table import RobTable
from metareview.stats.bias.funnel import funnel_data
from metareview.stats.gosh import GoshResult
from metareview.stats.influence import InfluenceResult
from metareview.stats.leave_one_out import LeaveOneOutResult

DEFAULT_FORMATS = ("svg",)


class FigureKind(StrEnum):
    """What a figure shows (its value is part of the figure's key and file-name prefix)."""

    FOREST = "forest"
    FOREST_MULTILEVEL = "forest-multilevel"
    FUNNEL = "funnel"
    LOO = "loo"
    BAUJAT = "baujat"
    GOSH = "gosh"
    BUBBLE = "bubble"
    MULTIVERSE = "multiverse"
    ROB_TRAFFIC = "rob-traffic"
    ROB_SUMMARY = "rob-summary"


@dataclass(frozen=True)
class FigureJob:
    """One figure to draw: its id, report group and caption, what it draws from, where to
    write it and in which formats."""

    id: str
    group: str
    caption: str
    folder: Path
    kind: FigureKind = FigureKind.FOREST
    record: AnalysisRecord | None = None
    layout: str = ""
    subgroup: str | None = None  # the subgroup column of a forest plot by subgroup
    formats: tuple[str, ...] = DEFAULT_FORMATS
    dpi: int = 300
    rob_column: str | None = None
    rob_table: RobTable | None = None
    metaregression: int | None = None  # index of the meta-regression of a bubble plot
    multiverse: MultiverseRecord | None = None  # the multiverse of a specification curve
    links: tuple[tuple[str, str], ...] = ()  # study label → URL, on a forest plot's labels

    @property
    def files(self) -> tuple[str, ...]:
        """The file names of the figure, one per format."""
        return tuple(f"{self.id}.{suffix}" for suffix in self.formats)

    @property
    def tree(self) -> AnalysisTree:
        """The typed result of the analysis the figure draws."""
        assert self.record is not None, f"figure {self.id} draws no analysis"
        return self.record.tree


def figure_jobs(
    results: ReviewResults, folder: Path, *, study_links: Mapping[str, str] | None = None
) -> list[FigureJob]:
    """The figures of the report: the risk-of-bias plots; a forest plot per pooled main or
    specific analysis and one per subgroup analysis; a forest plot of every effect under its
    study where multilevel models were fitted; a funnel plot where small-study analyses were
    run; a leave-one-out forest plot and a Baujat plot where leave-one-out was asked for; a
    GOSH plot; a bubble plot per meta-regression on one continuous moderator; and a
    specification curve per fitted multiverse. ``study_links`` (study label → URL) makes
    the study labels of the forest plots links."""
    plan = results.typed_plan
    job = partial(
        FigureJob,
        folder=folder,
        formats=plan.figure_formats,
        dpi=plan.dpi,
        rob_column=plan.rob_column,
    )
    jobs = list(_rob_jobs(results, job))
    layout_of = _layouts(results)
    for record in results.analyses:
        tree = record.tree
        if record.ok and tree.spec.role not in ("sensitivity", "model"):
            layout = layout_of.get(tree.spec.group, results.typed_plan.settings.forest_layout)
            jobs += _analysis_jobs(
                results,
                record,
                partial(job, layout=layout, record=record),
                tuple(sorted((study_links or {}).items())),
            )
    for multiverse in results.multiverses:
        if multiverse.tree.summary.fitted and len(multiverse.specifications):
            jobs.append(
                job(
                    id=f"multiverse-{slug(multiverse.id)}",
                    group=multiverse.group,
                    caption=f"Specification curve: {multiverse.title}. Each specification's "
                    "estimate with its CI, sorted (blue: significant; dashed: the median), "
                    "above the choices it made.",
                    kind=FigureKind.MULTIVERSE,
                    multiverse=multiverse,
                )
            )
    return jobs


def _rob_jobs(results: ReviewResults, job: Callable[..., FigureJob]) -> Iterator[FigureJob]:
    table = rob_table(results)
    if table is None:
        return
    for kind, name in (
        (FigureKind.ROB_TRAFFIC, "Risk-of-bias judgements per study (traffic-light plot)"),
        (FigureKind.ROB_SUMMARY, "Risk of bias across studies (summary plot)"),
    ):
        yield job(
            id=kind.value, group=ROB_GROUP, caption=f"{name}, {table.tool}.", kind=kind,
            rob_table=table,
        )  # fmt: skip


def _analysis_jobs(
    results: ReviewResults,
    record: AnalysisRecord,
    job: Callable[..., FigureJob],
    links: tuple[tuple[str, str], ...],
) -> Iterator[FigureJob]:
    """The figures of one pooled analysis (``job`` makes a job of its record and layout;
    ``links`` go on its forest plots' study labels)."""
    tree = record.tree
    spec, fit = tree.spec, tree.result
    name, group, title = slug(spec.id), spec.group, spec.title
    yield job(id=f"forest-{name}", group=group, caption=f"Forest plot: {title}.", links=links)
    multilevel = _multilevel_forest(results, record)
    if multilevel is not None:
        models = " and ".join(row.label for row in multilevel.tree.models)
        yield job(
            id=f"forest-{name}-multilevel",
            group=group,
            caption=f"Forest plot of every effect size, under its study: {title} ({models}).",
            record=multilevel,
            kind=FigureKind.FOREST_MULTILEVEL,
            links=links,
        )
    if small_study_ran(record, results.typed_plan.min_k.small_study):
        yield job(
            id=f"funnel-{name}",
            group=group,
            caption=f"Contour-enhanced funnel plot: {title} (open circles: studies imputed by "
            "trim-and-fill).",
            kind=FigureKind.FUNNEL,
        )
    if tree.leave_one_out and fit.leave_one_out and fit.influence:
        yield job(
            id=f"loo-{name}", group=group, caption=f"Leave-one-out forest plot: {title}.",
            kind=FigureKind.LOO,
        )  # fmt: skip
        yield job(
            id=f"baujat-{name}",
            group=group,
            caption="Baujat plot (contribution to heterogeneity against influence on the "
            f"pooled result): {title}.",
            kind=FigureKind.BAUJAT,
        )
    if tree.gosh is not None:
        yield job(
            id=f"gosh-{name}",
            group=group,
            caption=f"GOSH plot (pooled estimate against I² of up to {GOSH_SUBSETS:,} subsets "
            f"of studies): {title}.",
            kind=FigureKind.GOSH,
        )
    for index, section in enumerate(fit.metaregression):
        moderator = section.single_continuous_moderator
        if moderator is not None:
            yield job(
                id=f"bubble-{name}-{index + 1}",
                group=group,
                caption=f"Bubble plot: meta-regression of {title} on {moderator} (circle area "
                "proportional to the study's weight; line: fitted effect with its confidence "
                "band).",
                kind=FigureKind.BUBBLE,
                metaregression=index,
            )
    for block in tree.subgroups:
        if block.fitted:
            yield job(
                id=f"forest-{name}-by-{slug(block.column)}",
                group=group,
                caption=f"Forest plot: {title}, by {block.column}.",
                subgroup=block.column,
                links=links,
            )


def _multilevel_forest(results: ReviewResults, record: AnalysisRecord) -> AnalysisRecord | None:
    """The multilevel model analysis whose effects the forest plot of ``record``'s three-level
    and CHE models shows, carrying their rows of ``record``'s models table (``None``: none was
    fitted)."""
    rows = [
        (row, document)
        for row, document in zip(record.tree.models, record.models, strict=True)
        if row.model in MULTILEVEL_MODELS and row.status == "ok"
    ]
    if not rows:
        return None
    return replace(results[rows[0][0].id], models=[document for _, document in rows])


def _layouts(results: ReviewResults) -> dict[str, str]:
    """The forest-plot layout of each category and ``[[analysis]]``, by name."""
    plan = results.typed_plan
    return {item.name: item.settings.forest_layout for item in (*plan.categories, *plan.custom)}


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


def draw(job: FigureJob) -> RenderedFigure:
    """Draw one figure and write it in every format."""
    figure = DRAWERS[job.kind](job)
    for name in job.files:
        save_figure(figure, job.folder / name, dpi=job.dpi)
    return drawn_figure(job)


def drawn_figure(job: FigureJob) -> RenderedFigure:
    """The figure of ``job`` as written to its folder."""
    svg = (job.folder / f"{job.id}.svg").read_text(encoding="utf-8")
    files = tuple(f"figures/{name}" for name in job.files)
    return RenderedFigure(job.id, job.group, job.caption, svg, files)
