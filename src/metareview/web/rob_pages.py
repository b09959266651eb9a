"""Risk of bias in the workspace: the lead's settings, each assessor's RoB 2 or RoB 1 form with
the algorithm's proposals updated as they answer, submission, and the overview with the
robvis export and figures. Comparison and consensus are in :mod:`metareview.web.rob_compare`.

**Blinding.** An assessor's form shows only :func:`~metareview.store.rob_assessment.rob_view`,
which reads their own rows; the overview shows only who started and who submitted each
assessment (:func:`~metareview.store.rob_assessment.rob_assessments`); the comparison, the
exports and the figures use the agreed items, which the store refuses until every assessor has
submitted. No page here can show one assessor's answers to another before that.

The form posts every field on each change (htmx); the store checks all of them and stores
nothing while one is wrong (an override without a written justification, an answer a question
does not allow), and the form comes back with the posted values and the store's message at
each wrong field, so nothing typed is lost.
"""

from __future__ import annotations

import io
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import Response

from metareview.errors import DataError, ExtractionError
from metareview.rob.items import CLUSTER, LIKELY_BIASED, OVERRIDE, SUPPORT, TOOLS
from metareview.rob.rob1 import ROB1
from metareview.rob.rob2 import (
    CLUSTER_DOMAINS,
    DOMAINS,
    QUESTIONS,
    STANDARD_DOMAINS,
    Rob2Assessment,
)
from metareview.rob.vocabulary import Answer
from metareview.store.extraction import required_people, studies
from metareview.store.rob_assessment import (
    ASSESSORS,
    answer,
    cluster_design,
    rob_assessments,
    rob_export,
    rob_tool,
    rob_view,
    set_assessors_required,
    set_rob_tool,
    submit_rob,
)
from metareview.web.security import LEAD, MEMBERS, SCREENERS, Call, page, render

TOOL_NAMES = {"rob2": "RoB 2", "rob1": "RoB 1 (original Cochrane tool, with the AHRQ rating)"}
OVERRIDE_LEVELS = ("Low", "Some concerns", "High")
ROB1_LEVELS = ("Low", "Unclear", "High")
MAX_RESULT, MAX_TEXT = 200, 5000


# --- what a request names ----------------------------------------------------------------


def study_of(call: Call, value: str) -> int:
    """A study number from a URL or form; a 404 for anything that is not a study."""
    if not value.isdigit() or len(value) > 9:
        raise HTTPException(404)
    number = int(value)
    if number not in {s.number for s in studies(call.workspace.project)}:
        raise HTTPException(404)
    return number


def result_of(value: str) -> str:
    """The result (e.g. the outcome) an assessment is of: non-blank, at most 200 characters."""
    result = " ".join(value.split())
    if not result or len(result) > MAX_RESULT:
        raise HTTPException(404)
    return result


def assessment_of(call: Call) -> tuple[int, str]:
    """The study and result a request names (form fields, else query parameters)."""
    study = call.form.get("study") or call.query("study")
    return study_of(call, study), result_of(call.form.get("result") or call.query("result"))


# --- form fields <-> the store's items --------------------------------------------------------


def field_of(item: str) -> str:
    """The form field holding an item: ``1.1`` → ``q_1.1``, ``D3 override`` → ``override_D3``,
    ``sequence_generation support`` → ``s_sequence_generation``.

    >>> [field_of(i) for i in ("1.1", "D3 override", "sequence_generation", "cluster")]
    ['q_1.1', 'override_D3', 'j_sequence_generation', 'cluster']
    """
    if item.endswith(OVERRIDE):
        return "override_" + item.removesuffix(OVERRIDE)
    if item.endswith(SUPPORT):
        return "s_" + item.removesuffix(SUPPORT)
    if item in (CLUSTER, LIKELY_BIASED):
        return item
    return ("j_" if item in ROB1.keys else "q_") + item


def shown_values(items: dict[str, Any]) -> dict[str, str]:
    """Stored items as the form shows them (field name → text)."""
    shown: dict[str, str] = {}
    for item, value in items.items():
        if value is None:
            continue
        name = field_of(item)
        if isinstance(value, bool):
            shown[name] = "yes" if value else "no"
        elif isinstance(value, dict):  # an override
            shown[name] = value["judgement"]
            shown["justification_" + item.removesuffix(OVERRIDE)] = value["justification"]
        else:
            shown[name] = str(value)
    return shown


def _flag(text: str) -> bool | None:
    return {"yes": True, "no": False}.get(text)


