"""The workspace application: its routes, error pages and lifetime.

>>> from starlette.testclient import TestClient
>>> from metareview.store.project import Project
>>> app = create_app(Project.open("sqlite://"))
>>> with TestClient(app) as client:
...     response = client.get("/login")
>>> response.status_code, "script-src 'self'" in response.headers["content-security-policy"]
(200, True)
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from metareview.store.project import Project
from metareview.web import (
    analysis_pages,
    auth_pages,
    conflict_pages,
    dashboard_pages,
    duplicate_pages,
    extraction_consensus,
    extraction_form,
    extraction_pages,
    full_text_pages,
    grade_pages,
    import_pages,
    lead_pages,
    rob_compare,
    rob_pages,
    run_pages,
    screen_pages,
)
from metareview.web.workspace import STATIC, Workspace

GET, POST = ["GET"], ["POST"]


def routes() -> list[BaseRoute]:
    """Every route of the workspace (the security tests walk this list)."""
    return [
        Route("/", lead_pages.home, methods=GET),
        Route("/login", auth_pages.login_form, methods=GET),
        Route("/login", auth_pages.login, methods=POST),
        Route("/logout", auth_pages.logout, methods=POST),
        Route("/join", auth_pages.join_form, methods=GET),
        Route("/join", auth_pages.join, methods=POST),
        Route("/dashboard", lead_pages.dashboard, methods=GET),
        Route("/dashboard/prisma.svg", dashboard_pages.prisma_diagram, methods=GET),
        Route("/exports/prisma.csv", dashboard_pages.prisma_csv, methods=GET),
        Route("/exports/votes.csv", dashboard_pages.votes_csv, methods=GET),
        Route("/exports/log.jsonl", dashboard_pages.log_jsonl, methods=GET),
        Route("/exports/included.{kind}", dashboard_pages.included_records, methods=GET),
        Route("/settings", lead_pages.settings_form, methods=GET),
        Route("/settings", lead_pages.save_settings, methods=POST),
        Route("/members", lead_pages.members, methods=GET),
        Route("/members/invite", lead_pages.invite, methods=POST),
        Route("/members/{username}", lead_pages.change_member, methods=POST),
        Route("/import", import_pages.import_form, methods=GET),
        Route("/import", import_pages.import_files, methods=POST),
        Route("/duplicates", duplicate_pages.duplicates, methods=GET),
        Route("/duplicates/find", duplicate_pages.find, methods=POST),
        Route("/duplicates/{record_id}/{of}", duplicate_pages.decide, methods=POST),
        Route("/duplicates/{record_id}/{of}/undo", duplicate_pages.undo, methods=POST),
        Route("/screen", screen_pages.screen, methods=GET),
        Route("/screen/vote", screen_pages.cast_vote, methods=POST),
        Route("/screen/undo", screen_pages.undo, methods=POST),
        Route("/screen/not-retrieved", screen_pages.not_retrieved, methods=POST),
        Route("/screen/awaiting", screen_pages.awaiting, methods=GET),
        Route("/screen/full-text", full_text_pages.upload, methods=POST),
        Route("/full-texts/{file_id}", full_text_pages.show, methods=GET),
        Route("/conflicts", conflict_pages.conflicts, methods=GET),
        Route("/conflicts/{record_id}", conflict_pages.conflict, methods=GET),
        Route("/conflicts/{record_id}/resolve", conflict_pages.resolve_conflict, methods=POST),
        Route("/analysis", analysis_pages.analysis, methods=GET),
        Route("/analysis/plan", analysis_pages.save_form, methods=POST),
        Route("/analysis/plan/toml", analysis_pages.save_toml, methods=POST),
        Route("/analysis/run", analysis_pages.start, methods=POST),
        Route("/analysis/runs/{run_id}", run_pages.run_page, methods=GET),
        Route("/analysis/runs/{run_id}/progress", run_pages.progress, methods=GET),
        Route("/analysis/runs/{run_id}/files/{path:path}", run_pages.served_file, methods=GET),
        Route("/analysis/compare", run_pages.compare, methods=GET),
        Route("/analysis/studies/{number}", run_pages.study_cells, methods=GET),
        Route("/rob", rob_pages.overview, methods=GET),
        Route("/rob/settings", rob_pages.save_settings, methods=POST),
        Route("/rob/assess", rob_pages.assess_form, methods=GET),
        Route("/rob/assess", rob_pages.save_answers, methods=POST),
        Route("/rob/submit", rob_pages.submit, methods=POST),
        Route("/rob/compare", rob_compare.comparison, methods=GET),
        Route("/rob/agree", rob_compare.agree, methods=POST),
        Route("/rob/robvis.csv", rob_pages.robvis_csv, methods=GET),
        Route("/rob/details.csv", rob_pages.details_csv, methods=GET),
        Route("/rob/figure.svg", rob_pages.figure, methods=GET),
        Route("/grade", grade_pages.grade_page, methods=GET),
        Route("/grade/decide", grade_pages.record_decision, methods=POST),
        Route("/grade/withdraw", grade_pages.withdraw_decision, methods=POST),
        Route("/extraction", extraction_pages.study_list, methods=GET),
        Route("/extraction/studies/included", extraction_pages.add_included, methods=POST),
        Route("/extraction/studies", extraction_pages.add_by_hand, methods=POST),
        Route("/extraction/settings", extraction_pages.settings, methods=GET),
        Route("/extraction/settings/extractors", extraction_pages.save_extractors, methods=POST),
        Route("/extraction/settings/fields", extraction_pages.add_custom_field, methods=POST),
        Route("/extraction/export.{fmt}", extraction_pages.export, methods=GET),
        Route("/extraction/{study}", extraction_form.study, methods=GET),
        Route("/extraction/{study}/fields", extraction_form.fields, methods=GET),
        Route("/extraction/{study}/cell", extraction_form.save_cell, methods=POST),
        Route("/extraction/{study}/save", extraction_form.save_section, methods=POST),
        Route("/extraction/{study}/rows", extraction_form.add_row, methods=POST),
        Route("/extraction/{study}/submit", extraction_form.submit_study, methods=POST),
        Route("/extraction/{study}/compare", extraction_consensus.comparison, methods=GET),
        Route("/extraction/{study}/agree", extraction_consensus.record_consensus, methods=POST),
        Route("/extraction/{study}/history", extraction_consensus.history, methods=GET),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]


TITLES = {401: "Sign in first", 403: "Not allowed", 404: "Not found", 405: "Not allowed",
          409: "Conflict", 413: "Too large", 429: "Too many attempts"}  # fmt: skip


async def _error(request: Request, exc: Exception) -> Response:
    """An error as a small page (or plain text for htmx and form posts); never a traceback."""
    workspace: Workspace = request.app.state.workspace
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", "")
    detail = detail if detail and detail != TITLES.get(status) else ""
    if request.headers.get("hx-request") == "true" or request.method != "GET":
        return PlainTextResponse(detail or TITLES.get(status, "error"), status)
    values: dict[str, Any] = {
        "account": None,
        "csrf_token": "",
        "path": request.url.path,
        "title": TITLES.get(status, "Error"),
        "message": detail or "There is nothing here for you.",
    }
    return workspace.templates.TemplateResponse(request, "message.html", values, status_code=status)


def create_app(
    project: Project,
    *,
    analysis_jobs: int = 1,
    ranking_process: bool = False,
    analysis_process: bool = True,
    server_timing: bool = False,
) -> Starlette:
    """The workspace serving ``project`` (closed when the application shuts down);
    ``analysis_jobs``: worker processes of an analysis run, which executes in a child process
    unless ``analysis_process`` is false (a project in memory: always on a thread); with
    ``ranking_process``, active
    learning trains in a child process (as ``metareview serve`` does), not on a thread of this
    one; with ``server_timing``, responses say how long they took
    (:mod:`metareview.web.timing`)."""
    from metareview.web.security import SecurityHeaders

    workspace = Workspace(
        project,
        analysis_jobs=analysis_jobs,
        ranking_process=ranking_process,
        analysis_process=analysis_process,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        workspace.close()

    app = Starlette(
        routes=routes(),
        exception_handlers={HTTPException: _error},
        lifespan=lifespan,
    )
    app.state.workspace = workspace
    app.add_middleware(SecurityHeaders, server_timing=server_timing)
    return app
