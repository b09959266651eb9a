"""The report's figures declared as data: which figures a review has, what each draws from
and where it is written.

:func:`figure_jobs` lists one :class:`FigureJob` per figure; a job's :class:`FigureKind`
names its drawing function in :data:`metareview.report.figure_drawing.DRAWERS`, so adding a
figure is one entry there and one rule in :func:`figure_jobs`. This module does not import
matplotlib: a run whose figures are all kept from the last run (same key) draws nothing and
does not load it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import partial
from pathlib import Path

from metareview.plan.expand import slug
from metareview.plan.models import MULTILEVEL_MODELS
from metareview.plan.multiverse_record import MultiverseRecord
from metareview.plan.result_tree import AnalysisTree
from metareview.plan.results import AnalysisRecord, ReviewResults
from metareview.plan.robustness import GOSH_SUBSETS
from metareview.report.html import ROB_GROUP, RenderedFigure
from metareview.report.rob_figures import rob_table
from metareview.report.small_study_table import small_study_ran
from metareview.rob.table import RobTable

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


def drawn_figure(job: FigureJob) -> RenderedFigure:
    """The figure of ``job`` as written to its folder."""
    svg = (job.folder / f"{job.id}.svg").read_text(encoding="utf-8")
    files = tuple(f"figures/{name}" for name in job.files)
    return RenderedFigure(job.id, job.group, job.caption, svg, files)