def posted_items(tool: str, form: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answers and overrides a posted form holds, as :func:`answer` takes them (only the
    fields of the tool's form are read; text is capped at 5,000 characters).

    >>> posted_items("rob2", {"q_1.1": "Y", "override_D3": "High", "justification_D3": "",
    ...                       "csrf_token": "x"})
    ({'1.1': 'Y'}, {'D3': ('High', '')})
    """
    items: dict[str, Any] = {}
    overrides: dict[str, Any] = {}
    text = {k: v[:MAX_TEXT] for k, v in form.items()}
    if tool == "rob1":
        for key in ROB1.keys:
            if "j_" + key in text:
                items[key] = text["j_" + key]
            if "s_" + key in text:
                items[key + SUPPORT] = text["s_" + key]
        if LIKELY_BIASED in text:
            items[LIKELY_BIASED] = _flag(text[LIKELY_BIASED])
        return items, overrides
    if CLUSTER in text:
        items[CLUSTER] = bool(_flag(text[CLUSTER]))
    for question in QUESTIONS:
        if "q_" + question.id in text:
            items[question.id] = text["q_" + question.id]
    for domain in (*CLUSTER_DOMAINS, "Overall"):
        if "override_" + domain not in text and "justification_" + domain not in text:
            continue
        judgement = text.get("override_" + domain, "").strip()
        why = text.get("justification_" + domain, "").strip()
        overrides[domain] = (judgement, why) if judgement or why else None
    return items, overrides


def messages_of(err: DataError, result: str) -> dict[str, str]:
    """The store's message for each wrong item, by the form field it belongs at."""
    out: dict[str, str] = {}
    for problem in err.problems:
        item = (problem.column or "").removeprefix(f"{result}: ")
        out[field_of(item)] = problem.message
    return out


# --- pages ------------------------------------------------------------------------------------


def rob2_sections(cluster: bool) -> list[tuple[str, str, list]]:
    """The RoB 2 form's sections: each domain (with 1b in a cluster trial) and its questions."""
    domains = CLUSTER_DOMAINS if cluster else STANDARD_DOMAINS
    return [(d, DOMAINS[d], [q for q in QUESTIONS if q.domain == d]) for d in domains]


def options_of(question) -> list[str]:
    """The answers a question allows, in the tool's order (NA where it is asked conditionally)."""
    allowed = set(question.allowed) | ({Answer.NA} if question.asked_if else set())
    return [a.value for a in Answer if a in allowed]


def _assess_page(
    call: Call,
    study: int,
    result: str,
    *,
    shown: dict[str, str] | None = None,
    messages: dict[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> Response:
    project = call.workspace.project
    view = rob_view(project, study, result, call.username)
    state = view.progress
    if shown is None:
        shown = shown_values(view.items)
        if state.tool == "rob2" and CLUSTER not in view.items:
            shown[CLUSTER] = "yes" if cluster_design(project, study, call.username) else "no"
    statuses = {d.domain: d for d in view.domains}
    results = {d.domain: d.result for d in view.domains}
    if isinstance(view.assessment, Rob2Assessment):  # with the overrides applied
        results |= {d.domain: d for d in view.assessment.domains}
    full = len(state.assessors) >= state.required and call.username not in state.assessors
    return render(
        call,
        _template(call),
        status,
        state=state,
        tool_name=TOOL_NAMES[state.tool],
        shown=shown,
        messages=messages or {},
        notice=notice,
        failed=status >= 400,
        statuses=statuses,
        results=results,
        assessment=view.assessment,
        submitted=call.username in state.submitted,
        full=full,
        sections=rob2_sections(shown.get(CLUSTER) == "yes"),
        options_of=options_of,
        override_levels=OVERRIDE_LEVELS,
        rob1_domains=ROB1.domains,
        rob1_levels=ROB1_LEVELS,
    )


def _template(call: Call) -> str:
    """The whole page; for htmx, the whole form when it asks for it (a cluster trial changes
    the domains, a submission locks the form), else only what a save changes."""
    if not call.htmx:
        return "rob_assess.html"
    if call.request.headers.get("hx-target") == "rob-assessment":
        return "_rob_form.html"
    return "_rob_saved.html"


@page(SCREENERS)
def assess_form(call: Call) -> Response:
    """The assessor's own form for one study and result, with the proposed judgements."""
    study, result = assessment_of(call)
    return _assess_page(call, study, result)


@page(SCREENERS)
def save_answers(call: Call) -> Response:
    """Store the assessor's answers and overrides (all of them, or none while one is wrong)."""
    study, result = assessment_of(call)
    project = call.workspace.project
    tool = rob_tool(project)
    items, overrides = posted_items(tool, call.form)
    shown = {k: v[:MAX_TEXT] for k, v in call.form.items() if k not in ("csrf_token",)}
    try:
        answer(project, study, result, items, assessor=call.username, overrides=overrides)
    except DataError as err:
        notice = "Nothing was saved: correct the marked fields (your entries are kept below)."
        messages = messages_of(err, result)
        return _assess_page(
            call, study, result, shown=shown, messages=messages, notice=notice, status=409
        )
    except ExtractionError as err:
        return _assess_page(call, study, result, shown=shown, notice=str(err), status=409)
    return _assess_page(call, study, result, notice="Saved.")


@page(SCREENERS)
def submit(call: Call) -> Response:
    """Submit the assessor's assessment (refused while a domain waits for an answer)."""
    study, result = assessment_of(call)
    try:
        submit_rob(call.workspace.project, study, result, assessor=call.username)
    except DataError as err:
        notice = "Not submitted: a domain still waits for an answer (marked below)."
        waiting = {f"domain_{p.column.removeprefix(f'{result}: ')}": p.message
                   for p in err.problems if p.column}  # fmt: skip
        return _assess_page(call, study, result, messages=waiting, notice=notice, status=409)
    except ExtractionError as err:
        return _assess_page(call, study, result, notice=str(err), status=409)
    return _assess_page(call, study, result, notice="Submitted. Your answers can no longer change.")


def overridden(details) -> list[dict[str, Any]]:
    """The rows of an export's details where a reviewer overrode the proposal (RoB 2)."""
    if "overridden" not in details:
        return []
    return details[details["overridden"].fillna(False).astype(bool)].to_dict("records")


def _overview(call: Call, message: str = "", status: int = 200) -> Response:
    project = call.workspace.project
    progress = rob_assessments(project)
    results = list(dict.fromkeys(p.result for p in progress))
    exports = {r: rob_export(project, r) for r in results}
    overrides = {r: overridden(e.details) for r, e in exports.items()}
    with project.engine.connect() as connection:
        required = required_people(connection, ASSESSORS)
    return render(
        call,
        "rob.html",
        status,
        studies=studies(project),
        progress=progress,
        results=results,
        exports=exports,
        overrides=overrides,
        tool=rob_tool(project),
        tools=TOOL_NAMES,
        required=required,
        message=message,
    )


@page(MEMBERS)
def overview(call: Call) -> Response:
    """Every assessment begun (who started and submitted it, never an answer), the agreed
    judgements' figures and, for the lead, the settings and the robvis export."""
    return _overview(call)


@page(LEAD)
def save_settings(call: Call) -> Response:
    """The review's tool (RoB 2 or RoB 1) and assessors per assessment (1 or 2); neither can
    change once an assessment has begun."""
    project = call.workspace.project
    tool = call.form.get("tool", "")
    required = call.form.get("assessors", "")
    try:
        if tool not in TOOLS or required not in ("1", "2"):
            raise ExtractionError("choose RoB 2 or RoB 1, and 1 or 2 assessors")
        if tool != rob_tool(project):
            set_rob_tool(project, tool, actor=call.username)
        set_assessors_required(project, int(required), actor=call.username)
    except ExtractionError as err:
        return _overview(call, str(err), 409)
    return _overview(call, "Settings saved.")


def _export(call: Call) -> tuple[str, Any]:
    result = result_of(call.query("result"))
    export = rob_export(call.workspace.project, result)
    if export.table is None:
        raise HTTPException(409, f"no agreed assessment of {result!r} yet")
    if export.left_out and call.query("partial") != "1":
        raise HTTPException(
            409,
            f"{len(export.left_out)} assessment(s) of {result!r} not agreed: "
            + "; ".join(f"{k} ({v})" for k, v in export.left_out.items())
            + " (add partial=1 to download the others)",
        )
    return result, export


def _csv(frame, name: str) -> Response:
    from metareview.data.spreadsheet import safe_frame

    data = safe_frame(frame).to_csv(index=False).encode("utf-8")
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type="text/csv; charset=utf-8", headers=headers)


@page(LEAD)
def robvis_csv(call: Call) -> Response:
    """The agreed judgements of one result in the robvis layout (``records export-rob``)."""
    _, export = _export(call)
    return _csv(export.table.to_frame(), "rob-robvis.csv")


@page(LEAD)
def details_csv(call: Call) -> Response:
    """How each agreed judgement came about; RoB 2 overrides flagged with the justification."""
    _, export = _export(call)
    return _csv(export.details, "rob-details.csv")


@page(MEMBERS)
def figure(call: Call) -> Response:
    """The robvis traffic-light (``kind=traffic``) or summary (``kind=summary``) figure of the
    agreed judgements of one result, drawn by the report's code, as SVG."""
    from metareview.report.rob_plots import rob_figure

    kind = call.query("kind", "traffic")
    if kind not in ("traffic", "summary"):
        raise HTTPException(404)
    raw = call.query("result")
    result = " ".join(raw.split())[:MAX_RESULT]
    table = rob_export(call.workspace.project, result).table if result else None
    buffer = io.BytesIO()
    with call.workspace.drawing:
        if table is None:
            from matplotlib.figure import Figure

            drawn = Figure(figsize=(5, 0.6))
            drawn.text(0.5, 0.5, "No agreed assessment of this result yet", ha="center")
        else:
            drawn = rob_figure(table, kind)
        drawn.savefig(buffer, format="svg")
    return Response(buffer.getvalue(), media_type="image/svg+xml")
