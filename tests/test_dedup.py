"""Deduplication: each rule, each guard against a false merge, grouping and the result API."""

from __future__ import annotations

import json

import pytest

from metareview.records.dedup import DedupResult, candidate_pairs, deduplicate
from metareview.records.matching import Features, compare
from metareview.records.normalize import (
    doi_key,
    journals_match,
    normalize_doi,
    normalize_pages,
    normalize_title,
    sici_citation,
    start_page,
    surname,
)
from metareview.records.record import Record

ARTICLE = Record(
    title="Cognitive behavioural therapy for insomnia: a randomised controlled trial",
    authors=("Müller, Anna", "Smith, J."),
    year=2019,
    journal="Journal of Sleep Research",
    volume="28",
    issue="3",
    pages="e12345",
    doi="10.1111/jsr.12345",
    pmid="30123456",
    abstract="Background. Insomnia is common. " * 5,
    source_database="PubMed",
)


def variant(**changes) -> Record:
    from dataclasses import replace

    return replace(ARTICLE, **changes)


def verdict(a: Record, b: Record):
    return compare(Features.of(a), Features.of(b))


# --- normalisation -------------------------------------------------------------------------


def test_normalize_title_folds_case_punctuation_diacritics_and_markup() -> None:
    assert normalize_title("<i>Über</i> Café-Trials: A Review.") == "uber cafe trials a review"
    assert normalize_title("[Über Café-Trials]") == normalize_title("Uber cafe trials")


def test_doi_prefixes_and_escapes() -> None:
    assert normalize_doi("doi: 10.1000/ABC") == "10.1000/abc"
    assert normalize_doi("https://doi.org/10.1000%2Fabc") == "10.1000/abc"
    assert normalize_doi("http://dx.doi.org/10.1000/abc.") == "10.1000/abc"
    assert doi_key("10.1597/1545-1569_1994_031_0364_cpwart_2.3.co_2") == doi_key(
        "10.1597/1545-1569(1994)031<0364:CPWART>2.3.CO;2"
    )
    assert sici_citation("10.1000/xyz") is None


def test_page_ranges() -> None:
    assert normalize_pages("1137-42") == "1137-1142"
    assert normalize_pages("99–101") == "99-101"
    assert normalize_pages("e12345") == "e12345"
    assert start_page("366-+") == "366"
    assert start_page("222; author reply 222") == "222"
    assert start_page("") == ""


def test_journal_abbreviations() -> None:
    assert journals_match("Vet Clin North Am Small Anim Pract",
                          "The Veterinary clinics of North America. Small animal practice")  # fmt: skip
    assert journals_match("J. Natl. Cancer Inst.", "Journal of the National Cancer Institute")
    assert journals_match("PSYCHOLOGY PUBLIC POLICY AND LAW", "Psychol Public Policy Law")
    assert not journals_match("J Clin Psychol", "J Clin Psychiatry Res")
    assert not journals_match("Journal of Health Psychology", "Health Psychology")
    assert journals_match("", "Lancet") is None


def test_surnames() -> None:
    assert surname("van der Woerdt, A") == surname("VANDERWOERDT, A") == "vanderwoerdt"
    assert surname("Eloubeidi M.A.") == "eloubeidi"
    assert surname("Rens van de Schoot") == "rensvandeschoot"
    assert surname("Häggström, J") == "haggstrom"


# --- rules ---------------------------------------------------------------------------------


def test_same_doi_merges_even_when_other_details_are_formatted_differently() -> None:
    other = variant(title=ARTICLE.title.upper(), doi="https://doi.org/10.1111/JSR.12345",
                    authors=("MULLER A",), journal="J Sleep Res", pmid="")  # fmt: skip
    result = verdict(ARTICLE, other)
    assert (result.decision, result.rule) == ("duplicate", "same DOI")


def test_same_pmid_merges() -> None:
    result = verdict(ARTICLE, variant(doi="", title=ARTICLE.title + "."))
    assert (result.decision, result.rule) == ("duplicate", "same PMID")


