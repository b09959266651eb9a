"""Time compute_effects against R metafor escalc on the same synthetic table, in one run.

python benchmarks/effects_benchmark.py [ROWS]

Writes a table of ROWS trials (means/SDs/ns and events/totals per arm; default 100 000) to a
temporary CSV, times ``compute_effects`` (reading, validating and computing; SMD and OR) and
``Rscript`` running ``read.csv`` + ``escalc`` on the same file (reading timed apart from
computing on both sides), and prints seconds and the
ratio metareview/R, plus the largest relative difference of yi and vi. Needs R with metafor.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rscript import rscript

from metareview.data.effects import compute_effects
from metareview.data.table import load_table

R_SCRIPT = r"""
suppressMessages(library(metafor))
args <- commandArgs(TRUE)
t0 <- proc.time()[["elapsed"]]
d <- read.csv(args[1])
tr <- proc.time()[["elapsed"]]
smd <- escalc("SMD", m1i = mean_arm1, sd1i = sd_arm1, n1i = n_arm1, m2i = mean_arm2,
              sd2i = sd_arm2, n2i = n_arm2, data = d)
t1 <- proc.time()[["elapsed"]]
or <- escalc("OR", ai = event_arm1, n1i = totaln_arm1, ci = event_arm2, n2i = totaln_arm2,
             data = d)
t2 <- proc.time()[["elapsed"]]
write.csv(data.frame(smd_yi = smd$yi, smd_vi = smd$vi, or_yi = or$yi, or_vi = or$vi), args[2],
          row.names = FALSE)
cat(tr - t0, t1 - tr, t2 - t1, "\n")
"""


def synthetic(rows: int, seed: int = 2026) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n1, n2 = rng.integers(5, 300, rows), rng.integers(5, 300, rows)
    p1, p2 = rng.uniform(0.01, 0.6, rows), rng.uniform(0.01, 0.6, rows)
    return pd.DataFrame(
        {
            "study": [f"trial {i}" for i in range(rows)],
            "mean_arm1": rng.normal(10, 3, rows).round(2),
            "sd_arm1": rng.uniform(1, 6, rows).round(2),
            "n_arm1": n1,
            "mean_arm2": rng.normal(11, 3, rows).round(2),
            "sd_arm2": rng.uniform(1, 6, rows).round(2),
            "n_arm2": n2,
            "event_arm1": rng.binomial(n1, p1),
            "totaln_arm1": n1,
            "event_arm2": rng.binomial(n2, p2),
            "totaln_arm2": n2,
        }
    )


def relative_difference(ours: pd.Series, reference: pd.Series) -> float:
    """Largest |ours − reference| / |reference| (an exact zero counts as agreement)."""
    ours_values, reference_values = ours.to_numpy(), reference.to_numpy()
    scale = np.maximum(np.abs(reference_values), np.finfo(float).tiny)
    return float(np.nanmax(np.abs(ours_values - reference_values) / scale))


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        data, r_out, script = (Path(folder) / name for name in ("data.csv", "r.csv", "run.R"))
        synthetic(rows).to_csv(data, index=False)
        script.write_text(R_SCRIPT)
        start = time.perf_counter()
        table = load_table(data)
        loaded = time.perf_counter()
        smd = compute_effects(table, "SMD")
        middle = time.perf_counter()
        odds = compute_effects(table, "OR")
        end = time.perf_counter()
        r_times = rscript(script, data, r_out).split()
        reference = pd.read_csv(r_out)
    ours = {"read": loaded - start, "SMD": middle - loaded, "OR": end - middle}
    theirs = dict(zip(("read", "SMD", "OR"), map(float, r_times), strict=True))
    print(
        f"rows: {rows}; reading the table: load_table {ours['read']:.2f} s (validates every "
        f"cell), R read.csv {theirs['read']:.2f} s, ratio {ours['read'] / theirs['read']:.1f}"
    )
    print("| measure | compute_effects s | escalc s | ratio | max rel diff yi | max rel diff vi |")
    print("|---|---|---|---|---|---|")
    for measure, frame, prefix in (("SMD", smd, "smd"), ("OR", odds, "or")):
        diffs = [relative_difference(frame[c], reference[f"{prefix}_{c}"]) for c in ("yi", "vi")]
        print(
            f"| {measure} | {ours[measure]:.2f} | {theirs[measure]:.2f} | "
            f"{ours[measure] / theirs[measure]:.2f} | {diffs[0]:.1e} | {diffs[1]:.1e} |"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
