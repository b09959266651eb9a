"""Write the review's output folder: ``report/index.html``, ``results.json``, figures, tables.

Layout of ``OUTDIR``::

    results.json            every number (ReviewResults.to_dict())
    report/index.html       the self-contained report (SVG figures inline)
    figures/<id>.svg        every figure (plus .pdf and 300-dpi .png when the plan's
                            ``[report] figure_formats`` asks for them)
    figures/prisma.svg      the PRISMA 2020 flow diagram (when the plan has ``[prisma]``)
    figures/.keys.json      the key each figure was drawn with (see :func:`figure_key`)
    tables/table-<group>.csv, tables/tables.xlsx
    tables/metaregression.csv/.xlsx        meta-regressions (when the plan has any)
    tables/summary-of-findings.html/.csv   GRADE (unless ``[grade] enabled = false``)
    tables/multiverse-<id>.csv/.parquet    each multiverse's specifications (results.json
                                           holds its summary and test)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from metareview import __version__
from metareview.plan.expand import slug
from metareview.plan.grade_review import assess_review
from metareview.plan.models import MULTILEVEL_MODELS
from metareview.plan.multiverse_record import MultiverseRecord
from metareview.plan.results import AnalysisRecord, ReviewResults, json_text
from metareview.plan.robustness import GOSH_SUBSETS
from metareview.plan.runner import source_digest
from metareview.report.baujat_plot import baujat_plot
from metareview.report.bubble_plot import bubble_data, bubble_plot, single_continuous_moderator
from metareview.report.forest_plot import forest_figure, save_figure
from metareview.report.funnel_plot import funnel_plot
from metareview.report.gosh_plot import gosh_plot
from metareview.report.html import PRISMA_GROUP, ROB_GROUP, RenderedFigure, render_html
from metareview.report.leave_one_out_plot import leave_one_out_plot
from metareview.report.multilevel_forest import multilevel_forest_data
from metareview.report.multiverse_section import multiverse_figure, write_specifications
from metareview.report.plot_inputs import FilledStudies
from metareview.report.prisma_diagram import save_prisma_diagram
from metareview.report.rob_figures import rob_figure, rob_table
from metareview.report.small_study_table import small_study_ran
from metareview.report.tables import write_tables
from metareview.rob.prisma import PrismaCounts
from metareview.rob.sof import sof_csv, sof_html
from metareview.rob.table import RobTable
from metareview.stats.bias.funnel import funnel_data
from metareview.stats.gosh import GoshResult
from metareview.stats.influence import InfluenceResult
from metareview.stats.leave_one_out import LeaveOneOutResult

Progress = Callable[[str, int, int], None]
DEFAULT_FORMATS = ("svg",)
FIGURE_PREFIXES = (
    "forest-", "funnel-", "loo-", "baujat-", "gosh-", "bubble-", "rob-", "prisma", "multiverse-",
)  # fmt: skip
FIGURE_KEYS = ".keys.json"


@dataclass(frozen=True)
class FigureJob:
    """One figure to draw: which record, which kind, where to write it."""

    id: str
    group: str
    caption: str
    record: AnalysisRecord | None
    layout: str
    subgroup: str | None
    folder: Path
    formats: tuple[str, ...] = DEFAULT_FORMATS
    dpi: int = 300
    kind: str = "forest"
    rob_column: str | None = None
    rob_table: RobTable | None = None
    metaregression: int | None = None  # index of the meta-regression of a bubble plot
    multiverse: MultiverseRecord | None = None  # the multiverse of a specification curve
    links: tuple[tuple[str, str], ...] = ()  # study label → URL, on a forest plot's labels

    @property
    def files(self) -> tuple[str, ...]:
        """The file names of the figure, one per format."""
        return tuple(f"{self.id}.{suffix}" for suffix in self.formats)


def figure_jobs(
    results: ReviewResults, folder: Path, *, study_links: Mapping[str, str] | None = None
) -> list[FigureJob]:
    """The figures of the report: a forest plot per pooled main or specific analysis, one per
    subgroup analysis, a funnel plot where small-study analyses were run, a leave-one-out
    forest plot and a Baujat plot where leave-one-out was asked for, and a bubble plot per
    meta-regression on one continuous moderator. ``study_links`` (study label → URL) makes
    the study labels of the forest plots links."""
    jobs = []
    layout_of = _layouts(results)
    config = results.plan.get("report", {})
    formats = tuple(dict.fromkeys(("svg", *config.get("figure_formats", DEFAULT_FORMATS))))
    rob_column = results.typed_plan.rob_column
    extra = {"formats": formats, "dpi": config.get("dpi", 300), "rob_column": rob_column}
    links = tuple(sorted((study_links or {}).items()))
    table = rob_table(results)
    if table is not None:
        for kind, name in (
            ("traffic", "Risk-of-bias judgements per study (traffic-light plot)"),
            ("summary", "Risk of bias across studies (summary plot)"),
        ):
            jobs.append(
                FigureJob(
                    f"rob-{kind}",
                    ROB_GROUP,
                    f"{name}, {table.tool}.",
                    None,
                    "",
                    None,
                    folder,
                    **extra,
                    kind=f"rob-{kind}",
                    rob_table=table,
                )
            )
    for record in results.analyses:
        spec = record.spec
        if not record.ok or spec["role"] in ("sensitivity", "model"):
            continue
        layout = layout_of.get(spec["group"], results.typed_plan.settings.forest_layout)
        base = f"forest-{slug(spec['id'])}"
        jobs.append(
            FigureJob(
                base,
                spec["group"],
                f"Forest plot: {spec['title']}.",
                record,
                layout,
                None,
                folder,
                **extra,
                links=links,
            )
        )
        multilevel = _multilevel_forest(results, record)
        if multilevel is not None:
            models = " and ".join(row["label"] for row in multilevel.models)
            jobs.append(
                FigureJob(
                    f"{base}-multilevel",
                    spec["group"],
                    f"Forest plot of every effect size, under its study: {spec['title']} "
                    f"({models}).",
                    multilevel,
                    layout,
                    None,
                    folder,
                    **extra,
                    kind="forest-multilevel",
                    links=links,
                )
            )
        if small_study_ran(record, results.typed_plan.min_k.small_study):
            jobs.append(
                FigureJob(
                    f"funnel-{slug(spec['id'])}",
                    spec["group"],
                    f"Contour-enhanced funnel plot: {spec['title']} (open circles: "
                    "studies imputed by trim-and-fill).",
                    record,
                    layout,
                    None,
                    folder,
                    **extra,
                    kind="funnel",
                )
            )
        if record.leave_one_out and record.result["leave_one_out"] and record.result["influence"]:
            for kind, name in (
                ("loo", "Leave-one-out forest plot"),
                (
                    "baujat",
                    "Baujat plot (contribution to heterogeneity against "
                    "influence on the pooled result)",
                ),
            ):
                jobs.append(
                    FigureJob(
                        f"{kind}-{slug(spec['id'])}",
                        spec["group"],
                        f"{name}: {spec['title']}.",
                        record,
                        layout,
                        None,
                        folder,
                        **extra,
                        kind=kind,
                    )
                )
        if record.gosh is not None:
            jobs.append(
                FigureJob(
                    f"gosh-{slug(spec['id'])}",
                    spec["group"],
                    f"GOSH plot (pooled estimate against I² of up to "
                    f"{GOSH_SUBSETS:,} subsets of studies): {spec['title']}.",
                    record,
                    layout,
                    None,
                    folder,
                    **extra,
                    kind="gosh",
                )
            )
        for index, section in enumerate(record.result.get("metaregression", [])):
            moderator = single_continuous_moderator(section)
            if moderator is not None:
                jobs.append(
                    FigureJob(
                        f"bubble-{slug(spec['id'])}-{index + 1}",
                        spec["group"],
                        f"Bubble plot: meta-regression of {spec['title']} on {moderator} "
                        "(circle area proportional to the study's weight; line: fitted "
                        "effect with its confidence band).",
                        record,
                        layout,
                        None,
                        folder,
                        **extra,
                        kind="bubble",
                        metaregression=index,
                    )
                )
        for block in record.subgroups:
            if any("result" in level for level in block["levels"]):
                jobs.append(
                    FigureJob(
                        f"{base}-by-{slug(block['column'])}",
                        spec["group"],
                        f"Forest plot: {spec['title']}, by {block['column']}.",
                        record,
                        layout,
                        block["column"],
                        folder,
                        **extra,
                        links=links,
                    )
                )
    for multiverse in results.multiverses:
        if multiverse.summary["fitted"] and len(multiverse.specifications):
            jobs.append(
                FigureJob(
                    f"multiverse-{slug(multiverse.id)}",
                    multiverse.group,
                    f"Specification curve: {multiverse.title}. Each specification's estimate "
                    "with its CI, sorted (blue: significant; dashed: the median), above the "
                    "choices it made.",
                    None,
                    "",
                    None,
                    folder,
                    **extra,
                    kind="multiverse",
                    multiverse=multiverse,
                )
            )
    return jobs


def _multilevel_forest(results: ReviewResults, record: AnalysisRecord) -> AnalysisRecord | None:
    """The multilevel model analysis whose effects the forest plot of ``record``'s three-level
    and CHE models shows, carrying their rows of ``record``'s models table (``None``: none was
    fitted)."""
    rows = [
        row for row in record.models if row["model"] in MULTILEVEL_MODELS and row["status"] == "ok"
    ]
    return replace(results[rows[0]["id"]], models=rows) if rows else None


def funnel_figure(record: AnalysisRecord) -> Figure:
    """The contour-enhanced funnel plot of ``record`` with its trim-and-fill studies, as the
    run stored them."""
    result = record.result
    stored = result["small_study"]["trim_and_fill"]  # None: not asked for, or it failed
    filled = None
    if "trimfill" in record.spec["small_study"] and stored is not None:
        filled = FilledStudies.from_dict(stored)
    funnel = funnel_data(
        [study["yi"] for study in result["studies"]],
        [study["vi"] for study in result["studies"]],
        center=result[record.model]["estimate"],
        level=result["level"],
        labels=[study["study"] for study in result["studies"]],
    )
    figure = Figure(figsize=(5.5, 4.5))
    ax = figure.add_subplot()
    funnel_plot(funnel, ax=ax, trim_and_fill=filled, xlabel=effect_label(result))
    figure.tight_layout()
    return figure


def effect_label(result: dict) -> str:
    """The axis label of an analysis document's effect sizes (analysis scale)."""
    measure = result.get("measure") or "effect size"
    return {
        "SMD": "Hedges' g",
        "OR": "log odds ratio",
        "RR": "log risk ratio",
        "HR": "log hazard ratio",
    }.get(measure, measure)


