"""Agreement of metareview.stats.multilevel with R (fixture: tests/reference/multilevel.R → .json).

metafor 3.8-1 ``rma.mv(yi, vi, random = ~ 1 | study/es)`` with ``confint``, ``predict``,
``anova`` (LRT for dropping a level) and ``robust`` (CR1); clubSandwich 0.5.8 ``coef_test``,
``conf_int`` (CR2, Satterthwaite), ``Wald_test`` (HTZ) and ``impute_covariance_matrix`` (CHE);
on metadat's ``dat.konstantopoulos2011`` (districts/schools) and ``dat.assink2016``
(studies/effects). Tolerance 1e-6 relative, 1e-5 for profile-likelihood CIs; R's fits were made
at exact roots (bobyqa, rhoend 1e-12).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from metareview.stats.multilevel import fit_multilevel
from tests.conftest import REPO

FIXTURE = json.loads((REPO / "tests" / "reference" / "multilevel.json").read_text())
REL, PROFILE_REL, ABS = 1e-6, 1e-5, 1e-12


def close(actual, expected, rel=REL):
    return np.ravel(np.asarray(actual, float)).tolist() == pytest.approx(
        np.ravel(np.asarray(expected, float)).tolist(), rel=rel, abs=ABS
    )


def data_of(name):
    return FIXTURE["data"][name]


def fit(d, **options):
    """``fit_multilevel`` of a data set's ``yi``, ``vi`` and ``study`` columns."""
    return fit_multilevel(d["yi"], d["vi"], d["study"], **options)


def check_robust(result, expected):
    assert close(result.se, expected["se"]), "se"
    assert close(result.df, np.broadcast_to(expected["df"], len(result.df))), "df"
    assert close(result.statistic, expected["statistic"]), "statistic"
    assert close(result.pvalue, expected["pvalue"]), "pvalue"
    assert close(result.ci_lower, expected["ci_lower"]) and close(
        result.ci_upper, expected["ci_upper"]
    )


def test_fixture_records_reference_versions():
    assert FIXTURE["software"] == (
        "R metafor 3.8.1 / metadat 1.2.0 / clubSandwich 0.5.8 / robumeta 2.0"
    )


def test_published_konstantopoulos2011_example():
    """metafor's analysis example (Konstantopoulos 2011): REML, rounded to 4 decimals."""
    published = FIXTURE["published"]["konstantopoulos2011"]
    d = data_of("konstantopoulos2011")
    res = fit(d)
    assert round(res.estimate[0], 4) == published["estimate"]
    assert round(res.se[0], 4) == published["se"]
    assert [round(s, 4) for s in res.sigma2] == published["sigma2"]
    assert [[round(b, 4) for b in ci] for ci in res.sigma2_ci] == published["sigma2_ci"]


def case_id(case):
    return f"{case['dataset']}-{case['method']}-{case['test']}"


@pytest.mark.parametrize("case", FIXTURE["threelevel"], ids=case_id)
def test_threelevel_rma_mv(case):
    d, expected = data_of(case["dataset"]), case["result"]
    res = fit(d, method=case["method"], test=case["test"], robust="CR2")
    for name, key in [
        ("estimate", "beta"),
        ("se", "se"),
        ("statistic", "statistic"),
        ("pvalue", "pvalue"),
        ("ci_lower", "ci_lower"),
        ("ci_upper", "ci_upper"),
    ]:
        assert close(getattr(res, name), expected[key]), name
    assert res.df == (len(d["yi"]) - 1 if case["test"] == "t" else None)
    assert close(res.sigma2, expected["sigma2"])
    assert res.at_boundary == (False, False)
    assert close(np.ravel(res.sigma2_ci), np.ravel(expected["sigma2_ci"]), rel=PROFILE_REL)
    assert close([res.pi_lower, res.pi_upper], [expected["pi_lower"], expected["pi_upper"]])
    for name in ("loglik", "deviance", "aic", "bic", "qe", "qe_pvalue"):
        assert close(getattr(res, name), expected[name]), name
    tests = {t.level: t for t in res.level_tests}
    for level in ("between", "within"):
        assert close(tests[level].statistic, expected["lrt"][level]["statistic"])
        assert close(tests[level].pvalue, expected["lrt"][level]["pvalue"])
    i2 = res.i2.to_dict()
    for part in ("sampling", "within", "between", "total"):
        assert close(i2[part], expected["i2"][part]), part
    check_robust(res.robust, expected["robust"]["cr2"])
    cr1 = fit(d, method=case["method"], test=case["test"], robust="CR1", profile=False)
    check_robust(cr1.robust, expected["robust"]["cr1"])


