"""Read search exports into canonical :class:`~metareview.records.record.Record` objects.

The format is recognised from the content (the first meaningful line), with the file extension
as a tie-breaker, so a PubMed export saved as ``.txt`` or a RIS file named ``.txt`` is read
correctly. Supported: RIS (Zotero, EndNote, Mendeley, Scopus, Web of Science, ProQuest, Embase,
Ovid), PubMed MEDLINE/nbib, BibTeX/BibLaTeX, Web of Science plain text, EndNote XML, and
CSV/TSV/XLSX (optionally gzipped CSV) with the headers of common tools.

>>> from pathlib import Path
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "hits.txt").write_text("TY  - JOUR\\nTI  - Peer support\\nER  - \\n")
>>> result = read_records(folder / "hits.txt", source_database="Embase")
>>> result.format, len(result.records), result.records[0].source_database
('ris', 1, 'Embase')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from metareview.errors import RecordsError
from metareview.records.importers._base import (
    ImportProblem,
    ImportResult,
    database_in_header,
    decode_bytes,
    read_export_bytes,
)
from metareview.records.importers.bibtex import parse_bibtex
from metareview.records.importers.endnote_xml import parse_endnote_xml
from metareview.records.importers.pubmed import parse_medline
from metareview.records.importers.ris import parse_ris
from metareview.records.importers.tabular import read_table, records_from_frame
from metareview.records.importers.wos import parse_wos
from metareview.records.record import Record

__all__ = ["FORMATS", "ImportProblem", "ImportResult", "detect_format", "read_many", "read_records"]

Parser = Callable[[str, str, "str | None"], tuple[list[Record], list[ImportProblem]]]

#: Text formats: name -> parser; tabular formats are read through pandas.
FORMATS: dict[str, Parser] = {
    "ris": parse_ris,
    "medline": parse_medline,
    "bibtex": parse_bibtex,
    "wos": parse_wos,
    "endnote-xml": parse_endnote_xml,
}
_EXTENSIONS = {
    ".ris": "ris",
    ".nbib": "medline",
    ".medline": "medline",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".xml": "endnote-xml",
    ".csv": "table",
    ".tsv": "table",
    ".tab": "table",
    ".xlsx": "table",
    ".xlsm": "table",
}
_SNIFFERS = (
    ("ris", re.compile(r"^TY  -")),
    ("medline", re.compile(r"^PMID- ?\d")),
    ("wos", re.compile(r"^(FN |VR |PT [A-Z]\s*$)")),
    ("bibtex", re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]")),
    ("endnote-xml", re.compile(r"^\s*<(\?xml|xml|records)\b")),
)


def detect_format(path: str | Path, text: str | None = None) -> str:
    """The format name of a file: from its first meaningful lines, else from its extension.

    >>> detect_format("export.txt", "TY  - JOUR\\nTI  - Exercise for depression\\nER  - \\n")
    'ris'
    >>> detect_format("refs.bib")
    'bibtex'
    """
    path = Path(path)
    suffix = _suffix(path)
    if _EXTENSIONS.get(suffix) == "table":
        return "table"
    if text is not None:
        for line in text.removeprefix("\ufeff").splitlines()[:200]:
            if not line.strip():
                continue
            for name, pattern in _SNIFFERS:
                if pattern.match(line):
                    return name
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    raise RecordsError(
        f"{path}: not a recognised export (RIS, MEDLINE/nbib, BibTeX, Web of Science, "
        "EndNote XML, CSV/TSV/XLSX)"
    )


def read_records(
    path: str | Path, source_database: str | None = None, format: str | None = None
) -> ImportResult:
    """Read one export file.

    Parameters
    ----------
    path
        The file. Its format is detected from its content (see :func:`detect_format`).
    source_database
        The database the search ran in ("Embase", "PubMed", …), stamped on every record; when
        ``None`` it is taken from the file where the export says it (RIS ``DB``/``DP`` tags,
        Scopus and WoS accession numbers, MEDLINE and WoS formats), else left empty.
    format
        Force a format (one of ``ris, medline, bibtex, wos, endnote-xml, table``) instead of
        detecting it.

    Returns
    -------
    ImportResult
        ``records`` in file order and ``errors``: every entry skipped or repaired, by line.

    Raises
    ------
    RecordsError
        When the file is missing, unreadable or of no known format.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "search.ris"
    >>> _ = path.write_text("TY  - JOUR\\nTI  - Exercise for depression\\nPY  - 2019\\nER  - \\n")
    >>> res = read_records(path)
    >>> res.format, [(r.title, r.year) for r in res.records], res.errors
    ('ris', [('Exercise for depression', 2019)], ())
    """
    known = [*FORMATS, "table"]
    if format is not None and format not in known:
        raise ValueError(f"format must be one of {', '.join(known)}; got {format!r}")
    path = Path(path)
    if not path.is_file():
        raise RecordsError(f"{path}: no such file")
    name = str(path)
    empty = (ImportProblem(None, "the file is empty"),)
    if format == "table" or (format is None and _EXTENSIONS.get(_suffix(path)) == "table"):
        frame, encoding, note = read_table(path)
        notes = (note,) if note else ()
        if frame.columns.empty:
            return ImportResult(name, (), empty, "table", encoding, notes)
        records, problems = records_from_frame(frame, name, source_database)
        notes += _unnamed_sources(records, path, source_database)
        return ImportResult(name, tuple(records), tuple(problems), "table", encoding, notes)
    text, encoding, note = decode_bytes(read_export_bytes(path))
    notes = (note,) if note else ()
    if not text.strip():
        return ImportResult(name, (), empty, "", encoding, notes)
    kind = format or detect_format(path, text)
    records, problems = FORMATS[kind](text, name, source_database)
    if not records and not problems:
        problems = [ImportProblem(None, f"no {kind} entries found")]
    header = database_in_header(text) if source_database is None else ""
    if header:
        records = [r if r.source_database else replace(r, source_database=header) for r in records]
    notes += _unnamed_sources(records, path, source_database)
    return ImportResult(name, tuple(records), tuple(problems), kind, encoding, notes)


def _unnamed_sources(
    records: Sequence[Record], path: Path, source_database: str | None
) -> tuple[str, ...]:
    """A note when records name no source database (PRISMA then counts the file's name)."""
    unnamed = sum(1 for r in records if not r.source_database)
    if source_database or not unnamed:
        return ()
    return (
        f"{unnamed} of {len(records)} records name no source database; PRISMA counts them "
        f"under the file name {path.name!r} (give --source NAME to name it)",
    )


def read_many(
    paths: Iterable[str | Path], source_database: str | None = None
) -> tuple[ImportResult, ...]:
    """:func:`read_records` for each file, in order."""
    return tuple(read_records(path, source_database) for path in paths)


def all_records(results: Sequence[ImportResult]) -> tuple[Record, ...]:
    """Every record of several imports, in file order (the input :func:`deduplicate` takes)."""
    return tuple(record for result in results for record in result.records)


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return suffixes[-1] if suffixes else ""
