"""Each importer on small exports written here: fields, quirks, encodings and broken entries.

The real exports in ../shared/data/records are covered by test_import_files.py; these files
exercise what those do not contain (MEDLINE/nbib, WoS plain text, CSV/TSV/XLSX, Latin-1,
UTF-16, broken entries), each written the way the exporting tool writes it.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from metareview.errors import RecordsError
from metareview.records.importers import detect_format, read_many, read_records
from metareview.records.importers.latex import latex_to_text

MEDLINE = """\
PMID- 31000001
OWN - NLM
STAT- MEDLINE
DP  - 2019 Mar
TI  - Internet-delivered cognitive behaviour therapy for adolescents with
      depression: a randomised controlled trial.
PG  - 101-9
LID - 10.1016/j.jad.2019.01.001 [doi]
AB  - BACKGROUND: Few adolescents receive treatment. METHODS: We randomised 120
      adolescents.
FAU - Müller, Anna
AU  - Müller A
FAU - Smith, John
AU  - Smith J
PT  - Journal Article
PT  - Randomized Controlled Trial
TA  - J Affect Disord
JT  - Journal of affective disorders
VI  - 246
IP  - 2
MH  - Adolescent
MH  - *Depression/therapy
OT  - internet

PMID- 31000002
TI  - Second record.
FAU - Doe, Jane
DP  - 2020
"""

WOS = """\
FN Clarivate Analytics Web of Science
VR 1.0
PT J
AU Muller, A
   Smith, J
AF Muller, Anna
   Smith, John
TI Internet-delivered cognitive behaviour therapy for adolescents with
   depression
SO JOURNAL OF AFFECTIVE DISORDERS
DE internet; adolescents
AB Few adolescents receive treatment.
PY 2019
VL 246
IS 2
BP 101
EP 109
DI 10.1016/j.jad.2019.01.001
PM 31000001
UT WOS:000123456700001
ER

PT J
AU Doe, J
TI Second record
PY 2020
ER

EF
"""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_medline_nbib(tmp_path: Path) -> None:
    result = read_records(write(tmp_path, "pubmed.nbib", MEDLINE))
    assert (result.format, len(result.records), result.errors) == ("medline", 2, ())
    first = result.records[0]
    assert first.title == (
        "Internet-delivered cognitive behaviour therapy for adolescents with depression: "
        "a randomised controlled trial."
    )
    assert first.authors == ("Müller, Anna", "Smith, John")
    assert (first.year, first.volume, first.issue, first.pages) == (2019, "246", "2", "101-9")
    assert first.journal == "Journal of affective disorders"
    assert (first.doi, first.pmid) == ("10.1016/j.jad.2019.01.001", "31000001")
    assert first.abstract.endswith("We randomised 120 adolescents.")
    assert first.publication_type == "Journal Article; Randomized Controlled Trial"
    assert first.keywords == ("Adolescent", "*Depression/therapy", "internet")
    assert first.source_database == "PubMed"
    assert (result.records[1].source_line, result.records[1].source_position) == (25, 2)


def test_medline_saved_as_txt_is_detected_by_content(tmp_path: Path) -> None:
    result = read_records(write(tmp_path, "pubmed-export.txt", "\n" + MEDLINE))
    assert result.format == "medline" and len(result.records) == 2


def test_wos_plain_text(tmp_path: Path) -> None:
    result = read_records(write(tmp_path, "savedrecs.txt", WOS))
    assert (result.format, len(result.records), result.errors) == ("wos", 2, ())
    first = result.records[0]
    assert first.authors == ("Muller, Anna", "Smith, John")
    assert (
        first.title
        == "Internet-delivered cognitive behaviour therapy for adolescents with depression"
    )
    assert (first.pages, first.doi, first.pmid) == (
        "101-109",
        "10.1016/j.jad.2019.01.001",
        "31000001",
    )
    assert first.keywords == ("internet", "adolescents")
    assert first.source_database == "Web of Science"


def test_wos_entry_without_er_is_kept_and_reported(tmp_path: Path) -> None:
    text = WOS.replace("UT WOS:000123456700001\nER\n", "UT WOS:000123456700001\n")
    result = read_records(write(tmp_path, "savedrecs.txt", text))
    assert len(result.records) == 2
    assert result.errors[0].line == 3 and "no ER" in result.errors[0].message


def test_bibtex_features(tmp_path: Path) -> None:
    text = r"""
