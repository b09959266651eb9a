"""Extracting one study: the form, each value checked and saved as it is typed, arms and rows
added, and the extractor's submission.

Every value shown comes from :func:`~metareview.store.extraction.values_for` (the viewer's own
values, read by a query limited to them) and :func:`~metareview.store.extraction.progress`
(who has started and submitted, never a value), so no page or fragment here shows another
extractor's values. Each value is checked by the library (:func:`~metareview.store.extraction.enter`
refuses a wrong value with the message ``metareview validate`` gives); a wrong value is never
stored but stays in its field with that message, and the good values posted with it are saved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from metareview.data.field_check import check_cells, check_row, is_empty
from metareview.data.form import Cell, FieldType, Form, FormField, Level, RowKey
from metareview.data.standard import DATA_GROUPS
from metareview.errors import DataError, ExtractionError
from metareview.store.extraction import (
    StudyProgress,
    enter,
    extraction_form,
    progress,
    submit,
    values_for,
)
from metareview.web.security import SCREENERS, Call, page, render

MAX_ARMS, MAX_TEXT, MAX_VALUE = 12, 200, 2000
GROUPS = {group.name: group for group in DATA_GROUPS}
GROUP_COLUMNS = {column for group in DATA_GROUPS for column in group.columns}
DEFAULT_GROUP = "means"


def study_number(text: str) -> int:
    """A study number from a URL (a 404 for anything that is not one)."""
    if not text.isdigit() or len(text) > 9:
        raise HTTPException(404)
    return int(text)


def study_of(call: Call) -> StudyProgress:
    """The study the URL names and who has started and submitted it (404 if there is none)."""
    number = study_number(call.request.path_params["study"])
    try:
        return progress(call.workspace.project, number)
    except ExtractionError:
        raise HTTPException(404) from None


def parse_cell(code: str) -> Cell:
    """A cell from its code as a form posts it (400 for anything that is not a cell).

    >>> parse_cell('["arm", 2, "condition"]')
    Cell(field='condition', arm=2, row=None)
    >>> parse_cell('["arm", "2", "condition"]')
    Traceback (most recent call last):
    starlette.exceptions.HTTPException: 400: not a cell of the form
    """
    try:
        parts = json.loads(code) if len(code) <= 4 * MAX_TEXT else None
        if not isinstance(parts, list) or not all(isinstance(p, (str, int)) for p in parts):
            raise ValueError(code)
        texts = [p for p in parts if isinstance(p, str)]
        if any(len(p) > MAX_TEXT for p in texts):
            raise ValueError(code)
        shape = {
            "study": (str, str),
            "arm": (str, int, str),
            "row": (str, int, int, str, str, str, str),
        }[parts[0]]
        if len(parts) != len(shape) or any(type(p) is not t for p, t in zip(parts, shape)):
            raise ValueError(code)
        cell = Cell.from_code(code)
    except (ValueError, KeyError, TypeError, IndexError):
        raise HTTPException(400, "not a cell of the form") from None
    arms = [cell.arm] if cell.arm is not None else []
    arms += [cell.row.arm1, cell.row.arm2] if cell.row is not None else []
    if any(arm > MAX_ARMS for arm in arms):
        raise HTTPException(400, f"a study has at most {MAX_ARMS} arms here")
    return cell


def known(form: Form, cell: Cell) -> FormField:
    """The field of ``cell`` (400 if the form has none)."""
    try:
        return form.field_of(cell)
    except ValueError as err:
        raise HTTPException(400, str(err)) from None


def anchor(code: str) -> str:
    """A short HTML id for a cell or a row (from its code)."""
    return "x" + hashlib.sha1(code.encode("utf-8")).hexdigest()[:12]


def row_code(row: RowKey) -> str:
    """A row's code: the code of its cells without the field."""
    return json.dumps(
        ["row", row.arm1, row.arm2, row.outcome, row.time, row.instrument], ensure_ascii=False
    )


def row_of(code: str) -> RowKey:
    """A row from its code (400 for anything else).

    >>> row_of(row_code(RowKey(1, 2, "hope", "post"))) == RowKey(1, 2, "hope", "post")
    True
    """
    try:
        parts = json.loads(code) if len(code) <= 4 * MAX_TEXT else None
    except ValueError:
        parts = None
    if not isinstance(parts, list) or not parts or parts[0] != "row":
        raise HTTPException(400, "not a row of the form")
    row = parse_cell(json.dumps([*parts, "outcome_type"], ensure_ascii=False)).row
    assert row is not None
    return row


