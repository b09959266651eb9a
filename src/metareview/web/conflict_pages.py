"""Conflicts: the queue, one conflict side by side, and its resolution.

Once a record's required votes are all in they are locked, and the votes, reasons and notes
are shown to the lead and to reviewers who did not vote on it (who may resolve it as the
third reviewer). A reviewer who voted on a conflicted record sees only that it waits for a
resolution. The lead may also record a consensus of named participants.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from metareview.errors import RecordsError
from metareview.records.events import EventKind
from metareview.records.screening import StageState
from metareview.store.review import resolve, screening_config
from metareview.store.reviewer_view import reviewer_view
from metareview.web.screen_pages import STAGE_NAMES, record_id_of, stage_of, terms
from metareview.web.security import SCREENERS, Call, page, render


def _state(call: Call, stage: str) -> StageState:
    config = screening_config(call.workspace.project)
    return StageState.from_events(call.workspace.project.events(), stage, config.reviewers_required)


@page(SCREENERS)
def conflicts(call: Call) -> Response:
    """The conflicts this account may resolve, and those waiting on its own votes."""
    stage = stage_of(call)
    view = reviewer_view(call.workspace.project, call.username, stage)
    lead = call.role == "lead"
    state = _state(call, stage) if lead else None
    resolved = [c for c in state.conflicts() if c.resolution] if state else []
    ids = list(view.conflicts_to_resolve) + list(view.conflicts_on_own_votes)
    stored = call.workspace.project.records(ids + [c.record_id for c in resolved])
    return render(
        call,
        "conflicts.html",
        stage=stage,
        stage_name=STAGE_NAMES[stage],
        to_resolve=[(r, stored[r]) for r in view.conflicts_to_resolve],
        own=[(r, stored[r]) for r in view.conflicts_on_own_votes],
        resolved=[(c, stored[c.record_id]) for c in resolved],
        lead=lead,
    )


def _conflict(call: Call, stage: str, record_id: int):
    state = _state(call, stage)
    found = next((c for c in state.conflicts() if c.record_id == record_id), None)
    if found is None:
        raise HTTPException(404)
    if call.role != "lead" and call.username in found.votes:
        raise HTTPException(403, "you voted on this record: another reviewer resolves it")
    return state, found


def _notes(call: Call, state: StageState, record_id: int) -> dict[str, str]:
    ids = {event_id: who for who, event_id in state.vote_events.get(record_id, {}).items()}
    return {
        ids[e.id]: str(e.data["note"])
        for e in call.workspace.project.events(EventKind.DECISION)
        if e.id in ids and e.data.get("note")
    }


def _show(call: Call, stage: str, record_id: int, message: str = "", status: int = 200):
    state, found = _conflict(call, stage, record_id)
    record = call.workspace.project.records([record_id])[record_id]
    config = screening_config(call.workspace.project)
    return render(
        call,
        "conflict.html",
        status=status,
        stage=stage,
        stage_name=STAGE_NAMES[stage],
        record_id=record_id,
        record=record,
        conflict=found,
        notes=_notes(call, state, record_id),
        reasons=config.exclusion_reasons,
        terms=terms(call),
        message=message,
    )


@page(SCREENERS)
def conflict(call: Call) -> Response:
    """One conflict: the record and the votes, reasons and notes side by side."""
    return _show(call, stage_of(call), record_id_of(call.request.path_params["record_id"]))


@page(SCREENERS)
def resolve_conflict(call: Call) -> Response:
    """Record the final decision (third reviewer, or the lead's consensus of participants)."""
    stage = stage_of(call)
    record_id = record_id_of(call.request.path_params["record_id"])
    _conflict(call, stage, record_id)
    method = call.form.get("method", "third_reviewer")
    if method != "third_reviewer" and call.role != "lead":
        raise HTTPException(403, "only the lead records a consensus")
    participants = [p.strip() for p in call.form.get("participants", "").split(",") if p.strip()]
    try:
        resolve(
            call.workspace.project,
            record_id,
            actor=call.username,
            stage=stage,
            decision=call.form.get("decision", ""),
            method=method,
            reason=call.form.get("reason") or None,
            participants=participants,
        )
    except (RecordsError, ValueError) as err:
        return _show(call, stage, record_id, message=str(err), status=409)
    return RedirectResponse(f"/conflicts?stage={stage}", status_code=303)
