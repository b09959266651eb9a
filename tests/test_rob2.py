"""Every path of every RoB 2 domain algorithm, and the overall rule.

Sources (docs/risk-of-bias.md, "How the algorithms were checked", has the addresses): the
flowcharts "Algorithm for suggested judgement of risk of bias" of the RoB 2 cribsheet and full
guidance, 22 August 2019, are images; the tables below were checked path by path against two
independent transcriptions of them (InfinityBowman/corates decision-diagrams domain-1.md,
domain-2-a.md, domain-4.md, domain-5.md; stored copy 69420887457, all five domains) and
against the guidance text where it states a rule (full guidance p. 44, section 6.3 and Box 8
for domain 3; p. 54, Box 10, question 4.5; p. 4, Table 1 for the overall rule). Domain 1b
(RoB 2 for cluster-randomized trials, Eldridge et al., 2021) rests on one third-party
transcription of the cluster cribsheet and is not verified against the primary document.

Each row of a table below is one path through a flowchart, with answer classes as the
flowchart's arrows name them ("Y/PY/NI"); the test expands every class into each answer it
contains, so every combination of answers that the flowchart distinguishes is run.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from metareview.errors import DataError
from metareview.rob.rob2 import (
    InvalidAnswer,
    MissingAnswer,
    Override,
    assess,
    judge_domain,
    overall_judgement,
)
from metareview.rob.rob2_table import assess_table
from metareview.rob.vocabulary import Judgement

L, S, H = "Low", "Some concerns", "High"
ANY = "Y/PY/PN/N/NI"


def expand(classes: dict[str, str]):
    """Every concrete answer set covered by the answer classes of one path."""
    keys = list(classes)
    for combo in itertools.product(*(classes[k].split("/") for k in keys)):
        yield dict(zip(keys, combo, strict=True))


DOMAIN1 = [
    ({"1.2": "N/PN"}, H),
    ({"1.2": "NI", "1.3": "Y/PY"}, H),
    ({"1.2": "NI", "1.3": "N/PN/NI"}, S),
    ({"1.2": "Y/PY", "1.1": "N/PN"}, S),
    ({"1.2": "Y/PY", "1.1": "Y/PY/NI", "1.3": "Y/PY"}, S),
    ({"1.2": "Y/PY", "1.1": "Y/PY/NI", "1.3": "N/PN/NI"}, L),
]
DOMAIN1B = [
    ({"1b.1": "Y/PY"}, L),
    ({"1b.1": "N/PN/NI", "1b.2": "Y/PY"}, H),
    ({"1b.1": "N/PN/NI", "1b.2": "N/PN", "1b.3": "Y/PY"}, S),
    ({"1b.1": "N/PN/NI", "1b.2": "N/PN", "1b.3": "N/PN/NI"}, L),
    ({"1b.1": "N/PN/NI", "1b.2": "NI", "1b.3": "Y/PY"}, H),
    ({"1b.1": "N/PN/NI", "1b.2": "NI", "1b.3": "N/PN/NI"}, S),
]
DOMAIN3 = [
    ({"3.1": "Y/PY"}, L),
    ({"3.1": "N/PN/NI", "3.2": "Y/PY"}, L),
    ({"3.1": "N/PN/NI", "3.2": "N/PN", "3.3": "N/PN"}, L),
    ({"3.1": "N/PN/NI", "3.2": "N/PN", "3.3": "Y/PY/NI", "3.4": "N/PN"}, S),
    ({"3.1": "N/PN/NI", "3.2": "N/PN", "3.3": "Y/PY/NI", "3.4": "Y/PY/NI"}, H),
]
DOMAIN4 = [
    ({"4.1": "Y/PY"}, H),
    ({"4.1": "N/PN/NI", "4.2": "Y/PY"}, H),
    ({"4.1": "N/PN/NI", "4.2": "N/PN", "4.3": "N/PN"}, L),
    ({"4.1": "N/PN/NI", "4.2": "N/PN", "4.3": "Y/PY/NI", "4.4": "N/PN"}, L),
    ({"4.1": "N/PN/NI", "4.2": "N/PN", "4.3": "Y/PY/NI", "4.4": "Y/PY/NI", "4.5": "N/PN"}, S),
    ({"4.1": "N/PN/NI", "4.2": "N/PN", "4.3": "Y/PY/NI", "4.4": "Y/PY/NI", "4.5": "Y/PY/NI"}, H),
    ({"4.1": "N/PN/NI", "4.2": "NI", "4.3": "N/PN"}, S),
    ({"4.1": "N/PN/NI", "4.2": "NI", "4.3": "Y/PY/NI", "4.4": "N/PN"}, S),
    ({"4.1": "N/PN/NI", "4.2": "NI", "4.3": "Y/PY/NI", "4.4": "Y/PY/NI", "4.5": "N/PN"}, S),
    ({"4.1": "N/PN/NI", "4.2": "NI", "4.3": "Y/PY/NI", "4.4": "Y/PY/NI", "4.5": "Y/PY/NI"}, H),
]
DOMAIN5 = [
    ({"5.2": "Y/PY", "5.3": ANY}, H),
    ({"5.2": "N/PN/NI", "5.3": "Y/PY"}, H),
    ({"5.2": "N/PN", "5.3": "N/PN", "5.1": "Y/PY"}, L),
    ({"5.2": "N/PN", "5.3": "N/PN", "5.1": "N/PN/NI"}, S),
    ({"5.2": "NI", "5.3": "N/PN/NI"}, S),
    ({"5.2": "N/PN", "5.3": "NI"}, S),
]
# Domain 2 (effect of assignment) has two parts; the domain is Low when both are Low, High
# when either is High, Some concerns otherwise.
DOMAIN2_PART1 = [
    ({"2.1": "N/PN", "2.2": "N/PN"}, L),
    ({"2.1": "Y/PY/NI", "2.2": ANY, "2.3": "N/PN"}, L),
    ({"2.1": "N/PN", "2.2": "Y/PY/NI", "2.3": "N/PN"}, L),
    ({"2.1": "Y/PY/NI", "2.2": ANY, "2.3": "NI"}, S),
    ({"2.1": "N/PN", "2.2": "Y/PY/NI", "2.3": "NI"}, S),
    # 2.4 N/PN: Some concerns in both transcriptions checked; two others say Low (see the docs).
    ({"2.1": "Y/PY/NI", "2.2": ANY, "2.3": "Y/PY", "2.4": "N/PN"}, S),
    ({"2.1": "Y/PY/NI", "2.2": ANY, "2.3": "Y/PY", "2.4": "Y/PY/NI", "2.5": "Y/PY"}, S),
    ({"2.1": "Y/PY/NI", "2.2": ANY, "2.3": "Y/PY", "2.4": "Y/PY/NI", "2.5": "N/PN/NI"}, H),
    ({"2.1": "N/PN", "2.2": "Y/PY/NI", "2.3": "Y/PY", "2.4": "Y/PY/NI", "2.5": "N/PN/NI"}, H),
]
DOMAIN2_PART2 = [
    ({"2.6": "Y/PY"}, L),
    ({"2.6": "N/PN/NI", "2.7": "N/PN"}, S),
    ({"2.6": "N/PN/NI", "2.7": "Y/PY/NI"}, H),
]
DOMAIN2 = [
    ({**p1, **p2}, H if H in (r1, r2) else L if r1 == r2 == L else S)
    for (p1, r1), (p2, r2) in itertools.product(DOMAIN2_PART1, DOMAIN2_PART2)
]

PATHS = [
    *(("D1", c, r) for c, r in DOMAIN1),
    *(("D1b", c, r) for c, r in DOMAIN1B),
    *(("D2", c, r) for c, r in DOMAIN2),
    *(("D3", c, r) for c, r in DOMAIN3),
    *(("D4", c, r) for c, r in DOMAIN4),
    *(("D5", c, r) for c, r in DOMAIN5),
]


@pytest.mark.parametrize(("domain", "classes", "expected"), PATHS)
def test_every_path_of_every_domain(domain, classes, expected):
    """Each flowchart path, with every answer its arrows allow, gives the published judgement."""
    for answers in expand(classes):
        result = judge_domain(domain, answers)
        assert result.proposed.value == expected, (domain, answers, result.rule)
        assert result.rule.endswith(f"⇒ {expected}")


def test_paths_cover_every_answer_combination_of_domain1():
    """The path table of domain 1 is exhaustive: all 125 answer sets land on exactly one path."""
    seen = set()
    for classes, _ in DOMAIN1:
        for answers in expand(classes):
            for filler in expand({k: ANY for k in ("1.1", "1.2", "1.3") if k not in answers}):
                key = tuple(sorted({**answers, **filler}.items()))
                assert key not in seen
                seen.add(key)
    assert len(seen) == 5**3


def test_unreached_questions_may_be_blank_or_na():
    assert judge_domain("D1", {"1.2": "N", "1.1": "", "1.3": "NA"}).proposed == Judgement.HIGH
    assert judge_domain("D3", {"3.1": "Y", "3.2": "NA", "3.3": None}).proposed == Judgement.LOW


def test_reached_question_without_answer_is_named():
    with pytest.raises(
        MissingAnswer, match=r"1\.3: got blank, expected an answer .* \(1\.2 is NI\)"
    ):
        judge_domain("D1", {"1.1": "Y", "1.2": "NI"})
    with pytest.raises(MissingAnswer, match=r"2\.7: got NA"):
        judge_domain("D2", {"2.1": "N", "2.2": "N", "2.6": "N", "2.7": "NA"})


def test_answer_not_allowed_by_the_question():
    """3.2 has no 'No information' option in the guidance; NA on a reached question is missing."""
    with pytest.raises(InvalidAnswer, match=r"3\.2"):
        judge_domain("D3", {"3.1": "N", "3.2": "NI"})
    with pytest.raises(MissingAnswer, match=r"1\.1: got NA"):
        judge_domain("D1", {"1.1": "NA", "1.2": "Y", "1.3": "N"})
    with pytest.raises(ValueError, match="answer Y, PY"):
        judge_domain("D1", {"1.1": "maybe", "1.2": "Y", "1.3": "N"})


OVERALL = [
    ([L, L, L, L, L], None, L),
    ([L, S, L, L, L], None, S),
    ([S, S, S, S, S], None, S),
    ([L, L, H, L, L], None, H),
    ([S, H, S, L, L], None, H),
    ([S, S, L, L, L], 2, H),
    ([S, L, L, L, L], 2, S),
    ([L, L, L, L, L], 2, L),
]


@pytest.mark.parametrize(("domains", "threshold", "expected"), OVERALL)
def test_overall_rule(domains, threshold, expected):
    """Low: low in all domains; High: high in at least one (or, by the reviewer's stated rule,
    some concerns in multiple domains); Some concerns otherwise (full guidance p. 4, Table 1)."""
    result = overall_judgement([Judgement(d) for d in domains], some_concerns_high_at=threshold)
    assert result.judgement.value == expected


ALL_LOW = {
    "1.1": "Y", "1.2": "Y", "1.3": "N", "2.1": "N", "2.2": "N", "2.6": "Y", "3.1": "Y",
    "4.1": "N", "4.2": "N", "4.3": "N", "5.1": "Y", "5.2": "N", "5.3": "N",
}  # fmt: skip


def test_override_keeps_proposal_and_justification_and_feeds_overall():
    a = assess(ALL_LOW, overrides=[Override("D3", Judgement.HIGH, "40% lost, related to outcome")])
    d3 = a.domains[2]
    assert (d3.proposed, d3.judgement) == (Judgement.LOW, Judgement.HIGH)
    assert d3.justification == "40% lost, related to outcome"
    assert a.overall.judgement == Judgement.HIGH
    assert "overridden by reviewer: 40% lost" in a.summary()


def test_override_needs_a_justification():
    with pytest.raises(ValueError, match="needs a justification"):
        Override("D1", Judgement.LOW, "  ")


def test_cluster_trial_adds_domain_1b():
    a = assess({**ALL_LOW, "1b.1": "N", "1b.2": "NI", "1b.3": "Y"}, cluster=True)
    assert list(a.judgements) == ["D1", "D1b", "D2", "D3", "D4", "D5", "Overall"]
    assert a.judgements["D1b"] == Judgement.HIGH and a.overall.judgement == Judgement.HIGH


def test_table_reports_every_bad_cell_with_row_and_column():
    frame = pd.DataFrame(
        [
            {"study": "A", **{f"q{k.replace('.', '_')}": v for k, v in ALL_LOW.items()}},
            {
                "study": "B",
                **{f"q{k.replace('.', '_')}": v for k, v in ALL_LOW.items()},
                "q1_2": "NI",
                "q1_3": "",
            },
            {
                "study": "C",
                **{f"q{k.replace('.', '_')}": v for k, v in ALL_LOW.items()},
                "q3_1": "maybe",
            },
            {
                "study": "D",
                **{f"q{k.replace('.', '_')}": v for k, v in ALL_LOW.items()},
                "d2_override": "High",
            },
        ]
    )
    with pytest.raises(DataError) as info:
        assess_table(frame, source="rob.csv")
    text = str(info.value)
    assert "3 problems" in text
    assert "rob.csv, row 3, column 'q1_3'" in text
    assert "rob.csv, row 4, column 'q3_1': got 'maybe'" in text
    assert "rob.csv, row 5, column 'd2_justification'" in text


def test_table_with_override_and_cluster_rows():
    rows = [
        {"study": "A", **{f"q{k.replace('.', '_')}": v for k, v in ALL_LOW.items()},
         "d2_override": "Some concerns", "d2_justification": "open-label, subjective outcome"},
        {"study": "B", **{f"q{k.replace('.', '_')}": v for k, v in ALL_LOW.items()}, "q1b_1": "Y"},
    ]  # fmt: skip
    results = assess_table(pd.DataFrame(rows))
    frame = results.to_frame()
    assert list(frame.columns) == ["study", "d1", "d1b", "d2", "d3", "d4", "d5", "overall"]
    assert frame["overall"].tolist() == ["Some concerns", "Low"]
    assert frame["d1b"].tolist() == [None, "Low"] or frame["d1b"].isna().tolist() == [True, False]
    details = results.details()
    row = details[(details.study == "A") & (details.domain == "D2")].iloc[0]
    assert row.proposed == "Low" and row.judgement == "Some concerns" and row.overridden
    table = results.to_rob_table()
    assert table.domains == ("D1", "D1b", "D2", "D3", "D4", "D5")
    assert table.judgements[0][1] == Judgement.NOT_APPLICABLE
