"""Retrain + rank of 10,000 records: our default ranker against ASReview's default, same run.

The nine SYNERGY reviews are concatenated and repeated to 10,000 records; 500 are labelled
(20 relevant). One retrain + rank is: fit the classifier on the labelled rows and order every
record by its score (features computed once, before timing, on both sides). ASReview's
default (``elas_u4``) runs in its own environment through ``asreview_runner.py --time``
(``python -m venv /work/asreview-venv && /work/asreview-venv/bin/pip install asreview``).
Rounds alternate between the two so a change in the machine's load hits both; the medians
of all repeats are compared. Wall-clock (``perf_counter``) on both sides, as ASReview's
runner measures it; our CPU time (``process_time``, all threads) and the load average are
printed too.

    python benchmarks/retrain_benchmark.py [--asreview PYTHON|none] [--rounds 3] [--repeats 15]
    python benchmarks/retrain_benchmark.py --previous OTHER/src [--repeats 15]

``--previous`` instead alternates our ranker with the one of another source tree (say, main
before a change) in one process, and prints both medians, wall and CPU, with the load (with
``--model``, ``--scorer`` and ``--embeddings``, if given, on both sides: each side ranks with
its own tree's definition of the model).

``--model minilm --embeddings FILE.npy`` times the model that reads sentence embeddings, with
the vectors ``embed_benchmark.py --save FILE.npy`` wrote for the same 10,000 records (same
reviews, same order), e.g. with ``--asreview none``; ``--scorer centroid`` times it with the
embedding read another way (``Model.embedding_scorer``; the thirteenth ranking round).
``--side-by-side svm minilm minilm/centroid --embeddings FILE.npy`` alternates several of our
models in one process and prints each one's medians.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from metareview.records.active_learning import (
    EMBEDDING_SCORERS,
    MODELS,
    Model,
    Ranker,
    record_text,
)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from synergy_simulation import DATASETS, SYNERGY  # noqa: E402


def table(n: int, labelled: int) -> pd.DataFrame:
    frames = [pd.read_csv(SYNERGY / f"{name}.csv.gz") for name in DATASETS]
    pool = pd.concat(frames, ignore_index=True)
    big = pd.concat([pool] * (n // len(pool) + 1), ignore_index=True).iloc[:n].copy()
    rng = np.random.default_rng(0)
    mask = np.zeros(n, dtype=int)
    mask[rng.choice(np.flatnonzero(big["label_included"] == 1), 20, replace=False)] = 1
    mask[rng.choice(np.flatnonzero(big["label_included"] == 0), labelled - 20, replace=False)] = 1
    big["labelled"] = mask
    return big


def measure(
    python: str,
    records: int = 10_000,
    labelled: int = 500,
    rounds: int = 3,
    repeats: int = 15,
    model: str | Model = "svm",
    vectors: np.ndarray | None = None,
) -> dict:
    """Median wall-clock ms of one retrain + rank, ours and ASReview's, alternating rounds."""
    big = table(records, labelled)
    texts = [record_text(t, a) for t, a in zip(big["title"], big["abstract"], strict=True)]
    ranker = Ranker(texts, model, vectors=vectors)
    labels = {int(i): int(big["label_included"].iloc[i]) for i in np.flatnonzero(big["labelled"])}
    ranker.rank(labels)  # warm up
    ours, ours_cpu, theirs = [], [], []
    with tempfile.NamedTemporaryFile(suffix=".csv") as handle:
        big[["title", "abstract", "label_included", "labelled"]].to_csv(handle.name, index=False)
        for _ in range(rounds):
            for _ in range(repeats):
                wall, cpu = time.perf_counter(), time.process_time()
                ranker.rank(labels)
                ours.append(time.perf_counter() - wall)
                ours_cpu.append(time.process_time() - cpu)
            if python == "none":  # ours only (no ASReview environment)
                continue
            command = [python, str(HERE / "asreview_runner.py"), "--time", handle.name]
            run = subprocess.run(
                [*command, str(repeats)], capture_output=True, text=True, check=True
            )
            answer = json.loads(run.stdout)
            theirs.extend(answer["seconds"][1:])  # its first repeat warms up
    if not theirs:
        theirs, answer = [float("nan")], {"version": "not run"}
    return {
        "load_average": os.getloadavg(),
        "model": getattr(model, "name", model),
        "records": records,
        "labelled": labelled,
        "repeats": (len(ours), len(theirs)),
        "ours_ms": 1000 * statistics.median(ours),
        "ours_cpu_ms": 1000 * statistics.median(ours_cpu),
        "asreview_ms": 1000 * statistics.median(theirs),
        "asreview": answer["version"],
    }


