"""Extraction round trip: the example review's table entered by two extractors, agreed, exported
as CSV and XLSX, and analysed, gives the numbers the original table gives (to 1e-12).

The example's 30 (simulated) trials are entered cell by cell from ``examples/peer-support/
extraction.csv``: arms from each row's conditions and multi-arm labels, study-level values
(country, ICC, cluster size and the lead's fields: year, population, risk of bias), and per
row its outcome × time point × instrument with its data group and settings. The second
extractor mistypes one mean; the consensus restores it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from metareview.data.form import Cell, CustomField, RowKey
from metareview.data.table import load_table
from metareview.plan.analysis import analysis_settings, analyze
from metareview.plan.plan import parse_plan
from metareview.plan.runner import run_plan
from metareview.store import Project
from metareview.store.extraction import (
    add_field,
    add_study,
    agree,
    compare,
    enter,
    studies,
    submit,
)
from metareview.store.extraction_export import write_agreed
from tests import stores
from tests.result_leaves import leaves

store_url = stores.store_url
EXAMPLE = Path(__file__).parents[1] / "examples" / "peer-support"
STUDY_FIELDS = {"year": "number", "population": "text"} | {
    f"rob_{d}": "text" for d in ("d1", "d2", "d3", "d4", "d5", "overall")
}
ROW_FIELDS = ("outcome_category", "format", "delivery", "intervention_type")
BUILT_IN_STUDY = ("country", "icc", "cluster_size")
ROW_STANDARD = (
    "outcome_type", "time_weeks", "rating", "higher_is_better", "mean_arm1", "sd_arm1", "n_arm1",
    "mean_arm2", "sd_arm2", "n_arm2", "mean_change_arm1", "sd_change_arm1", "n_change_arm1",
    "mean_change_arm2", "sd_change_arm2", "n_change_arm2", "event_arm1", "totaln_arm1",
    "event_arm2", "totaln_arm2", "precalc_g", "precalc_g_se",
)  # fmt: skip


def _cells(rows: pd.DataFrame) -> dict[Cell, Any]:
    """One study's cells, as an extractor types them from the trial's report."""
    first = rows.iloc[0]
    values: dict[Cell, Any] = {}
    for name in (*BUILT_IN_STUDY, *STUDY_FIELDS):
        values[Cell(name)] = first[name]
    arms: dict[tuple[Any, Any], int] = {}
    for _, row in rows.iterrows():
        numbers = []
        for side in ("1", "2"):
            arm = (row[f"condition_arm{side}"], row[f"multi_arm{side}"])
            number = arms.setdefault(arm, len(arms) + 1)
            values[Cell("condition", arm=number)] = arm[0]
            values[Cell("label", arm=number)] = arm[1]
            numbers.append(number)
        key = RowKey(*numbers, row["outcome"], row["time"], row["instrument"])
        for name in (*ROW_STANDARD, *ROW_FIELDS):
            value = row[name]
            if name == "higher_is_better" and value is not None:
                value = "yes" if value in (True, "TRUE") else "no"
            values[Cell(name, row=key)] = value
    return {cell: value for cell, value in values.items() if not _empty(value)}


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _entered(url: str) -> Project:
    project = Project.open(url)
    for key, kind in STUDY_FIELDS.items():
        add_field(project, CustomField(key, "study", kind), actor="lead")
    for key in ROW_FIELDS:
        add_field(project, CustomField(key, "row", "text"), actor="lead")
    original = pd.read_csv(EXAMPLE / "extraction.csv", dtype=object, keep_default_na=False)
    original = original.replace("", None)
    for label, rows in original.groupby("study", sort=False):
        study = add_study(project, label, actor="lead")
        cells = _cells(rows)
        enter(project, study.number, cells, extractor="ana")
        if study.number == 2:  # ben mistypes the first mean he enters
            cell = next(c for c in cells if c.field.startswith("mean"))
            cells = {**cells, cell: "99.5"}
        enter(project, study.number, cells, extractor="ben")
        for who in ("ana", "ben"):
            submit(project, study.number, extractor=who)
    return project


def _numbers(value: Any) -> dict[str, Any]:
    """Every leaf of a results dictionary by its path (file names and cache keys left out)."""
    return leaves(value, frozenset({"file", "cache_key", "data_file", "version"}))


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, float) and isinstance(y, float | int) and not isinstance(y, bool):
            assert (math.isnan(x) and math.isnan(y)) or abs(x - y) <= 1e-12 * max(1, abs(x)), key
        else:
            assert x == y, key


def test_export_then_run_gives_the_numbers_of_the_original_table(store_url, tmp_path):
    project = _entered(store_url)
    assert len(studies(project)) == 30
    [difference] = compare(project, 2).differences
    assert difference.cell.field.startswith("mean")
    assert difference.values["ben"] == 99.5
    agree(
        project,
        2,
        difference.cell,
        difference.values["ana"],
        actor="ana",
        agreed_by=["ana", "ben"],
        note="checked against table 2 of the report",
    )
    csv_table = write_agreed(project, tmp_path / "agreed.csv")
    xlsx_table = write_agreed(project, tmp_path / "agreed.xlsx")
    assert csv_table.left_out == {} and len(csv_table.frame) == 204
    assert xlsx_table.frame.equals(csv_table.frame)

    # the plan of the example (GOSH, permutation tests and the multiverse left out for time)
    text = (EXAMPLE / "plan.toml").read_text("utf-8")
    text = re.sub(
        r'sensitivity = \["leave_one_out".*?\]',
        'sensitivity = ["low_rob_only", "one_per_study_lowest", "outliers_removed"]',
        text,
        flags=re.S,
    )
    text = re.sub(
        r"metaregression = \[.*?\n\]",
        'metaregression = [{ moderators = ["year"] }]',
        text,
        flags=re.S,
    )
    text = re.sub(r"\[[\w.]*multiverse\]\n(?:[^\n]+\n)*", "", text)  # the multiverse too
    text = text.replace('counts = "prisma.csv"', f'counts = "{EXAMPLE / "prisma.csv"}"')
    runs = {}
    for name, data in (
        ("original", EXAMPLE / "extraction.csv"),
        ("export", tmp_path / "agreed.csv"),
    ):
        plan = parse_plan(
            text.replace('file = "extraction.csv"', f'file = "{data}"'), base_dir=tmp_path
        )
        runs[name] = run_plan(plan, jobs=1).to_dict()
    assert len(runs["original"]["analyses"]) > 10
    _same(_numbers(runs["original"]["analyses"]), _numbers(runs["export"]["analyses"]))
    _same(_numbers(runs["original"]["dropped"]), _numbers(runs["export"]["dropped"]))

    # the XLSX reads back as the CSV does, and analyses alike
    from_csv = load_table(tmp_path / "agreed.csv")
    from_xlsx = load_table(tmp_path / "agreed.xlsx")
    # (a moderator reads as text from CSV and as a number from XLSX, as for any table)
    pd.testing.assert_frame_equal(from_csv.frame.astype(str), from_xlsx.frame.astype(str))
    settings = analysis_settings(measure="SMD", preset="metapsy")
    post = from_xlsx.frame[(from_xlsx.frame["time"] == "post")]
    original = load_table(EXAMPLE / "extraction.csv").frame
    for frame_a, frame_b in ((post, original[original["time"] == "post"]),):
        a = analyze(frame_a[frame_a["outcome"] == "hope"].reset_index(drop=True), settings)
        b = analyze(frame_b[frame_b["outcome"] == "hope"].reset_index(drop=True), settings)
        assert a.pooled.k >= 5
        _same(_numbers(a.pooled.to_dict()), _numbers(b.pooled.to_dict()))
