"""The extraction-table readers on awkward and hostile files: a UTF-8 BOM before Latin-1 text,
and files that unpack to more than the reader's memory bound (XLSX and Parquet)."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

from metareview.data import readers
from metareview.data.readers import read_raw
from metareview.errors import DataError


def test_a_bom_before_latin1_text_is_a_bom_not_part_of_the_first_name(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"\xef\xbb\xbfstudy,yi,vi\nM\xfcller 2019,0.5,0.1\n")
    raw = read_raw(path)
    assert raw.header == ["study", "yi", "vi"]
    assert raw.rows == [["Müller 2019", "0.5", "0.1"]]


def test_an_xlsx_that_unpacks_beyond_the_bound_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "bomb.xlsx"
    frame = pd.DataFrame({"study": [f"S{i}" for i in range(200)], "yi": 0.1, "vi": 0.01})
    frame.to_excel(path, index=False)
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    assert read_raw(path).header == ["study", "yi", "vi"]  # within the bound: read
    monkeypatch.setattr(readers, "MAX_TABLE_BYTES", unpacked - 1)
    with pytest.raises(DataError) as caught:
        read_raw(path)
    message = str(caught.value)
    assert "bomb.xlsx" in message and f"{unpacked:,} bytes unpacked" in message
    assert f"at most {unpacked - 1:,} bytes unpacked" in message


def test_a_parquet_file_beyond_the_bound_is_refused_by_its_metadata(tmp_path, monkeypatch):
    path = tmp_path / "big.parquet"
    pd.DataFrame({"study": ["A", "B"], "yi": [0.1, 0.2], "vi": [0.01, 0.02]}).to_parquet(path)
    assert read_raw(path).rows[0][0] == "A"
    monkeypatch.setattr(readers, "MAX_TABLE_BYTES", 1)
    with pytest.raises(DataError, match=r"big.parquet: got .* bytes unpacked"):
        read_raw(path)


def test_a_csv_beyond_the_bound_is_refused_by_its_size(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_text("study,yi,vi\nA,0.1,0.01\n")
    monkeypatch.setattr(readers, "MAX_TABLE_BYTES", 10)
    with pytest.raises(DataError, match=r"big.csv: got .23 bytes., expected at most 10 bytes"):
        read_raw(path)
