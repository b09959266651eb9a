"""Write the review's output folder: ``report/index.html``, ``results.json``, figures, tables.

Layout of ``OUTDIR``::

    results.json            every number (ReviewResults.to_dict())
    report/index.html       the self-contained report (SVG figures inline)
    figures/<id>.svg        every figure (plus .pdf and 300-dpi .png when the plan's
                            ``[report] figure_formats`` asks for them)
    figures/prisma.svg      the PRISMA 2020 flow diagram (when the plan has ``[prisma]``)
    tables/table-<group>.csv, tables/tables.xlsx
    tables/summary-of-findings.html/.csv   GRADE (unless ``[grade] enabled = false``)
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from metareview.plan.expand import slug
from metareview.plan.grade_review import assess_review
from metareview.plan.results import AnalysisRecord, ReviewResults
from metareview.report.baujat_plot import baujat_plot
from metareview.report.bubble_plot import bubble_data, bubble_plot, single_continuous_moderator
from metareview.report.forest_plot import forest_figure, save_figure
from metareview.report.funnel_plot import funnel_plot
from metareview.report.gosh_plot import gosh_plot
from metareview.report.html import PRISMA_GROUP, ROB_GROUP, RenderedFigure, render_html
from metareview.report.leave_one_out_plot import leave_one_out_plot
from metareview.report.prisma_diagram import save_prisma_diagram
from metareview.report.rob_figures import rob_figure, rob_table
from metareview.report.small_study_table import small_study_ran
from metareview.report.tables import write_tables
from metareview.rob.prisma import PrismaCounts
from metareview.rob.sof import sof_csv, sof_html
from metareview.rob.table import RobTable
from metareview.stats.bias.funnel import funnel_data
from metareview.stats.bias.trimfill import trim_and_fill
from metareview.stats.gosh import gosh
from metareview.stats.influence import influence
from metareview.stats.leave_one_out import leave_one_out
from metareview.stats.pooling import pool

Progress = Callable[[str, int, int], None]
DEFAULT_FORMATS = ("svg",)
GOSH_SUBSETS = 20_000
FIGURE_PREFIXES = ("forest-", "funnel-", "loo-", "baujat-", "gosh-", "bubble-", "rob-", "prisma")


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


def figure_jobs(results: ReviewResults, folder: Path) -> list[FigureJob]:
    """The figures of the report: a forest plot per pooled main or specific analysis, one per
    subgroup analysis, a funnel plot where small-study analyses were run, a leave-one-out
    forest plot and a Baujat plot where leave-one-out was asked for, and a bubble plot per
    meta-regression on one continuous moderator."""
    jobs = []
    layout_of = _layouts(results)
    config = results.plan.get("report", {})
    formats = tuple(dict.fromkeys(("svg", *config.get("figure_formats", DEFAULT_FORMATS))))
    rob_column = results.plan.get("rob", {}).get("column", "rob")
    extra = {"formats": formats, "dpi": config.get("dpi", 300), "rob_column": rob_column}
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
        if not record.ok or spec["role"] == "sensitivity":
            continue
        layout = layout_of.get(spec["group"], "meta")
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
            )
        )
        if small_study_ran(record, results.plan):
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
        if record.leave_one_out:
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
        if spec.get("gosh"):
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
                    )
                )
    return jobs


def funnel_figure(record: AnalysisRecord) -> Figure:
    """The contour-enhanced funnel plot of ``record`` with its trim-and-fill studies."""
    result = record.result
    yi = [study["yi"] for study in result["studies"]]
    vi = [study["vi"] for study in result["studies"]]
    settings = {
        "method": result["method"],
        "ci_method": result["ci_method"],
        "level": result["level"],
        "preset": result["preset"],
    }
    filled = None
    stored = result["small_study"]["trim_and_fill"]  # the run's estimator and side
    if "trimfill" in record.spec["small_study"] and stored is not None:  # None: it failed
        filled = trim_and_fill(
            yi, vi, estimator=stored.get("estimator", "L0"), side=stored["side"], **settings
        )
    funnel = funnel_data(
        yi,
        vi,
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
    """Leave-one-out forest plot (``loo``) or Baujat plot (``baujat``) of ``record``."""
    result = record.result
    studies = result["studies"]
    yi, vi = [s["yi"] for s in studies], [s["vi"] for s in studies]
    labels = [str(s["study"]) for s in studies]
    settings = {
        "method": result["method"],
        "ci_method": result["ci_method"],
        "level": result["level"],
        "preset": result["preset"],
    }
    if kind == "loo":
        figure = Figure(figsize=(6.5, 1.2 + 0.22 * len(studies)))
        ax = figure.add_subplot()
        leave_one_out_plot(
            leave_one_out(yi, vi, studies=labels, **settings),
            pool(yi, vi, studies=labels, **settings),
            ax=ax,
        )
    else:
        figure = Figure(figsize=(6.0, 4.8))
        ax = figure.add_subplot()
        baujat_plot(influence(yi, vi, method=result["method"], studies=labels), ax=ax)
    figure.tight_layout()
    return figure


def gosh_figure(record: AnalysisRecord) -> Figure:
    """GOSH plot of ``record`` (subsets fitted with its τ² method; points rasterised so the SVG
    stays small)."""
    result = record.result
    studies = result["studies"]
    fitted = gosh(
        [s["yi"] for s in studies],
        [s["vi"] for s in studies],
        method=result["method"],
        subsets=GOSH_SUBSETS,
        seed=0,
        studies=[str(s["study"]) for s in studies],
    )
    figure = Figure(figsize=(6.0, 4.8))
    ax = figure.add_subplot()
    gosh_plot(fitted, ax=ax)
    for collection in ax.collections:
        collection.set_rasterized(True)
    figure.tight_layout()
    return figure


def _layouts(results: ReviewResults) -> dict[str, str]:
    plan = results.plan
    default = plan.get("settings", {}).get("forest_layout", "meta")
    layouts = {}
    for item in (*plan.get("category", []), *plan.get("analysis", [])):
        layouts[item["name"]] = item.get("settings", {}).get("forest_layout", default)
    return layouts


def draw(job: FigureJob) -> RenderedFigure:
    """Draw one figure and write it in every format."""
    if job.rob_table is not None:
        figure = rob_figure(job.rob_table, job.kind.removeprefix("rob-"))
    elif job.kind == "funnel":
        figure = funnel_figure(job.record)
    elif job.kind == "gosh":
        figure = gosh_figure(job.record)
    elif job.kind == "bubble":
        figure = bubble_figure(job.record, job.metaregression)
    elif job.kind in ("loo", "baujat"):
        figure = diagnostic_figure(job.record, job.kind)
    else:
        figure = forest_figure(
            job.record, job.layout, subgroup=job.subgroup, rob_column=job.rob_column
        )
    files = []
    for suffix in job.formats:
        path = save_figure(figure, job.folder / f"{job.id}.{suffix}", dpi=job.dpi)
        files.append(f"figures/{path.name}")
    svg = (job.folder / f"{job.id}.svg").read_text(encoding="utf-8")
    return RenderedFigure(job.id, job.group, job.caption, svg, tuple(files))


def prisma_figure(counts_file: str, folder: Path, work: list[FigureJob]) -> RenderedFigure:
    """The PRISMA 2020 flow diagram of ``counts_file`` (arithmetic checked first; a failed
    equation is a DataError naming it), written in the report's figure formats."""
    counts = PrismaCounts.from_csv(counts_file)
    counts.check()
    formats = work[0].formats if work else DEFAULT_FORMATS
    dpi = work[0].dpi if work else 300
    files = []
    for suffix in formats:
        save_prisma_diagram(counts, folder / f"prisma.{suffix}", dpi=dpi)
        files.append(f"figures/prisma.{suffix}")
    svg = (folder / "prisma.svg").read_text(encoding="utf-8")
    caption = "PRISMA 2020 flow diagram of the selection of studies."
    return RenderedFigure("prisma", PRISMA_GROUP, caption, svg, tuple(files))