def test_title_author_year_source_merges_without_identifiers() -> None:
    a = variant(doi="", pmid="", abstract="")
    b = variant(doi="", pmid="", abstract="", authors=("Muller, A.",), journal="J Sleep Res")
    result = verdict(a, b)
    assert (result.decision, result.rule) == ("duplicate", "title+author+year+source")
    assert "same journal" in result.reasons


def test_citation_rule_catches_a_translated_title() -> None:
    a = variant(doi="", pmid="", title="[Cognitive behavioural therapy for insomnia: a trial]")
    b = variant(doi="", pmid="", title="Kognitive Verhaltenstherapie bei Insomnie")
    result = verdict(a, b)  # titles too far apart to merge, but the citation is the same
    assert (result.decision, result.rule) == (
        "maybe",
        "same citation, different titles (a translation?)",
    )
    assert verdict(a, variant(doi="", pmid="", title=b.title, volume="27")).decision == "distinct"
    c = variant(doi="", pmid="", title="Cognitive behavioural therapies in insomnia - a trial")
    result = verdict(a, c)
    assert (result.decision, result.rule) == ("duplicate", "citation+similar title")


def test_doi_conflict_is_never_merged_automatically() -> None:
    result = verdict(ARTICLE, variant(doi="10.1111/jsr.99999", pmid=""))
    assert result.decision == "maybe"
    assert result.rule.startswith("identifier conflict")
    assert any(r.startswith("different DOI") for r in result.reasons)


def test_sici_doi_alias_is_not_a_conflict() -> None:
    a = variant(doi="10.1892/0891-6640(2019)028<0012:CBTFIA>2.3.CO;2", pmid="", pages="12-19",
                volume="28")  # fmt: skip
    b = variant(doi="10.1111/j.1939-1676.2019.tb0001.x", pmid="", pages="12-9", volume="28")
    result = verdict(a, b)
    assert result.decision == "duplicate"
    assert any("SICI" in r for r in result.reasons)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"title": ARTICLE.title + ": 12-month follow-up"}, "different numbers in the titles"),
        ({"title": "Erratum: " + ARTICLE.title}, "one is an erratum, comment or reply"),
        ({"title": ARTICLE.title + ": study protocol"}, "one is a protocol"),
        ({"year": 2022}, "years 2019 vs 2022"),
        ({"volume": "29"}, "volumes 28 vs 29"),
    ],
)
def test_conflicts_block_automatic_merges(change: dict, reason: str) -> None:
    a = variant(doi="", pmid="")
    b = variant(doi="", pmid="", **change)
    result = verdict(a, b)
    assert result.decision != "duplicate"
    assert reason in result.reasons


def test_part_numbers_in_roman_numerals_conflict() -> None:
    a = variant(doi="", pmid="", title="Shaking pups: a disorder of myelination. Part II")
    b = variant(doi="", pmid="", title="Shaking pups: a disorder of myelination. Part III")
    assert verdict(a, b).decision != "duplicate"
    c = variant(doi="", pmid="", title="Shaking pups: a disorder of myelination. Part 2")
    assert verdict(a, c).decision == "duplicate"


def test_same_title_by_other_authors_in_other_years_is_distinct() -> None:
    other = variant(doi="", pmid="", authors=("Jones, K",), year=2001, volume="3", pages="1-9")
    assert verdict(variant(doi="", pmid=""), other).decision == "distinct"


# --- grouping ------------------------------------------------------------------------------


