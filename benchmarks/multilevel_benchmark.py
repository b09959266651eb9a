"""Three-level fit speed: ``fit_multilevel`` against a loop of R metafor ``rma.mv`` fits.

One REML fit of the three-level model with 100 effects in 30 studies, on N simulated data sets
(seeded): R metafor ``rma.mv(yi, vi, random = ~ 1 | study/es)`` looped over them (when
``Rscript`` is on PATH) and ``fit_multilevel(..., profile=False, level_tests=False)`` (the same fit: no
profile CIs or level LRTs, which ``rma.mv`` does not compute either) on the same data, both
timed in this run (CPU and wall). Prints the time per fit, the ratio and the largest
disagreement with metafor (metafor stops at its default tolerance, so agreement is ~1e-6).

    python benchmarks/multilevel_benchmark.py [--n 200]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

from rscript import rscript  # noqa: E402

from metareview.stats.multilevel import fit_multilevel  # noqa: E402

K, STUDIES = 100, 30


def simulate(n: int, seed: int = 17) -> pd.DataFrame:
    """n data sets: 100 effects in 30 studies (sizes 1–6), σ² 0.05 and 0.02."""
    rng = np.random.default_rng(seed)
    frames = []
    for dataset in range(1, n + 1):
        sizes = 1 + rng.multinomial(K - STUDIES, np.full(STUDIES, 1 / STUDIES))
        study = np.repeat(np.arange(1, STUDIES + 1), sizes)
        vi = rng.uniform(0.01, 0.2, K)
        yi = (
            0.3
            + rng.normal(0, np.sqrt(0.05), STUDIES)[study - 1]
            + rng.normal(0, np.sqrt(0.02), K)
            + rng.normal(0, np.sqrt(vi))
        )
        es = np.concatenate([np.arange(1, s + 1) for s in sizes])
        frames.append(
            pd.DataFrame({"dataset": dataset, "study": study, "es": es, "yi": yi, "vi": vi})
        )
    return pd.concat(frames, ignore_index=True)


def time_python(data: pd.DataFrame) -> tuple[float, float, pd.DataFrame]:
    sets = [
        (d, g["yi"].to_numpy(), g["vi"].to_numpy(), g["study"].tolist())
        for d, g in data.groupby("dataset")
    ]
    best_wall = best_cpu = np.inf
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        fits = [
            (d, fit_multilevel(y, v, s, profile=False, level_tests=False)) for d, y, v, s in sets
        ]
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    rows = [(d, f.estimate[0], *f.sigma2) for d, f in fits]
    frame = pd.DataFrame(rows, columns=["dataset", "estimate", "sigma2_between", "sigma2_within"])
    return best_wall, best_cpu, frame


def time_metafor(data: pd.DataFrame) -> tuple[float, float, pd.DataFrame] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp, "in.csv"), Path(tmp, "out.csv")
        data.to_csv(source, index=False)
        script = Path(__file__).with_name("multilevel_benchmark.R")
        out = rscript(script, source, target).split()
        return float(out[1]), float(out[0]), pd.read_csv(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="number of simulated data sets")
    n = parser.parse_args().n
    data = simulate(n)
    wall, cpu, ours = time_python(data)
    print(
        f"metareview fit_multilevel: {1e3 * cpu / n:.2f} ms CPU, {1e3 * wall / n:.2f} ms wall per fit"
    )
    reference = time_metafor(data)
    if reference is None:
        print("Rscript not found: no comparison")
        return
    r_wall, r_cpu, theirs = reference
    print(
        f"metafor rma.mv loop:        {1e3 * r_cpu / n:.2f} ms CPU, {1e3 * r_wall / n:.2f} ms wall per fit"
    )
    print(f"ratio: {r_cpu / cpu:.1f}x (CPU), {r_wall / wall:.1f}x (wall)")
    merged = ours.merge(theirs, on="dataset", suffixes=("", "_r"))
    for name in ("estimate", "sigma2_between", "sigma2_within"):
        diff = np.abs(merged[name] - merged[f"{name}_r"]).max()
        print(f"largest |difference| in {name}: {diff:.2e}")


if __name__ == "__main__":
    main()
