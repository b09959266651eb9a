"""Trial designs that change the arm data before an effect is computed.

Multi-arm trials (Cochrane Handbook §23.3.4): rows of one study and outcome that carry
``multi_arm1``/``multi_arm2`` labels and share one arm are kept and flagged (``keep``), merged
into one comparison by combining the other arms (``combine``), or given an equal share of the
shared arm's participants (``split``). Cluster-randomised trials (Handbook §23.1.4): sizes and
event counts are divided by the design effect 1 + (m − 1)·ICC, and precomputed variances are
multiplied by it. Both act on the private workspace of
:func:`metareview.data.effects.compute_effects`; every change is written into the row's note.
"""

from __future__ import annotations

import numpy as np

from metareview.errors import DataError
from metareview.stats import effects as es

MULTI_ARM_MODES = ("keep", "combine", "split")
KEY_COLUMNS = ("study", "outcome_type", "instrument", "time", "time_weeks", "rating")
SIZE_COLUMNS = (
    "n_arm1",
    "n_arm2",
    "n_change_arm1",
    "n_change_arm2",
    "event_arm1",
    "event_arm2",
    "totaln_arm1",
    "totaln_arm2",
)
HANDBOOK_MULTI_ARM = "Handbook §23.3.4"
# Arm-level data that can be combined: per data group, the (size, mean, sd) or (events, total)
# columns of arm 1 and arm 2.
ARM_DATA = {
    "means": {1: ("n_arm1", "mean_arm1", "sd_arm1"), 2: ("n_arm2", "mean_arm2", "sd_arm2")},
    "change": {
        1: ("n_change_arm1", "mean_change_arm1", "sd_change_arm1"),
        2: ("n_change_arm2", "mean_change_arm2", "sd_change_arm2"),
    },
    "events": {1: ("event_arm1", "totaln_arm1"), 2: ("event_arm2", "totaln_arm2")},
}


def apply_cluster_design(work) -> None:
    """Fill ``work.eff`` (sizes after the design effect) and ``work.inflate``."""
    n = work.table.n_rows
    missing = np.full(n, np.nan)
    icc, size = work.raw.get("icc", missing), work.raw.get("cluster_size", missing)
    half = np.isnan(icc) != np.isnan(size)
    problems = [
        work.problem(
            position,
            "cluster_size" if np.isnan(size[position]) else "icc",
            "",
            "both icc and cluster_size for a cluster-randomised trial (or neither)",
        )
        for position in np.flatnonzero(half)
    ]
    if problems:
        raise DataError(problems)
    clustered = ~np.isnan(icc) & ~np.isnan(size)
    design = np.where(clustered, es.design_effect(np.nan_to_num(size), np.nan_to_num(icc)), 1.0)
    for position in np.flatnonzero(clustered):
        work.notes[position].append(
            f"cluster-randomised: design effect {design[position]:.6g} = 1 + ({size[position]:g} − 1)"
            f"·{icc[position]:g} (sizes and events divided, precomputed variances multiplied; "
            "Handbook §23.1.4)"
        )
    work.eff = {
        column: es.effective_size(work.raw[column], design)
        for column in SIZE_COLUMNS
        if column in work.raw
    }
    work.inflate = design


def apply_multi_arm(work, mode: str) -> None:
    """Find the multi-arm groups and keep, split or combine them (see the module docstring)."""
    frame = work.table.frame
    if "multi_arm1" not in frame and "multi_arm2" not in frame:
        return
    problems = []
    for positions in _multi_arm_groups(work):
        arm1 = _arm_labels(work, 1, positions)
        arm2 = _arm_labels(work, 2, positions)
        rows = [work.rows[p] for p in positions]
        if len(set(arm2)) == 1 and len(set(arm1)) == len(positions):
            shared = 2
        elif len(set(arm1)) == 1 and len(set(arm2)) == len(positions):
            shared = 1
        else:
            _note_all(
                work,
                positions,
                f"multi-arm trial (rows {_join(rows)}): arm structure not "
                "recognised; comparisons kept as they are (not independent)",
            )
            continue
        role = "control" if shared == 2 else "intervention"
        if mode == "split":
            _split(work, positions, shared, role)
        elif mode == "combine":
            problems += _combine(work, positions, shared, role)
        else:
            for position, row in zip(positions, rows, strict=True):
                others = _join([r for r in rows if r != row])
                work.notes[position].append(
                    f"multi-arm trial: shares its {role} arm with row(s) {others} (comparisons not "
                    "independent; multi_arm 'combine' or 'split' corrects this)"
                )
    if problems:
        raise DataError(problems)


