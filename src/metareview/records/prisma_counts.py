"""PRISMA 2020 flow counts derived from a review's event log.

Every number comes from the log, so it can be re-derived at any time and audited:

- identified: records imported, per source (database or register);
- duplicates: records removed as duplicates (automatically or by a person);
- screened: the unique records; excluded: final title/abstract exclusions;
- sought: records that passed title/abstract (include, or a unanimous maybe);
- not retrieved: full texts reported missing; assessed: sought − not retrieved;
- excluded with reasons: final full-text exclusions, by reason; included: final includes.

Records still awaiting votes or a conflict's resolution are counted separately
(``ta_awaiting``, ``ft_awaiting``) rather than silently left out, so a flow with open work
does not add up until the work is done.

>>> from datetime import UTC, datetime
>>> from metareview.records.events import Event, EventKind
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> log = [Event(1, t, "dedup", EventKind.DUPLICATE, record_id=2, data={"of": 1})]
>>> log += [Event(2 + i, t, who, EventKind.DECISION, "ta", r, "exclude")
...         for i, (who, r) in enumerate([("ana", 1), ("ben", 1), ("ana", 3), ("ben", 3)])]
>>> counts = flow_counts({1: ("PubMed", "database"), 2: ("Embase", "database"),
...                       3: ("Embase", "database")}, log)
>>> counts.identified, counts.duplicates, counts.records_screened, counts.records_excluded
((('Embase', 2), ('PubMed', 1)), 1, 2, 2)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from metareview.records.duplicate_log import DuplicateState
from metareview.records.events import Event
from metareview.records.screening import (
    CONFLICT,
    PENDING,
    Stage,
    StageState,
    Vote,
    eligible_records,
    not_retrieved,
)


@dataclass(frozen=True)
class FlowCounts:
    """The counts of a PRISMA 2020 flow, plus the records still awaiting a decision."""

    identified: tuple[tuple[str, int], ...]  # databases: (name, records)
    identified_registers: tuple[tuple[str, int], ...]
    duplicates: int
    records_screened: int
    records_excluded: int
    ta_awaiting: int
    sought: int
    not_retrieved: int
    assessed: int
    excluded_reasons: tuple[tuple[str, int], ...]
    ft_awaiting: int
    included: int
    included_ids: tuple[int, ...]

    def prisma_fields(self) -> dict[str, Any]:
        """The counts under the PRISMA2020 CSV's ``data`` keys."""
        return {
            "database_results": sum(n for _, n in self.identified),
            "database_specific_results": self.identified,
            "register_results": sum(n for _, n in self.identified_registers),
            "register_specific_results": self.identified_registers,
            "duplicates": self.duplicates,
            "excluded_automatic": 0,
            "excluded_other": 0,
            "records_screened": self.records_screened,
            "records_excluded": self.records_excluded,
            "dbr_sought_reports": self.sought,
            "dbr_notretrieved_reports": self.not_retrieved,
            "dbr_assessed": self.assessed,
            "dbr_excluded": self.excluded_reasons,
            "new_studies": self.included,
            "new_reports": self.included,
            "total_studies": self.included,
            "total_reports": self.included,
        }

    def to_dict(self) -> dict[str, Any]:
        fields = self.prisma_fields()
        for key in ("database_specific_results", "register_specific_results", "dbr_excluded"):
            fields[key] = [{"name": name, "n": n} for name, n in fields[key]]
        return fields | {
            "ta_awaiting": self.ta_awaiting,
            "ft_awaiting": self.ft_awaiting,
            "included_ids": list(self.included_ids),
        }

    def summary(self) -> str:
        lines = [
            "Identified: "
            + "; ".join(f"{name} {n}" for name, n in self.identified + self.identified_registers),
            f"Duplicates removed: {self.duplicates}",
            f"Screened (title/abstract): {self.records_screened}, excluded "
            f"{self.records_excluded}, awaiting {self.ta_awaiting}",
            f"Full texts sought: {self.sought}, not retrieved {self.not_retrieved}, "
            f"assessed {self.assessed}",
            "Excluded at full text: "
            + ("; ".join(f"{r} {n}" for r, n in self.excluded_reasons) or "none"),
            f"Awaiting at full text: {self.ft_awaiting}",
            f"Included: {self.included}",
        ]
        return "\n".join(lines)


def _by_source(sources: Mapping[int, tuple[str, str]], kind: str) -> tuple[tuple[str, int], ...]:
    counts = Counter(name for name, k in sources.values() if k == kind)
    return tuple(sorted(counts.items()))


def flow_counts(
    sources: Mapping[int, tuple[str, str]],
    events: Sequence[Event],
    reviewers_required: int = 2,
) -> FlowCounts:
    """Derive the PRISMA flow from the log.

    Parameters
    ----------
    sources
        Every record id → (source name, ``database`` or ``register``).
    events
        The project's event log, in order.
    """
    ids = list(sources)
    removed = DuplicateState.from_events(events).removed
    ta = StageState.from_events(events, Stage.TITLE_ABSTRACT, reviewers_required)
    ft = StageState.from_events(events, Stage.FULL_TEXT, reviewers_required)
    unique = [r for r in ids if r not in removed]
    ta_outcomes = Counter(ta.outcome(r) for r in unique)
    passed = [r for r in unique if ta.outcome(r) in (Vote.INCLUDE, Vote.MAYBE)]
    missing = not_retrieved(events) & set(passed)
    assessed = eligible_records(ids, events, Stage.FULL_TEXT, reviewers_required)
    ft_outcomes = {r: ft.outcome(r) for r in assessed}
    reasons = Counter(
        ft.exclusion_reason(r) or "reason not recorded"
        for r, outcome in ft_outcomes.items()
        if outcome == Vote.EXCLUDE
    )
    included = tuple(r for r, outcome in ft_outcomes.items() if outcome == Vote.INCLUDE)
    return FlowCounts(
        identified=_by_source(sources, "database"),
        identified_registers=_by_source(sources, "register"),
        duplicates=len(ids) - len(unique),
        records_screened=len(unique),
        records_excluded=ta_outcomes[Vote.EXCLUDE],
        ta_awaiting=ta_outcomes[PENDING] + ta_outcomes[CONFLICT],
        sought=len(passed),
        not_retrieved=len(missing),
        assessed=len(assessed),
        excluded_reasons=tuple(sorted(reasons.items())),
        ft_awaiting=sum(1 for o in ft_outcomes.values() if o in (PENDING, CONFLICT, Vote.MAYBE)),
        included=len(included),
        included_ids=included,
    )
