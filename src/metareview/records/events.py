"""The vocabulary of a review's event log: what happened to a record, who did it and when.

Every decision in a review is one :class:`Event`; nothing is ever updated in place, so the
current state (duplicates, screening votes, resolutions, retrievals) is derived by reading
the log in order, and the full history stays available for audit and for PRISMA counts.

>>> e = NewEvent(kind=EventKind.DECISION, actor="ana", stage="ta", record_id=3, value="include")
>>> e.kind.value
'decision'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    """What an event records."""

    IMPORT = "import"  #: a file was imported (data: import id, file, counts)
    DUPLICATE = "duplicate"  #: record_id duplicates data["of"] (merged into it)
    MAYBE_DUPLICATE = "maybe_duplicate"  #: a possible duplicate for a person to confirm
    NOT_DUPLICATE = "not_duplicate"  #: a person decided record_id and data["of"] differ
    DECISION = "decision"  #: a reviewer's include/exclude/maybe vote at a stage
    UNDO = "undo"  #: a reviewer withdrew their vote data["undoes"] (an event id) on record_id
    RESOLUTION = "resolution"  #: a conflict's final decision by a third reviewer or consensus
    RETRIEVAL = "retrieval"  #: whether the full text of a record was retrieved
    SAME_STUDY = "same_study"  #: record_id reports the same study as data["of"]
    SEPARATE_STUDY = "separate_study"  #: record_id is its own study again (undoes a link)
    SETTING = "setting"  #: a project setting changed (value: key, data: {"value": ...})
    STOP_SCREENING = "stop_screening"  #: screening stopped by a rule (value); data["records"]
    RESUME_SCREENING = "resume_screening"  #: undoes the standing stop_screening
    FULL_TEXT = "full_text"  #: a PDF was uploaded for record_id (data: file id, SHA-256, size)


def parse_enum(enum: type[StrEnum], value: object, name: str) -> Any:
    """Validate ``value`` against a string enum, naming every allowed code when it is wrong.

    >>> parse_enum(EventKind, "decision", "kind")
    <EventKind.DECISION: 'decision'>
    >>> parse_enum(EventKind, "vote", "kind")
    Traceback (most recent call last):
    ...
    ValueError: kind must be one of import, duplicate, maybe_duplicate, not_duplicate, decision, undo, resolution, retrieval, same_study, separate_study, setting, stop_screening, resume_screening, full_text; got 'vote'
    """
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}") from None


@dataclass(frozen=True)
class NewEvent:
    """An event about to be appended to the log (the store adds id and time)."""

    kind: EventKind
    actor: str
    stage: str | None = None
    record_id: int | None = None
    value: str | None = None
    reason: str | None = None
    data: dict[str, Any] | None = None


@dataclass(frozen=True)
class Event:
    """One entry of the log, as stored: ``id`` orders events, ``at`` is UTC."""

    id: int
    at: datetime
    actor: str
    kind: EventKind
    stage: str | None = None
    record_id: int | None = None
    value: str | None = None
    reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready values (``at`` in ISO 8601)."""
        return logged_dict(self)


def logged_dict(entry: Any) -> dict[str, Any]:
    """A stored log entry (an :class:`Event`, or a row of the study log) as JSON-ready
    values: its fields in order, ``at`` in ISO 8601 and ``kind`` as its code.

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> logged_dict(Event(1, t, "ana", EventKind.DECISION, "ta", 3, "include"))["at"]
    '2026-01-01T00:00:00+00:00'
    """
    values = {name: getattr(entry, name) for name in entry.__dataclass_fields__}
    return values | {"at": entry.at.isoformat(), "kind": entry.kind.value, "data": dict(entry.data)}
