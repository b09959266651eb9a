"""Properties of the multilevel models that hold for any data (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metareview.errors import AnalysisError
from metareview.stats.multilevel import fit_multilevel
from metareview.stats.pooling import pool

effect = st.floats(-2.0, 2.0, allow_nan=False)
variance = st.floats(0.005, 0.5, allow_nan=False)


@st.composite
def clustered(draw, min_studies=3, max_studies=8, max_size=4):
    """Effects with variances and study labels, at least one study with two effects."""
    sizes = draw(st.lists(st.integers(1, max_size), min_size=min_studies, max_size=max_studies))
    if max(sizes) == 1:
        sizes[0] = 2
    k = sum(sizes)
    yi = draw(st.lists(effect, min_size=k, max_size=k))
    vi = draw(st.lists(variance, min_size=k, max_size=k))
    study = [f"s{j}" for j, n in enumerate(sizes) for _ in range(n)]
    return np.array(yi), np.array(vi), study


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(effect, variance), min_size=3, max_size=12))
def test_one_effect_per_study_equals_rma_reml(rows):
    yi, vi = (np.array(col) for col in zip(*rows))
    res = fit_multilevel(yi, vi, list(range(len(yi))), profile=False)
    ref = pool(yi, vi, method="REML")
    assert res.estimate[0] == pytest.approx(ref.random.estimate, rel=1e-6, abs=1e-8)
    assert res.se[0] == pytest.approx(ref.random.se, rel=1e-6, abs=1e-8)
    assert sum(res.sigma2) == pytest.approx(ref.tau2, rel=1e-6, abs=1e-8)
    assert res.sigma2[1] == 0.0 and res.warnings


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(effect, variance), min_size=3, max_size=8), st.integers(2, 4))
def test_identical_effects_within_studies_give_no_within_variance(studies, size):
    yi = np.repeat([y for y, _ in studies], size)
    vi = np.repeat([v for _, v in studies], size)
    res = fit_multilevel(yi, vi, np.repeat(np.arange(len(studies)), size).tolist(), profile=False)
    assert res.sigma2[1] == 0.0
    assert res.at_boundary[1]
    assert res.i2.within == 0.0


@settings(max_examples=25, deadline=None)
@given(clustered(), st.randoms(use_true_random=False), st.sampled_from([None, 0.6]))
def test_row_permutation_does_not_change_the_fit(data, rnd, rho):
    yi, vi, study = data
    perm = list(range(len(yi)))
    rnd.shuffle(perm)
    kwargs = dict(rho=rho, robust="CR2", profile=False, test="t")
    a = fit_multilevel(yi, vi, study, **kwargs)
    b = fit_multilevel(yi[perm], vi[perm], [study[i] for i in perm], **kwargs)
    assert b.estimate[0] == pytest.approx(a.estimate[0], rel=1e-8, abs=1e-10)
    assert b.se[0] == pytest.approx(a.se[0], rel=1e-6, abs=1e-10)
    assert b.sigma2 == pytest.approx(a.sigma2, rel=1e-6, abs=1e-9)
    assert b.robust.se[0] == pytest.approx(a.robust.se[0], rel=1e-6, abs=1e-10)
    assert b.robust.df[0] == pytest.approx(a.robust.df[0], rel=1e-6, abs=1e-8)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(effect, variance), min_size=3, max_size=12))
def test_cr2_with_one_effect_per_study_is_model_based_up_to_leverage(rows):
    """One effect per study and a correct working model: CR2 is the model-based variance with
    each squared weighted residual scaled by 1/(1 − h_jj) (Bell & McCaffrey's small-sample
    factor), so its expectation under the model is exactly the model-based variance; CR1 is
    CR0 times J/(J − p)."""
    yi, vi = (np.array(col) for col in zip(*rows))
    res = fit_multilevel(yi, vi, list(range(len(yi))), robust="CR2", profile=False)
    tau2 = sum(res.sigma2)
    w = 1.0 / (vi + tau2)
    bread = 1.0 / w.sum()
    resid = yi - res.estimate[0]
    leverage = w * bread
    cr2 = bread**2 * np.sum(w**2 * resid**2 / (1.0 - leverage))
    assert res.robust.se[0] ** 2 == pytest.approx(cr2, rel=1e-8)
    expected_under_model = bread**2 * np.sum(w**2 * (1.0 / w - bread) / (1.0 - leverage))
    assert expected_under_model == pytest.approx(res.se[0] ** 2, rel=1e-10)
    cr1 = fit_multilevel(yi, vi, list(range(len(yi))), robust="CR1", profile=False)
    j = len(yi)
    assert cr1.robust.se[0] ** 2 == pytest.approx(
        bread**2 * np.sum(w**2 * resid**2) * j / (j - 1), rel=1e-8
    )


def test_too_few_studies_is_an_analysis_error():
    with pytest.raises(AnalysisError, match="at least 2 studies"):
        fit_multilevel([0.1, 0.2, 0.3], [0.01] * 3, ["a", "a", "a"])


def test_bad_inputs_are_value_errors():
    with pytest.raises(ValueError, match="vi finite and > 0"):
        fit_multilevel([0.1, 0.2, 0.3], [0.01, 0.0, 0.02], [1, 2, 3])
    with pytest.raises(ValueError, match="rho must be a correlation"):
        fit_multilevel([0.1, 0.2, 0.3, 0.1], [0.01] * 4, [1, 1, 2, 3], rho=1.5)
    with pytest.raises(ValueError, match="robust must be one of none, CR2, CR1"):
        fit_multilevel([0.1, 0.2, 0.3, 0.1], [0.01] * 4, [1, 1, 2, 3], robust="HC3")


@pytest.mark.parametrize("kwargs", [dict(), dict(rho=0.6, robust="CR2", test="t")])
def test_to_dict_from_dict_round_trip(kwargs):
    import json

    from metareview.stats.multilevel import MultilevelResult

    yi = [0.1, 0.3, 0.5, 0.4, -0.1, 0.0, 0.6, 0.9, 0.2]
    study = [1, 1, 2, 2, 3, 3, 4, 4, 5]
    mods = [[0.0], [1.0], [0.0], [1.0], [0.0], [1.0], [0.0], [1.0], [0.5]]
    for moderators in (None, mods):
        res = fit_multilevel(yi, [0.01] * 9, study, mods=moderators, **kwargs)
        doc = json.loads(json.dumps(res.to_dict()))
        assert MultilevelResult.from_dict(doc) == res
