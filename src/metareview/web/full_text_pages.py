"""Full texts: a screener uploads a record's PDF, and reads it inline in the browser.

The file is checked and stored by :mod:`metareview.store.full_texts` (a PDF by its first
bytes, at most 50 MB, with its SHA-256). It is served as ``application/pdf`` with
``Content-Disposition: inline``, ``X-Content-Type-Options: nosniff`` and a Content-Security-
Policy of its own that lets the browser's PDF viewer show it in the workspace's frame and
nothing else run. A file id the project does not hold is a 404; viewers may not read them.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from metareview.errors import RecordsError
from metareview.records.screening import Stage
from metareview.store.full_texts import (
    MAX_FULL_TEXT_BYTES,
    add_full_text,
    full_text,
    full_text_content,
)
from metareview.store.reviewer_view import reviewer_view
from metareview.web.screen_pages import card, record_id_of
from metareview.web.security import SCREENERS, Call, page

#: The PDF response's own policy: the browser's viewer may render it inside the workspace's
#: frame (``object-src 'self'``, framed by the workspace only); no script, style or form.
PDF_POLICY = "; ".join(
    ["default-src 'none'", "object-src 'self'", "frame-ancestors 'self'", "base-uri 'none'",
     "form-action 'none'"]
)  # fmt: skip


@page(SCREENERS, max_upload_mb=MAX_FULL_TEXT_BYTES // 2**20)
def upload(call: Call) -> Response:
    """Store a PDF as the full text of a record at the full-text stage; show the record."""
    record_id = record_id_of(call.form.get("record_id", ""))
    project = call.workspace.project
    view = reviewer_view(project, call.username, Stage.FULL_TEXT.value, show=(record_id,))
    if record_id not in view.pool:
        raise HTTPException(404)
    if not call.files:
        return card(call, view, record_id, message="Choose a PDF file first.", status=400)
    filename, content = call.files[0]
    try:
        add_full_text(project, record_id, content, filename=filename, actor=call.username)
    except RecordsError as err:
        return card(call, view, record_id, message=str(err), status=400)
    return RedirectResponse(f"/screen?stage=ft&record={record_id}", status_code=303)


@page(SCREENERS)
def show(call: Call) -> Response:
    """The PDF itself, shown inline."""
    file_id = record_id_of(call.request.path_params["file_id"])
    project = call.workspace.project
    stored = full_text(project, file_id)
    if stored is None:
        raise HTTPException(404)
    return Response(
        full_text_content(project, file_id),
        media_type="application/pdf",
        headers={
            "content-disposition": f'inline; filename="record-{stored.record_id}.pdf"',
            "content-security-policy": PDF_POLICY,
            "x-content-type-options": "nosniff",
        },
    )
