"""Cells safe to open in a spreadsheet: no text that Excel or LibreOffice would run as a formula.

A study label, title or free-text note that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is evaluated as a formula when a CSV is opened (``=HYPERLINK(…)``,
``=cmd|' /C calc'!A0``), and openpyxl stores a text beginning with ``=`` in an XLSX as a live
formula. Following OWASP's advice on CSV injection, every CSV and XLSX metareview writes passes
through :func:`safe_frame` (or :func:`neutralise` cell by cell), which prefixes such text with a
single quote. Numbers stay numbers: only text cells change, and text that is just a number
(``-0.5``, ``+3``, ``-1e-3``) is left as it is, since no spreadsheet runs it.

>>> neutralise('=HYPERLINK("http://x","y")')
'\\'=HYPERLINK("http://x","y")'
>>> neutralise("-0.25"), neutralise(-0.25), neutralise("Smith 2020")
('-0.25', -0.25, 'Smith 2020')
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet treat a cell as a formula (OWASP)."""

_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are neutralised (numbers untouched).

    >>> frame = pd.DataFrame({"study": ["=1+1", "@SUM(A1)", "Lee"], "yi": [-0.5, 0.1, 0.2]})
    >>> safe = safe_frame(frame)
    >>> safe["study"].tolist(), safe["yi"].tolist()
    (["'=1+1", "'@SUM(A1)", 'Lee'], [-0.5, 0.1, 0.2])
    """
    out = frame.copy()
    out.columns = [neutralise(c) for c in out.columns]
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if not pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            out.isetitem(position, column.map(neutralise))
    return out
