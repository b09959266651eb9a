"""Small real PDFs for tests (drawn by matplotlib: a page with a line of text)."""

from __future__ import annotations

import io


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF showing ``text``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.27, 11.69))
    figure.text(0.1, 0.9, text, fontsize=20)
    figure.text(0.1, 0.85, "Methods: a randomised controlled trial.", fontsize=12)
    out = io.BytesIO()
    figure.savefig(out, format="pdf")
    return out.getvalue()