% a comment line
@string{jad = "Journal of Affective Disorders"}
@comment{ jabref-meta: databaseType:bibtex; }
@Article{muller2019,
  title     = "Internet-delivered {CBT} for adolescents: a {R}andomised trial",
  author    = {M{\"u}ller, Anna and Smith, John and {World Health Organization}},
  journal   = jad,
  year      = 2019,
  month     = mar,
  volume    = {246},
  number    = {2},
  pages     = {101--109},
  doi       = {https://doi.org/10.1016/j.jad.2019.01.001},
  keywords  = {internet, adolescents; depression},
  eprinttype = {pubmed}, eprint = {31000001},
  abstract  = {Few adolescents {receive} treatment in 50\% of cases.}
}
@inproceedings(doe2020, title = {Second} # { record}, author = "Doe, Jane", year = "2020")
"""
    result = read_records(write(tmp_path, "library.bib", text))
    assert (result.format, len(result.records), result.errors) == ("bibtex", 2, ())
    first, second = result.records
    assert first.title == "Internet-delivered CBT for adolescents: a Randomised trial"
    assert first.authors == ("Müller, Anna", "Smith, John", "World Health Organization")
    assert first.journal == "Journal of Affective Disorders"
    assert (first.year, first.volume, first.issue, first.pages) == (2019, "246", "2", "101-109")
    assert (first.doi, first.pmid) == ("10.1016/j.jad.2019.01.001", "31000001")
    assert first.keywords == ("internet", "adolescents", "depression")
    assert first.abstract == "Few adolescents receive treatment in 50% of cases."
    assert first.source_line == 5
    assert (second.title, second.publication_type, second.source_line) == (
        "Second record", "Conference Paper", 19)  # fmt: skip


def test_bibtex_broken_entries_are_located_and_the_rest_kept(tmp_path: Path) -> None:
    text = """@article{ok1, title = {First}, year = 2001}
@article{broken, title = {Unclosed brace, year = 2002
@article{ok2, title = {Second}, year = 2003}
@article{bad value, title = }
@article{nokey}
@article{ok3, title = {Third}, year = 2004}
"""
    result = read_records(write(tmp_path, "broken.bib", text))
    assert [r.title for r in result.records] == ["First", "Second", "Third"]
    assert [e.line for e in result.errors] == [2, 4, 5]
    assert "never closed" in result.errors[0].message


def test_latex_accents() -> None:
    assert (
        latex_to_text(r"\'{E}cole \`a {\c{c}}a \v{S}koda {\aa}ngstr{\"o}m")
        == "École à ça Škoda ångström"
    )
    assert latex_to_text(r"\emph{in vivo} \textbf{\textit{x}}") == "in vivo x"


def test_ris_quirks(tmp_path: Path) -> None:
    text = (
        "1.\r\nTY  - JOUR\r\nT1  - First title\r\nA1  - Liu R.\r\nY1  - 2014//\r\n"
        "N2  - An Embase abstract\r\nover two lines.\r\nKW  - alpha; beta\r\n"
        "UR  - https://pubmed.ncbi.nlm.nih.gov/24000001/\r\nER  - \r\nNL  - J Foo\r\n\r\n"
        "Link to the Ovid Full Text or citation: https://example.org/x\r\n2.\r\n"
        "TY  - JOUR\r\nTI  - Second\r\nM3  - doi: 10.1000/xyz.1\r\nER  -\r\n"
    )
    result = read_records(write(tmp_path, "ovid.ris", text))
    assert (len(result.records), result.errors) == (2, ())
    first, second = result.records
    assert first.abstract == "An Embase abstract over two lines."
    assert (first.year, first.pmid, first.keywords) == (2014, "24000001", ("alpha", "beta"))
    assert (second.doi, second.source_line) == ("10.1000/xyz.1", 15)


def test_ris_tag_without_space_after_the_dash(tmp_path: Path) -> None:
    result = read_records(write(tmp_path, "x.ris", "TY  -JOUR\nTI  -Tight title\nER  -\n"))
    assert [r.title for r in result.records] == ["Tight title"]


def test_ris_broken_entries(tmp_path: Path) -> None:
    text = (
        "TY  - JOUR\nTI  - Kept although ER is missing\n"
        "TY  - JOUR\nPY  - 2001\nER  - \n"
        "TI  - A title without TY\nER  - \n"
        "TY  - JOUR\nTI  - Last\nER  - \n"
    )
    result = read_records(write(tmp_path, "broken.ris", text))
    assert [r.title for r in result.records] == ["Kept although ER is missing", "Last"]
    assert [(e.line, e.message.split(";")[-1].strip()) for e in result.errors] == [
        (1, "kept"), (3, "skipped"), (6, "skipped")]  # fmt: skip


def test_endnote_xml_broken_half_way_keeps_the_records_before(tmp_path: Path) -> None:
    record = (
        '<record><ref-type name="Journal Article">17</ref-type><titles><title>{}</title>'
        "</titles><dates><year>2001</year></dates><electronic-resource-num>10.1000/{}"
        "</electronic-resource-num></record>\n"
    )
    text = (
        "<xml><records>\n" + record.format("One", 1) + record.format("Two", 2) + "<record><titles>"
    )
    result = read_records(write(tmp_path, "endnote.xml", text))
    assert [r.title for r in result.records] == ["One", "Two"]
    assert result.records[1].doi == "10.1000/2"
    assert result.errors[0].line == 4 and "malformed" in result.errors[0].message


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8-sig", b""), ("latin-1", b""), ("cp1252", b""), ("utf-16", b"")],
)
def test_encodings(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    text = "TY  - JOUR\nTI  - Müller’s café study\nAU  - Gränitz, Ü\nER  - \n"
    if encoding == "latin-1":
        text = text.replace("’", "'")
    path = tmp_path / "enc.ris"
    path.write_bytes(prefix + text.encode(encoding))
    result = read_records(path)
    assert result.records[0].authors == ("Gränitz, Ü",)
    assert result.records[0].title.startswith("Müller")


def test_tabular_aliases_csv_tsv_xlsx_and_gzip(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "Article Title": ["Peer support", "", "Exercise"],
            "Author Full Names": ["Smit, Dirk; Doe, Jane", "", "Lee J, Kim S"],
            "Publication Year": ["2023", "", "2021"],
            "Source Title": ["J Psychol", "", "Lancet"],
            "Start Page": ["101", "", ""],
            "End Page": ["109", "", ""],
            "DOI": ["10.1000/a1", "", ""],
            "Pubmed Id": ["", "", "123"],
            "Unused": ["x", "", "y"],
        }
    )
    frame.to_csv(tmp_path / "wos.csv", index=False)
    frame.to_csv(tmp_path / "wos.tsv", sep="\t", index=False)
    frame.to_excel(tmp_path / "wos.xlsx", index=False)
    (tmp_path / "wos.csv.gz").write_bytes(gzip.compress((tmp_path / "wos.csv").read_bytes()))
    for name in ("wos.csv", "wos.tsv", "wos.xlsx", "wos.csv.gz"):
        result = read_records(tmp_path / name)
        assert result.format == "table"
        assert [r.source_line for r in result.records] == [2, 4]
        first, second = result.records
        assert first.authors == ("Smit, Dirk", "Doe, Jane")
        assert (first.year, first.journal, first.pages, first.doi) == (
            2023,
            "J Psychol",
            "101-109",
            "10.1000/a1",
        )
        assert second.authors == ("Lee J", "Kim S")
        assert second.pmid == "123"


@pytest.mark.parametrize(
    ("header", "row"),
    [
        # Covidence export
        ("Title,Authors,Published Year,Journal,Volume,Issue,Pages,DOI",
         'Peer support,"Smit D, Doe J",2023,J Psychol,12,3,101-109,10.1000/a1'),
        # PubMed "Create file" CSV
        ("PMID,Title,Authors,Citation,Journal/Book,Publication Year,DOI",
         '1,Peer support,"Smit D, Doe J",x,J Psychol,2023,10.1000/a1'),
        # Rayyan
        ("key,title,authors,journal,volume,issue,pages,year,doi,pubmed_id",
         'r1,Peer support,Smit D and Doe J,J Psychol,12,3,101-109,2023,10.1000/a1,1'),
        # Scopus CSV
        ("Authors,Title,Year,Source title,Volume,Issue,Page start,Page end,DOI,Source",
         '"Smit D.; Doe J.",Peer support,2023,J Psychol,12,3,101,109,10.1000/a1,Scopus'),
    ],
)  # fmt: skip
def test_headers_of_common_tools(tmp_path: Path, header: str, row: str) -> None:
    record = read_records(write(tmp_path, "export.csv", f"{header}\n{row}\n")).records[0]
    assert (record.title, record.year, record.journal, record.doi) == (
        "Peer support", 2023, "J Psychol", "10.1000/a1")  # fmt: skip
    assert len(record.authors) == 2 and record.authors[0].startswith("Smit D")


def test_tabular_row_without_title_or_id_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "hits.csv", "title,abstract\nA title,x\n,only an abstract\n")
    result = read_records(path)
    assert len(result.records) == 1
    assert result.errors[0].line == 3


def test_tabular_without_any_known_column_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RecordsError, match="no title, DOI or PMID column"):
        read_records(write(tmp_path, "x.csv", "foo,bar\n1,2\n"))


def test_latin1_csv(tmp_path: Path) -> None:
    result = read_records(write(tmp_path, "x.csv", "Title;Authors\nCafé;Müller, A\n", "latin-1"))
    assert result.records[0].title == "Café" and result.encoding == "latin-1"


def test_synergy_dataset_reads_as_a_table(shared_data: Path) -> None:
    path = shared_data / "synergy" / "Donners_2021.csv.gz"
    result = read_records(path, source_database="OpenAlex")
    expected = len(pd.read_csv(path))
    assert len(result.records) + len(result.errors) == expected
    assert all(r.source_database == "OpenAlex" for r in result.records)


def test_detection_and_whole_file_errors(tmp_path: Path) -> None:
    assert detect_format("x.bib", "@article{a, title={t}}") == "bibtex"
    assert detect_format("x.txt", "FN Clarivate\nVR 1.0\n") == "wos"
    assert detect_format("x.txt", '<?xml version="1.0"?><xml>') == "endnote-xml"
    with pytest.raises(RecordsError, match="not a recognised export"):
        read_records(write(tmp_path, "notes.txt", "just some notes\n"))
    with pytest.raises(RecordsError, match="no such file"):
        read_records(tmp_path / "missing.ris")
    empty = read_records(write(tmp_path, "empty.ris", "\n\n"))
    assert empty.records == () and empty.errors[0].message == "the file is empty"


def test_forced_format(tmp_path: Path) -> None:
    path = write(tmp_path, "export.dat", "Title,DOI\nPeer support,10.1000/a1\n")
    with pytest.raises(RecordsError, match="not a recognised export"):
        read_records(path)
    assert read_records(path, format="table").records[0].doi == "10.1000/a1"
    assert read_records(write(tmp_path, "x.dat", MEDLINE), format="medline").format == "medline"
    with pytest.raises(ValueError, match="format must be one of ris, medline, bibtex"):
        read_records(path, format="csv")


def test_read_many_and_result_api(tmp_path: Path) -> None:
    paths = [write(tmp_path, "a.nbib", MEDLINE), write(tmp_path, "b.txt", WOS)]
    results = read_many(paths, source_database="Mixed")
    assert [len(r.records) for r in results] == [2, 2]
    assert all(r.source_database == "Mixed" for res in results for r in res.records)
    data = results[0].to_dict()
    assert data == {"file": str(paths[0]), "format": "medline", "encoding": "utf-8",
                    "records": 2, "errors": [], "notes": []}  # fmt: skip
    assert list(results[0].to_frame()["pmid"]) == ["31000001", "31000002"]
    assert "2 records" in results[0].summary()
    assert "<p>" in results[0]._repr_html_()
