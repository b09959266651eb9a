"""Runs of the analysis in a child process of the workspace, so a run takes neither the
server's interpreter lock nor its responsiveness.

:class:`AnalysisRunner` hands each started run (its id) to one child process, which opens the
project itself and calls :func:`~metareview.web.analysis_job.execute`: the run's progress,
files and outcome go to the store, where every page reads them (the page polls the progress
as before). The child is started at the first run and kept for the next ones (the imports of
the runner and the report are paid once), at a lower scheduling priority, so requests come
first. One run at a time is the store's rule (:func:`~metareview.store.analysis_runs.start_run`,
checked across processes); the runner also handles one at a time. A run whose child dies
(killed, out of memory) is marked failed with the reason, never left "running". A project in
memory cannot be opened twice: its runs execute on a thread of the server.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from metareview.store.analysis_runs import fail_run, run
from metareview.store.analysis_schema import RUNNING
from metareview.store.project import Project
from metareview.store.project_process import start_project_process

logger = logging.getLogger(__name__)
IN_MEMORY = ("sqlite://", "sqlite:///:memory:")


class AnalysisRunner:
    """Executes started runs one after the other, in a child process (or, for a project in
    memory or with ``separate_process=False``, on a thread)."""

    def __init__(self, project: Project, *, jobs: int = 1, separate_process: bool = True):
        self.project = project
        self.jobs = jobs  # worker processes of one run (the runner's and the report's)
        self.separate = separate_process and project.url not in IN_MEMORY
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis")
        self._lock = threading.Lock()
        self._child: Any = None
        self._connection: Any = None

    @property
    def child_pid(self) -> int | None:
        """The child process's id while it lives (``None`` before the first run)."""
        child = self._child
        return child.pid if child is not None and child.is_alive() else None

    def submit(self, run_id: int) -> Future:
        """Execute run ``run_id`` (already started in the store) in the background."""
        return self._executor.submit(self._execute, run_id)

    def _execute(self, run_id: int) -> None:
        if not self.separate:
            from metareview.web.analysis_job import execute

            execute(self.project, run_id, jobs=self.jobs)
            return
        try:
            answer = self._ask_child(run_id)
        except (EOFError, OSError):
            child, self._child = self._child, None  # it died: the next run starts another
            if child is not None:
                child.join(timeout=10)
            code = child.exitcode if child is not None else None
            answer = f"the run's process ended before the run did (exit code {code})"
        except Exception as err:  # a defect must end the run, not leave it "running"
            answer = f"the run could not be handed to its process ({type(err).__name__}: {err})"
        if answer:
            found = run(self.project, run_id)
            if found is not None and found.status == RUNNING:
                fail_run(self.project, run_id, answer)

    def _ask_child(self, run_id: int) -> str:
        with self._lock:
            if self._child is None or not self._child.is_alive():
                # not a daemon: a run with jobs > 1 starts worker processes of its own
                self._child, self._connection = start_project_process(
                    self.project.url, _run_answerer, name="analysis", niceness=5
                )
            connection = self._connection
        connection.send((run_id, self.jobs))
        return connection.recv()

    def close(self) -> None:
        """Wait for the run under way, then stop the child."""
        self._executor.shutdown(wait=True)  # a run ends before its project closes
        with self._lock:
            if self._child is not None:
                with contextlib.suppress(OSError):
                    self._connection.close()  # the child sees EOF and leaves
                self._child.join(timeout=10)
                if self._child.is_alive():
                    self._child.terminate()
                    self._child.join(timeout=10)
                self._child = None


def _run_answerer(project: Project) -> Callable[[tuple[int, int]], str]:
    """In the child process: execute each run (id, jobs) it is sent, answer "" (the outcome
    is in the store) or why the run could not execute."""
    from metareview.web.analysis_job import execute

    def answer(message: tuple[int, int]) -> str:
        run_id, jobs = message
        try:
            execute(project, run_id, jobs=jobs)
        except Exception as err:  # execute keeps its own failures; this is anything else
            logger.exception("analysis run %s", run_id)
            return f"the run failed ({type(err).__name__}: {err}); please report this"
        return ""

    return answer
