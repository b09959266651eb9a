"""RIS, as Zotero, EndNote, Mendeley, Scopus, Web of Science, ProQuest, Embase and Ovid write it.

Our own line reader rather than :mod:`rispy`: it must report each skipped entry with its line
and survive the quirks of real exports — Ovid's lines after ``ER`` (``NL  -`` tags, "Link to
the Ovid Full Text …" lines, "2." counters), Embase/Ovid abstracts in ``N2``, continuation
lines without a tag (EndNote puts one keyword per line under one ``KW``), BOMs and CR-only line
ends.

>>> text = "TY  - JOUR\\nTI  - Peer support\\nAU  - Smit, D.\\nPY  - 2023//\\nN2  - Trial.\\nER  - \\n"
>>> records, problems = parse_ris(text, "x.ris")
>>> records[0].title, records[0].authors, records[0].year, records[0].abstract
('Peer support', ('Smit, D.',), 2023, 'Trial.')
"""

from __future__ import annotations

import re

from metareview.records.importers._base import (
    FieldBag,
    ImportProblem,
    clean_doi,
    clean_text,
    find_pmid,
    first_year,
    known_database,
    page_range,
    split_lines,
    unique,
)
from metareview.records.record import Record

_TAG = re.compile(r"^([A-Z][A-Z0-9])  - ?(.*)$")
_LIST_TAGS = {"KW", "AU", "A1", "AD", "N1"}

_OVID_DATABASE = re.compile(r"[?&]D=([a-z]+)", re.IGNORECASE)
_OVID_CODES = (  # Ovid's database codes (the D= of its links), by prefix
    ("psyc", "PsycINFO"),
    ("emed", "Embase"),
    ("emez", "Embase"),
    ("emex", "Embase"),
    ("oemez", "Embase"),
    ("medl", "MEDLINE"),
    ("mesz", "MEDLINE"),
    ("mesx", "MEDLINE"),
    ("prem", "MEDLINE"),
    ("ppez", "MEDLINE"),
    ("cctr", "Cochrane Library"),
    ("coch", "Cochrane Library"),
    ("cdsr", "Cochrane Library"),
    ("cin", "CINAHL"),
)


def _ovid_database(code: str) -> str:
    """The database an Ovid link's ``D=`` code names ("Ovid" when unknown).

    >>> _ovid_database("psyc16"), _ovid_database("emexb"), _ovid_database("zzz")
    ('PsycINFO', 'Embase', 'Ovid')
    """
    code = code.lower()
    return next((name for prefix, name in _OVID_CODES if code.startswith(prefix)), "Ovid")


RIS_TYPES = {
    "JOUR": "Journal Article",
    "JFULL": "Journal Article",
    "EJOUR": "Journal Article",
    "ABST": "Abstract",
    "BOOK": "Book",
    "EBOOK": "Book",
    "CHAP": "Book Section",
    "ECHAP": "Book Section",
    "CONF": "Conference Proceedings",
    "CPAPER": "Conference Paper",
    "THES": "Thesis",
    "RPRT": "Report",
    "GEN": "Generic",
    "ELEC": "Web Page",
    "NEWS": "Newspaper Article",
    "MGZN": "Magazine Article",
    "SER": "Serial",
    "DATA": "Dataset",
    "UNPB": "Unpublished Work",
    "INPR": "In Press",
    "PAT": "Patent",
    "STAT": "Statute",
    "CTLG": "Catalog",
}


