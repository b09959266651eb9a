"""Pooling: hand-checkable cases, edge cases, validation and a published example."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from metareview.plan.analysis import AnalysisSettings, analyze
from metareview.stats.pooling import pool
from metareview.stats.tau2 import TAU2_METHODS, estimate_tau2


def test_fixed_effect_by_hand():
    """Three studies with weights 25, 20, 33.3: mean = Σwy/Σw, SE = 1/√Σw."""
    yi, vi = np.array([0.2, 0.5, 0.3]), np.array([0.04, 0.05, 0.03])
    w = 1 / vi
    res = pool(yi, vi, method="FE")
    assert res.fixed.estimate == pytest.approx((w @ yi) / w.sum(), rel=1e-12)
    assert res.fixed.se == pytest.approx(1 / math.sqrt(w.sum()), rel=1e-12)
    q = float(w @ (yi - (w @ yi) / w.sum()) ** 2)
    assert res.q == pytest.approx(q, rel=1e-12)
    assert res.random.estimate == res.fixed.estimate
    assert res.random.pi_lower is None


def test_dersimonian_laird_by_hand():
    """τ²_DL = (Q − (k − 1)) / (Σw − Σw²/Σw) on equal variances: the sample variance minus v."""
    yi = np.array([0.1, 0.5, 0.9, 1.3])
    vi = np.full(4, 0.02)
    fit = estimate_tau2(yi, vi, "DL")
    assert fit.tau2 == pytest.approx(np.var(yi, ddof=1) - 0.02, rel=1e-12)
    # with equal variances all moment and likelihood estimators but ML/HS agree with DL
    for method in ("REML", "PM", "EB", "HE"):
        assert estimate_tau2(yi, vi, method).tau2 == pytest.approx(fit.tau2, rel=1e-9)
    assert estimate_tau2(yi, vi, "ML").tau2 == pytest.approx(np.var(yi) - 0.02, rel=1e-9)


def test_knha_scales_se_by_generalised_q():
    yi, vi = [0.1, 0.5, 0.9, 0.2, 0.4], [0.02, 0.03, 0.02, 0.05, 0.01]
    z = pool(yi, vi, method="DL")
    hk = pool(yi, vi, method="DL", ci_method="knha")
    w = 1 / (np.array(vi) + z.tau2)
    s2 = float(w @ (np.array(yi) - z.random.estimate) ** 2) / 4
    assert hk.random.se == pytest.approx(z.random.se * math.sqrt(s2), rel=1e-12)
    assert hk.random.df == 4 and z.random.df is None
    adhoc = pool(yi, vi, method="DL", ci_method="adhoc")
    assert adhoc.random.se == pytest.approx(z.random.se * math.sqrt(max(1.0, s2)), rel=1e-12)


def test_adhoc_never_narrower_than_z():
    """Homogeneous data make the HK factor < 1; adhoc truncates it at 1."""
    yi, vi = [0.30, 0.31, 0.29, 0.30], [0.05, 0.04, 0.06, 0.05]
    z = pool(yi, vi, method="REML")
    assert pool(yi, vi, method="REML", ci_method="knha").random.se < z.random.se
    assert pool(yi, vi, method="REML", ci_method="adhoc").random.se == pytest.approx(z.random.se)


def test_boundary_tau2_is_exactly_zero():
    yi, vi = [0.30, 0.31, 0.29, 0.30], [0.05, 0.04, 0.06, 0.05]
    for method in set(TAU2_METHODS) - {"SJ"}:  # SJ is positive by construction
        fit = estimate_tau2(yi, vi, method)
        assert fit.tau2 == 0.0 and fit.converged


def test_single_study_returns_itself_with_warning():
    res = pool([0.4], [0.09], studies=["Solo 2020"])
    assert res.k == 1
    assert res.random.estimate == 0.4 and res.random.se == pytest.approx(0.3)
    assert res.tau2 == 0.0 and res.q_pvalue is None
    assert any("one study" in w for w in res.warnings)


def test_two_studies_work_with_every_estimator_and_ci():
    for method in TAU2_METHODS:
        for ci in ("z", "knha", "adhoc"):
            res = pool([0.1, 0.9], [0.04, 0.05], method=method, ci_method=ci)
            assert res.k == 2 and res.converged
            assert res.random.ci_lower < res.random.estimate < res.random.ci_upper


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"method": "reml2"},
            "method must be one of FE, DL, REML, ML, PM, SJ, HE, EB, HS; got 'reml2'",
        ),
        ({"ci_method": "hk"}, "ci_method must be one of z, knha, adhoc; got 'hk'"),
        ({"preset": "stata"}, "preset must be one of metafor, meta, revman5, metapsy, cma"),
        ({"level": 95}, "level must be between 0 and 1"),
    ],
)
def test_vocabularies_are_validated_up_front(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        pool([0.1, 0.2], [0.1, 0.1], **kwargs)


@pytest.mark.parametrize(
    ("yi", "vi", "message"),
    [
        ([0.1, 0.2], [0.1, 0.0], "vi must be > 0; study 2"),
        ([0.1, float("nan")], [0.1, 0.1], "finite"),
        ([0.1, 0.2, 0.3], [0.1, 0.1], "one length"),
        ([], [], "at least one study"),
    ],
)
def test_bad_numbers_are_rejected(yi, vi, message):
    with pytest.raises(ValueError, match=message):
        pool(yi, vi)


def test_result_serialises_with_the_documented_keys():
    res = pool([0.1, 0.5, 0.9], [0.02, 0.03, 0.02], studies=["A", "B", "C"])
    doc = res.to_dict()
    assert set(doc["fixed"]) == {"estimate", "se", "ci_lower", "ci_upper", "statistic", "pvalue"}
    assert set(doc["random"]) == {
        "estimate",
        "se",
        "ci_lower",
        "ci_upper",
        "statistic",
        "df",
        "pvalue",
        "pi_lower",
        "pi_upper",
    }
    assert set(doc["heterogeneity"]) == {
        "tau2",
        "tau2_se",
        "tau2_ci",
        "tau",
        "tau_ci",
        "i2",
        "i2_ci",
        "h2",
        "h2_ci",
        "q",
        "q_df",
        "q_pvalue",
    }
    assert [s["study"] for s in doc["studies"]] == ["A", "B", "C"]
    assert sum(s["weight"] for s in doc["studies"]) == pytest.approx(100.0)
    assert "Random-Effects Model (k = 3" in res.summary()
    assert "<table" in res._repr_html_()


def test_q_based_i2_and_test_based_ci():
    """meta/RevMan: I² = (Q − df)/Q; H CI from ln H ± z·SE (Higgins & Thompson 2002)."""
    yi = [0.1, 0.6, 0.9, 0.2, 0.4, 1.1]
    vi = [0.02, 0.03, 0.02, 0.05, 0.01, 0.04]
    res = pool(yi, vi, preset="meta")
    assert res.i2 == pytest.approx(100 * (res.q - 5) / res.q, rel=1e-12)
    se = 0.5 * (math.log(res.q) - math.log(5)) / (math.sqrt(2 * res.q) - math.sqrt(2 * 6 - 3))
    h = math.sqrt(res.q / 5)
    assert res.h2_ci[1] == pytest.approx(math.exp(math.log(h) + 1.959963984540054 * se) ** 2)


def test_revman_preset_reports_no_tau2_ci_or_prediction_interval():
    res = pool([0.1, 0.6, 0.9, 0.2], [0.02, 0.03, 0.02, 0.05], preset="revman5")
    assert res.method == "DL" and res.tau2_ci is None and res.random.pi_lower is None


def test_thirdwave_meta_preset_reproduces_the_book(shared_data):
    """Harrer et al., "Doing Meta-Analysis with R" (2021), ch. 4.2.1, ``m.gen`` on ThirdWave:
    metagen(TE, seTE, method.tau = "REML", hakn = TRUE) prints
    SMD 0.5771 [0.3782; 0.7760], t = 6.12; tau^2 = 0.0820 [0.0295; 0.3533];
    tau = 0.2863 [0.1717; 0.5944]; I^2 = 62.6% [37.9%; 77.5%]; H = 1.64 [1.27; 2.11];
    Q = 45.50, df = 17, p = 0.0002 (the printout is checked against a public copy of the book's
    output; that ``m.gen`` call prints no prediction interval, so none is asserted here)."""
    data = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv")
    res = pool(data["TE"], data["seTE"] ** 2, preset="meta", ci_method="knha")
    r = lambda x, d=4: round(x, d)  # noqa: E731
    assert (r(res.random.estimate), r(res.random.ci_lower), r(res.random.ci_upper)) == (
        0.5771,
        0.3782,
        0.7760,
    )
    assert r(res.random.statistic, 2) == 6.12
    assert (r(res.tau2), r(res.tau2_ci[0]), r(res.tau2_ci[1])) == (0.0820, 0.0295, 0.3533)
    assert (r(res.tau), r(res.tau_ci[0]), r(res.tau_ci[1])) == (0.2863, 0.1717, 0.5944)
    assert (r(res.i2, 1), r(res.i2_ci[0], 1), r(res.i2_ci[1], 1)) == (62.6, 37.9, 77.5)
    h_ci = [math.sqrt(b) for b in res.h2_ci]
    assert (r(math.sqrt(res.h2), 2), r(h_ci[0], 2), r(h_ci[1], 2)) == (1.64, 1.27, 2.11)
    assert (r(res.q, 2), res.q_df, r(res.q_pvalue, 4)) == (45.50, 17, 0.0002)


def test_analyze_drops_nothing_silently_and_keeps_rows(shared_data):
    settings = AnalysisSettings(
        preset="meta", ci_method="knha", columns={"study": "Author", "yi": "TE", "sei": "seTE"}
    )
    result = analyze(shared_data / "dmetar" / "ThirdWave.csv", settings)
    doc = result.to_dict()
    assert doc["k"] == 18 and doc["dropped"] == []
    assert doc["studies"][0] == {
        "row": 2,
        "study": "Call et al.",
        "yi": pytest.approx(0.709136234756933),
        "vi": pytest.approx(0.260820178547769**2),
        "weight": pytest.approx(doc["studies"][0]["weight"]),
    }
    assert {
        "k",
        "measure",
        "preset",
        "method",
        "ci_method",
        "studies",
        "fixed",
        "random",
        "heterogeneity",
        "warnings",
        "dropped",
    } <= set(doc)


def test_jackson_ci_equals_qprofile_when_variances_are_equal():
    """With equal vᵢ the 1/sᵢ weights are proportional to 1/vᵢ and Q_a/λ is exactly χ²(k − 1),
    so Jackson's CI coincides with the Q-profile CI."""
    from metareview.stats.heterogeneity import qprofile_tau2_ci
    from metareview.stats.jackson import jackson_tau2_ci
    from metareview.stats.wls import LinearModel

    yi, vi = np.array([0.1, 0.5, 0.9, 0.2, 0.7, -0.3]), np.full(6, 0.04)
    jackson = jackson_tau2_ci(yi, vi)
    assert jackson == pytest.approx(qprofile_tau2_ci(LinearModel(yi, vi)), rel=1e-7)


