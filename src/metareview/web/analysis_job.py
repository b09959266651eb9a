"""A run of the review's analysis from the workspace: its inputs from the project, the
existing runner and report in the background, the files it wrote kept with the run.

:func:`start_analysis` checks the plan (with the plan's own messages), takes the agreed
extraction table (with the plan's risk-of-bias column filled from the agreed assessments
when the table has none: :func:`analysed_table`) and the agreed risk-of-bias table from the
project, appends the reviewers'
GRADE decisions to the plan's text (:func:`~metareview.plan.grade_review.plan_text_with_decisions`,
so the run rates with them and keeps them among its inputs) and the agreed RoB 2 judgements
that override the algorithm's proposal (``[[rob.override]]``:
:func:`~metareview.plan.appended.plan_text_with_overrides`, flagged in the report with their
justification, as ``metareview run`` on the kept plan flags them), and records the run's
start with the project's PRISMA 2020 counts as they are then
(:func:`~metareview.store.analysis_inputs.prisma_csv`, empty when they cannot be drawn) —
refused while another run of the review runs, in any process
(:func:`~metareview.store.analysis_runs.start_run`). :func:`execute` then does what
``metareview run`` does on the same plan and table, in a folder of its own: the agreed table
is written to ``extraction.csv`` beside ``plan.toml``, read by the plan's ``[data]`` settings,
run by :func:`~metareview.plan.runner.run_plan` and written by
:func:`~metareview.report.build.write_report` (forest-plot labels linking to each study's
extraction cells); every file is kept in the project with the run's inputs
(``inputs/plan.toml``, ``inputs/extraction.csv``, ``inputs/rob.csv``, ``inputs/prisma.csv``:
``metareview run`` on these gives the run's numbers and diagram), and progress is recorded as
it goes. A GRADE decision that names no outcome the run rates is not applied: the run goes on
and keeps the warning (:func:`~metareview.plan.grade_review.unapplied_decisions`), which its
report lists too.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from metareview.data.spreadsheet import safe_frame
from metareview.errors import MetareviewError, PlanError
from metareview.plan.appended import plan_text_with_overrides
from metareview.plan.grade_review import plan_text_with_decisions, unapplied_decisions
from metareview.plan.plan import Plan, parse_plan
from metareview.plan.runner import run_plan
from metareview.report.build import write_report
from metareview.store.analysis_inputs import extraction_csv, prisma_csv, rob_csv, rob_overrides
from metareview.store.analysis_runs import (
    Run,
    current_plan,
    fail_run,
    finish_run,
    record_progress,
    run_inputs,
    start_run,
)
from metareview.store.extraction import studies
from metareview.store.grade_decisions import (
    GRADE_OUTCOME,
    ROB_OVERALL,
    graded_frame,
    plan_entries,
)
from metareview.store.project import Project

DATA_FILE = "extraction.csv"
PRISMA_FILE = "prisma.csv"
PROGRESS_EVERY = 0.5  # seconds between progress notes in the store (and at each stage change)


def workspace_plan(text: str, folder: Path) -> Plan:
    """The plan ``text`` read as ``metareview run`` reads ``folder/plan.toml``, its data being
    the agreed table written to ``folder/extraction.csv``."""
    plan = parse_plan(text, source="plan.toml", base_dir=folder, in_workspace=True)
    return replace(plan, data_file=folder / DATA_FILE)


def with_prisma(plan: Plan, counts_csv: str, folder: Path) -> Plan:
    """``plan`` drawing the PRISMA 2020 flow diagram from ``counts_csv`` (the project's counts
    the run recorded at its start, :func:`~metareview.store.analysis_inputs.prisma_csv`),
    written byte for byte to ``folder/prisma.csv``; ``plan`` as it is when ``counts_csv`` is
    empty. A plan kept in the workspace names no counts file
    (:func:`~metareview.plan.plan.workspace_problems`).

    >>> plan = parse_plan('[data]\\nfile = "d.csv"\\n[[analysis]]\\nname = "All"\\nfilter = {}\\n')
    >>> with_prisma(plan, "", Path(".")).prisma_counts is None  # no counts recorded
    True
    """
    if not counts_csv:
        return plan
    path = folder / PRISMA_FILE
    path.write_bytes(counts_csv.encode("utf-8"))
    return replace(plan, prisma_counts=path)


def kept_plan_text(text: str, plan: Plan) -> str:
    r"""The plan text a run keeps as ``inputs/plan.toml``: ``text``, naming the project's
    PRISMA counts the run drew (``inputs/prisma.csv``, see :func:`with_prisma`), so
    that ``metareview run`` on the kept inputs gives the same results. A plan kept in the
    workspace has no ``[prisma]`` table (it is refused), so the one added is the only one.

    >>> plan = parse_plan('[data]\nfile = "d.csv"\n[[analysis]]\nname = "All"\nfilter = {}\n')
    >>> kept_plan_text("x = 1\n", plan)
    'x = 1\n'
    >>> print(kept_plan_text("x = 1\n", replace(plan, prisma_counts=Path("/tmp/prisma.csv"))))
    x = 1
    <BLANKLINE>
    # The project's own PRISMA counts at this run
    [prisma]
    counts = "prisma.csv"
    <BLANKLINE>
    """
    if plan.prisma_counts is None:
        return text
    return f'{text}\n# The project\'s own PRISMA counts at this run\n[prisma]\ncounts = "{PRISMA_FILE}"\n'


def study_links(project: Project) -> dict[str, str]:
    """Each study's label → the workspace page of its extraction cells."""
    return {study.label: f"/analysis/studies/{study.number}" for study in studies(project)}


