"""Influence diagnostics and Baujat data against R metafor influence()/baujat()."""

from __future__ import annotations

import numpy as np
import pytest

from metareview.stats.influence import influence
from metareview.stats.metaregression import design_matrix
from tests.heterogeneity_reference import assert_close, case_id, cases, dataset
from tests.result_keys import INFLUENCE_ROW

INF_CASES = cases("influence")


@pytest.mark.parametrize("case", INF_CASES, ids=[case_id(c) for c in INF_CASES])
def test_matches_metafor_influence(case):
    data = dataset(case["dataset"])
    mods = case["mods"] if isinstance(case["mods"], list) else [case["mods"]]
    X = design_matrix({m: data[m] for m in mods}).X if mods else None
    res = influence(data["yi"], data["vi"], X, method=case["method"], studies=data["study"])
    for key in ("rstudent", "dffits", "cooks_d", "cov_ratio", "q_del", "hat", "weight"):
        assert_close(getattr(res, key), case[key], what=key)
    assert_close(res.tau2_del, case["tau2_del"], atol=1e-10, what="tau2_del")
    assert_close(np.array(res.dfbetas), np.array(case["dfbetas"]), what="dfbetas")
    assert list(res.influential) == case["influential"]
    if "baujat_x" in case:
        assert_close(res.baujat_x, case["baujat_x"], what="baujat x")
        assert_close(res.baujat_y, case["baujat_y"], what="baujat y")


def test_flags_a_planted_outlier_and_rows_have_the_json_keys():
    yi = [0.10, 0.30, 0.35, 0.65, 0.45, 0.15, 1.40]
    vi = [0.03, 0.03, 0.05, 0.01, 0.05, 0.02, 0.04]
    res = influence(yi, vi, method="DL", studies=list("ABCDEFG"))
    assert res.influential[-1] and sum(res.influential) == 1
    row = res.rows()[0]
    assert list(row) == INFLUENCE_ROW
    assert "influential: G" in res.summary()
    assert sum(res.weight) == pytest.approx(100.0)


def test_too_few_studies():
    """k = 2 works as in metafor (tests/test_trust_stats_diagnostics.py); a meta-regression
    needs a deleted fit with more studies than coefficients."""
    with pytest.raises(ValueError, match="at least 2 studies"):
        influence([0.1], [0.01])
    X = np.column_stack([np.ones(3), [1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="more than 3 studies"):
        influence([0.1, 0.2, 0.4], [0.01, 0.02, 0.03], X)
