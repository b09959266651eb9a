"""Dual independent data extraction on a project: studies, the form, values, submission,
comparison, consensus and each cell's history, kept in the study log.

**Blinding.** Until every extractor a study needs (1 or 2, a review setting) has submitted it,
no function here returns one extractor's values to anyone else: :func:`values_for` reads only
the viewer's own rows (the query is limited to them), and :func:`compare`, :func:`agreed_values`
and :func:`cell_history` (for another person's entries) are refused. Once all have submitted,
the study is *complete*: every value is visible, the cells that differ are listed, and a
consensus value (with who agreed it and when) settles each.

>>> from metareview.data.form import Cell, RowKey
>>> project = Project.open("sqlite://")
>>> study = add_study(project, "Lee, 2020", actor="lead")
>>> row = RowKey(1, 2, "hope", "post")
>>> for who, mean in (("ana", 5.1), ("ben", 5.7)):
...     _ = enter(project, study.number, {Cell("yi", row=row): 0.3, Cell("vi", row=row): 0.04,
...                                       Cell("country"): "UK"}, extractor=who)
>>> values_for(project, study.number, "ana")[Cell("yi", row=row)]
0.3
>>> _ = submit(project, study.number, extractor="ana")
>>> compare(project, study.number)
Traceback (most recent call last):
metareview.errors.ExtractionError: study 1 (Lee, 2020) is not complete: 1 of 2 extractors submitted it; values stay blinded until all have
>>> _ = enter(project, study.number, {Cell("vi", row=row): 0.05}, extractor="ben")
>>> _ = submit(project, study.number, extractor="ben")
>>> [(d.cell.field, d.values) for d in compare(project, study.number).differences]
[('vi', {'ana': 0.04, 'ben': 0.05})]
>>> _ = agree(project, study.number, Cell("vi", row=row), 0.04, actor="ana", agreed_by=["ana", "ben"])
>>> agreed_values(project, study.number).unresolved
()
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from metareview.data.assemble import RowProblem, StudyCells, check_study
from metareview.data.field_check import check_cells
from metareview.data.form import Cell, CustomField, Form
from metareview.errors import DataError, ExtractionError, Problem
from metareview.records.record import Record
from metareview.records.studies import StudyGroups
from metareview.stats.result_base import document
from metareview.store.project import Project
from metareview.store.review import passed_stage
from metareview.store.study_log import (
    NewStudyEvent,
    StudyEvent,
    StudyEventKind,
    append_study_events,
    read_study_events,
)
from metareview.store.times import StoredDocument

K = StudyEventKind
EXTRACTORS = "extractors"
DEFAULT_EXTRACTORS = 2


@dataclass(frozen=True)
class Study(StoredDocument):
    """A study to extract: its number, label (the table's ``study``), the records (reports)
    it came from, and where it came from (``screening`` or ``manual``, e.g. a trial register)."""

    number: int
    label: str
    records: tuple[int, ...]
    source: str
    added_by: str
    added_at: datetime
    note: str = ""


def read_studies(connection: Connection) -> dict[int, Study]:
    """Every study by number (on a connection the caller holds, e.g. under the write lock)."""
    return {
        e.study: Study(
            e.study,
            e.data["label"],
            tuple(e.data.get("records", ())),
            e.data.get("source", "manual"),
            e.actor,
            e.at,
            e.data.get("note", ""),
        )
        for e in read_study_events(connection, kinds=[K.STUDY])
        if e.study is not None
    }


def studies(project: Project) -> tuple[Study, ...]:
    """Every study of the review, in the order they were added."""
    with project.engine.connect() as connection:
        return tuple(read_studies(connection).values())


def _new_studies(
    connection: Connection, wanted: Sequence[tuple[str, tuple[int, ...], str, str]], actor: str
) -> list[NewStudyEvent]:
    existing = read_studies(connection)
    labels = {s.label for s in existing.values()}
    number = max(existing, default=0)
    new = []
    for label, records, source, note in wanted:
        label = " ".join(str(label).split())
        if not label:
            raise ExtractionError("a study needs a label, e.g. 'Smith, 2019'")
        if label in labels:
            raise ExtractionError(f"the review has a study labelled {label!r} already")
        labels.add(label)
        number += 1
        data = {"label": label, "records": list(records), "source": source, "note": note}
        new.append(NewStudyEvent(K.STUDY, actor, study=number, data=data))
    return new


def add_study(project: Project, label: str, *, actor: str, note: str = "") -> Study:
    """Add a study by hand (e.g. from a trial register; ``note`` says where from)."""
    [event] = append_study_events(
        project, lambda c: _new_studies(c, [(label, (), "manual", note)], actor)
    )
    with project.engine.connect() as connection:
        return read_studies(connection)[event.study]


def add_included_studies(project: Project, *, actor: str) -> tuple[Study, ...]:
    """Add a study for each study included after full-text screening that has none yet: the
    included reports grouped into studies (``records same-study``), labelled by the first
    report's first author and year ('Smith, 2019'; 'Smith, 2019b' for a second one). A study
    whose reports already belong to a study is not added again.

    >>> from metareview.records.record import Record
    >>> from metareview.store.review import vote
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("s.ris", [Record(title="T", authors=("Smith, J",), year=2019)],
    ...                        actor="lead")
    >>> for stage in ("ta", "ft"):
    ...     for who in ("ana", "ben"):
    ...         _ = vote(project, 1, reviewer=who, stage=stage, decision="include")
    >>> [(s.label, s.records) for s in add_included_studies(project, actor="lead")]
    [('Smith, 2019', (1,))]
    >>> add_included_studies(project, actor="lead")
    ()
    """
    included = passed_stage(project, "ft")
    groups = StudyGroups.from_events(project.events())
    reports: dict[int, list[int]] = {}
    for record_id in included:
        reports.setdefault(groups.study_of(record_id), []).append(record_id)
    records = project.records(included)

    def plan(connection: Connection) -> list[NewStudyEvent]:
        existing = read_studies(connection)
        taken = {r for s in existing.values() for r in s.records}
        labels = {s.label for s in existing.values()}
        wanted = []
        for head, ids in reports.items():
            if taken.intersection(ids):
                continue
            label = _unique(_label_of(records[min(ids)], head), labels)
            labels.add(label)
            wanted.append((label, tuple(sorted(ids)), "screening", ""))
        return _new_studies(connection, wanted, actor)

    numbers = [e.study for e in append_study_events(project, plan)]
    with project.engine.connect() as connection:
        found = read_studies(connection)
    return tuple(found[n] for n in numbers)


def _label_of(record: Record, record_id: int) -> str:
    author = record.authors[0].split(",")[0].strip() if record.authors else ""
    parts = [p for p in (author, str(record.year) if record.year else "") if p]
    return ", ".join(parts) or f"record {record_id}"


def _unique(label: str, taken: set[str]) -> str:
    if label not in taken:
        return label
    suffix = ord("b")
    while f"{label}{chr(suffix)}" in taken and suffix < ord("z"):
        suffix += 1
    candidate = f"{label}{chr(suffix)}"
    return candidate if candidate not in taken else f"{label} ({len(taken) + 1})"


# -- the form and the settings ----------------------------------------------------------


def _form(connection: Connection) -> Form:
    form = Form.standard()
    for e in read_study_events(connection, kinds=[K.FIELD]):
        form = form.with_field(CustomField(**{**e.data, "choices": tuple(e.data["choices"])}))
    return form


def extraction_form(project: Project) -> Form:
    """The review's form: the data standard's fields and the lead's own (in order added)."""
    with project.engine.connect() as connection:
        return _form(connection)


def add_field(project: Project, custom: CustomField, *, actor: str) -> Form:
    """Add a review-specific field (a moderator column) to the form; returns the new form.

    >>> project = Project.open("sqlite://")
    >>> form = add_field(project, CustomField("format", "row", "choice", choices=("group", "one-to-one")),
    ...                  actor="lead")
    >>> form.field("format", "row").expected
    'one of group, one-to-one'
    """

    def plan(connection: Connection) -> list[NewStudyEvent]:
        try:
            _form(connection).with_field(custom)
        except ValueError as err:
            raise ExtractionError(str(err)) from None
        return [NewStudyEvent(K.FIELD, actor, data=custom.to_dict())]

    append_study_events(project, plan)
    return extraction_form(project)


def required_people(connection: Connection, key: str) -> int:
    """How many people a review setting (``extractors``, ``rob_assessors``) asks for: 1 or 2."""
    value = DEFAULT_EXTRACTORS
    for e in read_study_events(connection, kinds=[K.SETTING]):
        if e.cell == key:
            value = int(e.value)
    return value


def set_required_people(
    project: Project, key: str, n: int, *, actor: str, begun: StudyEventKind, who: str
) -> None:
    """Set the setting ``key`` to 1 or 2 ``who``; refused once any ``begun`` row exists (a
    change then would show a blinded value early, or reopen work already complete)."""
    if n not in (1, 2):
        raise ExtractionError(f"{who} must be 1 or 2; got {n!r}")

    def plan(connection: Connection) -> list[NewStudyEvent]:
        if read_study_events(connection, kinds=[begun]):
            raise ExtractionError(f"work has begun: the number of {who} can no longer change")
        return [NewStudyEvent(K.SETTING, actor, cell=key, value=n)]

    append_study_events(project, plan)


def extractors_required(project: Project) -> int:
    """How many people extract each study independently (1 or 2; 2 unless set)."""
    with project.engine.connect() as connection:
        return required_people(connection, EXTRACTORS)


def set_extractors_required(project: Project, n: int, *, actor: str) -> None:
    """Set 1 or 2 extractors per study; refused once any value has been entered.

    >>> project = Project.open("sqlite://")
    >>> set_extractors_required(project, 1, actor="lead"); extractors_required(project)
    1
    """
    set_required_people(
        project, EXTRACTORS, n, actor=actor, begun=K.VALUE, who="extractors per study"
    )


# -- one study's state --------------------------------------------------------------------


class Submissions:
    """What a dual piece of work (a study's extraction, a result's RoB assessment) knows of its
    people: how many it needs and who has submitted."""

    required: int
    submitted: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """All the people the work needs have submitted it: values are visible."""
        return len(self.submitted) >= self.required


@dataclass(frozen=True)
class StudyProgress(Submissions):
    """Who has started and who has submitted a study; no values (anyone may see this)."""

    study: Study
    required: int
    extractors: tuple[str, ...]  #: those who entered a value, in order of their first
    submitted: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "study": self.study.number,
            "label": self.study.label,
            "required": self.required,
            "extractors": list(self.extractors),
            "submitted": list(self.submitted),
            "complete": self.complete,
        }


