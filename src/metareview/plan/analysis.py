"""One analysis of one outcome: effect sizes from the extraction table, then pooling.

``analyze`` is what ``metareview analyze`` runs. Its :class:`AnalysisResult` carries the
pooled result, the studies that entered it and every row that was dropped with the reason.
Later sections (subgroups, sensitivity analyses, small-study effects) are optional fields:
they default to ``None`` and appear in :meth:`AnalysisResult.to_dict` only when present.

>>> import pandas as pd
>>> frame = pd.DataFrame({"study": ["A", "B", "C"], "yi": [0.2, 0.5, 0.3], "sei": [0.2, 0.22, 0.17]})
>>> result = analyze(frame, AnalysisSettings(method="DL"))
>>> result.k, round(result.pooled.random.estimate, 4)
(3, 0.3203)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar
from warnings import catch_warnings, simplefilter

import numpy as np
import pandas as pd

from metareview.data.effects import NOT_ESTIMABLE, PRECOMPUTED, compute_effects
from metareview.data.table import ExtractionTable, format_row_ranges, load_table
from metareview.errors import AnalysisError, InputError
from metareview.plan.binary import SECTIONS as BINARY_SECTIONS
from metareview.plan.binary import binary_sections
from metareview.plan.moderators import MetaRegRequest, MetaRegSection, metaregression_section
from metareview.plan.multilevel import MultilevelRequest, multilevel_section
from metareview.plan.plan import Settings
from metareview.plan.robustness import SECTIONS as ROBUSTNESS_SECTIONS
from metareview.plan.robustness import SubgroupSection, group_values, robustness_sections
from metareview.stats.bias.selection import check_steps
from metareview.stats.bias.small_study import SmallStudyResult, small_study_effects
from metareview.stats.bias.trimfill import ESTIMATORS, SIDES
from metareview.stats.influence import InfluenceResult
from metareview.stats.leave_one_out import LeaveOneOutResult
from metareview.stats.mantel_haenszel import BinaryPoolResult
from metareview.stats.mh_random import MantelHaenszelRandom
from metareview.stats.multilevel import MultilevelResult
from metareview.stats.outliers import OutlierResult
from metareview.stats.pooling import PoolResult, pool, resolve_settings
from metareview.stats.presets import get_preset
from metareview.stats.render import render_pool_html, render_pool_summary, render_ratio_scale
from metareview.stats.vocabulary import RATIO_MEASURES, check_choice, check_level


@dataclass(frozen=True)
class AnalysisSettings:
    """What to compute: effect measure, preset, τ² method, CI method, level, input columns.

    ``None`` means "the preset's default" (for ``measure``: the table's precomputed effects).
    """

    measure: str | None = None
    preset: str = "metafor"
    method: str | None = None
    ci_method: str | None = None
    level: float = 0.95
    columns: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    force_bias: bool = False  # run small-study tests below the preset's min_k_bias
    by: str | None = None  # column for the subgroup analysis
    tau_common: bool | None = None  # one tau^2 across subgroups (None: the preset's)
    min_k_subgroup: int = 2  # fewest studies a subgroup needs to enter the test
    trimfill_estimator: str = "L0"  # estimator of the number of missing studies
    trimfill_side: str | None = None  # side of the funnel plot (None: chosen from the data)
    metaregression: tuple[MetaRegRequest, ...] = ()  # meta-regressions on table columns
    drop_incomplete: bool = False  # rows without effect data are dropped and listed, not errors
    selection_steps: tuple[float, ...] | None = None  # cut-points of the selection model
    multilevel: MultilevelRequest = field(default_factory=MultilevelRequest)  # --model etc.
    # Outcome direction (None: higher is better unless a higher_is_better column says
    # otherwise per row); False mirrors the effects so that positive favours the intervention.
    higher_is_better: bool | None = None

    def __post_init__(self) -> None:
        resolve_settings(self.method, self.ci_method, self.preset)
        check_choice("trimfill_estimator", self.trimfill_estimator, ESTIMATORS)
        if self.trimfill_side is not None:
            check_choice("trimfill_side", self.trimfill_side, SIDES)
        if self.selection_steps is not None:
            check_steps(self.selection_steps)
        check_level(self.level)
        if int(self.min_k_subgroup) < 1:
            raise ValueError(f"min_k_subgroup must be at least 1; got {self.min_k_subgroup!r}")


def analysis_settings(
    *,
    measure: str | None = None,
    preset: str = "metafor",
    method: str | None = None,
    ci_method: str | None = None,
    level: float = 0.95,
    columns: Mapping[str, str] | None = None,
    **extra: Any,
) -> AnalysisSettings:
    """The settings of one analysis as every front end builds them: the codes in any case, as
    a person types them (``smd``, ``META``, ``reml``, ``KNHA``), plus any other field of
    :class:`AnalysisSettings` (``sheet``, ``by``, ``force_bias`` …) as given.

    >>> s = analysis_settings(measure="smd", preset="META", method="reml", ci_method="KNHA")
    >>> s.measure, s.preset, s.method, s.ci_method
    ('SMD', 'meta', 'REML', 'knha')
    >>> analysis_settings(level=95)
    Traceback (most recent call last):
    ...
    metareview.errors.InputError: level must be between 0 and 1 (e.g. 0.95); got 95 (for 95% give 0.95)
    """
    for key, case in (("trimfill_estimator", str.upper), ("trimfill_side", str.lower)):
        if extra.get(key) is not None:
            extra[key] = case(extra[key])
    return AnalysisSettings(
        measure=measure.upper() if measure else None,
        preset=preset.lower(),
        method=method.upper() if method else None,
        ci_method=ci_method.lower() if ci_method else None,
        level=level,
        columns=dict(columns or {}),
        **extra,
    )


#: The fields of a plan's ``[settings]`` that every analysis of the plan takes as they are.
PLAN_FIELDS = (
    "measure",
    "preset",
    "method",
    "ci_method",
    "level",
    "tau_common",
    "trimfill_estimator",
    "trimfill_side",
)


def plan_analysis_settings(
    settings: Settings, *, force_bias: bool = False, selection: bool = False
) -> AnalysisSettings:
    """The settings of an analysis of a plan, from its ``[settings]`` (``selection``: with the
    selection model at ``settings.selection_steps``).

    >>> plan_analysis_settings(Settings(preset="revman5", measure="OR")).preset
    'revman5'
    """
    return analysis_settings(
        **{name: getattr(settings, name) for name in PLAN_FIELDS},
        force_bias=force_bias,
        selection_steps=settings.selection_steps if selection else None,
    )


@dataclass(frozen=True)
class DroppedRow:
    """A table row left out of the analysis, and why."""

    row: int | None
    study: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "study": self.study, "reason": self.reason}


@dataclass(frozen=True)
class AnalysisResult:
    """The result of :func:`analyze`: pooled result, provenance and what was dropped."""

    settings: AnalysisSettings
    measure: str | None
    pooled: PoolResult
    rows: tuple[int | None, ...]
    dropped: tuple[DroppedRow, ...] = ()
    warnings: tuple[str, ...] = ()
    small_study: SmallStudyResult | None = None
    subgroups: SubgroupSection | None = None
    leave_one_out: LeaveOneOutResult | None = None
    influence: InfluenceResult | None = None
    outliers: OutlierResult | None = None
    mantel_haenszel: BinaryPoolResult | None = None
    peto: BinaryPoolResult | None = None
    mantel_haenszel_random: MantelHaenszelRandom | None = None
    metaregression: tuple[MetaRegSection, ...] = ()
    multilevel: MultilevelResult | None = None

    # Optional sections added by later analyses, each an object with ``to_dict()``; listed
    # in OPTIONAL_SECTIONS so that ``to_dict`` includes them when present.
    OPTIONAL_SECTIONS: ClassVar[tuple[str, ...]] = (
        "small_study",
        "mantel_haenszel",
        "peto",
        "mantel_haenszel_random",
        "multilevel",
    )
    # Sections always in the document (``null`` when not computed, e.g. no ``by`` column).
    ALWAYS_SECTIONS: ClassVar[tuple[str, ...]] = ROBUSTNESS_SECTIONS

    @property
    def k(self) -> int:
        return self.pooled.k

    def to_dict(self) -> dict[str, Any]:
        """The ``metareview analyze --json`` document."""
        pooled = self.pooled
        document: dict[str, Any] = {
            "k": pooled.k,
            "measure": self.measure,
            "preset": pooled.preset,
            "method": pooled.method,
            "ci_method": pooled.ci_method,
            "level": pooled.level,
            "studies": [
                {"row": row, **study} for row, study in zip(self.rows, pooled.studies_list())
            ],
            "fixed": pooled.fixed.to_dict(),
            "random": pooled.random.to_dict(),
            "heterogeneity": pooled.heterogeneity_dict(),
            "conventions": dict(pooled.conventions),
            "warnings": [*self.warnings, *pooled.warnings],
            "dropped": [row.to_dict() for row in self.dropped],
        }
        names = {f.name for f in fields(self)}
        for name in self.OPTIONAL_SECTIONS:
            section = getattr(self, name) if name in names else None
            if section is not None:
                document[name] = section.to_dict()
        for name in self.ALWAYS_SECTIONS:
            section = getattr(self, name)
            document[name] = None if section is None else section.to_dict()
        if self.metaregression:
            document["metaregression"] = [section.to_dict() for section in self.metaregression]
        return document

    def to_frame(self) -> pd.DataFrame:
        """One row per study: row, study, yi, vi, weight (%)."""
        return pd.DataFrame(self.to_dict()["studies"])

    def summary(self) -> str:
        lines = []
        if self.measure:
            lines.append(f"Measure: {self.measure}")
        lines.append(render_pool_summary(self.pooled))
        if self.measure in RATIO_MEASURES:
            lines.append(render_ratio_scale(self.pooled, self.measure))
        for binary in (self.mantel_haenszel, self.peto, self.mantel_haenszel_random):
            if binary is not None:
                lines.append(binary.summary())
        if self.small_study is not None:
            lines.append(self.small_study.summary())
        for name in ("subgroups", "outliers", "influence"):
            section = getattr(self, name)
            if section is not None:
                lines.append(section.summary())
        lines += [section.summary() for section in self.metaregression]
        if self.multilevel is not None:
            lines.append(self.multilevel.summary())
        for warning in self.warnings:
            lines.append(f"Warning: {warning}")
        if self.dropped:
            lines.append(f"Dropped {len(self.dropped)} row(s):")
            lines += [f"  row {d.row} ({d.study}): {d.reason}" for d in self.dropped]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        html = render_pool_html(self.pooled)
        if self.small_study is not None:
            html += self.small_study._repr_html_()
        return html


def analyze(
    table_or_effects: ExtractionTable | pd.DataFrame | str | Path,
    settings: AnalysisSettings | None = None,
    **options: Any,
) -> AnalysisResult:
    """Compute effect sizes (when needed) and pool them.

    Parameters
    ----------
    table_or_effects : ExtractionTable, DataFrame or path
        An extraction table (or a file/frame to load as one with ``settings.columns``).
    settings : AnalysisSettings, optional
        Measure, preset, τ² method, CI method and level (defaults: the metafor preset).
    **options
        The settings as keyword arguments, named like ``metareview analyze``'s options
        (``measure``, ``preset``, ``method``, ``ci_method`` for ``--ci``, ``level``,
        ``higher_is_better``, ``force_bias`` for ``--force``, ``by``, ``tau_common``,
        ``min_k_subgroup``, ``trimfill_estimator``, ``trimfill_side``, ``selection_steps``,
        ``columns`` for ``--col`` as a dict, ``sheet``, ``drop_incomplete``); vocabulary in
        any case, as on the command line. Given with ``settings``, they override it.

    >>> frame = pd.DataFrame({"study": ["A", "B", "C"], "event_arm1": [4, 6, 3],
    ...     "totaln_arm1": [50, 60, 40], "event_arm2": [9, 12, 8], "totaln_arm2": [50, 61, 42]})
    >>> result = analyze(frame, measure="rr", preset="revman5")
    >>> result.measure, result.mantel_haenszel_random.k
    ('RR', 3)
    """
    settings = settings_from(settings, options)
    table = _as_table(table_or_effects, settings)
    effects, measure = _effects(table, settings)
    kept, dropped = _estimable(effects)
    if kept.empty:
        raise AnalysisError(
            f"{table.source}: no row has an estimable effect size"
            + (f" ({len(dropped)} dropped: {dropped[0].reason}, …)" if dropped else "")
        )
    yi, vi = kept["yi"].to_numpy(dtype=float), kept["vi"].to_numpy(dtype=float)
    labels = [_label(s) or f"row {row}" for row, s in zip(kept.index, kept["study"])]
    rows = [int(r) for r in kept.index]
    # the pooled model and the small-study tests are fitted alike
    fit = {
        "method": settings.method,
        "ci_method": settings.ci_method,
        "level": settings.level,
        "preset": settings.preset,
    }
    pooled = pool(yi, vi, **fit, studies=labels)
    with catch_warnings(record=True) as caught:
        simplefilter("always")
        small_study = small_study_effects(
            yi,
            vi,
            **fit,
            force=settings.force_bias,
            trimfill_estimator=settings.trimfill_estimator,
            trimfill_side=settings.trimfill_side,
            selection_steps=settings.selection_steps,
        )
    warnings = [*effects.attrs.get("warnings", ()), *(str(w.message) for w in caught)]
    groups = group_values(table.frame, settings.by, table.source) if settings.by else None
    sections = robustness_sections(yi, vi, labels, rows, pooled, settings, groups)
    # the binary and multilevel sections take the pooled model's τ² estimator and CI method
    as_pooled = {"tau2_method": pooled.method, "ci_method": pooled.ci_method}
    binary = binary_sections(
        kept, measure, settings.level, preset=settings.preset, studies=labels, **as_pooled
    )
    metaregression = tuple(
        metaregression_section(
            yi,
            vi,
            labels,
            rows,
            table.frame,
            request,
            method=pooled.method,
            ci_method=pooled.ci_method,
            level=settings.level,
            source=str(table.source),
        )
        for request in settings.metaregression
    )
    multilevel = multilevel_section(
        yi,
        vi,
        labels,
        settings.multilevel,
        **as_pooled,
        level=settings.level,
        preset=get_preset(settings.preset),
    )
    warnings.extend((*sections.notes, *binary.notes))
    if dropped:
        warnings.append(
            f"{len(dropped)} row(s) dropped ({format_row_ranges([d.row for d in dropped])})"
        )
    return AnalysisResult(
        settings=settings,
        measure=measure,
        pooled=pooled,
        rows=tuple(rows),
        dropped=dropped,
        warnings=tuple(warnings),
        small_study=small_study,
        **{name: getattr(sections, name) for name in ROBUSTNESS_SECTIONS},
        **{name: getattr(binary, name) for name in BINARY_SECTIONS},
        metaregression=metaregression,
        multilevel=multilevel,
    )


def settings_from(settings: AnalysisSettings | None, options: dict[str, Any]) -> AnalysisSettings:
    """``settings`` (default: all defaults) with ``options`` applied; an unknown keyword is a
    ``TypeError`` naming the valid ones.

    >>> settings_from(None, {"preset": "META", "ci_method": "KNHA"}).ci_method
    'knha'
    >>> settings_from(None, {"presett": "meta"})
    Traceback (most recent call last):
    ...
    TypeError: analyze() got an unexpected keyword argument 'presett'; expected one of: by, ci_method, columns, drop_incomplete, force_bias, higher_is_better, level, measure, metaregression, method, min_k_subgroup, multilevel, preset, selection_steps, sheet, tau_common, trimfill_estimator, trimfill_side
    """
    known = {f.name for f in fields(AnalysisSettings)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(
            f"analyze() got an unexpected keyword argument {unknown[0]!r}; expected one of: "
            + ", ".join(sorted(known))
        )
    if settings is None and not options:
        return AnalysisSettings()
    given = {} if settings is None else {name: getattr(settings, name) for name in known}
    merged = {**given, **options}
    if merged.get("selection_steps") is not None:
        merged["selection_steps"] = tuple(merged["selection_steps"])
    return analysis_settings(**merged)


def effect_sizes(
    source: ExtractionTable | pd.DataFrame | str | Path,
    settings: AnalysisSettings | None = None,
    *,
    where: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, tuple[DroppedRow, ...]]:
    """The effect size of every row of a table that has one (computed as :func:`analyze`
    does), optionally only rows whose columns equal ``where``'s values, and the rows dropped
    as not estimable.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"study": ["A", "B", "C"], "yi": [0.1, 0.4, 0.3],
    ...                       "vi": [0.01, 0.02, 0.02], "format": ["group", "one", "group"]})
    >>> rows, dropped = effect_sizes(frame, where={"format": "group"})
    >>> rows["study"].tolist(), dropped
    (['A', 'C'], ())
    """
    settings = settings or AnalysisSettings()
    table = _as_table(source, settings)
    effects, _ = _effects(table, settings)
    for column, value in (where or {}).items():
        if column not in effects.columns:
            raise InputError(f"{table.source}: no column {column!r} to select rows by")
        effects = effects[effects[column].astype(str) == str(value)]
        if effects.empty:
            raise InputError(f"{table.source}: no row has {column} = {value!r}")
    return _estimable(effects)


def _estimable(effects: pd.DataFrame) -> tuple[pd.DataFrame, tuple[DroppedRow, ...]]:
    """The rows with an effect size, and those without one as dropped rows with the reason."""
    usable = effects["yi"].notna() & effects["vi"].notna()
    dropped = tuple(
        DroppedRow(
            int(row),
            _label(effects.at[row, "study"]),
            str(effects.at[row, "note"]).removeprefix(NOT_ESTIMABLE),
        )
        for row in effects.index[~usable]
    )
    return effects[usable], dropped


def _as_table(source: ExtractionTable | pd.DataFrame | str | Path, settings: AnalysisSettings):
    if isinstance(source, ExtractionTable):
        return source
    return load_table(
        source,
        columns=settings.columns or None,
        sheet=settings.sheet,
        drop_incomplete=settings.drop_incomplete,
    )


def _label(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)


def _effects(table: ExtractionTable, settings: AnalysisSettings) -> tuple[pd.DataFrame, str | None]:
    """Effect sizes per row (:func:`metareview.data.effects.compute_effects`) and the measure.

    A table of precomputed ``yi`` alone needs no measure: its effects are pooled as given and
    the measure is reported as ``None``.
    """
    measure = settings.measure
    as_given = measure is None and set(table.data_group) - {""} <= set(PRECOMPUTED)
    effects = compute_effects(
        table,
        measure="MD" if as_given else measure,
        preset=settings.preset,
        level=settings.level,
        higher_is_better=settings.higher_is_better,
    )
    return effects, None if as_given else effects.attrs.get("measure", measure)
