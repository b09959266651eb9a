"""Mantel–Haenszel (OR, RR, RD) and Peto pooling against R metafor 3.8-1 ``rma.mh``/``rma.peto``
(fixture: tests/reference/pooling.R → pooling.json), 1e-6 relative."""

from __future__ import annotations

import json

import pytest

from metareview.stats.mantel_haenszel import mantel_haenszel
from metareview.stats.peto import peto
from tests.conftest import REPO

FIXTURE = json.loads((REPO / "tests" / "reference" / "pooling.json").read_text())
FIELDS = (
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "statistic",
    "pvalue",
    "q",
    "q_df",
    "q_pvalue",
    "i2",
    "h2",
    "k",
    "cmh",
    "cmh_pvalue",
    "tarone",
    "tarone_pvalue",
)


@pytest.mark.parametrize(
    "case", FIXTURE["binary"], ids=lambda c: f"{c['dataset']}-{c['model']}-{c['measure']}"
)
def test_against_metafor(case):
    table = FIXTURE["tables"][case["dataset"]]
    cells = [table[name] for name in ("ai", "bi", "ci", "di")]
    if case["model"] == "MH":
        res = mantel_haenszel(*cells, measure=case["measure"])
    else:
        res = peto(*cells)
    for name in FIELDS:
        if name in case["result"]:
            assert getattr(res, name) == pytest.approx(case["result"][name], rel=1e-6, abs=1e-9), (
                name
            )


def test_bad_tables_are_rejected():
    with pytest.raises(ValueError, match="cell b must be a count >= 0; table 2"):
        mantel_haenszel([1, 2], [3, -1], [1, 1], [5, 5])
    with pytest.raises(ValueError, match="no participants"):
        peto([0, 2], [0, 3], [1, 1], [5, 5])
    with pytest.raises(ValueError, match="measure must be one of OR, RR, RD"):
        mantel_haenszel([1], [3], [1], [5], measure="HR")


def test_result_renders():
    res = mantel_haenszel([4, 6, 3], [119, 300, 228], [11, 29, 11], [128, 274, 209])
    assert "Mantel-Haenszel" in res.summary() and "Tarone" in res.summary()
    assert res.to_dict()["measure"] == "OR" and "<pre>" in res._repr_html_()
