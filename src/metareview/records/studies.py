"""Which reports belong to one study, as decided in the event log.

A trial is often reported more than once (the main paper, a protocol, a secondary analysis, a
conference abstract); PRISMA 2020 counts both the studies included and the reports of them.
Each record is a report. A ``same_study`` event says ``record_id`` reports the same study as
``data["of"]`` (bringing along the reports linked to it); a ``separate_study`` event makes
``record_id`` its own study again, while the other reports of its study stay together. Events
are replayed in order, and earlier ones stay in the log.

>>> from datetime import UTC, datetime
>>> from metareview.records.events import Event, EventKind
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> log = [Event(1, t, "ana", EventKind.SAME_STUDY, record_id=5, data={"of": 2}),
...        Event(2, t, "ana", EventKind.SAME_STUDY, record_id=9, data={"of": 5})]
>>> groups = StudyGroups.from_events(log)
>>> groups.study_of(9), groups.count([2, 5, 9, 11])
(2, 2)
>>> apart = groups.separated(5)  # the middle of the chain 9 → 5 → 2 leaves; 9 stays with 2
>>> apart.study_of(9), apart.study_of(5), apart.count([2, 5, 9])
(2, 5, 2)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from metareview.errors import RecordsError
from metareview.records.events import Event, EventKind, NewEvent


@dataclass(frozen=True)
class StudyGroups:
    """The standing links ``{report id: record it reports the same study as}``."""

    links: dict[int, int] = field(default_factory=dict)

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> StudyGroups:
        groups = cls()
        for e in events:
            if e.record_id is None:
                continue
            if e.kind == EventKind.SAME_STUDY:
                groups = groups.linked(e.record_id, int(e.data["of"]))
            elif e.kind == EventKind.SEPARATE_STUDY:
                groups = groups.separated(e.record_id)
        return groups

    def linked(self, report: int, of: int) -> StudyGroups:
        """These links after ``report`` (and the reports linked to it) joins the study of ``of``.

        >>> StudyGroups({5: 2}).linked(9, of=5).study_of(9)
        2
        """
        return StudyGroups({**self.links, report: of})

    def separated(self, report: int) -> StudyGroups:
        """These links after ``report`` leaves its study: the reports linked to it are relinked
        to the record it was linked to or, if it headed the study, to the lowest-numbered of them.

        >>> StudyGroups({5: 2, 9: 5}).separated(2).links  # 5 now heads the study of 5 and 9
        {9: 5}
        """
        links = dict(self.links)
        head = links.pop(report, None)
        followers = sorted(r for r, of in links.items() if of == report)
        if head is None and followers:
            head, *followers = followers
            del links[head]
        for follower in followers:
            links[follower] = head
        return StudyGroups(links)

    def is_linked(self, report: int) -> bool:
        """Whether ``report`` shares its study with another report.

        >>> StudyGroups({5: 2}).is_linked(2), StudyGroups({5: 2}).is_linked(7)
        (True, False)
        """
        return report in self.links or report in self.links.values()

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


def _missing(record_ids: Collection[int], wanted: Iterable[int]) -> list[str]:
    return [
        f"record {r} is not in the project" for r in dict.fromkeys(wanted) if r not in record_ids
    ]


def _all_or_nothing(problems: list[str]) -> None:
    if problems:
        raise RecordsError("; ".join(problems) + " (nothing was changed)")


def plan_same_study(
    events: Iterable[Event],
    record_ids: Collection[int],
    *,
    reports: Sequence[int],
    of: int,
    actor: str,
) -> list[NewEvent]:
    """Check that every one of ``reports`` may be linked to the study of ``of`` and return the
    events; if any may not, raise one error naming each problem and plan nothing.

    >>> [(e.record_id, e.data) for e in plan_same_study([], {1, 2, 3}, reports=[2, 3], of=1,
    ...                                                  actor="ana")]
    [(2, {'of': 1}), (3, {'of': 1})]
    >>> plan_same_study([], {1, 2}, reports=[2, 7, 2], of=1, actor="ana")
    Traceback (most recent call last):
    metareview.errors.RecordsError: record 7 is not in the project; records 2 and 1 already report the same study (nothing was changed)
    """
    problems = _missing(record_ids, [of, *reports])
    groups = StudyGroups.from_events(events)
    for report in reports:
        if report not in record_ids or of not in record_ids:
            continue
        if groups.study_of(report) == groups.study_of(of):
            problems.append(f"records {report} and {of} already report the same study")
        groups = groups.linked(report, of)
    _all_or_nothing(problems)
    return [NewEvent(EventKind.SAME_STUDY, actor, record_id=r, data={"of": of}) for r in reports]


def plan_separate_study(
    events: Iterable[Event], record_ids: Collection[int], *, reports: Sequence[int], actor: str
) -> list[NewEvent]:
    """Check that every one of ``reports`` shares its study with another report and return the
    events that make each its own study; if any does not, raise one error naming each problem.

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> log = [Event(1, t, "ana", EventKind.SAME_STUDY, record_id=5, data={"of": 2})]
    >>> [e.record_id for e in plan_separate_study(log, {2, 5}, reports=[2], actor="ana")]
    [2]
    >>> plan_separate_study(log, {2, 5, 7}, reports=[7, 8], actor="ana")
    Traceback (most recent call last):
    metareview.errors.RecordsError: record 8 is not in the project; record 7 is not linked to another record's study (nothing was changed)
    """
    problems = _missing(record_ids, reports)
    groups = StudyGroups.from_events(events)
    for report in reports:
        if report not in record_ids:
            continue
        if not groups.is_linked(report):
            problems.append(f"record {report} is not linked to another record's study")
        groups = groups.separated(report)
    _all_or_nothing(problems)
    return [NewEvent(EventKind.SEPARATE_STUDY, actor, record_id=r) for r in reports]
