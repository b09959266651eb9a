"""PRISMA 2020 flow counts derived from a review's event log.

Every number comes from the log, so it can be re-derived at any time and audited:

- identified: records imported, per source (database or register);
- duplicates: records removed as duplicates (automatically or by a person);
- screened: the unique records; excluded: final title/abstract exclusions;
- sought: records that passed title/abstract (include, or a unanimous maybe);
- not retrieved: full texts reported missing; assessed: sought − not retrieved;
- excluded with reasons: final full-text exclusions, by reason; included: final includes,
  as reports (records) and as studies (reports linked as one study count once).

Records identified via other methods (websites, organisations, citation searching; see
:class:`~metareview.records.record.SourceKind`) form PRISMA 2020's second branch: they are
not screened on title/abstract, so every unique one is sought for retrieval, and its own
not-retrieved, assessed and excluded counts follow. Such records removed as duplicates (of
records from any source) are counted in ``other_duplicates``: the PRISMA 2020 diagram has no
box for them, so the summary names them.

Records set aside when title/abstract screening was stopped early by a rule (see
:mod:`metareview.records.stopping`) are PRISMA 2020's "records marked as ineligible by
automation tools" (``excluded_automatic``), removed before screening.

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
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from metareview.records.duplicate_log import DuplicateState
from metareview.records.events import Event
from metareview.records.record import OTHER_METHODS, SourceKind
from metareview.records.screening import (
    CONFLICT,
    PENDING,
    Stage,
    StageState,
    Vote,
    eligible_records,
    not_retrieved,
)
from metareview.records.stopping import StopState
from metareview.records.studies import StudyGroups

Branch = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class BranchCounts:
    """Retrieval and eligibility assessment of one branch's unique records."""

    sought: int
    not_retrieved: int
    assessed: int
    excluded_reasons: Branch
    awaiting: int  # assessed records without a final full-text decision yet
    included_ids: tuple[int, ...]


@dataclass(frozen=True)
class FlowCounts:
    """The counts of a PRISMA 2020 flow, plus the records still awaiting a decision."""

    identified: Branch  # databases: (name, records)
    identified_registers: Branch
    duplicates: int
    records_screened: int
    records_excluded: int
    ta_awaiting: int
    sought: int
    not_retrieved: int
    assessed: int
    excluded_reasons: Branch
    ft_awaiting: int
    included: int  # reports
    included_ids: tuple[int, ...]
    included_studies: int  # reports of one study count once (see metareview.records.studies)
    identified_other: Branch = ()  # other methods: (website/organisation/citation, records)
    other_duplicates: int = 0
    other: BranchCounts | None = None  # None when no record came from other methods
    excluded_automatic: int = 0  # set aside when screening stopped early by a rule

    def prisma_fields(self) -> dict[str, Any]:
        """The counts under the PRISMA2020 CSV's ``data`` keys."""
        fields: dict[str, Any] = {
            "database_results": sum(n for _, n in self.identified),
            "database_specific_results": self.identified,
            "register_results": sum(n for _, n in self.identified_registers),
            "register_specific_results": self.identified_registers,
            "duplicates": self.duplicates,
            "excluded_automatic": self.excluded_automatic,
            "excluded_other": 0,
            "records_screened": self.records_screened,
            "records_excluded": self.records_excluded,
            "dbr_sought_reports": self.sought,
            "dbr_notretrieved_reports": self.not_retrieved,
            "dbr_assessed": self.assessed,
            "dbr_excluded": self.excluded_reasons,
            "new_studies": self.included_studies,
            "new_reports": self.included,
            "total_studies": self.included_studies,
            "total_reports": self.included,
        }
        if self.other is not None:
            by_kind = dict(self.identified_other)
            fields |= {
                "website_results": by_kind.get(SourceKind.WEBSITE, 0),
                "organisation_results": by_kind.get(SourceKind.ORGANISATION, 0),
                "citations_results": by_kind.get(SourceKind.CITATION, 0),
                "other_sought_reports": self.other.sought,
                "other_notretrieved_reports": self.other.not_retrieved,
                "other_assessed": self.other.assessed,
                "other_excluded": self.other.excluded_reasons,
            }
        return fields

    def to_dict(self) -> dict[str, Any]:
        fields = self.prisma_fields()
        for key in _LIST_KEYS & set(fields):
            fields[key] = [{"name": name, "n": n} for name, n in fields[key]]
        return fields | {
            "ta_awaiting": self.ta_awaiting,
            "ft_awaiting": self.ft_awaiting,
            "other_duplicates": self.other_duplicates,
            "other_ft_awaiting": self.other.awaiting if self.other else 0,
            "included_ids": list(self.included_ids),
        }

    def summary(self) -> str:
        lines = [
            "Identified: "
            + "; ".join(f"{name} {n}" for name, n in self.identified + self.identified_registers),
            f"Duplicates removed: {self.duplicates}",
            *(
                [
                    f"Marked ineligible by automation (screening stopped by a rule): "
                    f"{self.excluded_automatic}"
                ]
                if self.excluded_automatic
                else []
            ),
            f"Screened (title/abstract): {self.records_screened}, excluded "
            f"{self.records_excluded}, awaiting {self.ta_awaiting}",
            f"Full texts sought: {self.sought}, not retrieved {self.not_retrieved}, "
            f"assessed {self.assessed}",
            "Excluded at full text: " + _reasons_text(self.excluded_reasons),
            f"Awaiting at full text: {self.ft_awaiting}",
        ]
        if self.other is not None:
            other = self.other
            lines += [
                "Other methods: "
                + "; ".join(f"{_OTHER_NAMES[kind]} {n}" for kind, n in self.identified_other)
                + f" (duplicates of records already found: {self.other_duplicates})",
                f"  Full texts sought: {other.sought}, not retrieved {other.not_retrieved}, "
                f"assessed {other.assessed}",
                "  Excluded at full text: " + _reasons_text(other.excluded_reasons),
                f"  Awaiting at full text: {other.awaiting}",
            ]
        lines.append(f"Included: {self.included_studies} studies ({self.included} reports)")
        return "\n".join(lines)


