"""The analysis in the workspace: the plan (a form and a TOML editor), "Run analysis" with its
progress, and the runs kept in the project.

The lead edits and runs; every member reads. A plan is saved only when it passes the plan's
own checks; otherwise the messages are shown at the field they concern and everything typed
stays in the form. A run starts in the background, in a child process of the server
(:mod:`metareview.web.analysis_process`; one at a time, in any process: the store refuses a
second) and the page polls its progress with htmx.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from starlette.responses import RedirectResponse, Response

from metareview.data.table import load_table
from metareview.errors import (
    DataError,
    ExtractionError,
    PlanError,
    RunInProgressError,
    StoreError,
)
from metareview.plan.expand import SENSITIVITY_LABELS
from metareview.plan.plan_form import FORM_KEYS, SMALL_STUDY, PlanForm, apply_form, form_of
from metareview.plan.template import plan_text
from metareview.stats.presets import PRESETS
from metareview.stats.vocabulary import CI_METHODS, MEASURES, TAU2_METHODS
from metareview.store.analysis_inputs import extraction_csv
from metareview.store.analysis_runs import PlanVersion, current_plan, runs, runs_prisma, save_plan
from metareview.web.analysis_job import DATA_FILE, start_analysis, workspace_plan
from metareview.web.security import LEAD, MEMBERS, Call, page, render

MAX_PLAN_CHARS = 200_000
_PROBLEM = re.compile(r"(?:\d+ problems: )?plan\.toml(?:, line (\d+))?(?:, key '([^']*)')?: ")
CHOICES = {
    "presets": list(PRESETS),
    "measures": list(MEASURES),
    "methods": list(TAU2_METHODS),
    "ci_methods": list(CI_METHODS),
    "models": ["random", "fixed", "fixed_if_low_i2"],
    "sensitivity": SENSITIVITY_LABELS,
    "small_study": SMALL_STUDY,
}


def problems_by_field(message: str) -> tuple[dict[str, list[str]], list[str]]:
    """A plan error's problems by the form field they concern, and the others (as text).

    >>> problems_by_field("2 problems: plan.toml, line 5, key 'settings.model': got 'x', "
    ...                   "expected one of random; plan.toml, key 'data': is required")
    ({'model': ["line 5, key 'settings.model': got 'x', expected one of random"]}, ["key 'data': is required"])
    """
    starts = list(_PROBLEM.finditer(message))
    if not starts:
        return {}, [message]
    fields: dict[str, list[str]] = {}
    other: list[str] = []
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(message)
        text = message[match.end() : end].removesuffix("; ").strip()
        line, key = match[1], match[2] or ""
        where = ", ".join(([f"line {line}"] if line else []) + ([f"key {key!r}"] if key else []))
        shown = f"{where}: {text}" if where else text
        field = next(
            (f for f, keys in FORM_KEYS.items() if any(key == k or key.startswith(k + ".")
                                                       or key.startswith(k + "[") for k in keys)),
            None,
        )  # fmt: skip
        if field:
            fields.setdefault(field, []).append(shown)
        else:
            other.append(shown)
    return fields, other


def starting_plan(saved: PlanVersion | None, table: str | None) -> str:
    """The saved plan, or ``metareview init``'s plan for the agreed ``table`` (CSV text;
    empty if there is none yet)."""
    if saved is not None:
        return saved.text
    if table is None:
        return ""
    with tempfile.TemporaryDirectory(prefix="metareview-init-") as folder:
        path = Path(folder) / DATA_FILE
        path.write_text(table, encoding="utf-8")
        return plan_text(load_table(path), DATA_FILE)


def _page(
    call: Call,
    *,
    text: str | None = None,
    form: PlanForm | None = None,
    message: str = "",
    errors: dict[str, list[str]] | None = None,
    toml_errors: list[str] | None = None,
    status: int = 200,
) -> Response:
    project = call.workspace.project
    try:  # read once per page: the agreed table of a large review takes a while
        table, inputs_note = extraction_csv(project), ""
    except ExtractionError as err:
        table, inputs_note = None, str(err)
    saved = current_plan(project)
    text = starting_plan(saved, table) if text is None else text
    all_runs = runs(project)
    running = next((r for r in all_runs if r.status == "running"), None)
    return render(
        call,
        "analysis.html",
        status=status,
        lead=call.role == "lead",
        text=text,
        form=form or form_of(text),
        saved=saved,
        runs=all_runs,
        prisma=runs_prisma(project, all_runs),
        running=running,
        message=message,
        errors=errors or {},
        toml_errors=toml_errors or [],
        inputs_note=inputs_note,
        choices=CHOICES,
    )


@page(MEMBERS)
def analysis(call: Call) -> Response:
    """The plan, the run button and its progress, and every run of the review."""
    return _page(call, message=call.query("message")[:200])


def _checked(text: str) -> None:
    if len(text) > MAX_PLAN_CHARS:
        raise PlanError(f"plan.toml: longer than {MAX_PLAN_CHARS:,} characters")
    with tempfile.TemporaryDirectory(prefix="metareview-plan-") as folder:
        workspace_plan(text, Path(folder))  # reads no file the plan names (no prisma.counts)


def _form_values(call: Call) -> PlanForm:
    get = call.form.get
    return PlanForm(
        title=get("title", ""),
        preset=get("preset", ""),
        measure=get("measure", ""),
        method=get("method", ""),
        ci_method=get("ci_method", ""),
        model=get("model", ""),
        outcomes=get("outcomes", ""),
        windows=get("windows", ""),
        subgroups=get("subgroups", ""),
        sensitivity=tuple(call.lists.get("sensitivity", [])),
        small_study=tuple(call.lists.get("small_study", [])),
        grade=get("grade") == "1",
        grade_design=get("grade_design", "RCT"),
        grade_mid=get("grade_mid", ""),
    )


@page(LEAD)
def save_form(call: Call) -> Response:
    """Write the form's settings into the plan; saved only if the whole plan passes its checks."""
    text = call.form.get("plan", "")
    form = _form_values(call)
    problems: list[str] = []
    try:
        new = apply_form(text, form, problems)
        _checked(new)
    except PlanError as err:
        problems.append(str(err))
    if problems:
        errors, other = problems_by_field("; ".join(problems))
        return _page(call, text=text, form=form, errors=errors, toml_errors=other,
                     message="The plan was not saved: see the messages below.", status=400)  # fmt: skip
    save_plan(call.workspace.project, new, actor=call.username)
    return _page(call, text=new, message="Plan saved.")


@page(LEAD)
def save_toml(call: Call) -> Response:
    """Save the plan as typed in the TOML editor, if it passes the plan's checks."""
    text = call.form.get("plan", "").replace("\r\n", "\n")
    try:
        _checked(text)
    except PlanError as err:
        errors, other = problems_by_field(str(err))
        shown = other + [m for messages in errors.values() for m in messages]
        return _page(call, text=text, toml_errors=shown,
                     message="The plan was not saved: see the messages below.", status=400)  # fmt: skip
    save_plan(call.workspace.project, text, actor=call.username)
    return _page(call, text=text, message="Plan saved.")


@page(LEAD)
def start(call: Call) -> Response:
    """Start a run of the saved plan on the agreed tables, in the background."""
    project = call.workspace.project
    try:
        started = start_analysis(project, actor=call.username)
    except RunInProgressError as err:
        return _page(call, message=str(err), status=409)
    except (PlanError, DataError, ExtractionError, StoreError) as err:
        return _page(call, message=f"The run was not started: {err}", status=400)
    call.workspace.analysis.submit(started.id)
    return RedirectResponse("/analysis", status_code=303)
