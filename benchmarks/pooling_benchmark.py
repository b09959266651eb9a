"""Pooling speed: ``pool_many`` against R metafor looped over the same meta-analyses.

Measures, in one run:
1. R metafor ``rma(method="REML", test="knha")`` + ``confint`` + ``predict`` looped over N
   simulated meta-analyses of k = 20 (when ``Rscript`` is on PATH);
2. ``metareview.pool_many`` on the same data (REML, knha, with Q-profile τ² CIs and
   prediction intervals), best of 3;
3. a single ``pool`` of k = 20 (REML, knha, Q-profile CIs, PI), the pooling time of one
   ``metareview analyze``, averaged over 1,000 calls;
and prints the ratio and the largest disagreement with metafor.

    python benchmarks/pooling_benchmark.py [--n 10000]
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
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from rscript import rscript  # noqa: E402
from tests.reference.pooling_simulation import simulate  # noqa: E402

from metareview.stats.batch import pool_many  # noqa: E402
from metareview.stats.pooling import pool  # noqa: E402


def timed(function, repeats: int) -> tuple[float, float, object]:
    """Best wall-clock and CPU seconds of ``repeats`` calls, and the last result."""
    wall, cpu, result = np.inf, np.inf, None
    for _ in range(repeats):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        result = function()
        wall = min(wall, time.perf_counter() - start_wall)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu, result


def time_pool_many(data: pd.DataFrame) -> tuple[float, float, pd.DataFrame]:
    return timed(lambda: pool_many(data, by="dataset", method="REML", test="knha", tau2_ci=True), 3)


def time_single_pool(data: pd.DataFrame, calls: int = 1000) -> tuple[float, float]:
    first = data[data["dataset"] == 1]
    yi, vi = first["yi"].to_numpy(), first["vi"].to_numpy()

    def many() -> None:
        for _ in range(calls):
            pool(yi, vi, method="REML", ci_method="knha")

    wall, cpu, _ = timed(many, 3)
    return wall / calls, cpu / calls


def run_r(data: pd.DataFrame) -> tuple[float, float, pd.DataFrame] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "data.csv", Path(tmp) / "r.csv"
        data.to_csv(source, index=False, float_format="%.17g")
        out = rscript(ROOT / "benchmarks" / "pooling_benchmark.R", source, target)
        wall, cpu = (float(x) for x in out.strip().splitlines()[-1].split())
        return wall, cpu, pd.read_csv(target).set_index("dataset")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="meta-analyses (default 10000)")
    args = parser.parse_args()
    data = simulate(n=args.n, k=20, seed=7)
    batch_wall, batch_cpu, out = time_pool_many(data)
    single_wall, single_cpu = time_single_pool(data)
    print(f"meta-analyses: {args.n} x k = 20 (REML, Hartung-Knapp, Q-profile CI, PI)")
    print(f"pool_many:            {batch_wall:8.3f} s wall, {batch_cpu:8.3f} s CPU")
    print(f"single pool (k = 20): {1e3 * single_wall:8.3f} ms wall, {1e3 * single_cpu:.3f} ms CPU")
    print(f"pool_many converged:  {int(out['converged'].sum())} of {len(out)}")
    r = run_r(data)
    if r is None:
        print("Rscript not found: no comparison with metafor")
        return
    r_wall, r_cpu, r_out = r
    ok = r_out["tau2"].notna()
    print(f"metafor loop:         {r_wall:8.3f} s wall, {r_cpu:8.3f} s CPU")
    print(f"metafor converged:    {int(ok.sum())} of {len(r_out)}")
    print(
        f"speed-up (metafor / pool_many): {r_wall / batch_wall:.0f}x wall, "
        f"{r_cpu / batch_cpu:.0f}x CPU"
    )
    print("largest absolute difference where metafor converged (its default tolerances:")
    print("Fisher scoring stops at a change < 1e-5 in tau^2, confint's uniroot at ~1.2e-4):")
    for column in ("tau2", "estimate", "pi_lower", "pi_upper", "tau2_ci_upper"):
        mine = out.loc[r_out.index[ok], column].to_numpy()
        theirs = r_out.loc[ok, column].to_numpy()
        print(f"  {column:<13} {np.max(np.abs(mine - theirs)):.1e}")


if __name__ == "__main__":
    main()
