"""``benchmarks/retrain_benchmark.py --previous SRC`` times another source tree's ranker
beside ours: each must rank with its own version's model, or the comparison times the
previous code with today's model definition (and, with ``--scorer``, silently without it)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metareview.records.active_learning import MODELS
from metareview.records.embeddings import unit_rows

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def benchmark(monkeypatch):
    """The benchmark module, its table small and its timing loop replaced by one that keeps
    the rankers it is given (sys.path, which it extends, restored after)."""
    monkeypatch.setattr(sys, "path", [*sys.path])
    spec = importlib.util.spec_from_file_location(
        "retrain_benchmark", ROOT / "benchmarks" / "retrain_benchmark.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    words = ["exercise trial", "depression therapy", "hospital survey", "history of medicine"]
    small = pd.DataFrame(
        {
            "title": [f"{words[i % 4]} {i}" for i in range(40)],
            "abstract": [f"abstract {i % 5}" for i in range(40)],
            "label_included": [int(i % 4 == 0) for i in range(40)],
            "labelled": [int(i < 24) for i in range(40)],
        }
    )
    monkeypatch.setattr(module, "table", lambda records, labelled: small)
    module.timed = {}
    monkeypatch.setattr(module, "alternate", lambda rankers, *a: module.timed.update(rankers) or "")
    sys.modules.pop("previous_active_learning", None)
    yield module
    sys.modules.pop("previous_active_learning", None)  # (the other tree's copy)


def test_previous_ranks_with_its_own_versions_model(benchmark, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["retrain_benchmark.py", "--previous", str(ROOT / "src")])
    benchmark.main()
    previous = sys.modules["previous_active_learning"]
    assert benchmark.timed["now"].model is MODELS["svm"]
    assert benchmark.timed["previous"].model is previous.MODELS["svm"]


def test_previous_with_a_scorer_reads_the_embedding_that_way_on_both_sides(
    benchmark, monkeypatch, tmp_path
):
    vectors = tmp_path / "vectors.npy"
    np.save(vectors, unit_rows(np.random.default_rng(0).standard_normal((40, 8))))
    argv = ["--model", "minilm", "--scorer", "ridge", "--embeddings", str(vectors)]
    monkeypatch.setattr(sys, "argv", ["b", *argv, "--previous", str(ROOT / "src")])
    benchmark.main()
    previous = sys.modules["previous_active_learning"]
    for side in ("now", "previous"):
        assert benchmark.timed[side].model.embedding_scorer == "ridge"
    assert isinstance(benchmark.timed["previous"].model, previous.Model)
