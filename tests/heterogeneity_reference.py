"""Loader of the metafor fixtures for the heterogeneity tests (tests/reference/heterogeneity.*)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

FIXTURE = Path(__file__).resolve().parent / "reference" / "heterogeneity.json"


@cache
def reference() -> dict:
    """The values R metafor computed (see tests/reference/heterogeneity.R)."""
    return json.loads(FIXTURE.read_text())


def dataset(name: str) -> dict[str, np.ndarray]:
    """One metadat data set as arrays (``None`` in numeric columns becomes NaN)."""
    out = {}
    for key, values in reference()["datasets"][name].items():
        if all(isinstance(v, (int, float)) or v is None for v in values):
            out[key] = np.array([np.nan if v is None else v for v in values], dtype=float)
        else:
            out[key] = np.array(values, dtype=object)
    return out


def cases(section: str) -> list[dict]:
    return reference()[section]


def case_id(case: dict) -> str:
    parts = [case.get("dataset", ""), case.get("method", ""), case.get("test", "")]
    mods = case.get("mods") or case.get("by")
    if mods:
        parts.append("+".join(mods) if isinstance(mods, list) else str(mods))
    return "-".join(p for p in parts if p)


def assert_close(actual, expected, rtol: float = 1e-6, atol: float = 0.0, what: str = "") -> None:
    """Relative agreement; ``None`` in the fixture (R's NA) must be NaN here."""
    expected = np.array([np.nan if v is None else v for v in np.atleast_1d(expected)], dtype=float)
    np.testing.assert_allclose(
        np.atleast_1d(np.asarray(actual, dtype=float)),
        expected,
        rtol=rtol,
        atol=atol,
        err_msg=what,
        equal_nan=True,
    )
