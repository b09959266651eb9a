"""BibTeX and BibLaTeX (Zotero, JabRef, Mendeley, Google Scholar exports).

Our own reader rather than bibtexparser: it locates every problem by line, recovers at the
next ``@entry{`` when an entry's braces never close, and does not depend on which of
bibtexparser's incompatible major versions is installed. ``@string`` macros, ``#``
concatenation, month macros, ``@comment`` and ``@preamble`` are understood.

Macros are hostile input too: ``@string`` definitions that each concatenate the previous one
twice double at every level (a 1 KB file would expand to gigabytes). Expansion is bounded: a
value longer than :data:`MAX_VALUE_CHARS`, a macro built from more than
:data:`MAX_MACRO_DEPTH` levels of macros, or more than :data:`MAX_EXPANDED_CHARS` of macro
text substituted in one file is refused with the line of the entry, which is skipped.

>>> text = '@string{jp = "J Psychol"}\\n@article{smit2023,\\n  title = {Peer {Support}},\\n' \\
...        '  author = {Smit, Dirk and M{\\\\"u}ller, Ana},\\n  journal = jp,\\n  year = 2023}\\n'
>>> records, problems = parse_bibtex(text, "lib.bib")
>>> records[0].title, records[0].authors, records[0].journal, records[0].year
('Peer Support', ('Smit, Dirk', 'Müller, Ana'), 'J Psychol', 2023)
"""

from __future__ import annotations

import bisect
import re

from metareview.records.importers._base import (
    ImportProblem,
    clean_doi,
    find_pmid,
    first_year,
    unique,
)
from metareview.records.importers.latex import latex_to_text
from metareview.records.record import Record

_ENTRY_START = re.compile(r"@\s*([A-Za-z]+)\s*([{(])")
_NEXT_ENTRY = re.compile(r"\n[ \t]*@\s*[A-Za-z]+\s*[{(]")
_NAME = re.compile(r"\s*([^\s=,{}\"#]+)\s*")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_TYPES = {
    "article": "Journal Article",
    "inproceedings": "Conference Paper",
    "conference": "Conference Paper",
    "proceedings": "Conference Proceedings",
    "book": "Book",
    "inbook": "Book Section",
    "incollection": "Book Section",
    "phdthesis": "Thesis",
    "mastersthesis": "Thesis",
    "thesis": "Thesis",
    "techreport": "Report",
    "report": "Report",
    "misc": "Generic",
    "online": "Web Page",
    "unpublished": "Unpublished Work",
}


MAX_VALUE_CHARS = 1_000_000
"""The longest field or macro value, after expansion (a long abstract is ~10,000)."""
MAX_MACRO_DEPTH = 32
"""How many levels of ``@string`` macros a macro may be built from."""
MAX_EXPANDED_CHARS = 50_000_000
"""The most macro text substituted into one file's values."""


class _Macros:
    """The ``@string`` macros defined so far, each with its depth, and the expansion budget."""

    def __init__(self) -> None:
        self.values = {month: (month.capitalize(), 0) for month in _MONTHS}
        self.budget = MAX_EXPANDED_CHARS
        self.refused: dict[str, int] = {}  # macro name -> line of its refused definition

    def expand(self, token: str, offset: int) -> tuple[str, int]:
        """The text and depth of a macro (an undefined name stands for itself)."""
        if token.lower() in self.refused:
            line = self.refused[token.lower()]
            raise _EntryError(offset, f"uses macro {token!r}, refused at line {line}")
        value, depth = self.values.get(token.lower(), (token, -1))
        if depth >= 0:
            self.budget -= len(value)
            if self.budget < 0:
                raise _EntryError(
                    offset,
                    f"@string macros expand to more than {MAX_EXPANDED_CHARS:,} characters "
                    "in this file",
                )
        return value, depth + 1

    def define(self, name: str, value: str, depth: int, offset: int) -> None:
        if depth > MAX_MACRO_DEPTH:
            raise _EntryError(
                offset, f"macro {name!r} nests more than {MAX_MACRO_DEPTH} levels of macros"
            )
        self.values[name] = (value, depth)


class _EntryError(Exception):
    def __init__(self, offset: int, message: str):
        super().__init__(message)
        self.offset = offset


def parse_bibtex(
    text: str, file: str, source_database: str | None = None
) -> tuple[list[Record], list[ImportProblem]]:
    """Read every entry in a BibTeX text; malformed entries are reported by line and skipped."""
    line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def line_of(offset: int) -> int:
        return bisect.bisect_right(line_starts, offset)

    macros = _Macros()
    records: list[Record] = []
    problems: list[ImportProblem] = []
    position = 0
    while (match := _ENTRY_START.search(text, position)) is not None:
        kind, start = match.group(1).lower(), match.start()
        closer = "}" if match.group(2) == "{" else ")"
        end = _closing(text, match.end(), closer)
        if end is None:
            following = _NEXT_ENTRY.search(text, match.end())
            stop = following.start() + 1 if following else len(text)
            problems.append(
                ImportProblem(line_of(start), f"@{kind} entry is never closed; skipped")
            )
            position = stop
            continue
        position = end + 1
        if kind in {"comment", "preamble"}:
            continue
        body_start = match.end()
        try:
            if kind == "string":
                for name, value, depth in _fields(text, body_start, end, macros):
                    macros.define(name, value, depth, body_start)
                continue
            key_end = text.find(",", body_start, end)
            if key_end < 0:
                raise _EntryError(body_start, "entry has no citation key followed by a comma")
            fields = {name: value for name, value, _ in _fields(text, key_end + 1, end, macros)}
        except _EntryError as error:
            if kind == "string" and (name := _NAME.match(text, body_start, end)):
                macros.refused[name.group(1).lower()] = line_of(start)
            problems.append(
                ImportProblem(line_of(error.offset), f"@{kind} entry: {error}; entry skipped")
            )
            continue
        record = _to_record(kind, fields, file, len(records) + 1, line_of(start), source_database)
        if record is None:
            problems.append(ImportProblem(line_of(start), "entry has no title or DOI; skipped"))
        else:
            records.append(record)
    return records, problems


