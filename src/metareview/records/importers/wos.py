"""Web of Science "Plain text" export (``FN Clarivate …``/``PT J``/``ER``/``EF``).

A tag is two characters followed by a space; a line starting with three spaces continues the
previous tag and, for list tags (AU, AF, CR, …), is one more value.

>>> text = "FN Web of Science\\nVR 1.0\\nPT J\\nAU Smit, D\\nAF Smit, Dirk\\n   Doe, Jane\\n" \\
...        "TI Peer support\\nSO J PSYCHOL\\nPY 2023\\nDI 10.1037/law0000080\\nER\\nEF\\n"
>>> records, problems = parse_wos(text, "savedrecs.txt")
>>> records[0].authors, records[0].doi, problems
(('Smit, Dirk', 'Doe, Jane'), '10.1037/law0000080', [])
"""

from __future__ import annotations

import re

from metareview.records.importers._base import (
    FieldBag,
    ImportProblem,
    clean_doi,
    clean_text,
    first_year,
    page_range,
    split_lines,
    unique,
)
from metareview.records.record import Record

_TAG = re.compile(r"^([A-Z][A-Z0-9])(?: (.*))?$")
_LIST_TAGS = {"AU", "AF", "CR", "C1", "EM", "RI", "OI", "BA", "BF", "CA", "GP"}
_TYPES = {"J": "Journal Article", "B": "Book", "S": "Book in Series", "P": "Patent"}


def parse_wos(
    text: str, file: str, source_database: str | None = None
) -> tuple[list[Record], list[ImportProblem]]:
    """Read every entry (``PT`` … ``ER``) of a Web of Science plain-text export."""
    records: list[Record] = []
    problems: list[ImportProblem] = []
    bag: FieldBag | None = None
    for number, line in enumerate(split_lines(text), start=1):
        if not line.strip():
            continue
        if line.startswith("   ") and bag is not None and bag.last:
            if bag.last in _LIST_TAGS:
                bag.add(bag.last, line.strip())
            else:
                bag.extend_last(line.strip())
            continue
        match = _TAG.match(line)
        if not match:
            problems.append(ImportProblem(number, f"not a Web of Science tag line: {line[:40]!r}"))
            continue
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag in {"FN", "VR", "EF"}:
            continue
        if tag == "PT":
            if bag is not None:
                problems.append(ImportProblem(bag.line, f"entry has no ER before line {number}"))
                _finish(bag, file, records, problems, source_database)
            bag = FieldBag(number)
        elif bag is None:
            problems.append(ImportProblem(number, f"tag {tag} outside an entry (no PT); skipped"))
            continue
        if tag == "ER":
            _finish(bag, file, records, problems, source_database)
            bag = None
            continue
        bag.add(tag, value)
    if bag is not None:
        problems.append(ImportProblem(bag.line, "entry has no ER before the end of the file"))
        _finish(bag, file, records, problems, source_database)
    return records, problems


def _finish(
    bag: FieldBag,
    file: str,
    records: list[Record],
    problems: list[ImportProblem],
    source_database: str | None,
) -> None:
    title = clean_text(bag.first("TI"))
    doi = clean_doi(bag.first("DI"))
    if not (title or doi):
        problems.append(ImportProblem(bag.line, "entry has no title or DOI; skipped"))
        return
    keywords = [k for value in bag.all("DE", "ID") for k in value.split(";")]
    records.append(
        Record(
            title=title,
            abstract=clean_text(bag.first("AB")),
            authors=unique(bag.all("AF") or bag.all("AU")),
            year=first_year(bag.first("PY", "EA", "PD")),
            journal=clean_text(bag.first("SO", "JI", "J9")),
            volume=bag.first("VL"),
            issue=bag.first("IS"),
            pages=page_range(bag.first("BP"), bag.first("EP")) or bag.first("AR"),
            doi=doi,
            pmid=bag.first("PM"),
            keywords=unique(keywords),
            publication_type=_TYPES.get(bag.first("PT"), bag.first("PT")),
            source_database=source_database or "Web of Science",
            source_file=file,
            source_position=len(records) + 1,
            source_line=bag.line,
        )
    )
