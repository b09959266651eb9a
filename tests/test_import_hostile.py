"""Hostile search exports: expanding macros and entities, deep nesting, broken encodings and
compression, empty files. Each ends in records, or a located problem, or a one-line error."""

from __future__ import annotations

import gzip
import zipfile

import pytest

from metareview.errors import RecordsError
from metareview.records.importers import read_records
from metareview.records.importers.bibtex import MAX_VALUE_CHARS, parse_bibtex
from metareview.records.importers.endnote_xml import parse_endnote_xml
from metareview.records.importers.latex import latex_to_text
from tests.test_records_cli import run


def macro_bomb(levels: int) -> str:
    """``@string`` macros that double at each level (2**levels characters at the end)."""
    lines = ['@string{m0 = "ab"}']
    lines += [f"@string{{m{i} = m{i - 1} # m{i - 1}}}" for i in range(1, levels + 1)]
    lines.append(f"@article{{bomb,\n  title = m{levels},\n  year = 2020}}")
    lines.append("@article{fine,\n  title = {An honest trial},\n  year = 2021}")
    return "\n".join(lines) + "\n"


def test_a_doubling_macro_bomb_is_refused_at_its_line():
    text = macro_bomb(60)  # 2**61 characters unbounded; under 2 KB on disk
    assert len(text) < 2000
    records, problems = parse_bibtex(text, "bomb.bib")
    assert [r.title for r in records] == ["An honest trial"]
    first = problems[0]
    assert first.line == 20  # m19 = 2**20 characters, the first over the limit
    assert "longer than 1,000,000 characters" in first.message and "m18" in first.message
    assert len(records[0].title) < 100
    assert "uses macro 'm60'" in problems[-1].message and problems[-1].line == 63


def test_macros_nested_too_deep_are_refused():
    lines = ['@string{m0 = "a"}'] + [f'@string{{m{i} = m{i - 1} # "b"}}' for i in range(1, 40)]
    lines.append("@article{x, title = m39}")
    records, problems = parse_bibtex("\n".join(lines), "deep.bib")
    assert not records  # the entry uses m39, built on the refused m33
    assert problems[0].line == 34 and "nests more than 32 levels" in problems[0].message


def test_many_uses_of_a_large_macro_exhaust_the_files_budget():
    big = "x" * 900_000
    text = f"@string{{big = {{{big}}}}}\n" + "".join(
        f"@article{{a{i}, title = big}}\n" for i in range(60)
    )
    records, problems = parse_bibtex(text, "budget.bib")
    assert 0 < len(records) < 60
    assert "expand to more than 50,000,000 characters" in problems[0].message
    assert len(records) + len(problems) == 60  # every entry is a record or a named problem


def test_a_huge_literal_field_is_a_located_problem():
    text = "@article{a,\n  abstract = {" + "y" * (MAX_VALUE_CHARS + 5) + "},\n  title = {T}}\n"
    records, problems = parse_bibtex(text, "huge.bib")
    assert not records and problems[0].line == 2


def test_deeply_nested_latex_commands_stay_linear_and_plain():
    depth = 20_000
    value = "\\emph{" * depth + "x" + "}" * depth
    assert latex_to_text(value) == "x"
    assert latex_to_text("{" * depth + "y" + "}" * depth) == "y"


def test_xml_entity_expansion_is_refused_by_the_parser():
    entities = "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )  # 10**9 "lol"s
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY l0 "lol">{entities}]>'
        "<xml><records><record><titles><title>&l9;</title></titles></record></records></xml>"
    )
    records, problems = parse_endnote_xml(xml, "laughs.xml")
    assert not records and "amplification" in problems[0].message


def test_an_external_entity_is_not_read():
    xml = (
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
        "<xml><records><record><titles><title>&e;</title></titles></record></records></xml>"
    )
    records, problems = parse_endnote_xml(xml, "xxe.xml")
    assert not records and "undefined entity" in problems[0].message


@pytest.mark.parametrize("suffix", [".ris", ".csv"])
def test_a_bom_followed_by_latin1_bytes_falls_back_and_says_so(tmp_path, suffix):
    path = tmp_path / f"export{suffix}"
    body = (
        "TY  - JOUR\nTI  - Müller trial\nER  - \n"
        if suffix == ".ris"
        else "Title,Year\nMüller trial,2020\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("latin-1"))
    result = read_records(path)
    assert [r.title for r in result.records] == ["Müller trial"]
    assert result.encoding == "latin-1"
    assert result.notes and "utf-8 byte-order mark" in result.notes[0]
    assert "read as latin-1" in result.to_dict()["notes"][0]


def test_import_cli_prints_the_encoding_note(tmp_path):
    path = tmp_path / "bom.ris"
    path.write_bytes(b"\xef\xbb\xbfTY  - JOUR\nTI  - M\xfcller\nER  - \n")
    out = run("import", str(tmp_path / "p.mrproj"), str(path)).stdout
    assert "1 records" in out and "note: starts with a utf-8 byte-order mark" in out


def test_an_empty_csv_is_an_empty_import(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = read_records(path)
    assert not result.records and str(result.errors[0]) == "the file is empty"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notgzip.ris.gz", b"TY  - JOUR\nTI  - x\nER  - \n", "not a gzip file"),
        (
            "cut.ris.gz",
            gzip.compress(b"TY  - JOUR\nTI  - x\nER  - \n" * 50, mtime=0)[:40],
            "truncated",
        ),
        ("cut.csv.gz", gzip.compress(b"Title\nx\n" * 50, mtime=0)[:30], "truncated"),
    ],
    ids=["not-gzip", "cut-ris", "cut-csv"],
)
def test_broken_gzip_is_one_line_and_exit_2(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RecordsError, match=message):
        read_records(path)
    result = run("import", str(tmp_path / "p.mrproj"), str(path), check=False)
    assert result.returncode == 2, result.stderr  # not "aborted", exit 130
    assert result.stderr.count("\n") == 1 and message in result.stderr


def test_an_xlsx_zip_bomb_is_refused_before_it_is_inflated(tmp_path, monkeypatch):
    from metareview.records.importers import tabular

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * 20_000_000)  # ~20 KB on disk
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(tabular, "MAX_EXPORT_BYTES", 10_000_000)  # (1 GiB in use)
    with pytest.raises(RecordsError, match="decompresses to 19 MiB, more than 9 MiB"):
        read_records(path)


def test_an_xlsx_that_is_not_a_zip_is_one_line(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"Title\nnot a workbook\n")
    result = run("import", str(tmp_path / "p.mrproj"), str(path), check=False)
    assert result.returncode == 2 and "cannot be read as a table" in result.stderr