def bubble_figure(record: AnalysisRecord, index: int) -> Figure:
    """The bubble plot of the ``index``-th meta-regression of ``record``."""
    figure = Figure(figsize=(6.0, 4.5))
    ax = figure.add_subplot()
    section = record.result["metaregression"][index]
    bubble_plot(bubble_data(section), ax=ax, ylabel=effect_label(record.result))
    figure.tight_layout()
    return figure


def diagnostic_figure(record: AnalysisRecord, kind: str) -> Figure:
    """Leave-one-out forest plot (``loo``) or Baujat plot (``baujat``) of ``record``, from the
    leave-one-out and influence sections the run stored (random-effects model)."""
    result = record.result
    if kind == "loo":
        figure = Figure(figsize=(6.5, 1.2 + 0.22 * len(result["studies"])))
        ax = figure.add_subplot()
        rows = LeaveOneOutResult.from_dict(
            result["leave_one_out"], result["method"], result["ci_method"]
        )
        leave_one_out_plot(rows, result["random"], ax=ax)
    else:
        figure = Figure(figsize=(6.0, 4.8))
        ax = figure.add_subplot()
        baujat_plot(InfluenceResult.from_dict(result["influence"], result["method"]), ax=ax)
    figure.tight_layout()
    return figure


def gosh_figure(record: AnalysisRecord) -> Figure:
    """GOSH plot of ``record``'s stored cloud (points rasterised so the SVG stays small)."""
    figure = Figure(figsize=(6.0, 4.8))
    ax = figure.add_subplot()
    gosh_plot(GoshResult.from_dict(record.gosh), ax=ax)
    for collection in ax.collections:
        collection.set_rasterized(True)
    figure.tight_layout()
    return figure


