"""Stopping title/abstract screening early by a rule (active learning), and undoing that.

When prioritised screening stops early (e.g. after a run of irrelevant records, by the rule
the protocol names), the records nobody has voted on are not screened by a person. PRISMA
2020 counts them in its "records marked as ineligible by automation tools" box
(``excluded_automatic``), so the flow still adds up. The decision is a ``stop_screening``
event naming the rule and every record it set aside; a ``resume_screening`` event undoes it,
until the stage is closed: once the next stage has begun (a full-text vote or a retrieval
logged after the stop), the stop stands.

>>> from datetime import UTC, datetime
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> log = [Event(1, t, "ana", EventKind.DECISION, "ta", 1, "include")]
>>> new = plan_stop(log, [2, 3], stage="ta", rule="SAFE: 50 irrelevant in a row", by="lead")
>>> stopped = log + [Event(2, t, "lead", new[0].kind, "ta", None, new[0].value, data=new[0].data)]
>>> StopState.from_events(stopped).set_aside
frozenset({2, 3})
>>> [e.kind.value for e in plan_resume(stopped, stage="ta", by="lead")]
['resume_screening']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from metareview.errors import RecordsError
from metareview.records.events import Event, EventKind, NewEvent

STOPPABLE_STAGE = "ta"


@dataclass(frozen=True)
class StopState:
    """Whether title/abstract screening stands stopped, by which rule, and what it set aside."""

    event_id: int | None = None
    rule: str = ""
    by: str = ""
    set_aside: frozenset[int] = frozenset()
    closed: bool = False  # the next stage began after the stop: it can no longer be undone

    @property
    def stopped(self) -> bool:
        return self.event_id is not None

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> StopState:
        state = cls()
        for e in events:
            if e.kind == EventKind.STOP_SCREENING:
                records = frozenset(int(r) for r in e.data.get("records", ()))
                state = cls(e.id, str(e.value), e.actor, records)
            elif e.kind == EventKind.RESUME_SCREENING:
                state = cls()
            elif state.stopped and _next_stage_began(e):
                state = cls(state.event_id, state.rule, state.by, state.set_aside, closed=True)
        return state


def _next_stage_began(e: Event) -> bool:
    return (e.kind == EventKind.DECISION and e.stage == "ft") or e.kind == EventKind.RETRIEVAL


def _check_stage(stage: str) -> None:
    if stage != STOPPABLE_STAGE:
        raise RecordsError(
            f"only title/abstract screening (stage ta) can be stopped by a rule; got {stage!r}"
        )


def plan_stop(
    events: Sequence[Event], unscreened: Iterable[int], *, stage: str, rule: str, by: str
) -> list[NewEvent]:
    """The event stopping screening at ``stage``; ``unscreened``: the records it sets aside
    (those up for screening that nobody has voted on)."""
    _check_stage(stage)
    if not rule.strip():
        raise RecordsError("stopping screening needs the rule that decided it (--rule)")
    if not by.strip():
        raise RecordsError("stopping screening needs the name of who decided it (--by)")
    current = StopState.from_events(events)
    if current.stopped:
        raise RecordsError(
            f"screening at stage {stage} is already stopped (event {current.event_id}, rule "
            f"{current.rule!r} by {current.by})"
        )
    records = sorted(unscreened)
    data = {"rule": rule, "records": records, "set_aside": len(records)}
    return [NewEvent(EventKind.STOP_SCREENING, by, stage, value=rule, data=data)]


def plan_resume(events: Sequence[Event], *, stage: str, by: str) -> list[NewEvent]:
    """The event undoing a stop (refused once the next stage has begun)."""
    _check_stage(stage)
    current = StopState.from_events(events)
    if not current.stopped:
        raise RecordsError(f"screening at stage {stage} is not stopped")
    if current.closed:
        raise RecordsError(
            f"the stop (event {current.event_id}) can no longer be undone: full-text work has "
            "begun since"
        )
    return [NewEvent(EventKind.RESUME_SCREENING, by, stage, data={"undoes": current.event_id})]