def _closing(text: str, offset: int, closer: str) -> int | None:
    """Offset of the delimiter closing an entry whose body starts at ``offset``."""
    depth = 0
    next_entry = _NEXT_ENTRY.search(text, offset)
    limit = next_entry.start() if next_entry else len(text)
    for index in range(offset, limit):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return index if closer == "}" else None
            depth -= 1
        elif char == ")" and closer == ")" and depth == 0:
            return index
    return None


def _fields(text: str, offset: int, end: int, macros: _Macros):
    """Yield ``(name, value, macro depth)`` for each ``name = value`` in ``offset:end``."""
    while True:
        while offset < end and text[offset] in " \t\r\n,":
            offset += 1
        if offset >= end:
            return
        name = _NAME.match(text, offset, end)
        if not name or text[name.end() : name.end() + 1] != "=":
            raise _EntryError(
                offset, f"expected 'name = value', got {text[offset : offset + 30]!r}"
            )
        offset, value, depth = _value(text, name.end() + 1, end, macros)
        yield name.group(1).lower(), value, depth


def _value(text: str, offset: int, end: int, macros: _Macros) -> tuple[int, str, int]:
    parts: list[str] = []
    size = levels = 0
    start = offset
    while True:
        if size > MAX_VALUE_CHARS:
            raise _EntryError(start, f"a value is longer than {MAX_VALUE_CHARS:,} characters")
        while offset < end and text[offset].isspace():
            offset += 1
        if offset >= end:
            raise _EntryError(offset, "a field has no value")
        char = text[offset]
        if char == "{":
            depth, index = 0, offset
            while index < end:
                depth += {"{": 1, "}": -1}.get(text[index], 0)
                if depth == 0:
                    break
                index += 1
            parts.append(text[offset + 1 : index])
            size += index - offset - 1
            offset = index + 1
        elif char == '"':
            index, depth = offset + 1, 0
            while index < end and not (text[index] == '"' and depth == 0):
                depth += {"{": 1, "}": -1}.get(text[index], 0)
                index += 1
            if index >= end:
                raise _EntryError(offset, "a quoted value is never closed")
            parts.append(text[offset + 1 : index])
            size += index - offset - 1
            offset = index + 1
        else:
            word = _NAME.match(text, offset, end)
            if not word:
                raise _EntryError(offset, f"unexpected {char!r} where a value should start")
            token = word.group(1)
            value, level = (token, 0) if token.isdigit() else macros.expand(token, offset)
            if size + len(value) > MAX_VALUE_CHARS:
                raise _EntryError(
                    start, f"a value is longer than {MAX_VALUE_CHARS:,} characters once "
                    f"@string macros are expanded (at macro {token!r})"
                )  # fmt: skip
            parts.append(value)
            size += len(value)
            levels = max(levels, level)
            offset = word.end()
        while offset < end and text[offset].isspace():
            offset += 1
        if offset < end and text[offset] == "#":
            offset += 1
            continue
        if offset < end and text[offset] != ",":
            raise _EntryError(offset, f"expected ',' after a value, got {text[offset]!r}")
        if size > MAX_VALUE_CHARS:
            raise _EntryError(start, f"a value is longer than {MAX_VALUE_CHARS:,} characters")
        return offset, "".join(parts), levels


def _split_names(value: str) -> list[str]:
    """Split an author list on ' and ' outside braces."""
    names, depth, current = [], 0, []
    tokens = re.split(r"(\s+and\s+|[{}])", value)
    for token in tokens:
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        if depth == 0 and re.fullmatch(r"\s+and\s+", token or ""):
            names.append("".join(current))
            current = []
        else:
            current.append(token)
    names.append("".join(current))
    return [latex_to_text(name) for name in names]


def _to_record(
    kind: str,
    fields: dict[str, str],
    file: str,
    position: int,
    line: int,
    source_database: str | None,
) -> Record | None:
    def get(*names: str) -> str:
        return next((latex_to_text(fields[n]) for n in names if fields.get(n, "").strip()), "")

    title = get("title")
    doi = clean_doi(get("doi")) or clean_doi(get("url"))
    if not (title or doi):
        return None
    pmid = get("pmid")
    if not pmid and get("eprinttype").lower() == "pubmed":
        pmid = get("eprint")
    keywords = re.split(r"\s*[;,]\s*", get("keywords", "keyword", "mesh"))
    return Record(
        title=title,
        abstract=get("abstract"),
        authors=unique(_split_names(fields.get("author", ""))),
        year=first_year(get("year", "date")),
        journal=get("journal", "journaltitle", "booktitle"),
        volume=get("volume"),
        issue=get("number", "issue"),
        pages=get("pages").replace("–", "-"),
        doi=doi,
        pmid=pmid or find_pmid(get("note"), get("url")),
        keywords=unique(keywords),
        publication_type=_TYPES.get(kind, kind),
        source_database=source_database or "",
        source_file=file,
        source_position=position,
        source_line=line,
    )
