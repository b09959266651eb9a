"""GRADE decisions in the workspace: per outcome, the certainty GRADE proposes with each domain's
rule, and the reviewers' decisions (a domain's rating with the reason the summary-of-findings
table prints, who decided and when), kept in the study log
(:mod:`metareview.store.grade_decisions`); each analysis run adds them to its plan
(:func:`metareview.plan.grade_review.plan_text_with_decisions`).

The proposal comes from the last finished analysis run: its stored results rated as the next
run of its plan would rate them, with the standing decisions
(:func:`metareview.plan.grade_review.assess_run`). Before any run, it is what ``metareview
grade`` computes on the agreed extraction table, pooled per outcome and time point under the
chosen measure (:func:`metareview.plan.grading.propose_grades`), with each study's agreed
overall risk-of-bias judgement for that outcome.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from metareview.errors import MetareviewError, PlanError
from metareview.plan.grade_review import assess_run
from metareview.plan.grading import propose_grades
from metareview.plan.results import ReviewResults
from metareview.rob.grade import DOMAINS, UPGRADES
from metareview.rob.sof import format_effect
from metareview.stats.vocabulary import MEASURES
from metareview.store.analysis_runs import run_file, run_inputs, runs
from metareview.store.analysis_schema import DONE
from metareview.store.grade_decisions import (
    decide,
    decision_history,
    decision_pairs,
    grade_decisions,
    graded_frame,
    plan_entries,
    withdraw,
)
from metareview.web.security import MEMBERS, SCREENERS, Call, page, render

LEVELS = {0: "no change", -1: "−1 (serious)", -2: "−2 (very serious)", 1: "+1 (rate up)",
          2: "+2 (rate up)"}  # fmt: skip
MAX_TEXT = 2000


def measure_of(call: Call) -> str:
    """The effect measure the proposal pools with (``SMD`` unless another is chosen)."""
    measure = call.form.get("measure") or call.query("measure", "SMD")
    if measure not in MEASURES:
        raise HTTPException(404)
    return measure


def _from_run(call: Call) -> dict[str, Any] | None:
    """The proposal from the last finished run, or ``None`` before any."""
    project = call.workspace.project
    done = next((r for r in runs(project) if r.status == DONE), None)
    data = run_file(project, done.id, "results.json") if done else None
    if done is None or data is None:
        return None
    found: dict[str, Any] = {"run": done, "assessments": (), "outcomes": (), "problem": ""}
    try:
        results = ReviewResults.from_dict(json.loads(data))
        plan_text = run_inputs(project, done.id).plan_text
        found["assessments"], found["outcomes"] = assess_run(
            results, plan_text, plan_entries(project)
        )
    except MetareviewError as err:
        found["problem"] = str(err)
    return found


def _from_table(call: Call, measure: str) -> dict[str, Any]:
    """The proposal from the agreed extraction table, as ``metareview grade`` rates it."""
    project = call.workspace.project
    proposal = propose_grades(graded_frame(project), measure, decisions=decision_pairs(project))
    return {
        "run": None,
        "inputs": proposal.inputs,
        "assessments": proposal.assessments,
        "dropped": proposal.dropped,
        "outcomes": proposal.outcomes,
        "problem": proposal.problem,
    }


def _page(call: Call, *, message: str = "", failed: bool = False, form=None) -> Response:
    project = call.workspace.project
    measure = measure_of(call)
    found = _from_run(call) or _from_table(call, measure)
    outcomes = found["outcomes"]
    standing = grade_decisions(project)
    return render(
        call,
        "grade.html",
        409 if failed else 200,
        measure=measure,
        measures=MEASURES,
        run=found["run"],
        assessments=found["assessments"],
        dropped=found.get("dropped", ()),
        effect=format_effect,
        problem=found["problem"],
        inputs=found.get("inputs"),
        outcomes=outcomes,
        standing=standing,
        stray=[d for d in standing if d.outcome is not None and d.outcome not in outcomes],
        history=decision_history(project)[::-1],
        domains=[*DOMAINS, *UPGRADES],
        levels=LEVELS,
        message=message,
        failed=failed,
        form=form or {},
    )


@page(MEMBERS)
def grade_page(call: Call) -> Response:
    """Each outcome's proposed certainty with its rules, and the reviewers' decisions."""
    return _page(call)


@page(SCREENERS)
def record_decision(call: Call) -> Response:
    """Record a decision on one domain for one outcome (or every outcome), with its reason;
    refused (at the form, nothing lost) without a reason."""
    form = {k: v[:MAX_TEXT] for k, v in call.form.items() if k != "csrf_token"}
    levels = form.get("levels", "")
    try:
        if levels not in ("0", "-1", "-2", "1", "2"):
            raise PlanError("choose the levels: 0, -1 or -2 (or +1, +2 to rate up)")
        decide(
            call.workspace.project,
            form.get("outcome") or None,
            form.get("domain", ""),
            int(levels),
            form.get("reason", ""),
            actor=call.username,
        )
    except PlanError as err:
        return _page(call, message=str(err), failed=True, form=form)
    measure = measure_of(call)
    return RedirectResponse(f"/grade?measure={measure}", status_code=303)


@page(SCREENERS)
def withdraw_decision(call: Call) -> Response:
    """Withdraw a standing decision; the proposal applies again."""
    try:
        withdraw(
            call.workspace.project,
            call.form.get("outcome") or None,
            call.form.get("domain", ""),
            actor=call.username,
            reason=call.form.get("reason", "")[:MAX_TEXT],
        )
    except PlanError as err:
        return _page(call, message=str(err), failed=True)
    return RedirectResponse(f"/grade?measure={measure_of(call)}", status_code=303)
