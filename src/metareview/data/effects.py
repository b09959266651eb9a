"""Effect sizes over an extraction table: one comparable effect per row, as a preset computes it.

:func:`compute_effects` returns the input table (index = spreadsheet row) plus the columns
``yi, vi, sei, ci_lower, ci_upper, es_source, note``. A row that cannot give the requested
measure keeps NaN in ``yi``/``vi`` and a ``note`` beginning ``"not estimable: "`` with the reason,
so the pooling step can list it as dropped. Formulas and their sources: ``docs/effect-sizes.md``.

>>> import pandas as pd
>>> data = pd.DataFrame({"study": ["A", "B"], "mean_arm1": [10.0, 5.0], "mean_arm2": [8.0, 6.0],
...                      "sd_arm1": [4.0, 2.0], "sd_arm2": [4.0, 2.0], "n_arm1": [20, 15],
...                      "n_arm2": [20, 15]})
>>> out = compute_effects(data, "SMD", preset="revman5")
>>> out["yi"].round(4).tolist(), out["vi"].round(4).tolist(), out["es_source"].tolist()
([0.4901, -0.4865], [0.1033, 0.1379], ['means', 'means'])
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from metareview.data.arms import MULTI_ARM_MODES, apply_cluster_design, apply_multi_arm
from metareview.data.standard import COLUMNS, DATA_GROUPS
from metareview.data.table import ExtractionTable, load_table
from metareview.errors import DataError, Problem
from metareview.stats import distributions as dist
from metareview.stats import effects as es
from metareview.stats.presets import Preset, get_preset
from metareview.stats.tau2 import domain_problem, out_of_domain
from metareview.stats.vocabulary import check_level

EFFECT_COLUMNS = ("yi", "vi", "sei", "ci_lower", "ci_upper", "es_source", "note")
NOT_ESTIMABLE = "not estimable: "
CHECK = "check: "  # a note that is also a warning (e.g. a CI not symmetric about its estimate)
EFFECT_SETTINGS = (
    "smd_correction",
    "smd_variance",
    "zero_cell_add",
    "drop_double_zero",
    "smd_from_events",
)
SMD_FROM_EVENTS = ("hasselblad_hedges", "metapsy")

# Data groups by kind; SOURCES lists, per measure, the groups that can give it in order of
# preference (a row's raw data before its precomputed effects).
CONTINUOUS = ("means", "change", "t_stat", "f_stat", "p_value", "precalc_g")
PRECOMPUTED = ("yi_vi", "yi_sei", "yi_ci")
SOURCES: dict[str, tuple[str, ...]] = {
    "SMD": (*CONTINUOUS, "events", *PRECOMPUTED),
    "MD": ("means", "change", *PRECOMPUTED),
    "OR": ("events", *PRECOMPUTED, "ratio_ci", *CONTINUOUS),
    "RR": ("events", "precalc_log_rr", *PRECOMPUTED, "ratio_ci"),
    "RD": ("events", *PRECOMPUTED),
    "HR": (*PRECOMPUTED, "ratio_ci"),
}
# A CI whose estimate lies further than this fraction of its half-width from the CI's centre
# (on the analysis scale) is flagged: not a Wald CI on that scale, or rounded.
ASYMMETRY_TOLERANCE = 0.2
GROUP_COLUMNS: dict[str, tuple[str, ...]] = {group.name: group.columns for group in DATA_GROUPS}
CONTINUOUS_GROUPS = set(CONTINUOUS)
DICHOTOMOUS_GROUPS = {"events", "precalc_log_rr"}
_YES = {"yes", "y", "true", "1", "higher", "1.0"}
_NO = {"no", "n", "false", "0", "lower", "0.0"}


@dataclass
class Workspace:
    """The numbers of one table while its effects are computed (mutable, private to a call).

    ``raw`` holds the extracted numbers (after any multi-arm combination), ``eff`` the sizes
    and counts after the cluster design effect, ``inflate`` the factor by which precomputed
    variances grow (the design effect), ``notes`` (by row position) and ``not_estimable``
    (by row number) the messages.
    """

    table: ExtractionTable
    raw: dict[str, np.ndarray]
    eff: dict[str, np.ndarray] = field(default_factory=dict)
    inflate: np.ndarray | None = None
    notes: defaultdict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    not_estimable: dict[int, str] = field(default_factory=dict)

    @property
    def rows(self) -> list[int]:
        return [int(row) for row in self.table.frame.index]

    def text(self, column: str) -> list[object]:
        frame = self.table.frame
        if column not in frame:
            return [None] * len(frame)
        return [None if value is None or value != value else value for value in frame[column]]

    def problem(self, position: int, column: str | None, value: object, expected: str) -> Problem:
        actual = self.table.columns.get(column, column) if column else None
        shown = (
            None if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
        )
        return Problem(self.table.source, self.rows[position], actual, shown, expected)


def compute_effects(
    table: ExtractionTable | pd.DataFrame | str | Path,
    measure: str | None = "SMD",
    preset: str | Preset | None = None,
    columns: dict[str, str] | list[str] | None = None,
    *,
    higher_is_better: bool | None = None,
    multi_arm: str = "keep",
    zero_cell_method: str = "constant",
    level: float = 0.95,
    sheet: str | None = None,
    drop_incomplete: bool = False,
    **overrides,
) -> pd.DataFrame:
    """Compute one effect size per row of an extraction table.

    Parameters
    ----------
    table
        An :class:`ExtractionTable`, a DataFrame or a path (CSV/TSV/XLSX/Parquet).
    measure
        ``SMD`` (Hedges' g), ``MD``, ``OR`` (log), ``RR`` (log) or ``RD``. ``None`` chooses:
        SMD if any row has continuous data or a precomputed g, else RR if any row has events or
        a precomputed log RR (the default of RevMan 5 and meta for dichotomous outcomes).
    preset
        ``metafor`` (default), ``meta``, ``revman5``, ``metapsy`` or ``cma``: the SMD correction
        and variance, the zero-cell increment and the double-zero rule.
    columns
        Map standard names to your headers, e.g. ``{"study": "Author"}``.
    higher_is_better
        Whether higher outcome values favour an arm; ``False`` mirrors every effect (except
        ``precalc_g``, positive-favours-intervention by the standard) so that a positive effect
        favours the intervention. A per-row ``higher_is_better`` column takes precedence. The
        unmirrored value is kept in ``yi_unflipped``.
    multi_arm
        Rows of a multi-arm trial (``multi_arm1``/``multi_arm2`` labels) sharing an arm:
        ``keep`` both comparisons and flag them, ``combine`` the other arms into one
        (Handbook §23.3.4), or ``split`` the shared arm's size between the comparisons.
    zero_cell_method
        ``constant`` (add ``zero_cell_add`` to each cell) or ``sweeting`` (treatment-arm
        continuity correction).
    level
        Confidence level of ``ci_lower``/``ci_upper`` (on the log scale for OR/RR).
    drop_incomplete
        When loading ``table``: keep rows without a complete data group (otherwise they reject
        the table) as not estimable, with what they lack (see :func:`load_table`).
    **overrides
        Preset settings to override: ``smd_correction``, ``smd_variance``, ``zero_cell_add``,
        ``drop_double_zero``, ``smd_from_events``.

    Returns
    -------
    pandas.DataFrame
        The input columns plus ``yi, vi, sei, ci_lower, ci_upper, es_source, note`` (and
        ``yi_unflipped`` when a sign was mirrored); ``attrs`` holds ``measure``, ``preset`` and
        the effect-size ``settings``.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"study": ["A", "B"], "event_arm1": [0, 4], "totaln_arm1": [10, 10],
    ...                      "event_arm2": [0, 2], "totaln_arm2": [10, 12]})
    >>> out = compute_effects(data, "OR", preset="revman5")
    >>> out["note"].tolist()[0]
    'not estimable: no events in either arm (double-zero study, excluded from OR under preset revman5)'
    """
    settings = _settings(preset, overrides)
    es.check_choice("multi_arm", multi_arm, MULTI_ARM_MODES)
    es.check_choice("zero_cell_method", zero_cell_method, es.ZERO_CELL_METHODS)
    check_level(level)
    if higher_is_better not in (None, True, False):
        raise ValueError(f"higher_is_better must be True, False or None; got {higher_is_better!r}")
    if not isinstance(table, ExtractionTable):
        table = load_table(table, columns, sheet=sheet, drop_incomplete=drop_incomplete)
    measure = _choose_measure(table, measure)

    work = Workspace(table, _numbers(table.frame))
    rows = set(work.rows)
    work.not_estimable.update((r, why) for r, why in table.incomplete.items() if r in rows)
    _check_values(work)
    apply_multi_arm(work, multi_arm)
    apply_cluster_design(work)

    n = table.n_rows
    yi, vi = np.full(n, np.nan), np.full(n, np.nan)
    source = np.array([""] * n, dtype=object)
    complete = {name: _complete(work, cols) for name, cols in GROUP_COLUMNS.items()}
    reported = np.array([str(code).strip().upper() for code in work.text("ratio_measure")])
    complete["ratio_ci"] &= reported == measure
    unused = np.ones(n, dtype=bool)
    for position, row in enumerate(work.rows):
        if row in work.not_estimable:
            unused[position] = False
    for group in SOURCES[measure]:
        take = complete[group] & unused
        if take.any():
            index = np.flatnonzero(take)
            yi[index], vi[index] = _compute(work, group, measure, settings, zero_cell_method, index)
            source[index] = group
            unused &= ~take
    for position in np.flatnonzero(unused):
        have = table.data_group[position] or "no effect data"
        if have == "ratio_ci":
            have = f"ratio_ci, a reported {reported[position]}"
        work.not_estimable[work.rows[position]] = f"the row's data ({have}) cannot give {measure}"
    _check_finite(work, yi, vi, source)

    flip = _flip_mask(work, higher_is_better, source)
    return _assemble(work, measure, settings, yi, vi, source, flip, level)


def not_estimable_rows(effects: pd.DataFrame) -> list[dict[str, object]]:
    """The rows of a :func:`compute_effects` result without an effect, as ``{row, study, reason}``.

    >>> import pandas as pd
    >>> data = pd.DataFrame({"study": ["A"], "precalc_g": [0.3], "precalc_g_se": [0.1]})
    >>> not_estimable_rows(compute_effects(data, "MD"))
    [{'row': 2, 'study': 'A', 'reason': "the row's data (precalc_g) cannot give MD"}]
    """
    dropped = []
    for row, study, note in zip(effects.index, effects["study"], effects["note"], strict=True):
        if isinstance(note, str) and note.startswith(NOT_ESTIMABLE):
            reason = note[len(NOT_ESTIMABLE) :].split("; ")[0]
            dropped.append({"row": int(row), "study": study, "reason": reason})
    return dropped


def _settings(preset: str | Preset | None, overrides: dict[str, object]) -> Preset:
    unknown = sorted(set(overrides) - set(EFFECT_SETTINGS))
    if unknown:
        raise ValueError(
            f"unknown effect-size setting(s): {', '.join(unknown)}; "
            f"allowed: {', '.join(EFFECT_SETTINGS)}"
        )
    settings = get_preset(preset).with_overrides(**overrides)
    es.check_choice("smd_correction", settings.smd_correction, es.SMD_CORRECTIONS)
    es.check_choice("smd_variance", settings.smd_variance, es.SMD_VARIANCES)
    es.check_choice("smd_from_events", settings.smd_from_events, SMD_FROM_EVENTS)
    add = settings.zero_cell_add
    if isinstance(add, bool) or not isinstance(add, int | float) or not add >= 0:
        raise ValueError(f"zero_cell_add must be a number >= 0; got {add!r}")
    if not isinstance(settings.drop_double_zero, bool):
        raise ValueError(
            f"drop_double_zero must be True or False; got {settings.drop_double_zero!r}"
        )
    return settings


def _choose_measure(table: ExtractionTable, measure: str | None) -> str:
    if measure is not None:
        return es.check_choice("measure", str(measure).strip().upper(), es.MEASURES)
    groups = set(table.data_group)
    if groups & CONTINUOUS_GROUPS:
        return "SMD"
    reported = {
        str(code).strip().upper()
        for code, group in zip(table.frame.get("ratio_measure", ()), table.data_group)
        if group == "ratio_ci"
    }
    if groups & DICHOTOMOUS_GROUPS:
        return reported.pop() if len(reported) == 1 and reported <= {"OR", "RR"} else "RR"
    if len(reported) == 1 and groups == {"ratio_ci"}:
        return reported.pop()  # precomputed yi rows beside them would be read on a guessed scale
    raise DataError(
        Problem.of_file(
            table.source,
            (
                "--measure SMD, MD, OR, RR, RD or HR (the measure must be given: the table holds only "
                "precomputed yi or ratios of several kinds, so it cannot be inferred)"
            ),
        )
    )


def _numbers(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The numeric columns as float arrays (NaN where missing).

    A table that is itself a compute_effects result carries its precomputed inputs in
    ``yi_input``/``vi_input``/``sei_input`` (its ``yi``/``vi``/``sei`` are results): those are
    used again, so feeding a result back in gives the same effects.
    """
    numeric = {name for cols in GROUP_COLUMNS.values() for name in cols} | {"icc", "cluster_size"}
    numeric |= {"ci_level"}
    numeric -= {"higher_arm", "ratio_measure"}
    fed_back = "yi_input" in frame
    numbers = {}
    for name in numeric:
        column = f"{name}_input" if fed_back and name in ("yi", "vi", "sei") else name
        if column in frame:
            values = pd.to_numeric(frame[column], errors="coerce")
            numbers[name] = values.to_numpy(dtype=float, copy=True)
        elif fed_back and name in ("vi", "sei") and name in frame:
            numbers[name] = np.full(len(frame), np.nan)
    return numbers


