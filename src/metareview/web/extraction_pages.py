"""The studies to extract, the lead's extraction settings (extractors per study, the review's
own fields), and the agreed extraction table as CSV or XLSX.

The studies list shows, per study, who has started and submitted it
(:func:`~metareview.store.extraction.progress`) and the signed-in person's own standing; the
cells that differ are counted only once a study is complete, so nothing here shows a value
before both extractors have submitted. The downloads are written by
:func:`~metareview.store.extraction_export.write_agreed`, as ``records export-extraction``
writes them, so they are the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.responses import Response

from metareview.data.form import CustomField, FieldType, Level
from metareview.errors import ExtractionError
from metareview.store.extraction import (
    StudyProgress,
    add_field,
    add_included_studies,
    add_study,
    compare,
    extraction_form,
    extractors_required,
    progress,
    set_extractors_required,
    studies,
    values_for,
)
from metareview.store.extraction_export import write_agreed
from metareview.web.dashboard_pages import _download
from metareview.web.extraction_form import MAX_TEXT, render
from metareview.web.security import LEAD, MEMBERS, Call, page

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_CHOICES = 100


@dataclass(frozen=True)
class Standing:
    """A study in the list: its progress, and where the signed-in person stands with it."""

    state: StudyProgress
    own: str  #: e.g. "in progress (12 values)", "submitted", "open"
    differences: int | None = None  #: cells that differ (complete studies only)
    open_cells: int | None = None  #: of those, without a consensus


def standing(call: Call, state: StudyProgress) -> Standing:
    """Where the signed-in person stands with a study (no other extractor's values)."""
    who = call.username
    if state.complete:
        found = compare(call.workspace.project, state.study.number).differences
        return Standing(state, "complete", len(found), sum(not d.agreed for d in found))
    if who in state.submitted:
        waiting = state.required - len(state.submitted)
        return Standing(state, f"you submitted; waiting for {waiting} more")
    if who in state.extractors:
        n = len(values_for(call.workspace.project, state.study.number, who))
        return Standing(state, f"you are extracting ({n} value{'s' * (n != 1)})")
    if len(state.extractors) >= state.required:
        return Standing(state, "has its extractors")
    return Standing(state, "open" if call.role != "viewer" else "not started")


def _list_page(call: Call, message: str = "", status: int = 200) -> Response:
    project = call.workspace.project
    rows = [standing(call, progress(project, s.number)) for s in studies(project)]
    return render(
        call,
        "extraction.html",
        status,
        rows=rows,
        lead=call.role == "lead",
        message=message,
        required=extractors_required(project),
    )


@page(MEMBERS)
def study_list(call: Call) -> Response:
    """The studies to extract and each one's standing."""
    return _list_page(call)


@page(LEAD)
def add_included(call: Call) -> Response:
    """Add a study for each study included at full text that has none yet."""
    added = add_included_studies(call.workspace.project, actor=call.username)
    n = len(added)
    if not n:
        return _list_page(call, "No included study without an extraction study.")
    return _list_page(call, f"Added {n} stud{'ies' if n > 1 else 'y'} from screening.")


@page(LEAD)
def add_by_hand(call: Call) -> Response:
    """Add a study by hand (e.g. from a trial register), with a note of where it came from."""
    label = call.form.get("label", "")[:MAX_TEXT]
    note = call.form.get("note", "")[:2000]
    try:
        added = add_study(call.workspace.project, label, actor=call.username, note=note)
    except ExtractionError as err:
        return _list_page(call, str(err), 400)
    return _list_page(call, f"Added study {added.number}: {added.label}.")


def _settings_page(
    call: Call, message: str = "", typed: dict[str, str] | None = None, status: int = 200
) -> Response:
    project = call.workspace.project
    return render(
        call,
        "extraction_settings.html",
        status,
        required=extractors_required(project),
        custom=extraction_form(project).custom,
        levels=[Level.STUDY.value, Level.ROW.value],
        types=[t.value for t in FieldType],
        typed=typed or {},
        message=message,
    )


@page(LEAD)
def settings(call: Call) -> Response:
    """Extractors per study, and the form template: the review's own fields."""
    return _settings_page(call)


@page(LEAD)
def save_extractors(call: Call) -> Response:
    """Set 1 or 2 extractors per study (refused once a value has been entered)."""
    wanted = call.form.get("extractors", "")
    try:
        if wanted not in ("1", "2"):
            raise ExtractionError(f"extractors per study must be 1 or 2; got {wanted[:20]!r}")
        set_extractors_required(call.workspace.project, int(wanted), actor=call.username)
    except ExtractionError as err:
        return _settings_page(call, str(err), status=409)
    return _settings_page(call, f"Extractors per study: {wanted}.")


@page(LEAD)
def add_custom_field(call: Call) -> Response:
    """Add a review-specific field (text, number, one of a list, yes/no) at the study or row
    level; it becomes a moderator column of the table."""
    names = ("key", "label", "level", "type", "choices")
    typed = {
        k: call.form.get(k, "")[: 20 * MAX_TEXT if k == "choices" else MAX_TEXT] for k in names
    }
    choices = [c.strip() for c in typed["choices"].replace(",", "\n").splitlines() if c.strip()]
    try:
        if len(choices) > MAX_CHOICES:
            raise ValueError(f"a choice field takes at most {MAX_CHOICES} choices")
        custom = CustomField(
            typed["key"].strip(),
            typed["level"],
            typed["type"],
            typed["label"].strip(),
            tuple(choices),
        )
        add_field(call.workspace.project, custom, actor=call.username)
    except ValueError as err:  # also ExtractionError: a key the form has already
        return _settings_page(call, str(err), typed, status=400)
    return _settings_page(call, f"Field {custom.key!r} added.")


@page(LEAD)
def export(call: Call) -> Response:
    """The agreed extraction table as CSV or XLSX (``?partial=1``: the agreed studies even
    while others are not), as ``records export-extraction`` writes it."""
    fmt = call.request.path_params["fmt"]
    if fmt not in MEDIA:
        raise HTTPException(404)
    partial = call.query("partial") == "1"
    try:
        return _download(
            call,
            lambda project, path: write_agreed(project, path, partial=partial),
            f"extraction.{fmt}",
            MEDIA[fmt],
        )
    except ExtractionError as err:
        raise HTTPException(409, str(err)) from None
