"""The one model every RevMan reader fills: a review's studies, analyses and stored results.

A RevMan 5 file (``.rm5``) and a RevMan Web data package carry the same things: studies,
comparisons → outcomes → subgroups → study data, each outcome's settings, and — when RevMan
calculated them — its own results beside the data. Readers turn either into a
:class:`Review`; everything after (the extraction table, the plan, ``check-revman``, the
writers) reads only this model. Effects are stored as RevMan shows them (ratios for OR, RR,
Peto OR and HR), numbers RevMan printed rounded keep how many decimals they had.

>>> value = StoredValue.parse("0.126942")
>>> value.value, value.decimals
(0.126942, 6)
>>> StoredValue.parse("0.1269422521561745").decimals is None
True
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from metareview.stats.result_base import ResultDocument

# Data types (RevMan 5 element prefixes DICH, CONT, IV, IPD, OTHER).
DATA_TYPES = ("dichotomous", "continuous", "generic", "oe", "other")
METHODS = ("MH", "IV", "PETO")
MODELS = ("fixed", "random")
# Effect measures as RevMan names them; PETO_OR is Peto's odds ratio.
RATIO_MEASURES = ("OR", "RR", "PETO_OR", "HR")
MEASURES = ("OR", "RR", "RD", "MD", "SMD", "PETO_OR", "HR")
# Keys of stored results: a study; a subgroup or total; the test for subgroup differences.
STUDY_KEYS = ("effect", "ci_lower", "ci_upper", "weight")
POOLED_KEYS = (
    "effect",
    "ci_lower",
    "ci_upper",
    "weight",
    "chi2",
    "df",
    "p_chi2",
    "i2",
    "tau2",
    "z",
    "p_z",
)
SUBGROUP_TEST_KEYS = ("q_between", "df_between", "p_between", "i2_between")
# Unrounded values RevMan wrote with full precision carry decimals None; more decimals than
# this are taken to be unrounded too.
MAX_ROUNDED_DECIMALS = 10


@dataclass(frozen=True)
class StoredValue(ResultDocument):
    """A number RevMan stored, with the decimals it was rounded to (``None``: unrounded)."""

    value: float
    decimals: int | None = None

    @classmethod
    def parse(cls, text: str, rounded: bool = True) -> StoredValue:
        """Read ``text``, a decimal number; ``rounded``: the file rounds what it prints (a CSV
        export), so the digits after the point say how. Raises ``ValueError`` otherwise.

        >>> StoredValue.parse("0.0", rounded=False).decimals is None
        True
        """
        text = text.strip()
        value = float(text)
        if value != value or abs(value) == float("inf"):
            raise ValueError(f"not a finite number: {text!r}")
        if not rounded or "e" in text.lower():
            return cls(value, None)
        decimals = len(text.split(".", 1)[1]) if "." in text else 0
        return cls(value, decimals if decimals <= MAX_ROUNDED_DECIMALS else None)


@dataclass(frozen=True)
class Study(ResultDocument):
    """An included study: RevMan's identifier, its name (the label in forest plots), year."""

    id: str
    name: str
    year: str = ""
    data_source: str = ""
    characteristics: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StudyData:
    """One study's data in one subgroup of one outcome.

    ``values`` holds the inputs by data type: ``events_1 total_1 events_2 total_2``
    (dichotomous), ``mean_1 sd_1 total_1 mean_2 sd_2 total_2`` (continuous), ``estimate se``
    (generic inverse variance, on the log scale for ratio measures), ``o_e var`` (O − E and
    variance); ``None`` where the cell is empty. ``stored`` is RevMan's result for the study.
    """

    study: str
    study_id: str
    year: str
    values: dict[str, float | None]
    stored: dict[str, StoredValue]
    where: str
    order: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "stored": {key: value.to_dict() for key, value in self.stored.items()}
        }


@dataclass(frozen=True)
class Subgroup:
    """A subgroup of an outcome (``name`` ``None``: the outcome has no subgroups)."""

    number: int
    name: str | None
    studies: tuple[StudyData, ...]
    stored: dict[str, StoredValue]
    where: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "studies": [study.to_dict() for study in self.studies],
            "stored": {key: value.to_dict() for key, value in self.stored.items()},
            "where": self.where,
        }


