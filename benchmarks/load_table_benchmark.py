"""Time load_table against pandas.read_csv on the same CSV, in one run.

PYTHONPATH=src python benchmarks/load_table_benchmark.py [--rows 100000] [--repeats 7]

Writes the synthetic trial table of ``effects_benchmark.py`` (ROWS rows, 11 columns) to a
temporary CSV and reads it alternately with ``pandas.read_csv`` (no validation) and
``load_table`` (reads, maps and validates every cell), REPEATS times each. Prints the median
CPU seconds (``time.process_time``: this process only, so other users of a shared machine
count less) and the median wall seconds, and the ratios load_table / read_csv.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from effects_benchmark import synthetic

from metareview.data.table import load_table


def timed(action) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    action()
    return time.process_time() - cpu, time.perf_counter() - wall


def main(rows: int, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trials.csv"
        synthetic(rows).to_csv(path, index=False)
        load_table(path), pd.read_csv(path)  # warm up: imports, file cache
        times: dict[str, list[tuple[float, float]]] = {"read_csv": [], "load_table": []}
        for _ in range(repeats):
            times["read_csv"].append(timed(lambda: pd.read_csv(path)))
            times["load_table"].append(timed(lambda: load_table(path)))
    medians = {
        name: [statistics.median(run[i] for run in runs) for i in (0, 1)]
        for name, runs in times.items()
    }
    print(f"rows: {rows}, columns: 11, repeats: {repeats} (medians)")
    print("| reader | CPU s | wall s |")
    print("|---|---|---|")
    for name, (cpu, wall) in medians.items():
        print(f"| {name} | {cpu:.3f} | {wall:.3f} |")
    cpu_ratio = medians["load_table"][0] / medians["read_csv"][0]
    wall_ratio = medians["load_table"][1] / medians["read_csv"][1]
    print(f"| ratio load_table / read_csv | {cpu_ratio:.1f} | {wall_ratio:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    arguments = parser.parse_args()
    main(arguments.rows, arguments.repeats)
