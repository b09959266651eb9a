"""Normalise bibliographic fields so that two exports of one study compare equal.

Case, punctuation, diacritics and HTML markup are folded away; DOIs lose their resolver
prefixes; page ranges are expanded ("1137-42" → "1137-1142"); journal names are compared
abbreviation-aware ("J Health Psychol" matches "Journal of Health Psychology").

>>> fold("Müller-Lyer: Straße & <i>Æsop</i>!")
'muller lyer strasse aesop'
>>> normalize_doi("https://dx.doi.org/10.1002/CPP.2398.")
'10.1002/cpp.2398'
>>> normalize_pages("1137-42"), normalize_pages("S12–5"), normalize_pages("e0212345")
('1137-1142', 's12-s15', 'e0212345')
>>> journals_match("J Health Psychol", "Journal of Health Psychology")
True
>>> journals_match("Journal of Health Psychology", "Health Psychology")
False
>>> first_surname(("van de Schoot, Rens",)), first_surname(("Liu R.",))
('vandeschoot', 'liu')
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

_SPECIAL_LETTERS = str.maketrans(
    {"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ł": "l",
     "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "þ": "th"}
)  # fmt: skip
_TAGS = re.compile(r"<[^>]{1,40}>")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/|(?:dx\.)?doi\.org/)", re.I)
_PAGES = re.compile(r"^([a-z]*)(\d+)\s*[-–—]+\s*([a-z]*)(\d+)$")
_SICI = re.compile(r"[(_](\d{4})[)_](\d+)[<_](\d+)[:_]")
_FIRST_PAGE = re.compile(r"[a-z]*\d+")
_JOURNAL_STOPWORDS = {"the", "of", "and", "for", "in", "on", "de", "la", "des", "der", "und", "a"}
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")


def fold(text: str) -> str:
    """Lower case ASCII words separated by single spaces: no accents, markup or punctuation.

    >>> fold("Éfficacité of <i>St John’s</i> wort!")
    'efficacite of st john s wort'
    """
    text = _TAGS.sub(" ", text).translate(_SPECIAL_LETTERS)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return _NON_ALNUM.sub(" ", text).strip()


def normalize_title(title: str) -> str:
    """A title folded for comparison (MEDLINE's [brackets] around translated titles go too).

    >>> normalize_title("[Effects of exercise].")
    'effects of exercise'
    """
    return fold(title)


def normalize_doi(doi: str) -> str:
    """The DOI in lower case without resolver prefix, URL escapes or trailing punctuation.

    >>> normalize_doi("https://doi.org/10.1000%2FABC.123.")
    '10.1000/abc.123'
    """
    doi = _DOI_PREFIX.sub("", unquote(doi.strip()))
    return doi.rstrip(".,;").lower()


def doi_key(doi: str) -> str:
    """A DOI for comparison: normalised, with the characters some exports escape to '_'
    (SICI DOIs' ``()<>:;``) folded to '_'.

    >>> doi_key("10.1597/1545-1569(1994)031<0364:CPWART>2.3.CO;2")
    '10.1597/1545-1569_1994_031_0364_cpwart_2.3.co_2'
    """
    return re.sub(r"[()<>:;_]", "_", normalize_doi(doi))


def sici_citation(doi: str) -> tuple[int, str, str] | None:
    """The (year, volume, first page) a SICI-style DOI encodes, e.g. '...(2003)017<0178:...'.

    >>> sici_citation("10.1892/0891-6640(2003)017<0178:DPCONO>2.3.CO;2")
    (2003, '17', '178')
    """
    match = _SICI.search(doi)
    if not match:
        return None
    year, volume, page = match.groups()
    return int(year), volume.lstrip("0") or "0", page.lstrip("0") or "0"


def normalize_pages(pages: str) -> str:
    """Expand abbreviated page ranges ("349-69" → "349-369") and lower-case prefixes.

    >>> normalize_pages("349-69")
    '349-369'
    """
    text = pages.strip().lower().replace(" ", "")
    match = _PAGES.match(text)
    if not match:
        return text
    prefix, start, end_prefix, end = match.groups()
    if len(end) < len(start):
        end = start[: len(start) - len(end)] + end
    return f"{prefix}{start}-{end_prefix or prefix}{end}"


def start_page(pages: str) -> str:
    """The first page of a page range ('968-&', '222; author reply 222' → '968', '222').

    >>> start_page("222; author reply 222")
    '222'
    """
    match = _FIRST_PAGE.match(normalize_pages(pages))
    return match.group(0) if match else ""


def normalize_journal(journal: str) -> tuple[str, ...]:
    """Journal name words without stop-words, and without a '(City)' qualifier.

    >>> normalize_journal("Journal of Affective Disorders (Amsterdam)")
    ('journal', 'affective', 'disorders')
    """
    journal = re.sub(r"\([^)]*\)\s*$", "", journal)
    return tuple(w for w in fold(journal).split() if w not in _JOURNAL_STOPWORDS)


def journals_match(a: str, b: str) -> bool | None:
    """Whether two journal names can be the same journal; ``None`` when either is empty.

    Equal after normalisation, or one is an abbreviation of the other word by word: each
    abbreviated word starts with the full word's first letter and its letters appear in order
    in it ("Natl" ~ "National", "Psychol" ~ "Psychology").


    >>> journals_match("J Affect Disord", "Journal of Affective Disorders")
    True
    >>> journals_match("", "Lancet") is None
    True
    """
    words_a, words_b = normalize_journal(a), normalize_journal(b)
    if not words_a or not words_b:
        return None
    if words_a == words_b or "".join(words_a) == "".join(words_b):
        return True
    if len(words_a) != len(words_b):
        return False
    return all(_abbreviates(x, y) or _abbreviates(y, x) for x, y in zip(words_a, words_b))


def _abbreviates(short: str, full: str) -> bool:
    if short == full:
        return True
    if len(short) >= len(full) or short[0] != full[0]:
        return False
    letters = iter(full)
    return all(letter in letters for letter in short)


def surname(author: str) -> str:
    """An author's family name folded and squeezed: 'van de Schoot, Rens' → 'vandeschoot'.

    >>> surname("van de Schoot, Rens"), surname("Smith JA")
    ('vandeschoot', 'smith')
    """
    if "," in author:
        family = author.split(",")[0]
    else:
        words = author.split()
        while len(words) > 1 and _INITIALS.match(words[-1]):
            words.pop()
        family = " ".join(words)
    return fold(family).replace(" ", "")


def first_surname(authors: tuple[str, ...]) -> str:
    """The folded family name of the first author ('' when there are no authors).

    >>> first_surname(("Cuijpers, P.", "Karyotaki, E.")), first_surname(())
    ('cuijpers', '')
    """
    return surname(authors[0]) if authors else ""
