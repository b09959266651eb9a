"""The metafor reference values of the small-study-effect tests (tests/reference/bias.json,
made by tests/reference/bias.R) and the data sets they were computed on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

FIXTURE = json.loads((Path(__file__).parent / "reference" / "bias.json").read_text())
DATASETS: dict = FIXTURE["datasets"]


def bias_data(name: str, shared_data: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(yi, vi, ni) of a reference data set: the metadat inputs stored in the fixture, the
    ThirdWave data (Harrer et al., "Doing Meta-Analysis in R") from the shared data folder."""
    if name == "thirdwave":
        frame = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv")
        return frame["TE"].to_numpy(), frame["seTE"].to_numpy() ** 2, None
    data = DATASETS[name]["input"]
    ni = None if data.get("ni") is None else np.asarray(data["ni"], dtype=float)
    return np.asarray(data["yi"], dtype=float), np.asarray(data["vi"], dtype=float), ni


def cases(section: str) -> list[tuple[str, int, dict]]:
    """(data set, index, reference entry) of every entry of one section of the fixture."""
    return [
        (name, i, entry) for name, data in DATASETS.items() for i, entry in enumerate(data[section])
    ]


def as_list(value: object) -> list[float]:
    """jsonlite writes a length-1 vector as a scalar and an empty one as []."""
    return list(value) if isinstance(value, list) else [value]
