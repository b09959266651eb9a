"""Mantel–Haenszel and Peto pooling of the 2×2 tables behind an OR/RR/RD analysis.

RevMan 5 pools dichotomous outcomes by Mantel–Haenszel by default and Peto's method suits
rare events, so ``analyze`` adds both (Peto for OR only) as sections beside the
inverse-variance models when every analysed row has event counts. Under a preset with
``mantel_haenszel_random`` (``revman5``) and the DerSimonian–Laird estimator it adds RevMan's
"M-H, Random" model too, and Mantel–Haenszel pools tables with a zero cell after the
preset's zero-cell increment, as RevMan 5 does.

>>> import pandas as pd
>>> rows = pd.DataFrame({"event_arm1": [3, 5, 2], "totaln_arm1": [40, 50, 30],
...                      "event_arm2": [6, 9, 7], "totaln_arm2": [40, 52, 31]})
>>> sections = binary_sections(rows, "OR", level=0.95)
>>> round(sections.mantel_haenszel.estimate, 4), round(sections.peto.estimate, 4)
(-0.8706, -0.8246)
>>> sections.mantel_haenszel_random is None
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from metareview.errors import NotEstimableError
from metareview.stats.effects.binary import zero_cell_correction
from metareview.stats.mantel_haenszel import BinaryPoolResult, mantel_haenszel
from metareview.stats.mh_random import MantelHaenszelRandom, mantel_haenszel_random
from metareview.stats.peto import peto
from metareview.stats.presets import Preset, get_preset
from metareview.stats.vocabulary import BINARY_MEASURES

EVENT_COLUMNS = ("event_arm1", "totaln_arm1", "event_arm2", "totaln_arm2")


#: The result sections of :class:`BinarySections` (its ``notes`` go to the warnings).
SECTIONS = ("mantel_haenszel", "peto", "mantel_haenszel_random")


class BinarySections(NamedTuple):
    """The sections :func:`binary_sections` adds; each ``None`` when not computed."""

    mantel_haenszel: BinaryPoolResult | None = None
    peto: BinaryPoolResult | None = None
    mantel_haenszel_random: MantelHaenszelRandom | None = None
    notes: tuple[str, ...] = ()  # the sections that are not estimable, and why


def binary_sections(
    effects: pd.DataFrame,
    measure: str | None,
    level: float,
    *,
    preset: str | Preset | None = None,
    tau2_method: str = "DL",
    ci_method: str = "z",
    studies: Sequence[str] | None = None,
) -> BinarySections:
    """Mantel–Haenszel, Peto and (presets with ``mantel_haenszel_random``, τ² method DL)
    "M-H, Random" results for the rows of ``effects``; none when the measure is not binary or
    a row lacks event counts.

    Rows whose effect was mirrored (``yi_unflipped`` differs from ``yi``: lower event rates
    favour the intervention) enter with their arms swapped, so the pooled direction matches
    the inverse-variance analysis.
    """
    if measure not in BINARY_MEASURES or not set(EVENT_COLUMNS) <= set(effects.columns):
        return BinarySections()
    counts = effects[list(EVENT_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    if counts.isna().to_numpy().any():
        return BinarySections()
    e1, n1, e2, n2 = (counts[c].to_numpy(dtype=float) for c in EVENT_COLUMNS)
    a, b, c, d = e1, n1 - e1, e2, n2 - e2
    if "yi_unflipped" in effects.columns:
        flipped = (effects["yi_unflipped"] != effects["yi"]).to_numpy() & effects[
            "yi_unflipped"
        ].notna().to_numpy()
        a, c = np.where(flipped, c, a), np.where(flipped, a, c)
        b, d = np.where(flipped, d, b), np.where(flipped, b, d)
    chosen = get_preset(preset)
    revman = chosen.mantel_haenszel_random
    cells = zero_cell_correction(a, b, c, d, chosen.zero_cell_add)[0] if revman else (a, b, c, d)
    notes: list[str] = []

    def attempt(compute: Callable[[], Any]) -> Any:
        try:
            return compute()
        except NotEstimableError as undefined:
            note = f"{undefined}; the inverse-variance results stand"
            if note not in notes:
                notes.append(note)
            return None

    mh_random = None
    if revman and tau2_method == "DL":
        mh_random = attempt(
            lambda: mantel_haenszel_random(
                a,
                b,
                c,
                d,
                measure=measure,
                level=level,
                ci_method=ci_method,
                add=chosen.zero_cell_add,
                studies=studies,
            )
        )
    return BinarySections(
        attempt(lambda: mantel_haenszel(*cells, measure=measure, level=level)),
        attempt(lambda: peto(a, b, c, d, level=level)) if measure == "OR" else None,
        mh_random,
        tuple(notes),
    )
