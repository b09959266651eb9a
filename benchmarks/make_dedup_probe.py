"""Build the no-identifier dedup probe: labelled pairs derived from the real exports.

    python benchmarks/make_dedup_probe.py [../shared/data/records] > benchmarks/dedup_probe.csv

Every pair starts from one real record of the 13 non-BibTeX exports in ``shared/data/records``
(one record per hand-labelled duplicate group, so no two pairs share a study). Both sides of
every pair lose their DOI and PMID, so only titles, authors, journal, volume, pages, year and
abstract are left to match on.

Duplicates (label 1) are the record as two databases would export it: each pair has one
*class* (the variant under test) plus one or two other random variants, as real duplicates
differ in several fields at once. Classes:

- titles: case; punctuation and trailing period; HTML entities and markup; diacritics;
  British/American spelling; subtitle separator (": " vs " - " vs ". "); Greek letters vs
  their names; MEDLINE's "[translated title]." brackets;
- authors: initials vs full given names and "Last, F." vs "Last F" vs "F. Last"; an "et al."
  truncation; diacritics stripped or transliterated ("ü" → "ue");
- journal: full name vs ISO/MEDLINE abbreviation (with or without periods, upper case);
- pages: "1032-1038" vs "1032-8" vs first page only vs an e-locator "e1032";
- year: one apart, the earlier being the early-online version (usually without volume, issue
  and pages, with an abstract that carries the publisher's copyright line).

Hard non-duplicates (label 0) share the first author and most of the title: protocol vs
results paper, part 1 vs part 2, an erratum, comment or reply to the article, a conference
abstract vs the article (year gap 0, 1 or 2), two volumes of a series, two follow-up reports.

Each pair is put in the ``tune`` or the ``held-out`` half at random (seeded); rules are tuned on
``tune`` only. The probe is regenerated from the exports on demand (it is deterministic: the
committed ``dedup_probe.csv`` lists the same pairs and the test checks it still does); the
records' text is not copied into the repository.
"""

from __future__ import annotations

import csv
import dataclasses
import random
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from metareview.records.importers import read_records
from metareview.records.record import Record

HERE = Path(__file__).resolve().parent
SEED = 20261203
PER_CLASS = 24
PER_NEGATIVE_KIND = 24

POSITIVE_CLASSES = (
    "title-greek", "title-spelling", "title-case", "title-punctuation", "title-html", "title-diacritics",
    "title-subtitle", "title-translated", "author-initials", "author-order",
    "author-etal", "author-diacritics", "journal-abbreviation", "pages-abbreviated",
    "pages-elocator", "year-early-online",
)  # fmt: skip
NEGATIVE_KINDS = (
    "protocol-vs-results", "part-1-vs-part-2", "erratum", "comment", "reply",
    "conference-abstract", "series-volumes", "follow-up-reports",
)  # fmt: skip

SPELLING = (
    ("randomised", "randomized"), ("randomisation", "randomization"), ("behaviour", "behavior"),
    ("behavioural", "behavioral"), ("paediatric", "pediatric"), ("haemorrhage", "hemorrhage"),
    ("haematolog", "hematolog"), ("oesophag", "esophag"), ("anaesthe", "anesthe"),
    ("tumour", "tumor"), ("colour", "color"), ("centre", "center"), ("fibre", "fiber"),
    ("analyse", "analyze"), ("programme", "program"), ("oedema", "edema"), ("foetal", "fetal"),
    ("orthopaedic", "orthopedic"), ("ageing", "aging"), ("characteris", "characteriz"),
    ("organis", "organiz"), ("haemo", "hemo"), ("leukaemia", "leukemia"), ("anaemia", "anemia"),
    ("oestr", "estr"), ("labour", "labor"), ("favourable", "favorable"), ("recognis", "recogniz"),
    ("utilis", "utiliz"), ("hospitalis", "hospitaliz"), ("immunis", "immuniz"),
    ("standardis", "standardiz"), ("optimis", "optimiz"), ("minimis", "minimiz"),
    ("localis", "localiz"), ("generalis", "generaliz"), ("visualis", "visualiz"),
    ("caesarean", "cesarean"), ("diarrhoea", "diarrhea"), ("ischaem", "ischem"),
)  # fmt: skip
GREEK = (("α", "alpha"), ("β", "beta"), ("γ", "gamma"), ("δ", "delta"), ("κ", "kappa"),
         ("μ", "mu"))  # fmt: skip
