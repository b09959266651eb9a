"""Turn the LaTeX found in BibTeX field values into plain Unicode text.

Covers what reference managers write: accent commands in their several spellings
(``\\'e``, ``\\'{e}``, ``{\\'e}``), special letters (``\\ss``, ``\\o``, ``\\aa``), escaped
specials, dashes, ``~``, font commands (``\\emph{x}`` → ``x``) and protective braces.

>>> latex_to_text(r"Schr{\\"o}dinger's {Cocker} \\textit{Spaniel} -- 50\\% \\& M\\'{e}tis")
"Schrödinger's Cocker Spaniel – 50% & Métis"
>>> latex_to_text(r"Mu{\\~n}oz and Mart{\\'\\i}nez")
'Muñoz and Martínez'
>>> latex_to_text(r"G{\\o}tzsche, Peter C. and Stra{\\ss}e")
'Gøtzsche, Peter C. and Straße'
"""

from __future__ import annotations

import re
import unicodedata

_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
}
_LETTERS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
}
_ACCENT = re.compile(
    r"""\\([`'^"~=.]|[uvHckr](?=[\s{]))\s*(?:\{\s*(\\?[A-Za-z]?)\s*\}|(\\?[A-Za-z]))"""
)
_LETTER = re.compile(r"\\(ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i|j)(?![A-Za-z])\s*(?:\{\})?")
_ESCAPED = re.compile(r"\\([&%$#_{}])")
_COMMAND_WITH_ARGUMENT = re.compile(r"\\[A-Za-z]+\*?\s*\{([^{}]*)\}")
_BARE_COMMAND = re.compile(r"\\[A-Za-z]+\*?\s*")
MAX_COMMAND_NESTING = 16
"""Levels of nested commands unwrapped one by one; deeper ones lose their names and braces
together below (each level is a pass over the text: unbounded, deep nesting is quadratic)."""


def latex_to_text(value: str) -> str:
    """The Unicode text a LaTeX-encoded BibTeX value stands for."""
    text = _ACCENT.sub(_accent, value)
    text = _LETTER.sub(lambda m: _LETTERS[m.group(1)], text)
    text = text.replace("---", "—").replace("--", "–").replace("~", " ").replace("\\\\", " ")
    escaped: list[str] = []

    def keep(match: re.Match[str]) -> str:
        escaped.append(match.group(1))
        return f"\x00{len(escaped) - 1}\x00"

    text = _ESCAPED.sub(keep, text)
    for _ in range(MAX_COMMAND_NESTING):  # \emph{\textbf{x}}: innermost first, level by level
        previous, text = text, _COMMAND_WITH_ARGUMENT.sub(r"\1", text)
        if text == previous:
            break
    text = _BARE_COMMAND.sub("", text).replace("{", "").replace("}", "")
    text = re.sub(r"\x00(\d+)\x00", lambda m: escaped[int(m.group(1))], text)
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _accent(match: re.Match[str]) -> str:
    base = match.group(2) if match.group(2) is not None else match.group(3)
    if base in {"\\i", "\\j"}:  # a dotless i or j under an accent is just i or j
        base = base[1:]
    elif base.startswith("\\"):
        base = _LETTERS.get(base[1:], base[1:])
    return f"{base}{_ACCENTS[match.group(1)]}"
