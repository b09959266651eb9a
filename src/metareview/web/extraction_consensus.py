"""A complete study's comparison, the consensus on each cell that differs, and a cell's history.

The comparison lists every cell the extractors gave differently, side by side, with the
consensus value if one is recorded and who agreed it; below it, every agreed value of the
study by row, each linked to its history (who entered what, and what was agreed by whom).
All of it comes from :func:`~metareview.store.extraction.compare`,
:func:`~metareview.store.extraction.agreed_values` and
:func:`~metareview.store.extraction.cell_history`, which refuse (or, for the history, show
only the viewer's own entries) until every extractor has submitted the study.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from metareview.data.form import Cell
from metareview.errors import DataError, ExtractionError
from metareview.store.extraction import (
    Difference,
    HistoryEntry,
    StudyProgress,
    agree,
    agreed_values,
    cell_history,
    compare,
)
from metareview.web.extraction_form import (
    MAX_VALUE,
    Draft,
    anchor,
    parse_cell,
    render,
    row_anchor,
    shown,
    study_of,
)
from metareview.web.security import MEMBERS, SCREENERS, Call, page


def history_url(number: int, cell: Cell) -> str:
    """The page of a cell's history.

    >>> history_url(3, Cell("country"))
    '/extraction/3/history?cell=%5B%22study%22%2C%20%22country%22%5D'
    """
    return f"/extraction/{number}/history?cell={quote(cell.code, safe='')}"


@dataclass(frozen=True)
class DifferenceView:
    difference: Difference
    consensus: HistoryEntry | None  #: the latest consensus, if any
    typed: str  #: what the consensus form shows
    message: str = ""

    @property
    def id(self) -> str:
        return anchor(self.difference.cell.code)


def _latest_consensus(entries: tuple[HistoryEntry, ...]) -> HistoryEntry | None:
    agreed = [e for e in entries if e.kind == "consensus"]
    return agreed[-1] if agreed else None


def may_agree(call: Call, state: StudyProgress) -> bool:
    """The lead and the study's extractors record consensus values."""
    return call.role == "lead" or call.username in state.extractors


def _page(call: Call, state: StudyProgress, draft: Draft | None = None, status: int = 200):
    draft = draft or Draft()
    project, number = call.workspace.project, state.study.number
    try:
        found = compare(project, number)
        agreed = agreed_values(project, number)
    except ExtractionError as err:
        raise HTTPException(409, str(err)) from None
    views = []
    for d in found.differences:
        history = cell_history(project, number, d.cell, viewer=call.username)
        typed = draft.typed.get(d.cell, shown(d.agreed_value) if d.agreed else "")
        views.append(
            DifferenceView(d, _latest_consensus(history), typed, draft.messages.get(d.cell, ""))
        )
    differing = {d.cell for d in found.differences}
    sections: dict[str, list[tuple[Cell, Any, bool]]] = {}
    ids: dict[str, str] = {}
    for cell, value in agreed.values.items():
        title = cell.row.label() if cell.row else (f"Arm {cell.arm}" if cell.arm else "Study")
        ids.setdefault(title, row_anchor(cell.row) if cell.row else anchor(title))
        sections.setdefault(title, []).append((cell, value, cell in differing))
    return render(
        call,
        "extraction_compare.html",
        status,
        study=state.study,
        state=state,
        differences=views,
        sections=[(title, ids[title], cells) for title, cells in sections.items()],
        unresolved=len(agreed.unresolved),
        can_agree=may_agree(call, state),
        history_url=history_url,
        shown=shown,
    )


@page(MEMBERS)
def comparison(call: Call) -> Response:
    """Every cell that differs, side by side, with the consensus form (for those who may
    agree); then every agreed value (409 until all extractors have submitted the study).
    Viewers read it too: the store refuses it before the study is complete."""
    return _page(call, study_of(call))


@page(SCREENERS)
def record_consensus(call: Call) -> Response:
    """Record the agreed value of a cell, who recorded it and who agreed it (the lead or one
    of the study's extractors); a wrong value stays in the form with its message."""
    state = study_of(call)
    if not may_agree(call, state):
        raise HTTPException(403, "the lead or the study's extractors record a consensus")
    cell = parse_cell(call.form.get("cell", ""))
    typed = call.form.get("value", "")[:MAX_VALUE]
    agreed_by = list(dict.fromkeys(call.lists.get("agreed_by", [])))
    allowed = {*state.extractors, call.username}
    if any(name not in allowed for name in agreed_by):
        raise HTTPException(400, "those who agree are the study's extractors and you")
    try:
        agree(
            call.workspace.project,
            state.study.number,
            cell,
            typed,
            actor=call.username,
            agreed_by=agreed_by,
            note=call.form.get("note", "")[:2000],
        )
    except DataError as err:
        draft = Draft()
        draft.add(cell, typed, err.problems[0].message if err.problems else str(err))
        return _page(call, state, draft, status=400)
    except ExtractionError as err:
        raise HTTPException(409, str(err)) from None
    target = f"/extraction/{state.study.number}/compare#{anchor(cell.code)}"
    return RedirectResponse(target, status_code=303)


@page(MEMBERS)
def history(call: Call) -> Response:
    """Who entered what in a cell and what was agreed by whom (before the study is complete:
    only the reader's own entries, so nothing for a viewer)."""
    state = study_of(call)
    cell = parse_cell(call.query("cell"))
    entries = cell_history(call.workspace.project, state.study.number, cell, viewer=call.username)
    return render(
        call,
        "extraction_history.html",
        study=state.study,
        state=state,
        cell=cell,
        entries=entries,
        shown=shown,
    )
