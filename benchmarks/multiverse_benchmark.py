"""Multiverse speed: ≥ 10,000 specifications of the example review's clinical-recovery outcome
(post-test), against a loop of single `analyze` calls on a sample of the same specifications,
in the same run.

Run: ``PYTHONPATH=src python benchmarks/multiverse_benchmark.py [--sample 100] [--repeat 3]``.
Prints the number of specifications and fits, CPU and wall seconds (the best of ``--repeat``
runs; CPU time is this process's, so it shows the code's cost on a busy machine), per 10,000
specifications, fits per second, the ratio to the per-specification `analyze` loop
(extrapolated from the sample), and the load average at the start and the end.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from metareview.plan.analysis import analysis_settings, analyze, effect_sizes
from metareview.plan.multiverse import Factors, multiverse, specification_rows

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "peer-support" / "extraction.csv"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("load average at the start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    settings = analysis_settings(measure="SMD", preset="metapsy")
    rows, _ = effect_sizes(
        EXAMPLE, settings, where={"outcome_category": "clinical recovery", "time": "post"}
    )
    factors = Factors(
        studies=("all", "low_rob", "outliers_removed", "influential_removed"),
        methods=("REML", "DL", "PM", "ML", "SJ", "HE", "EB", "HS"),
        filters={"population": (), "format": (), "delivery": (), "rating": ()},
        rob_column="rob_overall",
        preset="metapsy",
    )
    multiverse(rows.head(12), factors)  # warm up imports and caches
    times = []
    for _ in range(args.repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = multiverse(rows, factors)
        times.append((time.process_time() - cpu, time.perf_counter() - wall))
    cpu, wall = min(c for c, _ in times), min(w for _, w in times)
    fitted = result.fitted()
    n = len(result.specifications)
    print(f"{n} specifications, {len(fitted)} fitted")
    print(
        f"multiverse (best of {args.repeat}): {cpu:.2f} s CPU, {wall:.2f} s wall; per 10,000 "
        f"specifications {cpu * 1e4 / n:.2f} s CPU, {wall * 1e4 / n:.2f} s wall; "
        f"{len(fitted) / cpu:.0f} fits/s (CPU)"
    )
    sample = fitted.sample(min(args.sample, len(fitted)), random_state=0)
    loop_wall, loop_cpu = time.perf_counter(), time.process_time()
    for number, spec in sample.iterrows():
        chosen = specification_rows(result, rows, number)
        analyze(
            chosen[["study", "yi", "vi"]],
            analysis_settings(preset="metapsy", method=spec["method"], ci_method=spec["ci_method"]),
        )
    loop_cpu = (time.process_time() - loop_cpu) / len(sample) * len(fitted)
    loop_wall = (time.perf_counter() - loop_wall) / len(sample) * len(fitted)
    print(
        f"analyze loop (from {len(sample)} specifications): {loop_cpu:.1f} s CPU, "
        f"{loop_wall:.1f} s wall; ratio {loop_cpu / cpu:.0f}x (CPU), {loop_wall / wall:.0f}x (wall)"
    )
    print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