_LIST_KEYS = {
    "database_specific_results",
    "register_specific_results",
    "dbr_excluded",
    "other_excluded",
}
_OTHER_NAMES = {
    SourceKind.WEBSITE: "websites",
    SourceKind.ORGANISATION: "organisations",
    SourceKind.CITATION: "citation searching",
}


def _reasons_text(reasons: Branch) -> str:
    return "; ".join(f"{r} {n}" for r, n in reasons) or "none"


def _by_source(sources: Mapping[int, tuple[str, str]], kind: str) -> Branch:
    counts = Counter(name for name, k in sources.values() if k == kind)
    return tuple(sorted(counts.items()))


def _assessment(
    unique: Sequence[int],
    sought: Sequence[int],
    events: Sequence[Event],
    ft: StageState,
    eligible: Collection[int],
) -> BranchCounts:
    """Retrieval and full-text outcomes of the records ``sought`` (from ``unique``)."""
    missing = not_retrieved(events) & set(sought)
    assessed = [r for r in unique if r in eligible]
    outcomes = {r: ft.outcome(r) for r in assessed}
    reasons = Counter(
        ft.exclusion_reason(r) or "reason not recorded"
        for r, outcome in outcomes.items()
        if outcome == Vote.EXCLUDE
    )
    return BranchCounts(
        sought=len(sought),
        not_retrieved=len(missing),
        assessed=len(assessed),
        excluded_reasons=tuple(sorted(reasons.items())),
        awaiting=sum(1 for o in outcomes.values() if o in (PENDING, CONFLICT, Vote.MAYBE)),
        included_ids=tuple(r for r, outcome in outcomes.items() if outcome == Vote.INCLUDE),
    )


def flow_counts(
    sources: Mapping[int, tuple[str, str]],
    events: Sequence[Event],
    reviewers_required: int = 2,
) -> FlowCounts:
    """Derive the PRISMA flow from the log.

    Parameters
    ----------
    sources
        Every record id → (source name, source kind: ``database``, ``register``, or an
        other method: ``website``, ``organisation``, ``citation``).
    events
        The project's event log, in order.
    """
    ids = list(sources)
    other_ids = {r for r, (_, kind) in sources.items() if kind in OTHER_METHODS}
    removed = DuplicateState.from_events(events).removed
    ta = StageState.from_events(events, Stage.TITLE_ABSTRACT, reviewers_required)
    ft = StageState.from_events(events, Stage.FULL_TEXT, reviewers_required)
    eligible = set(eligible_records(ids, events, Stage.FULL_TEXT, reviewers_required, other_ids))
    dbr = [r for r in ids if r not in other_ids]
    unique = [r for r in dbr if r not in removed]
    automated = StopState.from_events(events).set_aside
    screened = [r for r in unique if r not in automated]
    ta_outcomes = Counter(ta.outcome(r) for r in screened)
    passed = [r for r in screened if ta.outcome(r) in (Vote.INCLUDE, Vote.MAYBE)]
    main = _assessment(unique, passed, events, ft, eligible)
    other = None
    unique_other = [r for r in ids if r in other_ids and r not in removed]
    if other_ids:
        other = _assessment(unique_other, unique_other, events, ft, eligible)
    included = main.included_ids + (other.included_ids if other else ())
    return FlowCounts(
        identified=_by_source(sources, SourceKind.DATABASE),
        identified_registers=_by_source(sources, SourceKind.REGISTER),
        duplicates=len(dbr) - len(unique),
        records_screened=len(screened),
        records_excluded=ta_outcomes[Vote.EXCLUDE],
        ta_awaiting=ta_outcomes[PENDING] + ta_outcomes[CONFLICT],
        sought=main.sought,
        not_retrieved=main.not_retrieved,
        assessed=main.assessed,
        excluded_reasons=main.excluded_reasons,
        ft_awaiting=main.awaiting,
        included=len(included),
        included_ids=tuple(sorted(included)),
        included_studies=StudyGroups.from_events(events).count(included),
        identified_other=tuple(
            sorted(Counter(sources[r][1] for r in other_ids).items(), key=lambda kv: kv[0])
        ),
        other_duplicates=len(other_ids) - len(unique_other),
        other=other,
        excluded_automatic=len(unique) - len(screened),
    )
