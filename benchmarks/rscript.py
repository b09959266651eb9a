"""Run an R script for the benchmarks' reference timings (R metafor)."""

from __future__ import annotations

import subprocess


def rscript(*args: object) -> str:
    """The standard output of ``Rscript ARGS...``; stops the benchmark with R's error output
    when R fails (no R, a missing package, an error in the script)."""
    done = subprocess.run(["Rscript", *map(str, args)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the R benchmark failed:\n{done.stderr}")
    return done.stdout
