"""What the review's risk-of-bias figures show: the judgements of every included study, from
the plan's ``[rob]`` columns (:func:`rob_table`, drawn by
:func:`metareview.report.rob_plots.rob_figure` as a robvis traffic-light plot and a summary bar
plot); and the judgements the reviewers agreed against the RoB 2 algorithm's proposal
(``[[rob.override]]``), each with a footnote giving the proposal and the justification
(:func:`override_notes`).

>>> from metareview.plan.results import AnalysisRecord, ReviewResults
>>> rows = [{"study": "A", "d1": "Low", "d2": "High", "rob": "High"},
...         {"study": "B", "d1": "Some concerns", "d2": "Low", "rob": "Some concerns"}]
>>> record = AnalysisRecord(spec={"id": "x"}, status="ok", input=rows)
>>> results = ReviewResults("t", "0", "k", {"rob": {"column": "rob", "domains": ["d1", "d2"]}},
...                         {}, (record,))
>>> table = rob_table(results)
>>> table.studies, [str(j) for j in table.overall]
(('A', 'B'), ['High', 'Some concerns'])
"""

from __future__ import annotations

from metareview.plan.plan import Plan
from metareview.plan.results import ReviewResults
from metareview.rob.table import RobTable
from metareview.rob.vocabulary import Judgement, parse_judgement

ROB2_DOMAINS = (
    "Bias arising from the randomisation process",
    "Bias due to deviations from intended interventions",
    "Bias due to missing outcome data",
    "Bias in measurement of the outcome",
    "Bias in selection of the reported result",
)


def rob_table(results: ReviewResults) -> RobTable | None:
    """One row per study in any analysis (its first row), or ``None`` without ``rob.domains``."""
    plan = results.typed_plan
    domains = plan.rob_domains
    if not domains:
        return None
    overall_column = plan.rob_column
    first: dict[str, dict] = {}
    for record in results.analyses:
        for row in record.input:
            first.setdefault(str(row["study"]), row)
    names = plan.rob_domain_names or (ROB2_DOMAINS if len(domains) == 5 else domains)
    studies = sorted(first)

    def judgement(value: object) -> Judgement:
        return parse_judgement(value) or Judgement.NO_INFORMATION

    return RobTable(
        tool=plan.rob_tool,
        domains=tuple(f"D{i}" for i in range(1, len(domains) + 1)),
        domain_names=tuple(names),
        studies=tuple(studies),
        judgements=tuple(tuple(judgement(first[s].get(d)) for d in domains) for s in studies),
        overall=tuple(judgement(first[s].get(overall_column)) for s in studies),
    )


def override_notes(plan: Plan) -> list[dict[str, str]]:
    """The plan's ``[[rob.override]]`` entries as the report lists them, sorted by study,
    result and domain, each with its footnote mark (a, b, …, z, aa, …).

    >>> from metareview.plan.plan import parse_plan
    >>> plan = parse_plan('''[data]
    ... file = "x.csv"
    ... [[category]]
    ... name = "Pain"
    ... [[rob.override]]
    ... study = "Lee"
    ... domain = "D3"
    ... proposed = "High"
    ... judgement = "Some concerns"
    ... justification = "missing data balanced across arms"
    ... ''', source="plan.toml")
    >>> [(n["mark"], n["study"], n["result"], n["judgement"]) for n in override_notes(plan)]
    [('a', 'Lee', '', 'Some concerns')]
    """
    ordered = sorted(
        plan.rob_overrides, key=lambda o: (o["study"], o.get("result", ""), o["domain"])
    )
    return [
        {"result": "", **override, "mark": _mark(index)} for index, override in enumerate(ordered)
    ]


def unmatched_overrides(results: ReviewResults) -> tuple[str, ...]:
    """A warning for each ``[[rob.override]]`` naming a study that no analysis includes: the
    report lists it, but it marks no study's judgement (a misspelt name, or a study whose data
    were left out).

    >>> from metareview.plan.results import AnalysisRecord, ReviewResults
    >>> record = AnalysisRecord(spec={"id": "x"}, status="ok", input=[{"study": "Lee"}])
    >>> plan = {"rob": {"override": [{"study": "Le", "domain": "D3", "judgement": "Low"}]}}
    >>> unmatched_overrides(ReviewResults("t", "0", "k", plan, {}, (record,)))
    ("[[rob.override]] for study 'Le' (D3): no analysis includes this study, so it marks no judgement",)
    """
    studies = {str(row["study"]) for record in results.analyses for row in record.input}
    return tuple(
        f"[[rob.override]] for study {o['study']!r} ({o['domain']}): no analysis includes "
        "this study, so it marks no judgement"
        for o in override_notes(results.typed_plan)
        if str(o["study"]) not in studies
    )


def _mark(index: int) -> str:
    """Footnote marks a … z, then aa, ab, …"""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return letters[index] if index < 26 else _mark(index // 26 - 1) + letters[index % 26]
