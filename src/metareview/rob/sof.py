"""From a pooled result to GRADE evidence, and the summary-of-findings table (HTML, CSV).

:func:`evidence_from_pool` turns a :class:`~metareview.stats.pooling.PoolResult` plus the
studies' risk-of-bias judgements into :class:`~metareview.rob.grade.OutcomeEvidence`;
:func:`summary_of_findings` lays out GRADE assessments the way Cochrane summary-of-findings
tables do: outcome, participants (studies), relative or standardized effect with CI,
certainty (⊕ symbols) and lettered footnotes.

>>> from metareview.rob.grade import OutcomeEvidence, grade
>>> g = grade(OutcomeEvidence("Hope", "SMD", k=8, participants=900, estimate=0.3,
...                           ci_lower=0.05, ci_upper=0.55, i2=20.0))
>>> summary_of_findings([g]).iloc[0].tolist()
['Hope', '900 (8 studies)', 'SMD 0.30 (0.05 to 0.55)', '—', '⊕⊕⊕◯ Moderate', 'a']
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import pandas as pd

from metareview.data.spreadsheet import safe_frame
from metareview.errors import DataError, Problem
from metareview.rob.grade import CERTAINTY, GradeAssessment, OutcomeEvidence, format_natural
from metareview.rob.vocabulary import Judgement, parse_judgement
from metareview.stats.bias.small_study import SmallStudyResult
from metareview.stats.pooling import PoolResult

SYMBOLS = {"High": "⊕⊕⊕⊕", "Moderate": "⊕⊕⊕◯", "Low": "⊕⊕◯◯", "Very low": "⊕◯◯◯"}
_SIZE_PAIRS = (
    ("n_arm1", "n_arm2"),
    ("totaln_arm1", "totaln_arm2"),
    ("n_change_arm1", "n_change_arm2"),
)
EFFECT = "Effect ({})"  # the column of the effect, headed with its interval's level
COLUMNS = (
    "Outcome",
    "Participants (studies)",
    EFFECT,
    "Absolute effect (per 1000)",
    "Certainty",
    "Footnotes",
)


def high_risk_weight(
    studies: Sequence[str], weights: Sequence[float], overall: Mapping[str, Judgement]
) -> float:
    """Share of the total weight from studies judged at high overall risk of bias.

    Every study must have a judgement (a KeyError names the first without one).

    >>> high_risk_weight(["A", "B"], [30.0, 70.0], {"A": Judgement.HIGH, "B": Judgement.LOW})
    0.3
    """
    missing = [s for s in studies if s not in overall]
    if missing:
        raise KeyError(
            f"no risk-of-bias judgement for {missing[0]!r} ({len(missing)} studies lack one)"
        )
    total = sum(weights)
    high = sum(w for s, w in zip(studies, weights, strict=True) if overall[s] == Judgement.HIGH)
    return high / total if total > 0 else 0.0


def evidence_from_pool(
    pooled: PoolResult,
    *,
    outcome: str,
    measure: str,
    participants: int | None,
    overall_rob: Mapping[str, Judgement] | None = None,
    small_study: SmallStudyResult | None = None,
    model: str = "random",
    **extra: object,
) -> OutcomeEvidence:
    """The GRADE inputs of one pooled outcome (``model`` = ``random`` or ``fixed``).

    ``overall_rob`` maps each study label of ``pooled.studies`` to its overall judgement;
    ``small_study`` (when run) gives the Egger p (the preset's variant) and trim-and-fill;
    ``extra`` passes the control risk and other :class:`OutcomeEvidence` fields through.
    """
    if model not in ("random", "fixed"):
        raise ValueError(f"model must be random or fixed; got {model!r}")
    effect = pooled.random if model == "random" else pooled.fixed
    if small_study is not None and small_study.run:
        egger, filled = small_study.primary_egger, small_study.trim_and_fill
        extra = {"egger_p": egger.pvalue if egger else None, **extra}
        if filled is not None:
            extra = {
                "trimfill_k0": filled.k0,
                "trimfill_ci": (filled.ci_lower, filled.ci_upper),
                **extra,
            }
    share = None
    if overall_rob is not None:
        share = high_risk_weight(pooled.studies, pooled.weights, overall_rob)
    return OutcomeEvidence(
        outcome,
        measure,
        k=pooled.k,
        studies=len(set(pooled.studies)),
        participants=participants,
        estimate=effect.estimate,
        ci_lower=effect.ci_lower,
        ci_upper=effect.ci_upper,
        i2=pooled.i2 if pooled.k > 1 else None,
        pi_lower=pooled.random.pi_lower,
        pi_upper=pooled.random.pi_upper,
        high_risk_weight=share,
        level=pooled.level,
        **extra,  # type: ignore[arg-type]
    )


def _ci_label(level: float) -> str:
    return f"{100 * level:.10g}% CI"  # as metareview.report.numbers.ci_label (not importable here)


def columns(assessments: Sequence[GradeAssessment]) -> list[str]:
    """The table's columns: the effect's headed by the level of the outcomes' intervals
    (``Effect (90% CI)``), or ``Effect (CI)`` when they differ (each cell then names its own).

    >>> from metareview.rob.grade import grade
    >>> def rated(level):
    ...     return grade(OutcomeEvidence("Hope", "SMD", k=8, participants=900, estimate=0.3,
    ...                                  ci_lower=0.05, ci_upper=0.55, level=level))
    >>> columns([rated(0.9)])[2], columns([rated(0.9), rated(0.95)])[2]
    ('Effect (90% CI)', 'Effect (CI)')
    """
    levels = {g.evidence.level for g in assessments}
    label = _ci_label(levels.pop()) if len(levels) == 1 else "CI"
    return [EFFECT.format(label) if c == EFFECT else c for c in COLUMNS]


def format_effect(ev: OutcomeEvidence, with_level: bool = False) -> str:
    """``SMD 0.19 (0.11 to 0.27)``; ratio measures back-transformed: ``RR 1.25 (1.02 to 1.53)``;
    ``with_level``: ``SMD 0.19 (90% CI 0.11 to 0.27)``.

    >>> format_effect(OutcomeEvidence("Mortality", "RR", k=5, participants=900,
    ...                               estimate=math.log(0.8), ci_lower=math.log(0.65),
    ...                               ci_upper=math.log(0.98)))
    'RR 0.80 (0.65 to 0.98)'
    """
    est, lo, hi = (format_natural(v, ev.measure) for v in (ev.estimate, ev.ci_lower, ev.ci_upper))
    label = f"{_ci_label(ev.level)} " if with_level else ""
    return f"{ev.measure} {est} ({label}{lo} to {hi})"


def _risk_with(control: float, value: float, measure: str) -> float:
    if measure == "RR":
        return min(1.0, control * math.exp(value))
    if measure == "OR":
        odds = control / (1 - control) * math.exp(value)
        return odds / (1 + odds)
    return min(1.0, max(0.0, control + value))  # RD


def _more(per_1000: float) -> str:
    rounded = round(per_1000)
    return f"{abs(rounded)} {'more' if rounded >= 0 else 'fewer'}"


def absolute_effect(ev: OutcomeEvidence) -> str:
    """Anticipated absolute effect per 1000 for a binary outcome with a control risk:
    risk with control, risk with intervention, and the difference with its CI; ``—``
    otherwise (continuous outcomes, or no control risk).

    >>> ev = OutcomeEvidence("Relapse", "RR", k=6, participants=900, estimate=math.log(0.8),
    ...                      ci_lower=math.log(0.6), ci_upper=math.log(1.05), control_risk=0.3)
    >>> absolute_effect(ev)
    '300 vs 240 per 1000: 60 fewer (120 fewer to 15 more)'
    """
    if ev.measure not in ("RR", "OR", "RD") or ev.control_risk is None:
        return "—"
    cr = ev.control_risk
    est, lo, hi = (_risk_with(cr, v, ev.measure) for v in (ev.estimate, ev.ci_lower, ev.ci_upper))
    return (
        f"{cr * 1000:.0f} vs {est * 1000:.0f} per 1000: {_more((est - cr) * 1000)} "
        f"({_more((lo - cr) * 1000)} to {_more((hi - cr) * 1000)})"
    )


def summary_of_findings(assessments: Sequence[GradeAssessment]) -> pd.DataFrame:
    """One row per outcome; footnotes lettered a, b, … across the table (repeats share a letter).

    The footnote texts are in ``frame.attrs["footnotes"]`` as ``{letter: text}``; the effect
    column is headed by the level of the intervals (:func:`columns`).
    """
    names = columns(assessments)
    mixed = names[2] == EFFECT.format("CI")
    letters: dict[str, str] = {}
    rows = []
    for g in assessments:
        ev = g.evidence
        marks = []
        for note in g.footnotes:
            if note not in letters:
                letters[note] = _letter(len(letters))
            marks.append(letters[note])
        participants = "NR" if ev.participants is None else f"{ev.participants}"
        if ev.participants is not None and ev.participants_incomplete:
            participants = f"≥ {ev.participants}"
        rows.append(
            [
                ev.outcome,
                f"{participants} ({_studies_text(ev)})",
                format_effect(ev, with_level=mixed),
                absolute_effect(ev),
                f"{SYMBOLS[g.certainty]} {g.certainty}",
                ",".join(marks),
            ]
        )
    frame = pd.DataFrame(rows, columns=names)
    frame.attrs["footnotes"] = {letter: text for text, letter in letters.items()}
    return frame


def _letter(index: int) -> str:
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(ord("a") + rest) + text
    return text


def sof_csv(assessments: Sequence[GradeAssessment]) -> str:
    """The table as CSV, footnotes appended as rows ``footnote a,<text>``."""
    frame = summary_of_findings(assessments)
    notes = pd.DataFrame(
        [[f"footnote {k}", v, "", "", "", ""] for k, v in frame.attrs["footnotes"].items()],
        columns=frame.columns,
    )
    return safe_frame(pd.concat([frame, notes], ignore_index=True)).to_csv(index=False)


def sof_html(assessments: Sequence[GradeAssessment], *, title: str = "Summary of findings") -> str:
    """A self-contained HTML table (no scripts) for the report or a browser."""
    frame = summary_of_findings(assessments)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    notes = "".join(
        f"<li><sup>{k}</sup> {html.escape(v)}</li>" for k, v in frame.attrs["footnotes"].items()
    )
    legend = " · ".join(f"{SYMBOLS[c]} {c}" for c in reversed(CERTAINTY))
    return (
        f'<table class="sof"><caption>{html.escape(title)}</caption><thead><tr>{head}</tr></thead>'
        f'<tbody>{body}</tbody></table><p class="sof-legend">GRADE certainty: {legend}</p>'
        f'<ol class="sof-footnotes">{notes}</ol>'
    )


# -- GRADE inputs from the rows of an extraction table (data-standard columns) ---------------
def _studies_text(ev: OutcomeEvidence) -> str:
    """'8 studies', or '22 studies, 30 comparisons' when studies give several comparisons."""
    studies = ev.k if ev.studies is None else ev.studies
    text = f"{studies} stud{'y' if studies == 1 else 'ies'}"
    return text if studies == ev.k else f"{text}, {ev.k} comparisons"


def participants_in(
    frame: pd.DataFrame, column: str | None = None, *, lower_bound: bool = False
) -> int | None:
    """Total participants: each row's total (``column``, else the sizes of both arms), rows of
    one study with the same sizes counted once (the same sample, several outcomes); None if
    any row lacks them, or with ``lower_bound`` the total of the rows that have them (None
    when none has).

    >>> f = pd.DataFrame({"study": ["A", "A", "B"], "n_arm1": [50, 50, 30], "n_arm2": [48, 48, 31]})
    >>> participants_in(f)
    159
    """
    sizes = pd.DataFrame({"study": frame["study"].astype(str)}, index=frame.index)
    sizes["a"], sizes["b"] = float("nan"), 0.0
    if column is not None:
        sizes["a"] = pd.to_numeric(frame[column], errors="coerce")
    for a, b in _SIZE_PAIRS:
        if a in frame.columns and b in frame.columns:
            missing = sizes["a"].isna()
            sizes.loc[missing, "a"] = pd.to_numeric(frame.loc[missing, a], errors="coerce")
            sizes.loc[missing, "b"] = pd.to_numeric(frame.loc[missing, b], errors="coerce")
    unknown = sizes[["a", "b"]].isna().any(axis=1)
    if unknown.any() and not lower_bound:
        return None
    if unknown.all():
        return None
    unique = sizes[~unknown].drop_duplicates()
    return int((unique["a"] + unique["b"]).sum())


def participants_count(frame: pd.DataFrame, column: str | None = None) -> tuple[int | None, bool]:
    """Participants for the summary of findings and whether the count is only a lower bound
    (some rows report no sizes).

    >>> f = pd.DataFrame({"study": ["A", "B"], "n_arm1": [50, None], "n_arm2": [48, None]})
    >>> participants_count(f)
    (98, True)
    """
    total = participants_in(frame, column)
    if total is not None:
        return total, False
    bound = participants_in(frame, column, lower_bound=True)
    return bound, bound is not None


def control_risk_in(frame: pd.DataFrame, given: float | None = None) -> float | None:
    """The given control risk, else the pooled observed risk of the control arms (events).

    >>> control_risk_in(pd.DataFrame({"event_arm2": [10, 30], "totaln_arm2": [100, 100]}))
    0.2
    """
    if given is not None or not {"event_arm2", "totaln_arm2"} <= set(frame.columns):
        return given
    events = pd.to_numeric(frame["event_arm2"], errors="coerce")
    totals = pd.to_numeric(frame["totaln_arm2"], errors="coerce")
    usable = events.notna() & totals.notna() & (totals > 0)
    return float(events[usable].sum() / totals[usable].sum()) if usable.any() else None


def overall_rob_in(
    frame: pd.DataFrame, column: str = "rob_overall", source: str = "<table>"
) -> dict[str, Judgement] | None:
    """Each study's overall judgement from ``column`` (rows of a study must agree); None when
    the table has no such column. Problems name the row and column.

    >>> overall_rob_in(pd.DataFrame({"study": ["A", "B"], "rob_overall": ["High risk", "Low"]}))
    {'A': <Judgement.HIGH: 'High'>, 'B': <Judgement.LOW: 'Low'>}
    """
    if column not in frame.columns:
        return None
    out: dict[str, Judgement] = {}
    problems = []
    for row, study, value in zip(frame.index, frame["study"], frame[column], strict=True):
        try:
            level = parse_judgement(value)
        except ValueError as err:
            problems.append(Problem(source, int(row), column, str(value), str(err)))
            continue
        if level is None:
            problems.append(
                Problem(source, int(row), column, None, "an overall risk-of-bias judgement")
            )
        elif out.setdefault(str(study), level) != level:
            problems.append(
                Problem(
                    source,
                    int(row),
                    column,
                    level.value,
                    f"the same judgement on every row of {study!r} ({out[str(study)].value})",
                )
            )
    if problems:
        raise DataError(problems[:50], total=len(problems))
    return out