def test_weighted_chi2_cdf_against_numerical_convolution():
    """P(λ₁χ²₁ + λ₂χ²₁ ≤ x) by integrating the χ²₁ density against the χ²₁ cdf."""
    from scipy import integrate, stats

    from metareview.stats.jackson import weighted_chi2_cdf

    lam1, lam2, x = 0.6, 2.5, 3.0
    expected, _ = integrate.quad(
        lambda s: stats.chi2.pdf(s, 1) * stats.chi2.cdf((x - lam1 * s) / lam2, 1),
        0,
        x / lam1,
        epsabs=1e-12,
        limit=200,
    )
    assert weighted_chi2_cdf(x, np.array([lam1, lam2])) == pytest.approx(expected, abs=1e-8)


def test_meta_preset_uses_jackson_for_dl_and_qprofile_otherwise():
    yi = [0.1, 0.6, 0.9, 0.2, 0.4, 1.1]
    vi = [0.02, 0.03, 0.02, 0.05, 0.01, 0.04]
    dl = pool(yi, vi, preset="meta", method="DL")
    reml = pool(yi, vi, preset="meta", method="REML")
    assert dl.conventions["tau2_ci_method"] == "jackson"
    assert reml.conventions["tau2_ci_method"] == "qprofile"
    assert dl.tau2_ci[0] < dl.tau2 < dl.tau2_ci[1]
    assert dl.tau2_ci != pool(yi, vi, method="DL").tau2_ci  # metafor: Q-profile


