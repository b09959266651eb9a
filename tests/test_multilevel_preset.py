"""The ``metapsy`` preset reproduces metapsyTools (>= 1.0.4) three-level and CHE models.

metapsyTools itself is not installable here; its computations are written out in R from its
documented defaults (``tests/reference/multilevel_metapsy.R`` → ``multilevel_metapsy.json``):
t tests, ρ = 0.6, variances averaged within studies, CR2 and a prediction interval on k − 1 df
with the robust SE. Tolerance 1e-6 relative.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from metareview.plan.analysis import AnalysisSettings, analyze
from metareview.plan.multilevel import MultilevelRequest, multilevel_section
from metareview.plan.plan import Settings
from metareview.plan.runner import combine_rho
from metareview.stats.presets import get_preset
from tests.conftest import REPO

FIXTURE = json.loads((REPO / "tests" / "reference" / "multilevel_metapsy.json").read_text())


def _frame(name):
    data = FIXTURE["data"][name]
    return pd.DataFrame(
        {"study": data["study"], "outcome": data["es"], "yi": data["yi"], "vi": data["vi"]}
    )


def _fit(name, model, **request):
    data = FIXTURE["data"][name]
    preset = get_preset("metapsy")
    return multilevel_section(
        np.asarray(data["yi"]), np.asarray(data["vi"]), [str(s) for s in data["study"]],
        MultilevelRequest(model=model, **request), tau2_method=preset.tau2_method,
        ci_method=preset.ci_method, level=0.95, preset=preset,
    )  # fmt: skip


@pytest.mark.parametrize("name", ["konstantopoulos2011", "assink2016"])
def test_metapsy_che_model(name):
    expected = FIXTURE["cases"][name]["che"]
    res = _fit(name, "che")
    assert (res.rho, res.smooth_vi, res.test, res.robust.method) == (0.6, True, "t", "CR2")
    assert res.estimate[0] == pytest.approx(expected["estimate"], rel=1e-6)
    assert res.se[0] == pytest.approx(expected["se"], rel=1e-6)
    assert list(res.sigma2) == pytest.approx(expected["sigma2"], rel=1e-6)
    robust = res.robust
    assert [robust.se[0], robust.df[0], robust.pvalue[0]] == pytest.approx(
        [expected["robust_se"], expected["robust_df"], expected["robust_pvalue"]], rel=1e-6
    )
    assert [robust.ci_lower[0], robust.ci_upper[0]] == pytest.approx(
        expected["robust_ci"], rel=1e-6
    )
    assert [res.pi_lower, res.pi_upper] == pytest.approx(expected["pi"], rel=1e-6)


@pytest.mark.parametrize("name", ["konstantopoulos2011", "assink2016"])
def test_metapsy_threelevel_model(name):
    expected = FIXTURE["cases"][name]["threelevel"]
    res = _fit(name, "threelevel")
    assert res.test == "t" and res.robust is None
    for key in ("estimate", "se", "ci_lower", "ci_upper", "pvalue"):
        assert getattr(res, key)[0] == pytest.approx(expected[key], rel=1e-6), key
    assert [res.pi_lower, res.pi_upper] == pytest.approx(expected["pi"], rel=1e-6)


def test_analyze_under_metapsy_reports_the_che_model_and_smoothing_can_be_switched_off():
    settings = AnalysisSettings(preset="metapsy", multilevel=MultilevelRequest(model="che"))
    res = analyze(_frame("konstantopoulos2011"), settings).multilevel
    expected = FIXTURE["cases"]["konstantopoulos2011"]["che"]
    assert [res.pi_lower, res.pi_upper] == pytest.approx(expected["pi"], rel=1e-6)
    assert _fit("konstantopoulos2011", "che", smooth_vi=False).smooth_vi is False


def test_plans_combine_with_the_presets_rho():
    assert combine_rho(Settings(preset="metapsy")) == FIXTURE["rho"] == 0.6
    assert combine_rho(Settings(preset="metafor")) == 0.5
    assert combine_rho(Settings(preset="metapsy", rho=0.5)) == 0.5
