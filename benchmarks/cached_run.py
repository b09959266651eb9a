"""Benchmark: a second `metareview run` of the unchanged example plan (results from the cache).

    python benchmarks/cached_run.py [--repeats 5] [--jobs 1] [--src DIR] [--previous DIR]

Runs `metareview run examples/peer-support/plan.toml` once to fill the output folder (results
cache and figures), then REPEATS more times with nothing changed, each in a subprocess, and
prints the median wall and CPU seconds (user + system of the child process, so other users of
a shared machine count less) of those runs, whether every report was byte-identical to the
first, and the size of results.json. ``--src`` runs another source tree than this checkout's.
``--previous DIR`` also runs another source tree (e.g. an older checkout's ``src``) in its
own output folder, the two alternating run by run, and prints both rows and their ratio, and
whether the two reports are the same document apart from the cache key (a hash of plan, data
and source files, so it differs between source trees): before and after in the same run.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from run_example import command_line, compare, run_metareview


def main(repeats: int, jobs: int, trees: dict[str, Path]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = {label: Path(folder) / f"out{index}" for index, label in enumerate(trees)}
        first = {label: [run_metareview(out[label], jobs, src)] for label, src in trees.items()}
        reports = {label: report_of(out[label]) for label in trees}
        again: dict[str, list[tuple[float, float]]] = {label: [] for label in trees}
        identical = dict.fromkeys(trees, True)
        for _ in range(repeats):  # the sources alternate, so each meets the same load
            for label, src in trees.items():
                again[label].append(run_metareview(out[label], jobs, src))
                identical[label] &= report_of(out[label]) == reports[label]
        sizes = {label: (out[label] / "results.json").stat().st_size for label in trees}
    print(f"--jobs {jobs}; {repeats} cached runs per source (medians); load average "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    compare(first, "first run (uncached, draws every figure)")
    compare(again, "second and later runs (results from the cache)")
    for label in trees:
        print(f"{label}: report byte-identical on every cached run: {identical[label]}; "
              f"results.json {sizes[label]:,} bytes")  # fmt: skip
    if len(trees) == 2:
        same = len(set(reports.values())) == 1
        print(f"the two sources' reports are byte-identical apart from the cache key: {same}")


def report_of(outdir: Path) -> bytes:
    """The bytes of the report in ``outdir``, its cache key (shown shortened) blanked."""
    key = json.loads((outdir / "results.json").read_text(encoding="utf-8"))["cache_key"]
    return (outdir / "report" / "index.html").read_bytes().replace(key[:12].encode(), b"<key>")


if __name__ == "__main__":
    arguments, trees = command_line(__doc__, jobs=1, repeats=5)
    main(arguments.repeats, arguments.jobs, trees)
