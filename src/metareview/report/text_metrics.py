"""Text measured once per drawing process, not once per figure.

matplotlib measures every text it lays out or draws, and keeps the sizes only for the renderer
that measured them: each saved SVG (a new renderer) and each ``tight_layout`` (a new Agg
renderer) measures its texts afresh. The report's ≈ 50 figures share most of their texts
(study labels, column headers, numbers, tick labels), so :func:`shared_text_metrics` keeps the
sizes for every renderer of the same kind and resolution, for the whole process.

The sizes are the ones matplotlib computes: an SVG renderer's depend only on the text, the
font file its properties resolve to (through the font rcParams, so the file is part of the
key), its size and style, and whether it is mathtext (it measures with a fixed 72 dpi
text-to-path converter); an Agg renderer's also on its dpi and the hinting settings, which are
part of the key. Mathtext and TeX text, and other renderers (PDF, PS), are measured as
matplotlib does, uncached here. The cache is bounded: past :data:`MOST_SIZES` entries it
starts again, so a long-lived process (``metareview serve``) does not grow with every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib
import matplotlib.text
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.font_manager import findfont

_SHARED = (RendererSVG, RendererAgg)
_SIZES: dict[tuple, tuple[float, float, float]] = {}
MOST_SIZES = 20_000  # ≈ 12 MB of sizes; the example's 51 figures hold ≈ 1,200 texts
_MEASURE = matplotlib.text._get_text_metrics_with_cache


def _measure(renderer: Any, text: str, fontprop: Any, ismath: Any, dpi: float) -> Any:
    """matplotlib's ``_get_text_metrics_with_cache``, the cache shared by renderers alike."""
    # an SVG figure is saved through a MixedModeRenderer, which measures with the one it wraps
    drawing = renderer._renderer if isinstance(renderer, MixedModeRenderer) else renderer
    kind = type(drawing)
    if kind not in _SHARED or ismath:
        return _MEASURE(renderer, text, fontprop, ismath, dpi)
    params = matplotlib.rcParams
    key = (
        kind,
        getattr(drawing, "dpi", None),
        params["text.hinting"],
        params["text.hinting_factor"],
        text,
        fontprop.copy(),  # FontProperties hash by their (mutable) state: key a frozen copy
        findfont(fontprop),  # the file a generic family resolves to under the current rcParams
        dpi,
    )
    size = _SIZES.get(key)
    if size is None:
        if len(_SIZES) >= MOST_SIZES:
            _SIZES.clear()
        size = _SIZES[key] = _MEASURE(renderer, text, fontprop, ismath, dpi)
    return size


@contextmanager
def shared_text_metrics() -> Iterator[None]:
    """While inside, matplotlib measures each text once per renderer kind and resolution for
    the whole process (see the module's text); the drawn figures are unchanged.

    >>> from matplotlib.figure import Figure
    >>> figure = Figure(figsize=(2, 1))
    >>> _ = figure.text(0.1, 0.5, "Lee, 2020")
    >>> with shared_text_metrics():
    ...     figure.tight_layout()
    >>> matplotlib.text._get_text_metrics_with_cache is _MEASURE
    True
    """
    matplotlib.text._get_text_metrics_with_cache = _measure
    try:
        yield
    finally:
        matplotlib.text._get_text_metrics_with_cache = _MEASURE
