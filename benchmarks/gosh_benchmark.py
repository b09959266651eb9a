"""GOSH speed against R metafor: 10⁶ random DerSimonian–Laird subsets at k = 30.

Runs metafor ``gosh(rma(yi, vi, method = "DL"), subsets = 10^6)`` on the first 30 studies of
``dat.hackshaw1998`` (R metafor + metadat must be installed), then metareview's ``gosh`` with
10⁶ random subsets on the same data, and prints both times and their ratio. It also refits
metafor's own subsets with metareview and prints the largest relative difference, so "same
values for the same subsets" is checked in the same run.

Usage::

    python benchmarks/gosh_benchmark.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from rscript import rscript

from metareview.stats.gosh import bitmask_to_membership, fit_subsets, gosh

HERE = Path(__file__).resolve().parent
N_SUBSETS, K = 1_000_000, 30


def hackshaw_first_30() -> tuple[np.ndarray, np.ndarray]:
    script = 'd <- metadat::dat.hackshaw1998[1:30, ]; write.csv(d[, c("yi", "vi")], stdout(), row.names = FALSE)'
    rows = [line.split(",") for line in rscript("-e", script).strip().splitlines()[1:]]
    values = np.array(rows, dtype=float)
    return values[:, 0], values[:, 1]


def main() -> None:
    yi, vi = hackshaw_first_30()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "gosh.bin"
        r_seconds = float(rscript(HERE / "gosh_benchmark.R", out).strip().splitlines()[-1])
        reference = np.fromfile(out, dtype="<f8").reshape(6, -1)
    membership = bitmask_to_membership(reference[0].astype(np.int64), K)

    start = time.perf_counter()
    ours = gosh(yi, vi, method="DL", subsets=N_SUBSETS, seed=1)
    py_seconds = time.perf_counter() - start

    same = fit_subsets(yi, vi, membership, "DL")
    worst = {}
    for row, key in enumerate(("estimate", "tau2", "i2", "h2", "q"), start=1):
        ref = reference[row]
        scale = np.maximum(np.abs(ref), 1e-8)
        worst[key] = float(np.max(np.abs(same[key] - ref) / scale))
    print(f"subsets: metafor {reference.shape[1]:,}, metareview {ours.n_subsets:,} (k = {K}, DL)")
    print(f"metafor gosh(): {r_seconds:.2f} s")
    print(f"metareview gosh(): {py_seconds:.2f} s")
    print(f"ratio (metafor / metareview): {r_seconds / py_seconds:.1f}x")
    print(
        "largest relative difference on metafor's subsets: "
        + ", ".join(f"{key} {value:.1e}" for key, value in worst.items())
    )


if __name__ == "__main__":
    main()
