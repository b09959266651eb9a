"""Benchmark: `metareview run examples/peer-support/plan.toml` end to end (target < 30 s).

Runs the example review from scratch (no cache) in a subprocess and reports wall and CPU time
(user + system of the child processes, so other users of a shared machine count less).
``--previous DIR`` also runs another source tree (e.g. an older checkout's ``src``), the two
alternating, and prints both rows and their ratio: before and after in the same run.
As the reference it then times R metafor doing the same statistical work on the same effect
sizes: one `rma()` per fit the run made (main, specific, sensitivity, subgroup and
leave-one-out fits) plus one `forest()` SVG per forest plot, in one Rscript process started
in this run. R is optional: without `Rscript` only metareview's times are printed.

    python benchmarks/run_example.py [--jobs N] [--repeats 1] [--src DIR] [--previous DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
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


def run_metareview(outdir: Path, jobs: int, src: Path, *flags: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child processes) of one `metareview run` of the
    example into ``outdir`` with the package in ``src``; ``flags`` such as ``--no-cache``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    command = [sys.executable, "-m", "metareview", "run", str(PLAN), "-o", str(outdir)]
    subprocess.run(
        [*command, "--jobs", str(jobs), "--quiet", *flags],
        check=True,
        cwd=REPO,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compare(rows: dict[str, list[tuple[float, float]]], what: str) -> None:
    """Print the median wall and CPU seconds of each source's runs (``rows``: label → runs)
    and, with two sources, the ratio of the second to the first."""
    medians = {
        label: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        for label, runs in rows.items()
    }
    print(f"| {what} | wall s | CPU s |")
    print("|---|---|---|")
    for label, (wall, cpu) in medians.items():
        print(f"| {label} | {wall:.2f} | {cpu:.2f} |")
    if len(medians) == 2:
        (wall0, cpu0), (wall1, cpu1) = medians.values()
        print(f"| ratio (after / before) | {wall1 / wall0:.2f} | {cpu1 / cpu0:.2f} |")


def sources(src: Path, previous: Path | None) -> dict[str, Path]:
    """The source trees to run, labelled; the previous one first."""
    if previous is None:
        return {f"now ({src})": src}
    return {f"before ({previous})": previous, f"after ({src})": src}


def command_line(doc: str, jobs: int, repeats: int) -> tuple[argparse.Namespace, dict]:
    """The example benchmarks' options (``--jobs``, ``--repeats``, ``--src``, ``--previous``;
    ``doc``'s first line as the description) parsed, and the :func:`sources` they name."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=jobs)
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--src", type=Path, default=REPO / "src")
    parser.add_argument("--previous", type=Path, default=None, help="source tree to compare")
    arguments = parser.parse_args()
    previous = arguments.previous.resolve() if arguments.previous else None
    return arguments, sources(arguments.src.resolve(), previous)


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


def main(jobs: int, repeats: int, trees: dict[str, Path]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows: dict[str, list[tuple[float, float]]] = {label: [] for label in trees}
        for _ in range(repeats):  # the sources alternate, so each meets the same load
            for label, src in trees.items():
                rows[label].append(run_metareview(tmp / "out", jobs, src, "--no-cache"))
        results = json.loads((tmp / "out" / "results.json").read_text())
        figures = len(list((tmp / "out" / "figures").glob("*.svg")))
        print(f"metareview run --no-cache --jobs {jobs}: {len(results['analyses'])} analyses, "
              f"{figures} figures; medians of {repeats} run(s); load average "
              f"{os.getloadavg()[0]:.1f}")  # fmt: skip
        compare(rows, "fresh run")
        wall = statistics.median(run[0] for run in rows[list(trees)[-1]])
        print(f"target < 30 s: {'met' if wall < 30 else 'NOT met'}")
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
    arguments, trees = command_line(__doc__, jobs=2, repeats=1)
    main(arguments.jobs, arguments.repeats, trees)
