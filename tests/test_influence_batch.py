"""influential_many flags the studies influence() flags, data set by data set, for every τ²
estimator; a data set with a statistic at its cut-off is left to influence() itself."""

from __future__ import annotations

import numpy as np
import pytest

from metareview.stats.influence import influence
from metareview.stats.influence_batch import _flags, influential_many

METHODS = ["FE", "DL", "REML", "ML", "PM", "SJ", "HE", "EB", "HS"]


def data_sets(n: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = int(rng.integers(3, 20))
        y = rng.normal(0.3, rng.uniform(0.0, 0.5), k)
        if rng.random() < 0.4:  # an outlying study, so that some are flagged
            y[rng.integers(k)] += rng.normal(0.0, 2.0)
        v = rng.uniform(0.005, 0.2, k)
        if rng.random() < 0.2:  # one very precise study: high hat value
            v[0] /= 50
        out.append((y, v))
    return out


@pytest.mark.parametrize("method", METHODS)
def test_flags_equal_influence(method):
    sets = data_sets(120, seed=METHODS.index(method))
    flags = influential_many(sets, method)
    expected = [np.asarray(influence(y, v, method=method).influential) for y, v in sets]
    assert sum(int(f.sum()) for f in expected) > 20  # the cut-offs are exercised
    for got, want in zip(flags, expected, strict=True):
        assert got.dtype == bool and got.tolist() == want.tolist()


def test_a_statistic_at_its_cut_off_is_decided_by_influence():
    # common effect, k = 4: study 1 has weight 9 of 12, its hat value 0.75 = 3/k exactly
    y, v = np.array([0.1, 0.2, 0.3, 0.25]), np.array([1 / 9, 1.0, 1.0, 1.0])
    assert _flags([y], [v], "FE") == [None]
    assert influential_many([(y, v)], "FE")[0].tolist() == list(
        influence(y, v, method="FE").influential
    )


def test_small_data_sets_go_to_influence():
    y, v = np.array([0.1, 0.9]), np.array([0.02, 0.03])
    assert influential_many([(y, v)], "DL")[0].tolist() == list(
        influence(y, v, method="DL").influential
    )
    with pytest.raises(ValueError, match="at least 2 studies"):
        influential_many([(y[:1], v[:1])], "DL")
