"""A child process that opens a project itself and answers requests about it, one at a time.

For work that must take neither the server's interpreter lock nor its responsiveness: the
active-learning rankings (:mod:`metareview.store.rankings`) and the workspace's analysis
runs (:mod:`metareview.web.analysis_process`). The child ignores Ctrl-C (stopping the server
stops it), runs at a lower scheduling priority, so requests come first, and leaves when the
parent's end of the connection closes. A project in memory cannot be opened twice, so it
cannot be served this way.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable
from typing import Any

from metareview.store.project import Project

#: Answers the messages of one child: called once there with the opened project, it returns
#: the function that answers each message (so it can keep state, such as a cache, between
#: them). It must be importable by name (a module-level function): the child imports it.
Answerer = Callable[[Project], Callable[[Any], Any]]


def start_project_process(
    url: str, answerer: Answerer, *, name: str, niceness: int, daemon: bool = False
) -> tuple[Any, Any]:
    """Start a child process (``spawn``) that opens the project at ``url`` and answers each
    message sent on the returned connection with ``answerer(project)(message)``, until that
    connection closes; returns ``(process, connection)``.

    ``niceness`` is added to the child's scheduling priority; ``daemon`` as for
    :class:`multiprocessing.Process` (a child that starts processes of its own cannot be
    one). The answer function should return its failures as answers: an exception it raises
    ends the child, which the parent sees as the connection's end (``EOFError``).

    >>> import tempfile
    >>> from operator import attrgetter
    >>> from pathlib import Path
    >>> url = str(Path(tempfile.mkdtemp()) / "review.mrproj")
    >>> with Project.open(url) as project:
    ...     project.set_setting("reviewers_required", 3, actor="lead")
    >>> child, connection = start_project_process(
    ...     url, attrgetter("setting"), name="example", niceness=0)
    >>> connection.send("reviewers_required")
    >>> connection.recv()
    3
    >>> connection.close()
    >>> child.join(timeout=10)
    >>> child.exitcode
    0
    """
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(
        target=_serve, args=(url, theirs, answerer, niceness), daemon=daemon, name=name
    )
    child.start()
    theirs.close()
    return child, ours


def _serve(url: str, connection: Any, answerer: Answerer, niceness: int) -> None:
    """The child process: answer each message it is sent, until the parent goes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops this
    with contextlib.suppress(OSError):
        os.nice(niceness)
    project = Project.open(url, create=False)
    answer = answerer(project)
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            break
        connection.send(answer(message))
    project.close()