def row_anchor(row: RowKey) -> str:
    """The id of a row's section on the study page and in the comparison (for links to it)."""
    return anchor(row_code(row))


def shown(value: Any) -> str:
    """A stored value as its field shows it (whole numbers without '.0').

    >>> shown(40.0), shown(0.1 + 0.2), shown("UK"), shown(None)
    ('40', '0.30000000000000004', 'UK', '')
    """
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


@dataclass
class FieldView:
    """One field as the page shows it: its cell, rule, text, and messages."""

    cell: Cell
    spec: FormField
    text: str
    message: str = ""  #: the value's own problem (the value is then not stored)
    row_message: str = ""  #: a rule across the row's columns (events above their total)

    @property
    def name(self) -> str:
        return self.cell.code

    @property
    def id(self) -> str:
        return anchor(self.cell.code)

    @property
    def options(self) -> list[str]:
        """The choices of a one-of-a-list or yes/no field (the typed text kept if not one)."""
        if self.spec.type == FieldType.CHOICE:
            options = ["", *self.spec.choices]
        elif self.spec.type == FieldType.YES_NO:
            options = ["", "yes", "no"]
        else:
            return []
        return options if self.text in options else [*options, self.text]


@dataclass
class RowView:
    key: RowKey
    group: str
    fields: list[FieldView]
    incomplete: str = ""

    @property
    def id(self) -> str:
        return row_anchor(self.key)

    @property
    def code(self) -> str:
        return row_code(self.key)


@dataclass
class Draft:
    """What a request typed that was not stored: each wrong value with its message."""

    typed: dict[Cell, str] = field(default_factory=dict)
    messages: dict[Cell, str] = field(default_factory=dict)

    def add(self, cell: Cell, text: str, message: str) -> None:
        self.typed[cell], self.messages[cell] = text, message


def _field(form: Form, cell: Cell, own: Mapping[Cell, Any], draft: Draft) -> FieldView:
    spec = form.field_of(cell)
    if cell in draft.typed:
        return FieldView(cell, spec, draft.typed[cell], draft.messages[cell])
    return FieldView(cell, spec, shown(own.get(cell)))


def group_of(values: Iterable[str]) -> str:
    """The data group a row's filled columns belong to most (means while none is filled).

    >>> group_of(["event_arm1", "totaln_arm1", "time_weeks"]), group_of([])
    ('events', 'means')
    """
    filled = set(values) & GROUP_COLUMNS
    best = max(DATA_GROUPS, key=lambda g: len(filled & set(g.columns)))
    return best.name if filled & set(best.columns) else DEFAULT_GROUP


def row_fields(form: Form, group: str, filled: Iterable[str]) -> list[str]:
    """The fields a row shows: its data group's, any other filled one, the row's settings,
    and the review's own row fields.

    >>> row_fields(Form.standard(), "yi_vi", ["sei"])
    ['yi', 'vi', 'sei', 'outcome_type', 'time_weeks', 'rating', 'ci_level', 'higher_is_better']
    """
    filled = set(filled)
    keys = [f.key for f in form.fields(Level.ROW)]
    wanted = set(GROUPS[group].columns) | filled
    chosen = [k for k in GROUPS[group].columns]
    chosen += [k for k in keys if k in wanted and k not in chosen and k in GROUP_COLUMNS]
    chosen += [k for k in keys if k not in GROUP_COLUMNS]
    return chosen


def row_view(form: Form, key: RowKey, own: Mapping[Cell, Any], draft: Draft, group: str = ""):
    """One row's fields with their values, messages and the cross-column rules."""
    stored = {c.field: v for c, v in own.items() if c.row == key}
    typed = {c.field for c in draft.typed if c.row == key}
    group = group if group in GROUPS else group_of([*stored, *typed])
    views = [
        _field(form, Cell(k, row=key), own, draft)
        for k in row_fields(form, group, [*stored, *typed])
    ]
    checked = check_row(form, stored)
    for view in views:
        view.row_message = checked.messages.get(view.cell.field, "")
    return RowView(key, group, views, checked.incomplete or "")


def rows_of(own: Mapping[Cell, Any], draft: Draft) -> list[RowKey]:
    """The rows of the extractor's values and of what was just typed, in order entered."""
    return list(dict.fromkeys(c.row for c in [*own, *draft.typed] if c.row is not None))


