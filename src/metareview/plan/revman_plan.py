"""A plan (``plan.toml``) that re-runs every analysis of a RevMan review with its settings.

One ``[[analysis]]`` per RevMan outcome, selecting its rows of the extraction table
(:func:`metareview.data.revman.extraction.review_table`) by ``comparison_no`` and
``outcome_no``, with preset ``revman5``, RevMan's measure, model (fixed or random: τ² by
DerSimonian–Laird), confidence level and — when the outcome has subgroups — a subgroup
analysis by ``subgroup``. What a plan cannot say exactly is returned as notes, so that
``import-revman`` prints it (nothing is dropped silently).

>>> from metareview.data.revman.rm5 import read_rm5
>>> review = read_rm5(b'''<COCHRANE_REVIEW><ANALYSES_AND_DATA><COMPARISON NO="1"><NAME>C</NAME>
... <DICH_OUTCOME NO="1" METHOD="MH" RANDOM="YES" EFFECT_MEASURE="RR"><NAME>Death</NAME>
... <DICH_DATA STUDY_ID="S1" EVENTS_1="3" TOTAL_1="20" EVENTS_2="5" TOTAL_2="21"/>
... </DICH_OUTCOME></COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>''', "x.rm5")
>>> text, notes = review_plan(review, "extraction.csv")
>>> plan = parse_plan(text)
>>> analysis = plan.custom[0]
>>> analysis.name, analysis.settings.measure, analysis.settings.model, analysis.filter
('1.1 Death', 'RR', 'random', {'comparison_no': 1, 'outcome_no': 1})
"""

from __future__ import annotations

import json
from collections import Counter

from metareview.data.revman.extraction import table_kind
from metareview.data.revman.model import Outcome, Review, Skipped
from metareview.plan.plan import parse_plan

# RevMan measure → the plan's measure (Peto's odds ratio is an odds ratio; its per-study
# (O − E)/V effects pooled by inverse variance are Peto's estimate).
PLAN_MEASURES = {
    "OR": "OR",
    "RR": "RR",
    "RD": "RD",
    "MD": "MD",
    "SMD": "SMD",
    "PETO_OR": "OR",
    "HR": "HR",
}


def plan_measure(outcome: Outcome) -> str:
    """The plan's measure for ``outcome`` (a generic outcome's own name: by its scale)."""
    measure = outcome.settings.measure
    return PLAN_MEASURES.get(
        measure, "RR" if outcome.settings.ratio or outcome.settings.log_data else "MD"
    )


def review_plan(
    review: Review, data_file: str, rob_file: str | None = None
) -> tuple[str, list[Skipped]]:
    """The TOML text of the plan and the notes on what it represents only approximately."""
    notes: list[Skipped] = []
    lines = [
        f"# Made by metareview import-revman from {_string(review.source)}: one analysis per",
        "# RevMan outcome, with RevMan's method, model, measure, CI level and subgroups.",
        f"title = {_string(review.title or review.source)}",
        "",
        "[data]",
        f"file = {_string(data_file)}",
        "drop_incomplete = true  # RevMan keeps studies without data as 'not estimable'",
        "",
        "[settings]",
        'preset = "revman5"',
        'method = "DL"',
        "prediction_interval = false  # RevMan 5 shows none",
        "",
        "[min_k]  # RevMan pools any number of studies",
        "pool = 1",
        "subgroup = 1",
        "",
        "[grade]",
        "enabled = false",
    ]
    for outcome in review.outcomes:
        rows = list(outcome.studies())
        if not rows:
            notes.append(
                Skipped(outcome.where, _what(outcome), "no study data: left out of the plan")
            )
            continue
        notes += _notes(outcome)
        settings = outcome.settings
        lines += [
            "",
            "[[analysis]]",
            f"name = {_string(f'{outcome.id} {outcome.name}'.strip())}",
            f"filter = {{ comparison_no = {outcome.comparison}, outcome_no = {outcome.number} }}",
            "[analysis.settings]",
            f"measure = {_string(plan_measure(outcome))}",
            f'model = "{settings.model}"',
            f"level = {settings.ci_total!r}",
        ]
        if outcome.has_subgroups:
            lines += ["[analysis.analyses]", 'subgroups = ["subgroup"]']
    if rob_file:
        lines += [
            "",
            "# RevMan's risk-of-bias judgements are in " + _string(rob_file) + " (robvis format).",
        ]
    text = "\n".join(lines) + "\n"
    parse_plan(text, source="plan.toml")  # what we write must be a valid plan
    return text, notes


def _what(outcome: Outcome) -> str:
    return f"outcome {outcome.id} {outcome.name!r}"


def _notes(outcome: Outcome) -> list[Skipped]:
    settings, what, where = outcome.settings, _what(outcome), outcome.where
    notes = []

    def note(reason: str) -> None:
        notes.append(Skipped(where, what, reason))

    if table_kind(outcome) == "peto":
        note(
            "Peto odds ratio: each study's (O - E)/V and 1/sqrt(V) are in yi/sei (the counts in revman_events_*); their inverse-variance pooling is Peto's estimate"
        )
        if settings.model == "random":
            note(
                "RevMan's Peto method is fixed-effect only; the plan runs random effects on the Peto log odds ratios as the file asks"
            )
    if table_kind(outcome) == "dichotomous_iv":
        note(
            f"inverse variance on 2x2 tables: each study's {'log ' if settings.ratio else ''}{settings.measure} (0.5 added to tables with a zero cell) and its SE are in yi/sei (the counts in revman_events_*), so the run pools them by inverse variance as RevMan, not by Mantel-Haenszel"
        )
    if settings.data_type == "oe":
        note(
            "O - E and variance: yi = (O - E)/V and sei = 1/sqrt(V) (Peto's one-step estimate under inverse-variance pooling)"
        )
    if settings.measure not in PLAN_MEASURES:
        note(
            f"generic measure {settings.measure!r} is analysed as {plan_measure(outcome)!r} (same scale; the name is not kept)"
        )
    if settings.ci_study != settings.ci_total:
        note(
            f"study CIs at {settings.ci_study:.0%} (RevMan) are shown at the analysis level {settings.ci_total:.0%}"
        )
    if outcome.has_subgroups and settings.totals != "YES":
        note("RevMan shows subgroup totals only; metareview also pools all subgroups together")
    if outcome.has_subgroups and not settings.subgroup_test:
        note("RevMan hides the test for subgroup differences; metareview reports it")
    if settings.swap_events:
        note("swap events: the table holds the non-events as events, as RevMan analyses them")
    repeated = [s for s, n in Counter(d.study for d in outcome.studies()).items() if n > 1]
    if repeated:
        note(
            f"{', '.join(repeated)} appear(s) in several subgroups: RevMan counts each row in the total, metareview's run combines a study's rows (multiple_effects)"
        )
    return notes


def _string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(str(text), ensure_ascii=False).replace("\x7f", "\\u007f")
