"""Normalise bibliographic fields so that two exports of one study compare equal.

Case, punctuation, diacritics, HTML markup and entities are folded away and Greek letters
spelt out; titles also lose British spellings ("randomised" → "randomized"); DOIs lose their
resolver prefixes; page ranges are expanded ("1137-42" → "1137-1142") and an e-locator's "e"
is dropped for comparison; journal names are compared abbreviation-aware ("J Health Psychol"
matches "Journal of Health Psychology") and without a subtitle after " : " or " = ".

>>> fold("Müller-Lyer: Straße &amp; <i>Æsop</i>!")
'muller lyer strasse and aesop'
>>> normalize_title("TNF-α in paediatric oedema: a randomised trial.")
'tnf alpha in pediatric edema a randomized trial'
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

import html
import re
import unicodedata
from functools import lru_cache
from urllib.parse import unquote

_SPECIAL_LETTERS = str.maketrans(
    {"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ł": "l",
     "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "þ": "th"}
)  # fmt: skip
_GREEK = str.maketrans(
    {"α": " alpha ", "β": " beta ", "γ": " gamma ", "δ": " delta ", "ε": " epsilon ",
     "ζ": " zeta ", "η": " eta ", "θ": " theta ", "ι": " iota ", "κ": " kappa ",
     "λ": " lambda ", "μ": " mu ", "µ": " mu ", "ν": " nu ", "ξ": " xi ", "π": " pi ",
     "ρ": " rho ", "σ": " sigma ", "τ": " tau ", "υ": " upsilon ", "φ": " phi ", "χ": " chi ",
     "ψ": " psi ", "ω": " omega ", "Δ": " delta ", "Ω": " omega "}
)  # fmt: skip
#: British spellings and their American forms, as regular expressions over folded words. Both
#: titles of a pair are rewritten the same way, so a rewrite only has to be consistent: it may
#: produce a non-word ("exercize") as long as it never makes two different words equal.
_SPELLING = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"(?<=\w\w)is(e|ed|es|ing|ation|ations|er|ers)\b", r"iz\1"),
        (r"(?<=\w)ys(e|ed|es|ing|er|ers)\b", r"yz\1"),
        (r"(?<=\w\w)our(s|ed|ing|al|ally|able|ably|ite|ites|ful|less|ism)?\b", r"or\1"),
        (r"aem", "em"), (r"\boe(?=[a-z]{3})", "e"), (r"oea\b", "ea"), (r"oeli", "eli"),
        (r"\bfoet", "fet"), (r"homoeo", "homeo"), (r"manoeuvr", "maneuver"), (r"paed", "ped"),
        (r"anaes", "anes"), (r"\baetio", "etio"), (r"caesar", "cesar"), (r"gynaec", "gynec"),
        (r"(?<=\w\w)([tb])re(s|d)?\b", r"\1er\2"), (r"(?<=\w\w)ogue(s?)\b", r"og\1"),
        (r"(?<=\w\w)ell(ed|ing|er|ers)\b", r"el\1"), (r"\bprogramme", "program"),
        (r"\bageing\b", "aging"), (r"\bgrey", "gray"), (r"sulph", "sulf"),
        (r"\baluminium\b", "aluminum"), (r"\bmould", "mold"),
    )
)  # fmt: skip
_TAGS = re.compile(r"<[^>]{1,40}>")
_SUPPLEMENT_VOLUME = re.compile(r"^(\d+) (?:suppl|supplement|sup)(?: \w+)?$")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/|(?:dx\.)?doi\.org/)", re.I)
_PAGES = re.compile(r"^([a-z]*)(\d+)\s*[-–—]+\s*([a-z]*)(\d+)$")
_SICI = re.compile(r"[(_](\d{4})[)_](\d+)[<_](\d+)[:_]")
_FIRST_PAGE = re.compile(r"[a-z]*\d+")
_JOURNAL_STOPWORDS = {"the", "of", "and", "for", "in", "on", "de", "la", "des", "der", "und", "a",
                      "fur", "zur", "et", "du", "di", "del", "voor", "en"}  # fmt: skip
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")


def fold(text: str) -> str:
    """Lower case ASCII words separated by single spaces: no accents, markup, entities or
    punctuation; Greek letters spelt out and "&" as "and".

    >>> fold("Éfficacité of <i>St John’s</i> wort!")
    'efficacite of st john s wort'
    >>> fold("β&lt;sub&gt;2&lt;/sub&gt;-agonists &amp; IL-1β")
    'beta 2 agonists and il 1 beta'
    """
    text = _TAGS.sub(" ", text)
    if "&" in text:
        text = _TAGS.sub(" ", html.unescape(text))
    if not text.isascii():
        text = text.translate(_SPECIAL_LETTERS).translate(_GREEK)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", text.lower().replace("&", " and ")).strip()


def normalize_title(title: str) -> str:
    """A title folded for comparison (MEDLINE's [brackets] around translated titles go too),
    in American spelling.

    >>> normalize_title("[Effects of exercise].")
    'effects of exercize'
    >>> normalize_title("Behavioural therapy in ageing: a randomised trial")
    'behavioral therapy in aging a randomized trial'
    """
    return american(fold(title))


def american(folded: str) -> str:
    """Folded text with British spellings rewritten the American way ("-ise" → "-ize",
    "-our" → "-or", "ae"/"oe" → "e", "-tre" → "-ter", "-ogue" → "-og", "-lled" → "-led").

    >>> american("haemorrhage after oesophageal surgery in a centre with a paediatric programme")
    'hemorrhage after esophageal surgery in a center with a pediatric program'
    """
    return " ".join(_american_word(word) for word in folded.split(" "))


@lru_cache(maxsize=65536)
def _american_word(word: str) -> str:
    """One word rewritten until no rule applies ("aaem" → "aem" → "em"), so that normalising
    twice changes nothing."""
    for _ in range(8):
        before = word
        for pattern, replacement in _SPELLING:
            word = pattern.sub(replacement, word)
        if word == before:
            break
    return word


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


def volume_key(volume: str) -> str:
    """The volume for comparison: folded, and a supplement's volume as its number, as Web of
    Science gives it ("102 Suppl 1" = "102").

    >>> volume_key("102 Suppl 1"), volume_key("12(Suppl)"), volume_key("Pt 2")
    ('102', '12', 'pt 2')
    """
    folded = fold(volume)
    match = _SUPPLEMENT_VOLUME.match(folded)
    return match.group(1) if match else folded


def page_key(pages: str) -> str:
    """The first page for comparison: an e-locator's "e" dropped ("e1070" = "1070"), as
    databases give an article number with or without it; other prefixes ("S12") stay.

    >>> page_key("e1070"), page_key("1070-7"), page_key("S12-5")
    ('1070', '1070', 's12')
    """
    first = start_page(pages)
    return first[1:] if first[:1] == "e" and first[1:2].isdigit() else first


@lru_cache(maxsize=4096)
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
    in it ("Natl" ~ "National", "Psychol" ~ "Psychology"). A subtitle after " : " or " = "
    (MEDLINE's "… : the official journal of …", a bilingual title) may be left out by one.

    >>> journals_match("J Affect Disord", "Journal of Affective Disorders")
    True
    >>> journals_match("Schweiz Arch Tierheilkd", "Schweizer Archiv für Tierheilkunde")
    True
    >>> journals_match("", "Lancet") is None
    True
    """
    if not normalize_journal(a) or not normalize_journal(b):
        return None
    names_a, names_b = _journal_names(a), _journal_names(b)
    return any(_same_journal(x, y) for x in names_a for y in names_b)


@lru_cache(maxsize=4096)
def _journal_names(journal: str) -> frozenset[tuple[str, ...]]:
    """The journal's name, and the name before a " : " or " = " subtitle if it has one."""
    names = {normalize_journal(journal)}
    main = re.split(r"\s[:=]\s", journal, maxsplit=1)[0]
    if main != journal and normalize_journal(main):
        names.add(normalize_journal(main))
    return frozenset(names)


def _same_journal(words_a: tuple[str, ...], words_b: tuple[str, ...]) -> bool:
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

    >>> surname("van de Schoot, Rens"), surname("Smith JA"), surname("J. A. Smith")
    ('vandeschoot', 'smith', 'smith')
    >>> surname("M., Mijaylova Nacheva P. Moeller G.")  # an export that ran the list together
    'mijaylovanacheva'
    """
    if "," in author:
        family, _, rest = author.partition(",")
        if len(fold(family)) == 1:  # "L., Buchanan A. H. Rahm A. K.": a list run together
            words = rest.split()
            leading = []
            while words and not _INITIALS.match(words[0]):
                leading.append(words.pop(0))
            family = " ".join(leading) or family
    else:
        words = author.split()
        while len(words) > 1 and _INITIALS.match(words[-1]):
            words.pop()
        while len(words) > 1 and _INITIALS.match(words[0]):  # "K. D. Johnson"
            words.pop(0)
        family = " ".join(words)
    return fold(family).replace(" ", "")


def author_surnames(authors: tuple[str, ...], limit: int = 6) -> tuple[str, ...]:
    """The folded family names of the first ``limit`` authors, without "et al." entries.

    >>> author_surnames(("Cuijpers, P.", "K Ebert", "et al."))
    ('cuijpers', 'ebert')
    """
    names = (surname(a) for a in authors if fold(a) not in ("et al", "et al al", "others"))
    return tuple(n for n in names if n)[:limit]


def first_surname(authors: tuple[str, ...]) -> str:
    """The folded family name of the first author ('' when there are no authors).

    >>> first_surname(("Cuijpers, P.", "Karyotaki, E.")), first_surname(())
    ('cuijpers', '')
    """
    return surname(authors[0]) if authors else ""
