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

import gc
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import cache
from importlib.metadata import version
from pathlib import Path

from metareview import __version__
from metareview.plan.grade_review import assess_review
from metareview.plan.results import ReviewResults, json_text
from metareview.plan.runner import source_digest
from metareview.report.figures import FigureJob, FigureKind, drawn_figure, figure_jobs
from metareview.report.html import PRISMA_GROUP, RenderedFigure, render_html
from metareview.report.multiverse_section import write_specifications
from metareview.report.tables import write_tables
from metareview.rob.prisma import PrismaCounts
from metareview.rob.sof import sof_csv, sof_html

Progress = Callable[[str, int, int], None]
FIGURE_PREFIXES = (
    "forest-", "funnel-", "loo-", "baujat-", "gosh-", "bubble-", "rob-", "prisma", "multiverse-",
)  # fmt: skip
FIGURE_KEYS = ".keys.json"


@cache
def drawing_versions() -> tuple[str, str, str]:
    """The versions of metareview, of its source files and of matplotlib, part of every
    figure's key (matplotlib's read from its installed metadata: a run that redraws nothing
    does not import it).

    >>> from metareview import __version__
    >>> version, digest, matplotlib_version = drawing_versions()
    >>> version == __version__, len(digest) == 64, matplotlib_version.count(".") >= 1
    (True, True, True)
    """
    return __version__, source_digest(), version("matplotlib")


def figure_key(job: FigureJob, digests: dict[tuple[int, bool], str] | None = None) -> str:
    """SHA-256 of everything a figure is drawn from: the job's settings (kind, layout,
    subgroup, formats, dpi, risk-of-bias column and table, meta-regression), its analysis
    record as ``results.json`` stores it, the versions of metareview and matplotlib, and
    metareview's source files (so changed drawing code redraws, version or not).

    ``digests`` keeps each record's digest for the other figures of the same analysis (an
    analysis has up to eight figures; its document is hashed once)."""
    document = {
        "versions": list(drawing_versions()),
        "job": [job.id, job.kind, job.layout, job.subgroup, job.formats, job.dpi],
        "rob": [job.rob_column, repr(job.rob_table)],
        "metaregression": job.metaregression,
        "links": job.links,
        "record": _record_digest(job, {} if digests is None else digests),
        "multiverse": job.multiverse.to_dict() if job.multiverse is not None else None,
    }
    return hashlib.sha256(json_text(document).encode()).hexdigest()


def _record_digest(job: FigureJob, digests: dict[tuple[int, bool], str]) -> str | None:
    """SHA-256 of the record of ``job`` as stored, without the GOSH cloud unless the job
    draws it (the cloud is megabytes; hashing it for every figure of its analysis cost a
    second a run)."""
    if job.record is None:
        return None
    key = (id(job.record), job.kind == FigureKind.GOSH)
    if key not in digests:
        document = job.record.to_dict()
        if not key[1]:
            document.pop("gosh")
        digests[key] = hashlib.sha256(json_text(document).encode()).hexdigest()
    return digests[key]


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
    document = [*drawing_versions(), counts, formats, dpi]
    return hashlib.sha256(json_text(document).encode()).hexdigest()


def prisma_figure(
    counts_file: str, folder: Path, formats: tuple[str, ...], dpi: int
) -> RenderedFigure:
    """The PRISMA 2020 flow diagram of ``counts_file`` (arithmetic checked first; a failed
    equation is a DataError naming it), written in the report's figure formats unless its
    files are there already."""
    counts = PrismaCounts.from_csv(counts_file)
    counts.check()
    files = []
    for suffix in formats:
        if not (folder / f"prisma.{suffix}").is_file():
            from metareview.report.prisma_diagram import save_prisma_diagram  # matplotlib

            save_prisma_diagram(counts, folder / f"prisma.{suffix}", dpi=dpi)
        files.append(f"figures/prisma.{suffix}")
    svg = (folder / "prisma.svg").read_text(encoding="utf-8")
    caption = "PRISMA 2020 flow diagram of the selection of studies."
    return RenderedFigure("prisma", PRISMA_GROUP, caption, svg, tuple(files))


