"""Data of a (contour-enhanced) funnel plot: effects against their standard errors.

A funnel plot shows each study's effect (x) against its standard error (y, inverted, 0 at the
top). Two kinds of reference lines:

- **pseudo-confidence limits** ``center ± z₁₋α/₂ · SE`` around the pooled estimate: without
  heterogeneity or small-study effects, about ``level`` of the studies fall inside;
- **significance contours** ``null ± z₁₋α/₂ · SE`` around the null value (0 on the analysis
  scale, i.e. the log scale for ratios) at p = .10, .05 and .01 (Peters et al. 2008): they
  show whether missing studies would lie where results are non-significant, which points
  to publication bias rather than other causes of asymmetry.

>>> fd = funnel_data([0.2, 0.5, 0.9], [0.01, 0.04, 0.09], center=0.35)
>>> fd.se_max, fd.pseudo_ci(0.3)
(0.3, (-0.238, 0.938))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from metareview.errors import InputError
from metareview.stats import distributions as dist
from metareview.stats.tau2 import check_inputs
from metareview.stats.wls import LinearModel

DEFAULT_CONTOURS = (0.10, 0.05, 0.01)


def _critical(alpha: float) -> float:
    return float(dist.z_crit(1.0 - alpha))


@dataclass(frozen=True)
class FunnelData:
    """Points and reference lines of a funnel plot (all on the analysis scale).

    yi, sei, labels: the studies; center: the pooled estimate the pseudo-CI surrounds;
    level: coverage of the pseudo-CI; null: the value the contours surround; contours:
    their significance levels; se_max: the largest SE (bottom of the plot).
    """

    yi: tuple[float, ...]
    sei: tuple[float, ...]
    labels: tuple[str, ...]
    center: float
    level: float = 0.95
    null: float = 0.0
    contours: tuple[float, ...] = DEFAULT_CONTOURS
    se_max: float = field(default=0.0)

    def pseudo_ci(self, se: float, ndigits: int = 3) -> tuple[float, float]:
        """The pseudo-confidence limits at standard error ``se`` (rounded to ``ndigits``)."""
        half = _critical(1 - self.level) * se
        return round(self.center - half, ndigits), round(self.center + half, ndigits)

    def contour_halfwidths(self) -> dict[float, float]:
        """Distance from ``null`` of each significance contour at SE = 1 (scale linearly)."""
        return {alpha: _critical(alpha) for alpha in self.contours}

    def to_frame(self) -> pd.DataFrame:
        """One row per study: label, yi, sei and the two-sided p-value against ``null``."""
        yi, sei = np.asarray(self.yi), np.asarray(self.sei)
        return pd.DataFrame(
            {
                "study": list(self.labels),
                "yi": yi,
                "sei": sei,
                "pvalue": dist.z_pvalue((yi - self.null) / sei),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        z = _critical(1 - self.level)
        return {
            "studies": self.to_frame().to_dict(orient="records"),
            "center": self.center,
            "level": self.level,
            "null": self.null,
            "se_max": self.se_max,
            "pseudo_ci": {
                "se": [0.0, self.se_max],
                "lower": [self.center, self.center - z * self.se_max],
                "upper": [self.center, self.center + z * self.se_max],
            },
            "contours": [
                {
                    "alpha": alpha,
                    "z": zc,
                    "lower_at_se_max": self.null - zc * self.se_max,
                    "upper_at_se_max": self.null + zc * self.se_max,
                }
                for alpha, zc in self.contour_halfwidths().items()
            ],
        }

    def summary(self) -> str:
        return (
            f"Funnel plot data: {len(self.yi)} studies, SE up to {self.se_max:.4g}, "
            f"pseudo-CI ({round(100 * self.level)}%) around {self.center:.4f}, contours at p = "
            + ", ".join(f"{a:g}" for a in self.contours)
        )

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def funnel_data(
    yi: object,
    vi: object,
    *,
    center: float | None = None,
    labels: object | None = None,
    level: float = 0.95,
    null: float = 0.0,
    contours: tuple[float, ...] = DEFAULT_CONTOURS,
) -> FunnelData:
    """Collect what a funnel plot draws.

    Parameters
    ----------
    yi, vi : array-like
        Effects and sampling variances.
    center : float, optional
        The pooled estimate the pseudo-CI surrounds; default the common-effect estimate.
    labels : sequence of str, optional
        Study labels (default "1", "2", …).
    level : float
        Coverage of the pseudo-confidence region.
    null : float
        The null value the significance contours surround (0 on the analysis scale).
    contours : tuple of float
        Two-sided significance levels of the contours.

    Examples
    --------
    >>> round(funnel_data([0.2, 0.5], [0.01, 0.04]).center, 4)
    0.26
    """
    y, v = check_inputs(yi, vi)
    if not all(0 < a < 1 for a in contours):
        raise InputError(f"contours must be significance levels in (0, 1); got {contours!r}")
    names = [str(i + 1) for i in range(y.size)] if labels is None else [str(s) for s in labels]
    if len(names) != y.size:
        raise InputError(f"labels must name each of the {y.size} studies; got {len(names)}")
    if center is None:
        center = float(LinearModel(y, v).fixed.beta[0])
    sei = np.sqrt(v)
    return FunnelData(
        yi=tuple(float(x) for x in y),
        sei=tuple(float(x) for x in sei),
        labels=tuple(names),
        center=float(center),
        level=level,
        null=float(null),
        contours=tuple(sorted(contours, reverse=True)),
        se_max=float(sei.max()),
    )
