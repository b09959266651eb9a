"""Agreement coefficients against published worked examples and documented R values."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metareview.records.agreement import agreement

DATA = Path(__file__).parent / "data" / "irrcac"


def expand_table(table, labels):
    """Two raters' ratings from a contingency table (rows: rater 1, columns: rater 2)."""
    first, second = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            first += [labels[i]] * count
            second += [labels[j]] * count
    return {"rater1": first, "rater2": second}


def raters_from_distribution(rows):
    """Raw ratings (one list per rater) from counts of raters per subject and category."""
    raters: dict[str, list[int]] = {}
    for row in rows:
        ratings = [c for c, n in enumerate(row) for _ in range(n)]
        for k, rating in enumerate(ratings):
            raters.setdefault(f"r{k}", []).append(rating)
    return raters


def test_irrcac_cont3x3abstractors():
    """irrCAC 1.0 vignette "overview" (Gwet): kappa2.table, gwet.ac1.table, bp2.table and
    pa2.table on cont3x3abstractors print 0.7964094, 0.8493305, 0.835 and 0.89."""
    labels = ["Ectopic", "AIU", "NIU"]
    result = agreement(expand_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]], labels))
    assert result.cohen_kappa == pytest.approx(0.7964094, rel=1e-6)
    assert result.gwet_ac1 == pytest.approx(0.8493305, rel=1e-6)
    assert result.pabak == pytest.approx(0.835, rel=1e-6)  # Brennan-Prediger, q = 3
    assert result.percent_agreement == pytest.approx(0.89, rel=1e-6)


# irrCAC 1.0 (Gwet), README and vignette "overview": coeff.se, coeff.ci (printed to three
# decimals) and coeff.pval of kappa2.table, gwet.ac1.table, bp2.table, pa2.table and
# scott2.table (Scott's π is Fleiss' κ for two raters) on cont3x3abstractors.
IRRCAC_TABLE = {
    "cohen_kappa": (0.05891072, 0.68, 0.913),
    "gwet_ac1": (0.04321747, 0.764, 0.935),
    "pabak": (0.04693346, 0.742, 0.928),
    "percent_agreement": (0.03128898, 0.828, 0.952),
    "fleiss_kappa": (0.05905473, 0.679, 0.913),
}


@pytest.mark.parametrize("key", IRRCAC_TABLE)
def test_irrcac_cont3x3abstractors_precision(key):
    labels = ["Ectopic", "AIU", "NIU"]
    result = agreement(expand_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]], labels))
    se, lower, upper = IRRCAC_TABLE[key]
    precision = result.precision[key]
    assert precision.se == pytest.approx(se, rel=1e-6)
    assert (precision.ci_lower, precision.ci_upper) == pytest.approx((lower, upper), abs=5e-4)
    assert precision.p_value < 1e-12  # printed as 0e+00 (t ≈ 13.5 on 99 df)


# irrCAC 1.0 README: gwet.ac1.dist, fleiss.kappa.dist and bp.coeff.dist on distrib.6raters
# (15 patients, 6 psychiatrists, 5 categories; in tests/data/irrcac a row per patient: how
# many psychiatrists chose each category): coeff, stderr, conf.int, p.value.
DISTRIB_6RATERS = pd.read_csv(DATA / "distrib_6raters.csv").to_numpy().tolist()  # 15 x 5
IRRCAC_DIST = {
    "gwet_ac1": (0.4448007, 0.08418757, 0.264, 0.625, 0.0001155927),
    "fleiss_kappa": (0.4139265, 0.08119291, 0.24, 0.588, 0.0001622724),
    "pabak": (0.4388889, 0.08312142, 0.261, 0.617, 0.0001163),
}


@pytest.mark.parametrize("key", IRRCAC_DIST)
def test_irrcac_distrib_6raters(key):
    result = agreement(raters_from_distribution(DISTRIB_6RATERS), categories=range(5))
    value, se, lower, upper, p_value = IRRCAC_DIST[key]
    precision = result.precision[key]
    assert getattr(result, key) == pytest.approx(value, rel=1e-6)
    assert result.percent_agreement == pytest.approx(0.5511111, rel=1e-6)
    assert precision.se == pytest.approx(se, rel=1e-6)
    assert (precision.ci_lower, precision.ci_upper) == pytest.approx((lower, upper), abs=5e-4)
    assert precision.p_value == pytest.approx(p_value, rel=1e-3 if key == "pabak" else 1e-6)