def test_weighted_chi2_cdf_against_simulation():
    """17 unequal weights (ThirdWave's at τ² = 0.1): seeded Monte Carlo, 200,000 draws."""
    from metareview.stats.jackson import weighted_chi2_cdf

    lam = np.linspace(0.65, 0.98, 17) ** 1.5
    draws = (np.random.default_rng(5).chisquare(1, (200_000, 17)) * lam).sum(axis=1)
    for x in (6.0, 11.0, 18.0):
        assert weighted_chi2_cdf(x, lam) == pytest.approx((draws <= x).mean(), abs=4e-3)


def test_to_frame_and_back_transformed_summary_for_ratio_measures(tmp_path):
    res = pool([0.1, 0.5, 0.9], [0.02, 0.03, 0.02], studies=["A", "B", "C"])
    frame = res.to_frame()
    assert list(frame.columns) == ["study", "yi", "vi", "weight"]
    assert frame["weight"].sum() == pytest.approx(100.0)
    path = tmp_path / "trials.csv"
    path.write_text(
        "study,event_arm1,totaln_arm1,event_arm2,totaln_arm2\nA,3,40,6,40\nC,5,50,9,52\nD,2,30,7,31\n"
    )
    result = analyze(path, AnalysisSettings(measure="OR", method="DL"))
    text = result.summary()
    assert "Back-transformed (OR):" in text
    expected = math.exp(result.pooled.random.estimate)
    assert f"random  {expected:.4f}" in text


