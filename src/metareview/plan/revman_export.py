"""metareview's results in RevMan's shape: a :class:`Review` whose stored numbers are ours.

:func:`review_with_results` re-runs every analysis (:mod:`metareview.plan.revman_fit`) and
puts metareview's numbers where RevMan keeps its own (per study, subgroup, total and the
test for subgroup differences), so the RevMan writers
(:mod:`metareview.data.revman.writers`) can publish metareview's analyses in RevMan Web's
data-package layout, and ``check-revman`` can read them back.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from metareview.data.revman.model import (
    POOLED_KEYS,
    STUDY_KEYS,
    SUBGROUP_TEST_KEYS,
    Outcome,
    Review,
    StoredValue,
)
from metareview.data.revman.writers import write_package
from metareview.plan.revman_fit import Fit, fit_outcome


def review_with_results(review: Review, decimals: int | None = None) -> Review:
    """``review`` with every stored number replaced by metareview's (rounded to ``decimals``
    places when given, as RevMan Web prints them: 6)."""
    return replace(review, outcomes=tuple(_outcome(o, decimals) for o in review.outcomes))


def write_results_package(review: Review, path: str | Path, package_id: str = "metareview") -> Path:
    """Write metareview's results for ``review`` as a RevMan Web data package (zip)."""
    return write_package(review_with_results(review, decimals=6), path, package_id)


def _values(numbers: dict[str, float] | None, keys, decimals: int | None) -> dict[str, StoredValue]:
    if not numbers:
        return {}
    return {
        key: StoredValue(
            float(numbers[key]) if decimals is None else round(float(numbers[key]), decimals),
            decimals,
        )
        for key in keys
        if key in numbers and numbers[key] is not None
    }


def _outcome(outcome: Outcome, decimals: int | None) -> Outcome:
    fits = fit_outcome(outcome)
    total = fits["total"]
    subgroups, position = [], 0
    for subgroup in outcome.subgroups:
        studies = []
        for study in subgroup.studies:
            ours = fits["studies"].get(position)
            studies.append(replace(study, stored=_values(ours, STUDY_KEYS, decimals)))
            position += 1
        fit = fits["subgroups"].get(subgroup.number)
        stored = {}
        if subgroup.name is not None and isinstance(fit, Fit):
            weight = subgroup_weight(fits, subgroup.number, outcome)
            stored = _values({**fit.values, "weight": weight}, POOLED_KEYS, decimals)
        subgroups.append(replace(subgroup, studies=tuple(studies), stored=stored))
    stored = {}
    if isinstance(total, Fit):
        stored = _values({**total.values, "weight": 100.0}, POOLED_KEYS, decimals)
    stored.update(_values(fits["test"], SUBGROUP_TEST_KEYS, decimals))
    return replace(outcome, subgroups=tuple(subgroups), stored=stored)


def subgroup_weight(fits: dict, number: int, outcome: Outcome) -> float:
    """The subgroup's share of the total weight (100 when RevMan shows no overall total)."""
    total = fits["total"]
    if not isinstance(total, Fit) or outcome.settings.totals != "YES":
        return 100.0
    rows = fits["frame"].index[fits["frame"]["subgroup_no"] == number]
    return float(sum(total.studies[p][2] for p in rows if p in total.studies))
