"""The analysis of a review in its project: the plan's versions and every run, with its files.

The plan is kept as TOML text; each save is a new version (:func:`save_plan`,
:func:`current_plan`). A run (:func:`start_run`) records who started it and when, its inputs
(the plan's text, the agreed extraction table and the agreed risk-of-bias table, as CSV, and
the project's PRISMA 2020 counts its flow diagram is drawn from, as the CSV it writes to
``prisma.csv``) and their SHA-256, then its progress (:func:`record_progress`) and its end: the files it wrote
(:func:`finish_run`) or why it failed (:func:`fail_run`). Runs are never deleted, so every
earlier report stays readable.

**One run at a time.** :func:`start_run` checks, under the project's write lock, that no run
of the review is running, and a partial unique index on ``status = 'running'`` refuses a
second one in any case: two processes serving one project cannot both start a run. A run
whose process died stops counting as running once it has reported no progress for
:data:`STALE_AFTER` (it is then marked failed).

>>> project = Project.open("sqlite://")
>>> run = start_run(project, actor="lena", plan_text="title = 'x'", extraction_csv="study\\n")
>>> run.status, run.extraction_sha256 == sha256_text("study\\n"), run.prisma_sha256
('running', True, '')
>>> start_run(project, actor="rita", plan_text="", extraction_csv="")
Traceback (most recent call last):
metareview.errors.RunInProgressError: run 1, started by lena, is still running (starting 0 of 0); wait until it ends
>>> finish_run(project, run.id, {"results.json": b"{}"}).status
'done'
>>> run_file(project, run.id, "results.json")
b'{}'
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from metareview.errors import RunInProgressError, StoreError
from metareview.store.analysis_schema import (
    DONE,
    FAILED,
    RUNNING,
    analysis_plans,
    analysis_run_files,
    analysis_runs,
)
from metareview.store.by_ids import rows_with_ids
from metareview.store.project import Project
from metareview.store.times import stored_utc

#: A run that has reported no progress for this long is taken to have died with its process.
STALE_AFTER = timedelta(minutes=15)
_SUMMARY = tuple(
    c
    for c in analysis_runs.c
    if c.name not in ("plan_text", "extraction_csv", "rob_csv", "prisma_csv")
)


def sha256_text(text: str) -> str:
    """The SHA-256 of a text's UTF-8 bytes (how a run's inputs are hashed).

    >>> sha256_text("")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PlanVersion:
    """One saved version of the review's plan."""

    id: int
    text: str
    sha256: str
    saved_by: str
    saved_at: datetime


def save_plan(project: Project, text: str, *, actor: str) -> PlanVersion:
    """Keep ``text`` as the review's plan (a new version; the caller has validated it)."""
    if "\x00" in text:
        raise StoreError("the plan holds a NUL character; remove it")
    now = datetime.now(UTC)
    with project._write() as connection:
        new_id = connection.execute(
            insert(analysis_plans).values(
                text=text, sha256=sha256_text(text), saved_by=actor, saved_at=now
            )
        ).inserted_primary_key[0]
    return PlanVersion(new_id, text, sha256_text(text), actor, now)


def current_plan(project: Project) -> PlanVersion | None:
    """The newest saved plan (``None`` before the first save)."""
    query = select(analysis_plans).order_by(analysis_plans.c.id.desc()).limit(1)
    with project.engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return None if row is None else PlanVersion(**{**row, "saved_at": stored_utc(row["saved_at"])})


@dataclass(frozen=True)
class Run:
    """One run of the analysis: who, when, its state and progress, its inputs' hashes (an
    empty ``rob_sha256`` when no risk of bias was agreed, an empty ``prisma_sha256`` when the
    run drew no PRISMA flow diagram)."""

    id: int
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    heartbeat_at: datetime
    status: str  #: running, done or failed
    message: str  #: why it failed, or what a finished run warns about (empty otherwise)
    stage: str  #: what it is doing ("analyses", "figures", …)
    done: int
    total: int
    plan_sha256: str
    extraction_sha256: str
    rob_sha256: str
    prisma_sha256: str

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for key in ("started_at", "finished_at", "heartbeat_at"):
            out[key] = out[key].isoformat() if out[key] is not None else None
        return out


