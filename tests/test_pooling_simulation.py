"""REML never fails: 2,000 seeded simulated meta-analyses (k = 20, vi ~ U(0.02, 0.2),
τ² = 0.05; tests/reference/pooling_simulation.py) all converge, and agree with R metafor 3.8-1
(fixture pooling_simulation.json, made by pooling_simulation.R) wherever metafor's Fisher
scoring converges with its default settings (it fails on 6 of the 2,000)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from metareview.stats.batch import pool_many
from metareview.stats.pooling import pool
from metareview.stats.wls import LinearModel
from tests.conftest import REPO
from tests.reference.pooling_simulation import N_DATASETS, simulate

FIXTURE = json.loads((REPO / "tests" / "reference" / "pooling_simulation.json").read_text())


@pytest.fixture(scope="module")
def simulated():
    data = simulate()
    assert data["yi"].iloc[:5].tolist() == pytest.approx(FIXTURE["first_yi"], rel=1e-15)
    return data


@pytest.fixture(scope="module")
def batch(simulated):
    return pool_many(simulated, by="dataset", method="REML")


def test_all_converge(batch):
    assert len(batch) == N_DATASETS
    assert batch["converged"].all()
    assert (batch["iterations"] < 50).all()


def test_agree_with_metafor_where_it_converges(batch):
    ok = np.array(FIXTURE["converged"])
    assert ok.sum() == N_DATASETS - 6  # metafor's default Fisher scoring fails on 6
    for name in ("tau2", "estimate", "se"):
        expected = np.array([np.nan if x is None else x for x in FIXTURE[name]])[ok]
        np.testing.assert_allclose(batch[name].to_numpy()[ok], expected, rtol=1e-6, atol=1e-10)


def test_where_metafor_fails_ours_is_the_reml_maximum(simulated, batch):
    failed = np.flatnonzero(~np.array(FIXTURE["converged"])) + 1
    for dataset in failed:
        rows = simulated[simulated["dataset"] == dataset]
        res = pool(rows["yi"], rows["vi"], method="REML")
        assert res.converged and res.tau2 == pytest.approx(batch.loc[dataset, "tau2"], rel=1e-9)
        state = LinearModel(rows["yi"].to_numpy(), rows["vi"].to_numpy()).at(res.tau2)
        score = state.ypy2 - state.tr_p
        assert (res.tau2 == 0.0 and score <= 0) or abs(score) < 1e-6 * state.tr_p
