"""Batch work on the backends (`metareview.scale`): throughput, overhead per chunk, memory.

1. Throughput: ``--analyses`` synthetic meta-analyses (3–17 studies each) pooled by
   ``pool_many`` (REML, Knapp–Hartung) in chunks of ``--chunk`` analyses, in this process
   (the local backend) and on a Dask ``LocalCluster`` with 1 and 2 worker processes (one
   thread each). Prints fits per second (wall), the ratio to local, and the CPU seconds the
   fits took where they ran (so a slow wall time on a busy machine can be told from slow
   code).
2. Overhead per chunk: on the 1-worker cluster, for several chunk sizes, the map's wall time
   beyond the fits' wall time inside the worker, per chunk, and as a share of a chunk's
   compute (the issue's target: < 5 %).
3. Memory: ``write_pool_many_parquet`` (results written batch by batch) and
   ``pool_many_parquet`` (results returned) streaming Parquet datasets of 1 and 10 million
   rows (generated in a temporary folder, groups of 5–15 rows), each run in a fresh process;
   prints its peak RSS and the RSS of the imports alone, so a flat RSS (10 M ≈ 1 M) shows
   the streaming holds one batch at a time.

Every section prints the load average (1, 5, 15 min) with its numbers.

Run: ``PYTHONPATH=src nice -n 10 python benchmarks/scale_benchmark.py`` (add ``--quick`` for
a smaller run, ``--skip-throughput`` or ``--skip-memory`` for one part).
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from metareview.scale.backend import LocalBackend, open_backend
from metareview.scale.jobs import BATCH_ROWS, pool_many_parquet, write_pool_many_parquet
from metareview.stats.batch import pool_many

ROOT = Path(__file__).resolve().parents[1]


def synthetic(analyses: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 18, analyses)
    rows = int(sizes.sum())
    return pd.DataFrame(
        {
            "review": np.repeat(np.arange(analyses), sizes),
            "yi": rng.normal(0.3, 0.3, rows),
            "vi": rng.uniform(0.01, 0.1, rows),
        }
    )


def split(frame: pd.DataFrame, per_chunk: int) -> list[pd.DataFrame]:
    starts = np.flatnonzero(
        np.r_[True, frame["review"].to_numpy()[1:] != frame["review"].to_numpy()[:-1]]
    )
    cuts = [*starts[::per_chunk], len(frame)]
    return [frame.iloc[a:b] for a, b in itertools.pairwise(cuts)]


def fit(part: pd.DataFrame) -> tuple[int, float, float]:
    """Fits of one chunk, and the wall and CPU (this thread's) seconds they took where they
    ran."""
    start, cpu = time.perf_counter(), time.thread_time()
    n = len(pool_many(part, by="review", method="REML", test="knha"))
    return n, time.perf_counter() - start, time.thread_time() - cpu


def timed(backend, parts) -> tuple[float, float, float]:
    """Wall seconds of the whole map, and the wall and CPU seconds the chunks' fits took
    where they ran."""
    start = time.perf_counter()
    done = list(backend.map(fit, parts))
    assert sum(n for n, _, _ in done) == sum(part["review"].nunique() for part in parts)
    return time.perf_counter() - start, sum(d[1] for d in done), sum(d[2] for d in done)


def load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


# Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which turns off glibc's
# adaptive mmap threshold: every large numpy temporary of pool_many is then a fresh mmap,
# zeroed page by page (3.3x the CPU of the same fits in this process, measured). These
# values keep freed memory for reuse (docs/scaling.md: "Worker memory settings").
WORKER_MALLOC = {"MALLOC_TRIM_THRESHOLD_": 128 * 2**20, "MALLOC_MMAP_THRESHOLD_": 32 * 2**20}


def cluster(workers: int, malloc: str = "tuned"):
    import dask
    import distributed

    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    if malloc == "tuned":
        environ.update(WORKER_MALLOC)
    dask.config.set({"distributed.nanny.pre-spawn-environ": environ})
    return distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )


def throughput(analyses: int, chunk: int, sizes: list[int], malloc: str) -> None:
    import distributed

    frame = synthetic(analyses)
    parts = split(frame, chunk)
    fit(parts[0])  # warm up imports
    print(
        f"{analyses:,} meta-analyses ({len(frame):,} rows), chunks of {chunk:,}; worker malloc "
        f"settings: {malloc}; {load()}"
    )
    local, _, local_cpu = timed(LocalBackend(), parts)
    print(
        f"local (this process):  {local:6.2f} s  {analyses / local:9,.0f} fits/s  "
        f"fits' CPU {local_cpu:6.2f} s ({analyses / local_cpu:,.0f} fits per CPU s)"
    )
    for workers in (1, 2):
        with cluster(workers, malloc) as lc, distributed.Client(lc) as client:
            with open_backend(client) as backend:
                timed(backend, parts[:2])  # warm the workers up
                wall, _, cpu = timed(backend, parts)
            print(
                f"LocalCluster, {workers} worker{'s' if workers > 1 else ' '}: {wall:6.2f} s  "
                f"{analyses / wall:9,.0f} fits/s  ratio to local {local / wall:.2f}  fits' CPU "
                f"in the workers {cpu:6.2f} s ({cpu / local_cpu:.2f}x local); {load()}"
            )
            if workers == 1:
                overhead(client, frame, sizes)


def overhead(client, frame: pd.DataFrame, sizes: list[int]) -> None:
    print(
        "overhead per chunk on 1 worker: the map's wall time beyond the fits' time in the "
        "worker (sending the chunk, scheduling, the result back), and the worker's fit time "
        "against this process's for the same chunks:"
    )
    with open_backend(client) as backend:
        for size in sizes:
            parts = split(frame, size)
            local = min(timed(LocalBackend(), parts)[1:] for _ in range(2))
            wall, inside, cpu = min(timed(backend, parts) for _ in range(2))
            per_chunk = (wall - inside) / len(parts)
            compute = inside / len(parts)
            print(
                f"  {size:>6,} analyses/chunk: {len(parts):4d} chunks, compute in the worker "
                f"{compute * 1e3:7.1f} ms/chunk (wall {inside / local[0]:.2f}x, CPU "
                f"{cpu / local[1]:.2f}x this process's), overhead {per_chunk * 1e3:6.1f} ms/chunk"
                f" = {100 * per_chunk / compute:5.1f} %; {load()}"
            )


def write_dataset(path: Path, rows: int, seed: int = 1) -> int:
    """At least ``rows`` rows in groups of 5–15 (contiguous), written batch by batch; returns
    the number written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    writer, written, group = None, 0, 0
    while written < rows:
        sizes = rng.integers(5, 16, min(100_000, max(1, (rows - written) // 10)))
        n = int(sizes.sum())
        table = pa.table(
            {
                "review": np.repeat(np.arange(group, group + len(sizes)), sizes),
                "yi": rng.normal(0.3, 0.3, n),
                "vi": rng.uniform(0.01, 0.1, n),
            }
        )
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=250_000)
        written, group = written + n, group + len(sizes)
    writer.close()
    return written


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stream_child(path: str, batch_rows: int, mode: str) -> None:
    imports = rss_mib()
    start, cpu = time.perf_counter(), time.process_time()
    if mode == "file":
        with tempfile.TemporaryDirectory() as folder:
            analyses = write_pool_many_parquet(
                path, Path(folder) / "fits.parquet", "review", method="DL", test="z",
                batch_rows=batch_rows,
            )  # fmt: skip
    else:
        analyses = len(
            pool_many_parquet(path, "review", method="DL", test="z", batch_rows=batch_rows)
        )
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{analyses} {wall:.2f} {cpu:.2f} {rss_mib():.0f} {imports:.0f}")


def memory(row_counts: list[int], batch_rows: int) -> None:
    print(f"streaming (DL), batches of {batch_rows:,} rows, each run in a fresh process; {load()}")
    with tempfile.TemporaryDirectory() as folder:
        for rows in row_counts:
            path = Path(folder) / f"rows-{rows}.parquet"
            rows = write_dataset(path, rows)
            size = path.stat().st_size / 2**20
            for mode, what in (("file", "written to a file"), ("memory", "returned")):
                result = subprocess.run(
                    [sys.executable, __file__, "--stream-child", str(path), "--batch-rows",
                     str(batch_rows), "--mode", mode],
                    capture_output=True, text=True, check=True, env={**os.environ},
                )  # fmt: skip
                analyses, wall, cpu, peak, imports = result.stdout.split()
                print(
                    f"  {rows:>11,} rows ({size:4.0f} MiB on disk), results {what:16}: "
                    f"{int(analyses):>9,} analyses in {float(wall):5.1f} s wall, "
                    f"{float(cpu):5.1f} s CPU; peak RSS {float(peak):4.0f} MiB (imports "
                    f"{float(imports):.0f} MiB); {load()}"
                )
            path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--analyses", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--batch-rows", type=int, default=BATCH_ROWS)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--stream-child", default=None)
    parser.add_argument("--mode", choices=("file", "memory"), default="file")
    parser.add_argument(
        "--malloc", choices=("tuned", "dask"), default="tuned",
        help="workers' malloc settings: WORKER_MALLOC, or Dask's defaults",
    )  # fmt: skip
    args = parser.parse_args()
    if args.stream_child:
        stream_child(args.stream_child, args.batch_rows, args.mode)
        return
    if args.quick:
        args.analyses, args.chunk = 40_000, 5_000
    sizes = [1_000, 5_000, 20_000] if not args.quick else [500, 5_000]
    if not args.skip_throughput:
        throughput(args.analyses, args.chunk, sizes, args.malloc)
    if not args.skip_memory:
        memory([1_000_000, 10_000_000] if not args.quick else [200_000, 1_000_000], args.batch_rows)


if __name__ == "__main__":
    main()
