"""GOSH cluster diagnostics: a planted outlying study drives the clusters."""

from __future__ import annotations

import numpy as np
import pytest

from metareview.stats.gosh import gosh
from metareview.stats.gosh_diagnostics import gosh_diagnostics


def test_planted_outlier_drives_the_dbscan_and_mixture_clusters():
    rng = np.random.default_rng(2)
    yi = [*rng.normal(0.3, 0.05, 11), 1.3]
    vi = list(rng.uniform(0.008, 0.015, 12))
    diag = gosh_diagnostics(gosh(yi, vi, method="DL"), seed=5)
    by_algorithm = {r.algorithm: r for r in diag.results}
    assert "12" in by_algorithm["gmm"].flagged
    assert "12" in diag.flagged
    gmm = by_algorithm["gmm"]
    # the share of subsets holding study 12 differs by about 1 between the two clusters
    assert np.max(np.abs(gmm.share_difference[:, 11])) > 0.9
    assert diag.to_dict()["flagged"] == list(diag.flagged)


def test_seeded_diagnostics_are_reproducible():
    res = gosh([0.1, 0.3, 0.35, 0.2, 0.9, 0.15, 0.25], [0.01] * 7, method="DL")
    first = gosh_diagnostics(res, seed=9)
    again = gosh_diagnostics(res, seed=9)
    assert first.to_dict() == again.to_dict()
    assert "GOSH diagnostics" in first.summary()


def test_bad_arguments():
    res = gosh([0.1, 0.2, 0.5], [0.01, 0.01, 0.01])
    with pytest.raises(ValueError, match="algorithms must be among"):
        gosh_diagnostics(res, algorithms=("hdbscan",))
    with pytest.raises(ValueError, match="threshold"):
        gosh_diagnostics(res, threshold=0)
