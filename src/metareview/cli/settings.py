"""Analysis settings from the options shared by the commands that pool a table."""

from __future__ import annotations

from typing import Any

from metareview.cli.options import mapping_from
from metareview.plan.analysis import AnalysisSettings


def analysis_settings(
    *,
    measure: str | None = None,
    preset: str = "metafor",
    method: str | None = None,
    ci_method: str | None = None,
    level: float = 0.95,
    columns: tuple[str, ...] = (),
    sheet: str | None = None,
    **extra: Any,
) -> AnalysisSettings:
    """``AnalysisSettings`` from ``--measure --preset --method --ci --level --col --sheet``
    (in any case, as typed) plus a command's own settings.

    >>> analysis_settings(measure="smd", preset="META", columns=("yi=TE",)).measure
    'SMD'
    """
    return AnalysisSettings(
        measure=measure.upper() if measure else None,
        preset=preset.lower(),
        method=method.upper() if method else None,
        ci_method=ci_method.lower() if ci_method else None,
        level=level,
        columns=mapping_from(columns),
        sheet=sheet,
        **extra,
    )
