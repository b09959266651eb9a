"""RevMan 5's "M-H, Random" model against metafor 3.8-1 composed as RevMan computes it
(``rma.mh`` with the zero-cell correction inside MH, Q = its ``QE``, DerSimonian–Laird τ² from
that Q, ``rma(tau2 = …)``): fixture tests/reference/mh_random.R → mh_random.json, 1e-6 relative."""

from __future__ import annotations

import json

import pytest

from metareview.stats.mh_random import mantel_haenszel_random
from metareview.stats.pooling import pool
from tests.conftest import REPO

FIXTURE = json.loads((REPO / "tests" / "reference" / "mh_random.json").read_text())
MODEL_FIELDS = ("estimate", "se", "ci_lower", "ci_upper", "statistic", "pvalue")


def close(value, expected):
    return value == pytest.approx(expected, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: f"{c['dataset']}-{c['measure']}")
def test_against_metafor(case):
    res = mantel_haenszel_random(
        case["ai"], case["bi"], case["ci"], case["di"], measure=case["measure"]
    )
    assert res.k == case["k"] and res.excluded == 0
    for name in MODEL_FIELDS:
        assert close(getattr(res.fixed, name), case["fixed"][name]), f"fixed.{name}"
        assert close(getattr(res.random, name), case["random"][name]), f"random.{name}"
    for name in ("q", "q_df", "q_pvalue", "i2", "tau2"):
        assert close(getattr(res, name), case[name]), name
    assert list(res.yi) == pytest.approx(case["yi"], rel=1e-9)
    assert list(res.weights) == pytest.approx(case["weights"], rel=1e-6)


def test_double_zero_tables_are_counted_out_of_ratios_and_kept_for_rd():
    """The ``sparse`` set has one double-zero table: the fixture's OR case was fitted without it
    (k = 5), its RD case with it (k = 6); given all six tables the OR result must equal the
    fixture and say what it left out."""
    odds = next(c for c in FIXTURE["cases"] if c["dataset"] == "sparse" and c["measure"] == "OR")
    rd = next(c for c in FIXTURE["cases"] if c["dataset"] == "sparse" and c["measure"] == "RD")
    full = [rd["ai"], rd["bi"], rd["ci"], rd["di"]]
    res = mantel_haenszel_random(*full, measure="OR", studies=list("ABCDEF"))
    assert res.excluded == 1 and res.studies == ("A", "B", "D", "E", "F")
    assert "C: no events (or only events) in both arms" in res.warnings[0]
    assert close(res.random.estimate, odds["random"]["estimate"])
    assert mantel_haenszel_random(*full, measure="RD").k == 6


def test_q_is_around_the_mantel_haenszel_estimate_not_the_inverse_variance_one():
    """Sparse RD: Q (never smaller than around the IV estimate, where Q is least), τ² and the
    pooled mean differ from inverse-variance DL on the same effects — RevMan's variant."""
    case = next(c for c in FIXTURE["cases"] if c["dataset"] == "sparse" and c["measure"] == "RD")
    res = mantel_haenszel_random(case["ai"], case["bi"], case["ci"], case["di"], measure="RD")
    iv = pool(res.yi, res.vi, method="DL")
    assert iv.q < res.q and iv.tau2 < 0.8 * res.tau2
    assert abs(iv.random.estimate - res.random.estimate) > 1e-3


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="every one is a double-zero table"):
        mantel_haenszel_random([0, 0], [10, 12], [0, 0], [9, 11])
    with pytest.raises(ValueError, match="add must be > 0"):
        mantel_haenszel_random([1, 2], [10, 12], [3, 0], [9, 11], add=0)
    with pytest.raises(ValueError, match="studies must have 2 labels"):
        mantel_haenszel_random([1, 2], [10, 12], [3, 1], [9, 11], studies=["A"])


def test_result_renders_and_serialises():
    res = mantel_haenszel_random([4, 6, 3], [119, 300, 228], [11, 29, 11], [128, 274, 209])
    doc = res.to_dict()
    assert doc["model"] == "MH-random" and len(doc["studies"]) == 3
    assert set(doc["heterogeneity"]) >= {"tau2", "q", "q_df", "q_pvalue", "i2"}
    assert "M-H, Random" in res.summary() and "<pre>" in res._repr_html_()
