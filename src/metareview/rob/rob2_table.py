"""RoB 2 for a whole table of signalling answers: one row per study (result), errors by cell.

Columns: ``study``; answers ``q1_1 … q1_3, q2_1 … q2_7, q3_1 … q3_4, q4_1 … q4_5,
q5_1 … q5_3`` (Y/PY/PN/N/NI/NA, blank = not asked), and for cluster-randomized trials
``q1b_1 … q1b_3`` (a row with any 1b answer is assessed with domain 1b). Optional reviewer
overrides: ``d1_override`` … ``d5_override``, ``overall_override`` with the justification in
``d1_justification`` … ``overall_justification`` (required). Optional ``weight``.

>>> import pandas as pd
>>> frame = pd.DataFrame({"study": ["A"], "q1_1": ["Y"], "q1_2": ["Y"], "q1_3": ["N"],
...     "q2_1": ["N"], "q2_2": ["N"], "q2_6": ["Y"], "q3_1": ["Y"], "q4_1": ["N"], "q4_2": ["N"],
...     "q4_3": ["N"], "q5_1": ["Y"], "q5_2": ["N"], "q5_3": ["N"]}, index=[2])
>>> assess_table(frame).to_frame().iloc[0].tolist()
['A', 'Low', 'Low', 'Low', 'Low', 'Low', 'Low']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from metareview.errors import DataError, Problem
from metareview.rob.rob2 import (
    DOMAINS,
    QUESTION_BY_COLUMN,
    InvalidAnswer,
    MissingAnswer,
    Override,
    Rob2Assessment,
    assess,
    overall_judgement,
)
from metareview.rob.table import RobTable
from metareview.rob.vocabulary import Judgement, parse_answer, parse_judgement

MAX_PROBLEMS = 50
_OVERRIDABLE = ("d1", "d1b", "d2", "d3", "d4", "d5", "overall")


@dataclass(frozen=True)
class Rob2Results:
    """RoB 2 assessments of the rows of one table."""

    assessments: tuple[Rob2Assessment, ...]
    source: str
    weights: tuple[float, ...] | None = None

    @property
    def cluster(self) -> bool:
        return any(a.cluster for a in self.assessments)

    def to_frame(self) -> pd.DataFrame:
        """``study, d1, [d1b,] d2 … d5, overall`` with the final judgements."""
        records = []
        for a in self.assessments:
            record: dict[str, str] = {"study": a.study}
            for domain, judgement in a.judgements.items():
                record[domain.lower()] = judgement.value
            records.append(record)
        columns = [
            "study",
            "d1",
            *(["d1b"] if self.cluster else []),
            "d2",
            "d3",
            "d4",
            "d5",
            "overall",
        ]
        return pd.DataFrame(records).reindex(columns=columns)

    def details(self) -> pd.DataFrame:
        """One row per study and domain: proposed and final judgement, rule, justification."""
        return pd.DataFrame(
            [
                {"study": a.study, **d.to_dict()}
                for a in self.assessments
                for d in (*a.domains, a.overall)
            ]
        )

    def to_rob_table(self) -> RobTable:
        """The judgements as a :class:`RobTable` for figures and robvis export."""
        domains = (
            ("D1", "D1b", "D2", "D3", "D4", "D5")
            if self.cluster
            else ("D1", "D2", "D3", "D4", "D5")
        )
        rows = tuple(
            tuple(a.judgements.get(d, Judgement.NOT_APPLICABLE) for d in domains)
            for a in self.assessments
        )
        return RobTable(
            "RoB 2",
            domains,
            tuple(DOMAINS[d] for d in domains),
            tuple(a.study for a in self.assessments),
            rows,
            tuple(a.overall.judgement for a in self.assessments),
            self.weights,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": "RoB 2",
            "source": self.source,
            "assessments": [a.to_dict() for a in self.assessments],
        }

    def summary(self) -> str:
        return self.to_rob_table().summary()


def assess_table(
    frame: pd.DataFrame, *, source: str = "<table>", some_concerns_high_at: int | None = None
) -> Rob2Results:
    """Assess every row; every problem (file, row, column, value, expected) is reported at once.

    The frame's index is the spreadsheet row number (a ``RangeIndex`` counts from row 2).
    """
    frame = frame.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if isinstance(frame.index, pd.RangeIndex):
        frame.index = frame.index + 2
    problems: list[Problem] = []
    if "study" not in frame.columns:
        raise DataError(Problem(source, None, "study", None, "a column 'study' naming each trial"))
    question_columns = [c for c in frame.columns if c in QUESTION_BY_COLUMN]
    if not question_columns:
        expected = "signalling-answer columns q1_1 … q5_3"
        raise DataError(Problem.of_file(source, expected))
    assessments = []
    weights: list[float] = []
    for row, record in frame.iterrows():
        study = record["study"]
        if study is None or str(study).strip() in ("", "nan"):
            problems.append(Problem(source, int(row), "study", None, "a study label"))
            continue
        answers, ok = {}, True
        for column in question_columns:
            try:
                parse_answer(record[column])
            except ValueError as err:
                problems.append(Problem(source, int(row), column, str(record[column]), str(err)))
                ok = False
            else:
                answers[QUESTION_BY_COLUMN[column].id] = record[column]
        overrides = _overrides(record, source, int(row), problems)
        if not ok or overrides is None:
            continue
        cluster = any(
            k.startswith("1b.") and parse_answer(v) is not None for k, v in answers.items()
        )
        try:
            assessments.append(
                assess(
                    answers,
                    study=str(study).strip(),
                    cluster=cluster,
                    overrides=overrides,
                    some_concerns_high_at=some_concerns_high_at,
                )
            )
        except (MissingAnswer, InvalidAnswer) as err:
            column = err.question.column
            value = None if err.got is None else err.got.value
            problems.append(Problem(source, int(row), column, value, err.expected))
        if "weight" in frame.columns:
            weight = pd.to_numeric(pd.Series([record["weight"]]), errors="coerce").iloc[0]
            if not weight >= 0:  # also catches NaN
                problems.append(
                    Problem(source, int(row), "weight", str(record["weight"]), "a weight ≥ 0")
                )
            weights.append(float(weight))
    if problems:
        raise DataError(problems[:MAX_PROBLEMS], total=len(problems))
    return Rob2Results(tuple(assessments), source, tuple(weights) if weights else None)


def _overrides(
    record: pd.Series, source: str, row: int, problems: list[Problem]
) -> list[Override] | None:
    found, ok = [], True
    for key in _OVERRIDABLE:
        column = f"{key}_override"
        if column not in record.index:
            continue
        try:
            level = parse_judgement(record[column])
        except ValueError as err:
            problems.append(Problem(source, row, column, str(record[column]), str(err)))
            ok = False
            continue
        if level is None:
            continue
        note = record.get(f"{key}_justification")
        text = (
            "" if note is None or (isinstance(note, float) and note != note) else str(note).strip()
        )
        domain = "Overall" if key == "overall" else key.upper().replace("B", "b")
        try:
            found.append(Override(domain, level, text))
        except ValueError as err:
            expected = str(err) if text else f"a justification for overriding {domain} (required)"
            problems.append(Problem(source, row, f"{key}_justification", text or None, expected))
            ok = False
    return found if ok else None


def overall_disagreements(
    table: RobTable, *, some_concerns_high_at: int | None = None
) -> tuple[str, ...]:
    """Studies whose stated overall RoB 2 judgement differs from the rule applied to their
    domains — allowed (the guidance leaves "some concerns in multiple domains" to judgement),
    but worth a look. Studies with a domain outside Low/Some concerns/High are named too.

    >>> J = Judgement
    >>> t = RobTable("RoB 2", ("D1", "D2"), ("a", "b"), ("A", "B"),
    ...              ((J.LOW, J.SOME_CONCERNS), (J.LOW, J.LOW)), (J.HIGH, J.LOW))
    >>> overall_disagreements(t)
    ('A: stated High, the RoB 2 rule gives Some concerns (1 domain Some concerns, none High)',)
    """
    notes = []
    for study, row, stated in zip(table.studies, table.judgements, table.overall, strict=True):
        try:
            rule = overall_judgement(row, some_concerns_high_at=some_concerns_high_at)
        except ValueError:
            notes.append(f"{study}: a domain is not Low, Some concerns or High; rule not applied")
            continue
        if rule.judgement != stated:
            notes.append(
                f"{study}: stated {stated.value}, the RoB 2 rule gives {rule.judgement.value} "
                f"({rule.path[0]})"
            )
    return tuple(notes)