def _complete(work: Workspace, columns: tuple[str, ...]) -> np.ndarray:
    mask = np.ones(work.table.n_rows, dtype=bool)
    for column in columns:
        if column in work.raw:
            mask &= ~np.isnan(work.raw[column])
        elif column in work.table.frame:
            mask &= np.array([value is not None and value == value for value in work.text(column)])
        else:
            return np.zeros(work.table.n_rows, dtype=bool)
    return mask


def value_problems(table: ExtractionTable) -> list[Problem]:
    """The checks :func:`compute_effects` makes on a valid table before any effect: a p value
    above 1, an ICC above 1, ``higher_arm`` other than arm1/arm2, ``higher_is_better`` other
    than yes/no (forms check values as they are typed with these and ``load_table``'s rules).

    >>> table = load_table(pd.DataFrame({"study": ["A"], "yi": [0.1], "vi": [0.01], "icc": [1.5]}))
    >>> [p.message for p in value_problems(table)]
    ["got '1.5', expected an ICC between 0 and 1"]
    """
    return _value_problems(Workspace(table, _numbers(table.frame)))


def _check_values(work: Workspace) -> None:
    problems = _value_problems(work)
    if problems:
        raise DataError(problems)


def _value_problems(work: Workspace) -> list[Problem]:
    """Range and vocabulary checks the data standard cannot express per column."""
    problems: list[Problem] = []
    for position, p in enumerate(work.raw.get("p_value", [])):
        if p > 1:
            problems.append(work.problem(position, "p_value", float(p), "a p value <= 1"))
    for position, icc in enumerate(work.raw.get("icc", [])):
        if icc > 1:
            problems.append(work.problem(position, "icc", float(icc), "an ICC between 0 and 1"))
    for position, value in enumerate(work.text("higher_arm")):
        if value is not None and str(value).strip().lower() not in ("arm1", "arm2"):
            problems.append(
                work.problem(position, "higher_arm", value, COLUMNS["higher_arm"].expected)
            )
    for position, value in enumerate(work.text("higher_is_better")):
        if value is not None and _parse_flag(value) is None:
            problems.append(
                work.problem(
                    position, "higher_is_better", value, COLUMNS["higher_is_better"].expected
                )
            )
    return problems


