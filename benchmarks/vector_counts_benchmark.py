"""The Settings page's count of cached sentence vectors on a large project, timed.

``PYTHONPATH=src python benchmarks/vector_counts_benchmark.py [--records 20000]
[--cached 15000] [--repeat 7] [--backend sqlite|postgresql]``

Makes a project of ``records`` records (the nine SYNERGY reviews' titles and abstracts, in
../shared/data/synergy, repeated with a number appended so every text differs) and stores a
vector of the optional model (all-MiniLM-L6-v2: 384 float32 values, random here: the count
never reads them) for the first ``cached`` of them. Then times, median of ``repeat`` runs,
wall and CPU:

- the recount: what :func:`~metareview.store.embeddings.vector_counts` did before the
  per-record hash memo (every record read whole, its text built and hashed, the stored
  rows' hashes read), written out here as the reference;
- the first call of ``vector_counts`` on a newly opened project (it reads the records'
  titles and abstracts and hashes them once);
- a later call (a Settings page view): the record ids from the log and one read of the
  stored rows that can be usable.

Both give the same counts (checked). Measure on CPU time: the machine may be shared.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from metareview.records import embeddings
from metareview.records.record import Record
from metareview.store import embeddings as cache
from metareview.store.embedding_schema import record_embeddings
from metareview.store.project import Project

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.stores import postgres_schema

HERE = Path(__file__).resolve().parent
SYNERGY = HERE.parent.parent / "shared" / "data" / "synergy"


def _records(n: int) -> list[Record]:
    frames = [pd.read_csv(path) for path in sorted(SYNERGY.glob("*.csv.gz"))]
    pairs = [
        (str(t), a if isinstance(a, str) else "")
        for frame in frames
        for t, a in zip(frame["title"], frame["abstract"], strict=True)
    ]
    return [Record(title=f"{pairs[i % len(pairs)][0]} {i}", abstract=pairs[i % len(pairs)][1])
            for i in range(n)]  # fmt: skip


def _recount(project: Project) -> tuple[int, int]:
    """The counts as ``vector_counts`` computed them before: every record read whole."""
    stored = project.records()
    texts = {r: embeddings.embedding_text(rec.title, rec.abstract) for r, rec in stored.items()}
    columns = record_embeddings.c
    query = select(
        columns.record_id, columns.text_sha256, columns.dimension, func.length(columns.vector)
    ).where(columns.model == embeddings.MODEL_NAME)
    with project.read_one() as connection:
        rows = {r: (h, d, n) for r, h, d, n in connection.execute(query)}
    usable = (embeddings.DIMENSION, 4 * embeddings.DIMENSION)
    cached = sum(rows.get(r) == (embeddings.text_hash(t), *usable) for r, t in texts.items())
    return len(texts), cached


def _timed(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeat`` calls."""
    wall, cpu = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def _location(backend: str) -> AbstractContextManager[str]:
    """A new project's location: a SQLite file, or a fresh PostgreSQL schema (dropped after)."""
    if backend == "sqlite":
        return nullcontext(str(Path(tempfile.mkdtemp(prefix="vector-counts-")) / "b.mrproj"))
    return contextmanager(postgres_schema)()


def _make(url: str, records: int, cached: int) -> None:
    """The project: ``records`` records, the first ``cached`` with a (random) vector."""
    with Project.open(url) as project:
        ids = project.add_import("b.ris", _records(records), actor="lead").record_ids
        texts = cache.record_texts(project, ids[:cached])
        rng = np.random.default_rng(0)
        chosen = list(texts)
        for start in range(0, len(chosen), cache.WRITE_EVERY):
            chunk = chosen[start : start + cache.WRITE_EVERY]
            vectors = rng.standard_normal((len(chunk), embeddings.DIMENSION))
            cache._write(project, embeddings.MODEL_NAME, chunk, [texts[r] for r in chunk], vectors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--cached", type=int, default=15_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    with _location(args.backend) as url:
        _make(url, args.records, args.cached)
        print(f"{args.records} records, {args.cached} with a vector, {args.backend}, "
              f"median of {args.repeat} (wall / CPU, ms)")  # fmt: skip
        project = Project.open(url)
        project.log()  # as in the workspace: the log is already in memory
        reference = _recount(project)
        first: list[float] = []
        for _ in range(args.repeat):  # a newly opened project each time
            again = Project.open(url)
            again.log()
            w, c = time.perf_counter(), time.process_time()
            counts = cache.vector_counts(again)
            first.extend((time.perf_counter() - w, time.process_time() - c))
            again.close()
        assert (counts.records, counts.cached) == reference, (counts, reference)
        results = {
            "recount (before)": _timed(lambda: _recount(project), args.repeat),
            "first call": (statistics.median(first[::2]), statistics.median(first[1::2])),
            "later call (after)": _timed(lambda: cache.vector_counts(project), args.repeat),
        }
        for name, (wall, cpu) in results.items():
            print(f"  {name:<20} {1000 * wall:8.1f} / {1000 * cpu:8.1f}")
        before, after = results["recount (before)"], results["later call (after)"]
        print(f"  a page view: {before[0] / after[0]:.1f}x faster (wall), "
              f"{before[1] / after[1]:.1f}x (CPU)")  # fmt: skip
        project.close()


if __name__ == "__main__":
    main()
