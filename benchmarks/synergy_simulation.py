"""SYNERGY simulation: our default model against ASReview's default, same seeds and priors.

For each of the nine SYNERGY reviews in ../shared/data/synergy and each seed, one relevant
and one irrelevant prior are drawn with :func:`metareview.records.simulation.draw_priors`;
both models start from them, screen one record per retrain until every relevant record is
found, and are scored with the same metric code (WSS@95, RRF@10, ATD, loss; priors left
out). ASReview runs in its own environment (``pip install asreview`` into a separate
venv, default /work/asreview-venv; never into the project's). No per-dataset settings.

Also times one retrain + rank of 10,000 records (``retrain_benchmark.py``).

    python benchmarks/synergy_simulation.py [--seeds 0 1 2] [--asreview PYTHON] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metareview.records.active_learning import record_text
from metareview.records.simulation import SimulationResult, draw_priors, metrics, simulate

HERE = Path(__file__).resolve().parent
SYNERGY = HERE.parent.parent / "shared" / "data" / "synergy"
DATASETS = [
    "Chou_2004",
    "Donners_2021",
    "Jeyaraman_2020",
    "Meijboom_2021",
    "Menon_2022",
    "Nelson_2002",
    "Oud_2018",
    "Sep_2021",
    "van_der_Valk_2021",
]
METRICS = ("wss95", "rrf10", "atd", "loss")


def load(name: str) -> tuple[Path, list[str], np.ndarray]:
    path = SYNERGY / f"{name}.csv.gz"
    frame = pd.read_csv(path)
    texts = [record_text(t, a) for t, a in zip(frame["title"], frame["abstract"], strict=True)]
    return path, texts, frame["label_included"].to_numpy(dtype=int)


def simulate_protocol(
    texts: list[str], labels: np.ndarray, seed: int, model: Any = "svm", vectors: Any = None
) -> SimulationResult:
    """One simulation under the benchmarks' fixed protocol: from the priors
    ``draw_priors(labels, seed)`` (one relevant, one irrelevant), the model seeded ``seed``."""
    return simulate(
        texts, labels, seed=seed, model=model, priors=draw_priors(labels, seed), vectors=vectors
    )


def asreview_order(python: str, path: Path, seed: int, priors: list[int]) -> subprocess.Popen:
    command = [python, str(HERE / "asreview_runner.py"), str(path), str(seed), *map(str, priors)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, labels: np.ndarray, priors: list[int]) -> dict:
    out, _ = process.communicate()
    if process.returncode:
        raise RuntimeError(f"ASReview run failed ({process.args})")
    answer = json.loads(out)
    order = answer["order"]
    rest = [i for i in range(len(labels)) if i not in set(order) | set(priors)]
    found = metrics(labels[order + rest])
    return {k: found[k] for k in METRICS} | {"version": answer["version"], "model": answer["model"]}


def markdown(frame: pd.DataFrame, number: str = "{:.3f}") -> str:
    """A DataFrame as a Markdown table, three decimals (or as ``number`` formats), "—" for
    a missing value."""
    lines = [
        "| " + " | ".join([frame.index.name or "", *frame.columns]) + " |",
        "|" + "---|" * (len(frame.columns) + 1),
    ]
    for label, row in frame.iterrows():
        cells = ("—" if v != v else number.format(v) for v in row)  # NaN: not run
        lines.append("| " + " | ".join([str(label), *cells]) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--asreview", default="/work/asreview-venv/bin/python")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rows = []
    for name in args.datasets:
        path, texts, labels = load(name)
        for seed in args.seeds:
            priors = draw_priors(labels, seed)
            theirs = asreview_order(args.asreview, path, seed, priors)
            start = time.perf_counter()
            ours = simulate(texts, labels, seed=seed, priors=priors).to_dict()
            seconds = time.perf_counter() - start
            other = finish(theirs, labels, priors)
            rows.append(
                {"dataset": name, "seed": seed, "priors": priors, "seconds": seconds}
                | {f"ours_{k}": ours[k] for k in METRICS}
                | {f"asreview_{k}": other[k] for k in METRICS}
                | {"asreview": f"{other['model']} (ASReview {other['version']})"}
            )
            print(
                f"{name} seed {seed}: WSS@95 ours {ours['wss95']:.3f} "
                f"ASReview {other['wss95']:.3f}",
                file=sys.stderr,
            )
    table = pd.DataFrame(rows)
    per_dataset = table.groupby("dataset")[
        [f"{w}_{k}" for k in METRICS for w in ("ours", "asreview")]
    ].mean()
    per_dataset.loc["mean"] = per_dataset.mean()
    print(f"Seeds {args.seeds}; ASReview default: {rows[0]['asreview']}")
    print(markdown(per_dataset))
    from retrain_benchmark import measure, report  # imports this module's DATASETS

    speed = measure(args.asreview)
    print("\n" + report(speed))
    if args.json:
        args.json.write_text(json.dumps({"runs": rows, "timing": speed}, indent=2))


if __name__ == "__main__":
    main()