def parse_ris(
    text: str, file: str, source_database: str | None = None
) -> tuple[list[Record], list[ImportProblem]]:
    """Read every RIS entry in ``text``; return the records and the located problems.

    An entry runs from ``TY`` to ``ER``; what lies between ``ER`` and the next ``TY`` is export
    furniture and is ignored. An entry with no title, abstract, DOI or PMID is skipped and
    reported; one cut short (a new ``TY`` or the end of the file before its ``ER``) is kept and
    reported.
    """
    records: list[Record] = []
    problems: list[ImportProblem] = []
    bag: FieldBag | None = None
    stray_line: int | None = None

    def finish(end_line: int, closed: bool) -> None:
        nonlocal bag
        if bag is None:
            return
        if not closed:
            problems.append(
                ImportProblem(bag.line, f"entry has no ER line before line {end_line}; kept")
            )
        record = _to_record(bag, file, len(records) + 1, source_database)
        if record is None:
            problems.append(
                ImportProblem(bag.line, "entry has no title, abstract, DOI or PMID; skipped")
            )
        else:
            records.append(record)
        bag = None

    lines = split_lines(text)
    for number, line in enumerate(lines, start=1):
        match = _TAG.match(line)
        if match:
            tag, value = match.group(1), (match.group(2) or "").strip()
            if tag == "TY":
                finish(number, closed=False)
                if stray_line is not None:
                    problems.append(
                        ImportProblem(stray_line, "tagged lines outside an entry (no TY); skipped")
                    )
                    stray_line = None
                bag = FieldBag(number)
                bag.add("TY", value)
            elif bag is None:
                # Ovid writes NL (and others write stray tags) after ER: furniture, unless it
                # looks like the body of an entry whose TY line is missing.
                if tag in {"TI", "T1", "AB", "AU", "A1"} and stray_line is None:
                    stray_line = number
            elif tag == "ER":
                finish(number, closed=True)
            else:
                bag.add(tag, value)
        elif bag is not None and line.strip():
            _continue(bag, bag.last, line)
    finish(len(lines) + 1, closed=False)
    if stray_line is not None:
        problems.append(ImportProblem(stray_line, "tagged lines outside an entry (no TY); skipped"))
    return records, problems


def _continue(bag: FieldBag, tag: str, line: str) -> None:
    """An untagged line continues the last tag; under KW/AU/AD/N1 it is one more value."""
    if tag in _LIST_TAGS:
        bag.add(tag, line)
    else:
        values = bag.values.setdefault(tag, [""])
        values[-1] = f"{values[-1]}\n{line}" if values[-1] else line


def _to_record(
    bag: FieldBag, file: str, position: int, source_database: str | None
) -> Record | None:
    title = clean_text(bag.first("TI", "T1", "CT", "BT", "ST"))
    abstracts = [clean_text(v) for v in bag.all("AB", "N2")]
    abstract = max(abstracts, key=len, default="")
    links = bag.all("UR", "L1", "L2", "L3", "L4", "LK")
    doi = clean_doi(bag.first("DO")) or next(
        (clean_doi(v) for v in [*bag.all("M3", "N1"), *links] if "doi" in v.lower()), ""
    )
    doi = doi or next((d for d in map(clean_doi, bag.all("M3")) if d), "")
    pmid = _pmid(bag, links)
    if not (title or abstract or doi or pmid):
        return None
    kind = bag.first("TY").upper()
    journal_tags = ("T2", "JF", "JO", "JA", "J2", "J1") if kind != "CHAP" else ("T3", "JF", "JO")
    return Record(
        title=title,
        abstract=abstract,
        authors=unique(bag.all("AU", "A1")),
        year=first_year(bag.first("PY", "Y1", "DA", "Y2")),
        journal=clean_text(bag.first(*journal_tags)),
        volume=clean_text(bag.first("VL")),
        issue=clean_text(bag.first("IS", "CP")),
        pages=page_range(bag.first("SP"), bag.first("EP")),
        doi=doi,
        pmid=pmid,
        keywords=unique(_split_keywords(bag.all("KW"))),
        publication_type=RIS_TYPES.get(kind, kind),
        source_database=source_database or _database(bag, links),
        source_file=file,
        source_position=position,
        source_line=bag.line,
    )


def _split_keywords(values: list[str]) -> list[str]:
    """Some exports put all keywords in one KW line separated by semicolons."""
    out: list[str] = []
    for value in values:
        out.extend(value.split(";") if ";" in value else [value])
    return out


def _pmid(bag: FieldBag, links: list[str]) -> str:
    accession = bag.first("AN")
    source = " ".join(bag.all("DP", "DB")).lower()
    if accession.isdigit() and ("pubmed" in source or "nlm" in source or "medline" in source):
        return accession
    return find_pmid(*links, *bag.all("C2", "N1", "M1", "AN"))


def _database(bag: FieldBag, links: list[str]) -> str:
    """The database a record names (``DB``/``DP``, as written when not a known one), else
    the one its accession number or links reveal."""
    named = bag.all("DB", "DP")
    for value in named:
        if name := known_database(value):
            return name
    if named:
        return clean_text(named[0])  # as written, e.g. ProQuest's "PTSDpubs"
    accession = bag.first("AN")
    if accession.startswith("WOS:"):
        return "Web of Science"
    if any("scopus.com" in link for link in links):
        return "Scopus"
    for link in links:
        if "ovid.com" in link:
            code = _OVID_DATABASE.search(link)
            return _ovid_database(code.group(1)) if code else "Ovid"
    return ""
