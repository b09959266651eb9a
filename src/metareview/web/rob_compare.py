"""The comparison of a complete risk-of-bias assessment and its consensus: every item the
assessors answered differently, each assessor's judgements, the consensus recorded on each item
with who agreed it and when, and the agreed assessment once nothing differs without consensus.

The store refuses all of this until every assessor has submitted
(:func:`~metareview.store.rob_assessment.compare_rob`), so before that the page is a refusal
naming only how many have submitted.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from metareview.errors import DataError, ExtractionError
from metareview.rob.items import CLUSTER, LIKELY_BIASED, OVERRIDE
from metareview.rob.rob1 import ROB1
from metareview.rob.rob2 import QUESTION_BY_ID
from metareview.store.rob_assessment import (
    agree_rob,
    agreed_rob,
    compare_rob,
    item_of,
    rob_consensus,
    rob_progress,
)
from metareview.web.rob_pages import (
    MAX_TEXT,
    OVERRIDE_LEVELS,
    ROB1_LEVELS,
    assessment_of,
    messages_of,
    options_of,
)
from metareview.web.security import MEMBERS, SCREENERS, Call, page, render

MAX_NAMES, MAX_NAME = 10, 100


def shown(value: Any) -> str:
    """An item's value as text: an override as ``High — its justification``.

    >>> shown({"judgement": "High", "justification": "30% lost"}), shown(True), shown(None)
    ('High — 30% lost', 'yes', '—')
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return f"{value['judgement']} — {value['justification']}"
    return str(value)


def choices(item: str) -> tuple[str, list[str]]:
    """How the consensus on ``item`` is entered: a kind (``select``, ``override``, ``text``)
    and the options."""
    if item in QUESTION_BY_ID:
        return "select", options_of(QUESTION_BY_ID[item])
    if item in (CLUSTER, LIKELY_BIASED):
        return "select", ["yes", "no"]
    if item.endswith(OVERRIDE):
        return "override", list(OVERRIDE_LEVELS)
    if item in ROB1.keys:
        return "select", list(ROB1_LEVELS)
    return "text", []


def posted_value(item: str, form: dict[str, str]) -> Any:
    """The agreed value a consensus form posts for ``item``, as the store takes it."""
    value = form.get("value", "")[:MAX_TEXT].strip()
    if item in (CLUSTER, LIKELY_BIASED):
        return {"yes": True, "no": False}.get(value)
    if item.endswith(OVERRIDE):
        why = form.get("justification", "")[:MAX_TEXT].strip()
        return (value, why) if value or why else None
    return value or None


def _page(
    call: Call, study: int, result: str, *, messages=None, notice: str = "", status: int = 200
) -> Response:
    project = call.workspace.project
    try:
        comparison = compare_rob(project, study, result)
    except ExtractionError as err:
        state = rob_progress(project, study, result)
        return render(call, "rob_compare.html", 409, state=state, refused=str(err))
    agreed = agreed_rob(project, study, result)
    consensus = {}
    for event in rob_consensus(project, study, result):
        consensus[item_of(event)] = event  # the latest consensus on each item
    return render(
        call,
        "rob_compare.html",
        status,
        state=comparison.progress,
        comparison=comparison,
        agreed=agreed,
        consensus=consensus,
        shown=shown,
        choices=choices,
        messages=messages or {},
        notice=notice,
        refused="",
        can_agree=call.role in SCREENERS,
    )


@page(MEMBERS)
def comparison(call: Call) -> Response:
    """Every item that differs between the assessors, and the consensus (once all submitted;
    viewers read it, without the consensus forms)."""
    study, result = assessment_of(call)
    return _page(call, study, result)


@page(SCREENERS)
def agree(call: Call) -> Response:
    """Record the agreed value of one item, who agreed it (default: the assessors) and a note."""
    study, result = assessment_of(call)
    item = call.form.get("item", "")[:MAX_NAME]
    names = [n.strip()[:MAX_NAME] for n in call.form.get("agreed_by", "").split(",")]
    names = list(dict.fromkeys(n for n in names if n))[:MAX_NAMES]
    project = call.workspace.project
    try:
        agree_rob(
            project,
            study,
            result,
            item,
            posted_value(item, call.form),
            actor=call.username,
            agreed_by=names or rob_progress(project, study, result).submitted,
            note=call.form.get("note", "")[:MAX_TEXT],
        )
    except DataError as err:
        messages = {f"agree_{item}": m for m in messages_of(err, result).values()}
        return _page(call, study, result, messages=messages, status=409)
    except ExtractionError as err:
        return _page(call, study, result, notice=str(err), status=409)
    return _page(call, study, result, notice=f"Consensus on {item} recorded.")
