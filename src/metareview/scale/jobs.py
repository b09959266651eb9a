"""Batch jobs split into chunks for a backend (:mod:`metareview.scale.backend`): each chunk
is an ordinary call of the library, so results equal those of one local call.

- :func:`multiverse_chunks`: a multiverse, one chunk per study-set and effect-handling level;
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
from metareview.plan.multiverse import Factors, MultiverseResult, effect_levels, multiverse
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


def _multiverse_part(factors: Factors, effects: pd.DataFrame) -> pd.DataFrame:
    return multiverse(effects, factors).specifications


def _choices(effects: pd.DataFrame, factors: Factors) -> tuple[str, ...]:
    return ("studies", "effects", *factors.filters, "model", "method", "ci_method")


def pool_many_parquet(
    path: str | Path,
    by: str,
    backend: Any = None,
    *,
    yi: str = "yi",
    vi: str = "vi",
    batch_rows: int = 1_000_000,
    **options: Any,
) -> pd.DataFrame:
    """:func:`~metareview.stats.batch.pool_many` over a Parquet dataset, read in batches of
    ``batch_rows`` rows so memory stays bounded: the rows of one meta-analysis (``by``) must
    be contiguous (e.g. sorted by ``by``); a group that appears again after another is an
    error naming it. ``options`` go to ``pool_many`` (``method``, ``test``, ``preset`` …).
    """
    backend = backend or LocalBackend()
    chunks = _group_batches(Path(path), by, [by, yi, vi], batch_rows)
    parts = backend.map(_pool_part, chunks, by=by, yi=yi, vi=vi, **options)
    return pd.concat(list(parts))


def _pool_part(frame: pd.DataFrame, **options: Any) -> pd.DataFrame:
    return pool_many(frame, **options)


def _group_batches(
    path: Path, by: str, columns: list[str], batch_rows: int
) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    if batch_rows < 1:
        raise InputError(f"batch_rows must be at least 1; got {batch_rows}")
    try:
        reader = pq.ParquetFile(path)
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: not a readable Parquet file ({error})") from None
    missing = [c for c in columns if c not in reader.schema_arrow.names]
    if missing:
        raise InputError(f"{path}: column(s) not in the dataset: {', '.join(missing)}")
    seen: set[Any] = set()
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
                f"{path}: the rows of {by} = {last!r} are not contiguous; sort by {by}"
            )
        if len(complete):
            yield _check_contiguous(complete, by, seen, path)
    if carry is not None and len(carry):
        yield _check_contiguous(carry, by, seen, path)


def _check_contiguous(frame: pd.DataFrame, by: str, seen: set, path: Path) -> pd.DataFrame:
    starts = frame[by].ne(frame[by].shift())
    starting = frame.loc[starts, by]
    groups = starting.tolist()
    again = [g for g in groups if g in seen] or starting[starting.duplicated()].tolist()
    if again:
        raise InputError(
            f"{path}: the rows of {by} = {again[0]!r} are not contiguous; sort by {by}"
        )
    seen.update(groups)
    return frame


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
