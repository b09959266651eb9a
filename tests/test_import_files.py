"""Every real export in ../shared/data/records imports with the right count and fields.

The expected counts are not typed in: each is recounted here from the file's own entry
markers (RIS ``TY`` lines, BibTeX ``@type{`` lines, EndNote ``<record>`` elements), a count
independent of the parsers under test. One record per file is then checked field by field
against the file's text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from metareview.records.importers import read_records

MARKERS = {
    "ris": re.compile(rb"^(?:\xef\xbb\xbf)?TY  -", re.MULTILINE),
    "bibtex": re.compile(rb"^@[A-Za-z]+\{", re.MULTILINE),
    "endnote-xml": re.compile(rb"<record>"),
}
FILES = {
    "asr_baseline_zotero.ris": "ris",
    "asr_embase.ris": "ris",
    "asr_ovid_psycinfo.ris": "ris",
    "asr_proquest.ris": "ris",
    "asr_pubmed_endnote.txt": "ris",
    "asr_pubmed_zotero.ris": "ris",
    "asr_scopus.ris": "ris",
    "asr_web_of_science.txt": "ris",
    "asysd_mendeley_export.xml": "endnote-xml",
    "asysd_ris_export.txt": "ris",
    "asysd_scopus.ris": "ris",
    "asysd_wos_test.ris": "ris",
    "asysd_zotero_export.bib": "bibtex",
    "asysd_zotero_export.ris": "ris",
}


def test_the_list_covers_every_shared_file(shared_data: Path) -> None:
    assert sorted(p.name for p in (shared_data / "records").iterdir()) == sorted(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_record_count_matches_the_entry_markers(shared_data: Path, name: str) -> None:
    path = shared_data / "records" / name
    expected = len(MARKERS[FILES[name]].findall(path.read_bytes()))
    result = read_records(path)
    assert result.format == FILES[name]
    assert result.errors == ()
    assert len(result.records) == expected
    assert [r.source_position for r in result.records] == list(range(1, expected + 1))
    assert all(r.title for r in result.records)


def one(shared_data: Path, name: str, position: int):
    result = read_records(shared_data / "records" / name)
    return result.records[position - 1]


def test_ovid_psycinfo_keeps_n2_abstracts_and_ignores_link_lines(shared_data: Path) -> None:
    record = one(shared_data, "asr_ovid_psycinfo.ris", 1)
    assert record.title.startswith("The influence of self-criticism on depression symptoms")
    assert record.abstract.startswith("Considering that self-criticism is an important process")
    assert record.authors[:2] == ("Trindade, Ines A", "Irons, Chris")
    assert record.year == 2019
    assert record.doi == "10.1002/cpp.2398"
    assert record.pages == ""  # Ovid's "No Pagination Specified"
    assert record.source_line == 2
    second = one(shared_data, "asr_ovid_psycinfo.ris", 2)
    assert "Link to" not in second.title + second.abstract + second.journal
    assert (second.volume, second.issue, second.pages) == ("24", "7", "847-856")


def test_embase_with_bom(shared_data: Path) -> None:
    record = one(shared_data, "asr_embase.ris", 1)
    assert (
        record.title
        == "Duplication cysts: Diagnosis, management, and the role of endoscopic ultrasound"
    )
    assert record.authors == ("Liu R.", "Adler D.G.")
    assert (record.year, record.volume, record.issue, record.pages) == (2014, "3", "3", "152-160")
    assert record.journal == "Endoscopic Ultrasound"
    assert record.doi == "10.4103/2303-9027.138783"
    assert record.source_database == "Embase"
    assert "colonoscopy" in record.keywords


def test_pubmed_via_endnote_txt(shared_data: Path) -> None:
    record = one(shared_data, "asr_pubmed_endnote.txt", 1)
    assert record.title.startswith("Boswellia serrata: an overall assessment")
    assert record.pmid == "21553931"
    assert record.doi == "10.2165/11586800-000000000-00000"
    assert record.pages == "349-69"
    assert record.journal == "Clin Pharmacokinet"
    assert record.source_database == "PubMed"
    # EndNote writes one MeSH heading per line under a single KW tag
    assert "Boswellia/*chemistry" in record.keywords
    assert "Humans" in record.keywords


def test_proquest(shared_data: Path) -> None:
    record = one(shared_data, "asr_proquest.ris", 1)
    assert record.title.startswith("Predictors of posttraumatic stress symptom trajectories")
    assert record.abstract.startswith("People respond differently to potentially traumatic events")


def test_scopus_and_zotero_pubmed(shared_data: Path) -> None:
    scopus = one(shared_data, "asr_scopus.ris", 1)
    assert scopus.journal == "Psychoneuroendocrinology"
    assert (scopus.year, scopus.volume, scopus.doi) == (
        2020,
        "111",
        "10.1016/j.psyneuen.2019.104501",
    )
    assert scopus.authors[0] == "Labanski, A."
    assert scopus.source_database == "Scopus"
    zotero = one(shared_data, "asr_pubmed_zotero.ris", 1)
    assert zotero.authors[:2] == ("Rudnik, Agata", "Piotrowicz, Grazyna")
    assert zotero.journal == "Przeglad gastroenterologiczny"


def test_web_of_science_ris_with_continued_abstract(shared_data: Path) -> None:
    record = one(shared_data, "asysd_wos_test.ris", 1)
    assert (
        record.title
        == "Microangiography of the humeral condyle in Cocker Spaniel and non-Cocker Spaniel dogs"
    )
    assert record.authors == ("Larsen, LJ", "Roush, JK", "McLaughlin, RM", "Cash, WC")
    assert "Microangiography was performed on four Cocker Spaniel" in record.abstract
    assert record.source_database == "Web of Science"
    wos = one(shared_data, "asr_web_of_science.txt", 1)
    assert (
        wos.title
        == "Holding Yourself Captive: Perceptions of Custody During Interviews and Interrogations"
    )
    assert "MIRANDA" in wos.keywords


def test_zotero_bibtex_and_ris_of_one_library_agree(shared_data: Path) -> None:
    bib = read_records(shared_data / "records" / "asysd_zotero_export.bib").records
    ris = read_records(shared_data / "records" / "asysd_zotero_export.ris").records
    assert len(bib) == len(ris)
    same_title = sum(a.title.lower() == b.title.lower() for a, b in zip(bib, ris, strict=True))
    same_doi = sum(a.doi == b.doi for a, b in zip(bib, ris, strict=True))
    assert same_title >= 990 and same_doi == 1000
    first = bib[0]
    assert (
        first.title
        == "Microangiography of the humeral condyle in Cocker Spaniel and non-Cocker Spaniel dogs"
    )
    assert (first.volume, first.issue, first.pages) == ("12", "3", "134-137")
    assert first.source_line == 2


def test_mendeley_endnote_xml(shared_data: Path) -> None:
    record = one(shared_data, "asysd_mendeley_export.xml", 1)
    assert record.title == "Myoclonus in older Cavalier King Charles Spaniels."
    assert record.authors == ("Rotter, Carina", "Whittaker, Danielle", "Rusbridge, Clare")
    assert record.journal == "Journal of veterinary internal medicine"
    assert (record.year, record.volume, record.issue, record.pages) == (
        2022,
        "36",
        "3",
        "1032-1038",
    )
    assert record.doi == "10.1111/jvim.16404"
    assert record.pmid == "35319117"
    assert "Myoclonus" in record.keywords


def test_asysd_ris_export_and_scopus(shared_data: Path) -> None:
    record = one(shared_data, "asysd_ris_export.txt", 1)
    assert record.abstract.startswith("Missense mutations in the beta-amyloid precursor protein")
    scopus = one(shared_data, "asysd_scopus.ris", 1)
    assert scopus.authors[-1] == "Sanchez del Pulgar, J."
    assert (scopus.year, scopus.doi) == (2025, "10.3390/ani15010003")


def test_baseline_zotero(shared_data: Path) -> None:
    record = one(shared_data, "asr_baseline_zotero.ris", 1)
    assert record.title == (
        "An open source machine learning framework for efficient and transparent systematic reviews"
    )
    assert len(record.authors) == 17 and record.authors[0] == "van de Schoot, Rens"
    assert record.journal == "Nature Machine Intelligence"
