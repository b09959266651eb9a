"""Issue 14, item 10: extreme values. Every input to pool() and pool_many() ends in a result
whose numbers are all finite, or in a ValueError that says which study and what was expected;
in a table it is a located DataError. NaN never passes silently."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metareview.data.effects import compute_effects
from metareview.data.table import load_table
from metareview.errors import DataError
from metareview.stats.batch import pool_many
from metareview.stats.pooling import pool
from metareview.stats.tau2 import EFFECT_LIMIT, VARIANCE_LIMITS

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# every finite double, with the extremes and subnormals drawn often
EXTREME = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e300, -1e300, 1e-300, 5e-324, 1.7976931348623157e308, 1e50, 1e-50, 0.0]),
)
POSITIVE = st.one_of(
    st.floats(min_value=5e-324, allow_nan=False, allow_infinity=False),
    st.sampled_from([1e-300, 5e-324, 1e300, 1e-50, 1e50, 1.7976931348623157e308]),
)
STUDIES = st.lists(st.tuples(EXTREME, POSITIVE), min_size=1, max_size=6)
METHODS = st.sampled_from(["REML", "DL", "PM", "ML", "SJ", "HE", "EB", "HS", "FE"])
TESTS = st.sampled_from(["z", "knha", "adhoc"])


def _finite_result(res) -> None:
    numbers = [
        res.fixed.estimate, res.fixed.se, res.fixed.ci_lower, res.fixed.ci_upper,
        res.fixed.pvalue, res.random.estimate, res.random.se, res.random.ci_lower,
        res.random.ci_upper, res.random.pvalue, res.tau2, res.i2, res.h2, res.q, *res.weights,
    ]  # fmt: skip
    for interval in (res.tau2_ci, res.i2_ci, res.h2_ci):
        numbers += [] if interval is None else list(interval)
    if res.random.pi_lower is not None:
        numbers += [res.random.pi_lower, res.random.pi_upper]
    assert all(math.isfinite(x) for x in numbers), res.to_dict()
    assert res.tau2 >= 0 and res.random.se > 0


@FUZZ
@given(STUDIES, METHODS, TESTS)
def test_pool_gives_finite_numbers_or_a_value_error(studies, method, test):
    yi, vi = zip(*studies)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no numpy overflow or 0/0 on the way
        try:
            res = pool(yi, vi, method=method, ci_method=test)
        except ValueError as err:
            assert "study" in str(err) or "vi" in str(err), err
            return
    _finite_result(res)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from("ab"), EXTREME, POSITIVE), min_size=1, max_size=8),
       METHODS, TESTS)  # fmt: skip
def test_pool_many_gives_finite_numbers_or_a_value_error(rows, method, test):
    table = pd.DataFrame(rows, columns=["review", "yi", "vi"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            out = pool_many(table, by="review", method=method, test=test)
        except ValueError as err:
            assert "row" in str(err) or "review" in str(err), err
            return
    for column in ("estimate", "se", "ci_lower", "ci_upper", "pvalue", "tau2", "i2", "q"):
        assert np.isfinite(out[column].to_numpy(dtype=float)).all(), (column, out)


@pytest.mark.parametrize(
    ("yi", "vi", "message"),
    [
        ([0.1, 0.2, 0.3], [1e-300, 0.01, 0.02], "study 1 has vi = 1e-300"),
        ([1e300, 0.2, 0.3], [0.01, 0.01, 0.02], "study 1 has yi = 1e+300"),
        ([0.1, 0.2], [0.01, 1e300], "study 2 has vi = 1e+300"),
    ],
)
def test_extreme_values_are_refused_naming_the_study(yi, vi, message):
    """vi = 1e-300 gave a ZeroDivisionError and yi = 1e300 an OverflowError."""
    with pytest.raises(ValueError, match=re.escape(message)):
        pool(yi, vi)
    with pytest.raises(ValueError, match="row"):
        pool_many(pd.DataFrame({"g": ["a"] * len(yi), "yi": yi, "vi": vi}), by="g")


def test_limits_are_documented_numbers():
    assert EFFECT_LIMIT == 1e50 and VARIANCE_LIMITS == (1e-50, 1e50)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [("vi", "1e-300", "vi"), ("yi", "1e300", "yi"), ("sei", "1e-200", "sei")],
)
def test_a_table_with_extreme_values_is_a_located_data_error(tmp_path, column, value, expected):
    other = {"yi": "0.2", "vi": "0.01", "sei": "0.1"}
    spread = "sei" if column == "sei" else "vi"
    header = f"study,yi,{spread}\n"
    cells = {**other, column: value}
    path = tmp_path / "t.csv"
    path.write_text(header + f"A,{cells['yi']},{cells[spread]}\nB,0.3,{other[spread]}\n")
    with pytest.raises(DataError) as raised:
        compute_effects(load_table(path))
    problem = raised.value.problems[0]
    assert problem.row == 2 and expected in (problem.column or "") + (problem.value or "")


def test_an_infinite_variance_in_a_parquet_table_is_invalid(tmp_path):
    """Cells read as numbers (Parquet, XLSX) skipped the finiteness check: validate called a
    table with vi = inf valid."""
    path = tmp_path / "t.parquet"
    pd.DataFrame({"study": ["A", "B"], "yi": [0.1, 0.2], "vi": [math.inf, 0.01]}).to_parquet(path)
    with pytest.raises(DataError, match=r"row 2, column 'vi': got 'inf'"):
        load_table(path)
