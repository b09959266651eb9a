"""The heterogeneity sections of analyze(): present, null when they cannot be computed."""

from __future__ import annotations

import pandas as pd
import pytest

from metareview.errors import DataError
from metareview.plan.analysis import AnalysisSettings, analyze


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "study": list("ABCDE")[:n],
            "yi": [0.2, 0.5, 0.3, 0.1, 0.9][:n],
            "sei": [0.2, 0.22, 0.17, 0.15, 0.2][:n],
            "grp": ["x", "y", "x", None, "y"][:n],
        }
    )


@pytest.mark.parametrize(
    ("n", "loo", "infl"), [(1, False, False), (2, True, True), (3, True, True)]
)
def test_small_analyses_give_null_sections(n, loo, infl):
    """Influence diagnostics work from k = 2 on, as metafor's influence() (issue 14, item 17)."""
    doc = analyze(_frame(n), AnalysisSettings(method="DL", by="grp")).to_dict()
    assert (doc["leave_one_out"] is not None) is loo
    assert (doc["influence"] is not None) is infl
    assert doc["outliers"] == {"studies": [], "random": None}
    assert doc["subgroups"]["q_between"] is None and doc["subgroups"]["reason"]


def test_rows_without_a_group_are_listed_not_lost():
    result = analyze(_frame(5), AnalysisSettings(method="DL", by="grp", tau_common=False))
    sub = result.to_dict()["subgroups"]
    assert sub["dropped"] == [{"row": 5, "study": "D", "reason": "no value in column 'grp'"}]
    assert [g["k"] for g in sub["groups"]] == [2, 2]
    assert "Subgroups by grp (separate tau^2)" in result.summary()


def test_unknown_group_column_names_it():
    with pytest.raises(DataError, match="grp2"):
        analyze(_frame(3), AnalysisSettings(by="grp2"))
    with pytest.raises(ValueError, match="min_k_subgroup"):
        AnalysisSettings(min_k_subgroup=0)
