"""pool_many equals pool group by group, for every estimator and CI method."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import metareview
from metareview.stats.batch import COLUMNS, pool_many
from metareview.stats.pooling import pool
from metareview.stats.presets import PRESETS
from tests.conftest import REPO

DATA = json.loads((REPO / "tests" / "reference" / "pooling.json").read_text())["data"]
TABLE = pd.DataFrame(
    [(name, y, v) for name, d in DATA.items() for y, v in zip(d["yi"], d["vi"])],
    columns=["dataset", "yi", "vi"],
)


@pytest.mark.parametrize("test", ["z", "knha", "adhoc"])
@pytest.mark.parametrize("method", ["FE", "DL", "REML", "ML", "PM", "SJ", "HE", "EB", "HS"])
def test_equals_pool(method, test):
    out = pool_many(TABLE, by="dataset", method=method, test=test, tau2_ci=True)
    assert list(out.columns[: len(COLUMNS)]) == list(COLUMNS)
    for name, d in DATA.items():
        res = pool(d["yi"], d["vi"], method=method, ci_method=test)
        row = out.loc[name]
        assert row["k"] == res.k and row["converged"]
        for column, value in [
            ("estimate", res.random.estimate),
            ("se", res.random.se),
            ("ci_lower", res.random.ci_lower),
            ("ci_upper", res.random.ci_upper),
            ("pvalue", res.random.pvalue),
            ("tau2", res.tau2),
            ("tau2_se", np.nan if res.tau2_se is None else res.tau2_se),
            ("i2", res.i2),
            ("q", res.q),
        ]:
            assert row[column] == pytest.approx(value, rel=1e-9, abs=1e-12, nan_ok=True), column
        if method == "FE":
            assert np.isnan(row["pi_lower"]) and "tau2_ci_lower" not in out
        else:
            assert row["pi_lower"] == pytest.approx(res.random.pi_lower, rel=1e-9)
            assert row["tau2_ci_upper"] == pytest.approx(res.tau2_ci[1], rel=1e-8)
            assert row["i2_ci_lower"] == pytest.approx(res.i2_ci[0], rel=1e-8, abs=1e-12)


def test_several_keys_standard_errors_and_single_study_groups():
    table = pd.DataFrame(
        {
            "review": ["r1"] * 4 + ["r2"] * 3,
            "outcome": ["a", "a", "a", "b", "a", "a", "a"],
            "g": [0.1, 0.4, 0.6, 0.3, 0.2, 0.25, 0.9],
            "se": [0.2, 0.15, 0.3, 0.2, 0.1, 0.12, 0.3],
        }
    )
    out = pool_many(table, by=["review", "outcome"], yi="g", vi=None, sei="se", test="knha")
    assert out.index.names == ["review", "outcome"]
    assert out.loc[("r1", "b"), "k"] == 1
    assert out.loc[("r1", "b"), "estimate"] == pytest.approx(0.3)
    assert out.loc[("r1", "b"), "se"] == pytest.approx(0.2)
    ref = pool([0.2, 0.25, 0.9], [0.01, 0.0144, 0.09], ci_method="knha")
    assert out.loc[("r2", "a"), "ci_upper"] == pytest.approx(ref.random.ci_upper, rel=1e-9)


def test_bad_input_names_the_row_and_column():
    table = pd.DataFrame({"g": ["a", "b"], "yi": [0.1, 0.2], "vi": [0.1, -1.0]})
    with pytest.raises(ValueError, match=r"row 1 has yi = 0.2, vi = -1.0"):
        pool_many(table, by="g")
    with pytest.raises(ValueError, match="not in the table: \\['sei'\\]"):
        pool_many(table, by="g", sei="sei")
    with pytest.raises(ValueError, match="row 1 has no value in g"):
        pool_many(table.assign(vi=0.1, g=["a", None]), by="g")
    with pytest.raises(ValueError, match="test must be one of z, knha, adhoc"):
        pool_many(table.assign(vi=0.1), by="g", test="hk")


def test_reexported_at_top_level():
    assert metareview.pool_many is pool_many
    assert metareview.pool is pool


@pytest.mark.parametrize(
    ("preset", "method"),
    [("meta", "DL"), ("meta", "REML"), ("metapsy", "REML"), ("revman5", "DL"), ("cma", "DL")],
)
def test_heterogeneity_cis_follow_the_preset(preset, method):
    """tau2_ci=True gives the CIs pool() gives under the preset: Jackson's τ² CI for DL under
    meta, test-based I² CIs for meta and metapsy, none (NaN) for revman5 and cma."""
    small = TABLE[TABLE["dataset"].isin(["bcg", "hine1989", "normand1999"])]
    out = pool_many(small, by="dataset", method=method, preset=preset, tau2_ci=True)
    for name in ("bcg", "hine1989", "normand1999"):
        d = DATA[name]
        res = pool(d["yi"], d["vi"], method=method, preset=preset)
        row = out.loc[name]
        for column, interval in (("tau2_ci", res.tau2_ci), ("i2_ci", res.i2_ci)):
            got = [row[f"{column}_lower"], row[f"{column}_upper"]]
            if interval is None:
                assert np.isnan(got).all(), column
            else:
                assert got == pytest.approx(list(interval), rel=1e-8, abs=1e-12), column
    if (preset, method) == ("meta", "DL"):
        assert res.conventions["tau2_ci_method"] == "jackson"


@pytest.mark.parametrize("preset", list(PRESETS))
def test_the_preset_sets_the_estimator_and_ci_method_as_in_pool(preset):
    """Without method and test, pool_many fits what pool fits under the same preset."""
    out = pool_many(TABLE, by="dataset", preset=preset)
    chosen = PRESETS[preset]
    for name, d in DATA.items():
        res = pool(d["yi"], d["vi"], preset=preset)
        assert (res.method, res.ci_method) == (chosen.tau2_method, chosen.ci_method)
        row = out.loc[name]
        for column, value in [
            ("estimate", res.random.estimate),
            ("ci_lower", res.random.ci_lower),
            ("ci_upper", res.random.ci_upper),
            ("pvalue", res.random.pvalue),
            ("tau2", res.tau2),
            ("i2", res.i2),
            ("pi_lower", res.random.pi_lower),
            ("pi_upper", res.random.pi_upper),
        ]:
            expected = np.nan if value is None else value  # no prediction interval reported
            assert row[column] == pytest.approx(expected, rel=1e-9, abs=1e-12, nan_ok=True), column
