"""Checking as you type gives, beside each field, the message ``metareview validate`` prints for
the same value in a table (the text after the file, row and column)."""

from __future__ import annotations

import io
from contextlib import redirect_stderr

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metareview.cli import main
from metareview.data.field_check import check_cell, check_cells, check_row
from metareview.data.form import Cell, CustomField, Form, RowKey

ROW = RowKey(1, 2, "hope", "post")


def _validate(tmp_path, header: str, row: str) -> str:
    """The line ``metareview validate`` prints for a table with one row."""
    path = tmp_path / "t.csv"
    path.write_text(f"study,{header}\nA,{row}\n", encoding="utf-8")
    err = io.StringIO()
    with redirect_stderr(err), pytest.raises(SystemExit) as done:
        main(["validate", str(path)])
    assert done.value.code == 2
    return err.getvalue().strip()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("sd_arm1", "-2.1"),
        ("n_arm1", "1"),
        ("totaln_arm2", "0"),
        ("vi", "0"),
        ("mean_arm1", "abc"),
        ("mean_arm1", "inf"),
        ("ratio_measure", "XX"),
        ("ci_level", "95"),
        ("time_weeks", "-1"),
    ],
)
def test_a_cell_gets_the_message_validate_prints(tmp_path, column, value):
    header, row = (
        ("yi,vi", f"0.1,{value}") if column == "vi" else (f"yi,vi,{column}", f"0.1,0.01,{value}")
    )
    line = _validate(tmp_path, header, row)
    check = check_cell(Form.standard(), Cell(column, row=ROW), value)
    assert not check.ok and check.value is None
    assert line.endswith(f"column '{column}': {check.message}"), line


def test_rows_get_the_messages_across_columns(tmp_path):
    line = _validate(tmp_path, "event_arm1,totaln_arm1,event_arm2,totaln_arm2", "30,20,5,20")
    check = check_row(Form.standard(), {"event_arm1": "30", "totaln_arm1": 20, "event_arm2": 5})
    assert line.endswith(f"column 'event_arm1': {check.messages['event_arm1']}")
    assert check.incomplete is None  # said once the values themselves are right
    check = check_row(Form.standard(), {"event_arm1": "3", "totaln_arm1": 20, "event_arm2": 5})
    assert (
        check.ok
        and check.incomplete
        == "no complete data group: 'events' has event_arm1, event_arm2, totaln_arm1 but lacks totaln_arm2"
    )
    line = _validate(tmp_path, "yi,yi_ci_lower,yi_ci_upper", "0.1,0.3,0.5")
    check = check_row(Form.standard(), {"yi": 0.1, "yi_ci_lower": 0.3, "yi_ci_upper": 0.5})
    assert line.endswith(f"column 'yi_ci_lower': {check.messages['yi_ci_lower']}")
    assert check_row(Form.standard(), {"yi": 0.1, "vi": 0.01, "moderator": "x"}).to_dict() == {
        "messages": {},
        "incomplete": None,
    }


def test_checks_made_before_effects_are_computed():
    """An ICC or p value above 1 and the direction codes: checked where ``run`` checks them."""
    form = Form.standard()
    assert (
        check_cell(form, Cell("icc"), "1.5").message == "got '1.5', expected an ICC between 0 and 1"
    )
    assert (
        check_cell(form, Cell("p_value", row=ROW), 1.2).message
        == "got '1.2', expected a p value <= 1"
    )
    assert check_cell(form, Cell("higher_arm", row=ROW), "arm3").message == (
        "got 'arm3', expected 'arm1' or 'arm2'"
    )
    assert check_cell(form, Cell("higher_is_better", row=ROW), "maybe").message == (
        "got 'maybe', expected 'yes' or 'no'"
    )
    assert check_cell(form, Cell("higher_is_better", row=ROW), "TRUE").value == "yes"


def test_review_specific_and_arm_fields():
    form = Form.standard().with_field(CustomField("year", "study", "number"))
    form = form.with_field(CustomField("format", "row", "choice", choices=("group", "online")))
    checks = check_cells(
        form,
        {
            Cell("year"): "20x9",
            Cell("format", row=ROW): "ONLINE",
            Cell("n_randomised", arm=1): 0,
            Cell("label", arm=2): " CBT group ",
            Cell("country"): "",
        },
    )
    assert [(c.value, c.message) for c in checks.values()] == [
        (None, "got '20x9', expected a number"),
        ("online", None),
        (None, "got '0', expected a number >= 1"),
        ("CBT group", None),
        (None, None),
    ]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["sd_arm1", "n_arm1", "mean_arm1", "event_arm1"]),
            st.one_of(st.floats(-5, 50, allow_nan=False), st.text(max_size=4)),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_many_cells_are_checked_as_one_at_a_time(entries):
    """Checking many cells at once (also past the 50 problems a table lists) equals checking
    each alone."""
    form = Form.standard()
    cells = {
        Cell(column, row=RowKey(1, 2, f"o{i}", "post")): v for i, (column, v) in enumerate(entries)
    }
    together = check_cells(form, cells)
    for cell, value in cells.items():
        assert together[cell] == check_cell(form, cell, value)


def test_parsed_values_are_what_load_table_reads():
    check = check_cell(Form.standard(), Cell("sd_arm1", row=ROW), "4,25")  # a decimal comma
    assert check.value == 4.25 and check.ok
    assert check_cell(Form.standard(), Cell("ratio_measure", row=ROW), " OR ").value == "OR"
    with pytest.raises(ValueError, match="no row-level field 'sd_am1'"):
        check_cell(Form.standard(), Cell("sd_am1", row=ROW), 1)
