"""Speed of the small-study-effect analyses against R metafor, measured in the same run.

    python benchmarks/bias_benchmark.py [--repeats 50]

For ThirdWave (18 studies) and dat.hackshaw1998 (37 studies), times one full small-study
section (classic and mixed-effects Egger, Begg, trim-and-fill, PET-PEESE, three fail-safe
Ns) and one two-interval step-function selection model, in Python and in R (metafor 3.8-1:
regtest ×2, ranktest, trimfill, lm ×2, fsn ×3; selmodel), each repeated ``--repeats`` times;
R's time is measured inside R (``proc.time``), so start-up is excluded. Prints seconds per
call and the ratio Python/R (< 1: faster than R).

BLAS is limited to one thread, as R's reference BLAS is: on a loaded machine OpenBLAS threads
make the tiny matrix operations of an optimiser ten times slower.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # (imports after setting BLAS threads, before numpy loads)
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from rscript import rscript

from metareview.stats.bias.selection import selection_model
from metareview.stats.bias.small_study import small_study_effects

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

R_SCRIPT = r"""
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); n <- as.integer(args[2])
t0 <- proc.time()[["elapsed"]]
for (i in seq_len(n)) {
  fit <- rma(yi, vi, data = d)
  regtest(fit, model = "lm"); regtest(fit); ranktest(fit); trimfill(fit)
  lm(yi ~ sqrt(vi), weights = 1 / vi, data = d); lm(yi ~ vi, weights = 1 / vi, data = d)
  fsn(yi, vi, data = d); fsn(yi, vi, data = d, type = "Orwin")
  fsn(yi, vi, data = d, type = "Rosenberg")
}
t1 <- proc.time()[["elapsed"]]
for (i in seq_len(n)) {
  selmodel(rma(yi, vi, data = d, method = "ML"), type = "stepfun", steps = c(0.025, 1))
}
t2 <- proc.time()[["elapsed"]]
cat(jsonlite::toJSON(list(section = (t1 - t0) / n, selection = (t2 - t1) / n),
                     auto_unbox = TRUE))
"""


def datasets() -> dict[str, pd.DataFrame]:
    thirdwave = pd.read_csv(SHARED / "dmetar" / "ThirdWave.csv")
    reference = json.loads((ROOT / "tests" / "reference" / "bias.json").read_text())
    hackshaw = reference["datasets"]["hackshaw1998"]["input"]
    return {
        "ThirdWave (k = 18)": pd.DataFrame({"yi": thirdwave["TE"], "vi": thirdwave["seTE"] ** 2}),
        "hackshaw1998 (k = 37)": pd.DataFrame({"yi": hackshaw["yi"], "vi": hackshaw["vi"]}),
    }


def python_times(frame: pd.DataFrame, repeats: int) -> dict[str, float]:
    yi, vi = frame["yi"].to_numpy(), frame["vi"].to_numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        small_study_effects(yi, vi)
    middle = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeats):
            selection_model(yi, vi, [0.025])
    end = time.perf_counter()
    return {"section": (middle - start) / repeats, "selection": (end - middle) / repeats}


def r_times(frame: pd.DataFrame, repeats: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data, script = Path(tmp) / "d.csv", Path(tmp) / "b.R"
        frame.to_csv(data, index=False)
        script.write_text(R_SCRIPT)
        out = rscript(script, data, repeats)
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    repeats = parser.parse_args().repeats
    print("| data | analysis | Python s/call | R s/call | ratio Python/R |")
    print("|---|---|---|---|---|")
    for name, frame in datasets().items():
        ours, theirs = python_times(frame, repeats), r_times(frame, repeats)
        for key, label in (("section", "small-study section"), ("selection", "selection model")):
            ratio = ours[key] / theirs[key]
            print(f"| {name} | {label} | {ours[key]:.4f} | {theirs[key]:.4f} | {ratio:.2f} |")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
