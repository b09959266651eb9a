"""Batch work on a Dask LocalCluster with two worker processes gives the local results: the
multiverse, pool_many over a streamed Parquet dataset, screening simulations, GOSH; a worker
killed mid-run loses and duplicates nothing."""

from __future__ import annotations

import json
import os
import signal
import time

import distributed  # the test extra installs metareview[dask]
import numpy as np
import pandas as pd
import pytest

from metareview.errors import InputError
from metareview.plan.analysis import analysis_settings, effect_sizes
from metareview.plan.multiverse import Factors, multiverse, specification_test
from metareview.scale.backend import LocalBackend, open_backend
from metareview.scale.jobs import (
    SimulationJob,
    gosh_chunks,
    multiverse_chunks,
    pool_many_parquet,
    simulate_many,
    specification_test_chunks,
    write_pool_many_parquet,
)
from metareview.stats.batch import pool_many
from metareview.stats.gosh import gosh
from tests.conftest import REPO


@pytest.fixture(scope="module")
def client():
    # Worker processes start as new interpreters: they must import this checkout's code.
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(REPO)])
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        with distributed.Client(cluster) as dask_client:
            yield dask_client
    finally:
        cluster.close()
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def _close(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    for column in a.columns:
        if pd.api.types.is_float_dtype(a[column]):
            np.testing.assert_allclose(a[column], b[column], rtol=1e-12, atol=1e-14)
        else:
            assert a[column].astype(str).tolist() == b[column].astype(str).tolist(), column


def test_multiverse_on_dask_equals_local(client):
    rows, _ = effect_sizes(
        REPO / "examples" / "peer-support" / "extraction.csv",
        analysis_settings(measure="SMD", preset="metapsy"),
        where={"outcome_category": "clinical recovery", "time": "post"},
    )
    factors = Factors(methods=("REML", "DL"), filters={"format": ()}, preset="metapsy")
    local = multiverse(rows, factors).specifications
    with open_backend(client) as backend:
        remote = multiverse_chunks(rows, factors, backend).specifications
    _close(remote, local)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> tuple[pd.DataFrame, object]:
    rng = np.random.default_rng(11)
    sizes = rng.integers(2, 15, 120)
    frame = pd.DataFrame(
        {
            "review": np.repeat([f"r{i:03d}" for i in range(len(sizes))], sizes),
            "yi": rng.normal(0.3, 0.3, sizes.sum()),
            "vi": rng.uniform(0.01, 0.1, sizes.sum()),
        }
    )
    path = tmp_path_factory.mktemp("parquet") / "many.parquet"
    frame.to_parquet(path, row_group_size=97)
    return frame, path


def test_pool_many_parquet_streams_to_the_same_fits(client, dataset):
    frame, path = dataset
    whole = pool_many(frame, by="review", method="REML", test="knha")
    local = pool_many_parquet(path, "review", method="REML", test="knha", batch_rows=53)
    _close(local, whole)
    with open_backend(client) as backend:
        remote = pool_many_parquet(
            path, "review", backend, method="REML", test="knha", batch_rows=53
        )
    _close(remote, whole)


def test_written_parquet_holds_the_same_fits(client, dataset, tmp_path):
    frame, path = dataset
    whole = pool_many(frame, by="review", method="REML", test="knha")
    for backend_of in (lambda: open_backend(None), lambda: open_backend(client)):
        output = tmp_path / "fits.parquet"
        with backend_of() as backend:
            count = write_pool_many_parquet(
                path, output, "review", backend, method="REML", test="knha", batch_rows=53
            )
        written = pd.read_parquet(output)
        assert count == len(whole) and written["review"].tolist() == whole.index.tolist()
        _close(written.set_index("review"), whole)


@pytest.mark.parametrize(
    ("labels", "batch_rows", "repeated"),
    [
        (["a", "a", "b", "a"], 2, "a"),  # within what one batch holds
        (["a", "a", "b", "b", "c", "a"], 2, "a"),  # in a later batch: found by its hash
        ([3, 3, 1, 2, 2, 1, 5], 3, 1),  # numbers too
    ],
)
def test_pool_many_parquet_refuses_groups_that_are_not_contiguous(
    tmp_path, labels, batch_rows, repeated
):
    path = tmp_path / "mixed.parquet"
    n = len(labels)
    pd.DataFrame({"review": labels, "yi": np.linspace(0.1, 0.4, n), "vi": [0.01] * n}).to_parquet(
        path
    )
    with pytest.raises(InputError, match=f"review = {repeated!r} are not contiguous"):
        pool_many_parquet(path, "review", batch_rows=batch_rows)
    with pytest.raises(InputError, match=f"review = {repeated!r} are not contiguous"):
        write_pool_many_parquet(path, tmp_path / "out.parquet", "review", batch_rows=batch_rows)


def test_pool_many_parquet_refuses_unreadable_and_empty_datasets(tmp_path):
    with pytest.raises(InputError, match="not a readable Parquet file"):
        pool_many_parquet(tmp_path / "missing.parquet", "review")
    empty = tmp_path / "empty.parquet"
    pd.DataFrame({"review": pd.Series([], dtype=str), "yi": [], "vi": []}).to_parquet(empty)
    with pytest.raises(InputError, match="no rows to pool"):
        pool_many_parquet(empty, "review")
    with pytest.raises(InputError, match="no rows to pool"):
        write_pool_many_parquet(empty, tmp_path / "out.parquet", "review")


def _jobs() -> list[SimulationJob]:
    texts = [f"exercise depression randomised trial {i}" for i in range(6)] + [
        f"history of hospital architecture number {i}" for i in range(40)
    ]
    labels = [1] * 6 + [0] * 40
    return [SimulationJob("demo", texts, labels, seed) for seed in range(4)]


def test_simulations_on_dask_equal_local(client):
    local = simulate_many(_jobs())
    with open_backend(client) as backend:
        remote = simulate_many(_jobs(), backend)
    assert [r.to_dict() for r in remote] == [r.to_dict() for r in local]


def _slow_pool(frame: pd.DataFrame) -> pd.DataFrame:
    time.sleep(0.3)
    return pool_many(frame, by="review", method="DL")


def test_a_killed_worker_loses_and_duplicates_nothing(client, dataset):
    frame, _ = dataset
    parts = [group for _, group in frame.groupby("review", sort=True)]
    expected = list(LocalBackend().map(_slow_pool, parts[:16]))
    with open_backend(client, window=16) as backend:
        results = backend.map(_slow_pool, parts[:16])
        first = next(results)
        victim = next(iter(client.run(os.getpid).values()))
        os.kill(victim, signal.SIGKILL)  # the nanny restarts it; Dask reschedules its tasks
        rest = list(results)
    assert victim not in client.run(os.getpid).values()  # it did die
    got = [first, *rest]
    assert len(got) == 16
    for mine, theirs in zip(got, expected, strict=True):
        _close(mine, theirs)


@pytest.mark.parametrize("method", ["DL", "REML"])
def test_gosh_with_random_subsets_at_large_k_on_dask_equals_local(client, method):
    rng = np.random.default_rng(5)
    k = 80  # above 62 studies: subsets drawn as boolean rows, not bitmasks
    yi, vi = rng.normal(0.3, 0.25, k), rng.uniform(0.01, 0.08, k)
    options = {"method": method, "subsets": 12_000, "seed": 9}
    local = gosh(yi, vi, **options)
    assert not local.exhaustive and local.n_subsets == 12_000
    with open_backend(client) as backend:
        remote = gosh_chunks(yi, vi, backend, chunk_subsets=3_000, **options)
    assert (remote.membership == local.membership).all()
    for name in ("estimate", "tau2", "i2", "h2", "q"):
        np.testing.assert_allclose(getattr(remote, name), getattr(local, name), rtol=1e-12)
    assert (remote.subset_k == local.subset_k).all()
    assert (remote.converged == local.converged).all()


def test_specification_test_on_dask_equals_local(client):
    rows, _ = effect_sizes(
        REPO / "examples" / "peer-support" / "extraction.csv",
        analysis_settings(measure="SMD", preset="metapsy"),
        where={"outcome_category": "clinical recovery", "time": "post"},
    )
    factors = Factors(studies=("all", "outliers_removed"), methods=("REML", "DL"), preset="metapsy")
    observed = multiverse(rows, factors)
    local = specification_test(rows, observed, iterations=9, seed=5)
    with open_backend(client) as backend:
        assert specification_test_chunks(rows, observed, backend, iterations=9, seed=5) == local


def test_cli_multiverse_on_a_scheduler_equals_local(client):
    from tests.test_cli_basics import run_cli

    args = [
        "multiverse", str(REPO / "examples" / "peer-support" / "extraction.csv"),
        "--measure", "SMD", "--preset", "metapsy", "--where", "outcome_category=clinical recovery",
        "--where", "time=post", "--methods", "REML,DL", "--bootstrap", "5", "--seed", "3", "--json",
    ]  # fmt: skip
    local = json.loads(run_cli(*args).stdout)
    remote = json.loads(run_cli(*args, "--scheduler", client.scheduler.address).stdout)
    assert remote["test"] == local["test"] and remote["summary"] == local["summary"]
    _close(pd.DataFrame(remote["specifications"]), pd.DataFrame(local["specifications"]))


def test_a_bad_scheduler_address_is_a_clear_error():
    with pytest.raises(InputError, match="address like tcp://HOST:8786"), open_backend("nowhere"):
        pass


def test_cli_multiverse_bad_scheduler_is_one_line():
    from tests.test_cli_basics import run_cli

    data = REPO / "examples" / "peer-support" / "extraction.csv"
    result = run_cli("multiverse", str(data), "--measure", "SMD", "--scheduler", "nowhere")
    assert result.returncode == 2 and "tcp://HOST:8786" in result.stderr
    assert "Traceback" not in result.stderr
