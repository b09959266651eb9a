"""Regression tests for funnel-plot asymmetry against metafor 3.8-1 ``regtest`` (tier 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metareview.stats.bias.egger import regression_test

FIXTURE = json.loads((Path(__file__).parent / "reference" / "bias.json").read_text())
DATASETS = FIXTURE["datasets"]
REL = 1e-6


def bias_data(name: str, shared_data: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(yi, vi, ni) of a reference data set: metadat inputs from the fixture, ThirdWave from
    the shared data folder."""
    if name == "thirdwave":
        frame = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv")
        return frame["TE"].to_numpy(), frame["seTE"].to_numpy() ** 2, None
    data = DATASETS[name]["input"]
    ni = None if data.get("ni") is None else np.asarray(data["ni"], dtype=float)
    return np.asarray(data["yi"], dtype=float), np.asarray(data["vi"], dtype=float), ni


CASES = [
    pytest.param(name, i, id=f"{name}-{c['model']}-{c['method']}-{c['test']}-{c['predictor']}")
    for name, data in DATASETS.items()
    for i, c in enumerate(data["regtest"])
]


@pytest.mark.parametrize(("name", "index"), CASES)
def test_regtest_matches_metafor(name, index, shared_data):
    ref = DATASETS[name]["regtest"][index]
    yi, vi, ni = bias_data(name, shared_data)
    res = regression_test(
        yi, vi, model=ref["model"], predictor=ref["predictor"], ni=ni,
        method=ref["method"], ci_method=ref["test"],
    )
    assert res.statistic == pytest.approx(ref["statistic"], rel=REL)
    assert res.pvalue == pytest.approx(ref["pvalue"], rel=REL)
    assert res.df == ref["df"]
    assert [res.intercept, res.asymmetry] == pytest.approx(ref["coef"], rel=REL)
    assert [res.intercept_se, res.asymmetry_se] == pytest.approx(ref["se"], rel=REL)
    if ref["tau2"] is not None:
        assert res.tau2 == pytest.approx(ref["tau2"], rel=REL, abs=1e-12)
    if ref["limit_estimate"] is None:
        assert res.limit_estimate is None
    else:
        assert [res.limit_estimate, res.limit_ci_lower, res.limit_ci_upper] == pytest.approx(
            [ref["limit_estimate"], ref["limit_ci_lower"], ref["limit_ci_upper"]], rel=REL
        )
