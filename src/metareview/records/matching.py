"""Compare two records field by field and decide, by named rules, whether they are one study.

The rules aim at zero false merges: a pair is merged automatically only when an identifier
agrees (DOI or PMID, titles alike), when title, first author, year and a source detail all
agree and nothing contradicts, or when the pair is an early-online version and its issue
version (years one apart, same journal and first author, one without volume or pages, and the
abstracts or the whole author list agree); a contradiction (two different DOIs or PMIDs, years
more than one apart, different volumes or first pages, different numbers in the titles, an
erratum against its article, a conference abstract against an article) never merges
automatically. Close pairs that no rule merges go to the "maybe" queue with their reasons.

>>> from metareview.records.record import Record
>>> a = Record(title="Peer support for depression: a randomised trial", authors=("Smit, D.",),
...            year=2023, journal="J Affect Disord", volume="12", pages="101-9")
>>> b = Record(title="Peer Support for Depression. A Randomised Trial.", authors=("Smit D",),
...            year=2023, journal="Journal of Affective Disorders", volume="12", pages="101-109")
>>> verdict = compare(Features.of(a), Features.of(b))
>>> verdict.decision, verdict.rule
('duplicate', 'title+author+year+source')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from metareview.records.normalize import (
    author_surnames,
    doi_key,
    first_surname,
    fold,
    journals_match,
    normalize_title,
    page_key,
    sici_citation,
    volume_key,
)
from metareview.records.record import Record

#: Title similarity (0–1, rapidfuzz ratio of folded titles) needed by each kind of evidence.
TITLE_WITH_IDENTIFIER = 0.85
TITLE_WITHOUT_IDENTIFIER = 0.95
TITLE_FOR_MAYBE = 0.85
TITLE_EARLY_ONLINE = 0.98
ABSTRACT_AGREES = 0.95

_NOTICE = re.compile(
    r"^(erratum|errata|correction|corrigendum|retraction|retracted|expression of concern|"
    r"comment|reply|response|author s reply|letter|editorial|in reply)\b"
)
_CORRECTION_OF = re.compile(r"\bvol \d+ pg \d+")  # Web of Science titles of corrections
_CONFERENCE_TYPE = re.compile(r"conference|congress|meeting|proceeding|abstract", re.I)
_SUPPLEMENT = re.compile(r"\bsuppl|^s\d", re.I)
_DIGITS = re.compile(r"\d+")
_ROMAN = {r: str(n) for n, r in enumerate(
    ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"], start=1)}  # fmt: skip
_NUMBERED = {"part", "phase", "type", "study", "trial", "paper", "series", "stage", "grade"}
_NUMBER_WORDS = {w: str(n) for n, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"])}  # fmt: skip
_NUMBER_WORDS |= {w: str(n) for n, w in enumerate(
    ["second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"], start=2)}  # fmt: skip
_NUMBER_WORDS |= {f"{n}{s}": str(n) for n in range(1, 100) for s in ("st", "nd", "rd", "th")}


@dataclass(frozen=True)
class Features:
    """The normalised fields of one record that matching looks at."""

    title: str
    doi: str
    pmid: str
    year: int | None
    surname: str
    journal: str
    volume: str
    page: str
    abstract: str
    notice: bool
    numbers: frozenset[str]
    surnames: tuple[str, ...] = ()
    conference: bool = False

    @classmethod
    def of(cls, record: Record) -> Features:
        title = normalize_title(record.title)
        return cls(
            title=title,
            doi=doi_key(record.doi),
            pmid=record.pmid.strip(),
            year=record.year,
            surname=first_surname(record.authors),
            journal=record.journal,
            volume=volume_key(record.volume),
            page=page_key(record.pages),
            abstract=fold(record.abstract)[:1000],
            notice=bool(_NOTICE.match(title) or _CORRECTION_OF.search(title)),
            numbers=_numbers(title),
            surnames=author_surnames(record.authors),
            conference=bool(
                _CONFERENCE_TYPE.search(record.publication_type)
                or any(_SUPPLEMENT.search(v) for v in (record.volume, record.issue, record.pages))
            ),
        )


@dataclass(frozen=True)
class Verdict:
    """What :func:`compare` decided: ``duplicate``, ``maybe`` or ``distinct``, and why."""

    decision: str
    rule: str
    score: float
    reasons: tuple[str, ...]


def compare(a: Features, b: Features) -> Verdict:
    """Decide whether two records describe the same publication.

    >>> from metareview.records.record import Record
    >>> a = Features.of(Record(title="Peer support for depression", doi="10.1000/PS1"))
    >>> b = Features.of(Record(title="Peer Support for Depression.", doi="10.1000/ps1"))
    >>> verdict = compare(a, b)
    >>> verdict.decision, verdict.rule
    ('duplicate', 'same DOI')
    """
    title = fuzz.ratio(a.title, b.title) / 100 if a.title and b.title else 0.0
    agree, conflicts = _evidence(a, b, title)
    score = round(title, 4)
    reasons = tuple(agree + conflicts)
    same_doi = bool(a.doi) and a.doi == b.doi
    same_pmid = bool(a.pmid) and a.pmid == b.pmid
    identifier_conflict = any(c.startswith(("different DOI", "different PMID")) for c in conflicts)
    if identifier_conflict:
        if title >= TITLE_FOR_MAYBE:
            return Verdict(
                "maybe", "identifier conflict: never merged automatically", score, reasons
            )
        return Verdict("distinct", "", score, reasons)
    if same_doi or same_pmid:
        label = "same DOI" if same_doi else "same PMID"
        blocking = [c for c in conflicts if c.startswith(("one is an", "different numbers"))]
        untitled = not (a.title and b.title)
        other_evidence = "same abstract" in agree or _same_citation(agree)
        if (title >= TITLE_WITH_IDENTIFIER or (untitled and other_evidence)) and not blocking:
            return Verdict("duplicate", label, score, reasons)
        return Verdict("maybe", f"{label} but titles or details differ", score, reasons)
    if title < TITLE_FOR_MAYBE and not conflicts and _same_citation(agree):
        return Verdict("maybe", "same citation, different titles (a translation?)", score, reasons)
    if title < TITLE_FOR_MAYBE or _clearly_different(conflicts):
        return Verdict("distinct", "", score, reasons)
    if conflicts:
        return Verdict("maybe", "similar titles", score, reasons)
    year_ok = "same year" in agree or (
        "years one apart" in agree and "same volume" in agree and "same first page" in agree
    )
    author_ok = "same first author" in agree
    source_ok = any(r in agree for r in ("same journal", "same volume", "same first page"))
    abstract_ok = "same abstract" in agree
    if title >= TITLE_WITHOUT_IDENTIFIER:
        if author_ok and year_ok and (source_ok or abstract_ok):
            return Verdict("duplicate", "title+author+year+source", score, reasons)
        if author_ok and abstract_ok and "same journal" in agree and _one_year(a, b):
            return Verdict("duplicate", "early online+abstract", score, reasons)
        if author_ok and _early_online(a, b, agree):
            if abstract_ok:
                return Verdict("duplicate", "early online+abstract", score, reasons)
            if title >= TITLE_EARLY_ONLINE and _ahead_of_print(a, b) and _same_authors(a, b):
                return Verdict("duplicate", "early online+authors", score, reasons)
        if year_ok and abstract_ok and not (a.surname and b.surname):
            return Verdict("duplicate", "title+year+abstract", score, reasons)
    if _same_citation(agree):
        return Verdict("duplicate", "citation+similar title", score, reasons)
    if author_ok and "years one apart" in agree:
        return Verdict("maybe", "years one apart: an early-online version?", score, reasons)
    return Verdict("maybe", "similar titles", score, reasons)


def _early_online(a: Features, b: Features, agree: list[str]) -> bool:
    """Years one apart in the same journal, and one record lacks the volume or the first page
    the other has, or both have the same volume: the version published online ahead of print
    (dated the year it went online) and the issue version. Neither may be a conference
    abstract or in a supplement."""
    fewer = (not a.page and bool(b.page)) or (not a.volume and bool(b.volume))
    more = (not b.page and bool(a.page)) or (not b.volume and bool(a.volume))
    return (
        "years one apart" in agree
        and "same journal" in agree
        and (fewer != more or "same volume" in agree)
        and not (a.conference or b.conference or a.notice or b.notice)
    )


def _one_year(a: Features, b: Features) -> bool:
    """Only one record has a year (an early-online version indexed before it had one); neither
    is a notice, a conference abstract or in a supplement."""
    special = a.conference or b.conference or a.notice or b.notice
    return (a.year is None) != (b.year is None) and not special


def _ahead_of_print(a: Features, b: Features) -> bool:
    """One record has neither volume nor first page, the other has both."""
    return any(not x.volume and not x.page and y.volume and y.page for x, y in ((a, b), (b, a)))


def _same_authors(a: Features, b: Features) -> bool:
    """At least three authors on each side and the first ones agree name by name (a list cut
    short by "et al." is compared as far as it goes), and a title of six words or more."""
    shorter = min(len(a.surnames), len(b.surnames))
    return (
        shorter >= 3
        and len(a.title.split()) >= 6
        and all(_same_surname(x, y) for x, y in zip(a.surnames, b.surnames))
    )


def _same_citation(agree: list[str]) -> bool:
    """First author, year, journal, volume and first page all agree."""
    needed = ("same first author", "same year", "same journal", "same volume", "same first page")
    return all(item in agree for item in needed)


def _same_surname(a: str, b: str) -> bool:
    """Equal, one ends the other ('zyl' in 'vanzyl'), or a one-letter slip ('bredal')."""
    if a == b or (min(len(a), len(b)) >= 3 and (a.endswith(b) or b.endswith(a))):
        return True
    return fuzz.ratio(a, b) >= 80


def _numbers(title: str) -> frozenset[str]:
    """The numbers a title states as digits, words or Roman numerals ("three" = "3",
    "Part II" = "part 2", "25years" = "25 years")."""
    words = title.split()
    numbers = []
    for position, word in enumerate(words):
        after_label = position > 0 and words[position - 1] in _NUMBERED
        if word in _ROMAN and (word != "i" or after_label):
            numbers.append(_ROMAN[word])
        else:
            numbers.append(_NUMBER_WORDS.get(word, word))
    return frozenset(_DIGITS.findall("".join(numbers)))


def identifiers_conflict(a: Features, b: Features) -> bool:
    """Both have a DOI (or both a PMID) and they differ (a SICI alias is no conflict).

    >>> from metareview.records.record import Record
    >>> a, b, c = (Features.of(Record(title="T", doi=d)) for d in ("10.1/a", "10.1/b", ""))
    >>> identifiers_conflict(a, b), identifiers_conflict(a, c)
    (True, False)
    """
    if a.pmid and b.pmid and a.pmid != b.pmid:
        return True
    return bool(a.doi and b.doi and a.doi != b.doi and not (_sici_fits(a, b) or _sici_fits(b, a)))


def _sici_fits(a: Features, b: Features) -> bool:
    """``a``'s DOI is a legacy SICI DOI naming ``b``'s year, volume and first page (Wiley and
    others gave old articles a second, SICI-style DOI)."""
    citation = sici_citation(a.doi)
    return citation is not None and citation == (b.year, b.volume.lstrip("0"), b.page.lstrip("0"))


def _clearly_different(conflicts: list[str]) -> bool:
    """Three or more of year, first author, volume and first page disagree: two studies that
    happen to share a title (a letter and an article, a series), not worth a reviewer's time."""
    kinds = ("years ", "first authors ", "volumes ", "first pages ")
    return sum(any(c.startswith(k) for c in conflicts) for k in kinds) >= 3


