"""The screening part of a review's methods paragraph: who screened, the prioritisation, and
the stopping rule with the recall it reached in simulation.

A review that stops prioritised screening early must say by which rule and how safe that
rule is. :func:`screening_methods_text` writes that paragraph; the recall a rule reached in
simulation comes from :func:`simulated_recall`, the table ``benchmarks/stopping_evaluation.py``
writes (nine SYNERGY reviews × ten seeds, per ranking model: ``stopping_recall.json`` beside
this module for ``svm``, ``stopping_recall_minilm.json`` for ``minilm``), or
from the caller's own :class:`~metareview.records.stopping_evaluation.RuleEvaluation`.

>>> text = screening_methods_text(records=1200, reviewers_required=2, prioritised=True,
...                               stopped_rule="buscar", screened=700, set_aside=500,
...                               simulated=None)
>>> print(text)  # doctest: +NORMALIZE_WHITESPACE
Titles and abstracts of 1,200 records were screened by two reviewers independently, in
the order of an active-learning model (TF-IDF features of title and abstract, a linear
support vector machine retrained after each decision, with 100 records not yet screened
taken as presumed irrelevant at each retrain). Screening stopped after 700
records by the stopping rule of Callaghan and Müller-Hansen (buscar; a hypergeometric
test of recall below the target); the 500 records not screened were marked as ineligible
by an automation tool. The recall this rule reaches was not simulated.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import fields
from functools import cache
from pathlib import Path
from typing import Any

from metareview.records.events import Event, EventKind, parse_enum
from metareview.records.ranking_choices import RANKING_CHOICES
from metareview.records.screening import DEFAULT_RANKING_MODEL, RANKING_SETTING, Stage
from metareview.records.stopping_evaluation import RuleEvaluation

TABLE = Path(__file__).with_name("stopping_recall.json")

#: How the methods text names each rule (key: see :func:`rule_key`).
RULE_NAMES = {
    "buscar": "the stopping rule of Callaghan and Müller-Hansen (buscar; a hypergeometric "
    "test of recall below the target)",
    "knee": "the knee method of Cormack and Grossman",
    "safe": "the SAFE procedure's heuristics of Boetje and van de Schoot",
    "consecutive": "a run of consecutive irrelevant records",
}
_WORDS = {1: "one reviewer", 2: "two reviewers independently", 3: "three reviewers independently"}


def rule_key(rule: str) -> str | None:
    """Which known rule a rule's name (as logged, or as a simulation names it) is.

    >>> rule_key("Callaghan & Müller-Hansen (recall 0.95, alpha 0.05)"), rule_key("knee")
    ('buscar', 'knee')
    >>> rule_key("SAFE: 50 irrelevant in a row"), rule_key("100 consecutive irrelevant")
    ('safe', 'consecutive')
    >>> rule_key("gut feeling") is None
    True
    """
    text = rule.lower()
    for key, words in (
        ("buscar", ("buscar", "callaghan")),
        ("knee", ("knee", "cormack")),
        ("safe", ("safe", "boetje")),
        ("consecutive", ("consecutive", "in a row")),
    ):
        if any(word in text for word in words):
            return key
    return None


@cache
def _table(model: str) -> dict[str, Any]:
    """The stopping evaluation of the built-in ranking model ``model``, or of the default's
    for a model that was not simulated (its description says which model it was)."""
    path = TABLE
    if model in {choice.name for choice in RANKING_CHOICES}:  # (never a path from the log)
        own = TABLE.with_name(f"stopping_recall_{model}.json")
        path = own if own.is_file() else TABLE
    return json.loads(path.read_text(encoding="utf-8"))


def simulated_recall(
    rule: str, model: str = DEFAULT_RANKING_MODEL
) -> tuple[RuleEvaluation, str] | None:
    """The recall at stopping ``rule`` reached in the project's own SYNERGY simulation with the
    ranking model ``model`` (the default's, for a model not simulated), and a description of
    that simulation; ``None`` for a rule not simulated.

    >>> evaluation, where = simulated_recall("buscar", "minilm")
    >>> evaluation.runs >= 90 and "SYNERGY" in where and "minilm" in where
    True
    >>> "model svm" in simulated_recall("knee", "nb")[1]
    True
    """
    key = rule_key(rule)
    if key is None:
        return None
    table = _table(model)
    rows = [row for row in table["rules"] if rule_key(row["rule"]) == key]
    # the row the logged name spells out (e.g. "50 consecutive irrelevant"), else the first
    rows.sort(key=lambda row: row["rule"].lower() not in rule.lower())
    if not rows:
        return None
    names = {f.name for f in fields(RuleEvaluation)}
    return RuleEvaluation(**{k: v for k, v in rows[0].items() if k in names}), table["setting"]


def ranking_history(
    events: Iterable[Event], stage: str = "ta", among: Collection[int] | None = None
) -> tuple[tuple[str, int], ...]:
    """The ranking models that ordered a stage's records, in the order used, each with the
    number of records screened under it; ``()`` before the first vote.

    A record counts under the model in force (the ``ranking_model`` setting, ``svm`` until
    set) when its first standing vote was cast, when that model brought it to a reviewer (a
    vote changed later counts when first cast); a withdrawn vote does not count. A model that ordered no record is left out: one chosen
    before the first vote is the only model, and one replaced before any record was voted
    on under it is no model at all. ``among``: only these records (those the stage screens).

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> def voted(i, record_id, who="ana"):
    ...     return Event(i, t, who, EventKind.DECISION, "ta", record_id, "exclude")
    >>> def chose(i, model):
    ...     return Event(i, t, "lead", EventKind.SETTING, value="ranking_model",
    ...                  data={"value": model})
    >>> ranking_history([chose(1, "nb"), voted(2, 1), voted(3, 2), voted(4, 1, "ben"),
    ...                  chose(5, "minilm"), voted(6, 2, "ben"), voted(7, 3)])
    (('nb', 2), ('minilm', 1))
    >>> ranking_history([chose(1, "minilm")])
    ()
    """
    events = tuple(events)
    stage = parse_enum(Stage, stage, "stage").value
    brought: dict[int, dict[str, int]] = {}  # record → reviewer → their standing vote's first
    for e in events:  # (a changed vote keeps its first: the record never left their hands)
        if e.stage != stage or e.record_id is None:
            continue
        if e.kind == EventKind.DECISION:
            brought.setdefault(e.record_id, {}).setdefault(e.actor, e.id)
        elif e.kind == EventKind.UNDO:
            brought.get(e.record_id, {}).pop(e.actor, None)
    firsts = {
        min(votes.values())
        for record_id, votes in brought.items()
        if votes and (among is None or record_id in among)
    }
    model, history = DEFAULT_RANKING_MODEL, []
    for event in events:
        if event.kind == EventKind.SETTING and event.value == RANKING_SETTING:
            model = str(event.data["value"])
        elif event.id in firsts:
            if history and history[-1][0] == model:
                history[-1][1] += 1
            else:
                history.append([model, 1])
    return tuple((name, count) for name, count in history)


def _ordering(ranking_model: str | Sequence[tuple[str, int]]) -> str:
    """How the records were ordered: one model's ``methods`` phrase, or each model's in the
    order used with the records screened under it (see :func:`ranking_history`).

    >>> print(_ordering([("svm", 412), ("nb", 30), ("minilm", 288)]))  # doctest: +ELLIPSIS
    in the order of ... for the first 412 records screened, of ... naive Bayes ... for the next 30 and of ... all-MiniLM-L6-v2) for the 288 screened thereafter
    """
    from metareview.records.active_learning import get_model  # (scikit-learn: lazily)

    if isinstance(ranking_model, str):
        ranking_model = [(ranking_model, 0)]
    (first, screened), *rest = [(get_model(name).methods, n) for name, n in ranking_model]
    if not rest:
        return f"in the order of {first}"
    firsts = "record" if screened == 1 else f"{screened:,} records"
    spells = [f"in the order of {first} for the first {firsts} screened"]
    spells += [f"of {methods} for the next {n:,}" for methods, n in rest[:-1]]
    methods, n = rest[-1]
    return ", ".join(spells) + f" and of {methods} for the {n:,} screened thereafter"


def screening_methods_text(
    *,
    records: int,
    reviewers_required: int,
    prioritised: bool = True,
    stopped_rule: str | None = None,
    screened: int | None = None,
    set_aside: int = 0,
    simulated: tuple[RuleEvaluation, str] | None = None,
    recall_target: float = 0.95,
    ranking_model: str | Sequence[tuple[str, int]] = DEFAULT_RANKING_MODEL,
) -> str:
    """The screening paragraph of the methods.

    ``ranking_model``: the built-in model that ordered the records (its ``methods`` phrase),
    or, when the lead changed it during screening, each model in the order used with the
    records screened under it (:func:`ranking_history`; one model: as its name alone).

    ``stopped_rule``: the rule that stopped screening early (as logged), ``screened`` and
    ``set_aside`` the records screened before and left unscreened by the stop;
    ``simulated``: that rule's recall at stopping in simulation and where it was simulated
    (see :func:`simulated_recall`; ``None``: the text says it was not simulated).
    """
    who = _WORDS.get(reviewers_required, f"{reviewers_required} reviewers independently")
    text = f"Titles and abstracts of {records:,} records were screened by {who}"
    if prioritised:
        text += f", {_ordering(ranking_model)}"
    text += "."
    if stopped_rule is None:
        return text
    key = rule_key(stopped_rule)
    name = RULE_NAMES[key] if key else f"the rule '{stopped_rule}'"
    done = f"after {screened:,} records " if screened is not None else ""
    text += (
        f" Screening stopped {done}by {name}; the {set_aside:,} records not screened were "
        "marked as ineligible by an automation tool."
    )
    if simulated is None:
        return text + " The recall this rule reaches was not simulated."
    evaluation, where = simulated
    if key == "safe":
        where += "; up to the end of SAFE's active-learning phase, before its second model"
    return text + (
        f" In simulations ({where}; {evaluation.runs} runs) this rule stopped at a mean recall "
        f"of {evaluation.mean_recall:.1%} (5th percentile {evaluation.recall_p5:.1%}; below "
        f"{recall_target:.0%} in {evaluation.below_target:.0%} of runs) and saved "
        f"{evaluation.mean_work_saved:.0%} of the screening on average."
    )
