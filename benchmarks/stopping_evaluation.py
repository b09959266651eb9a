"""Honest evaluation of the stopping rules: recall at stopping over SYNERGY × seeds.

For each of the nine SYNERGY reviews and each seed, a ranking model (``--model``, default
``svm``) screens one record per retrain from one relevant and one irrelevant prior
(``draw_priors``), as in
``synergy_simulation.py``; every stopping rule is then applied to the screening order
(:func:`metareview.records.simulation.stopping_points`), and
:func:`metareview.records.stopping_evaluation.evaluate_stopping` summarises, per rule, recall
at stopping (mean, 5th percentile, minimum), the share of runs below the 95 % target and the
work saved. A rule that promises the target (buscar, α = 0.05) should be below it in at most
about 5 % of runs.

The consecutive rule is evaluated twice: with the simulation's run (max(50, 5 % of the
records), so 50–82 here) and with the fixed 50 of common practice (and of ``records
stopping``). A rule that never says stop screens everything (recall 1, no work saved).

The screening orders are saved (``--orders``, JSON) so the rules can be re-evaluated without
simulating again (``--reuse``). ``--package-table`` writes the evaluation where
``metareview records methods`` reads it: ``src/metareview/records/stopping_recall.json`` for
``svm``, ``stopping_recall_MODEL.json`` beside it for another model
(:func:`metareview.records.screening_methods.simulated_recall`). ``--model minilm`` reads the
sentence vectors ``embed_synergy.py`` cached (``--embeddings DIR``).

    python benchmarks/stopping_evaluation.py [--model svm|minilm --embeddings DIR]
        [--seeds 0 1 ... 9] [--orders FILE] [--reuse] [--package-table PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from metareview.records.active_learning import MODELS
from metareview.records.simulation import (
    consecutive_irrelevant_stop,
    stopping_points,
)
from metareview.records.stopping_evaluation import evaluate_stopping

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synergy_simulation import DATASETS, load, simulate_protocol


def simulate_orders(
    datasets: list[str], seeds: list[int], model: str = "svm", embeddings: Path | None = None
) -> list[dict]:
    runs = []
    for name in datasets:
        _, texts, labels = load(name)
        vectors = None
        if MODELS[model].embedding:  # embed_synergy.py's vectors, one row per row of the CSV
            if embeddings is None:
                raise SystemExit(f"--model {model} reads sentence vectors: give --embeddings DIR")
            vectors = np.load(embeddings / f"{name}.npy")
            assert len(vectors) == len(texts), (
                f"{name}: {len(vectors)} vectors, {len(texts)} records"
            )
        for seed in seeds:
            start = time.perf_counter()
            result = simulate_protocol(texts, labels, seed, model, vectors)
            runs.append({"dataset": name, "seed": seed, "order_labels": list(result.labels)})
            print(
                f"{name} seed {seed}: WSS@95 {result.wss95:.3f} "
                f"({time.perf_counter() - start:.1f} s)",
                file=sys.stderr,
            )
    return runs


SCALED_RUN = "consecutive irrelevant, run max(50, 5 % of records)"


def points_of(order_labels: np.ndarray, labels: np.ndarray, seed: int) -> dict[str, dict]:
    """Every rule's stopping point, with stable names across reviews, plus the fixed 50 run."""
    points = {}
    for name, point in stopping_points(order_labels, labels, seed).items():
        points[SCALED_RUN if name.endswith("consecutive irrelevant") else name] = point
    stop = consecutive_irrelevant_stop(order_labels, 50)
    recall = np.cumsum(order_labels) / order_labels.sum()
    points["50 consecutive irrelevant"] = {
        "screened": stop,
        "recall": None if stop is None else float(recall[stop - 1]),
        "work_saved": None if stop is None else 1 - stop / len(order_labels),
    }
    return points


def markdown(frame: pd.DataFrame, formats: dict[str, str]) -> str:
    lines = [
        "| " + " | ".join([frame.index.name or "", *frame.columns]) + " |",
        "|" + "---|" * (len(frame.columns) + 1),
    ]
    for label, row in frame.iterrows():
        cells = [formats.get(c, "{}").format(v) for c, v in row.items()]
        lines.append("| " + " | ".join([str(label), *cells]) + " |")
    return "\n".join(lines)


FORMATS = {
    "runs": "{:.0f}",
    "mean_recall": "{:.3f}",
    "recall_p5": "{:.3f}",
    "min_recall": "{:.3f}",
    "below_target": "{:.1%}",
    "mean_work_saved": "{:.3f}",
    "never_stopped": "{:.0f}",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--orders", type=Path, default=Path("stopping_orders.json"))
    parser.add_argument("--reuse", action="store_true", help="read --orders, do not simulate")
    parser.add_argument("--package-table", type=Path, default=None)
    parser.add_argument("--model", choices=list(MODELS), default="svm")
    parser.add_argument("--embeddings", type=Path, default=None, help="embed_synergy.py's folder")
    args = parser.parse_args()
    model = args.model
    if args.reuse:  # (the orders say which model made them; older files, the default's)
        saved = json.loads(args.orders.read_text())
        runs, model = saved["runs"], saved.get("model", "svm")
    else:
        runs = simulate_orders(args.datasets, args.seeds, model, args.embeddings)
        args.orders.write_text(json.dumps({"model": model, "runs": runs}))
    labels = {name: load(name)[2] for name in {run["dataset"] for run in runs}}
    points = [
        points_of(np.asarray(run["order_labels"]), labels[run["dataset"]], run["seed"])
        for run in runs
    ]
    seeds = sorted({run["seed"] for run in runs})
    print(
        f"{len(runs)} runs of {model}: {len({r['dataset'] for r in runs})} reviews × seeds {seeds}"
    )
    evaluation = evaluate_stopping(points)
    print(markdown(evaluation.to_frame(), FORMATS))
    if args.package_table:
        setting = (
            f"nine SYNERGY reviews × {len(seeds)} seeds, the ranking model {model} from "
            "one relevant and one irrelevant record"
        )
        args.package_table.write_text(
            json.dumps({"setting": setting, **evaluation.to_dict()}, indent=1) + "\n"
        )
    # Which reviews make each rule miss the target (runs below 95 % recall, of the seeds).
    per_dataset = {}
    for run, point in zip(runs, points, strict=True):
        for rule, stop in point.items():
            below = stop["screened"] is not None and stop["recall"] < 0.95 - 1e-12
            per_dataset.setdefault(run["dataset"], {}).setdefault(rule, 0)
            per_dataset[run["dataset"]][rule] += int(below)
    frame = pd.DataFrame(per_dataset).T
    frame.index.name = "runs below 95 % recall"
    print()
    print(markdown(frame, {c: "{:.0f}" for c in frame.columns}))


if __name__ == "__main__":
    main()
