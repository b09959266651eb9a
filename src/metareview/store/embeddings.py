"""The project's sentence-embedding cache: each record's vector, computed once.

``metareview records embed`` (:func:`embed_project`) computes the vectors a project lacks with
the optional model (:mod:`metareview.records.embeddings`) and stores them by record, model
and the SHA-256 of the text embedded (``record_embeddings``, migration ``0008``): a record
whose text is unchanged is never embedded again; one whose text changed is, and its old
vector is replaced. The ranking model ``minilm`` reads them (:func:`project_vectors`).
Vectors are written every :data:`WRITE_EVERY` records, so an interrupted run keeps what it
had computed, and memory holds one such chunk at a time.

>>> from metareview.records.record import Record
>>> class Letters:  # a toy encoder (the real one needs the extra)
...     name, dimension = "letters", 3
...     def encode(self, texts):
...         return np.array([[1.0 + t.count(c) for c in "abc"] for t in texts])
>>> project = Project.open("sqlite://")
>>> _ = project.add_import("s.ris", [Record(title="abc"), Record(title="cab")], actor="ana")
>>> run = embed_project(project, Letters())
>>> run.computed, run.reused
(2, 0)
>>> embed_project(project, Letters()).reused
2
>>> project_vectors(project, [2, 1], Letters()).shape
(2, 3)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import ColumnElement, delete, func, insert, select

from metareview.errors import ExtraNotInstalledError, StoreError
from metareview.records import embeddings
from metareview.stats.result_base import ResultDocument
from metareview.store.by_ids import rows_with_ids
from metareview.store.embedding_schema import record_embeddings
from metareview.store.project import Project

#: Vectors computed before they are written (and the most held in memory at once), rounded
#: down to whole batches of the model, and at least one batch.
WRITE_EVERY = 256


@dataclass(frozen=True)
class EmbeddingRun(ResultDocument):
    """What :func:`embed_project` did: records looked at, vectors computed and reused, and
    the time it took (wall clock and this process's CPU, loading the model included)."""

    model: str
    records: int
    computed: int
    reused: int
    wall_seconds: float
    cpu_seconds: float

    def summary(self) -> str:
        """One paragraph: counts, then time in total and per record computed.

        >>> print(EmbeddingRun("m", 3, 2, 1, 0.5, 0.25).summary())
        3 records (model m): 2 embedded, 1 reused from the project's cache
        0.5 s wall, 0.2 s CPU; per record embedded 250.0 ms wall, 125.0 ms CPU
        >>> print(EmbeddingRun("m", 3, 0, 3, 0.01, 0.01).summary())
        3 records (model m): 0 embedded, 3 reused from the project's cache
        0.0 s wall, 0.0 s CPU
        """
        counts = (
            f"{self.records} records (model {self.model}): {self.computed} embedded, "
            f"{self.reused} reused from the project's cache"
        )
        took = f"{self.wall_seconds:.1f} s wall, {self.cpu_seconds:.1f} s CPU"
        if self.computed:
            took += (
                f"; per record embedded {1000 * self.wall_seconds / self.computed:.1f} ms "
                f"wall, {1000 * self.cpu_seconds / self.computed:.1f} ms CPU"
            )
        return f"{counts}\n{took}"


@dataclass(frozen=True)
class VectorCounts(ResultDocument):
    """How many of a project's records have a cached vector of ``model`` computed from their
    current text (a vector of an older text counts as missing, as the ranking reads it), how
    many do not, and whether the extra that computes the missing ones is installed."""

    model: str
    records: int
    cached: int
    missing: int
    extra_installed: bool


def vector_counts(project: Project, encoder: embeddings.Encoder | None = None) -> VectorCounts:
    """The records of the project with and without a usable cached vector (of the optional
    model, or of ``encoder``); reads the vectors' text hashes, never the vectors.

    Cheap on a large project: the records' text hashes are computed once per open project
    (:func:`text_hashes`), so a later call reads only the stored rows' hashes (50–60 ms at
    20,000 records on SQLite, against 0.7–1.1 s when every call read and hashed every
    record; ``benchmarks/vector_counts_benchmark.py``).

    >>> from metareview.records.record import Record
    >>> class Letters:
    ...     name, dimension = "letters", 3
    ...     def encode(self, texts):
    ...         return np.array([[1.0 + t.count(c) for c in "abc"] for t in texts])
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("s.ris", [Record(title="abc"), Record(title="cab")], actor="ana")
    >>> _ = embed_project(project, Letters(), ids=[2])
    >>> counts = vector_counts(project, Letters())
    >>> counts.records, counts.cached, counts.missing
    (2, 1, 1)
    >>> _ = project.add_import("t.ris", [Record(title="bca")], actor="ana")
    >>> vector_counts(project, Letters()).missing
    2
    """
    name, dimension = _model_of(encoder)
    hashes = text_hashes(project)
    cached = len(hashes) - len(_stale(hashes, _stored(project, name, dimension)))
    return VectorCounts(
        model=name,
        records=len(hashes),
        cached=cached,
        missing=len(hashes) - cached,
        extra_installed=embeddings.extra_installed(),
    )


def record_texts(project: Project, ids: Sequence[int] | None = None) -> dict[int, str]:
    """The text the model reads of each record (all, or ``ids``: any number, in any order;
    an id of no record is left out), by record id, in id order (only the titles and
    abstracts are read).

    >>> from metareview.records.record import Record
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("s.ris", [Record(title="A", abstract="One"), Record(title="B")],
    ...                        actor="ana")
    >>> record_texts(project, [2, 1, 7])
    {1: 'A. One', 2: 'B'}
    """
    return {
        r: embeddings.embedding_text(title, abstract)
        for r, (title, abstract) in project.titles_and_abstracts(ids).items()
    }


def text_hashes(project: Project) -> dict[int, str]:
    """The hash of the text the model reads (:func:`~metareview.records.embeddings.text_hash`)
    of every record of the project, by record id, in import order.

    A record never changes (the database refuses an UPDATE of ``records``), so each is read
    and hashed once per open project and kept (``Project.text_hashes``); a later call reads
    only the records imported since (:func:`record_texts`). The record ids come from
    the project's log (:meth:`~metareview.store.project.Project.log`), which an import, by
    any process, brings up to date.

    >>> from metareview.records.record import Record
    >>> project = Project.open("sqlite://")
    >>> _ = project.add_import("s.ris", [Record(title="A trial")], actor="ana")
    >>> text_hashes(project) == {1: embeddings.text_hash("A trial")}
    True
    >>> _ = project.add_import("t.ris", [Record(title="B", abstract="Two")], actor="ana")
    >>> text_hashes(project)[2] == embeddings.text_hash("B. Two")
    True
    """
    known = project.text_hashes
    ids = project.log().record_ids
    new = [r for r in ids if r not in known]
    every = bool(new) and len(new) == len(ids)  # (the first call: one read of them all)
    texts = record_texts(project, None if every else new)
    known.update((r, embeddings.text_hash(text)) for r, text in texts.items())
    return {r: known[r] for r in ids}


def _hashed(texts: dict[int, str]) -> dict[int, str]:
    """The :func:`~metareview.records.embeddings.text_hash` of each text, by the same key."""
    return {r: embeddings.text_hash(text) for r, text in texts.items()}


def _usable(model: str, dimension: int | None) -> tuple[ColumnElement[bool], ...]:
    """The conditions a stored row of ``model`` meets when its vector can be used: as many
    float32 values as its stated dimension, and that dimension ``dimension`` (any, with
    ``None``). A damaged row, or one of another dimension, is left out (computed again)."""
    conditions = (
        record_embeddings.c.model == model,
        func.length(record_embeddings.c.vector) == 4 * record_embeddings.c.dimension,
    )
    if dimension is None:
        return conditions
    return (*conditions, record_embeddings.c.dimension == dimension)


def _stored(
    project: Project, model: str, dimension: int, ids: Sequence[int] | None = None
) -> dict[int, str]:
    """Record id → text hash of the usable vectors stored for ``model`` that are
    ``dimension`` float32 values long (:func:`_usable`); the vectors themselves are not
    read."""
    query = select(record_embeddings.c.record_id, record_embeddings.c.text_sha256).where(
        *_usable(model, dimension)
    )
    with project.read_one() as connection:
        rows = connection.execute(query).all()
    wanted = None if ids is None else set(ids)
    return {r: sha for r, sha in rows if wanted is None or r in wanted}


def _stale(hashes: dict[int, str], stored: dict[int, str]) -> list[int]:
    """The records (of ``hashes``: record id → hash of its text) without a usable vector in
    ``stored`` (:func:`_stored`): none, or one of another text."""
    return [r for r, sha in hashes.items() if stored.get(r) != sha]


def embed_project(
    project: Project,
    encoder: embeddings.Encoder | None = None,
    *,
    ids: Sequence[int] | None = None,
    batch_size: int = embeddings.BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> EmbeddingRun:
    """Compute and store the vectors the project lacks (of every record, or of ``ids``), the
    model encoding ``batch_size`` records at a time (1 to
    :data:`~metareview.records.embeddings.MAX_BATCH_SIZE`; see
    :func:`metareview.records.embeddings.embed`).

    ``encoder``: default the optional model (:func:`metareview.records.embeddings.load_encoder`,
    which raises :class:`~metareview.errors.ExtraNotInstalledError` without the extra — but
    only when a vector is missing; the model is then loaded before any progress is reported).
    ``progress(done, total)`` is called as vectors are stored."""
    embeddings.check_batch_size(batch_size)
    wall, cpu = time.perf_counter(), time.process_time()
    texts = record_texts(project, ids)
    if ids is not None and len(texts) < len(set(ids)):
        missing = sorted(set(ids) - set(texts))
        raise StoreError(f"no record {missing[0]} in this project")
    name, dimension = _model_of(encoder)
    todo = _stale(_hashed(texts), _stored(project, name, dimension, ids))
    active = None
    if todo:  # the model loaded first: one that cannot load fails before any progress
        active = embeddings.ready(encoder if encoder is not None else embeddings.load_encoder())
        if progress is not None:
            progress(0, len(todo))
    per_write = batch_size * max(1, WRITE_EVERY // batch_size)
    for start in range(0, len(todo), per_write):
        chunk = todo[start : start + per_write]
        vectors = embeddings.embed([texts[r] for r in chunk], active, batch_size=batch_size)
        _write(project, name, chunk, [texts[r] for r in chunk], vectors)
        if progress is not None:
            progress(start + len(chunk), len(todo))
    return EmbeddingRun(
        model=name,
        records=len(texts),
        computed=len(todo),
        reused=len(texts) - len(todo),
        wall_seconds=time.perf_counter() - wall,
        cpu_seconds=time.process_time() - cpu,
    )


def _model_of(encoder: embeddings.Encoder | None) -> tuple[str, int]:
    """The name and dimension vectors are stored under (the optional model's by default,
    known without loading it)."""
    if encoder is None:
        return embeddings.MODEL_NAME, embeddings.DIMENSION
    return encoder.name, int(encoder.dimension)


def _write(
    project: Project, model: str, ids: list[int], texts: list[str], vectors: np.ndarray
) -> None:
    """Store ``vectors`` of ``ids`` for ``model``, replacing any older vector of theirs."""
    now = datetime.now(UTC)
    rows = [
        {
            "record_id": r,
            "model": model,
            "text_sha256": embeddings.text_hash(text),
            "dimension": int(vector.shape[0]),
            "vector": np.asarray(vector, dtype="<f4").tobytes(),
            "computed_at": now,
        }
        for r, text, vector in zip(ids, texts, vectors, strict=True)
    ]
    with project._write() as connection:
        connection.execute(
            delete(record_embeddings).where(
                record_embeddings.c.model == model, record_embeddings.c.record_id.in_(ids)
            )
        )
        connection.execute(insert(record_embeddings), rows)


def _read_vectors(
    project: Project,
    model: str,
    dimension: int | None,
    hashes: dict[int, str],
    into: Callable[[int, np.ndarray], None],
) -> None:
    """Hand each usable stored vector of ``model`` among the records of ``hashes`` (record
    id → hash of its current text, :func:`_hashed`) to ``into(record_id, vector)``: one whose
    text hash is the record's and that is
    ``dimension`` float32 values long (any one dimension with ``None``; a stale or damaged
    row is left out). Reads the rows of :func:`~metareview.store.by_ids.ids_per_query`
    records at a time (:func:`~metareview.store.by_ids.rows_with_ids`), so a large project's
    vectors are never all held twice: once as rows, once where ``into`` copies them."""
    query = select(
        record_embeddings.c.record_id, record_embeddings.c.text_sha256, record_embeddings.c.vector
    ).where(*_usable(model, dimension))
    with project.read_one() as connection:
        for record_id, sha, blob in rows_with_ids(
            connection, query, record_embeddings.c.record_id, hashes
        ):
            if sha == hashes[record_id]:
                into(record_id, np.frombuffer(blob, dtype="<f4"))


def stored_vectors(
    project: Project,
    ids: Sequence[int],
    model: str = embeddings.MODEL_NAME,
    dimension: int | None = None,
) -> dict[int, np.ndarray]:
    """The vectors stored for ``model`` (of ``dimension`` values, if given) of those ``ids``
    that have one whose text is the record's current text (a stale or damaged vector is
    left out)."""
    found: dict[int, np.ndarray] = {}
    _read_vectors(
        project,
        model,
        dimension,
        _hashed(record_texts(project, ids)),
        lambda r, vector: found.__setitem__(r, vector.astype(np.float32)),
    )
    return found


def project_vectors(
    project: Project,
    ids: Sequence[int],
    encoder: embeddings.Encoder | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """The vectors of ``ids``, in that order, one row each (``len(ids) × dimension``), from
    the cache, copied straight into the array returned; the missing ones (or stale, or
    damaged) are computed and stored first, reporting ``progress(done, total)`` as
    :func:`embed_project` does (without the extra, an
    :class:`~metareview.errors.ExtraNotInstalledError` says how many are missing and what to
    run)."""
    name, dimension = _model_of(encoder)
    texts = record_texts(project, ids)
    if len(texts) < len(set(ids)):
        raise StoreError(f"no record {sorted(set(ids) - set(texts))[0]} in this project")
    hashes = _hashed(texts)
    missing = _stale(hashes, _stored(project, name, dimension, ids))
    if missing:
        lacking = (
            f"{len(missing)} of {len(texts)} records have no {name} vector yet: run "
            "'metareview records embed PROJECT'"
        )
        try:
            embed_project(project, encoder, ids=missing, progress=progress)
        except ExtraNotInstalledError as err:
            raise ExtraNotInstalledError(f"{lacking} where the extra is installed ({err})") from err
    row = {r: i for i, r in enumerate(texts)}
    out = np.empty((len(texts), dimension), dtype=np.float32)
    filled = np.zeros(len(texts), dtype=bool)

    def into(record_id: int, vector: np.ndarray) -> None:
        out[row[record_id]] = vector
        filled[row[record_id]] = True

    _read_vectors(project, name, dimension, hashes, into)
    if not filled.all():  # (replaced by another model's writer between the two reads)
        raise StoreError(f"the project's {name} vectors changed while being read: try again")
    return out if list(texts) == list(ids) else out[[row[r] for r in ids]]
