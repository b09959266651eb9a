"""CSV, TSV and XLSX record lists (Covidence, Rayyan, Zotero CSV, Scopus CSV, WoS tab-delimited,
SYNERGY/ASReview data sets), with the column headers each tool uses recognised as aliases.

>>> import pandas as pd
>>> frame = pd.DataFrame({"Article Title": ["Peer support"], "Authors": ["Smit D; Doe J"],
...                       "Publication Year": ["2023"], "DOI": ["10.1037/x1"]})
>>> records, problems = records_from_frame(frame, "covidence.csv")
>>> records[0].authors, records[0].year, records[0].source_line
(('Smit D', 'Doe J'), 2023, 2)
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pandas as pd

from metareview.errors import RecordsError
from metareview.records.importers._base import (
    MAX_EXPORT_BYTES,
    ImportProblem,
    clean_doi,
    clean_text,
    decode_bytes,
    first_year,
    page_range,
    read_export_bytes,
    unique,
)
from metareview.records.record import Record

#: Accepted headers per record field, compared after lower-casing and dropping non-letters.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "articletitle", "documenttitle", "primarytitle", "ti", "t1"),
    "abstract": ("abstract", "abstractnote", "ab", "n2", "summary"),
    "authors": ("authors", "author", "authorfullnames", "authornames", "af", "au", "fau"),
    "year": (
        "year",
        "publicationyear",
        "publishedyear",
        "pubyear",
        "py",
        "date",
        "publicationdate",
        "dp",
    ),
    "journal": (
        "journal",
        "journaltitle",
        "journalbook",
        "sourcetitle",
        "publicationtitle",
        "secondarytitle",
        "source",
        "so",
        "jt",
        "t2",
    ),
    "volume": ("volume", "vl", "vi"),
    "issue": ("issue", "number", "is", "ip"),
    "pages": ("pages", "page", "pg", "pagerange"),
    "start_page": ("startpage", "pagestart", "bp", "sp"),
    "end_page": ("endpage", "pageend", "ep"),
    "doi": ("doi", "di", "do", "digitalobjectidentifier"),
    "pmid": ("pmid", "pubmedid", "pm"),
    "keywords": ("keywords", "authorkeywords", "keyword", "manualtags", "de", "kw", "mesh"),
    "publication_type": (
        "publicationtype",
        "documenttype",
        "itemtype",
        "referencetype",
        "type",
        "pt",
    ),
    "source_database": ("database", "sourcedatabase", "db"),
}
_COVIDENCE_NAMES = re.compile(r"^[^,;]+ [A-Z]{1,4}(, [^,;]+ [A-Z]{1,4})+$")


def read_table(path: Path) -> tuple[pd.DataFrame, str, str]:
    """Every cell of a CSV/TSV/XLSX file as text ('' for empty cells), the encoding, and a
    note when decoding took a fallback (see :func:`decode_bytes`). An empty file gives a
    frame without columns."""
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if suffixes and suffixes[-1] in {".xlsx", ".xlsm"}:
            check_workbook_size(path)
            return pd.read_excel(path, dtype=str, keep_default_na=False), "xlsx", ""
        decoded = decode_bytes(read_export_bytes(path))
        if not decoded.text.strip():
            return pd.DataFrame(), decoded.encoding, decoded.note
        sep = "\t" if {".tsv", ".tab"} & set(suffixes) else None
        frame = pd.read_csv(
            io.StringIO(decoded.text), dtype=str, keep_default_na=False, sep=sep, engine="python"
        )
        return frame, decoded.encoding, decoded.note
    except (ValueError, OSError, csv.Error, zipfile.BadZipFile, pd.errors.ParserError) as error:
        raise RecordsError(f"{path}: cannot be read as a table: {error}") from error


def check_workbook_size(path: Path) -> None:
    """Refuse an XLSX whose parts decompress to more than the largest export read (an XLSX is
    a zip: a small file can hold gigabytes of sheet XML)."""
    with zipfile.ZipFile(path) as archive:
        size = sum(member.file_size for member in archive.infolist())
    if size > MAX_EXPORT_BYTES:
        raise RecordsError(
            f"{path}: the workbook decompresses to {size >> 20} MiB, more than "
            f"{MAX_EXPORT_BYTES >> 20} MiB; not read (export it as CSV in parts)"
        )


def column_map(columns: list[str]) -> dict[str, str]:
    """Which actual column holds each record field (first alias found wins).

    >>> column_map(["Title", "Authors", "Publication Year", "DOI", "Notes"])
    {'title': 'Title', 'authors': 'Authors', 'year': 'Publication Year', 'doi': 'DOI'}
    """
    keys = {re.sub(r"[^a-z0-9]", "", str(c).lower()): c for c in reversed(columns)}
    found: dict[str, str] = {}
    for field_name, aliases in HEADER_ALIASES.items():
        for alias in aliases:
            if alias in keys:
                found[field_name] = keys[alias]
                break
    return found


def split_authors(value: str) -> list[str]:
    """Split an author cell: on ';', else ' and ', else Covidence's 'Smit D, Doe J' commas.

    >>> split_authors("Smit D, Doe J"), split_authors("Smith, John")
    (['Smit D', ' Doe J'], ['Smith, John'])
    """
    if ";" in value:
        return value.split(";")
    if " and " in value:
        return value.split(" and ")
    if _COVIDENCE_NAMES.match(value.strip()):
        return value.split(",")
    return [value]


def records_from_frame(
    frame: pd.DataFrame, file: str, source_database: str | None = None
) -> tuple[list[Record], list[ImportProblem]]:
    """One record per non-empty row; ``source_line`` is the spreadsheet row (header = 1)."""
    columns = column_map(list(frame.columns))
    if not {"title", "doi", "pmid"} & set(columns):
        raise RecordsError(
            f"{file}: no title, DOI or PMID column; found {', '.join(map(str, frame.columns))}"
        )
    records: list[Record] = []
    problems: list[ImportProblem] = []
    for offset, row in enumerate(frame.itertuples(index=False)):
        cells = dict(zip(frame.columns, row, strict=True))

        def get(field_name: str, cells: dict = cells) -> str:
            column = columns.get(field_name)
            return clean_text(str(cells[column])) if column is not None else ""

        line = offset + 2
        if not any(str(v).strip() for v in cells.values()):
            continue
        title, doi, pmid = get("title"), clean_doi(get("doi")), get("pmid")
        if not (title or doi or pmid):
            problems.append(ImportProblem(line, "row has no title, DOI or PMID; skipped"))
            continue
        records.append(
            Record(
                title=title,
                abstract=get("abstract"),
                authors=unique(split_authors(get("authors"))),
                year=first_year(get("year")),
                journal=get("journal"),
                volume=get("volume"),
                issue=get("issue"),
                pages=get("pages") or page_range(get("start_page"), get("end_page")),
                doi=doi,
                pmid=pmid.removesuffix(".0"),
                keywords=unique(re.split(r"\s*;\s*", get("keywords"))),
                publication_type=get("publication_type"),
                source_database=source_database or get("source_database"),
                source_file=file,
                source_position=len(records) + 1,
                source_line=line,
            )
        )
    return records, problems
