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