def _layouts(results: ReviewResults) -> dict[str, str]:
    """The forest-plot layout of each category and ``[[analysis]]``, by name."""
    plan = results.typed_plan
    return {item.name: item.settings.forest_layout for item in (*plan.categories, *plan.custom)}


def figure_key(job: FigureJob) -> str:
    """SHA-256 of everything a figure is drawn from: the job's settings (kind, layout,
    subgroup, formats, dpi, risk-of-bias column and table, meta-regression), its analysis
    record as ``results.json`` stores it, the versions of metareview and matplotlib, and
    metareview's source files (so changed drawing code redraws, version or not)."""
    document = {
        "versions": [__version__, source_digest(), matplotlib.__version__],
        "job": [job.id, job.kind, job.layout, job.subgroup, job.formats, job.dpi],
        "rob": [job.rob_column, repr(job.rob_table)],
        "metaregression": job.metaregression,
        "links": job.links,
        "record": _drawn_from(job),
        "multiverse": job.multiverse.to_dict() if job.multiverse is not None else None,
    }
    return hashlib.sha256(json_text(document).encode()).hexdigest()


def _drawn_from(job: FigureJob) -> dict[str, Any] | None:
    """The record of ``job`` as stored, without the GOSH cloud unless the job draws it (the
    cloud is megabytes; hashing it for every figure of its analysis cost a second a run)."""
    if job.record is None:
        return None
    document = job.record.to_dict()
    if job.kind != "gosh":
        document.pop("gosh")
    return document


