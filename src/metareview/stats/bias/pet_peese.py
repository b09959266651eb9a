"""PET-PEESE: effect estimates corrected for small-study effects (Stanley & Doucouliagos 2014).

- **PET** (precision-effect test): the intercept of the weighted regression of ``yᵢ`` on
  ``seᵢ`` (weights ``1/vᵢ``, t(k − 2)); the effect of a study with SE 0.
- **PEESE** (precision-effect estimate with standard error): the same with ``vᵢ`` as the
  predictor, less biased when there is a true effect.
- **Conditional rule**: PEESE is reported when PET's intercept differs significantly from
  zero in the direction of the common-effect estimate (one-sided test at ``alpha``,
  default 5%, as Stanley & Doucouliagos 2014 advise); otherwise PET.

>>> yi = [0.71, 0.35, 1.79, 0.18, 0.42, 0.60, 0.31, 0.95, 0.22, 1.20]
>>> vi = [0.068, 0.039, 0.119, 0.014, 0.030, 0.060, 0.020, 0.090, 0.010, 0.150]
>>> res = pet_peese(yi, vi)
>>> res.method, round(res.estimate, 4)
('PET', -0.2599)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import scipy

from metareview.stats.bias.egger import RegressionTest, regression_test
from metareview.stats.result_base import document
from metareview.stats.tau2 import check_inputs


@dataclass(frozen=True)
class PetPeese:
    """PET and PEESE fits and the estimate the conditional rule picks.

    method: ``"PET"`` or ``"PEESE"``; estimate, se, ci_lower, ci_upper, pvalue: that
    model's intercept; pet_one_sided_pvalue: the test that decided.
    """

    method: str
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    pvalue: float
    pet_one_sided_pvalue: float
    alpha: float
    pet: RegressionTest
    peese: RegressionTest

    def to_dict(self) -> dict[str, Any]:
        return document(self, pet=self.pet.to_dict(), peese=self.peese.to_dict())

    def summary(self) -> str:
        pct = round(100 * self.pet.level)
        return (
            f"PET-PEESE (k = {self.pet.k}): {self.method} estimate {self.estimate:.4f} "
            f"({pct}% CI {self.ci_lower:.4f} to {self.ci_upper:.4f}); PET intercept "
            f"{self.pet.intercept:.4f} (one-sided p = {self.pet_one_sided_pvalue:.4g}), PEESE "
            f"intercept {self.peese.intercept:.4f}"
        )

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>"


def pet_peese(yi: object, vi: object, *, alpha: float = 0.05, level: float = 0.95) -> PetPeese:
    """Fit PET and PEESE and apply the conditional rule.

    Parameters
    ----------
    yi, vi : array-like
        Effects and sampling variances (at least 3 studies).
    alpha : float
        One-sided level of PET's test of the intercept that switches to PEESE.
    level : float
        Confidence level of the intervals.

    Examples
    --------
    >>> pet_peese([0.5, 0.45, 0.55, 0.52, 0.48], [0.01, 0.04, 0.02, 0.03, 0.015]).method
    'PEESE'
    """
    y, v = check_inputs(yi, vi)
    pet = regression_test(y, v, model="lm", predictor="sei", level=level)
    peese = regression_test(y, v, model="lm", predictor="vi", level=level)
    w = 1.0 / v
    direction = 1.0 if float(w @ y) >= 0 else -1.0
    t_pet = direction * pet.intercept / pet.intercept_se
    one_sided = float(scipy.stats.t.sf(t_pet, pet.df))
    chosen = peese if one_sided < alpha else pet
    t_chosen = chosen.intercept / chosen.intercept_se
    return PetPeese(
        method="PEESE" if chosen is peese else "PET",
        estimate=chosen.intercept,
        se=chosen.intercept_se,
        ci_lower=float(chosen.limit_ci_lower),
        ci_upper=float(chosen.limit_ci_upper),
        pvalue=float(2 * scipy.stats.t.sf(abs(t_chosen), chosen.df)),
        pet_one_sided_pvalue=one_sided,
        alpha=alpha,
        pet=pet,
        peese=peese,
    )
