"""What every importer shares: the result types, decoding, and field clean-up.

>>> text, encoding, note = decode_bytes("Müller".encode("latin-1"))
>>> text, encoding
('Müller', 'latin-1')
>>> split_lines("a\\r\\nb\\rc\\nd")
['a', 'b', 'c', 'd']
>>> clean_doi("https://dx.doi.org/10.1002/CPP.2398 [doi]")
'10.1002/CPP.2398'
>>> first_year("2019//"), first_year("Jun 3"), page_range("349", "69"), page_range("No", "Specified")
(2019, None, '349-69', '')
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from metareview.errors import RecordsError
from metareview.records.record import Record

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_TAIL = re.compile(r"(?:\s*\[doi\])?[\s.,;]*$", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_PMID_IN_TEXT = re.compile(
    r"(?:PMID:?\s*|pubmed(?:\.ncbi\.nlm\.nih\.gov|/)/?(?:pubmed/)?)(\d{1,9})\b", re.IGNORECASE
)


@dataclass(frozen=True)
class ImportProblem:
    """One located problem in an import: the 1-based ``line`` (``None`` for the whole file)."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message}


@dataclass(frozen=True)
class ImportResult:
    """The records read from one file, and every problem met (each entry skipped is named).

    ``to_dict()`` has the shape ``metareview records import --json`` prints for each file:
    ``{"file", "format", "encoding", "records": <count>, "errors": [{"line", "message"}],
    "notes"}``; ``notes`` say what was repaired in the whole file (e.g. the encoding's fallback).
    """

    file: str
    records: tuple[Record, ...]
    errors: tuple[ImportProblem, ...] = ()
    format: str = ""
    encoding: str = ""
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "encoding": self.encoding,
            "records": len(self.records),
            "errors": [problem.to_dict() for problem in self.errors],
            "notes": list(self.notes),
        }

    def to_frame(self):
        """The records as a DataFrame, one row each (authors and keywords joined by '; ')."""
        import pandas as pd

        rows = []
        for record in self.records:
            row = record.to_dict()
            row["authors"] = "; ".join(record.authors)
            row["keywords"] = "; ".join(record.keywords)
            rows.append(row)
        return pd.DataFrame(rows, columns=list(Record.__dataclass_fields__))

    def summary(self) -> str:
        lines = [f"{self.file} ({self.format}, {self.encoding}): {len(self.records)} records"]
        lines.extend(f"note: {note}" for note in self.notes)
        if self.errors:
            lines.append(f"{len(self.errors)} problems:")
            lines.extend(f"  {problem}" for problem in self.errors)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from html import escape

        items = "".join(f"<li>{escape(str(p))}</li>" for p in self.errors)
        head = escape(self.summary().splitlines()[0])
        return f"<p>{head}</p>" + (f"<ul>{items}</ul>" if items else "")


@dataclass
class FieldBag:
    """The raw tagged values of one entry while it is read: tag -> list of values, and the
    tag added last (the one an untagged continuation line belongs to)."""

    line: int
    values: dict[str, list[str]] = field(default_factory=dict)
    last: str = ""

    def add(self, tag: str, value: str) -> None:
        self.values.setdefault(tag, []).append(value)
        self.last = tag

    def extend_last(self, text: str) -> None:
        """Continue the last value of the last tag with ``text`` (after a space)."""
        values = self.values[self.last]
        values[-1] = f"{values[-1]} {text}"

    def first(self, *tags: str) -> str:
        for tag in tags:
            for value in self.values.get(tag, ()):
                if value.strip():
                    return value.strip()
        return ""

    def all(self, *tags: str) -> list[str]:
        return [v.strip() for tag in tags for v in self.values.get(tag, ()) if v.strip()]


class Decoded(NamedTuple):
    """An export's text, the encoding it was read in, and a note when that took a fallback."""

    text: str
    encoding: str
    note: str = ""


def decode_bytes(data: bytes) -> Decoded:
    """Decode an export: a BOM decides; else UTF-8 if valid; else Windows-1252, else Latin-1.

    A byte-order mark followed by bytes its encoding cannot read (a Latin-1 file that an
    editor stamped with a UTF-8 BOM) is read in the fallback, and the note says so. NUL
    characters (which no export means, and PostgreSQL cannot store) are removed and counted.

    >>> decode_bytes(b"TI  - A\\x00 trial\\x00")
    Decoded(text='TI  - A trial', encoding='utf-8', note='removed 2 NUL characters')

    >>> decode_bytes("Müller 5 €".encode("cp1252"))
    Decoded(text='Müller 5 €', encoding='cp1252', note='')
    >>> decode_bytes("Müller".encode("utf-8"))[:2]
    ('Müller', 'utf-8')
    >>> decoded = decode_bytes(b"\\xef\\xbb\\xbfM\\xfcller")
    >>> decoded.text, decoded.encoding
    ('Müller', 'latin-1')
    >>> decoded.note
    'starts with a utf-8 byte-order mark but byte 0xfc at offset 4 is not utf-8; read as latin-1'
    """
    decoded = _decode(data)
    nul = decoded.text.count("\x00")
    if not nul:
        return decoded
    note = "; ".join(filter(None, (decoded.note, f"removed {nul} NUL characters")))
    return Decoded(decoded.text.replace("\x00", ""), decoded.encoding, note)


def _decode(data: bytes) -> Decoded:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(encoding), encoding)
            except UnicodeDecodeError as err:
                text, fallback = _single_byte(data[len(bom) :])
                name = encoding.removesuffix("-sig")
                offset = err.start + (len(bom) if encoding == "utf-8-sig" else 0)
                note = (
                    f"starts with a {name} byte-order mark but byte 0x{err.object[err.start]:02x}"
                    f" at offset {offset} is not {name}; read as {fallback}"
                )
                return Decoded(text, fallback, note)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        return Decoded(*_single_byte(data))