ABBREVIATIONS = {
    "journal": "J", "american": "Am", "veterinary": "Vet", "medicine": "Med", "medical": "Med",
    "association": "Assoc", "research": "Res", "clinical": "Clin", "clinics": "Clin",
    "psychology": "Psychol", "psychiatry": "Psychiatry", "international": "Int",
    "science": "Sci", "sciences": "Sci", "society": "Soc", "annals": "Ann", "archives": "Arch",
    "british": "Br", "surgery": "Surg", "animal": "Anim", "practice": "Pract", "record": "Rec",
    "disorders": "Disord", "affective": "Affect", "european": "Eur", "national": "Natl",
    "academy": "Acad", "proceedings": "Proc", "review": "Rev", "reviews": "Rev",
    "north": "North", "america": "Am", "small": "Small", "internal": "Intern",
    "genetics": "Genet", "molecular": "Mol", "biology": "Biol", "comparative": "Comp",
    "pathology": "Pathol", "experimental": "Exp", "canadian": "Can", "australian": "Aust",
    "quarterly": "Q", "health": "Health", "cardiology": "Cardiol", "neurology": "Neurol",
    "ophthalmology": "Ophthalmol", "dermatology": "Dermatol",
}  # fmt: skip
_STOP = {"the", "of", "and", "for", "in", "on", "a", "&"}
_VOWELS = set("aeiouy")


@dataclass(frozen=True)
class ProbePair:
    """Two records and whether they are one publication (``label`` 1) or two (0)."""

    pair: int
    split: str
    label: int
    kind: str
    variants: tuple[str, ...]
    a: Record
    b: Record
    source: str


# ---------------------------------------------------------------- base records