def test_identical_effects_do_not_give_a_zero_hartung_knapp_se():
    from metareview.stats.batch import pool_many

    res = pool([0.3, 0.3, 0.3], [0.1, 0.2, 0.1], ci_method="knha")
    assert res.random.se == pytest.approx(res.fixed.se) and res.random.df == 2
    assert res.conventions["ci_method"] == "adhoc" and "identical" in res.warnings[0]
    frame = pd.DataFrame({"g": ["a"] * 3, "yi": [0.3] * 3, "vi": [0.1, 0.2, 0.1]})
    assert pool_many(frame, by="g", test="knha").loc["a", "se"] == pytest.approx(res.random.se)


def test_identical_effects_under_hartung_knapp_do_not_collapse_the_se():
    """Q of identical effects is 0 only up to rounding; the HK SE must not become ~1e-16
    (found by the shift-equivariance property: [0, 0] and [3, 3] must give the same SE)."""
    at_zero = pool([0.0, 0.0], [1.0, 0.15625], method="FE", ci_method="knha")
    shifted = pool([3.0, 3.0], [1.0, 0.15625], method="FE", ci_method="knha")
    assert shifted.random.se == pytest.approx(at_zero.random.se, rel=1e-9)
    assert shifted.random.se > 0.1
    assert shifted.conventions["ci_method"] == "adhoc"


def test_tau2_se_is_shown_where_tau2_is():
    """The SE of τ² (values checked against metafor in test_pooling_metafor) reaches the JSON
    document, the text summary (as metafor prints it) and the HTML table; the common-effect
    model and k = 1 have none and print none."""
    yi, vi = [0.1, 0.3, 0.5, 0.2, 0.9], [0.01, 0.02, 0.04, 0.03, 0.05]
    reml = pool(yi, vi, method="REML")
    assert reml.tau2_se is not None and reml.tau2_se > 0
    assert reml.to_dict()["heterogeneity"]["tau2_se"] == reml.tau2_se
    assert f"{reml.tau2:.4f} (SE = {reml.tau2_se:.4f})" in reml.summary()
    assert f"(SE = {reml.tau2_se:.4f})" in reml._repr_html_()
    fixed = pool(yi, vi, method="FE")
    assert fixed.tau2_se is None and "SE =" not in fixed.summary()
    assert pool([0.2], [0.01]).tau2_se is None
