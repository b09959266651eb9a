"""EndNote XML (EndNote "XML" export, Mendeley's EndNote-XML export).

Records are read one by one as the XML streams in, so a file cut short or broken half-way
keeps every record before the break and reports where it broke.

>>> xml = ('<xml><records><record><ref-type name="Journal Article">17</ref-type>'
...        '<contributors><authors><author><style>Smit, D.</style></author></authors>'
...        '</contributors><titles><title>Peer support</title></titles>'
...        '<dates><year>2023</year></dates></record></records></xml>')
>>> records, problems = parse_endnote_xml(xml, "lib.xml")
>>> records[0].title, records[0].authors, records[0].year
('Peer support', ('Smit, D.',), 2023)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from metareview.records.importers._base import (
    ImportProblem,
    clean_doi,
    clean_text,
    first_year,
    unique,
)
from metareview.records.record import Record


def parse_endnote_xml(
    text: str, file: str, source_database: str | None = None
) -> tuple[list[Record], list[ImportProblem]]:
    """Read every ``<record>`` of an EndNote XML text."""
    records: list[Record] = []
    problems: list[ImportProblem] = []
    parser = ET.XMLPullParser(events=("end",))
    count = 0

    def broken(error: ET.ParseError) -> None:
        line, column = error.position
        problems.append(ImportProblem(line, f"XML is malformed at column {column}: {error}"))

    try:
        parser.feed(text.removeprefix("\ufeff").encode("utf-8"))
        parser.close()
    except ET.ParseError as error:
        broken(error)
    try:
        for _, element in parser.read_events():
            if element.tag != "record":
                continue
            count += 1
            record = _to_record(element, file, count, source_database)
            if record is None:
                problems.append(ImportProblem(None, f"record {count} has no title or DOI; skipped"))
            else:
                records.append(record)
            element.clear()
    except ET.ParseError as error:
        broken(error)
    return records, problems


def _text(element: ET.Element | None) -> str:
    return clean_text("".join(element.itertext())) if element is not None else ""


def _to_record(
    element: ET.Element, file: str, position: int, source_database: str | None
) -> Record | None:
    def find(*paths: str) -> str:
        return next((t for t in (_text(element.find(p)) for p in paths) if t), "")

    title = find("titles/title")
    doi = clean_doi(find("electronic-resource-num")) or next(
        (
            clean_doi(_text(u))
            for u in element.iterfind("urls/related-urls/url")
            if "doi" in _text(u)
        ),
        "",
    )
    if not (title or doi):
        return None
    ref_type = element.find("ref-type")
    database = find("remote-database-name", "remote-database-provider")
    accession = find("accession-num")
    pmid = accession if accession.isdigit() and len(accession) <= 9 else ""
    return Record(
        title=title,
        abstract=find("abstract"),
        authors=unique([_text(a) for a in element.iterfind("contributors/authors/author")]),
        year=first_year(find("dates/year", "dates/pub-dates/date")),
        journal=find("periodical/full-title", "titles/secondary-title", "periodical/abbr-1"),
        volume=find("volume"),
        issue=find("number", "issue"),
        pages=find("pages"),
        doi=doi,
        pmid=pmid,
        keywords=unique([_text(k) for k in element.iterfind("keywords/keyword")]),
        publication_type=ref_type.get("name", "") if ref_type is not None else "",
        source_database=source_database or database,
        source_file=file,
        source_position=position,
        source_line=None,
    )
