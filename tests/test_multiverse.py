"""Multiverse analysis: every specification equals `analyze` with the same choices, nothing is
dropped silently, the specification-curve test is reproducible, and the CLI writes its files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from metareview.errors import InputError
from metareview.plan.analysis import analysis_settings, analyze, effect_sizes
from metareview.plan.multilevel import MultilevelRequest
from metareview.plan.multiverse import (
    Factors,
    MultiverseResult,
    _plain,
    multiverse,
    specification_rows,
    specification_test,
)
from metareview.plan.multiverse_fit import SpecificationFitter
from metareview.stats.influence import influence
from tests.conftest import REPO
from tests.test_cli_basics import run_cli

EXAMPLE = REPO / "examples" / "peer-support" / "extraction.csv"
CLINICAL = {"outcome_category": "clinical recovery", "time": "post"}
SETTINGS = analysis_settings(measure="SMD", preset="metapsy")


@pytest.fixture(scope="module")
def clinical() -> pd.DataFrame:
    rows, dropped = effect_sizes(EXAMPLE, SETTINGS, where=CLINICAL)
    assert not dropped
    assert rows.groupby("study").size().max() > 1  # several effects per study: all levels
    return rows


@pytest.fixture(scope="module")
def example_multiverse(clinical) -> tuple:
    factors = Factors(
        studies=("all", "low_rob", "outliers_removed", "influential_removed"),
        methods=("REML", "DL", "PM"),
        filters={"format": ()},
        rob_column="rob_overall",
        preset="metapsy",
    )
    return multiverse(clinical, factors), factors


def test_every_specification_equals_analyze(clinical, example_multiverse):
    result, factors = example_multiverse
    specs = result.specifications
    assert len(specs) == 4 * 3 * 3 * (3 * 2 + 2)  # studies × effects × format × fits
    fitted = specs[specs["status"] == "ok"]
    # Every kind of choice, including removals and the combined effects.
    sample = pd.concat(
        [fitted[fitted["studies"] == level].sample(4, random_state=1) for level in factors.studies]
    )
    assert {"combined", "lowest", "highest"} <= set(sample["effects"]) | set(fitted["effects"])
    assert any(len(r) for r in fitted["removed"])
    for number, spec in sample.iterrows():
        rows = specification_rows(result, clinical, number)
        settings = analysis_settings(
            preset="metapsy",
            method=spec["method"],
            ci_method=spec["ci_method"],
        )
        pooled = analyze(rows[["study", "yi", "vi"]], settings).pooled
        assert spec["k"] == pooled.k
        fit = pooled.random  # under method FE, the common-effect fit with the CI method
        for column, value in (
            ("estimate", fit.estimate),
            ("se", fit.se),
            ("ci_lower", fit.ci_lower),
            ("ci_upper", fit.ci_upper),
            ("pvalue", fit.pvalue),
            ("tau2", pooled.tau2),
        ):
            assert spec[column] == pytest.approx(value, rel=1e-10, abs=1e-12), (number, column)


def test_three_level_specifications_equal_analyze_model_threelevel(clinical):
    factors = Factors(
        studies=("all", "outliers_removed", "influential_removed"),
        effects=("combined", "three_level"),
        methods=("REML", "DL", "ML"),
        filters={"format": ()},
        preset="metapsy",
    )
    result = multiverse(clinical, factors)
    three = result.specifications[result.specifications["effects"] == "three_level"]
    # random effects only, σ² by REML or ML (DL is no level of it); 3 study sets × 3 formats
    assert set(three["model"]) == {"random"} and set(three["method"]) == {"REML", "ML"}
    assert len(three) == 3 * 3 * 2 * 2
    influential = three[three["studies"] == "influential_removed"]
    assert (influential["status"] == "not fitted").all()
    assert influential["reason"].str.contains("one effect per study").all()
    fitted = three[three["status"] == "ok"]
    assert len(fitted) == 2 * 3 * 2 * 2
    assert any(len(r) for r in fitted["removed"])  # an outlier study dropped with its effects
    for number, spec in fitted.iterrows():
        rows = specification_rows(result, clinical, number)
        settings = analysis_settings(
            preset="metapsy", method=spec["method"], ci_method=spec["ci_method"],
            multilevel=MultilevelRequest(model="threelevel"),
        )  # fmt: skip
        fit = analyze(rows[["study", "yi", "vi"]], settings).multilevel
        assert spec["k"] == fit.n_studies
        for column, value in (
            ("estimate", fit.estimate[0]),
            ("se", fit.se[0]),
            ("ci_lower", fit.ci_lower[0]),
            ("ci_upper", fit.ci_upper[0]),
            ("pvalue", fit.pvalue[0]),
            ("tau2", sum(fit.sigma2)),
            ("i2", fit.i2.total),
            ("pi_lower", fit.pi_lower),
            ("pi_upper", fit.pi_upper),
        ):
            assert spec[column] == pytest.approx(value, rel=1e-10, abs=1e-12), (number, column)


def test_removals_follow_the_specification_own_fit(clinical, example_multiverse):
    result, _ = example_multiverse
    specs = result.specifications.set_index(["effects", "format", "model", "method", "ci_method"])
    outliers = specs[specs["studies"] == "outliers_removed"]
    everything = specs[specs["studies"] == "all"]
    for key, spec in outliers.iterrows():
        base = everything.loc[key]
        if base["status"] == "ok":
            assert spec["k"] == base["k"] - len(spec["removed"]) or spec["status"] != "ok"


def test_influential_removals_are_those_influence_flags(clinical, example_multiverse):
    result, _ = example_multiverse
    specs = result.specifications
    chosen = specs[(specs["studies"] == "influential_removed") & (specs["status"] == "ok")]
    assert any(len(r) for r in chosen["removed"])
    for number, spec in chosen.iterrows():
        rows = pd.concat(
            [specification_rows(result, clinical, number), _removed(result, clinical, number)]
        )
        rows = rows.sort_index()  # the data set before the removal, in its order
        flags = influence(rows["yi"], rows["vi"], method=spec["method"]).influential
        assert list(rows["study"][list(flags)]) == spec["removed"], number


def _removed(result, effects, number):
    """The rows specification ``number`` removed (the selection without its removal)."""
    spec = result.specifications.loc[number]
    whole = result.specifications.copy()
    whole.at[number, "removed"] = []
    rows = specification_rows(
        MultiverseResult(whole, result.factors, result.choices), effects, number
    )
    return rows[rows["study"].isin(spec["removed"])]


@pytest.mark.parametrize("labels", ["as read", "descending"])
def test_data_sets_equal_the_one_per_study_selection(clinical, labels):
    """The fitter's arrays equal, value for value and in order, the rows that
    filters and one_per_study select (the path specification_rows takes)."""
    effects = clinical if labels == "as read" else clinical.set_axis(clinical.index[::-1] * 10)
    factors = Factors(
        studies=("all", "low_rob"), methods=("DL",), models=("random",), ci_methods=("z",),
        filters={"format": (), "population": ()}, rob_column="rob_overall", preset="metapsy",
    )  # fmt: skip
    result = multiverse(effects, factors)
    plain = _plain(effects, factors)
    fitter = SpecificationFitter(plain, rho=0.5, level=0.95, min_k=2, preset="metapsy")
    for number, spec in result.specifications.iterrows():
        keep = np.ones(len(plain), dtype=bool)
        if spec["studies"] == "low_rob":
            keep &= plain["_rob"].astype(str).isin(("Low",)).to_numpy()
        for column in factors.filters:
            if spec[column] != "all":
                keep &= (plain[column].astype(str) == spec[column]).to_numpy()
        y, v, studies = fitter.data[fitter.data_set(np.flatnonzero(keep), spec["effects"])]
        rows = specification_rows(result, effects, number)
        assert studies.tolist() == rows["study"].tolist(), number
        assert y.tolist() == rows["yi"].tolist() and v.tolist() == rows["vi"].tolist(), number


def test_specifications_that_cannot_be_fitted_are_kept_with_their_reason():
    effects = pd.DataFrame(
        {
            "study": list("ABCD"),
            "yi": [0.1, 0.3, 0.2, 0.8],
            "vi": [0.02, 0.03, 0.02, 0.01],
            "format": ["group", "group", "group", "one"],
        }
    )
    result = multiverse(effects, Factors(studies=("all",), methods=("DL",), filters={"format": ()}))
    lonely = result.specifications[result.specifications["format"] == "one"]
    assert len(lonely) == 4 and (lonely["status"] == "not fitted").all()
    assert lonely["reason"].str.contains("k = 1 < 2").all()
    assert result.summary_numbers()["not_fitted"] == 4


def test_factors_are_checked_up_front(clinical):
    with pytest.raises(InputError, match="risk-of-bias column"):
        Factors(studies=("low_rob",))
    with pytest.raises(ValueError, match="methods must be one of"):
        Factors(methods=("REML2",))
    with pytest.raises(InputError, match="format has no level 'online'"):
        multiverse(clinical, Factors(filters={"format": ("online",)}))
    with pytest.raises(InputError, match="column"):
        multiverse(clinical, Factors(filters={"nope": ()}))


def test_specification_test_is_reproducible_with_its_seed(clinical):
    factors = Factors(studies=("all",), effects=("combined",), methods=("REML", "DL"))
    observed = multiverse(clinical, factors)
    first = specification_test(clinical, observed, iterations=25, seed=7)
    assert first == specification_test(clinical, observed, iterations=25, seed=7)
    assert 1 / 26 <= first.p_median <= 1 and 1 / 26 <= first.p_share <= 1
    assert first.median_estimate == pytest.approx(observed.fitted()["estimate"].median())


def test_specification_test_finds_no_effect_where_there_is_none():
    rng = np.random.default_rng(3)
    v = rng.uniform(0.01, 0.05, 20)
    effects = pd.DataFrame({"study": [f"S{i}" for i in range(20)], "yi": rng.normal(0, np.sqrt(v)),
                            "vi": v})  # fmt: skip
    factors = Factors(studies=("all",), methods=("REML", "DL"))
    test = specification_test(effects, multiverse(effects, factors), iterations=39, seed=1)
    assert test.p_median > 0.05


def test_cli_writes_the_multiverse(tmp_path):
    out = tmp_path / "mv"
    result = run_cli(
        "multiverse", str(EXAMPLE), "--measure", "SMD", "--preset", "metapsy",
        "--where", "outcome_category=clinical recovery", "--where", "time=post",
        "--methods", "REML,DL", "--by", "format", "-o", str(out), "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["summary"]["specifications"] == len(document["specifications"])
    assert {"studies", "effects", "format", "model", "method", "ci_method"} <= set(
        document["choices"]
    )
    table = pd.read_csv(out / "specifications.csv")
    assert len(table) == document["summary"]["specifications"]
    assert pd.read_parquet(out / "specifications.parquet")["estimate"].notna().any()
    assert (out / "specification-curve.svg").read_text().startswith("<?xml")
    assert json.loads((out / "summary.json").read_text())["summary"] == document["summary"]


def test_cli_csv_neutralises_formula_levels(tmp_path):
    frame = pd.DataFrame(
        {
            "study": list("ABCDEF"),
            "yi": [0.1, 0.3, 0.2, 0.8, 0.4, 0.5],
            "vi": [0.02, 0.03, 0.02, 0.01, 0.05, 0.04],
            "format": ['=HYPERLINK("x")'] * 3 + ["one"] * 3,
        }
    )
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "mv"
    result = run_cli("multiverse", str(data), "--by", "format", "--methods", "DL", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = (out / "specifications.csv").read_text()
    assert ",=HYPERLINK" not in text and "'=HYPERLINK" in text


def test_cli_bad_where_is_one_line():
    result = run_cli("multiverse", str(EXAMPLE), "--where", "nonsense")
    assert result.returncode == 2 and "COLUMN=VALUE" in result.stderr
    assert "Traceback" not in result.stderr
