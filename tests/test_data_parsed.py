"""The quick CSV read (pandas' C parser) gives exactly what the cell-by-cell read gives."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metareview.data.readers import read_csv_parsed, read_raw
from metareview.data.table import load_table, validate_raw
from metareview.errors import DataError

SAME = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome(action):
    """A loaded table's contents, or the text of its error."""
    try:
        table = action()
    except DataError as err:
        return ("error", str(err))
    frame = table.frame
    return (
        "table",
        list(frame.columns),
        [str(dtype) for dtype in frame.dtypes],
        frame.index.tolist(),
        {name: frame[name].tolist() for name in frame.columns},
        table.data_group,
        table.moderators,
        table.incomplete,
        table.source,
    )


def _same_as_cell_by_cell(text: str, columns=None, drop_incomplete=False) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        path.write_text(text, encoding="utf-8")
        quick = _outcome(lambda: load_table(path, columns, drop_incomplete=drop_incomplete))
        mapping = dict(item.split("=", 1) for item in columns or [])
        exact = _outcome(
            lambda: validate_raw(read_raw(path), mapping, drop_incomplete=drop_incomplete)
        )
    assert repr(quick) == repr(exact)  # repr: NaN equals NaN


HEADERS = ["study", "Study", "yi", "vi", "sei", "n_arm1", "event_arm1", "totaln_arm1", "year"]
CELLS = st.one_of(
    st.sampled_from(["", "NA", "na", "None", " ", "0", "-1", "3", " 4 ", "0,5", "1e309", "inf"]),
    st.sampled_from(["nan", "-nan", "1_0", "True", "0x1", '"2"', '"a,b"', "A", "A ", "+.5"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(alphabet=string.printable, max_size=5),
)


@SAME
@given(
    st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6),
    st.lists(st.lists(CELLS, min_size=0, max_size=7), min_size=1, max_size=8),
    st.sampled_from([",", ";", "\t"]),
    st.booleans(),
)
def test_random_tables_read_as_cell_by_cell(header, rows, delimiter, drop_incomplete):
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    _same_as_cell_by_cell("\n".join(lines) + "\n", drop_incomplete=drop_incomplete)


@SAME
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C", "D", "Smith, 2019"]),
            st.one_of(st.floats(-5, 5).map(repr), st.sampled_from(["", "NA", "0,2"])),
            st.one_of(st.floats(0.001, 2).map(repr), st.sampled_from(["", "0", "-0.1"])),
            st.sampled_from(["yes", "no", "", "NA"]),
        ),
        min_size=1,
        max_size=10,
    ),
    st.booleans(),
)
def test_mapped_valid_looking_tables_read_as_cell_by_cell(rows, drop_incomplete):
    lines = ["Author,TE,V,blinded"] + [f'"{a}",{b},{c},{d}' for a, b, c, d in rows]
    _same_as_cell_by_cell(
        "\n".join(lines) + "\n", ["study=Author", "yi=TE", "vi=V"], drop_incomplete
    )


@pytest.mark.parametrize(
    "text",
    [
        "study,yi,vi\nA,0.5,0.1\n\nB,0.2,0.3\n",  # a blank line in between
        "study,yi,vi\nA,0.5,0.1\nB,0.2,0.3\n\n\n",  # blank lines at the end
        "\nstudy,yi,vi\nA,0.5,0.1\n",  # a blank line before the header
        'study,yi,vi\n"A\nB",0.5,0.1\nC,0.2,0.3\n',  # a line break inside a quoted label
        "study,yi,vi\r\nA,0.5,0.1\r\nB,0.2,0.3",  # CRLF, no final line break
        "study,yi,vi\nA,0.5\nB,0.2,0.3\n",  # a short row
        "study,yi,vi\nA,0.5,0.1,\nB,0.2,0.3\n",  # an empty field beyond the header
        "study,yi,vi\nA,0.5,0.1,x\nB,0.2,0.3\n",  # a filled field beyond the header
        'study,yi,vi\n"A,0.5,0.1\nB,0.2,0.3\n',  # an unclosed quote
        "study,yi,vi\nA,0.5,0.1\nA,0.5,0.1\n",  # a duplicate row
        "study,yi,vi\nA,0.5,NA\nB,0.5,nan\nA,0.5,\n",  # alike in numbers; rows 2 and 4 duplicates
        "study,yi,vi\nA,0.5,-0.1\nB,0.2,0\n",  # below the minimum
        "study,yi,yi\nA,0.5,0.1\n",  # a repeated header
        "study,,vi\nA,0.5,0.1\n",  # a blank header
        "study,yi,vi\nA,True,0.1\nB,False,0.3\n",  # booleans where numbers belong
        "study,yi,vi\nA,inf,0.1\nB,1e400,0.3\n",  # infinities
        "study,yi,vi\nA,99999999999999999999,0.1\n",  # an integer beyond 64 bits
        "\ufeffstudy;yi;vi\nA;0,5;0,1\nB;0.2;0.3\n",  # BOM, semicolons, decimal commas
        "study,event_arm1,totaln_arm1,event_arm2,totaln_arm2\nA,5,4,1,9\n",  # events > total
    ],
)
def test_awkward_files_read_as_cell_by_cell(text):
    _same_as_cell_by_cell(text)


def test_a_plain_table_is_parsed_by_pandas_with_python_floats():
    """Hard-to-round decimals read as Python's float() reads them (the quick read is used)."""
    numbers = ["0.00000000000001953", "2.2250738585072011e-308", "4.9e-324", "1e308"]
    numbers += ["0.1000000000000000055511151231257827", "9007199254740993", "123456789.123456789"]
    numbers += [repr(float(x)) for x in np.random.default_rng(3).normal(0, 1e3, 500)]
    text = "study,yi,vi\n" + "".join(f"s{i},{x},1\n" for i, x in enumerate(numbers))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        path.write_text(text)
        parsed = read_csv_parsed(path, lambda name: name in ("yi", "vi"))
        table = load_table(path)
    assert parsed is not None
    assert parsed.columns[1].tolist() == [float(x) for x in numbers]
    assert table.frame["yi"].tolist() == [float(x) for x in numbers]