def _parse_flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in _YES else False if text in _NO else None


def _sign(work: Workspace, index: np.ndarray) -> np.ndarray:
    labels = work.text("higher_arm")
    return np.array([1.0 if str(labels[i]).strip().lower() == "arm1" else -1.0 for i in index])


def _compute(work, group, measure, settings, zero_cell_method, index):
    """Effect and variance of the rows ``index`` whose source is ``group``."""
    raw = {name: values[index] for name, values in work.raw.items()}
    eff = {name: values[index] for name, values in work.eff.items()}
    inflate = work.inflate[index]
    note = _noter(work, index)
    if group in ("means", "change"):
        prefix = "mean" if group == "means" else "mean_change"
        sd, size = ("sd", "n") if group == "means" else ("sd_change", "n_change")
        args = (
            raw[f"{prefix}_arm1"],
            raw[f"{prefix}_arm2"],
            raw[f"{sd}_arm1"],
            raw[f"{sd}_arm2"],
            eff[f"{size}_arm1"],
            eff[f"{size}_arm2"],
        )
        if measure == "MD":
            return es.mean_difference(*args)
        d = es.cohens_d(*args)
        return _from_d(d, eff[f"{size}_arm1"], eff[f"{size}_arm2"], measure, settings, note)
    if group in ("t_stat", "f_stat", "p_value"):
        if group == "t_stat":
            t = raw["t_value"]
        elif group == "f_stat":
            t = es.t_from_f(raw["f_value"], _sign(work, index))
        else:
            t = es.t_from_p(raw["p_value"], raw["n_arm1"], raw["n_arm2"], _sign(work, index))
        note(f"SMD from the {group.replace('_', ' ')} (d = t·√(1/n1 + 1/n2))")
        d = es.d_from_t(t, raw["n_arm1"], raw["n_arm2"])
        return _from_d(d, eff["n_arm1"], eff["n_arm2"], measure, settings, note)
    if group == "events":
        return _from_events(work, eff, measure, settings, zero_cell_method, index, note)
    yi, vi = _precomputed(raw, group, measure, note)
    vi = vi * inflate
    if group == "precalc_g" and measure == "OR":
        note("log OR from g (Hasselblad & Hedges: ln OR = g·π/√3)")
        return es.log_odds_ratio_from_smd(yi, vi)
    return yi, vi


