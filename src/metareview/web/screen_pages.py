"""Screening, one record at a time: the record, the vote, undo, and the reviewer's queues.

Everything shown comes from :func:`~metareview.store.reviewer_view.reviewer_view`, which holds
only the reviewer's own votes and counts of locked records, so no page or fragment here can
reveal another reviewer's vote before a record's votes are complete. The view asked for shows
the reviewer's own vote on the record the card shows (``show``).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from metareview.errors import RecordsError, StoreError
from metareview.records.screening import Stage
from metareview.store.full_texts import latest_full_text
from metareview.store.review import mark_retrieval, screening_config, undo_vote, vote
from metareview.store.reviewer_view import ReviewerView, reviewer_view
from metareview.web.security import LEAD, SCREENERS, Call, page, render

STAGE_NAMES = {Stage.TITLE_ABSTRACT.value: "Title/abstract", Stage.FULL_TEXT.value: "Full text"}


def stage_of(call: Call) -> str:
    """The stage a request names (``ta`` unless ``ft``); anything else is a 404."""
    stage = call.form.get("stage") or call.query("stage", "ta")
    if stage not in STAGE_NAMES:
        raise HTTPException(404)
    return stage


def record_id_of(value: str) -> int:
    """A record id from a URL or form (a 404 for anything that is not one)."""
    if not value.isdigit() or len(value) > 12:
        raise HTTPException(404)
    return int(value)


def terms(call: Call) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The lead's include and exclude terms, highlighted in two colours."""
    config = screening_config(call.workspace.project)
    return config.highlight_include, config.highlight_exclude


def view_of(call: Call, stage: str, show: tuple[int, ...] = ()) -> ReviewerView:
    """The reviewer's view (with their own votes on ``show``), its queue ordered by their
    latest active-learning ranking (refreshed in the background when there is none yet, or
    when the latest failed: a reviewer with no vote left to cast would otherwise keep it)."""
    rankings = call.workspace.rankings
    order = rankings.order(call.username, stage)
    if order is None or rankings.failure(call.username, stage) is not None:
        rankings.refresh(call.username, stage)
    project = call.workspace.project
    return reviewer_view(project, call.username, stage, order=order or (), show=show)


def _next_record(view: ReviewerView) -> int | None:
    return view.next_up[0] if view.next_up else None


def _next_card(call: Call, stage: str, message: str = "", status: int = 200) -> Response:
    """The card of the next record in the reviewer's queue (which they have not voted on)."""
    view = view_of(call, stage)
    return card(call, view, _next_record(view), message=message, status=status)


def card(call: Call, view: ReviewerView, record_id: int | None, message: str = "", status=200):
    """The screening card of a record (the whole page, or the fragment htmx swaps in); the
    view shows the reviewer's own vote on it, if any (``show``), and why their latest ranking
    failed, if it did (their own only)."""
    record = call.workspace.project.records([record_id])[record_id] if record_id else None
    pdf = None
    if record_id and view.stage == Stage.FULL_TEXT.value:
        pdf = latest_full_text(call.workspace.project, record_id)
    return render(
        call,
        "_card.html" if call.htmx else "screen.html",
        status,
        view=view,
        stage_name=STAGE_NAMES[view.stage],
        record_id=record_id,
        record=record,
        own_vote=view.own[record_id].vote if record_id in view.own else None,
        own_note=view.own[record_id].note if record_id in view.own else "",
        pdf=pdf,
        terms=view.highlight,
        message=message,
        ranking_failure=call.workspace.rankings.failure(call.username, view.stage),
    )


@page(SCREENERS)
def screen(call: Call) -> Response:
    """The next record to screen (or, with ``?record=ID``, one of the reviewer's own)."""
    stage = stage_of(call)
    wanted = call.query("record")
    if not wanted:
        return _next_card(call, stage)
    record_id = record_id_of(wanted)
    view = view_of(call, stage, show=(record_id,))
    todo = call.workspace.project.log().is_todo(stage, call.username, record_id)
    if not todo and record_id not in view.own:
        raise HTTPException(404)
    return card(call, view, record_id)


@page(SCREENERS)
def cast_vote(call: Call) -> Response:
    """Record the reviewer's vote and show the next record."""
    stage = stage_of(call)
    record_id = record_id_of(call.form.get("record_id", ""))
    project = call.workspace.project
    if record_id not in project.log().pool_set(stage):
        raise HTTPException(404)
    try:
        vote(
            project,
            record_id,
            reviewer=call.username,
            stage=stage,
            decision=call.form.get("decision", ""),
            reason=call.form.get("reason") or None,
            note=call.form.get("note", "")[:5000] or None,
        )
    except (RecordsError, StoreError, ValueError) as err:  # StoreError: e.g. a NUL in the note
        view = view_of(call, stage, show=(record_id,))
        return card(call, view, record_id, message=str(err), status=409)
    call.workspace.rankings.refresh(call.username, stage)
    if not call.htmx:
        return RedirectResponse(f"/screen?stage={stage}", status_code=303)
    return _next_card(call, stage)


@page(SCREENERS)
def undo(call: Call) -> Response:
    """Withdraw the reviewer's latest vote that is not yet locked; show that record again."""
    stage = stage_of(call)
    project = call.workspace.project
    try:
        event = undo_vote(project, reviewer=call.username, stage=stage)
    except RecordsError as err:
        return _next_card(call, stage, message=str(err), status=409)
    call.workspace.rankings.refresh(call.username, stage)
    if not call.htmx:
        return RedirectResponse(f"/screen?stage={stage}&record={event.record_id}", status_code=303)
    view = view_of(call, stage, show=(event.record_id,))
    return card(call, view, event.record_id, message="Vote withdrawn.")


@page(SCREENERS)
def awaiting(call: Call) -> Response:
    """The reviewer's votes on records still waiting for another reviewer."""
    stage = stage_of(call)
    view = reviewer_view(call.workspace.project, call.username, stage, show_awaiting=True)
    stored = call.workspace.project.records(view.awaiting_others)
    rows = [(r, stored[r], view.own[r].vote) for r in view.awaiting_others]
    return render(call, "awaiting.html", view=view, rows=rows, stage_name=STAGE_NAMES[stage])


@page(LEAD)
def not_retrieved(call: Call) -> Response:
    """The lead records that a record's full text could not be retrieved (PRISMA's "reports not
    retrieved"); it leaves the full-text queue."""
    record_id = record_id_of(call.form.get("record_id", ""))
    project = call.workspace.project
    view = reviewer_view(project, call.username, Stage.FULL_TEXT.value, show=(record_id,))
    if record_id not in view.pool:
        raise HTTPException(404)
    try:
        mark_retrieval(project, record_id, actor=call.username, status="not_retrieved")
    except (RecordsError, ValueError) as err:
        return card(call, view, record_id, message=str(err), status=409)
    return RedirectResponse("/screen?stage=ft", status_code=303)
