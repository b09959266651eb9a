"""A small, safe XML tree for RevMan files: no DTD, no entities, bounded size and depth.

RevMan 5 files are plain XML without a document type. This parser (expat, through the
standard library) refuses any ``<!DOCTYPE``/``<!ENTITY`` declaration, so no entity is ever
expanded (no "billion laughs", no external entity read, no XXE); it also refuses files larger
than ``max_bytes``, deeper than ``MAX_DEPTH`` or with more than ``MAX_ELEMENTS`` elements. Each
element keeps the line it starts on, so errors can say where.

>>> root = parse_xml(b'<?xml version="1.0"?><A X="1"><B>text</B></A>', "f.rm5")
>>> root.tag, root.attrib["X"], root.children[0].text, root.children[0].line
('A', '1', 'text', 1)
>>> parse_xml(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "f.rm5")
Traceback (most recent call last):
...
metareview.errors.DataError: f.rm5, row 1: expected XML without a document type or entity declarations (refused for safety)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from metareview.errors import DataError, Problem

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_ELEMENTS = 2_000_000


@dataclass
class Element:
    """One XML element: tag, attributes, child elements, its text and its first line."""

    tag: str
    attrib: dict[str, str]
    line: int
    children: list[Element] = field(default_factory=list)
    text: str = ""

    def find(self, tag: str) -> Element | None:
        """The first child named ``tag``."""
        return next((child for child in self.children if child.tag == tag), None)

    def findall(self, tag: str) -> list[Element]:
        return [child for child in self.children if child.tag == tag]

    def iter(self, tag: str) -> Iterator[Element]:
        """Every descendant (and this element) named ``tag``, in document order."""
        stack = [self]
        while stack:
            element = stack.pop()
            if element.tag == tag:
                yield element
            stack.extend(reversed(element.children))

    def text_of(self, tag: str) -> str:
        """All text inside the first child named ``tag`` (``""`` when absent)."""
        child = self.find(tag)
        return "" if child is None else child.all_text()

    def all_text(self) -> str:
        """The text of this element and its descendants, whitespace collapsed."""
        parts = [self.text]
        stack = list(reversed(self.children))
        while stack:
            element = stack.pop()
            parts.append(element.text)
            stack.extend(reversed(element.children))
        return " ".join(" ".join(parts).split())


class _Refused(Exception):
    def __init__(self, line: int, expected: str):
        self.line, self.expected = line, expected


def parse_xml(data: bytes, source: str, max_bytes: int = MAX_BYTES) -> Element:
    """Parse ``data`` (the bytes of ``source``) into an :class:`Element` tree.

    Raises :class:`~metareview.errors.DataError` naming the file and line for malformed XML, a
    document type or entity declaration, an encoding expat does not know, or a file beyond
    the size, depth or element limits.
    """
    if len(data) > max_bytes:
        raise DataError(Problem(source, None, None, f"{len(data)} bytes", f"at most {max_bytes}"))
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Element] = []
    root: list[Element] = []
    texts: list[list[str]] = []
    count = [0]

    def refuse(*_args: object) -> None:
        raise _Refused(
            parser.CurrentLineNumber,
            "XML without a document type or entity declarations (refused for safety)",
        )

    def start(tag: str, attrib: dict[str, str]) -> None:
        count[0] += 1
        if len(stack) >= MAX_DEPTH or count[0] > MAX_ELEMENTS:
            raise _Refused(
                parser.CurrentLineNumber,
                f"at most {MAX_DEPTH} nested and {MAX_ELEMENTS} elements in all",
            )
        element = Element(tag, dict(attrib), parser.CurrentLineNumber)
        (stack[-1].children if stack else root).append(element)
        stack.append(element)
        texts.append([])

    def end(_tag: str) -> None:
        stack.pop().text = "".join(texts.pop())

    def characters(text: str) -> None:
        if texts:
            texts[-1].append(text)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        parser.Parse(data, True)
    except _Refused as refused:
        raise DataError(Problem(source, refused.line, None, None, refused.expected)) from None
    except expat.ExpatError as err:
        raise DataError(
            Problem(
                source,
                err.lineno,
                None,
                None,
                f"well-formed XML ({expat.ErrorString(err.code)} at column {err.offset + 1})",
            )
        ) from None
    except (LookupError, ValueError) as err:  # an encoding expat does not know
        raise DataError(
            Problem(source, 1, None, None, f"XML in UTF-8 or ISO-8859-1 ({err})")
        ) from None
    if not root:
        raise DataError(Problem.of_file(source, "an XML document"))
    return root[0]