@pytest.mark.parametrize("case", FIXTURE["moderators"], ids=lambda c: f"{c['dataset']}-{c['test']}")
def test_moderators_omnibus_and_wald(case):
    d, expected = data_of(case["dataset"]), case["result"]
    mods = np.asarray(expected["design"])[:, 1:]
    res = fit(d, mods=mods, test=case["test"], robust="CR2", profile=False)
    assert close(res.estimate, expected["beta"]) and close(res.se, expected["se"])
    assert close(res.pvalue, expected["pvalue"]) and close(res.sigma2, expected["sigma2"])
    assert close(res.qm, expected["qm"]) and close(res.qm_pvalue, expected["qm_pvalue"])
    assert list(res.qm_df) == np.ravel(expected["qm_df"]).tolist()
    assert res.pi_lower is None
    check_robust(res.robust, expected["robust"]["cr2"])
    htz = expected["robust"]["htz"]
    wald = res.robust.wald
    assert list(wald.coefficients) == list(np.atleast_1d(htz["coefficients"]))
    assert close(
        [wald.statistic, wald.df_num, wald.df_denom, wald.pvalue],
        [htz["fstat"], htz["df_num"], htz["df_denom"], htz["pvalue"]],
    )
    cr1 = fit(d, mods=mods, test=case["test"], robust="CR1", profile=False)
    expected_cr1 = expected["robust"]["cr1"]
    check_robust(cr1.robust, expected_cr1)
    assert close(
        [cr1.robust.wald.statistic, cr1.robust.wald.pvalue],
        [expected_cr1["qm"], expected_cr1["qm_pvalue"]],
    )
    assert [cr1.robust.wald.df_num, cr1.robust.wald.df_denom] == expected_cr1["qm_df"]


@pytest.mark.parametrize(
    "case", FIXTURE["che"], ids=lambda c: f"{c['dataset']}-rho{c['rho']}-smooth{c['smooth_vi']}"
)
def test_che_working_model(case):
    d, expected = data_of(case["dataset"]), case["result"]
    res = fit(
        d, rho=case["rho"], smooth_vi=case["smooth_vi"], test="t", robust="CR2", profile=False
    )
    assert res.model == "che"
    assert close(res.estimate, expected["beta"]) and close(res.se, expected["se"])
    assert close(res.sigma2, expected["sigma2"]) and close(res.loglik, expected["loglik"])
    assert close([res.pi_lower, res.pi_upper], [expected["pi_lower"], expected["pi_upper"]])
    assert close(res.qe, expected["qe"])
    check_robust(res.robust, expected["robust"]["cr2"])


@pytest.mark.parametrize(
    "case", FIXTURE["che"][:4], ids=lambda c: f"rho{c['rho']}-smooth{c['smooth_vi']}"
)
def test_imputed_covariance_equals_clubsandwich(case):
    from metareview.stats.multilevel.clusters import Clusters
    from metareview.stats.multilevel.covariance import impute_covariance

    d, expected = data_of(case["dataset"]), case["result"]
    clusters = Clusters.from_labels(d["study"])
    vi = np.asarray(d["vi"])[clusters.order]
    cov = impute_covariance(vi, clusters, case["rho"], smooth_vi=case["smooth_vi"])
    assert close(clusters.unsort(cov.variances()), expected["V_diag"])
    first = clusters.labels.index(str(d["study"][0]))
    assert close(cov.dense_block(first), expected["V_first_block"])


@pytest.mark.parametrize(
    "case",
    FIXTURE["robumeta"],
    ids=lambda c: f"{c['dataset']}-{c['weights']}-small{c['small']}-mod{c['moderator']}",
)
def test_robumeta_correlated_and_hierarchical_weights(case):
    from metareview.stats.multilevel.robumeta import robu_fit

    d, expected = data_of(case["dataset"]), case["result"]
    res = robu_fit(
        d["yi"], d["vi"], d["study"], mods=np.asarray(d["x"]) if case["moderator"] else None,
        weights=case["weights"], rho=case["rho"], small=case["small"],
    )  # fmt: skip
    for name, key in [("estimate", "beta"), ("se", "se"), ("statistic", "statistic"),
                      ("df", "df"), ("pvalue", "pvalue"), ("ci_lower", "ci_lower"),
                      ("ci_upper", "ci_upper")]:  # fmt: skip
        assert close(getattr(res, name), expected[key]), name
    assert close(res.tau2, expected["tau2"])
    if case["weights"] == "HIER":
        assert close(res.omega2, expected["omega2"])


def test_boundary_fit_reports_zero_within_variance_as_metafor():
    """Identical effects within each district: metafor stops at σ²_within ≈ 1e-12 (printed
    0.0000); the fit reports it as 0 on the boundary with metafor's other values."""
    d, expected = data_of("konstantopoulos2011"), FIXTURE["boundary"]
    res = fit_multilevel(expected["yi"], d["vi"], d["study"])
    assert res.sigma2[1] == 0.0 and res.at_boundary == (False, True)
    assert "sigma2 within is on the boundary (0)" in res.warnings
    assert close(res.sigma2[0], expected["sigma2"][0])
    assert close([res.estimate[0], res.se[0]], [expected["beta"], expected["se"]])
    assert close(res.loglik, expected["loglik"])
    assert close(np.ravel(res.sigma2_ci), np.ravel(expected["sigma2_ci"]), rel=PROFILE_REL)