def draw(job: FigureJob) -> RenderedFigure:
    """Draw one figure and write it in every format."""
    if job.rob_table is not None:
        figure = rob_figure(job.rob_table, job.kind.removeprefix("rob-"))
    elif job.kind == "funnel":
        figure = funnel_figure(job.record)
    elif job.kind == "gosh":
        figure = gosh_figure(job.record)
    elif job.kind == "multiverse":
        figure = multiverse_figure(job.multiverse)
    elif job.kind == "bubble":
        figure = bubble_figure(job.record, job.metaregression)
    elif job.kind in ("loo", "baujat"):
        figure = diagnostic_figure(job.record, job.kind)
    elif job.kind == "forest-multilevel":
        data = multilevel_forest_data(job.record, job.record.models, job.layout)
        figure = forest_figure(data, job.layout, links=dict(job.links))
    else:
        figure = forest_figure(
            job.record,
            job.layout,
            subgroup=job.subgroup,
            rob_column=job.rob_column,
            links=dict(job.links),
        )
    for name in job.files:
        save_figure(figure, job.folder / name, dpi=job.dpi)
    return drawn_figure(job)


def drawn_figure(job: FigureJob) -> RenderedFigure:
    """The figure of ``job`` as written to its folder."""
    svg = (job.folder / f"{job.id}.svg").read_text(encoding="utf-8")
    files = tuple(f"figures/{name}" for name in job.files)
    return RenderedFigure(job.id, job.group, job.caption, svg, files)


