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

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from metareview.data.table import ExtractionTable, format_row_ranges, load_table
from metareview.errors import AnalysisError
from metareview.stats.pooling import PoolResult, pool, resolve_settings
from metareview.stats.render import render_pool_html, render_pool_summary

# Data groups whose rows carry a precomputed effect: (effect column, SE or variance column, is_se)
_PRECOMPUTED = {
    "yi_vi": ("yi", "vi", False),
    "yi_sei": ("yi", "sei", True),
    "precalc_g": ("precalc_g", "precalc_g_se", True),
    "precalc_log_rr": ("precalc_log_rr", "precalc_log_rr_se", True),
}


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

    def __post_init__(self) -> None:
        resolve_settings(self.method, self.ci_method, self.preset)
        if not 0.0 < self.level < 1.0:
            raise ValueError(f"level must be between 0 and 1 (e.g. 0.95); got {self.level!r}")


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

    # Optional sections added by later analyses, each an object with ``to_dict()``; listed
    # in OPTIONAL_SECTIONS so that ``to_dict`` includes them when present.
    OPTIONAL_SECTIONS: ClassVar[tuple[str, ...]] = ()

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
        return document

    def to_frame(self) -> pd.DataFrame:
        """One row per study: row, study, yi, vi, weight (%)."""
        return pd.DataFrame(self.to_dict()["studies"])

    def summary(self) -> str:
        lines = []
        if self.measure:
            lines.append(f"Measure: {self.measure}")
        lines.append(render_pool_summary(self.pooled))
        for warning in self.warnings:
            lines.append(f"Warning: {warning}")
        if self.dropped:
            lines.append(f"Dropped {len(self.dropped)} row(s):")
            lines += [f"  row {d.row} ({d.study}): {d.reason}" for d in self.dropped]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return render_pool_html(self.pooled)


def analyze(
    table_or_effects: ExtractionTable | pd.DataFrame | str | Path,
    settings: AnalysisSettings | None = None,
) -> AnalysisResult:
    """Compute effect sizes (when needed) and pool them.

    Parameters
    ----------
    table_or_effects : ExtractionTable, DataFrame or path
        An extraction table (or a file/frame to load as one with ``settings.columns``).
    settings : AnalysisSettings, optional
        Measure, preset, τ² method, CI method and level (defaults: the metafor preset).
    """
    settings = settings or AnalysisSettings()
    table = _as_table(table_or_effects, settings)
    effects, measure = _effects(table, settings)
    usable = effects["yi"].notna() & effects["vi"].notna()
    dropped = tuple(
        DroppedRow(int(row), _label(effects.at[row, "study"]), str(effects.at[row, "note"]))
        for row in effects.index[~usable]
    )
    kept = effects[usable]
    if kept.empty:
        raise AnalysisError(
            f"{table.source}: no row has an estimable effect size"
            + (f" ({len(dropped)} dropped: {dropped[0].reason}, …)" if dropped else "")
        )
    pooled = pool(
        kept["yi"].to_numpy(dtype=float),
        kept["vi"].to_numpy(dtype=float),
        method=settings.method,
        ci_method=settings.ci_method,
        level=settings.level,
        preset=settings.preset,
        studies=[_label(s) or f"row {row}" for row, s in zip(kept.index, kept["study"])],
    )
    warnings = []
    if dropped:
        warnings.append(
            f"{len(dropped)} row(s) dropped ({format_row_ranges([d.row for d in dropped])})"
        )
    return AnalysisResult(
        settings=settings,
        measure=measure,
        pooled=pooled,
        rows=tuple(int(r) for r in kept.index),
        dropped=dropped,
        warnings=tuple(warnings),
    )


def _as_table(source: ExtractionTable | pd.DataFrame | str | Path, settings: AnalysisSettings):
    if isinstance(source, ExtractionTable):
        return source
    return load_table(source, columns=settings.columns or None, sheet=settings.sheet)


def _label(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)


def _effects(table: ExtractionTable, settings: AnalysisSettings) -> tuple[pd.DataFrame, str | None]:
    """Effect sizes per row: columns study, yi, vi and note (why a row is not estimable).

    Rows with precomputed effects are used as they are; raw arm-level data need the effect
    size engine (``metareview.data.effects``).
    """
    frame = table.frame
    raw_rows = [
        int(row) for row, group in zip(frame.index, table.data_group) if group not in _PRECOMPUTED
    ]
    if raw_rows:
        raise AnalysisError(
            f"{table.source}: {format_row_ranges(raw_rows)} hold arm-level data; computing "
            "effect sizes from them needs metareview.data.effects"
        )
    yi, vi = [], []
    for row, group in zip(frame.index, table.data_group):
        effect, spread, is_se = _PRECOMPUTED[group]
        value = float(frame.at[row, spread])
        yi.append(float(frame.at[row, effect]))
        vi.append(value**2 if is_se else value)
    vi_arr = np.asarray(vi)
    notes = np.where(vi_arr > 0, "", "not estimable: sampling variance is 0")
    effects = pd.DataFrame(
        {
            "study": frame["study"],
            "yi": yi,
            "vi": np.where(vi_arr > 0, vi_arr, np.nan),
            "note": notes,
        },
        index=frame.index,
    )
    return effects, settings.measure