def _single_byte(data: bytes) -> tuple[str, str]:
    if not any(0x80 <= byte <= 0x9F for byte in data):
        return data.decode("latin-1"), "latin-1"
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


MAX_EXPORT_BYTES = 1 << 30
"""The largest (decompressed) export read: 1 GiB, far above any real search export."""


def read_export_bytes(path: Path) -> bytes:
    """The bytes of an export, gunzipped when it ends in ``.gz``, with located errors.

    A file that is not gzip, gzip data cut short, or more than :data:`MAX_EXPORT_BYTES`
    once decompressed (a gzip bomb) is a :class:`~metareview.errors.RecordsError`.
    """
    if path.suffix.lower() != ".gz":
        return path.read_bytes()
    chunks, size = [], 0
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                if size > MAX_EXPORT_BYTES:
                    raise RecordsError(
                        f"{path}: decompresses to more than {MAX_EXPORT_BYTES >> 20} MiB; "
                        "not read (split the export)"
                    )
                chunks.append(chunk)
    except gzip.BadGzipFile as err:
        raise RecordsError(f"{path}: not a gzip file ({err}); rename it without .gz") from err
    except (EOFError, zlib.error) as err:
        raise RecordsError(
            f"{path}: the gzip data is truncated or corrupt ({err}); download it again"
        ) from err
    return b"".join(chunks)


KNOWN_DATABASES = {
    "scopus": "Scopus",
    "embase": "Embase",
    "medline": "MEDLINE",
    "pubmed": "PubMed",
    "nlm": "PubMed",
    "web of science": "Web of Science",
    "psycinfo": "PsycINFO",
    "apa psycinfo": "PsycINFO",
    "proquest": "ProQuest",
    "cinahl": "CINAHL",
    "cochrane": "Cochrane Library",
}
_HEADER_DATABASE = re.compile(
    r"^\s*(?:source\s+)?data\s?base(?:\s+name)?\s*[:=]\s*([^<\r\n]+)", re.IGNORECASE | re.MULTILINE
)
HEADER_LINES = 40


def known_database(value: str) -> str:
    """The standard name of a database a value names, or '' (e.g. "APA PsycInfo" → PsycINFO).

    >>> known_database("Embase <1974 to 2023 March 01>"), known_database("PTSDpubs")
    ('Embase', '')
    """
    value = value.strip().lower()
    if value in KNOWN_DATABASES:
        return KNOWN_DATABASES[value]
    return next((name for key, name in KNOWN_DATABASES.items() if key in value), "")


def database_in_header(text: str) -> str:
    """The database an export's header names (a ``Database: …`` line among its first lines,
    as Ovid and EBSCO write), or ''.

    >>> database_in_header("Database: APA PsycInfo <1806 to March Week 1 2023>\\nSearch Strategy:")
    'PsycINFO'
    >>> database_in_header("Database: MyLocalIndex\\n1.\\nTY  - JOUR")
    'MyLocalIndex'
    """
    head = "\n".join(text.splitlines()[:HEADER_LINES])
    match = _HEADER_DATABASE.search(head)
    if not match:
        return ""
    named = clean_text(match.group(1))
    return known_database(named) or named


def split_lines(text: str) -> list[str]:
    """Split on CRLF, CR or LF only (``str.splitlines`` also breaks on form feeds and U+2028)."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def clean_text(value: str) -> str:
    """Collapse runs of white space to one space.

    >>> clean_text("  Depression   in\\n adults ")
    'Depression in adults'
    """
    return " ".join(value.split())


def clean_doi(value: str) -> str:
    """The bare DOI (``10.xxxx/...``) in a DOI field or link, or '' when there is none.

    >>> clean_doi("https://doi.org/10.1016%2FS0140-6736(20)30183-5.")
    '10.1016/S0140-6736(20)30183-5'
    """
    match = _DOI.search(value.replace("%2F", "/").replace("%2f", "/"))
    if not match:
        return ""
    return _DOI_TAIL.sub("", match.group(0))


def find_pmid(*texts: str) -> str:
    """A PubMed ID written as 'PMID: 123' or in a PubMed link inside free text.

    >>> find_pmid("no id here", "see PMID: 31978945")
    '31978945'
    """
    for text in texts:
        match = _PMID_IN_TEXT.search(text)
        if match:
            return match.group(1)
    return ""


def first_year(value: str) -> int | None:
    """The first plausible four-digit year (1500–2099) in a date field.

    >>> first_year("2019 Dec 12")
    2019
    """
    match = _YEAR.search(value)
    return int(match.group(1)) if match else None


def page_range(start: str, end: str) -> str:
    """'start-end' from separate start and end pages (either may be empty or be a range).

    >>> page_range("349", "69"), page_range("No", "Specified")
    ('349-69', '')
    """
    start, end = start.strip(), end.strip()
    if start.lower() == "no" and end.lower() == "specified":  # Ovid's "No Pagination Specified"
        return ""
    if not end or "-" in start or end == start:
        return start
    if not start:
        return end
    return f"{start}-{end}"


def unique(values: list[str]) -> tuple[str, ...]:
    """The non-empty values in first-seen order, without repeats.

    >>> unique(["Smith J", " Smith  J", "", "Lee K"])
    ('Smith J', 'Lee K')
    """
    return tuple(dict.fromkeys(v for v in (clean_text(x) for x in values) if v))