def base_records(folder: Path) -> list[Record]:
    """One record per study from the 13 non-BibTeX exports: records in a hand-labelled
    duplicate group other than its first are left out, as are records without title, first
    author, year or journal and notices (errata, comments)."""
    files = sorted(p for p in folder.iterdir() if p.suffix != ".bib")
    records = [r for p in files for r in read_records(p).records]
    position = {(Path(r.source_file).name, r.source_position): i for i, r in enumerate(records)}
    later: set[int] = set()
    with (HERE / "dedup_labels.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            a = position.get((row["file_a"], int(row["position_a"])))
            b = position.get((row["file_b"], int(row["position_b"])))
            if a is not None and b is not None:
                later.add(max(a, b))  # every labelled pair: keep only the earlier record
    seen: set[str] = set()
    chosen = []
    for i, r in enumerate(records):
        key = _plain(r.title)
        if i in later or key in seen or not _usable(r):
            continue
        seen.add(key)
        chosen.append(r)
    return chosen


def _plain(text: str) -> str:
    """Lower-case words without punctuation (independent of the library's normalisation, so
    the probe does not change when the rules do)."""
    return " ".join(re.findall(r"\w+", strip_accents(text).lower()))


def _usable(r: Record) -> bool:
    title = _plain(r.title)
    return (
        len(title) >= 25
        and bool(r.authors)
        and r.year is not None
        and bool(r.journal)
        and not re.match(r"(erratum|correction|corrigendum|comment|reply|response|letter)", title)
        and not re.search(r"\bvol \d+", title)
        and not re.search(r"\b(part|protocol)\b", title)  # see the negative kinds
    )


# ---------------------------------------------------------------- variants of fields


def title_case(t: str, rng: random.Random) -> str:
    return rng.choice([t.upper(), t.lower(), t.title()])


def title_punctuation(t: str, rng: random.Random) -> str:
    t = t.rstrip(".") if t.endswith(".") else t + "."
    if rng.random() < 0.5:
        t = t.replace("-", " ").replace(",", "").replace("'", "")
    return t


def title_html(t: str, rng: random.Random) -> str:
    words = t.split()
    k = rng.randrange(len(words))
    words[k] = rng.choice(["<i>{}</i>", "<em>{}</em>", "<sup>{}</sup>"]).format(words[k])
    t = " ".join(words)
    t = t.replace(" and ", " &amp; ", 1).replace("'", "&#39;")
    return t.replace(" with ", " &lt;i&gt;with&lt;/i&gt; ", 1) if rng.random() < 0.2 else t


def strip_accents(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def transliterate(text: str) -> str:
    for accented, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"),
                            ("Ü", "Ue"), ("ß", "ss"), ("ø", "oe"), ("å", "aa")):  # fmt: skip
        text = text.replace(accented, plain)
    return text


def title_diacritics(t: str, rng: random.Random) -> str:
    if strip_accents(t) == t:  # nothing to strip: the other database adds what it can
        t = t.replace("e", "é", 1).replace("a", "á", 1)
    return strip_accents(t)


def title_spelling(t: str, rng: random.Random) -> str:
    out = t
    for british, american in SPELLING:
        out = re.sub(british, american, out, flags=re.I)
        if out == t:
            out = re.sub(american, british, out, flags=re.I)
    return out


def title_subtitle(t: str, rng: random.Random) -> str:
    if ":" in t:
        return t.replace(": ", rng.choice([" - ", ". ", " -- ", "; "]), 1)
    words = t.split()
    cut = max(2, len(words) // 2)
    return " ".join(words[:cut]) + rng.choice([": ", " - "]) + " ".join(words[cut:])


def title_greek(t: str, rng: random.Random) -> str:
    for letter, name in GREEK:
        if letter in t:
            return t.replace(letter, name if rng.random() < 0.5 else f"{name}-")
        if re.search(rf"\b{name}", t, re.I):
            return re.sub(rf"\b{name}-?", letter, t, flags=re.I)
    return t


def title_translated(t: str, rng: random.Random) -> str:
    return f"[{t.rstrip('.')}]."


def _parse_author(author: str) -> tuple[str, str, list[str]]:
    """(family, given as written, initials) of 'Last, Given', 'Last FM' or 'Last F.M.'."""
    if "," in author:
        family, given = (s.strip() for s in author.split(",", 1))
    else:
        words = author.split()
        tail = []
        while len(words) > 1 and re.fullmatch(r"(?:[A-Z]\.?-?){1,4}", words[-1]):
            tail.insert(0, words.pop())
        family, given = " ".join(words), " ".join(tail)
    initials = []
    for part in re.split(r"[\s.\-]+", given):
        if not part:
            continue
        if part.isupper() and len(part) <= 3:
            initials.extend(part)
        else:
            initials.append(part[0].upper())
    return family, given, initials


def author_style(author: str, style: str) -> str:
    family, given, initials = _parse_author(author)
    if not initials:
        return family
    if style == "medline":
        return f"{family} {''.join(initials)}"
    if style == "embase":
        return f"{family} {'.'.join(initials)}."
    if style == "wos":
        return f"{family}, {''.join(initials)}"
    if style == "scopus":
        return f"{family}, {'. '.join(initials)}."
    if style == "first-last":
        return f"{' '.join(i + '.' for i in initials)} {family}"
    if style == "first-last-full" and given and not given.isupper():
        return f"{given} {family}"
    return f"{family}, {given}" if given else family


def authors_initials(authors: tuple[str, ...], rng: random.Random) -> tuple[str, ...]:
    style = rng.choice(["medline", "embase", "wos", "scopus"])
    return tuple(author_style(a, style) for a in authors)


def authors_order(authors: tuple[str, ...], rng: random.Random) -> tuple[str, ...]:
    style = rng.choice(["first-last", "first-last-full"])
    return tuple(author_style(a, style) for a in authors)


def authors_etal(authors: tuple[str, ...], rng: random.Random) -> tuple[str, ...]:
    keep = rng.choice([1, 3, 6])
    return (*authors[:keep], "et al.")


def authors_diacritics(authors: tuple[str, ...], rng: random.Random) -> tuple[str, ...]:
    if all(strip_accents(a) == a for a in authors):  # give the first author one to lose
        first = authors[0]
        for plain, accented in (("o", "ö"), ("u", "ü"), ("a", "á"), ("e", "é")):
            if plain in first.split(",")[0][1:]:
                first = first.replace(plain, accented, 1)
                break
        authors = (first, *authors[1:])
        return authors if rng.random() < 0.5 else tuple(map(strip_accents, authors))
    change = transliterate if rng.random() < 0.5 else strip_accents
    return tuple(change(a) for a in authors)


def abbreviate_journal(journal: str, rng: random.Random) -> str:
    journal = re.sub(r"\s*\([^)]*\)\s*$", "", journal)
    words = [w for w in re.split(r"[\s.:\-]+", journal) if w and w.lower() not in _STOP]
    short = [ABBREVIATIONS.get(w.lower()) or _cut(w) for w in words]
    short = [s[0].upper() + s[1:] for s in short]
    style = rng.choice(["medline", "iso", "upper"])
    if style == "iso":
        return " ".join(s + ("." if s.lower() != w.lower() else "") for s, w in zip(short, words))
    if style == "upper":
        return journal.upper().replace(" & ", " AND ")
    return " ".join(short)


def _cut(word: str) -> str:
    """ISO 4-like truncation: the word up to the consonants after its first vowel group
    ('comparative' → 'Comp', 'traumatology' → 'Traum'); short words stay whole."""
    if len(word) <= 5:
        return word
    low = word.lower()
    k = 1
    while k < len(low) and low[k] not in _VOWELS:
        k += 1
    while k < len(low) and low[k] in _VOWELS:
        k += 1
    while k < len(low) and low[k] not in _VOWELS:
        k += 1
    return word[:k] if k < len(low) - 1 else word


def pages_abbreviated(pages: str, rng: random.Random) -> str:
    match = re.fullmatch(r"(\d+)-(\d+)", pages)
    if not match:
        return pages.split("-")[0]
    start, end = match.groups()
    if len(start) != len(end):
        return start
    shared = next((k for k in range(len(start)) if start[k] != end[k]), len(start) - 1)
    return rng.choice([f"{start}-{end[shared:]}", start])


def pages_elocator(pages: str, rng: random.Random) -> str:
    start = re.match(r"\d+", pages)
    return f"e{start.group(0)}" if start else pages


EARLY_ONLINE_NOTE = " © {year} The Authors. Published online ahead of print."


# ---------------------------------------------------------------- pairs


def _apply(kind: str, a: Record, b: Record, rng: random.Random) -> tuple[Record, Record] | None:
    """``b`` changed by one variant class (``None`` when it cannot apply to this record)."""
    r = dataclasses.replace
    t = b.title
    if kind == "title-case":
        return a, r(b, title=title_case(t, rng))
    if kind == "title-punctuation":
        return a, r(b, title=title_punctuation(t, rng))
    if kind == "title-html":
        return a, r(b, title=title_html(t, rng))
    if kind == "title-diacritics":
        accented = title_diacritics(t, rng)
        if strip_accents(t) == t:  # the accents were added: one side has them, one not
            return r(a, title=t.replace("e", "é", 1).replace("a", "á", 1)), r(b, title=accented)
        return a, r(b, title=accented)
    if kind == "title-spelling":
        new = title_spelling(t, rng)
        return (a, r(b, title=new)) if new != t else None
    if kind == "title-subtitle":
        return a, r(b, title=title_subtitle(t, rng))
    if kind == "title-greek":
        greek = any(g in t for g, _ in GREEK) or any(
            re.search(rf"\b{n}\b", t, re.I) for _, n in GREEK
        )
        return (a, r(b, title=title_greek(t, rng))) if greek else None
    if kind == "title-translated":
        return a, r(b, title=title_translated(t, rng))
    if kind == "author-initials":
        return a, r(b, authors=authors_initials(b.authors, rng))
    if kind == "author-order":
        return a, r(b, authors=authors_order(b.authors, rng))
    if kind == "author-etal":
        return (a, r(b, authors=authors_etal(b.authors, rng))) if len(b.authors) > 1 else None
    if kind == "author-diacritics":
        return a, r(b, authors=authors_diacritics(b.authors, rng))
    if kind == "journal-abbreviation":
        return a, r(b, journal=abbreviate_journal(b.journal, rng))
    if kind == "pages-abbreviated":
        return (a, r(b, pages=pages_abbreviated(b.pages, rng))) if "-" in b.pages else None
    if kind == "pages-elocator":
        return (a, r(b, pages=pages_elocator(b.pages, rng))) if b.pages[:1].isdigit() else None
    if kind == "year-early-online":
        early = r(a, year=a.year - 1)
        if rng.random() < 0.7:
            early = r(early, volume="", issue="", pages="")
        if early.abstract and rng.random() < 0.5:
            early = r(early, abstract=early.abstract + EARLY_ONLINE_NOTE.format(year=early.year))
        return early, b
    raise ValueError(kind)


def _strip(record: Record, side: str) -> Record:
    return dataclasses.replace(record, doi="", pmid="", source_database=f"probe {side}")


def positive(
    base: Record, kind: str, rng: random.Random
) -> tuple[Record, Record, list[str]] | None:
    a, b = _strip(base, "A"), _strip(base, "B")
    done = _apply(kind, a, b, rng)
    if done is None:
        return None
    a, b = done
    variants = [kind]
    others = [k for k in POSITIVE_CLASSES if k.split("-")[0] != kind.split("-")[0]]
    for extra in rng.sample(others, rng.choice([1, 2])):
        swapped = rng.random() < 0.5 and extra != "year-early-online"
        left, right = (b, a) if swapped else (a, b)
        done = _apply(extra, left, right, rng)
        if done is not None:
            left, right = done
            a, b = (right, left) if swapped else (left, right)
            variants.append(extra)
    if rng.random() < 0.3:  # one database has no abstract
        b = dataclasses.replace(b, abstract="")
    return a, b, variants


def negative(base: Record, kind: str, donor: Record, rng: random.Random) -> tuple[Record, Record]:
    """Two different publications sharing the first author and most of the title."""
    r = dataclasses.replace
    a, b = _strip(base, "A"), _strip(base, "B")
    t = base.title.rstrip(".")
    year = base.year or 2000
    if kind == "protocol-vs-results":
        protocol = rng.choice([f"{t}: study protocol for a randomised controlled trial",
                               f"{t}: protocol of a randomized controlled trial",
                               f"Study protocol: {t}"])  # fmt: skip
        gap = rng.choice([1, 1, 2, 3])
        journal = rng.choice(["Trials", "BMJ Open", base.journal])
        return r(a, title=protocol, year=year - gap, journal=journal, volume="", pages="",
                 abstract=""), b  # fmt: skip
    if kind == "part-1-vs-part-2":
        style = rng.choice(["Part {}", "Part {}", "part {}", "{}"])
        numbers = rng.choice([("1", "2"), ("I", "II"), ("2", "3"), ("II", "III")])
        sep = rng.choice([": ", ". ", " - "])
        first, second = (t + sep + style.format(n) for n in numbers)
        pages = _next_pages(base.pages)
        return r(a, title=first), r(b, title=second, pages=pages, abstract="")
    if kind == "erratum":
        notice = rng.choice([f"Erratum: {t}", f"Correction: {t}", f'Corrigendum to "{t}"',
                             f"{t} (vol {base.volume or 12}, pg {base.pages or 1}, {year})",
                             f"Erratum to: {t}", f"Correction to: {t}"])  # fmt: skip
        return a, r(b, title=notice, year=year + rng.choice([0, 1]), pages=rng.choice(["", "99"]),
                    abstract="")  # fmt: skip
    if kind == "comment":
        notice = rng.choice([f"Comment on: {t}", f"Commentary on {t}", f"Letter: {t}",
                             f"Comment on “{t}”"])  # fmt: skip
        return a, r(b, title=notice, year=year + rng.choice([0, 1]), pages="", abstract="",
                    authors=donor.authors[:1] if rng.random() < 0.5 else base.authors[:1])  # fmt: skip
    if kind == "reply":
        notice = rng.choice([f"Reply to: {t}", f"Response to comment on: {t}",
                             f"In reply: {t}", f"Author's reply: {t}"])  # fmt: skip
        return a, r(b, title=notice, year=year + rng.choice([0, 1]), pages="", abstract="")
    if kind == "conference-abstract":
        gap = rng.choice([0, 1, 2])
        abstract = " ".join(base.abstract.split()[:60]) + " Conclusions will be presented."
        conference = r(a, year=year - gap, publication_type="Conference Abstract",
                       abstract=abstract if base.abstract else "")  # fmt: skip
        where = rng.random()
        if where < 0.4:
            conference = r(conference, journal=base.journal, volume=base.volume or "10",
                           issue="Suppl 1", pages=f"S{rng.randint(10, 300)}")  # fmt: skip
        elif where < 0.7:  # indexed without volume or pages, typed as an abstract
            conference = r(conference, journal=base.journal, volume="", issue="", pages="",
                           publication_type=rng.choice(["Conference Abstract",
                                                        "Meeting Abstract"]))  # fmt: skip
        else:
            conference = r(conference, journal=f"Abstracts of the {year - gap} Annual Congress",
                           volume="", issue="", pages="")  # fmt: skip
        return conference, b
    if kind == "series-volumes":
        volume = base.volume if base.volume.isdigit() else "7"
        return r(a, volume=volume, pages=""), r(b, volume=str(int(volume) + 1),
                                                 year=year + 1, pages="", abstract="")  # fmt: skip
    if kind == "follow-up-reports":
        months = rng.choice([("6", "12"), ("12", "24"), ("1", "5"), ("two", "five")])
        unit = "years" if months[0] in ("1", "two") else "months"
        first, second = (f"{t}: {m}-{unit[:-1]} follow-up" if rng.random() < 0.5
                         else f"{t}: results at {m} {unit}" for m in months)  # fmt: skip
        return r(a, title=first, pages=""), r(b, title=second, year=year + rng.choice([1, 2]),
                                              pages="", abstract="")  # fmt: skip
    raise ValueError(kind)


def _next_pages(pages: str) -> str:
    match = re.match(r"(\d+)(?:-(\d+))?", pages)
    if not match:
        return ""
    end = int(match.group(2) or match.group(1))
    return f"{end + 1}-{end + 9}"


def probe(folder: Path) -> list[ProbePair]:
    """All labelled pairs, deterministic for a given folder of exports."""
    rng = random.Random(SEED)
    bases = base_records(folder)
    rng.shuffle(bases)
    pairs: list[ProbePair] = []
    for kind in POSITIVE_CLASSES:  # rare classes (Greek letters) first take what applies
        made = 0
        for n, base in enumerate(bases):
            if made == PER_CLASS:
                break
            if base is None or (built := positive(base, kind, rng)) is None:
                continue
            bases[n] = None
            a, b, variants = built
            pairs.append(ProbePair(0, "", 1, kind, tuple(variants), a, b, _where(base)))
            made += 1
    pool = iter(b for b in bases if b is not None)
    for kind in NEGATIVE_KINDS:
        for _ in range(PER_NEGATIVE_KIND):
            base, donor = next(pool), next(pool)
            a, b = negative(base, kind, donor, rng)
            pairs.append(ProbePair(0, "", 0, kind, (kind,), a, b, _where(base)))
    splits = ["tune", "held-out"] * (len(pairs) // 2 + 1)
    rng.shuffle(splits)
    return [dataclasses.replace(p, pair=n, split=s) for n, (p, s) in
            enumerate(zip(pairs, splits))]  # fmt: skip


def _where(record: Record) -> str:
    return f"{Path(record.source_file).name}:{record.source_position}"


def records_and_truth(pairs: list[ProbePair]) -> tuple[list[Record], list[tuple[int, int]]]:
    """The pairs' records in one list (pair k is records 2k and 2k+1) and the true links."""
    records = [record for p in pairs for record in (p.a, p.b)]
    truth = [(2 * k, 2 * k + 1) for k, p in enumerate(pairs) if p.label == 1]
    return records, truth


def manifest_rows(pairs: list[ProbePair]) -> list[list[str]]:
    rows = [["pair", "split", "duplicate", "kind", "variants", "source"]]
    rows += [[str(p.pair), p.split, str(p.label), p.kind, "+".join(p.variants), p.source]
             for p in pairs]  # fmt: skip
    return rows


def main(folder: Path) -> None:
    pairs = probe(folder)
    csv.writer(sys.stdout, lineterminator="\n").writerows(manifest_rows(pairs))
    counts = Counter((p.split, p.label) for p in pairs)
    print(dict(counts), file=sys.stderr)


if __name__ == "__main__":
    default = HERE.parent.parent / "shared" / "data" / "records"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
