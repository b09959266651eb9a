"""Benchmark: the example review run inside the workspace, and with the CLI, in the same run.

The example's 30 trials are entered by two extractors into a project store (as
``tests/test_extraction_roundtrip.py`` enters them; the one mistyped mean agreed back), the
example plan is saved in the store (its PRISMA counts file named by absolute path), then:

- **workspace**: what "Run analysis" does — :func:`metareview.web.analysis_job.start_analysis`
  (plan check, the agreed table and RoB from the store, the run's row) and
  :func:`~metareview.web.analysis_job.execute` (runner, report with study links, every file
  kept in the store), timed in this process with the library already imported, as in a
  running ``metareview serve``;
- **CLI**: ``metareview run plan.toml --no-cache -q`` on the exported table and the same plan
  text, in a subprocess (its time includes starting Python and importing).

Both use ``--jobs`` worker processes (default 1: the workspace's setting). Prints the load
average before and after, both wall times, their ratio, and checks that the two
``results.json`` agree to 1e-12.

    PYTHONPATH=src python benchmarks/workspace_run_benchmark.py [--jobs 1] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
EXAMPLE = REPO / "examples" / "peer-support"

from tests.result_leaves import leaves  # noqa: E402


def example_project(url: str):
    """The example review, extracted twice and agreed, in a new store at ``url``."""
    from tests.test_extraction_roundtrip import _entered

    from metareview.store.extraction import agree, compare

    project = _entered(url)
    [difference] = compare(project, 2).differences
    agree(project, 2, difference.cell, difference.values["ana"], actor="ana")
    return project


def plan_text() -> str:
    text = (EXAMPLE / "plan.toml").read_text("utf-8")
    return text.replace('counts = "prisma.csv"', f'counts = "{EXAMPLE / "prisma.csv"}"')


def differing(a: dict, b: dict) -> list[str]:
    left, right = leaves(a), leaves(b)
    bad = sorted(left.keys() ^ right.keys())
    for key in left.keys() & right.keys():
        x, y = left[key], right[key]
        if isinstance(x, float) and isinstance(y, float):
            if not (math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12) or (x != x and y != y)):
                bad.append(key)
        elif x != y:
            bad.append(key)
    return bad


PHASES = ("extraction_csv", "rob_csv", "run_plan", "write_report", "finish_run", "study_links")


def timed_phases() -> dict[str, list[float]]:
    """Wrap the steps of the workspace path to record each one's wall and CPU seconds."""
    from metareview.web import analysis_job

    spent: dict[str, list[float]] = {name: [0.0, 0.0] for name in PHASES}
    for name in PHASES:
        function = getattr(analysis_job, name)

        def wrapper(*args, _function=function, _name=name, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return _function(*args, **kwargs)
            finally:
                spent[_name][0] += time.perf_counter() - wall
                spent[_name][1] += time.process_time() - cpu

        setattr(analysis_job, name, wrapper)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    import metareview.plan.runner
    import metareview.report.build  # noqa: F401
    from metareview.store.analysis_runs import run_file, save_plan
    from metareview.store.extraction_export import write_agreed
    from metareview.web.analysis_job import execute, start_analysis

    spent = timed_phases()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="mr-bench-") as name:
        folder = Path(name)
        project = example_project(str(folder / "review.mrproj"))
        text = plan_text()
        save_plan(project, text, actor="lead")
        write_agreed(project, folder / "extraction.csv")
        (folder / "plan.toml").write_text(text, encoding="utf-8")
        workspace_times, cli_times, workspace_cpu, cli_cpu = [], [], [], []
        for _ in range(args.repeats):
            start, cpu = time.perf_counter(), time.process_time()
            run = start_analysis(project, actor="lead")
            done = execute(project, run.id, jobs=args.jobs)
            workspace_times.append(time.perf_counter() - start)
            workspace_cpu.append(time.process_time() - cpu)
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            assert done.status == "done", done.message
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "metareview", "run", str(folder / "plan.toml"), "-o",
                 str(folder / "out"), "--no-cache", "-q", "--jobs", str(args.jobs)],
                check=True, cwd=folder, stdout=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": str(REPO / "src")},
            )  # fmt: skip
            cli_times.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cli_cpu.append(after.ru_utime - children.ru_utime + after.ru_stime - children.ru_stime)
        served = json.loads(run_file(project, done.id, "results.json"))
        expected = json.loads((folder / "out" / "results.json").read_text("utf-8"))
        bad = differing(served, expected)
        project.close()
    load_after = os.getloadavg()
    workspace, cli = min(workspace_times), min(cli_times)
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
    print(f"workspace run (jobs={args.jobs}): {workspace:.2f} s  (all: "
          + ", ".join(f"{t:.2f}" for t in workspace_times) + ")")  # fmt: skip
    print(f"CLI run       (jobs={args.jobs}): {cli:.2f} s  (all: "
          + ", ".join(f"{t:.2f}" for t in cli_times) + ")")  # fmt: skip
    print(f"ratio workspace / CLI: {workspace / cli:.2f}")
    print(f"CPU seconds: workspace {min(workspace_cpu):.2f}, CLI {min(cli_cpu):.2f} "
          f"(ratio {min(workspace_cpu) / min(cli_cpu):.2f}; with jobs > 1 the workers' CPU "
          "is not counted)")  # fmt: skip
    n = args.repeats
    print("workspace steps (wall / CPU s per run): " + ", ".join(
        f"{name} {wall / n:.2f}/{cpu / n:.2f}" for name, (wall, cpu) in spent.items()))  # fmt: skip
    print(f"load average after:  {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print(
        "results.json: "
        + ("equal to 1e-12" if not bad else f"{len(bad)} numbers differ: {bad[:5]}")
    )
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
