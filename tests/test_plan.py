"""The analysis plan: parsing, schema errors naming key and line, expansion, row selection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metareview.errors import AnalysisError, PlanError
from metareview.plan.expand import expand_plan
from metareview.plan.plan import load_plan, parse_plan
from metareview.plan.schema import key_lines, plan_schema, validate
from metareview.plan.selection import filter_rows, in_window, one_per_study

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "peer-support" / "plan.toml"

MINIMAL = '[data]\nfile = "trials.csv"\n'


def error_of(text: str) -> str:
    with pytest.raises(PlanError) as caught:
        parse_plan(text)
    return str(caught.value)


def test_example_plan_parses_with_its_categories_windows_and_custom_analysis():
    plan = load_plan(EXAMPLE)
    assert [c.name for c in plan.categories] == [
        "Clinical recovery",
        "Personal recovery",
        "Functional recovery",
    ]
    assert [w.name for w in plan.windows] == ["Post-test", "6-9 months", "12-18 months"]
    assert plan.windows[1].weeks == (24, 39)
    stigma = plan.custom[0]
    assert stigma.settings.preset == "revman5" and stigma.settings.model == "fixed_if_low_i2"
    # category settings inherit the plan's defaults
    assert plan.categories[0].settings.preset == "metapsy"
    assert plan.data_file == EXAMPLE.parent / "extraction.csv"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            MINIMAL + "[settings]\nmodel = 'fixd'\n",
            "plan.toml, line 4, key 'settings.model': got 'fixd', expected one of random, fixed, fixed_if_low_i2",
        ),
        (
            MINIMAL + "[settings]\nlevel = 95\n",
            "line 4, key 'settings.level': got 95, expected a number < 1",
        ),
        (
            MINIMAL + "[setings]\npreset = 'meta'\n",
            "key 'setings': is not a known key (did you mean 'settings'?)",
        ),
        ("title = 'x'\n", "key 'data': is required but missing"),
        (
            MINIMAL + "[[category]]\nname = 'A'\n[[category]]\nname = 'B'\nvalues = {min = 'x'}\n",
            "line 7, key 'category[2].values.min': got 'x', expected a number",
        ),
        (
            MINIMAL + "[[time_window]]\nname = 'post'\n",
            "line 3, key 'time_window[1]': expected 'time'",
        ),
        (
            MINIMAL + "[[time_window]]\nname = 'fu'\nweeks = [40, 20]\n",
            "line 5, key 'time_window[1].weeks'",
        ),
        (MINIMAL + "[analyses]\nextras_windows = ['fu']\n", "key 'analyses': got window 'fu'"),
        (
            MINIMAL + "[analyses]\nsensitivity = ['jackknife']\n",
            "key 'analyses.sensitivity[1]': got 'jackknife'",
        ),
        (
            MINIMAL + "[[analysis]]\nname = 'S'\n",
            "key 'analysis[1].filter': is required but missing",
        ),
        (
            MINIMAL + "[[category]]\nname = 'A'\n[[category]]\nname = 'A'\n",
            "line 6, key 'category[2].name': got 'A', expected a name used once",
        ),
        (
            MINIMAL + "[min_k]\nsubgroup = 2.5\n",
            "key 'min_k.subgroup': got 2.5, expected a whole number",
        ),
        (
            MINIMAL + "[rob]\ndomains = ['d1', 'd2']\ndomain_names = ['Randomisation']\n",
            "line 5, key 'rob.domain_names': got 1 names, expected one per domain (2)",
        ),
        (
            MINIMAL + "[[rob.override]]\nstudy = 'A'\ndomain = 'D3'\nproposed = 'Low'\n"
            "judgement = 'High'\njustification = '  '\n",
            "line 8, key 'rob.override[1].justification': is empty, expected the written reason",
        ),
        (
            MINIMAL + "[[rob.override]]\nstudy = 'A'\ndomain = 'D3'\njudgement = 'High'\n",
            "key 'rob.override[1].proposed': is required but missing",
        ),
        ("[data\nfile = 'x'\n", "plan.toml: not valid TOML"),
    ],
)
def test_invalid_plans_name_the_key_and_line(text, expected):
    assert expected in error_of(text)


def test_every_problem_is_reported_at_once():
    message = error_of(MINIMAL + "[settings]\nmodel = 'x'\nmeasure = 'g'\n")
    assert message.startswith("2 problems:") and "settings.measure" in message


def test_missing_plan_file_is_a_plan_error(tmp_path):
    with pytest.raises(PlanError, match="no such plan file"):
        load_plan(tmp_path / "nope.toml")


def test_key_lines_follow_tables_arrays_of_tables_and_multiline_values():
    text = (
        "title = 'x'  # comment\n[data]\nfile = 'a.csv'\n[analyses]\nsubgroups = [\n  'a',\n]\n"
        "[[analysis]]\nname = 'one'\n[analysis.settings]\nmodel = 'fixed'\n[[analysis]]\nname = 'two'\n"
    )
    lines = key_lines(text)
    assert lines["title"] == 1 and lines["data.file"] == 3 and lines["analyses.subgroups"] == 5
    assert lines["analysis[1].settings.model"] == 11 and lines["analysis[2].name"] == 13


def test_schema_documents_every_settings_key_and_validates_the_example():
    import tomllib

    document = tomllib.loads(EXAMPLE.read_text())
    assert validate(document) == []
    settings = plan_schema()["$defs"]["settings"]["properties"]
    assert all(settings[key].get("description") for key in settings)


def test_expansion_of_the_example_plan():
    plan = load_plan(EXAMPLE)
    specs = expand_plan(plan, {"Clinical recovery": ["depressive symptoms", "remission"]})
    ids = [s.id for s in specs]
    assert ids[:2] == [
        "clinical-recovery/post-test",
        "clinical-recovery/post-test/outliers-removed",
    ]
    assert "clinical-recovery/post-test/outcome-remission" in ids
    assert "clinical-recovery/6-9-months" in ids
    # extras (subgroups, sensitivity, specific outcomes) only in the first window
    assert "clinical-recovery/6-9-months/low-rob-only" not in ids
    main = specs[0]
    assert main.subgroups == ("population", "format", "delivery", "rob_overall")
    assert main.leave_one_out and main.min_k == 2
    low_rob = next(s for s in specs if s.variant == "low_rob_only")
    assert low_rob.filters["rob_overall"] == ("Low",) and low_rob.parent == main.id
    lowest = next(s for s in specs if s.variant == "one_per_study_lowest")
    assert lowest.settings.multiple_effects == "lowest"
    specific = next(s for s in specs if s.outcome == "remission")
    assert specific.min_k == 5 and specific.filters["outcome"] == ("remission",)
    stigma = [s for s in specs if s.group == "Stigma"]
    assert [s.window for s in stigma] == ["Post-test", "Post-test"]


def _effects() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "study": ["A", "A", "B", "C"],
            "population": ["SMI", "SMI", " smi ", "depression"],
            "time": ["post", "fu1", "post", "post"],
            "time_weeks": [12.0, 30.0, 10.0, 16.0],
            "yi": [0.3, 0.1, 0.5, -0.2],
            "vi": [0.04, 0.09, 0.05, 0.02],
        },
        index=pd.Index([2, 3, 4, 5], name="row"),
    )


def test_filters_and_windows_select_rows():
    frame = _effects()
    assert filter_rows(frame, {"population": ("SMI",)}, {}).index.tolist() == [2, 3, 4]
    assert filter_rows(frame, {}, {"study": "A"}).index.tolist() == [4, 5]
    assert filter_rows(frame, {"time_weeks": {"max": 12}}, {}).index.tolist() == [2, 4]
    assert frame[in_window(frame, None, (24, 39))].index.tolist() == [3]
    assert frame[in_window(frame, ("post",), None)].index.tolist() == [2, 4, 5]


def test_several_effects_per_study_by_rule():
    frame = _effects()
    with pytest.raises(AnalysisError, match=r"study 'A' gives 2 effect sizes \(rows 2, 3\)"):
        one_per_study(frame, "error", rho=0.5, label="x")
    lowest = one_per_study(frame, "lowest", rho=0.5, label="x")
    assert lowest.frame.index.tolist() == [3, 4, 5]
    assert lowest.dropped == [
        {"row": 2, "study": "A", "reason": "one effect per study (lowest kept: row 3)"}
    ]
    first = one_per_study(frame, "first", rho=0.5, label="x")
    assert first.frame.index.tolist() == [2, 4, 5]


def test_combining_is_the_gls_mean_under_compound_symmetry():
    # hand computation: v = (0.04, 0.09), rho = 0.5 -> cov = 0.5*0.2*0.3 = 0.03
    # Sigma^-1 1 = (0.06, 0.01)/det with det = 0.04*0.09 - 0.03^2 = 0.0027
    combined = one_per_study(_effects(), "combine", rho=0.5, label="x").frame
    a = combined[combined.study == "A"].iloc[0]
    w1, w2 = 0.06 / 0.0027, 0.01 / 0.0027
    assert a.yi == pytest.approx((w1 * 0.3 + w2 * 0.1) / (w1 + w2), rel=1e-12)
    assert a.vi == pytest.approx(1 / (w1 + w2), rel=1e-12)
    assert a.rows == [2, 3] and a.n_effects == 2
    assert a.time == "mixed" and a.population == "SMI"
    assert combined.loc[4, "rows"] == [4]


def test_combining_gives_a_blank_of_a_nullable_column_as_nan_or_none():
    # a table read with pandas' nullable dtypes (a library caller's frame): a blank combines to
    # NaN in a number column and to None in a yes/no column, as in a column of numpy dtype
    frame = pd.DataFrame(
        {
            "study": ["A", "A", "B"],
            "yi": [0.1, 0.3, 0.2],
            "vi": [0.01, 0.02, 0.01],
            "year": pd.array([2001, 2001, None], dtype="Int64"),
            "dose": pd.array([1.5, 1.5, None], dtype="Float64"),
            "blinded": pd.array([True, True, None], dtype="boolean"),
        },
        index=[2, 3, 4],
    )
    combined = one_per_study(frame, "combine", rho=0.5, label="x").frame
    assert combined["year"].dtype == "float64" and combined["dose"].dtype == "float64"
    assert combined.loc[2, "year"] == 2001 and np.isnan(combined.loc[4, "year"])
    assert combined.loc[2, "dose"] == 1.5 and np.isnan(combined.loc[4, "dose"])
    assert combined["blinded"].tolist() == [True, None]


def test_every_schema_key_is_documented():
    text = (REPO / "docs" / "plan.md").read_text()
    schema = plan_schema()
    keys = set(schema["properties"])
    for definition in ("settings", "runs"):
        keys |= set(schema["$defs"][definition]["properties"])
    for name in ("data", "report", "min_k", "outcomes", "rob"):
        keys |= set(schema["properties"][name]["properties"])
    missing = sorted(
        key
        for key in keys
        if f"`{key}`" not in text and f"[{key}]" not in text and f"[[{key}]]" not in text
    )
    assert not missing, f"document these plan keys in docs/plan.md: {missing}"


def test_workspace_overrides_are_appended_replaced_and_refused_after_an_inline_rob_table():
    from metareview.plan.appended import OVERRIDES_MARKER, plan_text_with_overrides

    override = {"study": "A", "result": "pain", "domain": "D3", "proposed": "Low",
                "judgement": "High", "justification": 'one arm "lost" 30%'}  # fmt: skip
    text = MINIMAL + "[[category]]\nname = 'Pain'\n[rob]\ncolumn = 'risk'\n"
    added = plan_text_with_overrides(text, [override])
    plan = parse_plan(added, source="plan.toml")
    assert plan.rob_column == "risk" and plan.rob_overrides == (override,)
    assert plan_text_with_overrides(added, []) == text  # a later run without overrides
    again = plan_text_with_overrides(added, [override])  # replaced, not appended twice
    assert again == added and again.count(OVERRIDES_MARKER) == 1
    with pytest.raises(PlanError, match=r"risk-of-bias overrides cannot be added"):
        plan_text_with_overrides("rob = {column = 'risk'}\n" + MINIMAL, [override])
