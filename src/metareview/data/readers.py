"""Readers for extraction tables: CSV/TSV (any common delimiter and encoding), XLSX, Parquet.

A reader returns a :class:`RawTable`: the header, the cells as found, and the row number a
spreadsheet would show for each data row (header = row 1). Anything unreadable raises a
:class:`~metareview.errors.DataError` that names the file.

>>> import io
>>> raw = read_csv_bytes(b"study;yi;vi\\nA;0,5;0.1\\n", "x.csv")
>>> raw.header, raw.rows, raw.row_numbers
(['study', 'yi', 'vi'], [['A', '0,5', '0.1']], [2])
"""

from __future__ import annotations

import codecs
import csv
import io
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from metareview.errors import DataError, Problem

CSV_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
_DELIMITERS = (",", ";", "\t", "|")
# An extraction table of a million rows is some 100 MB as text; 512 MiB of table (as text, as
# the XML inside an .xlsx, or as Parquet's uncompressed pages) keeps memory bounded, so a small
# compressed file that unpacks into gigabytes is refused before it is read.
MAX_TABLE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class RawTable:
    """Cells as read, before validation. Cells are ``str``, numbers (XLSX/Parquet) or ``None``."""

    source: str
    header: list[str]
    rows: list[list[object]]
    row_numbers: list[int]

    def column(self, position: int) -> list[object]:
        """The cells of one column, top to bottom."""
        return [row[position] for row in self.rows]


@dataclass(frozen=True)
class ParsedColumns:
    """A plain CSV read column by column by :func:`read_csv_parsed`.

    Each column is a list of text cells as written or, for the columns asked for as numbers, a
    float array in which NaN marks a missing value. Row ``i`` is spreadsheet row ``i + 2``.
    """

    source: str
    header: list[str]
    columns: list[list[object] | np.ndarray]
    row_numbers: Sequence[int]

    def column(self, position: int) -> list[object] | np.ndarray:
        """The cells of one column, top to bottom."""
        return self.columns[position]


