"""Batch jobs split into chunks for a backend (:mod:`metareview.scale.backend`): each chunk
is an ordinary call of the library, so results equal those of one local call.

- :func:`multiverse_chunks`: a multiverse, one chunk per study-set and effect-handling level;
- :func:`specification_test_chunks`: the specification-curve test, its resamples in chunks;
- :func:`pool_many_parquet`: one meta-analysis per group of a Parquet dataset too large for
  memory, streamed in record batches (groups must be contiguous);
- :func:`simulate_many`: screening simulations over data sets × seeds × models;
- :func:`gosh_chunks`: GOSH, its subsets fitted in parts of whole blocks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metareview.errors import InputError
from metareview.plan.multiverse import (
    CurveTest,
    Factors,
    MultiverseResult,
    effect_levels,
    multiverse,
    specification_test,
)
from metareview.records.simulation import SimulationResult, simulate
from metareview.scale.backend import LocalBackend
from metareview.stats.batch import pool_many
from metareview.stats.gosh import GoshResult, block_rows, fit_subsets, gosh


def multiverse_chunks(
    effects: pd.DataFrame, factors: Factors, backend: Any = None
) -> MultiverseResult:
    """The multiverse of ``factors`` fitted chunk by chunk on ``backend``: the same
    specifications, in the same order, as :func:`~metareview.plan.multiverse.multiverse`.

    >>> effects = pd.DataFrame({"study": list("ABCDE"), "yi": [0.1, 0.3, 0.2, 0.8, 0.4],
    ...                         "vi": [0.02, 0.03, 0.02, 0.01, 0.05]})
    >>> factors = Factors(methods=("DL",))
    >>> chunked = multiverse_chunks(effects, factors).specifications
    >>> chunked.equals(multiverse(effects, factors).specifications)
    True
    """
    backend = backend or LocalBackend()
    levels = effect_levels(effects, factors)
    chunks = [
        dataclasses.replace(factors, studies=(studies,), effects=effect)
        for studies in factors.studies
        for effect in ([(e,) for e in levels] if levels != ("single",) else [factors.effects])
    ]
    parts = list(backend.map(_multiverse_part, chunks, effects=effects))
    table = pd.concat(parts, ignore_index=True)
    table.index = pd.RangeIndex(1, len(table) + 1, name="specification")
    return MultiverseResult(table, factors, parts and _choices(effects, factors))


def specification_test_chunks(
    effects: pd.DataFrame,
    observed: MultiverseResult,
    backend: Any = None,
    *,
    iterations: int = 200,
    seed: int = 0,
) -> CurveTest:
    """:func:`~metareview.plan.multiverse.specification_test` with its resamples (each a
    whole multiverse) fitted on ``backend``, in as many chunks as the backend keeps in
    flight: the resamples are drawn here from ``seed`` first, so the p-values are the
    local ones.

    >>> effects = pd.DataFrame({"study": list("ABCDEF"), "yi": [0.4, 0.5, 0.3, 0.6, 0.45, 0.2],
    ...                         "vi": [0.02, 0.03, 0.02, 0.04, 0.05, 0.03]})
    >>> observed = multiverse(effects, Factors(studies=("all",), methods=("DL",)))
    >>> specification_test_chunks(effects, observed, iterations=9, seed=2) == (
    ...     specification_test(effects, observed, iterations=9, seed=2))
    True
    """
    backend = backend or LocalBackend()
    chunks = min(iterations, getattr(backend, "window", 1))
    return specification_test(
        effects, observed, iterations=iterations, seed=seed, mapper=backend.map, chunks=chunks
    )


def _multiverse_part(factors: Factors, effects: pd.DataFrame) -> pd.DataFrame:
    return multiverse(effects, factors).specifications


def _choices(effects: pd.DataFrame, factors: Factors) -> tuple[str, ...]:
    return ("studies", "effects", *factors.filters, "model", "method", "ci_method")


# rows read at once: a batch's working memory grows with it (≈ 130 MiB above the imported
# libraries at 250,000 rows, ≈ 25,000 analyses; ≈ 280 MiB at 1,000,000, benchmarks/README.md),
# and a chunk of 25,000 analyses keeps the scheduling overhead on Dask well under 1 %
BATCH_ROWS = 250_000


def pool_many_parquet(
    path: str | Path,
    by: str,
    backend: Any = None,
    *,
    yi: str = "yi",
    vi: str = "vi",
    batch_rows: int = BATCH_ROWS,
    **options: Any,
) -> pd.DataFrame:
    """:func:`~metareview.stats.batch.pool_many` over a Parquet dataset, read in batches of
    ``batch_rows`` rows so memory stays bounded: the rows of one meta-analysis (``by``) must
    be contiguous (e.g. sorted by ``by``); a group that appears again after another is an
    error naming it. ``options`` go to ``pool_many`` (``method``, ``test``, ``preset`` …).
    The result (one row per meta-analysis, indexed by ``by``) is held once: each batch's
    columns are kept as arrays and joined column by column at the end. For results larger
    than memory, :func:`write_pool_many_parquet` writes them to a file batch by batch.
    """
    index: list[pd.Index] = []
    columns: dict[str, list[np.ndarray]] = {}
    for part in _pooled(Path(path), by, backend, yi, vi, batch_rows, options):
        index.append(part.index)
        for column in part.columns:  # copies, so that the part's block is freed with it
            columns.setdefault(column, []).append(part[column].to_numpy(copy=True))
    if not index:
        raise InputError(f"{path}: the dataset has no rows to pool")
    joined = {}
    for column in list(columns):
        joined[column] = np.concatenate(columns.pop(column))
    return pd.DataFrame(joined, index=index[0].append(index[1:]), copy=False)


def write_pool_many_parquet(
    path: str | Path,
    output: str | Path,
    by: str,
    backend: Any = None,
    *,
    yi: str = "yi",
    vi: str = "vi",
    batch_rows: int = BATCH_ROWS,
    **options: Any,
) -> int:
    """:func:`pool_many_parquet` with its results written to the Parquet file ``output``
    batch by batch (``by`` as the first column, then ``pool_many``'s), never held whole, so
    memory stays flat however many meta-analyses the dataset holds. Returns their number.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"review": ["a", "a", "b", "b"], "yi": [0.1, 0.5, 0.2, 0.3],
    ...               "vi": [0.02, 0.03, 0.05, 0.04]}).to_parquet(folder / "in.parquet")
    >>> write_pool_many_parquet(folder / "in.parquet", folder / "out.parquet", "review",
    ...                         method="DL", batch_rows=3)
    2
    >>> pd.read_parquet(folder / "out.parquet")["review"].tolist()
    ['a', 'b']
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer, written = None, 0
    try:
        for part in _pooled(Path(path), by, backend, yi, vi, batch_rows, options):
            table = pa.Table.from_pandas(part.reset_index(), preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(output, table.schema)
            writer.write_table(table.cast(writer.schema))
            written += len(part)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise InputError(f"{path}: the dataset has no rows to pool")
    return written


def _pooled(
    path: Path,
    by: str,
    backend: Any,
    yi: str,
    vi: str,
    batch_rows: int,
    options: dict[str, Any],
) -> Iterator[pd.DataFrame]:
    """``pool_many``'s result for each batch of whole groups, in the dataset's order."""
    backend = backend or LocalBackend()
    chunks = _group_batches(path, by, [by, yi, vi], batch_rows)
    return backend.map(_pool_part, chunks, by=by, yi=yi, vi=vi, **options)


def _pool_part(frame: pd.DataFrame, **options: Any) -> pd.DataFrame:
    return pool_many(frame, **options)


def _group_batches(
    path: Path, by: str, columns: list[str], batch_rows: int
) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    if batch_rows < 1:
        raise InputError(f"batch_rows must be at least 1; got {batch_rows}")
    try:  # pre_buffer (pyarrow's default) would buffer every row group of the file at once
        reader = pq.ParquetFile(path, pre_buffer=False)
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: not a readable Parquet file ({error})") from None
    missing = [c for c in columns if c not in reader.schema_arrow.names]
    if missing:
        raise InputError(f"{path}: column(s) not in the dataset: {', '.join(missing)}")
    seen = _SeenGroups(path, by)
    carry: pd.DataFrame | None = None
    for batch in reader.iter_batches(batch_size=batch_rows, columns=columns):
        frame = batch.to_pandas()
        if carry is not None:
            frame = pd.concat([carry, frame], ignore_index=True)
        last = frame[by].iloc[-1]
        complete = frame[frame[by] != last]
        carry = frame[frame[by] == last]
        if len(carry) and (carry.index[0] != len(complete)):
            raise InputError(
                f"{path}: the rows of {by} = {_plain(last)!r} are not contiguous; sort by {by}"
            )
        if len(complete):
            yield seen.check(complete)
    if carry is not None and len(carry):
        yield seen.check(carry)


def _plain(label: Any) -> Any:
    """A group label as Python writes it (3, not np.int64(3))."""
    return label.item() if isinstance(label, np.generic) else label


class _SeenGroups:
    """The groups of the batches read so far, to refuse one that appears again, kept as
    sorted 64-bit hashes (8 bytes a group; a set of the labels themselves grows by ~70 bytes
    a group). A hash met again is confirmed against the file's earlier rows first, so a hash
    collision is never taken for a repeated group."""

    def __init__(self, path: Path, by: str):
        self.path, self.by = path, by
        self.hashes = np.empty(0, dtype=np.uint64)
        self.rows = 0  # rows of the file before the frame being checked

    def check(self, frame: pd.DataFrame) -> pd.DataFrame:
        labels = frame[self.by]
        starting = labels[labels.ne(labels.shift())]
        again = starting[starting.duplicated()].tolist() or self._earlier(starting)
        if again:
            raise InputError(
                f"{self.path}: the rows of {self.by} = {_plain(again[0])!r} are not contiguous; "
                f"sort by {self.by}"
            )
        new = np.unique(pd.util.hash_pandas_object(starting, index=False).to_numpy())
        self.hashes = np.insert(self.hashes, np.searchsorted(self.hashes, new), new)
        self.rows += len(frame)
        return frame

    def _earlier(self, starting: pd.Series) -> list[Any]:
        """The groups of ``starting`` that the rows before this frame hold."""
        import pyarrow.parquet as pq

        hashes = pd.util.hash_pandas_object(starting, index=False).to_numpy()
        place = np.searchsorted(self.hashes, hashes).clip(max=max(len(self.hashes) - 1, 0))
        if not len(self.hashes) or not (self.hashes[place] == hashes).any():
            return []
        candidates = starting[self.hashes[place] == hashes]
        found: set[Any] = set()
        done = 0
        reader = pq.ParquetFile(self.path, pre_buffer=False)
        for batch in reader.iter_batches(batch_size=BATCH_ROWS, columns=[self.by]):
            labels = batch.to_pandas()[self.by].iloc[: max(self.rows - done, 0)]
            found.update(labels[labels.isin(candidates)].tolist())
            done += batch.num_rows
            if done >= self.rows:
                break
        return [label for label in candidates if label in found]


@dataclasses.dataclass(frozen=True)
class SimulationJob:
    """One screening simulation: a data set's texts and labels, a seed and a model name."""

    dataset: str
    texts: Sequence[str]
    labels: Sequence[int]
    seed: int
    model: str = "svm"


def simulate_many(jobs: Sequence[SimulationJob], backend: Any = None) -> list[SimulationResult]:
    """Every simulation of ``jobs`` on ``backend``, results in the jobs' order.

    >>> texts = [f"exercise depression trial {i}" for i in range(4)] + [
    ...     f"unrelated topic number {i}" for i in range(12)]
    >>> jobs = [SimulationJob("demo", texts, [1] * 4 + [0] * 12, seed) for seed in (1, 2)]
    >>> [r.seed for r in simulate_many(jobs)]
    [1, 2]
    """
    backend = backend or LocalBackend()
    return list(backend.map(_simulate, jobs))


def _simulate(job: SimulationJob) -> SimulationResult:
    return simulate(job.texts, job.labels, seed=job.seed, model=job.model)


def gosh_chunks(
    yi: Any, vi: Any, backend: Any = None, *, chunk_subsets: int = 100_000, **options: Any
) -> GoshResult:
    """:func:`~metareview.stats.gosh.gosh` (``options``: ``method``, ``subsets``, ``seed`` …)
    with its subsets fitted on ``backend`` in parts of about ``chunk_subsets``: the subsets
    are drawn here, from the same seed, and every part starts on a block boundary of
    :func:`~metareview.stats.gosh.fit_subsets`, so the result is identical to ``gosh``'s.

    >>> local = gosh([0.1, 0.3, 0.5, 0.2], [0.01, 0.02, 0.03, 0.02], method="REML", subsets=9,
    ...              limit=1, seed=4)
    >>> parted = gosh_chunks([0.1, 0.3, 0.5, 0.2], [0.01, 0.02, 0.03, 0.02], method="REML",
    ...                      subsets=9, limit=1, seed=4, chunk_subsets=1)
    >>> bool((parted.estimate == local.estimate).all() and (parted.tau2 == local.tau2).all())
    True
    """
    if chunk_subsets < 1:
        raise InputError(f"chunk_subsets must be at least 1; got {chunk_subsets}")
    backend = backend or LocalBackend()

    def fit_parts(yi: np.ndarray, vi: np.ndarray, membership: np.ndarray, method: str):
        rows = block_rows(membership.shape[1])
        size = max(1, round(chunk_subsets / rows)) * rows
        parts = [membership[start : start + size] for start in range(0, len(membership), size)]
        fitted = list(backend.map(_gosh_part, parts, yi=yi, vi=vi, method=method))
        return {key: np.concatenate([part[key] for part in fitted]) for key in fitted[0]}

    return gosh(yi, vi, fitter=fit_parts, **options)


def _gosh_part(
    membership: np.ndarray, yi: np.ndarray, vi: np.ndarray, method: str
) -> dict[str, np.ndarray]:
    return fit_subsets(yi, vi, membership, method)
