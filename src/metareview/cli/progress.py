"""Progress of a long step on stderr, for a person at a terminal and for a log file alike.

:func:`progress_bar` gives a ``report(done, total)`` callback, the shape the library's long
steps take (``embed(..., progress=)``, ``embed_project(..., progress=)``). At a terminal it
draws a bar (rich), cleared when the step ends; anywhere else (a pipe, a log file, a CI job)
it prints plain lines, no control characters: the start, each further tenth done, the end.

>>> import contextlib, sys
>>> with contextlib.redirect_stderr(sys.stdout), progress_bar("embedding") as report:
...     for done in (0, 10, 30, 64, 65, 100):  # (no terminal here: lines)
...         report(done, 100)
embedding: 0 of 100
embedding: 10 of 100
embedding: 30 of 100
embedding: 64 of 100
embedding: 100 of 100
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from metareview.cli.console import echo


@contextmanager
def progress_bar(label: str, *, quiet: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A ``report(done, total)`` showing how far the step called ``label`` is, on stderr;
    nothing is shown before the first report (so an error before any work stays one line),
    nor at all with ``quiet`` (``--json``)."""
    console = Console(stderr=True, quiet=quiet)
    with ExitStack() as stack:
        bar: list[tuple[Progress, TaskID]] = []
        tenths: list[int] = []  # (not at a terminal) the tenths done already printed

        def report(done: int, total: int) -> None:
            if quiet:
                return
            if not console.is_terminal:
                tenth = 10 * done // total if total else 10
                if not tenths or tenth > tenths[-1]:
                    tenths.append(tenth)
                    echo(f"{label}: {done} of {total}", err=True)
                return
            if not bar:
                progress = stack.enter_context(
                    Progress(
                        TextColumn(label, markup=False),
                        BarColumn(),
                        MofNCompleteColumn(),
                        TimeElapsedColumn(),
                        console=console,
                        transient=True,
                    )
                )
                bar.append((progress, progress.add_task(label, total=total)))
            progress, task = bar[0]
            progress.update(task, completed=done, total=total)

        yield report
