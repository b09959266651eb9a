"""Which studies are influential, for many intercept-only meta-analyses at once.

:func:`influential_many` gives, for every data set, the flags of
:func:`metareview.stats.influence.influence` (``.influential``: |DFFITS| > 3√(1/(k − 1)),
the χ²(1) lower-tail area at Cook's distance > 0.5, hat > 3/k, or |DFBETAS| > 1), with the
full fits and all leave-one-out refits of all data sets done in one vectorised pass of
:func:`metareview.stats.batch.fit_groups` instead of k scalar refits per data set.

The flags are ``influence``'s own: the two computations round differently (≈ 1e-10
relative), so a data set where any statistic lies within a relative 1e-6 of its cut-off,
where a fit did not converge or a statistic is not finite, is recomputed by ``influence``.

>>> import numpy as np
>>> sets = [(np.array([0.10, 0.30, 0.35, 0.65, 0.45, 0.15, 1.40]),
...          np.array([0.03, 0.03, 0.05, 0.01, 0.05, 0.02, 0.04])),
...         (np.array([0.1, 0.3, 0.35, 0.65, 1.4]), np.array([0.03, 0.03, 0.05, 0.01, 0.04]))]
>>> [flags.tolist() for flags in influential_many(sets, "DL")]
[[False, False, False, False, False, False, True], [False, False, False, False, True]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy

from metareview.stats.batch import fit_groups
from metareview.stats.influence import influence
from metareview.stats.tau2 import check_method

MARGIN = 1e-6  # relative distance from a cut-off below which influence() decides


def influential_many(
    sets: Sequence[tuple[np.ndarray, np.ndarray]], method: str
) -> list[np.ndarray]:
    """The influence flags (one boolean per study, in input order) of each ``(yi, vi)`` data
    set under the τ² estimator ``method``, equal to ``influence(yi, vi, method=method)``'s.
    Data sets of fewer than three studies go to ``influence`` itself."""
    method = check_method(method)
    y_sets = [np.asarray(y, dtype=float) for y, _ in sets]
    v_sets = [np.asarray(v, dtype=float) for _, v in sets]
    out: list[np.ndarray | None] = [None] * len(sets)
    batch = [n for n, y in enumerate(y_sets) if y.size >= 3]
    if batch:
        for n, flags in zip(
            batch,
            _flags([y_sets[n] for n in batch], [v_sets[n] for n in batch], method),
            strict=True,
        ):
            out[n] = flags
    for n, flags in enumerate(out):
        if flags is None:
            out[n] = np.asarray(influence(y_sets[n], v_sets[n], method=method).influential)
    return out  # type: ignore[return-value]


def _flags(
    y_sets: list[np.ndarray], v_sets: list[np.ndarray], method: str
) -> list[np.ndarray | None]:
    """Flags of each data set (None where ``influence`` must decide), from one batch: group
    s is data set s whole; then one group per (data set, study left out)."""
    sizes = np.array([y.size for y in y_sets])
    n_sets = sizes.size
    y, v = np.concatenate(y_sets), np.concatenate(v_sets)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    owner = np.repeat(np.arange(n_sets), sizes)  # data set of each study
    repeats = sizes[owner]  # k of each study's data set
    k = repeats.astype(float)
    # the leave-one-out groups: for every study i, the studies j ≠ i of its data set
    left_out = np.repeat(np.arange(y.size), repeats)  # i, once per study of its data set
    offset = np.arange(left_out.size) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    member = starts[owner[left_out]] + offset  # j: each study of i's data set in order
    keep = member != left_out
    codes = np.concatenate([owner, n_sets + left_out[keep]])
    rows = np.concatenate([np.arange(y.size), member[keep]])
    tau2, converged, sum_w, mu = fit_groups(codes, y[rows], v[rows], method)
    full_tau2, full_sum_w, full_mu = tau2[owner], sum_w[owner], mu[owner]
    del_tau2, del_mu = tau2[n_sets:], mu[n_sets:]
    with np.errstate(divide="ignore", invalid="ignore"):
        hat = 1.0 / (v + full_tau2) / full_sum_w
        diff = full_mu - del_mu
        dffits = diff / np.sqrt(hat * (del_tau2 + v))
        cooks = scipy.stats.chi2.cdf(diff * diff * full_sum_w, 1)
        # DFBETAS: all k studies weighted at the study's deleted τ²
        scale = np.bincount(
            left_out, weights=1.0 / (v[member] + del_tau2[left_out]), minlength=y.size
        )
        dfbetas = diff * np.sqrt(scale)
        tests = [
            (np.abs(dffits), 3.0 * np.sqrt(1.0 / (k - 1.0))),
            (cooks, np.full(y.size, 0.5)),
            (hat, 3.0 / k),
            (np.abs(dfbetas), np.ones(y.size)),
        ]
    flagged = np.zeros(y.size, dtype=bool)
    unsure = ~(converged[owner] & converged[n_sets:])
    for value, cut in tests:
        flagged |= value > cut
        unsure |= ~np.isfinite(value) | (np.abs(value - cut) <= MARGIN * cut)
    unsure_sets = np.bincount(owner, weights=unsure, minlength=n_sets) > 0
    return [
        None if unsure_sets[s] else flagged[starts[s] : starts[s] + sizes[s]] for s in range(n_sets)
    ]
