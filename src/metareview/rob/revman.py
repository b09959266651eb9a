"""RevMan's risk-of-bias judgements as a :class:`~metareview.rob.table.RobTable`.

RevMan records judgements per study and domain (RoB 1: Low, High, Unclear risk) and no
overall judgement; the table's ``Overall`` is therefore ``No information``, and a study
without a judgement in a domain gets ``No information`` there. Domains are RevMan's, in its
order, labelled with their names.

>>> from metareview.data.revman.model import RobJudgement
>>> table = rob_table([RobJudgement("A", "Blinding?", "Low"), RobJudgement("B", "Blinding?", "High")])
>>> table.domains, table.domain_names, [j.value for j in table.column("Blinding?")]
(('Blinding?',), ('Blinding?',), ['Low', 'High'])
"""

from __future__ import annotations

from collections.abc import Sequence

from metareview.data.revman.model import RobJudgement
from metareview.rob.table import RobTable
from metareview.rob.vocabulary import Judgement, parse_judgement

TOOL = "RoB 1 (RevMan)"


def rob_table(judgements: Sequence[RobJudgement]) -> RobTable | None:
    """The judgements as a table (``None`` when there are none)."""
    if not judgements:
        return None
    domains = list(dict.fromkeys(j.domain for j in judgements))
    studies = list(dict.fromkeys(j.study for j in judgements))
    found = {(j.study, j.domain): parse_judgement(j.judgement) for j in judgements}
    return RobTable(
        tool=TOOL,
        domains=tuple(domains),
        domain_names=tuple(domains),
        studies=tuple(studies),
        judgements=tuple(
            tuple(found.get((study, domain)) or Judgement.NO_INFORMATION for domain in domains)
            for study in studies
        ),
        overall=tuple(Judgement.NO_INFORMATION for _ in studies),
    )
