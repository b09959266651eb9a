"""Multiverse speed: ≥ 10,000 specifications of the example review's clinical-recovery outcome
(post-test), against a loop of single `analyze` calls on a sample of the same specifications,
in the same run.

Run: ``PYTHONPATH=src python benchmarks/multiverse_benchmark.py [--sample 100]``. Prints the
number of specifications and fits, CPU and wall seconds, fits per second, and the ratio to
the per-specification `analyze` loop (extrapolated from the sample).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from metareview.plan.analysis import analysis_settings, analyze, effect_sizes
from metareview.plan.multiverse import Factors, multiverse, specification_rows

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "peer-support" / "extraction.csv"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=100)
    args = parser.parse_args()
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
    wall, cpu = time.perf_counter(), time.process_time()
    result = multiverse(rows, factors)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    fitted = result.fitted()
    print(f"{len(result.specifications)} specifications, {len(fitted)} fitted")
    print(f"multiverse: {cpu:.2f} s CPU, {wall:.2f} s wall, {len(fitted) / cpu:.0f} fits/s (CPU)")
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


if __name__ == "__main__":
    main()
