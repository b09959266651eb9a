"""Benchmark: a second `metareview run` of the unchanged example plan (results from the cache).

    python benchmarks/cached_run.py [--repeats 5] [--jobs 1] [--src DIR]

Runs `metareview run examples/peer-support/plan.toml` once to fill the output folder (results
cache and figures), then REPEATS more times with nothing changed, each in a subprocess, and
prints the median wall and CPU seconds (user + system of the child process, so other users of
a shared machine count less) of those runs, whether every report was byte-identical to the
first, and the size of results.json. ``--src`` runs another source tree (e.g. an older
checkout's ``src``) for a before/after comparison in the same session.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLAN = REPO / "examples" / "peer-support" / "plan.toml"


def run_once(outdir: Path, jobs: int, src: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one `metareview run` into ``outdir``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    command = [sys.executable, "-m", "metareview", "run", str(PLAN), "-o", str(outdir)]
    subprocess.run(
        [*command, "--jobs", str(jobs), "--quiet"],
        check=True,
        cwd=REPO,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(repeats: int, jobs: int, src: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        outdir = Path(folder) / "out"
        first = run_once(outdir, jobs, src)
        report = (outdir / "report" / "index.html").read_bytes()
        size = (outdir / "results.json").stat().st_size
        again, identical = [], True
        for _ in range(repeats):
            again.append(run_once(outdir, jobs, src))
            identical &= (outdir / "report" / "index.html").read_bytes() == report
    wall = statistics.median(run[0] for run in again)
    cpu = statistics.median(run[1] for run in again)
    print(f"source: {src}; --jobs {jobs}; {repeats} cached runs (medians)")
    print("| run | wall s | CPU s |")
    print("|---|---|---|")
    print(f"| first (uncached, draws every figure) | {first[0]:.2f} | {first[1]:.2f} |")
    print(f"| second and later (results from the cache) | {wall:.2f} | {cpu:.2f} |")
    print(f"report byte-identical on every cached run: {identical}")
    print(f"results.json: {size:,} bytes")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--src", type=Path, default=REPO / "src")
    arguments = parser.parse_args()
    main(arguments.repeats, arguments.jobs, arguments.src.resolve())
