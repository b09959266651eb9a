"""PubMed's MEDLINE format (the ``.nbib`` / "PubMed" export, ``PMID- …`` tags).

A tag is four characters padded with spaces and followed by ``- ``; a line starting with six
spaces continues the previous tag; a blank line or a new ``PMID-`` ends an entry. (PubMed
records exported through EndNote as ``.txt`` are RIS and go to :mod:`.ris`.)

>>> text = "PMID- 1\\nTI  - A trial of\\n      peer support.\\nFAU - Smit, Dirk\\nDP  - 2023 Jan\\n"
>>> records, problems = parse_medline(text, "pubmed.nbib")
>>> records[0].title, records[0].authors, records[0].year, records[0].pmid
('A trial of peer support.', ('Smit, Dirk',), 2023, '1')
"""

from __future__ import annotations

import re

from metareview.records.importers._base import (
    FieldBag,
    ImportProblem,
    clean_doi,
    clean_text,
    first_year,
    split_lines,
    unique,
)
from metareview.records.record import Record

_TAG = re.compile(r"^([A-Z][A-Z0-9 ]{1,3})- ?(.*)$")


def parse_medline(
    text: str, file: str, source_database: str | None = None
) -> tuple[list[Record], list[ImportProblem]]:
    """Read every MEDLINE entry in ``text``; entries without a PMID or title are reported."""
    records: list[Record] = []
    problems: list[ImportProblem] = []
    bag: FieldBag | None = None

    def finish() -> None:
        nonlocal bag
        if bag is not None:
            record = _to_record(bag, file, len(records) + 1, source_database)
            if record is None:
                problems.append(ImportProblem(bag.line, "entry has no PMID or title; skipped"))
            else:
                records.append(record)
        bag = None

    for number, line in enumerate(split_lines(text), start=1):
        if not line.strip():
            finish()
            continue
        match = _TAG.match(line) if not line.startswith(" ") else None
        if match:
            tag, value = match.group(1).strip(), match.group(2)
            if tag == "PMID" and bag is not None and bag.values.get("PMID"):
                finish()
            if bag is None:
                bag = FieldBag(number)
            bag.add(tag, value)
        elif bag is not None and line.startswith(" ") and bag.last:
            bag.extend_last(line.strip())
        else:
            problems.append(ImportProblem(number, f"not a MEDLINE tag line: {line[:40]!r}"))
    finish()
    return records, problems


def _to_record(
    bag: FieldBag, file: str, position: int, source_database: str | None
) -> Record | None:
    pmid = bag.first("PMID")
    title = clean_text(bag.first("TI", "BTI"))
    if not (pmid or title):
        return None
    doi = next((clean_doi(v) for v in bag.all("LID", "AID") if v.endswith("[doi]")), "")
    return Record(
        title=title,
        abstract=clean_text(" ".join(bag.all("AB"))),
        authors=unique(bag.all("FAU") or bag.all("AU")),
        year=first_year(bag.first("DP", "DEP", "EDAT")),
        journal=clean_text(bag.first("JT", "TA")),
        volume=bag.first("VI"),
        issue=bag.first("IP"),
        pages=bag.first("PG"),
        doi=doi,
        pmid=pmid,
        keywords=unique(bag.all("MH", "OT")),
        publication_type="; ".join(unique(bag.all("PT"))),
        source_database=source_database or "PubMed",
        source_file=file,
        source_position=position,
        source_line=bag.line,
    )
