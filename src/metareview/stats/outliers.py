"""Outliers by the rule of dmetar's ``find.outliers`` and metapsy: a study is an outlier when
its confidence interval lies entirely outside the CI of the pooled (random-effects) estimate.
The analysis is then refitted without the outliers, with the same settings.

>>> res = find_outliers([0.1, 0.3, 0.35, 0.25, 1.6], [0.01, 0.02, 0.01, 0.02, 0.02], method="DL")
>>> res.studies
('Study 5',)
>>> round(res.refit.random.estimate, 4)
0.2425
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from metareview.stats import distributions as dist
from metareview.stats.pooling import PoolResult, pool
from metareview.stats.presets import Preset


@dataclass(frozen=True)
class OutlierResult:
    """The outlying studies and the pooled result without them (``None`` when there are none
    or when fewer than two studies would remain)."""

    studies: tuple[str, ...]
    indices: tuple[int, ...]
    refit: PoolResult | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "studies": list(self.studies),
            "random": None if self.refit is None else self.refit.random.to_dict(),
        }

    def summary(self) -> str:
        if not self.studies:
            return "Outliers: none (every study CI overlaps the pooled CI)"
        text = f"Outliers: {', '.join(self.studies)}"
        if self.refit is not None:
            r = self.refit.random
            text += (
                f"; without them: {r.estimate:.4f} [{r.ci_lower:.4f}, {r.ci_upper:.4f}], "
                f"tau^2 = {self.refit.tau2:.4f}, I^2 = {self.refit.i2:.1f}%"
            )
        return text

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>"


def outside_pooled_ci(
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray,
    pooled_ci: tuple[float, float],
    level: float = 0.95,
) -> np.ndarray:
    """The outlier rule: whether each study's ``level`` CI (normal, ``yᵢ ± z·√vᵢ``) lies
    wholly outside the pooled CI ``(lower, upper)``.

    >>> outside_pooled_ci([2.0, 0.1], [0.01, 0.01], (0.0, 0.4)).tolist()
    [True, False]
    """
    y = np.asarray(yi, dtype=float)
    half = float(dist.z_crit(level)) * np.sqrt(np.asarray(vi, dtype=float))
    return (y + half < pooled_ci[0]) | (y - half > pooled_ci[1])


def find_outliers(
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray,
    *,
    method: str | None = None,
    ci_method: str | None = None,
    level: float = 0.95,
    preset: str | Preset | None = None,
    studies: Sequence[str] | None = None,
    pooled: PoolResult | None = None,
) -> OutlierResult:
    """Studies whose ``level`` CI (normal, ``yᵢ ± z·√vᵢ``) does not overlap the pooled CI.

    ``pooled`` may pass the already computed full analysis (else it is computed here); the
    other arguments are those of :func:`metareview.stats.pooling.pool`.

    Examples
    --------
    >>> res = find_outliers([0.1, 0.3, 0.35, 0.25, 1.6], [0.01, 0.02, 0.01, 0.02, 0.02],
    ...                     method="DL", studies=list("ABCDE"))
    >>> res.studies, res.indices
    (('E',), (4,))
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    settings = {"method": method, "ci_method": ci_method, "level": level, "preset": preset}
    full = pooled if pooled is not None else pool(y, v, **settings)
    labels = [str(s) for s in studies] if studies is not None else list(full.studies)
    outside = outside_pooled_ci(y, v, (full.random.ci_lower, full.random.ci_upper), level)
    indices = tuple(int(i) for i in np.flatnonzero(outside))
    refit = None
    if indices and y.size - len(indices) >= 2:
        refit = pool(y[~outside], v[~outside], **settings)
    return OutlierResult(studies=tuple(labels[i] for i in indices), indices=indices, refit=refit)
