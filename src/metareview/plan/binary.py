"""Mantel–Haenszel and Peto pooling of the 2×2 tables behind an OR/RR/RD analysis.

RevMan 5 pools dichotomous outcomes by Mantel–Haenszel by default and Peto's method suits
rare events, so ``analyze`` adds both (Peto for OR only) as sections beside the
inverse-variance models when every analysed row has event counts.

>>> import pandas as pd
>>> rows = pd.DataFrame({"event_arm1": [3, 5, 2], "totaln_arm1": [40, 50, 30],
...                      "event_arm2": [6, 9, 7], "totaln_arm2": [40, 52, 31]})
>>> mh, peto = binary_sections(rows, "OR", level=0.95)
>>> round(mh.estimate, 4), round(peto.estimate, 4)
(-0.8706, -0.8246)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metareview.stats.effects.vocabulary import BINARY_MEASURES
from metareview.stats.mantel_haenszel import BinaryPoolResult, mantel_haenszel
from metareview.stats.peto import peto

EVENT_COLUMNS = ("event_arm1", "totaln_arm1", "event_arm2", "totaln_arm2")


def binary_sections(
    effects: pd.DataFrame, measure: str | None, level: float
) -> tuple[BinaryPoolResult | None, BinaryPoolResult | None]:
    """(Mantel–Haenszel, Peto) results for the rows of ``effects``, or ``None`` when the
    measure is not binary or a row lacks event counts.

    Rows whose effect was mirrored (``yi_unflipped`` differs from ``yi``: lower event rates
    favour the intervention) enter with their arms swapped, so the pooled direction matches
    the inverse-variance analysis.
    """
    if measure not in BINARY_MEASURES or not set(EVENT_COLUMNS) <= set(effects.columns):
        return None, None
    counts = effects[list(EVENT_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    if counts.isna().to_numpy().any():
        return None, None
    e1, n1, e2, n2 = (counts[c].to_numpy(dtype=float) for c in EVENT_COLUMNS)
    a, b, c, d = e1, n1 - e1, e2, n2 - e2
    if "yi_unflipped" in effects.columns:
        flipped = (effects["yi_unflipped"] != effects["yi"]).to_numpy() & effects[
            "yi_unflipped"
        ].notna().to_numpy()
        a, c = np.where(flipped, c, a), np.where(flipped, a, c)
        b, d = np.where(flipped, d, b), np.where(flipped, b, d)
    mh = mantel_haenszel(a, b, c, d, measure=measure, level=level)
    return mh, (peto(a, b, c, d, level=level) if measure == "OR" else None)
