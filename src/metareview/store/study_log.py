"""The log of work on included studies: append-only, hash-chained rows of ``study_events``.

Extraction (and later risk of bias) is kept as screening decisions are: nothing is changed in
place; a changed value is a newer row, and the state is read from the log in order. Appends
take the project's write lock, so a check and the append it allows cannot interleave with
another writer's (:func:`append_study_events`). Queries can be limited to one study, some
kinds and some actors *in SQL*, which is how blinded reads leave other people's values in the
database (:mod:`metareview.store.extraction`).

>>> from metareview.store.project import Project
>>> project = Project.open("sqlite://")
>>> _ = append_study_events(project, lambda c: [NewStudyEvent(StudyEventKind.STUDY, "lead",
...                                                           study=1, data={"label": "A"})])
>>> [(e.kind.value, e.study) for e in study_events_of(project)]
[('study', 1)]
>>> verify_study_log(project).intact
True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from metareview.errors import StoreError
from metareview.records.events import logged_dict
from metareview.store.chain import GENESIS, ChainCheck, event_hash, verify_chain
from metareview.store.project import Project, holds_nul
from metareview.store.study_schema import HASHED, study_events
from metareview.store.times import logged_entry


class StudyEventKind(StrEnum):
    """What a row of the study log records."""

    STUDY = "study"  #: a study was added (study; data: label, records, source, note)
    FIELD = "field"  #: the lead added a review-specific form field (data: the field)
    SETTING = "setting"  #: an extraction setting changed (cell: the key; value)
    VALUE = "value"  #: an extractor's value of a cell (study, cell, value; None empties it)
    SUBMIT = "submit"  #: an extractor submitted their extraction of a study
    CONSENSUS = "consensus"  #: a cell's agreed value (data: agreed_by, note)
    ROB_VALUE = "rob_value"  #: an assessor's risk-of-bias answer, override or setting (cell)
    ROB_SUBMIT = "rob_submit"  #: an assessor submitted a study's assessment of one result
    ROB_CONSENSUS = "rob_consensus"  #: an agreed risk-of-bias item (data: agreed_by, note)
    GRADE_DECISION = "grade_decision"  #: a GRADE domain rating (cell, value: levels, reason)


@dataclass(frozen=True)
class NewStudyEvent:
    """A row about to be appended (the store adds id, time and hashes)."""

    kind: StudyEventKind
    actor: str
    study: int | None = None
    cell: str | None = None
    value: Any = None
    reason: str | None = None
    data: dict[str, Any] | None = None


@dataclass(frozen=True)
class StudyEvent:
    """One stored row of the study log; ``at`` is UTC."""

    id: int
    at: datetime
    actor: str
    kind: StudyEventKind
    study: int | None = None
    cell: str | None = None
    value: Any = None
    reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return logged_dict(self)


def append_study_events(
    project: Project, plan: Callable[[Connection], Sequence[NewStudyEvent]]
) -> tuple[StudyEvent, ...]:
    """Let ``plan`` read the log (on the connection it gets) and decide what to append, or
    raise; append it; all under the project's write lock, in one transaction."""
    with project._write() as connection:
        new = plan(connection)
        now = datetime.now(UTC)
        last = connection.execute(
            select(study_events.c.hash).order_by(study_events.c.id.desc()).limit(1)
        )
        prev_hash = last.scalar() or GENESIS
        rows = []
        for item in new:
            _refuse_nul(item)
            row = {
                "at": now,
                "actor": item.actor,
                "kind": item.kind.value,
                "study": item.study,
                "cell": item.cell,
                "value": None if item.value is None else json.dumps(item.value, ensure_ascii=False),
                "reason": item.reason,
                "data": item.data,
            }
            row["prev_hash"] = prev_hash
            row["hash"] = prev_hash = event_hash(prev_hash, row, HASHED)
            rows.append(row)
        if not rows:
            return ()
        insert = study_events.insert().returning(study_events.c.id, sort_by_parameter_order=True)
        try:
            ids = connection.execute(insert, rows).scalars().all()
        except SQLAlchemyError as err:
            orig = getattr(err, "orig", None) or err
            reason = str(orig).strip().splitlines()[0] if str(orig).strip() else repr(orig)
            raise StoreError(f"cannot append to the study log: {reason}") from err
        stored = [_from_row({"id": i, **row}) for i, row in zip(ids, rows, strict=True)]
        return tuple(stored)


def _refuse_nul(item: NewStudyEvent) -> None:
    """PostgreSQL cannot store NUL in text; neither store takes it."""
    for name in ("actor", "cell", "value", "reason", "data"):
        if holds_nul(getattr(item, name)):
            raise StoreError(f"a {item.kind.value} entry: {name} holds a NUL character; remove it")


def read_study_events(
    connection: Connection,
    *,
    study: int | None = None,
    kinds: Collection[StudyEventKind] = (),
    actors: Collection[str] | None = None,
) -> tuple[StudyEvent, ...]:
    """Rows in log order, limited in the query itself to one ``study``, some ``kinds`` and,
    when ``actors`` is given, rows by those actors only."""
    query = select(study_events).order_by(study_events.c.id)
    if study is not None:
        query = query.where(study_events.c.study == study)
    if kinds:
        query = query.where(study_events.c.kind.in_([k.value for k in kinds]))
    if actors is not None:
        query = query.where(study_events.c.actor.in_(list(actors)))
    return tuple(_from_row(row) for row in connection.execute(query).mappings())


def study_events_of(project: Project, **where: Any) -> tuple[StudyEvent, ...]:
    """:func:`read_study_events` on a connection of its own."""
    with project.engine.connect() as connection:
        return read_study_events(connection, **where)


def verify_study_log(project: Project) -> ChainCheck:
    """Check the study log's hash chain (see :meth:`Project.verify_log` for the main log)."""
    with project.engine.connect() as connection:
        rows = connection.execute(select(study_events).order_by(study_events.c.id)).mappings()
        return verify_chain(rows, HASHED)


def _from_row(row: Any) -> StudyEvent:
    value = None if row["value"] is None else json.loads(row["value"])
    return logged_entry(StudyEvent, StudyEventKind, row, value=value)