def _precomputed(raw: dict[str, np.ndarray], group: str, measure: str, note):
    if group in ("yi_ci", "ratio_ci"):
        return _from_ci(raw, group, measure, note)
    if group == "precalc_g":
        return raw["precalc_g"], raw["precalc_g_se"] ** 2
    if group == "precalc_log_rr":
        return raw["precalc_log_rr"], raw["precalc_log_rr_se"] ** 2
    if group == "yi_vi":
        return raw["yi"], raw["vi"]
    return raw["yi"], raw["sei"] ** 2


def _from_ci(raw: dict[str, np.ndarray], group: str, measure: str, note):
    """An estimate and its Wald CI (level from ``ci_level``, default 0.95) on the analysis
    scale: a ratio and its limits are logged first; v = ((upper − lower)/(2 z))²."""
    level = raw.get("ci_level", np.full(len(raw["yi" if group == "yi_ci" else "ratio"]), np.nan))
    level = np.where(np.isnan(level), 0.95, level)
    if group == "yi_ci":
        yi, lower, upper = raw["yi"], raw["yi_ci_lower"], raw["yi_ci_upper"]
    else:
        yi, lower, upper = (np.log(raw[c]) for c in ("ratio", "ratio_ci_lower", "ratio_ci_upper"))
        note(f"log {measure} from the reported {measure} and its CI (SE = (ln U − ln L)/(2·z))")
    for value in np.unique(level[level != 0.95]):
        note(f"{value * 100:g}% CI (z = {dist.z_crit(value):.4f})", level == value)
    off_centre = es.ci_asymmetry(yi, lower, upper) > ASYMMETRY_TOLERANCE
    centre = (lower + upper) / 2
    for position in np.flatnonzero(off_centre):
        shown = np.exp if group == "ratio_ci" else float
        note(
            f"{CHECK}the estimate ({shown(yi[position]):.4g}) is not halfway between the CI "
            f"limits{' on the log scale' if group == 'ratio_ci' else ''} (centre "
            f"{shown(centre[position]):.4g}): the CI may not be a Wald CI on this scale, or "
            "is rounded",
            np.arange(len(yi)) == position,
        )
    return yi, es.se_from_ci(lower, upper, level) ** 2