@dataclass(frozen=True)
class RunInputs:
    """What a run analysed: the plan's text, the two tables and the PRISMA counts (empty
    when it drew no diagram) as CSV text."""

    plan_text: str
    extraction_csv: str
    rob_csv: str
    prisma_csv: str


def _run(row: Mapping[str, Any]) -> Run:
    values = {name: row[name] for name in Run.__dataclass_fields__}
    for key in ("started_at", "finished_at", "heartbeat_at"):
        if values[key] is not None:
            values[key] = stored_utc(values[key])
    return Run(**values)


def start_run(
    project: Project,
    *,
    actor: str,
    plan_text: str,
    extraction_csv: str,
    rob_csv: str = "",
    prisma_csv: str = "",
) -> Run:
    """Record the start of a run by ``actor`` on these inputs (``prisma_csv``: the PRISMA
    counts it draws its flow diagram from, empty for none); refused with a
    :class:`~metareview.errors.RunInProgressError` while another run of the review runs."""
    now = datetime.now(UTC)
    inputs = {"plan": plan_text, "extraction": extraction_csv, "rob": rob_csv, "PRISMA": prisma_csv}
    for name, value in inputs.items():
        if "\x00" in value:
            raise StoreError(f"the {name} input holds a NUL character")
    try:
        with project._write() as connection:
            running = (
                connection.execute(select(*_SUMMARY).where(analysis_runs.c.status == RUNNING))
                .mappings()
                .first()
            )
            if running is not None:
                other = _run(running)
                if now - other.heartbeat_at < STALE_AFTER:
                    raise _busy(other)
                connection.execute(
                    update(analysis_runs)
                    .where(analysis_runs.c.id == other.id)
                    .values(
                        status=FAILED,
                        finished_at=now,
                        message=f"abandoned: no progress since {other.heartbeat_at:%Y-%m-%d %H:%M} UTC",
                    )
                )
            new_id = connection.execute(
                insert(analysis_runs).values(
                    started_by=actor,
                    started_at=now,
                    heartbeat_at=now,
                    status=RUNNING,
                    message="",
                    stage="starting",
                    done=0,
                    total=0,
                    plan_text=plan_text,
                    plan_sha256=sha256_text(plan_text),
                    extraction_csv=extraction_csv,
                    extraction_sha256=sha256_text(extraction_csv),
                    rob_csv=rob_csv,
                    rob_sha256=sha256_text(rob_csv) if rob_csv else "",
                    prisma_csv=prisma_csv,
                    prisma_sha256=sha256_text(prisma_csv) if prisma_csv else "",
                )
            ).inserted_primary_key[0]
    except IntegrityError as err:  # another process inserted its running row first
        running_now = next((r for r in runs(project) if r.status == RUNNING), None)
        if running_now is None:
            raise StoreError(f"cannot start the run: {err.orig}") from err
        raise _busy(running_now) from None
    started = run(project, new_id)
    assert started is not None
    return started


def _busy(other: Run) -> RunInProgressError:
    return RunInProgressError(
        f"run {other.id}, started by {other.started_by}, is still running "
        f"({other.stage} {other.done} of {other.total}); wait until it ends"
    )


def _set(project: Project, run_id: int, **values: Any) -> Run:
    with project._write() as connection:
        changed = connection.execute(
            update(analysis_runs)
            .where(analysis_runs.c.id == run_id, analysis_runs.c.status == RUNNING)
            .values(**values)
        ).rowcount
    found = run(project, run_id)
    if found is None:
        raise StoreError(f"no run {run_id} in this project")
    if not changed:
        raise StoreError(f"run {run_id} is not running (it is {found.status})")
    return found


