"""Console output that untrusted text cannot take over.

Titles, abstracts, study labels and file contents are hostile: an ANSI escape sequence in a
record's title could clear the screen, rewrite earlier lines, retitle the terminal window or
hide text. Everything the CLI prints goes through :func:`echo`, which removes control
characters with :func:`printable` (keeping newlines and tabs of its own layout).

>>> printable("Trial\\x1b[2J\\x1b]0;pwned\\x07 of \\x9bsleep\\r")
'Trial[2J]0;pwned of sleep'
>>> printable("line 1\\nline 2\\twith tab")
'line 1\\nline 2\\twith tab'
"""

from __future__ import annotations

import re
from typing import Any

import click

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 (but tab and newline), DEL, C1, and the bidirectional overrides that reorder shown text."""


def printable(text: str) -> str:
    """``text`` without control characters (tab and newline kept)."""
    return _CONTROL.sub("", text)


def echo(message: Any = "", **kwargs: Any) -> None:
    """``click.echo`` for text that may hold untrusted parts: control characters removed."""
    click.echo(printable(str(message)), **kwargs)