def _progress(connection: Connection, number: int) -> StudyProgress:
    study = read_studies(connection).get(number)
    if study is None:
        raise ExtractionError(f"the review has no study {number}")
    marks = read_study_events(connection, study=number, kinds=[K.VALUE, K.SUBMIT])
    extractors = tuple(dict.fromkeys(e.actor for e in marks if e.kind == K.VALUE))
    submitted = tuple(dict.fromkeys(e.actor for e in marks if e.kind == K.SUBMIT))
    return StudyProgress(study, required_people(connection, EXTRACTORS), extractors, submitted)


def progress(project: Project, number: int) -> StudyProgress:
    """Who has started and who has submitted study ``number`` (see :class:`StudyProgress`)."""
    with project.engine.connect() as connection:
        return _progress(connection, number)


def standing(
    rows: Sequence[StudyEvent], key: Callable[[str], Any] = Cell.from_code
) -> dict[Any, Any]:
    """The latest value of each cell in ``rows`` (in log order; cells named by ``key`` of their
    code), emptied cells left out."""
    values: dict[Any, Any] = {}
    for e in rows:
        cell = key(e.cell)
        if e.value is None:
            values.pop(cell, None)
        else:  # a changed value keeps the place it was first entered in
            values[cell] = e.value
    return values


def settle(
    rows: Sequence[StudyEvent],
    people: Sequence[str],
    kinds: tuple[StudyEventKind, StudyEventKind],
    key: Callable[[str], Any] = Cell.from_code,
    fingerprint: Callable[[Any], str] = repr,
) -> tuple[dict[str, dict[Any, Any]], list[tuple[Any, dict[str, Any], bool, Any]], dict[Any, Any]]:
    """Each person's standing values (``kinds[0]`` rows), the keys on which they differ (key,
    values by person, whether a consensus (``kinds[1]`` rows) settles it, its value), and the
    agreed value of every key settled so far (by consensus, or given alike by all; values
    compared by ``fingerprint``).

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> rows = [StudyEvent(1, t, "ana", K.VALUE, 1, "vi", 0.04),
    ...         StudyEvent(2, t, "ben", K.VALUE, 1, "vi", 0.05),
    ...         StudyEvent(3, t, "ana", K.VALUE, 1, "yi", 0.3),
    ...         StudyEvent(4, t, "ben", K.VALUE, 1, "yi", 0.3)]
    >>> by, differences, agreed = settle(rows, ["ana", "ben"], (K.VALUE, K.CONSENSUS), str)
    >>> differences, agreed
    ([('vi', {'ana': 0.04, 'ben': 0.05}, False, None)], {'yi': 0.3})
    """
    value_kind, consensus_kind = kinds
    by = {
        who: standing([e for e in rows if e.kind == value_kind and e.actor == who], key=key)
        for who in people
    }
    consensus = {key(e.cell): e.value for e in rows if e.kind == consensus_kind}
    keys = list(dict.fromkeys(k for values in by.values() for k in values))
    keys += [k for k in consensus if k not in keys]
    differences, agreed = [], {}
    for k in keys:
        given = {who: values.get(k) for who, values in by.items()}
        same = len({fingerprint(v) for v in given.values()}) == 1
        if not same:
            differences.append((k, given, k in consensus, consensus.get(k)))
        if k in consensus:
            agreed[k] = consensus[k]
        elif same:
            agreed[k] = next(iter(given.values()))
    return by, differences, agreed