def write_report(
    results: ReviewResults, outdir: str | Path, *, jobs: int = 1, progress: Progress | None = None
) -> Path:
    """Write the whole output folder for ``results``; return the path of ``report/index.html``."""
    outdir = Path(outdir)
    progress = progress or (lambda *_: None)
    figures_dir = outdir / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    for stale in figures_dir.iterdir():  # figures of an earlier run of a changed plan
        if stale.name.startswith(FIGURE_PREFIXES) and stale.suffix in (".svg", ".pdf", ".png"):
            stale.unlink()
    (outdir / "results.json").write_text(results.to_json(), encoding="utf-8")
    write_tables(results, outdir / "tables")
    assessments = assess_review(results)
    sof = sof_html(assessments) if assessments else None
    if assessments:
        (outdir / "tables" / "summary-of-findings.html").write_text(sof, encoding="utf-8")
        (outdir / "tables" / "summary-of-findings.csv").write_text(
            sof_csv(assessments), encoding="utf-8"
        )
    work = figure_jobs(results, figures_dir)
    figures: list[RenderedFigure] = []
    if "prisma" in results.plan:
        figures.append(prisma_figure(results.plan["prisma"]["counts"], figures_dir, work))
    progress("figures", 0, len(work))
    if jobs > 1 and len(work) > 4:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for index, figure in enumerate(pool.map(draw, work), 1):
                figures.append(figure)
                progress("figures", index, len(work))
    else:
        for index, job in enumerate(work, 1):
            figures.append(draw(job))
            progress("figures", index, len(work))
    index_path = outdir / "report" / "index.html"
    index_path.parent.mkdir(parents=True, exist_ok=True)
    index_path.write_text(render_html(results, figures, sof=sof), encoding="utf-8")
    return index_path
