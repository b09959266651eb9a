"""Possible duplicates, side by side with their differences marked; the lead merges them or
keeps them apart, and can undo either (every decision is an event, as ``records dedup
--review`` logs it)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from metareview.errors import RecordsError
from metareview.records.duplicate_log import DuplicateState
from metareview.records.record import Record
from metareview.store.duplicate_review import (
    duplicate_decisions,
    pending_pair,
    undo_duplicate_decision,
)
from metareview.store.review import decide_duplicate, deduplicate_project
from metareview.web.screen_pages import record_id_of
from metareview.web.security import LEAD, Call, page, render

FIELDS = ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid",
          "abstract", "source_database", "source_file")  # fmt: skip


def _shown(record: Record, name: str) -> str:
    value = getattr(record, name)
    if isinstance(value, tuple):
        return "; ".join(value)
    return "" if value is None else str(value)


def comparison(first: Record, second: Record) -> list[tuple[str, str, str, bool]]:
    """Field by field: (field, first's value, second's value, whether they differ)."""
    rows = []
    for name in FIELDS:
        a, b = _shown(first, name), _shown(second, name)
        differ = " ".join(a.casefold().split()) != " ".join(b.casefold().split())
        rows.append((name.replace("_", " "), a, b, differ))
    return rows


@page(LEAD)
def duplicates(call: Call) -> Response:
    """The queue of possible duplicates and the decisions so far (each can be undone)."""
    project = call.workspace.project
    state = DuplicateState.from_events(project.events())
    pairs = state.maybe[:50]
    stored = project.records({i for p in pairs for i in (p.record_id, p.of)})
    shown = [(p, comparison(stored[p.of], stored[p.record_id])) for p in pairs]
    return render(
        call,
        "duplicates.html",
        pairs=shown,
        waiting=len(state.maybe),
        decisions=duplicate_decisions(project)[:100],
        removed=len(state.removed),
    )


def _pair(call: Call) -> tuple[int, int]:
    return (
        record_id_of(call.request.path_params["record_id"]),
        record_id_of(call.request.path_params["of"]),
    )


@page(LEAD)
def decide(call: Call) -> Response:
    """Merge a waiting pair (``duplicate``) or keep it apart (``different``)."""
    record_id, of = _pair(call)
    project = call.workspace.project
    if not pending_pair(project, record_id, of):
        raise HTTPException(404)
    action = call.form.get("action")
    if action not in ("duplicate", "different"):
        raise HTTPException(400, "action must be duplicate or different")
    decide_duplicate(project, record_id, of, actor=call.username, duplicate=action == "duplicate")
    return RedirectResponse("/duplicates", status_code=303)


@page(LEAD)
def undo(call: Call) -> Response:
    """Undo a pair's decision (a merge is kept apart; a kept-apart pair waits again)."""
    record_id, of = _pair(call)
    try:
        undo_duplicate_decision(call.workspace.project, record_id, of, actor=call.username)
    except RecordsError:
        raise HTTPException(404) from None
    return RedirectResponse("/duplicates", status_code=303)


@page(LEAD)
def find(call: Call) -> Response:
    """Run the deduplication again (after imports; decisions made by people are kept)."""
    deduplicate_project(call.workspace.project, actor=call.username)
    return RedirectResponse("/duplicates", status_code=303)