def _own_values(connection: Connection, number: int, who: str) -> dict[Cell, Any]:
    own = read_study_events(connection, study=number, kinds=[K.VALUE], actors=[who])
    return standing(own)


def values_for(project: Project, number: int, viewer: str) -> dict[Cell, Any]:
    """``viewer``'s own standing values of study ``number`` (never anyone else's: the query
    reads only the viewer's rows), in the order each was first entered."""
    with project.engine.connect() as connection:
        _progress(connection, number)
        return _own_values(connection, number, viewer)


def enter(
    project: Project, number: int, values: Mapping[Cell, Any], *, extractor: str
) -> tuple[StudyEvent, ...]:
    """Enter ``extractor``'s values of study ``number`` (``None`` or '' empties a cell).

    Every value is checked as :func:`~metareview.data.field_check.check_cells` checks it; if
    any is wrong, nothing is stored and one :class:`~metareview.errors.DataError` names each
    (``column``: the cell). Values equal to the extractor's current ones are not logged again.
    Refused after the extractor submitted the study, and for a third person when the study
    already has the extractors it needs.
    """

    def plan(connection: Connection) -> list[NewStudyEvent]:
        state = _progress(connection, number)
        if extractor in state.submitted:
            raise ExtractionError(
                f"{extractor} submitted study {number} ({state.study.label}) already; "
                "a change now is a consensus value"
            )
        if extractor not in state.extractors and len(state.extractors) >= state.required:
            raise ExtractionError(
                f"study {number} ({state.study.label}) has its {state.required} extractor(s) "
                f"already: {', '.join(state.extractors)}"
            )
        parsed = _checked(_form(connection), state.study, values)
        current = _own_values(connection, number, extractor)
        return [
            NewStudyEvent(K.VALUE, extractor, study=number, cell=cell.code, value=value)
            for cell, value in parsed.items()
            if current.get(cell) != value
        ]

    return append_study_events(project, plan)


