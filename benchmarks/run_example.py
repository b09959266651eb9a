"""Benchmark: `metareview run examples/peer-support/plan.toml` end to end (target < 30 s).

Runs the example review from scratch (no cache) in a subprocess and reports wall and CPU time.
As the reference it then times R metafor doing the same statistical work on the same effect
sizes: one `rma()` per fit the run made (main, specific, sensitivity, subgroup and
leave-one-out fits) plus one `forest()` SVG per forest plot, in one Rscript process started
in this run. R is optional: without `Rscript` only metareview's times are printed.

    python benchmarks/run_example.py [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLAN = REPO / "examples" / "peer-support" / "plan.toml"

R_SCRIPT = r"""
suppressMessages(library(metafor)); suppressMessages(library(jsonlite))
args <- commandArgs(TRUE)
fits <- fromJSON(args[1], simplifyVector = FALSE)
out <- args[2]
start <- Sys.time()
for (i in seq_along(fits)) {
  f <- fits[[i]]
  yi <- unlist(f$yi); vi <- unlist(f$vi)
  m <- try(rma(yi, vi, method = "REML", test = "knha"), silent = TRUE)
  if (isTRUE(f$plot) && !inherits(m, "try-error")) {
    svg(file.path(out, sprintf("forest-%03d.svg", i)), width = 9, height = 2 + 0.2 * length(yi))
    forest(m, slab = unlist(f$study), addpred = TRUE, header = TRUE)
    dev.off()
  }
}
cat(as.numeric(difftime(Sys.time(), start, units = "secs")), "\n")
"""


def run_metareview(outdir: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child processes) of one uncached run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "metareview",
            "run",
            str(PLAN),
            "-o",
            str(outdir),
            "--jobs",
            str(jobs),
            "--no-cache",
            "--quiet",
        ],
        check=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _fit(studies: list[dict], plot: bool) -> dict:
    return {
        "study": [s["study"] for s in studies],
        "yi": [s["yi"] for s in studies],
        "vi": [s["vi"] for s in studies],
        "plot": plot,
    }


def reference_fits(results: dict) -> list[dict]:
    """The effect sizes of every fit the run made, and which of them were plotted."""
    fits = []
    for record in results["analyses"]:
        if record["status"] != "ok":
            continue
        studies = record["result"]["studies"]
        fits.append(_fit(studies, record["spec"]["role"] != "sensitivity"))
        for block in record["subgroups"]:
            fits += [
                _fit(level["result"]["studies"], False)
                for level in block["levels"]
                if "result" in level
            ]
        for omitted in record["leave_one_out"]:
            fits.append(_fit([s for s in studies if s["study"] != omitted["omitted"]], False))
    return fits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        wall, cpu = run_metareview(tmp / "out", args.jobs)
        results = json.loads((tmp / "out" / "results.json").read_text())
        figures = len(list((tmp / "out" / "figures").glob("*.svg")))
        print(
            f"metareview run (jobs={args.jobs}): {wall:.1f} s wall, {cpu:.1f} s CPU; "
            f"{len(results['analyses'])} analyses, {figures} figures; target < 30 s: "
            f"{'met' if wall < 30 else 'NOT met'}"
        )
        rscript = shutil.which("Rscript")
        if rscript is None:
            print("Rscript not found: no reference timing")
            return
        fits = reference_fits(results)
        (tmp / "fits.json").write_text(json.dumps(fits))
        (tmp / "bench.R").write_text(R_SCRIPT)
        (tmp / "r").mkdir()
        start = time.perf_counter()
        done = subprocess.run(
            [rscript, str(tmp / "bench.R"), str(tmp / "fits.json"), str(tmp / "r")],
            check=True,
            capture_output=True,
            text=True,
        )
        r_wall = time.perf_counter() - start
        r_inner = float(done.stdout.split()[-1])
        print(
            f"R metafor, same {len(fits)} fits + {sum(f['plot'] for f in fits)} forest SVGs: "
            f"{r_wall:.1f} s wall ({r_inner:.1f} s without R start-up)"
        )
        print(f"ratio metareview / R: {wall / r_wall:.2f} (wall)")


if __name__ == "__main__":
    main()
