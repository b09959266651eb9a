"""The dashboard's PRISMA 2020 flow diagram and counts, live from the log, and the lead's
agreement statistics.

The diagram and the PRISMA2020 CSV are made by the same functions as ``records prisma
--diagram/--output``, so they are the CLI's files byte for byte; so are the included records
(``records export``), the votes (``records export-votes``) and the audit log (``records
export-log``). Agreement (percentage, Cohen's
κ, PABAK, Gwet's AC1, with CIs) is computed on locked votes only (records whose required votes
are all in), so it never reveals a blinded vote; only the lead sees it. The stopping rules'
advice (``records stopping``) reads the team's completed records — the records the dashboard
already counts for everyone — and, for a reviewer, their own votes; never anyone else's.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response

from metareview.errors import DataError, RecordsError
from metareview.records.agreement import AgreementResult
from metareview.records.stopping_rules import StoppingAdvice
from metareview.store.prisma import project_prisma
from metareview.store.review import stage_agreement, stage_state
from metareview.store.stopping_rules import stopping_advice
from metareview.web.screen_pages import STAGE_NAMES
from metareview.web.security import LEAD, MEMBERS, Call, page


def prisma_svg(call: Call) -> tuple[bytes, bool]:
    """The flow diagram as SVG, and whether its counts add up yet (not while screening)."""
    import matplotlib

    matplotlib.use("Agg")
    from metareview.report.prisma_diagram import save_prisma_diagram

    counts = project_prisma(call.workspace.project)
    try:
        counts.check()
        complete = True
    except DataError:
        complete = False
    with call.workspace.drawing, tempfile.TemporaryDirectory() as folder:
        path = save_prisma_diagram(counts, Path(folder) / "prisma.svg", check=complete)
        return path.read_bytes(), complete


@page(MEMBERS)
def prisma_diagram(call: Call) -> Response:
    """The PRISMA 2020 flow diagram (SVG), as ``records prisma --diagram`` draws it."""
    svg, _ = prisma_svg(call)
    return Response(svg, media_type="image/svg+xml")


@page(LEAD)
def prisma_csv(call: Call) -> Response:
    """The PRISMA counts in the PRISMA2020 package's CSV format (``records prisma -o``)."""

    def write(project, path: Path) -> None:
        project_prisma(project).to_csv(path)

    return _download(call, write, "prisma.csv", "text/csv; charset=utf-8")


@page(LEAD)
def included_records(call: Call) -> Response:
    """The included records as RIS or CSV (``?stage=ft`` after full text, ``ta`` on to full
    text), written by the same function as ``records export``."""
    from metareview.store.exports import write_included

    stage = call.query("stage", "ft")
    kind = call.request.path_params["kind"]
    if stage not in STAGE_NAMES or kind not in ("ris", "csv"):
        raise HTTPException(404)
    name = f"included-{stage}.{kind}"
    media = "application/x-research-info-systems" if kind == "ris" else "text/csv; charset=utf-8"
    return _download(call, lambda project, path: write_included(project, path, stage=stage),
                     name, media)  # fmt: skip


def _download(call: Call, write, name: str, media: str) -> Response:
    """The bytes a store writer (shared with the CLI) writes, as a download."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        write(call.workspace.project, path)
        data = path.read_bytes()
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type=media, headers=headers)


@page(LEAD)
def votes_csv(call: Call) -> Response:
    """Every vote, undo and resolution as CSV (``records export-votes``); blinded: votes on
    records still open are left out."""
    from metareview.store.exports import write_votes

    return _download(call, write_votes, "votes.csv", "text/csv; charset=utf-8")


@page(LEAD)
def log_jsonl(call: Call) -> Response:
    """The audit log as JSON Lines (``records export-log``); blinded like the votes."""
    from metareview.store.exports import write_log

    return _download(call, write_log, "log.jsonl", "application/jsonl; charset=utf-8")


def agreement_tables(call: Call) -> list[tuple[str, str, AgreementResult]]:
    """For each stage: every reviewer together, then each pair (locked votes only)."""
    out = []
    project = call.workspace.project
    for stage, name in STAGE_NAMES.items():
        reviewers = stage_state(project, stage).reviewers()
        groups = [tuple(reviewers)] if len(reviewers) > 2 else []
        groups += list(itertools.combinations(reviewers, 2))
        for group in groups:
            try:
                out.append((name, " & ".join(group), stage_agreement(project, stage, group)))
            except RecordsError:
                continue
    return out


def stopping_tables(call: Call) -> list[tuple[str, tuple[StoppingAdvice, ...]]]:
    """What each stopping rule says about title/abstract screening, as ``records stopping``
    prints it (same function, same defaults): on the team's completed records, and — for a
    reviewer — on their own votes (``--reviewer``). Votes on records still being screened
    never count, so nobody learns another reviewer's blinded vote from it."""
    project = call.workspace.project
    tables = [("the team's completed records", stopping_advice(project, "ta"))]
    if call.role not in (None, "viewer"):
        tables.append(("your own votes", stopping_advice(project, "ta", call.username)))
    return tables