def can_edit(state: StudyProgress, who: str) -> bool:
    """Whether ``who`` may enter values of the study now."""
    if who in state.submitted:
        return False
    return who in state.extractors or len(state.extractors) < state.required


def study_page(
    call: Call,
    state: StudyProgress,
    draft: Draft | None = None,
    *,
    message: str = "",
    problems: Iterable[str] = (),
    groups: Mapping[RowKey, str] | None = None,
    typed_row: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The extraction form of a study for the signed-in person (their own values only)."""
    draft = draft or Draft()
    project = call.workspace.project
    number = state.study.number
    form = extraction_form(project)
    own = values_for(project, number, call.username)
    used = [c.arm for c in [*own, *draft.typed] if c.arm is not None]
    used += [a for c in [*own, *draft.typed] if c.row for a in (c.row.arm1, c.row.arm2)]
    wanted = call.query("arms")
    arms = max([2, *used, int(wanted) if wanted.isdigit() and len(wanted) < 3 else 0])
    arms = min(arms, MAX_ARMS)
    groups = groups or {}
    rows = [row_view(form, key, own, draft, groups.get(key, "")) for key in rows_of(own, draft)]
    return render(
        call,
        "extraction_study.html",
        status,
        study=state.study,
        state=state,
        editable=can_edit(state, call.username),
        study_fields=[_field(form, Cell(f.key), own, draft) for f in form.fields(Level.STUDY)],
        arms=[
            (n, [_field(form, Cell(f.key, arm=n), own, draft) for f in form.fields(Level.ARM)])
            for n in range(1, arms + 1)
        ],
        more_arms=arms + 1 if arms < MAX_ARMS else None,
        rows=rows,
        new_row=new_row_fields(form, typed_row or {}),
        groups=DATA_GROUPS,
        own_count=len(own),
        message=message,
        problems=list(problems),
    )


NEW_ROW_KEYS = ("arm1", "arm2", "outcome", "time", "instrument")


def new_row_fields(form: Form, typed: Mapping[str, str]) -> dict[str, Any]:
    """The add-a-row form: the row's key and the chosen data group's fields (named by their
    column, prefixed ``v:``), with what was typed in them."""
    group = typed.get("group", "")
    group = group if group in GROUPS else DEFAULT_GROUP
    specs = [form.field(k, Level.ROW) for k in GROUPS[group].columns]
    key = {k: typed.get(k, "")[:MAX_TEXT] for k in NEW_ROW_KEYS}
    key["arm1"], key["arm2"] = key["arm1"] or "1", key["arm2"] or "2"
    return {
        "group": group,
        "key": key,
        "fields": [(s, typed.get(f"v:{s.key}", "")[:MAX_VALUE]) for s in specs],
    }


@page(SCREENERS)
def study(call: Call) -> Response:
    """The extraction form of one study (``?arms=N`` shows more empty arms)."""
    return study_page(call, study_of(call))


def _refused(err: DataError) -> str:
    return err.problems[0].message if err.problems else str(err)


@page(SCREENERS)
def save_cell(call: Call) -> Response:
    """Check and save the one value htmx sends when a field changes; answer its field with
    the value and its message (a wrong value is kept in the field, not stored), and the row's
    cross-column messages out of band."""
    state = study_of(call)
    name = call.request.headers.get("hx-trigger-name") or call.form.get("cell", "")
    cell = parse_cell(name)
    typed = call.form.get(name, "")[:MAX_VALUE]
    draft = Draft()
    project = call.workspace.project
    known(extraction_form(project), cell)
    try:
        enter(project, state.study.number, {cell: typed}, extractor=call.username)
    except DataError as err:
        draft.add(cell, typed, _refused(err))
    except ExtractionError as err:
        draft.add(cell, typed, str(err))
    form = extraction_form(project)
    own = values_for(project, state.study.number, call.username)
    row = row_view(form, cell.row, own, draft, call.form.get("group", "")) if cell.row else None
    view = next((v for v in row.fields if v.cell == cell), None) if row else None
    return render(
        call,
        "_extraction_cell.html",
        study=state.study,
        field=view or _field(form, cell, own, draft),
        row=row,
        editable=can_edit(state, call.username),
    )


def _posted_cells(call: Call) -> dict[Cell, str]:
    return {
        parse_cell(name): text[:MAX_VALUE]
        for name, text in call.form.items()
        if name.startswith("[")
    }


def _store(call: Call, state: StudyProgress, typed: Mapping[Cell, str]) -> Draft:
    """Save the good values of ``typed``; the wrong ones come back with their messages."""
    project = call.workspace.project
    try:
        checks = check_cells(extraction_form(project), typed)
    except ValueError as err:  # a field the form does not have
        raise HTTPException(400, str(err)) from None
    draft = Draft()
    good = {}
    for cell, check in checks.items():
        if check.ok:
            good[cell] = typed[cell]
        else:
            draft.add(cell, typed[cell], check.message or "")
    if good:
        enter(project, state.study.number, good, extractor=call.username)
    return draft


@page(SCREENERS)
def save_section(call: Call) -> Response:
    """Save a section of the form (the study, an arm, a row) as posted without scripts, or
    (``remove=1``) empty every cell of a row, which removes it."""
    state = study_of(call)
    typed = _posted_cells(call)
    if call.form.get("remove") == "1":
        typed = {cell: "" for cell in typed if cell.row is not None}
    try:
        draft = _store(call, state, typed)
    except ExtractionError as err:
        return study_page(call, state, message=str(err), status=409)
    if draft.typed:
        return study_page(call, state, draft, message="Not saved: see the messages.", status=400)
    return RedirectResponse(f"/extraction/{state.study.number}", status_code=303)


@page(SCREENERS)
def add_row(call: Call) -> Response:
    """Add a row (arm against arm, outcome, time point, instrument) with its first values."""
    state = study_of(call)
    arm1, arm2 = call.form.get("arm1", ""), call.form.get("arm2", "")
    texts = [call.form.get(k, "")[:MAX_TEXT] for k in ("outcome", "time", "instrument")]
    try:
        if not (arm1.isdigit() and arm2.isdigit() and int(arm1) <= MAX_ARMS >= int(arm2)):
            raise ValueError(f"a row compares two arms, numbered 1 to {MAX_ARMS}")
        key = RowKey(int(arm1), int(arm2), *texts)
    except ValueError as err:
        return study_page(call, state, message=str(err), typed_row=call.form, status=400)
    typed = {
        Cell(name[2:], row=key): text[:MAX_VALUE]
        for name, text in call.form.items()
        if name.startswith("v:")
    }
    if all(is_empty(text) for text in typed.values()):
        return study_page(
            call,
            state,
            message="Enter at least one value of the row.",
            typed_row=call.form,
            status=400,
        )
    group = call.form.get("group", "")
    try:
        draft = _store(call, state, {c: t for c, t in typed.items() if not is_empty(t)})
    except ExtractionError as err:
        return study_page(call, state, message=str(err), status=409)
    if draft.typed:
        return study_page(
            call,
            state,
            draft,
            message="Not saved: see the messages.",
            groups={key: group},
            status=400,
        )
    return RedirectResponse(f"/extraction/{state.study.number}#{row_anchor(key)}", status_code=303)


@page(SCREENERS)
def fields(call: Call) -> Response:
    """A row's fields for another data group (``?row=CODE&group=NAME``), or the add-a-row
    form's (no ``row``): the fragment htmx swaps in when the group is chosen."""
    state = study_of(call)
    group = call.query("group", DEFAULT_GROUP)
    if group not in GROUPS:
        raise HTTPException(404)
    editable = can_edit(state, call.username)
    project = call.workspace.project
    form = extraction_form(project)
    shared = {"study": state.study, "editable": editable, "groups": DATA_GROUPS}
    if not call.query("row"):
        new_row = new_row_fields(form, {"group": group})
        return render(call, "_extraction_new_row.html", new_row=new_row, **shared)
    own = values_for(project, state.study.number, call.username)
    row = row_view(form, row_of(call.query("row")), own, Draft(), group)
    return render(call, "_extraction_row.html", row=row, **shared)


@page(SCREENERS)
def submit_study(call: Call) -> Response:
    """Submit the extractor's values of the study; refused (each problem listed) while a row
    would not pass ``metareview validate``."""
    state = study_of(call)
    try:
        submit(call.workspace.project, state.study.number, extractor=call.username)
    except DataError as err:
        problems = [f"{p.column}: {p.message}" for p in err.problems]
        return study_page(
            call,
            state,
            message="Not submitted: every row must pass validation.",
            problems=problems,
            status=409,
        )
    except ExtractionError as err:
        return study_page(call, state, message=str(err), status=409)
    return RedirectResponse(f"/extraction/{state.study.number}", status_code=303)