def _from_d(d, n1, n2, measure, settings, note):
    g, vi = es.smd_from_d(d, n1, n2, settings.smd_correction, settings.smd_variance)
    if measure == "OR":
        note("log OR from g (Hasselblad & Hedges: ln OR = g·π/√3)")
        return es.log_odds_ratio_from_smd(g, vi)
    return g, vi


def _from_events(work, eff, measure, settings, zero_cell_method, index, note):
    counts = (eff["event_arm1"], eff["totaln_arm1"], eff["event_arm2"], eff["totaln_arm2"])
    add = float(settings.zero_cell_add)
    if measure == "SMD" and settings.smd_from_events == "metapsy":
        g, vi, corrected = es.metapsy_g_from_events(*counts, add=add)
        note("SMD from events by metapsyTools' rule (esc; sign reversed: events favourable)")
        note(f"{add:g} added to each cell (no events in an arm)", corrected)
        return g, vi
    binary = "OR" if measure == "SMD" else measure
    result = es.two_by_two(
        binary,
        *counts,
        add=add,
        zero_cell_method=zero_cell_method,
        drop_double_zero=settings.drop_double_zero,
    )
    if zero_cell_method == "sweeting":
        note("treatment-arm continuity correction (Sweeting 2004; zero cell)", result.corrected)
    else:
        note(f"{add:g} added to each cell (zero cell)", result.corrected)
    for position in index[result.dropped]:
        work.not_estimable[work.rows[position]] = (
            f"no events in either arm (double-zero study, excluded from {binary} under preset "
            f"{settings.name})"
            if _no_events(work, position)
            else f"all participants had the event in both arms (excluded from {binary} under preset "
            f"{settings.name})"
        )
    if measure == "SMD":
        note("SMD from log OR (Hasselblad & Hedges: d = ln OR·√3/π)")
        return es.smd_from_log_odds_ratio(result.yi, result.vi)
    return result.yi, result.vi


