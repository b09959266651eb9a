"""The words of risk-of-bias assessment: signalling-question answers and judgements.

Answers are the RoB 2 response options (Sterne et al. 2019, BMJ 366:l4898): ``Y`` yes,
``PY`` probably yes, ``PN`` probably no, ``N`` no, ``NI`` no information, ``NA`` not
applicable. Judgements are the levels a domain or a study gets: ``Low``, ``Some concerns``
and ``High`` (RoB 2), ``Unclear`` (RoB 1), plus ``No information`` and ``Not applicable``,
which robvis also draws.

>>> parse_answer("probably yes")
<Answer.PY: 'PY'>
>>> parse_judgement("low risk")
<Judgement.LOW: 'Low'>
>>> parse_judgement("unclear risk of bias")
<Judgement.UNCLEAR: 'Unclear'>
"""

from __future__ import annotations

from enum import StrEnum


class Answer(StrEnum):
    """A response to a signalling question."""

    Y = "Y"
    PY = "PY"
    PN = "PN"
    N = "N"
    NI = "NI"
    NA = "NA"


YES = frozenset({Answer.Y, Answer.PY})
NO = frozenset({Answer.N, Answer.PN})

_ANSWER_WORDS = {
    "yes": Answer.Y,
    "probably yes": Answer.PY,
    "probably no": Answer.PN,
    "no": Answer.N,
    "no information": Answer.NI,
    "not applicable": Answer.NA,
}


def parse_answer(value: object) -> Answer | None:
    """An :class:`Answer` from its code or words; ``None`` for a blank (question not asked).

    Raises ``ValueError`` naming the accepted codes for anything else.

    >>> parse_answer(" pn "), parse_answer(""), parse_answer(None)
    (<Answer.PN: 'PN'>, None, None)
    """
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = " ".join(str(value).split())
    if not text:
        return None
    upper = text.upper()
    if upper in Answer.__members__:
        return Answer[upper]
    found = _ANSWER_WORDS.get(text.lower())
    if found is None:
        raise ValueError(f"an answer Y, PY, PN, N, NI or NA (or blank); got {value!r}")
    return found


class Judgement(StrEnum):
    """A risk-of-bias judgement for one domain or one study."""

    LOW = "Low"
    SOME_CONCERNS = "Some concerns"
    HIGH = "High"
    UNCLEAR = "Unclear"
    NO_INFORMATION = "No information"
    NOT_APPLICABLE = "Not applicable"


# Severity order for summaries: the worse a judgement, the higher its rank.
SEVERITY = {
    Judgement.NOT_APPLICABLE: 0,
    Judgement.LOW: 1,
    Judgement.NO_INFORMATION: 2,
    Judgement.UNCLEAR: 2,
    Judgement.SOME_CONCERNS: 3,
    Judgement.HIGH: 4,
}

_JUDGEMENT_WORDS = {
    "low": Judgement.LOW,
    "l": Judgement.LOW,
    "+": Judgement.LOW,
    "some concerns": Judgement.SOME_CONCERNS,
    "some concern": Judgement.SOME_CONCERNS,
    "some": Judgement.SOME_CONCERNS,
    "moderate": Judgement.SOME_CONCERNS,
    "-": Judgement.SOME_CONCERNS,
    "high": Judgement.HIGH,
    "h": Judgement.HIGH,
    "serious": Judgement.HIGH,
    "x": Judgement.HIGH,
    "unclear": Judgement.UNCLEAR,
    "u": Judgement.UNCLEAR,
    "?": Judgement.UNCLEAR,
    "no information": Judgement.NO_INFORMATION,
    "ni": Judgement.NO_INFORMATION,
    "not applicable": Judgement.NOT_APPLICABLE,
    "na": Judgement.NOT_APPLICABLE,
    "n/a": Judgement.NOT_APPLICABLE,
}


def parse_judgement(value: object) -> Judgement | None:
    """A :class:`Judgement` from the spellings reviewers and robvis use; ``None`` for a blank.

    "Low risk", "low risk of bias", "Some concerns", "High", "Unclear", "No information",
    "Not applicable" (any case; "risk"/"risk of bias" suffixes ignored).

    >>> parse_judgement("High risk of bias"), parse_judgement("")
    (<Judgement.HIGH: 'High'>, None)
    """
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = " ".join(str(value).split()).lower()
    if not text:
        return None
    for suffix in (" risk of bias", " risk"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    found = _JUDGEMENT_WORDS.get(text)
    if found is None:
        raise ValueError(
            "a judgement Low, Some concerns, High, Unclear, No information or Not applicable; "
            f"got {value!r}"
        )
    return found
