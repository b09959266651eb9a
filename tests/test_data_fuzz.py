"""Readers and validation under random input: a valid table or a DataError, nothing else."""

from __future__ import annotations

import string

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metareview.data.readers import read_csv_bytes
from metareview.data.table import load_table, validate_raw
from metareview.errors import DataError

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _valid_or_data_error(action) -> None:
    try:
        table = action()
    except DataError as err:
        assert err.problems and str(err)
    else:
        assert table.n_rows >= 1 and len(table.data_group) == table.n_rows


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(data):
    _valid_or_data_error(lambda: validate_raw(read_csv_bytes(data, "fuzz.csv"), {}))


HEADERS = [
    "study",
    "yi",
    "vi",
    "sei",
    "mean_arm1",
    "sd_arm1",
    "n_arm1",
    "event_arm1",
    "totaln_arm1",
    "precalc_g",
    "precalc_g_se",
    "format",
    "Study",
    "sd_am1",
    "",
]
CELLS = st.one_of(
    st.sampled_from(["", "NA", "0", "-1", "1e309", "nan", "inf", "0,5", "x", "2", " 3 ", '"q"']),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet=string.printable, max_size=6),
)


@FUZZ
@given(
    st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6),
    st.lists(st.lists(CELLS, min_size=0, max_size=7), max_size=6),
    st.sampled_from([",", ";", "\t"]),
)
def test_random_csv_shapes_and_cells(header, rows, delimiter):
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    data = "\n".join(lines).encode()
    _valid_or_data_error(lambda: validate_raw(read_csv_bytes(data, "fuzz.csv"), {}))


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(max_size=5)),
            st.one_of(
                st.none(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4)
            ),
            st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers()),
        ),
        max_size=6,
    )
)
def test_random_data_frames(rows):
    frame = pd.DataFrame(rows, columns=["study", "yi", "vi"])
    _valid_or_data_error(lambda: load_table(frame))
