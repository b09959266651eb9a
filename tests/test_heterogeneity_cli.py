"""End to end: analyze --by, metareg and gosh on real files (ThirdWave, metapsy depression)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from metareview.cli import cli, main
from tests.result_keys import INFLUENCE_JSON_ROW, LEAVE_ONE_OUT_ROW, METAREG, SUBGROUP_GROUP

THIRDWAVE = ["--col", "yi=TE", "--col", "sei=seTE", "--col", "study=Author"]


def _run(args):
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _json(*args):
    """The JSON a command prints with ``--json``."""
    return json.loads(_run([*args, "--json"]))


@pytest.fixture()
def thirdwave(shared_data):
    return str(shared_data / "dmetar" / "ThirdWave.csv")


def test_analyze_json_has_the_heterogeneity_sections(thirdwave):
    options = ["--preset", "meta", "--ci", "knha", "--by", "RiskOfBias"]
    doc = _json("analyze", thirdwave, *THIRDWAVE, *options)
    sub = doc["subgroups"]
    assert sub["by"] == "RiskOfBias" and sub["tau_common"] is False
    assert [g["level"] for g in sub["groups"]] == ["high", "low"]
    assert set(sub["groups"][0]) >= SUBGROUP_GROUP
    assert round(sub["q_between"], 2) == 2.84 and sub["df_between"] == 1
    assert round(sub["p_between"], 2) == 0.09 and sub["i2_between"] is not None
    assert len(doc["leave_one_out"]) == 18
    assert list(doc["leave_one_out"][0]) == LEAVE_ONE_OUT_ROW
    assert list(doc["influence"][0]) == INFLUENCE_JSON_ROW
    assert doc["outliers"]["studies"] == ["DanitzOrsillo", "Shapiro et al."]
    assert set(doc["outliers"]["random"]) == set(doc["random"])


def test_plain_analyze_always_includes_the_sections(thirdwave):
    doc = _json("analyze", thirdwave, *THIRDWAVE)
    assert doc["subgroups"] is None
    assert {"leave_one_out", "influence", "outliers"} <= set(doc)


def test_tau_common_gives_metafor_omnibus_test(thirdwave):
    options = ["--by", "RiskOfBias", "--tau-common", "--min-k-subgroup", "3"]
    doc = _json("analyze", thirdwave, *THIRDWAVE, *options)
    sub = doc["subgroups"]
    assert sub["tau_common"] is True and sub["test"] == "chi2"
    assert sub["groups"][0]["tau2"] == sub["groups"][1]["tau2"] == sub["tau2_common"]


def test_analyze_by_unknown_column_is_a_one_line_error(thirdwave, capsys):
    with pytest.raises(SystemExit) as done:
        main(["analyze", thirdwave, *THIRDWAVE, "--by", "Nope"])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "Nope" in err and "\n" not in err


def test_metareg_json(shared_data):
    path = str(shared_data / "metapsy" / "depression.csv")
    columns = ["--col", "yi=g", "--col", "sei=SE", "--col", "study=study"]
    options = ["--mods", "quality_criteria,format", "--permutations", "20", "--seed", "3"]
    doc = _json("metareg", path, *columns, *options)
    assert set(doc) >= METAREG
    names = [c["name"] for c in doc["coefficients"]]
    assert names[:2] == ["intercept", "quality_criteria"] and names[2].startswith("format[")
    assert list(doc["coefficients"][0]) == [
        "name",
        "estimate",
        "se",
        "statistic",
        "pvalue",
        "ci_lower",
        "ci_upper",
    ]
    assert doc["qm_df"] == len(names) - 1
    assert len(doc["permutation"]["pvalues"]) == len(names)
    assert doc["k"] + len(doc["dropped"]) == 411


def test_metareg_unknown_moderator_is_bad_input(thirdwave, capsys):
    with pytest.raises(SystemExit) as done:
        main(["metareg", thirdwave, *THIRDWAVE, "--mods", "Nope"])
    assert done.value.code == 2
    assert "Nope" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--mods", "RiskOfBias,RiskOfBias"], "--mods: got RiskOfBias twice, expected each once"),
        (
            ["--mods", "RiskOfBias", "--categorical", "Year"],
            "--categorical: got 'Year', expected one of the moderators (RiskOfBias)",
        ),
    ],
)
def test_metareg_moderators_named_twice_or_categorical_not_a_moderator_are_bad_input(
    thirdwave, capsys, options, expected
):
    """As a plan's metaregression entry: each moderator once, categorical among them (not a
    fit with a duplicated column, nor a --categorical left unused)."""
    with pytest.raises(SystemExit) as done:
        main(["metareg", thirdwave, *THIRDWAVE, *options])
    err = capsys.readouterr().err
    assert done.value.code == 2 and len(err.strip().splitlines()) == 1
    assert expected in err


def test_metareg_text_summary(thirdwave):
    out = _run(["metareg", thirdwave, *THIRDWAVE, "--mods", "RiskOfBias", "--ci", "knha"])
    assert "RiskOfBias[low]" in out and "F(1, 16)" in out


def test_gosh_writes_parquet(thirdwave, tmp_path):
    out = tmp_path / "gosh.parquet"
    options = ["--method", "DL", "--subsets", "2000", "--seed", "4", "-o", str(out)]
    doc = _json("gosh", thirdwave, *THIRDWAVE, *options, "--diagnostics")
    assert doc["exhaustive"] is False and doc["n_subsets"] == 2000 and doc["seed"] == 4
    frame = pd.read_parquet(out)
    assert list(frame.columns[:6]) == ["estimate", "tau2", "i2", "h2", "q", "k"]
    assert frame.shape == (2000, 6 + 18)
    assert (frame.iloc[:, 6:].sum(axis=1) == frame["k"]).all()
    assert {a["algorithm"] for a in doc["diagnostics"]["algorithms"]} == {"kmeans", "dbscan", "gmm"}