def _checked(form: Form, study: Study, values: Mapping[Cell, Any]) -> dict[Cell, Any]:
    parsed: dict[Cell, Any] = {}
    problems = []
    try:
        checks = check_cells(form, values)
    except ValueError as err:  # a field the form does not have
        raise ExtractionError(str(err)) from None
    for cell, result in checks.items():
        if result.ok:
            parsed[cell] = result.value
        else:
            wrong = result.problem
            problems.append(Problem(study.label, None, cell.label(), wrong.value, wrong.expected))
    if problems:
        raise DataError(problems)
    return parsed


def submit(project: Project, number: int, *, extractor: str) -> StudyEvent:
    """Submit ``extractor``'s extraction of study ``number``: refused while its rows have any
    problem ``metareview validate`` would report (a :class:`DataError` names each row by its
    key), or before they entered any value."""

    def plan(connection: Connection) -> list[NewStudyEvent]:
        state = _progress(connection, number)
        if extractor in state.submitted:
            raise ExtractionError(f"{extractor} submitted study {number} already")
        if extractor not in state.extractors:
            raise ExtractionError(f"{extractor} has entered no value of study {number}")
        own = StudyCells(state.study.label, _own_values(connection, number, extractor))
        _refuse_problems(state.study, check_study(_form(connection), own))
        return [NewStudyEvent(K.SUBMIT, extractor, study=number)]

    return append_study_events(project, plan)[0]


def _refuse_problems(study: Study, problems: list[RowProblem]) -> None:
    if problems:
        raise DataError(
            [Problem(study.label, None, p.where, p.value, p.expected) for p in problems]
        )


# -- a complete study: comparison, consensus, agreed values, history ---------------------


def _complete(connection: Connection, number: int) -> StudyProgress:
    state = _progress(connection, number)
    if not state.complete:
        raise ExtractionError(
            f"study {number} ({state.study.label}) is not complete: {len(state.submitted)} of "
            f"{state.required} extractors submitted it; values stay blinded until all have"
        )
    return state