def read_raw(path: str | Path, sheet: str | None = None) -> RawTable:
    """Read a CSV/TSV, XLSX or Parquet file by its extension."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise DataError(Problem.of_file(name, "an existing, readable file"))
    suffix = path.suffix.lower()
    if sheet is not None and suffix not in XLSX_SUFFIXES:
        raise DataError(Problem(name, None, None, sheet, "no sheet name: only .xlsx has sheets"))
    if suffix in CSV_SUFFIXES:
        _check_size(name, path.stat().st_size, "bytes")
        return read_csv_bytes(path.read_bytes(), name)
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path, sheet)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path)
    if suffix == ".xls":
        raise DataError(Problem.of_file(name, "an .xlsx file (save the .xls as .xlsx)"))
    raise DataError(
        Problem(name, None, None, suffix or None, "a .csv, .tsv, .txt, .xlsx or .parquet file")
    )


def _check_size(source: str, size: int, what: str) -> None:
    if size > MAX_TABLE_BYTES:
        raise DataError(
            Problem(source, None, None, f"{size:,} {what}", f"at most {MAX_TABLE_BYTES:,} {what}")
        )


def _decode(data: bytes, source: str) -> str:
    if b"\x00" in data:
        raise DataError(Problem.of_file(source, "a text table (the file has NUL bytes)"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # a UTF-8 BOM before Latin-1 text (a file edited by two programs) is still a BOM,
        # not the three letters "ï»¿" at the start of the first column's name
        return data.removeprefix(codecs.BOM_UTF8).decode("latin-1")


def _sniff_delimiter(text: str) -> str:
    """The delimiter giving the most columns, consistently, over the first lines."""
    lines = text[:65536].splitlines()  # enough for 20 lines unless they are very long
    if len(lines) <= 21:
        lines = text.splitlines()
    lines = [line for line in lines[:20] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        consistent = sum(count == counts[0] for count in counts)
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_csv_bytes(data: bytes, source: str) -> RawTable:
    """Parse delimited text (UTF-8 with or without BOM, else Latin-1; , ; tab or | delimited)."""
    text = _decode(data, source)
    if not text.strip():
        raise DataError(Problem.of_file(source, "a header row and data rows (empty file)"))
    delimiter = _sniff_delimiter(text)
    # the text is in memory already: a cell may be as long as it (the csv module's default
    # limit of 131,072 characters hid the real problem behind "field larger than field limit")
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    records: list[list[str]] = []
    try:
        records = list(reader)
    except csv.Error as err:
        raise DataError(
            Problem(source, reader.line_num, None, None, f"well-formed delimited text ({err})")
        ) from err
    # Row numbers as a spreadsheet shows them: record i (0-based) is row i + 1.
    numbered = [(index + 1, record) for index, record in enumerate(records)]
    numbered = [(row, record) for row, record in numbered if any(cell.strip() for cell in record)]
    if not numbered:
        raise DataError(Problem.of_file(source, "a header row and data rows (empty file)"))
    header_row, header = numbered[0]
    header = [cell.strip() for cell in header]
    problems = []
    rows, row_numbers = [], []
    for row, record in numbered[1:]:
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
            problems.append(
                Problem(
                    source,
                    row,
                    None,
                    f"{len(record)} fields",
                    f"{len(header)} fields as in the header (row {header_row})",
                )
            )
            continue
        record = record[: len(header)] + [""] * (len(header) - len(record))
        rows.append([cell.strip() for cell in record])
        row_numbers.append(row)
    if problems:
        raise DataError(problems[:50], total=len(problems))
    return RawTable(source, header, rows, row_numbers)


# The missing-value markers of metareview.data.table in the spellings pandas is told to read as
# missing in number columns (every one is missing there too, whatever its case).
_NUMBER_MISSING = ["", "NA", "na", "N/A", "n/a", "NaN", "nan", "#N/A", "#n/a", "NULL", "null"]
_NUMBER_MISSING += ["None", "none"]


def read_csv_parsed(path: str | Path, is_number: Callable[[str], bool]) -> ParsedColumns | None:
    """Read a plain CSV file with pandas' C parser, the columns whose header ``is_number``
    names parsed as numbers on the way: a quick first attempt before :func:`read_raw`.

    ``None`` when the file is not plain: not a readable .csv/.tsv/.txt, a first record that is
    not a header of distinct, non-blank names, a row with more fields than the header,
    unbalanced quotes, or a number column with a cell that is not a finite number or a missing
    marker. :func:`read_raw` reads such a file cell by cell and names each problem.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("study,yi\\nA,0.5\\nB,NA\\n")
    >>> read_csv_parsed(path, lambda name: name == "yi").columns
    [['A', 'B'], array([0.5, nan])]
    >>> _ = path.write_text("study,yi\\nA,0;5\\n")
    >>> read_csv_parsed(path, lambda name: name == "yi") is None
    True
    """
    path = Path(path)
    if path.suffix.lower() not in CSV_SUFFIXES or not path.is_file():
        return None
    data = path.read_bytes()
    if b"\x00" in data or not data.strip():
        return None
    text = _decode(data, str(path))
    delimiter = _sniff_delimiter(text)
    try:
        first = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return None
    header = [cell.strip() for cell in first]
    if not header or not all(header) or len(set(header)) < len(header):
        return None
    names = [str(position) for position in range(len(header))]
    numbers = {key for key, name in zip(names, header) if is_number(name)}
    # pandas 3 reads floats exactly as Python does by default and deprecates the option
    exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. fields beyond the header: not plain
            frame = pd.read_csv(
                io.StringIO(text, newline=""),
                sep=delimiter,
                header=0,
                names=names,
                index_col=False,
                dtype={key: object for key in names if key not in numbers},
                keep_default_na=False,
                na_values={key: _NUMBER_MISSING for key in numbers},
                skip_blank_lines=False,
                engine="c",
                **exact,
            )
    except (ValueError, Warning):  # pandas' ParserError is a ValueError
        return None
    columns: list[list[object] | np.ndarray] = []
    for key in names:
        if key in numbers:
            if frame[key].dtype.kind not in "if":
                return None
            values = frame[key].to_numpy(dtype=float)
            if np.isinf(values).any():
                return None
            columns.append(values)
        else:  # a row shorter than the header reads NaN in the cells it lacks
            columns.append(frame[key].fillna("").tolist())
    return ParsedColumns(str(path), header, columns, range(2, len(frame) + 2))


def _read_xlsx(path: Path, sheet: str | None) -> RawTable:
    from openpyxl import load_workbook

    source = str(path)
    try:
        with zipfile.ZipFile(path) as archive:  # members as declared: reads stop at that size
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as err:
        raise DataError(Problem.of_file(source, f"a valid .xlsx workbook ({err})")) from None
    _check_size(source, unpacked, "bytes unpacked")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for a broken file
        raise DataError(Problem.of_file(source, f"a valid .xlsx workbook ({err})")) from err
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            sheets = ", ".join(workbook.sheetnames)
            raise DataError(Problem(source, None, None, sheet, f"one of the sheets {sheets}"))
        numbered = [
            (index, list(values))
            for index, values in enumerate(worksheet.iter_rows(values_only=True), start=1)
            if any(value is not None and str(value).strip() for value in values)
        ]
    finally:
        workbook.close()
    if not numbered:
        raise DataError(Problem.of_file(source, "a header row and data rows (empty sheet)"))
    _, header_cells = numbered[0]
    header = ["" if cell is None else str(cell).strip() for cell in header_cells]
    rows = [
        [_xlsx_cell(cell) for cell in (values + [None] * len(header))[: len(header)]]
        for _, values in numbered[1:]
    ]
    return RawTable(source, header, rows, [row for row, _ in numbered[1:]])


def _xlsx_cell(cell: object) -> object:
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, bool):
        return str(cell).upper()
    return cell


def _read_parquet(path: Path) -> RawTable:
    import pyarrow.parquet as pq

    source = str(path)
    try:
        metadata = pq.ParquetFile(path).metadata
        groups = [metadata.row_group(index) for index in range(metadata.num_row_groups)]
    except Exception as err:  # pyarrow raises several kinds for a broken file
        raise DataError(Problem.of_file(source, f"a valid Parquet file ({err})")) from err
    _check_size(source, sum(group.total_byte_size for group in groups), "bytes unpacked")
    try:
        frame = pq.read_table(path).to_pandas()
    except Exception as err:  # pyarrow raises several kinds for a broken file
        raise DataError(Problem.of_file(source, f"a valid Parquet file ({err})")) from err
    return raw_from_frame(frame, source)


def raw_from_frame(frame, source: str = "<table>") -> RawTable:
    """Wrap a pandas DataFrame; rows are numbered as if the frame were a spreadsheet."""
    header = [str(column).strip() for column in frame.columns]
    rows = [[_frame_cell(value) for value in record] for record in frame.itertuples(index=False)]
    return RawTable(source, header, rows, list(range(2, len(rows) + 2)))


def _frame_cell(value: object) -> object:
    try:
        import pandas as pd

        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
    except (TypeError, ValueError):
        pass
    return value.strip() if isinstance(value, str) else value