def _multi_arm_groups(work) -> list[list[int]]:
    labelled = [
        a is not None or b is not None
        for a, b in zip(work.text("multi_arm1"), work.text("multi_arm2"), strict=True)
    ]
    keys = list(
        zip(*(map(str, work.text(c)) for c in KEY_COLUMNS if c in work.table.frame), strict=True)
    )
    groups: dict[tuple, list[int]] = {}
    for position, (key, flag) in enumerate(zip(keys, labelled, strict=True)):
        if flag:
            groups.setdefault(key, []).append(position)
    return [positions for positions in groups.values() if len(positions) > 1]


def _arm_labels(work, arm: int, positions: list[int]) -> list[str]:
    labels, conditions = work.text(f"multi_arm{arm}"), work.text(f"condition_arm{arm}")
    return [str(labels[p] or conditions[p] or "") for p in positions]


def _note_all(work, positions: list[int], text: str) -> None:
    for position in positions:
        work.notes[position].append(text)


def _join(rows: list[int]) -> str:
    return ", ".join(str(row) for row in rows)


def _split(work, positions: list[int], shared: int, role: str) -> None:
    k = len(positions)
    for column in SIZE_COLUMNS:
        if column.endswith(str(shared)) and column in work.raw:
            for position in positions:
                work.raw[column][position] /= k
    _note_all(
        work,
        positions,
        f"multi-arm trial: shared {role} arm split across {k} comparisons "
        f"(its size and events divided by {k}; {HANDBOOK_MULTI_ARM})",
    )


def _combine(work, positions: list[int], shared: int, role: str) -> list:
    other = 3 - shared
    first, rows = positions[0], [work.rows[p] for p in positions]
    problems, combined = [], []
    for group, arms in ARM_DATA.items():
        columns = arms[1] + arms[2]
        if not all(c in work.raw and not np.isnan(work.raw[c][positions]).any() for c in columns):
            continue
        for column in arms[shared]:
            for position in positions[1:]:
                if work.raw[column][position] != work.raw[column][first]:
                    problems.append(
                        work.problem(
                            position,
                            column,
                            float(work.raw[column][position]),
                            f"the same value as row {rows[0]} ({work.raw[column][first]:g}): the "
                            f"shared {role} arm of a multi-arm trial",
                        )
                    )
        values = [work.raw[c][positions] for c in arms[other]]
        merged = es.combine_events(*values) if group == "events" else es.combine_means(*values)
        for column, value in zip(arms[other], merged, strict=True):
            work.raw[column][first] = value
        combined.append(group)
    other_role = "intervention" if role == "control" else "control"
    if not combined:
        _note_all(
            work,
            positions,
            f"multi-arm trial (rows {_join(rows)}): no arm-level data to "
            "combine; comparisons kept as they are (not independent)",
        )
        return problems
    work.notes[first].append(
        f"multi-arm trial: {other_role} arms of rows {_join(rows)} combined into one "
        f"({', '.join(combined)}; {HANDBOOK_MULTI_ARM})"
    )
    for position in positions[1:]:
        work.not_estimable[work.rows[position]] = (
            f"arm combined into row {rows[0]} (multi-arm trial, {HANDBOOK_MULTI_ARM})"
        )
    return problems
