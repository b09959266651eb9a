"""Plan keys and CLI flags for conventions of subgroup tests and trim-and-fill: ``tau_common``,
``trimfill_estimator`` and ``trimfill_side``, checked against the metafor fixtures
(``tests/reference/heterogeneity.R`` and ``tests/reference/bias.R``) on the same data."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from metareview.cli import main
from metareview.errors import PlanError
from metareview.plan.analysis import AnalysisSettings
from metareview.plan.plan import load_plan, parse_plan
from metareview.plan.results import ReviewResults
from metareview.plan.runner import run_plan
from metareview.report.methods_text import methods_paragraph
from tests.bias_reference import DATASETS as BIAS_DATASETS
from tests.heterogeneity_reference import cases, reference

REL = 1e-6


def write_plan(folder: Path, frame: pd.DataFrame, settings: str, analyses: str = "") -> Path:
    """A plan with one ``[[analysis]]`` over every row of ``frame`` (precomputed yi, vi)."""
    frame.to_csv(folder / "data.csv", index=False)
    plan = folder / "plan.toml"
    plan.write_text(
        '[data]\nfile = "data.csv"\n'
        f"[settings]\n{settings}\n"
        "[min_k]\nsubgroup = 2\n"
        f"[analyses]\nspecific_outcomes = false\n{analyses}\n"
        '[[analysis]]\nname = "All"\nfilter = {}\n',
        encoding="utf-8",
    )
    return plan


def fixture_frame(name: str) -> pd.DataFrame:
    """A metadat data set of the heterogeneity fixture as an extraction table (study labels
    made unique: two rows of raudenbush1985 come from one paper)."""
    frame = pd.DataFrame(reference()["datasets"][name])
    frame["study"] = [f"{study} [{row}]" for row, study in enumerate(frame["study"], 1)]
    return frame


def subgroup_case(dataset: str, method: str, test: str) -> dict:
    return next(
        c
        for c in cases("subgroups")
        if (c["dataset"], c["method"], c["test"]) == (dataset, method, test)
    )


@pytest.mark.parametrize(
    ("dataset", "by", "method", "test"),
    [("bcg", "alloc", "REML", "z"), ("raudenbush1985", "tester", "DL", "knha")],
)
@pytest.mark.parametrize("tau_common", [True, False])
def test_tau_common_key_chooses_the_metafor_subgroup_model(
    tmp_path, dataset, by, method, test, tau_common
):
    """true: metafor's rma(mods = ~ factor(group)) and its QM; false: separate fits and the Q
    test between their estimates (metafor's FE model on the subgroup estimates)."""
    frame = fixture_frame(dataset).dropna(subset=[by])
    measure = "RR" if dataset == "bcg" else "SMD"
    plan = write_plan(
        tmp_path,
        frame,
        f'preset = "metafor"\nmeasure = "{measure}"\nmethod = "{method}"\n'
        f'ci_method = "{test}"\ntau_common = {str(tau_common).lower()}',
        f'subgroups = ["{by}"]',
    )
    record = run_plan(load_plan(plan), jobs=1)["all/all-time-points"]
    ref = subgroup_case(dataset, method, test)
    result = record.subgroups[0]["test"]
    assert result["tau_common"] is tau_common
    if tau_common:
        assert result["q"] == pytest.approx(ref["common_qm"], rel=REL)
        assert result["pvalue"] == pytest.approx(ref["common_qm_pvalue"], rel=REL)
    else:
        assert result["q"] == pytest.approx(ref["q_between"], rel=REL)
        assert result["pvalue"] == pytest.approx(ref["p_between"], rel=REL)
    methods, _ = methods_paragraph(run_plan(load_plan(plan), jobs=1))
    assert ("common to all subgroups" in methods) is tau_common


def test_without_tau_common_the_preset_decides(tmp_path):
    frame = fixture_frame("bcg")
    common = subgroup_case("bcg", "REML", "z")
    plan = write_plan(
        tmp_path,
        frame,
        'preset = "metafor"\nmeasure = "RR"\nmethod = "REML"\nci_method = "z"',
        'subgroups = ["alloc"]',
    )
    test = run_plan(load_plan(plan), jobs=1)["all/all-time-points"].subgroups[0]["test"]
    assert test["tau_common"] is True  # metafor's convention
    assert test["q"] == pytest.approx(common["common_qm"], rel=REL)


def bias_frame(name: str) -> pd.DataFrame:
    data = BIAS_DATASETS[name]["input"]
    return pd.DataFrame(
        {"study": [f"S{i}" for i in range(len(data["yi"]))], "yi": data["yi"], "vi": data["vi"]}
    )


def trimfill_reference(name: str, estimator: str, side: str) -> dict:
    return next(
        e
        for e in BIAS_DATASETS[name]["trimfill"]
        if (e["trim_method"], e["estimator"], e["side_given"], e["test"])
        == ("REML", estimator, side, "z")
        and "fill_method" not in e
    )


@pytest.mark.parametrize(("estimator", "side"), [("R0", "left"), ("Q0", "left"), ("L0", "right")])
def test_trimfill_keys_match_metafor(tmp_path, estimator, side):
    """metafor trimfill(rma(yi, vi, method = "REML"), estimator, side) on raudenbush1985."""
    ref = trimfill_reference("raudenbush1985", estimator, side)
    plan = write_plan(
        tmp_path,
        bias_frame("raudenbush1985"),
        'preset = "metafor"\nmeasure = "SMD"\nmethod = "REML"\nci_method = "z"\n'
        f'trimfill_estimator = "{estimator}"\ntrimfill_side = "{side}"',
        'small_study = ["trimfill"]',
    )
    results = run_plan(load_plan(plan), jobs=1)
    filled = results["all/all-time-points"].result["small_study"]["trim_and_fill"]
    assert (filled["k0"], filled["side"], filled["estimator"]) == (ref["k0"], side, estimator)
    for key in ("estimate", "ci_lower", "ci_upper", "pvalue"):
        assert filled[key] == pytest.approx(ref[key], rel=REL), key
    methods, _ = methods_paragraph(results)
    assert f"estimator {estimator}, missing studies sought on the {side}" in methods


def test_trimfill_cli_flags_match_metafor(tmp_path, capsys):
    ref = trimfill_reference("raudenbush1985", "Q0", "left")
    bias_frame("raudenbush1985").to_csv(tmp_path / "raud.csv", index=False)
    arguments = ["analyze", str(tmp_path / "raud.csv"), "--method", "REML", "--json"]
    with pytest.raises(SystemExit) as done:
        main([*arguments, "--trimfill-estimator", "q0", "--trimfill-side", "left"])
    assert done.value.code == 0
    filled = json.loads(capsys.readouterr().out)["small_study"]["trim_and_fill"]
    assert (filled["k0"], filled["estimator"]) == (ref["k0"], "Q0")
    assert filled["estimate"] == pytest.approx(ref["estimate"], rel=REL)
    with pytest.raises(SystemExit) as done:
        main([*arguments, "--trimfill-side", "up"])
    err = capsys.readouterr().err
    assert done.value.code == 2 and err.count("\n") == 1 and "--trimfill-side" in err


def test_bad_values_are_plan_errors_naming_the_key(tmp_path):
    with pytest.raises(PlanError, match=r"line 4, key 'settings.trimfill_estimator': got 'L1'"):
        parse_plan('[data]\nfile = "t.csv"\n[settings]\ntrimfill_estimator = "L1"\n')
    with pytest.raises(PlanError, match=r"key 'category\[1\].settings.trimfill_side': got 'up'"):
        parse_plan(
            '[data]\nfile = "t.csv"\n[[category]]\nname = "A"\n[category.settings]\n'
            'trimfill_side = "up"\n'
        )
    with pytest.raises(
        PlanError, match=r"key 'settings.tau_common': got 'yes', expected true or false"
    ):
        parse_plan('[data]\nfile = "t.csv"\n[settings]\ntau_common = "yes"\n')
    with pytest.raises(ValueError, match="trimfill_side must be one of left, right; got 'up'"):
        AnalysisSettings(trimfill_side="up")


def methods_of(plan_text: str) -> tuple[str, list[str]]:
    """The methods paragraph (and references) of a plan, before anything is run."""
    plan = parse_plan('[data]\nfile = "t.csv"\n' + plan_text)
    return methods_paragraph(ReviewResults("t", "0", "k", plan.to_dict(), {}, ()))


def test_methods_name_an_analysis_own_subgroup_and_trimfill_conventions():
    methods, _ = methods_of(
        '[[analysis]]\nname = "Stigma"\nfilter = {}\n'
        '[analysis.settings]\ntau_common = false\ntrimfill_estimator = "R0"\n'
        'trimfill_side = "right"\n'
    )
    assert methods.endswith(
        "a random-effects model, τ² by restricted maximum likelihood [2], subgroups tested "
        "with τ² estimated within each subgroup, trim-and-fill with estimator R0 on the right "
        "side."
    )


def test_methods_name_a_category_own_subgroups_and_small_study_tests():
    """The methods paragraph describes analyses a category chooses beyond the plan's own."""
    methods, references = methods_of(
        '[analyses]\nsmall_study = ["egger"]\n'
        '[[category]]\nname = "Stigma"\n[category.analyses]\n'
        'small_study = ["egger", "trimfill"]\nsubgroups = ["format"]\n'
        '[[category]]\nname = "Hope"\n[category.analyses]\nsmall_study = ["egger"]\n'
    )
    assert methods.endswith(
        "For Stigma: subgroups by format; small-study effects assessed with Egger's regression "
        "test [6] and Duval and Tweedie's trim-and-fill method [7] (estimator L0, missing "
        "studies sought on the side the data show)."
    )
    assert "For Hope" not in methods  # the same tests as the plan's: nothing to add
    assert any("Duval" in reference for reference in references)
