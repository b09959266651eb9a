"""The text sizes shared between figures are matplotlib's own, for the font actually used."""

from __future__ import annotations

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from metareview.report import text_metrics
from metareview.report.text_metrics import shared_text_metrics


def _width(text: str) -> float:
    figure = Figure(figsize=(4, 1))
    label = figure.text(0.1, 0.5, text)
    return label.get_window_extent(renderer=FigureCanvasAgg(figure).get_renderer()).width


def test_a_generic_family_is_measured_in_the_font_it_resolves_to():
    text = "Lee, 2020 (a wide label)"
    alone = {}
    for font in ("DejaVu Sans", "DejaVu Sans Mono"):
        with matplotlib.rc_context({"font.sans-serif": [font]}):
            alone[font] = _width(text)
    assert alone["DejaVu Sans"] != alone["DejaVu Sans Mono"]
    with shared_text_metrics():
        for font in ("DejaVu Sans", "DejaVu Sans Mono"):
            with matplotlib.rc_context({"font.sans-serif": [font]}):
                assert _width(text) == alone[font]


def test_agg_sizes_are_shared_between_renderers(monkeypatch):
    calls = []
    measure = text_metrics._MEASURE
    monkeypatch.setattr(text_metrics, "_MEASURE", lambda *a: calls.append(a[1]) or measure(*a))
    monkeypatch.setattr(text_metrics, "_SIZES", {})
    figure = Figure(figsize=(2, 1))
    FigureCanvasAgg(figure)
    figure.add_subplot().set_title("Agg, shared")
    with shared_text_metrics():
        figure.tight_layout()
        first = calls.count("Agg, shared")
        figure.tight_layout()  # a new Agg renderer: the size comes from the shared cache
    assert first >= 1
    assert calls.count("Agg, shared") == first


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(text_metrics, "_SIZES", {})
    monkeypatch.setattr(text_metrics, "MOST_SIZES", 2)
    with shared_text_metrics():
        widths = [_width(f"label {i}") for i in range(5)]
    assert len(text_metrics._SIZES) <= 2
    assert widths == [_width(f"label {i}") for i in range(5)]
