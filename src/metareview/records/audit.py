"""Which events of the log an export may show while screening is under way (blinding).

A reviewer's vote on a record stays hidden from everyone else until the record's required
votes are all in. An export of the voting history or of the audit log is read by people who
may themselves be screening (the lead usually is), so it leaves out, at each stage, every
vote and every undo on a record whose votes are not yet complete (and not resolved): not
the vote, its note, its time, nor that it exists. Once a record is complete its whole
history at that stage (changed votes and undos included) is shown. At the end of screening
nothing is left out.

>>> from datetime import UTC, datetime
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> log = [Event(1, t, "ana", EventKind.DECISION, "ta", 1, "include"),
...        Event(2, t, "ben", EventKind.DECISION, "ta", 1, "exclude"),
...        Event(3, t, "ana", EventKind.DECISION, "ta", 2, "include"),
...        Event(4, t, "lead", EventKind.SETTING, value="highlight_include")]
>>> sorted(open_vote_events(log, reviewers_required=2))
[3]
"""

from __future__ import annotations

from collections.abc import Sequence

from metareview.records.events import Event, EventKind
from metareview.records.screening import Stage, StageState

VOTE_KINDS = (EventKind.DECISION, EventKind.UNDO)


def open_vote_events(events: Sequence[Event], *, reviewers_required: int) -> set[int]:
    """The ids of the votes and undos on records whose votes at their stage are still open
    (neither complete nor resolved): what a blinded export leaves out."""
    hidden: set[int] = set()
    for stage in Stage:
        state = StageState.from_events(events, stage.value, reviewers_required)
        for e in events:
            if e.kind not in VOTE_KINDS or e.stage != stage.value or e.record_id is None:
                continue
            if not (state.complete(e.record_id) or e.record_id in state.resolutions):
                hidden.add(e.id)
    return hidden
