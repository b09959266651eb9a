"""A commented starting plan written from the user's own extraction table (``metareview init``).

The plan names the table's outcome categories, time points and likely subgroup columns, so
it runs as written; every choice is commented so the user can edit it.

>>> import pandas as pd
>>> from metareview.data.table import load_table
>>> from metareview.plan.plan import parse_plan
>>> table = load_table(pd.DataFrame({"study": ["A", "B", "C"], "yi": [0.1, 0.3, 0.2],
...     "vi": [0.01, 0.02, 0.03], "format": ["group", "individual", "group"]}))
>>> text = plan_text(table, "trials.csv")
>>> 'subgroups = ["format"]' in text, parse_plan(text).data_file.name
(True, 'trials.csv')
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import PurePosixPath

from metareview.data.table import ExtractionTable

ROB_COLUMNS = ("rob_overall", "rob", "risk_of_bias", "overall_rob")
MAX_SUBGROUP_LEVELS = 6


def _toml(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _distinct(table: ExtractionTable, column: str) -> list[str]:
    return [str(v) for v in dict.fromkeys(table.frame[column].dropna()) if str(v).strip()]


def _per_value(
    table: ExtractionTable, column: str, comment: str, entry: Callable[[str], list[str]]
) -> list[str]:
    """A blank line, ``comment``, then the ``entry`` of each distinct value of ``column``,
    each followed by a blank line."""
    lines = ["", comment]
    for value in _distinct(table, column):
        lines += [*entry(value), ""]
    return lines


def review_title(data_file: str) -> str:
    """A review title from the data file's name (its stem, words split at ``_``, ``-``, ``.``
    and camel case), never from the folders on its path.

    >>> review_title("../../data/DepressionMortality.csv")
    'Meta-analysis of depression mortality'
    >>> review_title("peer_support-2023.xlsx"), review_title("../x/__.csv")
    ('Meta-analysis of peer support 2023', 'Meta-analysis')
    """
    stem = PurePosixPath(data_file.replace("\\", "/")).stem.lstrip(".")
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", stem)
    words = " ".join(re.sub(r"[_\-.\s]+", " ", words).split()).lower()
    return f"Meta-analysis of {words}" if words else "Meta-analysis"


def plan_text(table: ExtractionTable, data_file: str, sheet: str | None = None) -> str:
    """The text of a commented plan for ``table`` (read from ``data_file``)."""
    frame = table.frame
    columns = set(frame.columns)
    rob = next((c for c in ROB_COLUMNS if c in columns), None)
    skip = {"study", "outcome_category", "outcome", "time", "instrument", "higher_is_better", rob}
    subgroups = [
        c
        for c in table.moderators
        if c not in skip
        and 2 <= len(_distinct(table, c)) <= MAX_SUBGROUP_LEVELS
        and not c.startswith("rob_")
    ]
    if rob:
        subgroups.append(rob)
    has_groups = {g for g in table.data_group if g}
    measure = "RR" if has_groups <= {"events", "precalc_log_rr"} else "SMD"
    lines = [
        "# metareview analysis plan, written by `metareview init` from your extraction table.",
        "# Edit it, then run:  metareview run THIS_FILE.toml",
        "# Every key is described in docs/plan.md (JSON schema: metareview/plan/plan.schema.json).",
        "",
        f"title = {_toml(review_title(data_file))}",
        "",
        "[data]",
        f"file = {_toml(data_file)}  # relative to this plan file",
    ]
    if sheet:
        lines.append(f"sheet = {_toml(sheet)}")
    if table.columns:
        mapping = ", ".join(f"{k} = {_toml(v)}" for k, v in table.columns.items())
        lines.append(f"columns = {{ {mapping} }}  # standard name = your header")
    lines += [
        "",
        "[settings]",
        "# preset: the reference software whose conventions every number follows:",
        '# "metafor", "meta", "revman5", "metapsy" or "cma".',
        'preset = "metafor"',
        f"measure = {_toml(measure)}  # SMD, MD, OR, RR, RD or HR",
        '# method = "REML"      # tau^2 estimator; default: the preset\'s',
        '# ci_method = "knha"   # z, knha (Hartung-Knapp) or adhoc; default: the preset\'s',
        "level = 0.95",
        "prediction_interval = true",
        '# model: "random", "fixed", or "fixed_if_low_i2" (RevMan style: fixed when I² < i2_threshold)',
        'model = "random"',
        "i2_threshold = 50",
        "# several effect sizes of one study in one analysis: error, combine, lowest, highest, first",
        'multiple_effects = "combine"',
        "# rho = 0.6  # assumed within-study correlation when combining (default: the preset's,"
        " 0.6 for metapsy as metapsyTools >= 1.0.4, else 0.5)",
        'forest_layout = "meta"  # revman5, jama or meta',
        "",
        "[min_k]  # fewest studies for each kind of analysis",
        "pool = 2",
        "subgroup = 3",
        "specific_outcome = 5",
        "small_study = 10",
    ]
    if rob:
        lines += [
            "",
            "[rob]",
            f"column = {_toml(rob)}",
            'low = "Low"  # the value meaning low risk',
        ]
    if "time" in columns:
        lines += _per_value(
            table,
            "time",
            "# Time windows: rows whose `time` is listed (or whose time_weeks lie in weeks = [from, to]).",
            lambda value: ["[[time_window]]", f"name = {_toml(value)}", f"time = {_toml(value)}"],
        )
    lines += [
        "",
        "[analyses]  # run for every outcome in the first time window",
        f"subgroups = {_toml(subgroups)}",
        '# also possible: "leave_one_out", "influential_removed", "one_per_study_combined"',
        'sensitivity = ["outliers_removed", "one_per_study_lowest", "one_per_study_highest"'
        + (', "low_rob_only"' if rob else "")
        + "]",
        '# also possible: "selection" (step-function selection model, settings.selection_steps)',
        'small_study = ["egger", "trimfill"]',
        f"specific_outcomes = {'true' if 'outcome' in columns else 'false'}",
        "# meta-regression on moderator columns, e.g.:",
        '# metaregression = [{ moderators = ["year"] }, { moderators = ["format"], ci_method = "knha" }]',
    ]
    if "outcome_category" in columns:
        lines += _per_value(
            table,
            "outcome_category",
            "# Outcome categories (values of outcome_category); each is pooled per window.",
            lambda value: [
                "[[category]]",
                f"name = {_toml(value.capitalize())}",
                f"values = {_toml(value)}",
            ],
        )
    else:
        lines += [
            "",
            "# One analysis of every row (add more [[analysis]] entries with their own filter).",
            "[[analysis]]",
            'name = "All outcomes"',
            "filter = {}",
        ]
    return "\n".join(lines).rstrip() + "\n"
