"""Run ASReview's default model on one dataset with given priors; print the screening order.

Runs in ASReview's own environment (never the project's):
    /work/asreview-venv/bin/python benchmarks/asreview_runner.py DATA.csv.gz SEED PRIOR...
Prints JSON {"version", "model", "order": [record indices after the priors]}.

    /work/asreview-venv/bin/python benchmarks/asreview_runner.py --time DATA.csv REPEATS
times one retrain + rank of every record, training on the rows whose ``labelled`` is 1.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd
from asreview import __version__
from asreview.learner import ActiveLearningCycle
from asreview.models.models import get_ai_config
from asreview.models.queriers import TopDown
from asreview.models.stoppers import IsFittable
from asreview.simulation.simulate import Simulate


def default_cycle() -> ActiveLearningCycle:
    return ActiveLearningCycle.from_meta(get_ai_config()["value"])


def time_retrain(path: str, repeats: int) -> None:
    frame = pd.read_csv(path)
    texts = pd.DataFrame(
        {"title": frame["title"].fillna(""), "abstract": frame["abstract"].fillna("")}
    )
    cycle = default_cycle()
    features = cycle.transform(texts)
    labelled = frame["labelled"].to_numpy() == 1
    y = frame["label_included"].to_numpy()[labelled]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        cycle.fit(features[labelled], y)
        cycle.rank(features)
        times.append(time.perf_counter() - start)
    print(json.dumps({"version": __version__, "seconds": times}))


def main() -> None:
    if sys.argv[1] == "--time":
        time_retrain(sys.argv[2], int(sys.argv[3]))
        return
    path, seed, priors = sys.argv[1], int(sys.argv[2]), [int(p) for p in sys.argv[3:]]
    np.random.seed(seed)
    frame = pd.read_csv(path)
    texts = pd.DataFrame(
        {"title": frame["title"].fillna(""), "abstract": frame["abstract"].fillna("")}
    )
    config = get_ai_config()
    cycles = [
        ActiveLearningCycle(querier=TopDown(), stopper=IsFittable()),
        default_cycle(),
    ]
    simulation = Simulate(texts, frame["label_included"].to_numpy(), cycles, print_progress=False)
    simulation.label(priors)
    simulation.review()
    order = [int(i) for i in simulation._results["record_id"].to_numpy()[len(priors) :]]
    print(json.dumps({"version": __version__, "model": config["name"], "order": order}))


if __name__ == "__main__":
    main()