def record_progress(project: Project, run_id: int, stage: str, done: int, total: int) -> Run:
    """Note how far a running run has got (``done`` of ``total`` in ``stage``)."""
    return _set(
        project, run_id, stage=stage, done=done, total=total, heartbeat_at=datetime.now(UTC)
    )


def finish_run(
    project: Project, run_id: int, files: Mapping[str, bytes], *, message: str = ""
) -> Run:
    """Keep the files a run wrote (path relative to its output folder → bytes) and mark it
    done; ``message``: what it warns about (shown with the run)."""
    rows = [
        {"run_id": run_id, "path": path, "sha256": hashlib.sha256(data).hexdigest(),
         "content": data}
        for path, data in sorted(files.items())
    ]  # fmt: skip
    now = datetime.now(UTC)
    with project._write() as connection:
        state = connection.execute(
            select(analysis_runs.c.status).where(analysis_runs.c.id == run_id)
        ).scalar()
        if state != RUNNING:
            raise StoreError(f"run {run_id} is not running (it is {state or 'unknown'})")
        if rows:
            connection.execute(insert(analysis_run_files), rows)
        connection.execute(
            update(analysis_runs)
            .where(analysis_runs.c.id == run_id)
            .values(status=DONE, finished_at=now, heartbeat_at=now, stage="done", message=message)
        )
    found = run(project, run_id)
    assert found is not None
    return found


def fail_run(project: Project, run_id: int, message: str) -> Run:
    """Mark a running run failed, with the reason (shown in the workspace)."""
    now = datetime.now(UTC)
    return _set(project, run_id, status=FAILED, message=message, finished_at=now, heartbeat_at=now)


def runs(project: Project) -> tuple[Run, ...]:
    """Every run of the review, newest first."""
    query = select(*_SUMMARY).order_by(analysis_runs.c.id.desc())
    with project.engine.connect() as connection:
        return tuple(_run(row) for row in connection.execute(query).mappings())


def run(project: Project, run_id: int) -> Run | None:
    """One run (``None`` if the project has no run ``run_id``)."""
    query = select(*_SUMMARY).where(analysis_runs.c.id == run_id)
    with project.engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return None if row is None else _run(row)


def run_inputs(project: Project, run_id: int) -> RunInputs | None:
    """The plan, tables and PRISMA counts run ``run_id`` analysed."""
    c = analysis_runs.c
    query = select(c.plan_text, c.extraction_csv, c.rob_csv, c.prisma_csv).where(c.id == run_id)
    with project.engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return None if row is None else RunInputs(**row)


#: Where a run keeps the PRISMA counts it drew its flow diagram from, among its files.
PRISMA_PATH = "inputs/prisma.csv"


@dataclass(frozen=True)
class RunPrisma:
    """The PRISMA counts a run drew its flow diagram from, as far as the project knows them.

    ``sha256``: the counts' SHA-256, empty when the run drew no diagram; the recorded one
    (``Run.prisma_sha256``) when ``recorded``, otherwise that of the kept file, as the run's
    files table holds it (a run made before migration ``0009`` recorded no counts, and keeps
    them only as ``inputs/prisma.csv``). ``path``: that kept file, empty when the run kept none
    (a run that is still running has kept nothing yet).
    """

    recorded: bool
    sha256: str
    path: str

    @property
    def drawn(self) -> bool:
        """Whether the run drew a PRISMA flow diagram."""
        return bool(self.sha256)