def test_percent_agreement_of_two_raters_has_the_binomial_standard_error():
    """Two raters agree on 90 of 100 subjects: SE = sqrt(0.9 · 0.1 / 100) = 0.03; the 90%
    interval uses Student's t on 99 df."""
    result = agreement(expand_table([[20, 5], [5, 70]], ["include", "exclude"]), None, 0.90)
    precision = result.precision["percent_agreement"]
    assert precision.se == pytest.approx(0.03, rel=1e-12)
    half = 0.03 * 1.6603911560169906  # qt(0.95, 99)
    assert precision.ci_lower == pytest.approx(0.9 - half, rel=1e-9)
    assert result.to_dict()["precision"]["percent_agreement"]["se"] == pytest.approx(0.03)
    assert "90% CI" in result.summary()


def test_fleiss_1971_worked_example():
    """Fleiss (1971) as worked on 10 subjects, 14 raters, 5 categories: P̄ = 0.378,
    P̄e = 0.213, κ = 0.210 (to three decimals)."""
    counts = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    result = agreement(raters_from_distribution(counts))
    assert result.percent_agreement == pytest.approx(0.378, abs=5e-4)
    assert result.fleiss_kappa == pytest.approx(0.210, abs=5e-4)
    assert result.cohen_kappa is None


def test_two_by_two_by_hand():
    """a=20 both include, d=70 both exclude, b=5, c=5 (n=100): po=0.9,
    pe=0.25²+0.75²=0.625, κ=0.275/0.375; PABAK=2·0.9−1; AC1 pe=2·0.25·0.75=0.375."""
    result = agreement(expand_table([[20, 5], [5, 70]], ["include", "exclude"]))
    assert result.cohen_kappa == pytest.approx(0.275 / 0.375, rel=1e-12)
    assert result.pabak == pytest.approx(0.8, rel=1e-12)
    assert result.gwet_ac1 == pytest.approx((0.9 - 0.375) / 0.625, rel=1e-12)
    # with two raters and equal margins Fleiss' κ equals Cohen's
    assert result.fleiss_kappa == pytest.approx(result.cohen_kappa, rel=1e-12)


def test_subjects_rated_by_some_are_counted_not_used():
    result = agreement(
        {"a": {1: "include", 2: "exclude", 3: "include"}, "b": {1: "include", 2: "exclude"}}
    )
    assert (result.subjects, result.incomplete) == (2, 1)
    assert result.to_dict()["incomplete"] == 1 and "left out" in result.summary()


def test_perfect_agreement_on_one_category_leaves_kappa_undefined():
    result = agreement({"a": ["exclude"] * 5, "b": ["exclude"] * 5})
    assert math.isnan(result.cohen_kappa) and result.to_dict()["cohen_kappa"] is None
    assert result.percent_agreement == 1.0


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="at least two raters"):
        agreement({"a": [1, 2]})
    with pytest.raises(ValueError, match="same subjects"):
        agreement({"a": [1, 2], "b": [1]})
    with pytest.raises(ValueError, match="not among categories"):
        agreement({"a": ["x"], "b": ["y"]}, categories=["x"])
    with pytest.raises(ValueError, match="confidence_level must be between 0 and 1"):
        agreement({"a": [1, 2], "b": [1, 2]}, confidence_level=95)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("IEM"), st.sampled_from("IEM")), min_size=2, max_size=40))
def test_properties(pairs):
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    result = agreement({"a": a, "b": b})
    swapped = agreement({"b": b, "a": a})
    for key in ("percent_agreement", "pabak", "gwet_ac1", "fleiss_kappa", "cohen_kappa"):
        x, y = getattr(result, key), getattr(swapped, key)
        assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y)
    assert 0 <= result.percent_agreement <= 1
    assert result.percent_agreement == pytest.approx(np.mean([x == y for x, y in pairs]))
    if not math.isnan(result.cohen_kappa):
        assert -1 - 1e-12 <= result.cohen_kappa <= 1 + 1e-12
    for key, precision in result.precision.items():
        value = getattr(result, key)
        if not math.isnan(precision.se):
            assert precision.ci_lower <= value + 1e-12 and value - 1e-12 <= precision.ci_upper
            assert 0 <= precision.p_value <= 1
