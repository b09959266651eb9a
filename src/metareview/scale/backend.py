"""Where batch work runs: in this process (the default), or on a Dask cluster.

A backend maps a function over work items and yields the results in the items' order. The
Dask backend keeps at most ``window`` items in flight, so a stream of chunks never holds
more than that many in memory; lost workers' tasks are rescheduled by Dask's scheduler, so a
killed worker loses and duplicates nothing.

>>> with open_backend(None) as backend:
...     list(backend.map(abs, [-1, 2, -3]))
[1, 2, 3]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from metareview.errors import InputError


class LocalBackend:
    """Runs every item in this process, one after the other."""

    name = "local"

    def map(
        self, function: Callable[..., Any], items: Iterable[Any], **kwargs: Any
    ) -> Iterator[Any]:
        for item in items:
            yield function(item, **kwargs)


class DaskBackend:
    """Runs items as tasks of a ``dask.distributed.Client`` (at most ``window`` at once)."""

    name = "dask"

    def __init__(self, client: Any, window: int | None = None):
        self.client = client
        workers = len(client.scheduler_info().get("workers", {})) or 1
        self.window = window or 4 * workers

    def map(
        self, function: Callable[..., Any], items: Iterable[Any], **kwargs: Any
    ) -> Iterator[Any]:
        pending: deque = deque()
        for item in items:
            pending.append(self.client.submit(function, item, pure=False, **kwargs))
            if len(pending) >= self.window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


@contextmanager
def open_backend(scheduler: Any = None, window: int | None = None) -> Iterator[Any]:
    """The local backend for ``None``; else a Dask backend on ``scheduler``: a
    ``dask.distributed.Client``, or a scheduler address (``tcp://HOST:8786``) to connect to
    (and close again afterwards)."""
    if scheduler is None:
        yield LocalBackend()
        return
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - the extra is part of the test install
        raise InputError(
            "a Dask scheduler needs the optional extra: pip install 'metareview[dask]'"
        ) from None
    if isinstance(scheduler, Client):
        yield DaskBackend(scheduler, window)
        return
    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise InputError(f"scheduler must be an address like tcp://HOST:8786; got {scheduler!r}")
    try:
        client = Client(scheduler, timeout="10s")
    except OSError as error:
        raise InputError(f"no Dask scheduler answers at {scheduler}: {error}") from None
    try:
        yield DaskBackend(client, window)
    finally:
        client.close()