def run_prisma(project: Project, run_id: int) -> RunPrisma:
    """The PRISMA counts run ``run_id`` drew its flow diagram from: recorded (migration
    ``0009`` on), drawn but not recorded (a run made before it, which kept them only as
    ``inputs/prisma.csv``), or no diagram drawn.

    >>> project = Project.open("sqlite://")
    >>> old = start_run(project, actor="lena", plan_text="", extraction_csv="")
    >>> _ = finish_run(project, old.id, {"inputs/prisma.csv": b"data,node,box,n\\n"})
    >>> prisma = run_prisma(project, old.id)
    >>> prisma.drawn, prisma.recorded, prisma.path, prisma.sha256[:12]
    (True, False, 'inputs/prisma.csv', '80a5178c4140')
    >>> new = start_run(project, actor="lena", plan_text="", extraction_csv="")
    >>> run_prisma(project, new.id).drawn
    False
    """
    found = run(project, run_id)
    if found is None:
        raise StoreError(f"the project has no run {run_id}")
    return runs_prisma(project, (found,))[run_id]


def runs_prisma(project: Project, listed: Sequence[Run]) -> dict[int, RunPrisma]:
    """By run id, the PRISMA counts each run of ``listed`` drew its flow diagram from (as
    :func:`run_prisma` says, for the list of runs: one query per
    :func:`~metareview.store.by_ids.ids_per_query` runs).

    >>> project = Project.open("sqlite://")
    >>> old = start_run(project, actor="lena", plan_text="", extraction_csv="")
    >>> _ = finish_run(project, old.id, {"inputs/prisma.csv": b"data,node,box,n\\n"})
    >>> new = start_run(project, actor="lena", plan_text="", extraction_csv="")
    >>> by_run = runs_prisma(project, runs(project))
    >>> [(by_run[r].drawn, by_run[r].recorded) for r in (old.id, new.id)]
    [(True, False), (False, False)]
    """
    f = analysis_run_files.c
    query = select(f.run_id, f.sha256).where(f.path == PRISMA_PATH)
    with project.engine.connect() as connection:
        rows = rows_with_ids(connection, query, f.run_id, [r.id for r in listed])
        kept = {run_id: sha256 for run_id, sha256 in rows}
    by_run = {}
    for found in listed:
        path = PRISMA_PATH if found.id in kept else ""
        if found.prisma_sha256:
            by_run[found.id] = RunPrisma(recorded=True, sha256=found.prisma_sha256, path=path)
        else:
            by_run[found.id] = RunPrisma(recorded=False, sha256=kept.get(found.id, ""), path=path)
    return by_run


def recorded_prisma(project: Project, run_id: int) -> str | None:
    """The PRISMA counts run ``run_id`` drew its flow diagram from, as it recorded them (the
    PRISMA2020 CSV text); ``""`` when it drew no diagram; ``None`` when it drew one without
    recording them (a run made before migration ``0009``; :func:`run_prisma`).

    >>> project = Project.open("sqlite://")
    >>> old = start_run(project, actor="lena", plan_text="", extraction_csv="")
    >>> _ = finish_run(project, old.id, {"inputs/prisma.csv": b"data,node,box,n\\n"})
    >>> recorded_prisma(project, old.id) is None
    True
    >>> new = start_run(project, actor="lena", plan_text="", extraction_csv="")
    >>> recorded_prisma(project, new.id)
    ''
    """
    prisma = run_prisma(project, run_id)
    if prisma.drawn and not prisma.recorded:
        return None
    inputs = run_inputs(project, run_id)
    assert inputs is not None
    return inputs.prisma_csv


def run_paths(project: Project, run_id: int) -> tuple[str, ...]:
    """The paths of the files run ``run_id`` kept, sorted."""
    f = analysis_run_files.c
    query = select(f.path).where(f.run_id == run_id).order_by(f.path)
    with project.engine.connect() as connection:
        return tuple(connection.execute(query).scalars())


def run_file(project: Project, run_id: int, path: str) -> bytes | None:
    """One file a run kept (``None`` if it has no such file)."""
    f = analysis_run_files.c
    query = select(f.content).where(f.run_id == run_id, f.path == path)
    with project.engine.connect() as connection:
        data = connection.execute(query).scalar()
    return None if data is None else bytes(data)
