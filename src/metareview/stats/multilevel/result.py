"""The result of a multilevel fit: a frozen dataclass with ``to_dict()`` and ``summary()``."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from metareview.stats.multilevel.heterogeneity import MultilevelI2
from metareview.stats.multilevel.profile import LevelTest
from metareview.stats.multilevel.robust import RobustResult

LEVELS: tuple[str, str] = ("between", "within")
_PER_COEFFICIENT = ("estimate", "se", "statistic", "pvalue", "ci_lower", "ci_upper")
_SETTINGS = ("model", "method", "test", "level", "rho", "smooth_vi")
_SCALARS = (
    *_SETTINGS, "k", "n_studies", "df", "pi_lower", "pi_upper", "loglik", "deviance", "aic",
    "bic", "aicc", "qm", "qm_pvalue", "qe", "qe_df", "qe_pvalue", "iterations",
)  # fmt: skip


@dataclass(frozen=True)
class MultilevelResult:
    """A three-level (or CHE) model: coefficients, σ² per level, tests, I², PI and fit statistics.

    Coefficient fields are tuples in the order of ``coefficients`` (the first is the
    intercept, the pooled effect of an intercept-only model). ``sigma2`` and ``sigma2_ci``
    are (between studies, within studies); a CI bound is ``None`` when it could not be found.
    ``at_boundary`` says which σ² stopped at 0. ``df`` is ``None`` for z tests.
    """

    model: str
    method: str
    test: str
    level: float
    rho: float | None
    smooth_vi: bool
    k: int
    n_studies: int
    coefficients: tuple[str, ...]
    estimate: tuple[float, ...]
    se: tuple[float, ...]
    statistic: tuple[float, ...]
    df: int | None
    pvalue: tuple[float, ...]
    ci_lower: tuple[float, ...]
    ci_upper: tuple[float, ...]
    sigma2: tuple[float, float]
    sigma2_ci: tuple[tuple[float | None, float | None], ...] | None
    at_boundary: tuple[bool, bool]
    level_tests: tuple[LevelTest, ...]
    i2: MultilevelI2
    pi_lower: float | None
    pi_upper: float | None
    loglik: float
    deviance: float
    aic: float
    bic: float
    aicc: float
    qm: float | None
    qm_df: tuple[float, ...] | None
    qm_pvalue: float | None
    qe: float
    qe_df: int
    qe_pvalue: float
    robust: RobustResult | None
    iterations: int
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; the top-level estimate keys are the first coefficient's (see docs)."""
        return {
            **{key: getattr(self, key) for key in _SETTINGS},
            **{
                key: getattr(self, key)[0]
                for key in ("estimate", "se", "ci_lower", "ci_upper", "statistic")
            },
            "df": self.df,
            "pvalue": self.pvalue[0],
            "pi_lower": self.pi_lower,
            "pi_upper": self.pi_upper,
            "sigma2": list(self.sigma2),
            "sigma2_ci": [list(ci) for ci in self.sigma2_ci] if self.sigma2_ci else None,
            "sigma2_at_boundary": list(self.at_boundary),
            "i2": self.i2.to_dict(),
            "level_tests": [t.to_dict() for t in self.level_tests],
            "loglik": self.loglik,
            "deviance": self.deviance,
            "aic": self.aic,
            "bic": self.bic,
            "aicc": self.aicc,
            "k": self.k,
            "n_studies": self.n_studies,
            "coefficients": [
                {"name": name, **{key: getattr(self, key)[i] for key in _PER_COEFFICIENT}}
                for i, name in enumerate(self.coefficients)
            ],
            "qm": self.qm,
            "qm_df": list(self.qm_df) if self.qm_df else None,
            "qm_pvalue": self.qm_pvalue,
            "qe": self.qe,
            "qe_df": self.qe_df,
            "qe_pvalue": self.qe_pvalue,
            "robust": self.robust.to_dict() if self.robust else None,
            "iterations": self.iterations,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> MultilevelResult:
        """The result :meth:`to_dict` wrote (``results.json``): ``from_dict(r.to_dict()) == r``."""
        coefs = doc["coefficients"]
        per = {key: tuple(c[key] for c in coefs) for key in _PER_COEFFICIENT}
        return cls(
            coefficients=tuple(c["name"] for c in coefs),
            sigma2=tuple(doc["sigma2"]),  # type: ignore[arg-type]
            sigma2_ci=tuple(tuple(ci) for ci in doc["sigma2_ci"]) if doc["sigma2_ci"] else None,
            at_boundary=tuple(doc["sigma2_at_boundary"]),  # type: ignore[arg-type]
            level_tests=tuple(LevelTest.from_dict(t) for t in doc["level_tests"]),
            i2=MultilevelI2.from_dict(doc["i2"]),
            qm_df=tuple(doc["qm_df"]) if doc["qm_df"] else None,
            robust=RobustResult.from_dict(doc["robust"]) if doc["robust"] else None,
            warnings=tuple(doc["warnings"]),
            **per,
            **{key: doc[key] for key in _SCALARS},
        )

    def summary(self) -> str:
        """A short text summary: pooled effect, σ² and I² per level, robust inference."""
        name = "Three-level model" if self.rho is None else f"CHE model (rho = {self.rho:g})"
        lines = [
            f"{name} ({self.method}, {self.test} tests): "
            f"k = {self.k} effects in {self.n_studies} studies",
            f"  estimate {self.estimate[0]:.4f}  SE {self.se[0]:.4f}  "
            f"{self.level:.0%} CI [{self.ci_lower[0]:.4f}, {self.ci_upper[0]:.4f}]  "
            f"p {self.pvalue[0]:.4g}",
        ]
        if self.pi_lower is not None:
            lines.append(f"  prediction interval [{self.pi_lower:.4f}, {self.pi_upper:.4f}]")
        for i, level_name in enumerate(LEVELS):
            ci = self.sigma2_ci[i] if self.sigma2_ci else None
            ci_text = f"  CI [{_num(ci[0])}, {_num(ci[1])}]" if ci else ""
            bound = "  (on the boundary)" if self.at_boundary[i] else ""
            lines.append(f"  sigma2 {level_name}: {self.sigma2[i]:.4f}{ci_text}{bound}")
        lines.append(
            f"  I2: between {self.i2.between:.1f}%, within {self.i2.within:.1f}%, "
            f"sampling {self.i2.sampling:.1f}%"
        )
        if self.robust:
            r = self.robust
            lines.append(
                f"  robust ({r.method}): SE {r.se[0]:.4f}  df {r.df[0]:.2f}  "
                f"CI [{r.ci_lower[0]:.4f}, {r.ci_upper[0]:.4f}]  p {r.pvalue[0]:.4g}"
            )
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary())}</pre>"


def _num(value: float | None) -> str:
    return "NA" if value is None else f"{value:.4f}"