def test_groups_partition_all_records_and_keep_every_source() -> None:
    records = [
        ARTICLE,
        variant(source_database="Embase", pmid="", authors=("Muller A.",)),
        variant(source_database="PsycINFO", doi="", title=ARTICLE.title.upper()),
        Record(title="Something else entirely", year=2020, source_database="Embase"),
    ]
    result = deduplicate(records)
    assert result.groups == ((0, 1, 2), (3,))
    assert result.removed == 2
    assert result.sources[0] == ("Embase", "PsycINFO", "PubMed")
    assert result.duplicate_groups == ((0, 1, 2),)
    rules = {link.rule for link in result.links[0]}
    assert "same DOI" in rules and rules <= {"same DOI", "same PMID", "title+author+year+source"}
    assert all(link.reasons for link in result.links[0])
    assert result.links[1] == ()
    assert result.group_of(3) == 1
    assert result.keep[0] in (0, 1, 2)


def test_transitive_chain_cannot_join_two_dois() -> None:
    """A record without DOI that matches two records with different DOIs joins only one."""
    a = variant(pmid="", abstract="")
    b = variant(pmid="", abstract="", doi="10.1111/jsr.99999")
    bridge = variant(pmid="", abstract="", doi="")
    result = deduplicate([a, b, bridge])
    assert len(result.groups) == 2
    assert any(pair.rule == "would put different DOIs or PMIDs in one group"
               or pair.rule.startswith("identifier conflict") for pair in result.maybe)  # fmt: skip


def test_reviewer_decisions_override_rules() -> None:
    records = [variant(pmid=""), variant(pmid="", doi="10.1111/jsr.99999")]
    assert deduplicate(records).removed == 0
    assert len(deduplicate(records).maybe) == 1
    confirmed = deduplicate(records, decisions={(1, 0): True})
    assert confirmed.groups == ((0, 1),) and confirmed.maybe == ()
    assert confirmed.links[0][0].rule == "confirmed by reviewer"
    same = [ARTICLE, variant()]
    assert deduplicate(same).removed == 1
    assert deduplicate(same, decisions={(0, 1): False}).removed == 0


def test_blocking_only_pairs_records_that_share_a_key() -> None:
    records = [ARTICLE, variant(title="Totally different words here", doi="", pmid="",
                                authors=("Other, B",), volume="", pages="")]  # fmt: skip
    features = [Features.of(r) for r in records]
    assert candidate_pairs(features) == set()
    assert candidate_pairs([features[0], features[0]]) == {(0, 1)}


def test_result_serialises() -> None:
    result = deduplicate([ARTICLE, variant(source_database="Embase"), Record(title="Other")])
    data = result.to_dict()
    assert {"records", "duplicate_groups", "removed", "maybe"} <= set(data)
    assert (data["records"], data["duplicate_groups"], data["removed"]) == (3, 1, 1)
    json.dumps(data)
    frame = result.to_frame()
    assert list(frame["group"]) == [0, 0, 1]
    assert frame["kept"].sum() == 2
    assert "1 duplicates removed" in result.summary()
    assert "<pre>" in result._repr_html_()
    assert isinstance(result, DedupResult)


def test_empty_input() -> None:
    result = deduplicate([])
    assert (result.groups, result.removed, result.maybe) == ((), 0, ())


def test_same_doi_without_titles_merges_on_the_abstract() -> None:
    a = variant(title="", pmid="")
    b = variant(title="", pmid="", authors=())
    result = verdict(a, b)
    assert (result.decision, result.rule) == ("duplicate", "same DOI")
    assert verdict(a, variant(title="", pmid="", abstract="Other words entirely. " * 6,
                              volume="", pages="")).decision == "maybe"  # fmt: skip


def test_short_titles_are_still_compared() -> None:
    records = [Record(title="Spasticity.", year=2002, abstract="Review of spasticity. " * 6),
               Record(title="Spasticity", year=2002, abstract="Review of spasticity. " * 6)]  # fmt: skip
    assert deduplicate(records).groups == ((0, 1),)


def test_sparse_records_are_queued_not_merged() -> None:
    """Title and year alone are not enough evidence: two editorials may share both."""
    records = [Record(title="Spasticity.", year=2002), Record(title="Spasticity", year=2002)]
    result = deduplicate(records)
    assert result.removed == 0
    assert [(p.i, p.j) for p in result.maybe] == [(0, 1)]
