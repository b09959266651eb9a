"""Which reports belong to one study, as decided in the event log.

A trial is often reported more than once (the main paper, a protocol, a secondary analysis, a
conference abstract); PRISMA 2020 counts both the studies included and the reports of them.
Each record is a report. A ``same_study`` event says ``record_id`` reports the same study as
``data["of"]``; a ``separate_study`` event makes ``record_id`` its own study again. The latest
event on a record wins, and earlier ones stay in the log.

>>> from datetime import UTC, datetime
>>> from metareview.records.events import Event, EventKind
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> log = [Event(1, t, "ana", EventKind.SAME_STUDY, record_id=5, data={"of": 2}),
...        Event(2, t, "ana", EventKind.SAME_STUDY, record_id=9, data={"of": 5})]
>>> groups = StudyGroups.from_events(log)
>>> groups.study_of(9), groups.count([2, 5, 9, 11])
(2, 2)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from metareview.errors import RecordsError
from metareview.records.events import Event, EventKind, NewEvent


@dataclass(frozen=True)
class StudyGroups:
    """The standing links ``{report id: record it reports the same study as}``."""

    links: dict[int, int] = field(default_factory=dict)

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> StudyGroups:
        links: dict[int, int] = {}
        for e in events:
            if e.record_id is None:
                continue
            if e.kind == EventKind.SAME_STUDY:
                links[e.record_id] = int(e.data["of"])
            elif e.kind == EventKind.SEPARATE_STUDY:
                links.pop(e.record_id, None)
        return cls(links)

    def study_of(self, record_id: int) -> int:
        """The study a report belongs to, named by its first report (the end of its links)."""
        seen = {record_id}
        while record_id in self.links and self.links[record_id] not in seen:
            record_id = self.links[record_id]
            seen.add(record_id)
        return record_id

    def count(self, record_ids: Iterable[int]) -> int:
        """How many studies the reports ``record_ids`` belong to."""
        return len({self.study_of(r) for r in record_ids})


def plan_same_study(
    events: Iterable[Event], record_ids: Collection[int], *, report: int, of: int, actor: str
) -> list[NewEvent]:
    """Check that ``report`` may be linked to the study of ``of`` and return the event."""
    for record_id in (report, of):
        if record_id not in record_ids:
            raise RecordsError(f"record {record_id} is not in the project")
    groups = StudyGroups.from_events(events)
    if groups.study_of(report) == groups.study_of(of):
        raise RecordsError(f"records {report} and {of} already report the same study")
    return [NewEvent(EventKind.SAME_STUDY, actor, record_id=report, data={"of": of})]


def plan_separate_study(events: Iterable[Event], *, report: int, actor: str) -> list[NewEvent]:
    """Check that ``report`` is linked to another record and return the event that unlinks it."""
    if report not in StudyGroups.from_events(events).links:
        raise RecordsError(f"record {report} is not linked to another record's study")
    return [NewEvent(EventKind.SEPARATE_STUDY, actor, record_id=report)]