def _remove_stale_figures(
    folder: Path, files: dict[str, tuple[str, ...]], keys: dict[str, str]
) -> None:
    """Delete the figure files not drawn with the key they need now (``keys``, by figure id):
    those of figures no longer in the report, of other formats, or drawn from other inputs."""
    try:
        drawn_with = json.loads((folder / FIGURE_KEYS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        drawn_with = {}
    (folder / FIGURE_KEYS).unlink(missing_ok=True)  # written again once every figure is drawn
    current = {
        name
        for figure, names in files.items()
        if figure in keys and drawn_with.get(figure) == keys[figure]
        for name in names
    }
    for path in folder.iterdir():
        figure = path.name.startswith(FIGURE_PREFIXES) and path.suffix in (".svg", ".pdf", ".png")
        if figure and path.name not in current:
            path.unlink()


def _prisma_key(counts_file: str, formats: tuple[str, ...], dpi: int) -> str:
    try:
        counts = Path(counts_file).read_text(encoding="utf-8", errors="replace")
    except OSError:
        counts = ""
    document = [__version__, source_digest(), matplotlib.__version__, counts, formats, dpi]
    return hashlib.sha256(json_text(document).encode()).hexdigest()


def prisma_figure(counts_file: str, folder: Path, work: list[FigureJob]) -> RenderedFigure:
    """The PRISMA 2020 flow diagram of ``counts_file`` (arithmetic checked first; a failed
    equation is a DataError naming it), written in the report's figure formats unless its
    files are there already."""
    counts = PrismaCounts.from_csv(counts_file)
    counts.check()
    formats, dpi = _figure_formats(work)
    files = []
    for suffix in formats:
        if not (folder / f"prisma.{suffix}").is_file():
            save_prisma_diagram(counts, folder / f"prisma.{suffix}", dpi=dpi)
        files.append(f"figures/prisma.{suffix}")
    svg = (folder / "prisma.svg").read_text(encoding="utf-8")
    caption = "PRISMA 2020 flow diagram of the selection of studies."
    return RenderedFigure("prisma", PRISMA_GROUP, caption, svg, tuple(files))


def _figure_formats(work: list[FigureJob]) -> tuple[tuple[str, ...], int]:
    return (work[0].formats, work[0].dpi) if work else (DEFAULT_FORMATS, 300)


def write_report(
    results: ReviewResults,
    outdir: str | Path,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    redraw: bool = False,
    study_links: Mapping[str, str] | None = None,
) -> Path:
    """Write the whole output folder for ``results``; return the path of ``report/index.html``.

    A figure already in ``OUTDIR/figures`` whose :func:`figure_key` is the one it was drawn
    with (``figures/.keys.json``) is kept, not drawn again, unless ``redraw``.
    ``study_links`` (study label → URL) turns the study labels of the forest plots into links
    (the workspace links each to the study's extraction cells).
    """
    outdir = Path(outdir)
    progress = progress or (lambda *_: None)
    figures_dir = outdir / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    (outdir / "results.json").write_text(results.to_json(multiverse_rows=None), encoding="utf-8")
    write_tables(results, outdir / "tables")
    for multiverse in results.multiverses:
        write_specifications(multiverse.specifications, outdir / multiverse.table)
    assessments = assess_review(results)
    sof = sof_html(assessments) if assessments else None
    if assessments:
        (outdir / "tables" / "summary-of-findings.html").write_text(sof, encoding="utf-8")
        (outdir / "tables" / "summary-of-findings.csv").write_text(
            sof_csv(assessments), encoding="utf-8"
        )
    work = figure_jobs(results, figures_dir, study_links=study_links)
    files = {job.id: job.files for job in work}
    keys = {job.id: figure_key(job) for job in work}
    counts = results.typed_plan.prisma_counts
    counts_file = str(counts) if counts is not None else None
    if counts_file:
        formats, dpi = _figure_formats(work)
        files["prisma"] = tuple(f"prisma.{suffix}" for suffix in formats)
        keys["prisma"] = _prisma_key(counts_file, formats, dpi)
    _remove_stale_figures(figures_dir, files, {} if redraw else keys)
    figures: list[RenderedFigure] = []
    if counts_file:
        figures.append(prisma_figure(counts_file, figures_dir, work))
    to_draw = [job for job in work if not all((figures_dir / f).is_file() for f in job.files)]
    progress("figures", 0, len(to_draw))
    drawn: dict[str, RenderedFigure] = {}
    if jobs > 1 and len(to_draw) > 4:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for index, figure in enumerate(pool.map(draw, to_draw), 1):
                drawn[figure.id] = figure
                progress("figures", index, len(to_draw))
    else:
        for index, job in enumerate(to_draw, 1):
            drawn[job.id] = draw(job)
            progress("figures", index, len(to_draw))
    (figures_dir / FIGURE_KEYS).write_text(json.dumps(keys, indent=1), encoding="utf-8")
    figures += [drawn.get(job.id) or drawn_figure(job) for job in work]
    index_path = outdir / "report" / "index.html"
    index_path.parent.mkdir(parents=True, exist_ok=True)
    index_path.write_text(render_html(results, figures, sof=sof), encoding="utf-8")
    return index_path
