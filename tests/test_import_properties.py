"""Property tests: random RIS/BibTeX (and other) fragments give records or located errors —
never an exception — and well-formed entries always come back whole."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metareview.records.importers import FORMATS
from metareview.records.importers._base import clean_text, split_lines
from metareview.records.importers.bibtex import parse_bibtex
from metareview.records.importers.ris import parse_ris

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WORDS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)
RIS_TAGS = ["TY", "TI", "T1", "AU", "A1", "PY", "AB", "N2", "DO", "KW", "ER", "SP", "EP", "VL",
            "UR", "AN", "DB"]  # fmt: skip
RIS_LINE = st.one_of(
    st.builds(lambda tag, text: f"{tag}  - {text}", st.sampled_from(RIS_TAGS), WORDS),
    st.just("ER  - "),
    st.just("TY  - JOUR"),
    WORDS,
)
BIB_PIECE = st.one_of(
    st.sampled_from(["@article{", "@string{", "@comment{", "@book(", "}", "{", ")", '"', ",",
                     "=", "#", "\n", " and ", "title", "author", "year", "key1", "\\'e"]),
    WORDS,
)  # fmt: skip


def located_records(parse, text: str, name: str, *options) -> list:
    """What ``parse`` reads from ``text``, once every problem it reports is checked to name a
    line of ``text`` (or none) and to say what is wrong."""
    records, problems = parse(text, name, *options)
    lines = max(len(split_lines(text)), 1) + 1
    for problem in problems:
        assert problem.line is None or 1 <= problem.line <= lines, problem
        assert problem.message
    return records


@SETTINGS
@given(st.lists(RIS_LINE, max_size=40))
def test_random_ris_gives_records_or_located_errors(lines: list[str]) -> None:
    text = "\n".join(lines)
    records = located_records(parse_ris, text, "random.ris")
    starts = sum(1 for line in split_lines(text) if line.startswith("TY  -"))
    assert len(records) <= starts
    assert all(1 <= r.source_line <= len(split_lines(text)) for r in records)
    assert [r.source_position for r in records] == list(range(1, len(records) + 1))


@SETTINGS
@given(st.lists(BIB_PIECE, max_size=60))
def test_random_bibtex_gives_records_or_located_errors(pieces: list[str]) -> None:
    text = "".join(pieces)
    records = located_records(parse_bibtex, text, "random.bib")
    assert all(r.title or r.doi for r in records)


@SETTINGS
@given(st.sampled_from(sorted(FORMATS)), st.text(max_size=300))
def test_any_text_through_any_parser_never_crashes(kind: str, text: str) -> None:
    records = located_records(FORMATS[kind], text, "random.txt", None)
    assert [r.source_position for r in records] == list(range(1, len(records) + 1))


TITLE = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd", "Zs"), max_codepoint=0x2FF),
    min_size=1, max_size=60,
).filter(lambda t: t.strip())  # fmt: skip


@SETTINGS
@given(st.lists(TITLE, min_size=1, max_size=8))
def test_well_formed_entries_come_back_whole(titles: list[str]) -> None:
    ris = "".join(f"TY  - JOUR\nTI  - {t}\nPY  - 2001\nER  - \n\n" for t in titles)
    records, problems = parse_ris(ris, "ok.ris")
    assert problems == []
    assert [r.title for r in records] == [clean_text(t) for t in titles]
    bib = "".join(
        f"@article{{k{n},\n  title = {{{t}}},\n  year = 2001}}\n" for n, t in enumerate(titles)
    )
    records, problems = parse_bibtex(bib, "ok.bib")
    assert problems == []
    assert [r.title for r in records] == [clean_text(t) for t in titles]
    assert [r.source_line for r in records] == [1 + 3 * n for n in range(len(titles))]