@dataclass(frozen=True)
class OutcomeSettings(ResultDocument):
    """How RevMan analyses an outcome.

    ``ci_study``/``ci_total`` are levels (0.95); ``totals`` is ``YES`` (overall and subgroup
    totals), ``SUB`` (subgroup totals only) or ``NO``; ``swap_events``: RevMan analyses the
    non-events; ``log_data``: generic inverse-variance estimates are on the log scale.
    """

    data_type: str
    method: str
    model: str
    measure: str
    ci_study: float = 0.95
    ci_total: float = 0.95
    totals: str = "YES"
    subgroup_test: bool = True
    swap_events: bool = False
    log_data: bool = False

    @property
    def ratio(self) -> bool:
        """Whether effects are ratios (shown as ratios, analysed on the log scale)."""
        return self.measure in RATIO_MEASURES


@dataclass(frozen=True)
class Outcome:
    """One analysis: comparison ``comparison``, outcome ``number``, its subgroups."""

    comparison: int
    comparison_name: str
    number: int
    name: str
    settings: OutcomeSettings
    subgroups: tuple[Subgroup, ...]
    has_subgroups: bool
    stored: dict[str, StoredValue]
    where: str
    group_labels: tuple[str, str] = ("", "")
    graph_labels: tuple[str, str] = ("", "")

    @property
    def id(self) -> str:
        """``"1.2"``: comparison 1, outcome 2 (as RevMan numbers analyses)."""
        return f"{self.comparison}.{self.number}"

    @property
    def calculated(self) -> bool:
        """Whether RevMan stored its results for this outcome."""
        return "effect" in self.stored or any(
            "effect" in study.stored for subgroup in self.subgroups for study in subgroup.studies
        )

    def studies(self) -> Iterator[StudyData]:
        for subgroup in self.subgroups:
            yield from subgroup.studies

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "comparison": self.comparison,
            "comparison_name": self.comparison_name,
            "number": self.number,
            "name": self.name,
            "settings": self.settings.to_dict(),
            "has_subgroups": self.has_subgroups,
            "subgroups": [subgroup.to_dict() for subgroup in self.subgroups],
            "stored": {key: value.to_dict() for key, value in self.stored.items()},
            "where": self.where,
            "group_labels": list(self.group_labels),
            "graph_labels": list(self.graph_labels),
        }


@dataclass(frozen=True)
class RobJudgement(ResultDocument):
    """One risk-of-bias judgement: study, domain, RevMan's judgement and its support."""

    study: str
    domain: str
    judgement: str
    support: str = ""


@dataclass(frozen=True)
class Reference(ResultDocument):
    """A reference of an included study (``fields``: RIS-like tags → values)."""

    study: str
    type: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped(ResultDocument):
    """Something in the file that metareview does not represent, where it is and why."""

    where: str
    what: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}: {self.reason}"


@dataclass(frozen=True)
class Review:
    """A RevMan review as read from ``source`` (``format``: ``rm5`` or ``package``)."""

    source: str
    format: str
    title: str
    studies: tuple[Study, ...]
    outcomes: tuple[Outcome, ...]
    rob: tuple[RobJudgement, ...] = ()
    references: tuple[Reference, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    references_ris: str = ""

    def outcome(self, outcome_id: str) -> Outcome:
        """The outcome with id ``"c.o"``; ``KeyError`` when there is none."""
        for outcome in self.outcomes:
            if outcome.id == outcome_id:
                return outcome
        raise KeyError(outcome_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "title": self.title,
            "studies": [study.to_dict() for study in self.studies],
            "outcomes": [outcome.to_dict() for outcome in self.outcomes],
            "rob": [judgement.to_dict() for judgement in self.rob],
            "references": [reference.to_dict() for reference in self.references],
            "skipped": [skip.to_dict() for skip in self.skipped],
        }

    def summary(self) -> str:
        lines = [
            f"{self.source}: {self.title!r} ({self.format}); {len(self.studies)} studies, "
            f"{len(self.outcomes)} analyses"
        ]
        for outcome in self.outcomes:
            s = outcome.settings
            lines.append(
                f"  {outcome.id} {outcome.name}: {s.data_type}, {s.method} {s.model} {s.measure}, "
                f"{sum(1 for _ in outcome.studies())} study rows"
                + ("" if outcome.calculated else " (no stored results)")
            )
        lines += [f"  skipped: {skip}" for skip in self.skipped]
        return "\n".join(lines)