_WORKER_FIGURES: list[FigureJob] = []  # in a drawing worker process: the figures to draw


def _to_draw(jobs: list[FigureJob]) -> None:
    """A drawing worker's initializer: keep the figures it may be asked to draw."""
    _WORKER_FIGURES[:] = jobs


def _draw_nth(index: int) -> RenderedFigure:
    return draw(_WORKER_FIGURES[index])


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
    ``study_links`` (study label → URL) turns the study labels of the forest plots and the
    study names of the results tables into links (the workspace links each to the study's
    extraction cells).
    """
    outdir = Path(outdir)
    progress = progress or (lambda *_: None)
    figures_dir = outdir / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    work = figure_jobs(results, figures_dir, study_links=study_links)
    files = {job.id: job.files for job in work}
    digests: dict[tuple[int, bool], str] = {}
    keys = {job.id: figure_key(job, digests) for job in work}
    counts = results.typed_plan.prisma_counts
    counts_file = str(counts) if counts is not None else None
    formats, dpi = results.typed_plan.figure_formats, results.typed_plan.dpi
    if counts_file:
        files["prisma"] = tuple(f"prisma.{suffix}" for suffix in formats)
        keys["prisma"] = _prisma_key(counts_file, formats, dpi)
    _remove_stale_figures(figures_dir, files, {} if redraw else keys)
    to_draw = [job for job in work if not all((figures_dir / f).is_file() for f in job.files)]
    progress("figures", 0, len(to_draw))
    drawn: dict[str, RenderedFigure] = {}
    with _drawing(to_draw, jobs) as drawings:
        # while the workers (if any) draw: the files that need no figure
        (outdir / "results.json").write_text(
            results.to_json(multiverse_rows=None), encoding="utf-8"
        )
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
        figures: list[RenderedFigure] = []
        if counts_file:
            figures.append(prisma_figure(counts_file, figures_dir, formats, dpi))
        for index, figure in enumerate(drawings, 1):
            drawn[figure.id] = figure
            progress("figures", index, len(to_draw))
    (figures_dir / FIGURE_KEYS).write_text(json.dumps(keys, indent=1), encoding="utf-8")
    figures += [drawn.get(job.id) or drawn_figure(job) for job in work]
    index_path = outdir / "report" / "index.html"
    index_path.parent.mkdir(parents=True, exist_ok=True)
    index_path.write_text(
        render_html(results, figures, sof=sof, study_links=study_links), encoding="utf-8"
    )
    return index_path


@contextmanager
def _drawing(to_draw: list[FigureJob], jobs: int) -> Iterator[Iterator[RenderedFigure]]:
    """The figures of ``to_draw`` as they are drawn: with ``jobs > 1`` (and more than four
    figures) by worker processes that start drawing on entry, so this process can write the
    other files meanwhile; else in this process, one by one as they are taken."""
    if jobs <= 1 or len(to_draw) <= 4:
        yield (draw(job) for job in to_draw)
        return
    # The workers get the list once (inherited where processes fork), not each job pickled
    # with its analysis, and the drawing modules already imported; the heap as it stands is
    # left out of their garbage collections (and of this process's while they draw).
    import metareview.report.figure_drawing  # noqa: F401

    gc.freeze()
    pool = ProcessPoolExecutor(jobs, initializer=_to_draw, initargs=(to_draw,))
    try:
        yield pool.map(_draw_nth, range(len(to_draw)))
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise
    finally:
        pool.shutdown()
        gc.unfreeze()


def draw(job: FigureJob) -> RenderedFigure:
    """Draw the figure of ``job`` and write it in every format. The drawing modules, and with
    them matplotlib, are imported by the first figure drawn: a second run that keeps every
    figure does not load them."""
    from metareview.report.figure_drawing import draw_figure

    return draw_figure(job)
