"""The screening part of a review's methods paragraph: who screened, the prioritisation, and
the stopping rule with the recall it reached in simulation.

A review that stops prioritised screening early must say by which rule and how safe that
rule is. :func:`screening_methods_text` writes that paragraph; the recall a rule reached in
simulation comes from :func:`simulated_recall`, the table ``benchmarks/stopping_evaluation.py``
writes (nine SYNERGY reviews × ten seeds; ``stopping_recall.json`` beside this module), or
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
from dataclasses import fields
from functools import cache
from pathlib import Path
from typing import Any

from metareview.records.screening import DEFAULT_RANKING_MODEL
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
def _table() -> dict[str, Any]:
    return json.loads(TABLE.read_text(encoding="utf-8"))


def simulated_recall(rule: str) -> tuple[RuleEvaluation, str] | None:
    """The recall at stopping ``rule`` reached in the project's own SYNERGY simulation, and a
    description of that simulation; ``None`` for a rule not simulated.

    >>> evaluation, where = simulated_recall("buscar")
    >>> evaluation.runs >= 90 and "SYNERGY" in where
    True
    """
    key = rule_key(rule)
    if key is None:
        return None
    table = _table()
    rows = [row for row in table["rules"] if rule_key(row["rule"]) == key]
    # the row the logged name spells out (e.g. "50 consecutive irrelevant"), else the first
    rows.sort(key=lambda row: row["rule"].lower() not in rule.lower())
    if not rows:
        return None
    names = {f.name for f in fields(RuleEvaluation)}
    return RuleEvaluation(**{k: v for k, v in rows[0].items() if k in names}), table["setting"]


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
    ranking_model: str = DEFAULT_RANKING_MODEL,
) -> str:
    """The screening paragraph of the methods.

    ``ranking_model``: the built-in model that ordered the records (its ``methods`` phrase).

    ``stopped_rule``: the rule that stopped screening early (as logged), ``screened`` and
    ``set_aside`` the records screened before and left unscreened by the stop;
    ``simulated``: that rule's recall at stopping in simulation and where it was simulated
    (see :func:`simulated_recall`; ``None``: the text says it was not simulated).
    """
    who = _WORDS.get(reviewers_required, f"{reviewers_required} reviewers independently")
    text = f"Titles and abstracts of {records:,} records were screened by {who}"
    if prioritised:
        from metareview.records.active_learning import get_model  # (scikit-learn: lazily)

        text += f", in the order of {get_model(ranking_model).methods}"
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
