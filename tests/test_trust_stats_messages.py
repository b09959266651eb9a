"""Issue 14, item 12 (data messages): a problem repeated in many rows is printed once with the
rows and the likely remedy; a table with vi = inf is invalid (tests/test_trust_stats_extremes.py)."""

from __future__ import annotations

from tests.test_cli_basics import run_cli


def test_validate_depression_without_a_mapping_prints_one_line_with_the_mapping(shared_data):
    """metapsy's depression.csv has g and SE: 411 identical lines became one, with the count,
    the rows and the --col mapping that fixes it."""
    result = run_cli("validate", str(shared_data / "metapsy" / "depression.csv"))
    assert result.returncode == 2
    assert result.stdout.count("expected effect data") == 1
    assert "in 411 rows (rows 2-412)" in result.stdout
    assert "--col precalc_g=g --col precalc_g_se=SE" in result.stdout
    fixed = run_cli(
        "validate",
        str(shared_data / "metapsy" / "depression.csv"),
        "--col",
        "precalc_g=g",
        "--col",
        "precalc_g_se=SE",
    )
    assert fixed.returncode == 0, fixed.stderr


def test_rows_lacking_effect_data_beside_complete_ones_suggest_drop_incomplete(tmp_path):
    rows = "".join(f"S{i},0.{i},0.01\n" for i in range(1, 4)) + "".join(
        f"T{i},,\n" for i in range(1, 5)
    )
    data = tmp_path / "t.csv"
    data.write_text("study,yi,vi\n" + rows)
    result = run_cli("validate", str(data))
    assert result.returncode == 2
    assert "in 4 rows (rows 5-8)" in result.stdout
    assert "--drop-incomplete" in result.stdout


def test_a_cell_over_the_csv_field_limit_shows_the_real_problem_truncated(tmp_path):
    """A 200 KB cell hid the real error behind "field larger than field limit" and, once read,
    was echoed whole."""
    data = tmp_path / "t.csv"
    data.write_text("study,yi,vi\nA,0.1," + "x" * 200_000 + "\nB,0.2,0.01\n")
    result = run_cli("validate", str(data))
    assert result.returncode == 2
    assert "field limit" not in result.stdout + result.stderr
    assert "row 2, column 'vi'" in result.stderr and "(200,000 characters)" in result.stderr
    assert len(result.stdout) + len(result.stderr) < 2000


def test_runtime_warnings_do_not_print_above_the_one_line_error(monkeypatch, capsys):
    """numpy RuntimeWarnings, with a line of source code, appeared above the one-line error."""
    import warnings

    import pytest

    import metareview.cli as cli_module
    from metareview.errors import DataError

    def failing(argv):
        warnings.warn("overflow encountered in divide", RuntimeWarning, stacklevel=1)
        warnings.warn("a user warning", UserWarning, stacklevel=1)
        raise DataError("a number")

    monkeypatch.setattr(cli_module.cli, "main", lambda **kwargs: failing(kwargs))
    with pytest.raises(SystemExit) as done:
        cli_module.main(["validate", "x.csv"])
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert "overflow" not in err and "warnings.warn" not in err
    assert err.splitlines() == [
        "metareview: warning: a user warning",
        "metareview: error: <table>: expected a number",
    ]