def start_analysis(project: Project, *, actor: str) -> Run:
    """Check the plan and the inputs, and record the start of a run (see the module's text)."""
    saved = current_plan(project)
    if saved is None:
        raise PlanError("the review has no plan yet: make one in the plan form and save it")
    text = plan_text_with_decisions(saved.text, plan_entries(project))
    text = plan_text_with_overrides(text, rob_overrides(project))
    with tempfile.TemporaryDirectory(prefix="metareview-plan-") as folder:
        plan = workspace_plan(text, Path(folder))
    rob = rob_csv(project)
    table = analysed_table(project, plan.rob_column) if rob else extraction_csv(project)
    return start_run(
        project,
        actor=actor,
        plan_text=text,
        extraction_csv=table,
        rob_csv=rob,
        prisma_csv=prisma_csv(project),
    )


def analysed_table(project: Project, rob_column: str) -> str:
    """The agreed extraction table a run analyses, as CSV text. When the plan's risk-of-bias
    column (``[rob] column``) is not in it and every row's study has an agreed overall
    judgement for the row's outcome (the assessment of the result named like it, as the GRADE
    page reads them: :func:`~metareview.store.grade_decisions.graded_frame`), that column
    holds those judgements; otherwise the table is the agreed one as exported."""
    table = extraction_csv(project)
    if rob_column in table.split("\n", 1)[0].split(","):
        return table
    inputs = graded_frame(project)
    if inputs.unjudged or ROB_OVERALL not in inputs.frame:
        return table
    frame = inputs.frame.drop(columns=GRADE_OUTCOME).rename(columns={ROB_OVERALL: rob_column})
    return safe_frame(frame).to_csv(index=False)


class _Progress:
    """The runner's progress callback, noted in the store at most every PROGRESS_EVERY s."""

    def __init__(self, project: Project, run_id: int):
        self.project, self.run_id = project, run_id
        self.last, self.stage = 0.0, ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage != self.stage or done == total or now - self.last >= PROGRESS_EVERY:
            self.stage, self.last = stage, now
            record_progress(self.project, self.run_id, stage, done, total)


def execute(project: Project, run_id: int, *, jobs: int = 1) -> Run:
    """Run the analysis of run ``run_id`` and keep what it wrote; a failure is kept as the
    run's message (the plan's or the data's own error, or the exception's name)."""
    inputs = run_inputs(project, run_id)
    if inputs is None:
        raise MetareviewError(f"no run {run_id} in this project")
    links = study_links(project)
    try:
        with tempfile.TemporaryDirectory(prefix="metareview-run-") as name:
            folder = Path(name)
            (folder / "plan.toml").write_text(inputs.plan_text, encoding="utf-8")
            (folder / DATA_FILE).write_text(inputs.extraction_csv, encoding="utf-8")
            plan = with_prisma(workspace_plan(inputs.plan_text, folder), inputs.prisma_csv, folder)
            progress = _Progress(project, run_id)
            results = run_plan(plan, jobs=jobs, progress=progress)
            out = folder / "output"
            write_report(results, out, jobs=jobs, progress=progress, study_links=links)
            files = {
                path.relative_to(out).as_posix(): path.read_bytes()
                for path in sorted(out.rglob("*"))
                if path.is_file() and not path.name.startswith(".")
            }
            files["inputs/plan.toml"] = kept_plan_text(inputs.plan_text, plan).encode("utf-8")
            files[f"inputs/{DATA_FILE}"] = inputs.extraction_csv.encode("utf-8")
            if inputs.rob_csv:
                files["inputs/rob.csv"] = inputs.rob_csv.encode("utf-8")
            if inputs.prisma_csv:
                files[f"inputs/{PRISMA_FILE}"] = inputs.prisma_csv.encode("utf-8")
        return finish_run(project, run_id, files, message="\n".join(unapplied_decisions(results)))
    except MetareviewError as err:
        return fail_run(project, run_id, str(err))
    except Exception as err:  # a defect must end the run, not leave it "running"
        return fail_run(
            project, run_id, f"the run failed ({type(err).__name__}: {err}); please report this"
        )
