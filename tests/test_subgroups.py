"""Subgroup analyses: separate τ² against separate metafor fits, Q_between against
rma(estimates, sei = ses, method = "FE")$QE, common τ² against rma(mods = ~ factor(g)), and the
ThirdWave analysis of "Doing Meta-Analysis in R"."""

from __future__ import annotations

import pandas as pd
import pytest

from metareview.stats.subgroups import q_between, subgroup_analysis
from tests.heterogeneity_reference import assert_close, case_id, cases, dataset
from tests.result_keys import SUBGROUP_GROUP

SUB_CASES = cases("subgroups")


def _run(case, tau_common):
    data = dataset(case["dataset"])
    groups = data[case["by"]]
    present = [g is not None and g == g for g in groups]
    y, v = data["yi"][present], data["vi"][present]
    labels = [str(int(g)) if isinstance(g, float) else str(g) for g in groups[present]]
    return subgroup_analysis(
        y,
        v,
        labels,
        by=case["by"],
        method=case["method"],
        ci_method=case["test"],
        preset="metafor",
        tau_common=tau_common,
    )


@pytest.mark.parametrize("case", SUB_CASES, ids=[case_id(c) for c in SUB_CASES])
def test_separate_tau2_matches_separate_metafor_fits(case):
    res = _run(case, tau_common=False)
    ref_groups = case["groups"] if isinstance(case["groups"], list) else [case["groups"]]
    assert [g.level for g in res.groups] == [g["level"] for g in ref_groups]
    for ours, ref in zip(res.groups, ref_groups):
        assert ours.k == ref["k"]
        if "estimate" not in ref:  # a one-study subgroup: reported, not tested
            assert not ours.tested and ours.reason == "fewer than 2 studies"
            continue
        for key in ("estimate", "se", "ci_lower", "ci_upper", "pvalue"):
            assert_close(getattr(ours, key), ref[key], what=f"{ours.level} {key}")
        assert_close(ours.tau2, ref["tau2"], atol=1e-10, what="tau2")
        assert_close(ours.i2, ref["i2"], atol=1e-8, what="I2")
    assert_close(res.q_between, case["q_between"], what="Q between")
    assert res.df_between == case["df_between"]
    assert_close(res.p_between, case["p_between"], what="p between")
    assert_close(res.i2_between, case["i2_between"], atol=1e-8, what="I2 between")


@pytest.mark.parametrize("case", SUB_CASES, ids=[case_id(c) for c in SUB_CASES])
def test_common_tau2_matches_metafor_mixed_effects_model(case):
    res = _run(case, tau_common=True)
    assert_close(res.q_between, case["common_qm"], what="QM")
    assert_close(res.p_between, case["common_qm_pvalue"], what="QM p")
    assert_close(res.tau2_common, case["common_tau2"], atol=1e-10, what="common tau2")
    assert res.test == ("chi2" if case["test"] == "z" else "F")


def test_q_between_by_hand():
    q, df, p = q_between([0.5, 0.1, 0.3], [0.1, 0.2, 0.1])
    w = [100, 25, 100]
    mean = (50 + 2.5 + 30) / 225
    assert q == pytest.approx(sum(wi * (e - mean) ** 2 for wi, e in zip(w, [0.5, 0.1, 0.3])))
    assert df == 2 and 0 < p < 1


def test_thirdwave_by_risk_of_bias_with_meta_preset(shared_data):
    """Harrer et al., Doing Meta-Analysis in R (2021), ch. 7.3 (subgroup analysis of
    ThirdWave by RiskOfBias, REML with Knapp–Hartung): high k = 7, g = 0.8126
    [0.2835; 1.3417], τ² = 0.2423, I² = 76.8%; low k = 11, g = 0.4300 [0.2770; 0.5830],
    τ² = 0.0099, I² = 25.5%; test for subgroup differences Q = 2.84, df = 1, p = 0.0917."""
    data = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv")
    res = subgroup_analysis(
        data["TE"],
        data["seTE"] ** 2,
        data["RiskOfBias"],
        by="RiskOfBias",
        preset="meta",
        ci_method="knha",
    )
    assert not res.tau_common  # the meta preset estimates τ² per subgroup
    high, low = res.groups
    assert (high.level, high.k, low.level, low.k) == ("high", 7, "low", 11)
    assert [round(x, 4) for x in (high.estimate, high.ci_lower, high.ci_upper, high.tau2)] == [
        0.8126,
        0.2835,
        1.3417,
        0.2423,
    ]
    assert [round(x, 4) for x in (low.estimate, low.ci_lower, low.ci_upper, low.tau2)] == [
        0.4300,
        0.2770,
        0.5830,
        0.0099,
    ]
    assert (round(high.i2, 1), round(low.i2, 1)) == (76.8, 25.5)
    assert round(res.q_between, 2) == 2.84 and res.df_between == 1
    assert round(res.p_between, 4) == 0.0917


def test_small_subgroups_are_reported_but_not_tested():
    res = subgroup_analysis(
        [0.1, 0.2, 0.3, 0.6, 0.7, 0.1],
        [0.02] * 6,
        ["a", "a", "a", "b", "b", "c"],
        method="DL",
        min_k=3,
    )
    assert [(g.level, g.tested) for g in res.groups] == [("a", True), ("b", False), ("c", False)]
    assert res.groups[1].reason == "fewer than 3 studies"
    assert res.q_between is None and "fewer than 2 subgroups" in res.reason
    assert "not done" in res.summary()
    two = subgroup_analysis(
        [0.1, 0.2, 0.3, 0.6, 0.7, 0.1],
        [0.02] * 6,
        ["a", "a", "b", "b", "b", "c"],
        method="DL",
        tau_common=False,
    )
    assert two.df_between == 1 and not two.groups[2].tested
    assert set(two.to_dict()["groups"][0]) >= SUBGROUP_GROUP


def test_bad_arguments():
    with pytest.raises(ValueError, match="min_k must be a positive integer"):
        subgroup_analysis([0.1, 0.2], [0.1, 0.1], ["a", "b"], min_k=0)
    with pytest.raises(ValueError, match="groups must have 2 values"):
        subgroup_analysis([0.1, 0.2], [0.1, 0.1], ["a"])
