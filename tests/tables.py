"""Small data tables for the tests, written as they read: a row per study."""

from __future__ import annotations

import pandas as pd


def table(columns: str, *rows: tuple) -> pd.DataFrame:
    """A table of ``rows`` under ``columns`` (names separated by spaces); ``None`` is a
    missing cell, as in ``pd.DataFrame({column: values})``.

    >>> table("study yi n", ("A", 0.2, 10), ("B", None, 12)).to_dict("list")
    {'study': ['A', 'B'], 'yi': [0.2, nan], 'n': [10, 12]}
    """
    return pd.DataFrame(list(rows), columns=columns.split())