@dataclass(frozen=True)
class Difference:
    """A cell the extractors of a complete study gave differently (``None``: left empty),
    with its consensus value, if agreed (``agreed``: whether one was recorded)."""

    cell: Cell
    values: dict[str, Any]
    agreed: bool = False
    agreed_value: Any = None

    def to_dict(self) -> dict[str, Any]:
        return document(self, cell=self.cell.label(), values=dict(self.values))


@dataclass(frozen=True)
class Comparison:
    """Every cell of a complete study that differs between its extractors."""

    study: Study
    extractors: tuple[str, ...]
    differences: tuple[Difference, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "study": self.study.to_dict(),
            "extractors": list(self.extractors),
            "differences": [d.to_dict() for d in self.differences],
        }


def _comparison(connection: Connection, number: int) -> tuple[Comparison, dict[Cell, Any]]:
    """The comparison, and the agreed value of every cell settled so far."""
    state = _complete(connection, number)
    rows = read_study_events(connection, study=number, kinds=[K.VALUE, K.CONSENSUS])
    _, differences, agreed = settle(rows, state.submitted, (K.VALUE, K.CONSENSUS))
    found = tuple(Difference(*d) for d in differences)
    return Comparison(state.study, state.submitted, found), agreed


def compare(project: Project, number: int) -> Comparison:
    """Every cell that differs between the extractors of study ``number`` (refused until the
    study is complete)."""
    with project.engine.connect() as connection:
        return _comparison(connection, number)[0]


def agree(
    project: Project,
    number: int,
    cell: Cell,
    value: Any,
    *,
    actor: str,
    agreed_by: Sequence[str] = (),
    note: str = "",
) -> StudyEvent:
    """Record the consensus value of a cell of a complete study (``None`` or '': the cell stays
    empty), who recorded it and who agreed it (``agreed_by``, default the actor); checked as
    an entered value is. A later consensus on the same cell replaces it (both are kept)."""

    def plan(connection: Connection) -> list[NewStudyEvent]:
        state = _complete(connection, number)
        parsed = _checked(_form(connection), state.study, {cell: value})[cell]
        data = {"agreed_by": list(agreed_by) or [actor], "note": note.strip()}
        return [
            NewStudyEvent(K.CONSENSUS, actor, study=number, cell=cell.code, value=parsed, data=data)
        ]

    return append_study_events(project, plan)[0]


@dataclass(frozen=True)
class AgreedStudy:
    """The agreed values of a complete study, and the cells still differing with no consensus."""

    study: Study
    values: dict[Cell, Any]
    unresolved: tuple[Cell, ...]

    def cells(self) -> StudyCells:
        """The agreed values as :class:`~metareview.data.assemble.StudyCells` (empties left out)."""
        return StudyCells(self.study.label, {c: v for c, v in self.values.items() if v is not None})


def agreed_values(project: Project, number: int) -> AgreedStudy:
    """The agreed values of study ``number``: where the extractors gave the same value, that
    value; where they differ, the consensus value (refused until the study is complete)."""
    with project.engine.connect() as connection:
        comparison, agreed = _comparison(connection, number)
    open_cells = tuple(d.cell for d in comparison.differences if not d.agreed)
    return AgreedStudy(comparison.study, agreed, open_cells)


@dataclass(frozen=True)
class HistoryEntry(StoredDocument):
    """One entry in a cell's history: a value someone entered, or a consensus (``agreed_by``)."""

    at: datetime
    actor: str
    kind: str  #: "value" or "consensus"
    value: Any
    agreed_by: tuple[str, ...] = ()
    note: str = ""


def cell_history(
    project: Project, number: int, cell: Cell, *, viewer: str
) -> tuple[HistoryEntry, ...]:
    """Who entered what in ``cell`` and what was agreed, oldest first. Before the study is
    complete, ``viewer`` sees only their own entries (read by a query limited to them)."""
    with project.engine.connect() as connection:
        state = _progress(connection, number)
        actors = None if state.complete else [viewer]
        rows = read_study_events(
            connection, study=number, kinds=[K.VALUE, K.CONSENSUS], actors=actors
        )
    return tuple(
        HistoryEntry(
            e.at,
            e.actor,
            e.kind.value,
            e.value,
            tuple(e.data.get("agreed_by", ())),
            e.data.get("note", ""),
        )
        for e in rows
        if e.cell == cell.code
    )
