"""User text on a figure, drawn as typed: study labels, subgroup levels, column names, titles.

matplotlib reads text between two ``$`` as mathtext: a study label ``$\\undefinedmacro{x}$
Smith`` aborts the drawing and ``Cost $5 vs $10`` is drawn garbled, in italics. Every plot
passes the text a user typed through :func:`plain` (an escaped ``$`` is drawn as ``$``), so no
label is ever parsed as mathtext, in our own figures and in a user's axes alike.

>>> plain("Cost $5 vs $10")
'Cost \\\\$5 vs \\\\$10'
>>> from matplotlib.text import Text
>>> Text(text=plain("$\\\\undefinedmacro{x}$ Smith"))._preprocess_math(
...     plain("$\\\\undefinedmacro{x}$ Smith"))
('$\\\\undefinedmacro{x}$ Smith', False)
"""

from __future__ import annotations

from collections.abc import Iterable


def plain(text: object) -> str:
    """``text`` as a string matplotlib draws literally (every ``$`` escaped)."""
    return str(text).replace("$", r"\$")


def plain_all(texts: Iterable[object]) -> list[str]:
    """:func:`plain` of each text.

    >>> plain_all(["A $1", "B"])
    ['A \\\\$1', 'B']
    """
    return [plain(text) for text in texts]