def _evidence(a: Features, b: Features, title: float) -> tuple[list[str], list[str]]:
    """Which fields agree and which contradict each other (fields missing on either side are
    neither)."""
    agree = [f"title similarity {title:.2f}"]
    conflicts: list[str] = []

    def check(left: str, right: str, same: str, different: str) -> None:
        if left and right:
            (agree.append(same) if left == right else conflicts.append(f"{different}"))

    if a.doi and b.doi and a.doi != b.doi and (_sici_fits(a, b) or _sici_fits(b, a)):
        agree.append("SICI DOI encodes the other's year, volume and first page")
    else:
        check(a.doi, b.doi, "same DOI", f"different DOI ({a.doi} vs {b.doi})")
    check(a.pmid, b.pmid, "same PMID", f"different PMID ({a.pmid} vs {b.pmid})")
    if a.year is not None and b.year is not None:
        gap = abs(a.year - b.year)
        if gap == 0:
            agree.append("same year")
        elif gap == 1:
            agree.append("years one apart")
        else:
            conflicts.append(f"years {a.year} vs {b.year}")
    if a.surname and b.surname:
        if _same_surname(a.surname, b.surname):
            agree.append("same first author")
        else:
            conflicts.append(f"first authors {a.surname} vs {b.surname}")
    journal = journals_match(a.journal, b.journal)
    if journal:
        agree.append("same journal")
    check(a.volume, b.volume, "same volume", f"volumes {a.volume} vs {b.volume}")
    check(a.page, b.page, "same first page", f"first pages {a.page} vs {b.page}")
    long_enough = len(a.abstract) >= 100 and len(b.abstract) >= 100
    if long_enough and fuzz.ratio(a.abstract, b.abstract) / 100 >= ABSTRACT_AGREES:
        agree.append("same abstract")
    if a.notice != b.notice:
        conflicts.append("one is an erratum, comment or reply")
    if a.numbers != b.numbers:
        conflicts.append("different numbers in the titles")
    if ("protocol" in a.title.split()) != ("protocol" in b.title.split()):
        conflicts.append("one is a protocol")
    if a.conference != b.conference and "same first page" not in agree:
        conflicts.append("one is a conference abstract or in a supplement")
    return agree, conflicts