def against_previous(
    source: Path,
    records: int,
    labelled: int,
    repeats: int,
    model: str = "svm",
    vectors: np.ndarray | None = None,
    scorer: str | None = None,
) -> str:
    """Medians of our retrain + rank and of ``source``'s (``.../src``), alternating, each
    with its own version's model ``model`` (read the embedding by ``scorer`` if given; and
    ``vectors``, for a model that reads them)."""
    import importlib.util

    path = source / "metareview" / "records" / "active_learning.py"
    spec = importlib.util.spec_from_file_location("previous_active_learning", path)
    previous = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = previous  # dataclasses look their module up
    spec.loader.exec_module(previous)
    big = table(records, labelled)
    texts = [record_text(t, a) for t, a in zip(big["title"], big["abstract"], strict=True)]
    labels = {int(i): int(big["label_included"].iloc[i]) for i in np.flatnonzero(big["labelled"])}
    rankers = {
        "now": Ranker(texts, our_model(model, scorer), vectors=vectors),
        "previous": previous.Ranker(
            texts, our_model(model, scorer, previous.MODELS), vectors=vectors
        ),
    }
    title = f"model {our_model(model, scorer).name}"
    return alternate(rankers, labels, repeats, f"{records} records ({labelled} labelled, {title})")


def side_by_side(
    models: list[str], records: int, labelled: int, repeats: int, vectors: np.ndarray | None
) -> str:
    """Medians of our retrain + rank with each of ``models`` (a name in MODELS, or
    ``minilm/SCORER`` for minilm with another ``embedding_scorer``), alternating in one
    process."""
    big = table(records, labelled)
    texts = [record_text(t, a) for t, a in zip(big["title"], big["abstract"], strict=True)]
    labels = {int(i): int(big["label_included"].iloc[i]) for i in np.flatnonzero(big["labelled"])}
    rankers = {}
    for name in models:
        model = our_model(*name.split("/"))
        rankers[name] = Ranker(texts, model, vectors=vectors if model.embedding else None)
    return alternate(rankers, labels, repeats, f"{records} records ({labelled} labelled)")


def our_model(name: str, scorer: str | None = None, models: dict | None = None) -> Model:
    """The model ``name`` of MODELS (or of ``models``: another source tree's, so that
    ``--previous`` times each version with its own definition), reading the embedding by
    ``scorer`` if given."""
    model = (MODELS if models is None else models)[name]
    if scorer is None:
        return model
    if "embedding_scorer" not in {field.name for field in dataclasses.fields(model)}:
        raise SystemExit(f"--scorer: this version's Model has no embedding_scorer ({name})")
    return dataclasses.replace(
        model, name=f"{name}, embedding_scorer={scorer}", embedding_scorer=scorer
    )


def alternate(rankers: dict, labels: dict, repeats: int, what: str) -> str:
    """Time ``rankers`` in turn, ``repeats`` rounds after one to warm up; their medians,
    wall and CPU (all threads), and the load."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in rankers}
    for _ in range(repeats + 1):
        for name, ranker in rankers.items():
            wall, cpu = time.perf_counter(), time.process_time()
            ranker.rank(labels)
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    lines = [f"Retrain + rank of {what}, {repeats} repeats, alternating:"]
    for name, pairs in times.items():
        wall, cpu = np.median(np.array(pairs[1:]) * 1000, axis=0)
        lines.append(f"  {name}: {wall:.1f} ms wall, {cpu:.1f} ms CPU (all threads)")
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return "\n".join([*lines, f"  load average (1, 5, 15 min) at the end: {load}"])


def report(speed: dict) -> str:
    return (
        f"Retrain + rank of {speed['records']} records ({speed['labelled']} labelled, model "
        f"{speed['model']}), medians "
        f"of {speed['repeats'][0]} / {speed['repeats'][1]} repeats in alternating rounds:\n"
        f"  ours {speed['ours_ms']:.1f} ms wall ({speed['ours_cpu_ms']:.1f} ms CPU), "
        f"ASReview {speed['asreview']} default {speed['asreview_ms']:.1f} ms wall\n"
        f"  ratio ours/ASReview {speed['ours_ms'] / speed['asreview_ms']:.2f}\n"
        f"  load average (1, 5, 15 min) at the end: "
        + ", ".join(f"{v:.2f}" for v in speed["load_average"])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--asreview",
        default="/work/asreview-venv/bin/python",
        help="ASReview's environment's python, or 'none' to time ours only",
    )
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--labelled", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--previous", type=Path, default=None, metavar="SRC")
    parser.add_argument("--model", default="svm", help="our model (a name in MODELS)")
    parser.add_argument(
        "--embeddings", type=Path, default=None, help="embed_benchmark.py --save's vectors"
    )
    parser.add_argument(
        "--scorer",
        choices=EMBEDDING_SCORERS,
        default=None,
        help="with an embedding model: read the embedding this way (Model.embedding_scorer)",
    )
    parser.add_argument(
        "--side-by-side",
        nargs="+",
        default=None,
        metavar="MODEL",
        help="alternate these of our models in one process (minilm/centroid: minilm with "
        "embedding_scorer centroid)",
    )
    args = parser.parse_args()
    vectors = np.load(args.embeddings)[: args.records] if args.embeddings else None
    if args.side_by_side:
        print(side_by_side(args.side_by_side, args.records, args.labelled, args.repeats, vectors))
        return
    if args.previous:
        print(
            against_previous(
                args.previous,
                args.records,
                args.labelled,
                args.repeats,
                args.model,
                vectors,
                args.scorer,
            )
        )
        return
    model = our_model(args.model, args.scorer)
    speed = measure(
        args.asreview, args.records, args.labelled, args.rounds, args.repeats, model, vectors
    )
    print(report(speed))


if __name__ == "__main__":
    main()
