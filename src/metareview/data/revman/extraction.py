"""A RevMan review as an extraction table in the data standard: one row per study × outcome ×
subgroup, with the columns that say which comparison, outcome and subgroup it belongs to.

Dichotomous data become ``event_arm1 totaln_arm1 event_arm2 totaln_arm2`` (RevMan's
"swap events" writes the non-events there, as RevMan analyses them); continuous data
``mean_arm1 sd_arm1 n_arm1 …``; generic inverse-variance data ``yi sei``; O − E and variance
``yi = (O − E)/V`` with ``sei = 1/√V`` (Peto's log odds ratio or log hazard ratio, whose
inverse-variance pooling is Peto's method: Σ(O − E)/ΣV with variance 1/ΣV); Peto odds ratios
from 2×2 tables the same per-study (O − E)/V, and 2×2 tables RevMan pools by inverse variance
each study's log OR, log RR or RD (0.5 added to tables with a zero cell) in ``yi sei``, with
the counts kept in ``revman_events_*`` columns (so a plan pools them by inverse variance, not
Mantel–Haenszel). ``comparison_no``, ``outcome_no`` and ``subgroup_no`` select an analysis's rows.

>>> from metareview.data.revman.rm5 import read_rm5
>>> review = read_rm5(b'''<COCHRANE_REVIEW><ANALYSES_AND_DATA><COMPARISON NO="1"><NAME>C</NAME>
... <CONT_OUTCOME NO="2" EFFECT_MEASURE="MD"><NAME>Pain</NAME><CONT_DATA STUDY_ID="S1"
... MEAN_1="2" SD_1="1" TOTAL_1="20" MEAN_2="3" SD_2="1.2" TOTAL_2="22"/></CONT_OUTCOME>
... </COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>''', "x.rm5")
>>> frame = review_table(review)
>>> [str(frame.at[0, c]) for c in ("study", "outcome_no", "mean_arm1", "n_arm2")]
['S1', '2', '2.0', '22.0']
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from metareview.data.revman.model import Outcome, Review, StudyData
from metareview.stats.effects.binary import two_by_two

KEY_COLUMNS = (
    "study",
    "year",
    "comparison_no",
    "comparison",
    "outcome_no",
    "outcome",
    "subgroup_no",
    "subgroup",
    "data_type",
    "condition_arm1",
    "condition_arm2",
)
DATA_COLUMNS = {
    "dichotomous": ("event_arm1", "totaln_arm1", "event_arm2", "totaln_arm2"),
    "continuous": ("mean_arm1", "sd_arm1", "n_arm1", "mean_arm2", "sd_arm2", "n_arm2"),
    "generic": ("yi", "sei"),
    "oe": ("yi", "sei", "revman_o_e", "revman_var"),
    "peto": ("yi", "sei", "revman_events_1", "revman_total_1", "revman_events_2", "revman_total_2"),
}
# Dichotomous outcomes RevMan pools by inverse variance: per-study effects, counts kept aside.
DATA_COLUMNS["dichotomous_iv"] = DATA_COLUMNS["peto"]


def review_table(review: Review) -> pd.DataFrame:
    """Every study row of every outcome of ``review`` as one table (see the module)."""
    rows = [
        _row(outcome, subgroup.number, subgroup.name or "", study)
        for outcome in review.outcomes
        for subgroup in outcome.subgroups
        for study in subgroup.studies
    ]
    columns = list(KEY_COLUMNS)
    for group in DATA_COLUMNS.values():
        columns += [c for c in group if c not in columns]
    return pd.DataFrame(rows, columns=columns)


def table_kind(outcome: Outcome) -> str:
    """Which data columns an outcome's rows fill (a key of ``DATA_COLUMNS``)."""
    settings = outcome.settings
    if settings.data_type == "dichotomous" and settings.method == "PETO":
        return "peto"
    if settings.data_type == "dichotomous" and settings.method == "IV":
        return "dichotomous_iv"
    return settings.data_type


def peto_effect(events_1, total_1, events_2, total_2) -> tuple[float, float] | None:
    """Peto's per-study log odds ratio (O − E)/V and its SE 1/√V (``None`` when V = 0).

    >>> [round(x, 6) for x in peto_effect(4, 123, 11, 139)]
    [-0.860383, 0.531823]
    """
    n = total_1 + total_2
    events = events_1 + events_2
    if n < 2:
        return None
    o_minus_e = events_1 - total_1 * events / n
    variance = total_1 * total_2 * events * (n - events) / (n * n * (n - 1))
    if variance <= 0:
        return None
    return o_minus_e / variance, 1 / math.sqrt(variance)


def _effect(kind: str, measure: str, counts: list[float]) -> tuple[float, float] | None:
    """Peto's (O − E)/V, or RevMan's inverse-variance effect of a 2×2 table: log OR, log RR
    or RD with 0.5 added to every cell of a table with a zero cell (``None``: not estimable,
    e.g. no events in either arm for OR and RR)."""
    if kind == "peto":
        return peto_effect(*counts)
    result = two_by_two(measure, *counts, add=0.5, drop_double_zero=True)
    yi, vi = float(result.yi[0]), float(result.vi[0])
    return (yi, math.sqrt(vi)) if math.isfinite(yi) and math.isfinite(vi) and vi > 0 else None


def _row(outcome: Outcome, number: int, name: str, study: StudyData) -> dict[str, Any]:
    row: dict[str, Any] = {
        "study": study.study,
        "year": study.year,
        "comparison_no": outcome.comparison,
        "comparison": outcome.comparison_name,
        "outcome_no": outcome.number,
        "outcome": outcome.name,
        "subgroup_no": number,
        "subgroup": name,
        "data_type": outcome.settings.data_type,
        "condition_arm1": outcome.group_labels[0],
        "condition_arm2": outcome.group_labels[1],
    }
    v = study.values
    kind = table_kind(outcome)
    if kind in ("dichotomous", "peto", "dichotomous_iv"):
        counts = [v.get(k) for k in ("events_1", "total_1", "events_2", "total_2")]
        if outcome.settings.swap_events and None not in counts:
            counts = [counts[1] - counts[0], counts[1], counts[3] - counts[2], counts[3]]
        if kind == "dichotomous":
            row.update(zip(DATA_COLUMNS["dichotomous"], counts))
        else:
            row.update(zip(DATA_COLUMNS["peto"][2:], counts))
            effect = None if None in counts else _effect(kind, outcome.settings.measure, counts)
            row["yi"], row["sei"] = effect if effect else (None, None)
    elif kind == "continuous":
        for column, key in zip(
            DATA_COLUMNS["continuous"], ("mean_1", "sd_1", "total_1", "mean_2", "sd_2", "total_2")
        ):
            row[column] = v.get(key)
    elif kind == "generic":
        row["yi"], row["sei"] = v.get("estimate"), v.get("se")
    else:
        o_e, var = v.get("o_e"), v.get("var")
        row["revman_o_e"], row["revman_var"] = o_e, var
        if o_e is not None and var is not None and var > 0:
            row["yi"], row["sei"] = o_e / var, 1 / math.sqrt(var)
    return row
