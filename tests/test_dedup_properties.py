"""Properties of dedup's normalisation and rules over generated records (the classes of input of
issue 14's no-identifier probe): formatting variants always match, numbered parts, notices and
years more than one apart never merge automatically, and normalising twice changes nothing."""

from __future__ import annotations

import itertools
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metareview.records.matching import Features, compare
from metareview.records.normalize import fold, normalize_title, page_key, surname
from metareview.records.record import Record

PROPERTIES = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = (  # noqa: SIM905
    "depression anxiety randomised controlled trial behavioural therapy older adults "
    "effect of on in and for with versus usual care paediatric oedema tumour colour centre "
    "analysed haemorrhage oesophageal cocker spaniel dogs mitral valve disease canine "
    "cohort study outcomes quality life internet delivered cognitive treatment prevention "
    "review"
).split()
JOURNALS = (
    ("Journal of Affective Disorders", "J Affect Disord"),
    ("Journal of the American Veterinary Medical Association", "J. Am. Vet. Med. Assoc."),
    ("The Veterinary Record", "Vet Rec"),
    ("Proceedings of the National Academy of Sciences", "Proc Natl Acad Sci"),
    ("Journal of Small Animal Practice", "J SMALL ANIM PRACT"),
    ("Veterinary Radiology & Ultrasound : the official journal of the American College",
     "Vet Radiol Ultrasound"),
)  # fmt: skip
SURNAMES = ("Müller", "Smith", "van der Berg", "O'Brien", "García-López", "Okafor", "Ng")


@st.composite
def articles(draw) -> tuple[Record, str]:
    """A journal article and its journal's abbreviation."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=5, max_size=14))
    if draw(st.booleans()):
        cut = draw(st.integers(2, len(words) - 2))
        words = [*words[:cut], words[cut] + ":", *words[cut + 1 :]]
    journal = draw(st.sampled_from(JOURNALS))
    start = draw(st.integers(1, 2000))
    authors = tuple(
        f"{name}, {given}"
        for name, given in zip(
            draw(st.lists(st.sampled_from(SURNAMES), min_size=1, max_size=5)),
            itertools.cycle(["Anna", "J.", "C. N.", "Pieter", "M"]),
        )
    )
    return Record(
        title=" ".join(words).capitalize(),
        authors=authors,
        year=draw(st.integers(1960, 2025)),
        journal=journal[0],
        volume=str(draw(st.integers(1, 300))),
        pages=f"{start}-{start + draw(st.integers(1, 30))}",
        abstract=draw(st.sampled_from(["", " ".join(words * 8)])),
    ), journal[1]


def _initials(author: str) -> str:
    family, _, given = author.partition(",")
    return f"{family} {''.join(p[0] for p in given.replace('.', ' ').split())}".strip()


@PROPERTIES
@given(st.text(max_size=80))
def test_normalising_twice_changes_nothing(text: str) -> None:
    assert normalize_title(normalize_title(text)) == normalize_title(text)
    assert fold(fold(text)) == fold(text)


@PROPERTIES
@given(articles(), st.data())
def test_a_formatting_variant_always_matches(drawn, data) -> None:
    article, abbreviation = drawn
    title = article.title
    if data.draw(st.booleans(), "upper"):
        title = title.upper()
    title = data.draw(st.sampled_from([title, title + ".", f"[{title}].",
                                       title.replace(": ", " - ")]), "punctuation")  # fmt: skip
    start, end = article.pages.split("-")
    pages = data.draw(st.sampled_from([article.pages, start, f"e{start}",
                                       f"{start}-{end[-1]}" if len(end) == len(start) else start]),
                      "pages")  # fmt: skip
    variant = replace(
        article,
        title=title,
        journal=data.draw(st.sampled_from([article.journal, abbreviation]), "journal"),
        authors=tuple(_initials(a) for a in article.authors),
        pages=pages,
    )
    verdict = compare(Features.of(article), Features.of(variant))
    assert verdict.decision == "duplicate", verdict


@PROPERTIES
@given(articles(), st.sampled_from([("1", "2"), ("I", "II"), ("2", "3"), ("II", "IV"), ("one", "two")]),
       st.booleans())  # fmt: skip
def test_numbered_parts_never_merge(drawn, numbers, drop_details) -> None:
    article, _ = drawn
    first, second = (replace(article, title=f"{article.title}. Part {n}") for n in numbers)
    if drop_details:
        second = replace(second, volume="", pages="", abstract="")
    assert compare(Features.of(first), Features.of(second)).decision != "duplicate"


@PROPERTIES
@given(articles(), st.integers(2, 30), st.booleans(), st.booleans())
def test_years_more_than_one_apart_never_merge(drawn, gap, later, drop_details) -> None:
    article, _ = drawn
    other = replace(article, year=article.year + (gap if later else -gap))
    if drop_details:
        other = replace(other, volume="", pages="")
    assert compare(Features.of(article), Features.of(other)).decision != "duplicate"


@PROPERTIES
@given(articles(), st.sampled_from(["Erratum: ", "Correction to: ", "Comment on: ", "Reply to: "]),
       st.integers(0, 1))  # fmt: skip
def test_a_notice_never_merges_with_its_article(drawn, prefix, gap) -> None:
    article, _ = drawn
    notice = replace(article, title=prefix + article.title, year=article.year + gap, pages="",
                     abstract="")  # fmt: skip
    assert compare(Features.of(article), Features.of(notice)).decision != "duplicate"


@PROPERTIES
@given(st.sampled_from(SURNAMES), st.sampled_from(["A", "J. A.", "Anna", "C N"]))
def test_author_name_orders_give_one_surname(family, given) -> None:
    initials = "".join(p[0] for p in given.replace(".", " ").split())
    forms = {f"{family}, {given}", f"{family} {initials}", f"{family.upper()}, {initials}"}
    assert len({surname(f) for f in forms}) == 1


@PROPERTIES
@given(st.integers(1, 99999), st.integers(0, 99))
def test_page_forms_give_one_first_page(start, length) -> None:
    end = str(start + length)
    short = end[len(end) - 1 :] if len(end) == len(str(start)) else end
    assert {page_key(f"{start}-{end}"), page_key(f"{start}-{short}"), page_key(f"e{start}"),
            page_key(str(start))} == {str(start)}  # fmt: skip
