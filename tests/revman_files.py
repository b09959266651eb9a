"""Paths of the RevMan test files: the real example in ../shared/data and the hand-built
files in tests/data/revman (made by tests/data/revman/make_files.py)."""

from __future__ import annotations

from tests.conftest import REPO

HANDBUILT = REPO / "tests" / "data" / "revman"
HANDBUILT_FILES = ("dichotomous.rm5", "continuous.rm5", "generic-oe.rm5")


def fleiss(shared_data, suffix: str):
    """``Fleiss1993.rm5`` or ``Fleiss1993.zip`` in the shared data folder."""
    return shared_data / "revman" / f"Fleiss1993{suffix}"