def _no_events(work: Workspace, position: int) -> bool:
    return work.raw["event_arm1"][position] == 0 and work.raw["event_arm2"][position] == 0


def _noter(work: Workspace, index: np.ndarray):
    def note(text: str, mask=None) -> None:
        for position, flag in zip(
            index, np.ones(len(index), bool) if mask is None else mask, strict=True
        ):
            if flag:
                work.notes[position].append(text)

    return note


def _check_finite(work: Workspace, yi, vi, source) -> None:
    """Never pass on a NaN silently: a computed row must have a finite effect and variance,
    inside the domain pooling can weigh (:func:`metareview.stats.tau2.domain_problem`)."""
    rows = work.rows
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(yi) & np.isfinite(vi) & (vi > 0))
    computed = source != ""
    expected = {
        int(position): "values that give an effect pooling can weigh: "
        f"{domain_problem(float(yi[position]), float(vi[position]))} (check the units)"
        for position in np.flatnonzero(out_of_domain(yi, vi) & ~bad & computed)
    }
    for position in np.flatnonzero(bad & computed):
        if rows[position] not in work.not_estimable:
            expected[int(position)] = (
                f"data from which a finite {source[position]} effect with positive variance "
                "can be computed (e.g. a zero cell with zero_cell_add = 0)"
            )
    problems = []
    for position, text in sorted(expected.items()):
        columns = GROUP_COLUMNS[source[position]]
        values = ", ".join(f"{c}={work.raw[c][position]:g}" for c in columns if c in work.raw)
        problems.append(work.problem(position, columns[0], values, text))
    if problems:
        raise DataError(problems)


def _flip_mask(work: Workspace, higher_is_better: bool | None, source) -> np.ndarray:
    per_row = [_parse_flag(v) if v is not None else None for v in work.text("higher_is_better")]
    flags = [higher_is_better if flag is None else flag for flag in per_row]
    return np.array(
        [
            flag is False and src not in ("precalc_g", "")
            for flag, src in zip(flags, source, strict=True)
        ],
        dtype=bool,
    )


def _assemble(work, measure, settings, yi, vi, source, flip, level) -> pd.DataFrame:
    frame = work.table.frame
    for row, reason in work.not_estimable.items():
        position = work.rows.index(row)
        yi[position] = vi[position] = np.nan
        source[position] = source[position] or ""
        work.notes[position].insert(0, NOT_ESTIMABLE + reason)
    sei = np.sqrt(vi)
    z = dist.z_crit(level)
    oriented, lower, upper = es.orient(yi, yi - z * sei, yi + z * sei, flip)
    for position in np.flatnonzero(flip):
        work.notes[position].append(
            "sign flipped: lower values are better, so positive favours the intervention "
            "(unflipped value in yi_unflipped)"
        )
    out = frame.drop(columns=[c for c in (*EFFECT_COLUMNS, "yi_unflipped") if c in frame])
    for column in ("yi", "vi", "sei"):  # precomputed input columns keep their values
        if column in frame and f"{column}_input" not in out:
            out[f"{column}_input"] = frame[column]
    out["yi"], out["vi"], out["sei"] = oriented, vi, sei
    out["ci_lower"], out["ci_upper"] = lower, upper
    out["es_source"] = [s or None for s in source]
    out["note"] = ["; ".join(work.notes.get(position, ())) for position in range(len(out))]
    warnings = [
        f"row {row} ({study}): {text}"
        for position, (row, study) in enumerate(zip(work.rows, frame["study"], strict=True))
        for text in work.notes.get(position, ())
        if text.startswith(CHECK)
    ]
    if flip.any():
        out["yi_unflipped"] = yi
    out.attrs.update(
        measure=measure,
        preset=settings.name,
        settings={name: getattr(settings, name) for name in EFFECT_SETTINGS},
        level=level,
        warnings=warnings,
    )
    return out
