"""The time a request takes at the server, for benchmarks: a ``Server-Timing`` header.

With ``metareview serve --server-timing`` (off by default), the workspace's
:class:`~metareview.web.security.SecurityHeaders` add to every response ``Server-Timing:
app;dur=…, cpu;dur=…`` in milliseconds: ``app`` from the moment the application receives the
request to the moment it starts the response (what the issue's "round trip at the server"
means: it leaves out the network and the client), and ``cpu`` the processor time the request's
own work took on its worker thread (the session lookup and the handler, template included),
which unlike ``app`` does not grow while the request waits for a core or for another thread.
``benchmarks/workspace_benchmark.py`` reads both.

>>> from starlette.testclient import TestClient
>>> from metareview.store.project import Project
>>> from metareview.web import create_app
>>> app = create_app(Project.open("sqlite://"), server_timing=True)
>>> with TestClient(app) as client:
...     header = client.get("/login").headers["server-timing"]
>>> [part.split(";")[0] for part in header.split(", ")]
['app', 'cpu']
>>> sorted(server_timing(header))
['app', 'cpu']
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.types import Scope

CPU_KEY = "metareview.cpu_seconds"
T = TypeVar("T")


def timed(scope: Scope, function: Callable[..., T], *args: Any) -> T:
    """Call ``function(*args)`` and add the processor time this thread spent in it to the
    request's (read by :func:`timing_header`)."""
    start = time.thread_time()
    try:
        return function(*args)
    finally:
        scope[CPU_KEY] = scope.get(CPU_KEY, 0.0) + time.thread_time() - start


def timing_header(scope: Scope, start: float) -> str:
    """The ``Server-Timing`` value of a request that arrived at ``start``
    (``time.perf_counter()``) and starts its response now."""
    app_ms = 1000 * (time.perf_counter() - start)
    return f"app;dur={app_ms:.2f}, cpu;dur={1000 * scope.get(CPU_KEY, 0.0):.2f}"


def server_timing(header: str) -> dict[str, float]:
    """The durations (ms) of a ``Server-Timing`` header, by name.

    >>> server_timing("app;dur=12.50, cpu;dur=3.25")
    {'app': 12.5, 'cpu': 3.25}
    """
    out = {}
    for part in header.split(","):
        name, _, rest = part.strip().partition(";")
        for parameter in rest.split(";"):
            key, _, value = parameter.strip().partition("=")
            if key == "dur":
                out[name] = float(value)
    return out
