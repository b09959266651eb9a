"""RevMan 5's "M-H, Random" model: DerSimonian–Laird random effects around Mantel–Haenszel.

For dichotomous outcomes RevMan 5 offers Mantel–Haenszel as a random-effects method. Deeks &
Higgins ("Statistical algorithms in Review Manager 5", 2010) compute it in three steps:

1. the heterogeneity statistic ``Q = Σ wᵢ (yᵢ − θ_MH)²`` with inverse-variance weights
   ``wᵢ = 1/vᵢ`` around the Mantel–Haenszel estimate θ_MH (not around the inverse-variance
   one); I² = (Q − df)/Q;
2. τ² = max(0, (Q − df)/(Σw − Σw²/Σw)) (DerSimonian & Laird 1986) from that Q;
3. the inverse-variance random-effects estimate with weights ``1/(vᵢ + τ²)``.

R meta's ``metabin`` reproduces this with ``Q.Cochrane = TRUE`` ("the Mantel-Haenszel estimate
is used in the calculation of the heterogeneity statistic Q which is implemented in RevMan 5").
RevMan adds 0.5 to every cell of a table with a zero cell, for the studies' own effects *and*
inside the Mantel–Haenszel estimator (meta's default ``MH.exact = FALSE``; Cochrane Handbook
5.1 §9.4.4; Ades et al., Res Synth Methods 2025), and leaves tables without events (or with
only events) in both arms out of OR and RR as not estimable. metafor's ``rma.mh`` reports the
same Q as ``QE``; ``tests/reference/mh_random.R`` builds the reference from ``rma.mh`` and
``rma(tau2 = …)``. The result also carries RevMan's "M-H, Fixed" model: the Mantel–Haenszel
estimate with each study's Mantel–Haenszel weight (:func:`mantel_haenszel_weights`).

>>> res = mantel_haenszel_random([4, 6, 3], [119, 300, 228], [11, 29, 11], [128, 274, 209])
>>> round(res.fixed.estimate, 4), round(res.q, 4), round(res.random.estimate, 4)
(-1.4135, 0.9398, -1.3955)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from metareview.errors import InputError, NotEstimableError
from metareview.stats.effects.binary import zero_cell_correction
from metareview.stats.mantel_haenszel import (
    check_tables,
    mantel_haenszel,
    mantel_haenszel_weights,
    study_effects,
)
from metareview.stats.pooling import (
    FixedEffect,
    PooledStudies,
    RandomEffects,
    random_effects_at,
    study_labels,
)
from metareview.stats.presets import get_preset
from metareview.stats.render import fmt_p
from metareview.stats.result_base import take_fields
from metareview.stats.wls import LinearModel


@dataclass(frozen=True)
class MantelHaenszelRandom(PooledStudies):
    """Result of :func:`mantel_haenszel_random` (estimates on the analysis scale).

    ``fixed`` is the Mantel–Haenszel common effect ("M-H, Fixed"), ``random`` the
    random-effects model with τ² from Q around it ("M-H, Random"); ``weights`` are the
    random-effects weights and ``fixed_weights`` the Mantel–Haenszel weights, both in
    percent; ``excluded`` counts double-zero tables left out.
    """

    measure: str
    fixed_weights: tuple[float, ...]
    excluded: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def k(self) -> int:
        return len(self.yi)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready document shaped like a pooled result (``studies``, ``fixed``,
        ``random``, ``heterogeneity``), so a report can draw it as it draws ``analyze``'s;
        each study has its random-effects ``weight`` and Mantel–Haenszel ``weight_fixed``."""
        return {
            "model": "MH-random",
            "measure": self.measure,
            "k": self.k,
            "level": self.level,
            "method": "DL",
            "studies": [
                {"study": s, "yi": y, "vi": v, "weight": w, "weight_fixed": f}
                for s, y, v, w, f in zip(
                    self.studies, self.yi, self.vi, self.weights, self.fixed_weights
                )
            ],
            "fixed": self.fixed.to_dict(),
            "random": self.random.to_dict(),
            "heterogeneity": {
                "tau2": self.tau2,
                "tau": math.sqrt(self.tau2),
                "i2": self.i2,
                "h2": self.h2,
                "q": self.q,
                "q_df": self.q_df,
                "q_pvalue": self.q_pvalue,
            },
            "excluded": self.excluded,
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        lines = [
            f"Random-Effects Model (M-H, Random: RevMan 5; measure: {self.measure}; k = {self.k})",
            f"tau^2 (DL from Q around the M-H estimate) = {self.tau2:.4f}; "
            f"Q(df = {self.q_df}) = {self.q:.4f}, p-val {_p(self.q_pvalue)}; I^2 = {self.i2:.2f}%",
            _model_line("M-H fixed ", self.fixed, self.level),
            _model_line("M-H random", self.random, self.level),
        ]
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary().replace("&", "&amp;").replace("<", "&lt;") + "</pre>"


def _p(value: float | None) -> str:
    """``<.0001`` or ``= 0.0312`` (``fmt_p`` with its relation)."""
    text = fmt_p(value)
    return text if text.startswith("<") else f"= {text}"


def _model_line(name: str, model: FixedEffect | RandomEffects, level: float) -> str:
    return (
        f"{name}: estimate = {model.estimate:.4f} (se = {model.se:.4f}), "
        f"{100 * level:g}% CI [{model.ci_lower:.4f}; {model.ci_upper:.4f}], "
        f"z = {model.statistic:.4f}, p-val {_p(model.pvalue)}"
    )


def mantel_haenszel_random(
    a: Any,
    b: Any,
    c: Any,
    d: Any,
    *,
    measure: str = "OR",
    level: float = 0.95,
    ci_method: str = "z",
    add: float = 0.5,
    studies: Sequence[str] | None = None,
) -> MantelHaenszelRandom:
    """RevMan 5's "M-H, Random" model of 2×2 tables.

    Parameters
    ----------
    a, b, c, d, measure, level
        The tables, measure and confidence level, as :func:`mantel_haenszel`.
    ci_method : str
        CI of the random-effects mean (RevMan 5: ``z``; ``knha``/``adhoc`` as in ``pool``).
    add : float
        Added to every cell of a table with a zero cell, before Mantel–Haenszel pooling and
        for the studies' own effects (RevMan 5: 0.5).
    studies : sequence of str, optional
        Study labels (default ``Study 1`` …).

    Examples
    --------
    >>> res = mantel_haenszel_random([0, 2, 5], [20, 48, 95], [0, 1, 9], [20, 49, 91])
    >>> res.k, res.excluded, res.warnings[0]
    (2, 1, 'Study 1: no events (or only events) in both arms, not estimable for OR')
    """
    a, b, c, d = check_tables(a, b, c, d)
    labels = study_labels(studies, a.size)
    if not add > 0:
        raise InputError(f"add must be > 0 (RevMan 5 adds 0.5 to tables with a zero); got {add!r}")
    warnings: list[str] = []
    double = ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))
    keep = ~double if measure != "RD" else np.ones_like(double)
    warnings += [
        f"{labels[i]}: no events (or only events) in both arms, not estimable for {measure}"
        for i in np.flatnonzero(~keep)
    ]
    if not keep.any():
        raise NotEstimableError(
            f"no table is estimable for {measure}: every one is a double-zero table"
        )
    cells, _ = zero_cell_correction(a[keep], b[keep], c[keep], d[keep], add)
    mh = mantel_haenszel(*cells, measure=measure, level=level)
    # The corrected tables have no zero cell, so the MH result's Q is Σ(yᵢ − θ_MH)²/vᵢ over
    # exactly these effects.
    yi, vi = study_effects(*cells, measure)
    model = LinearModel(yi, vi)
    fe = model.fixed
    denominator = fe.sum_w - float(np.sum(fe.w**2)) / fe.sum_w
    tau2 = max(0.0, (mh.q - mh.q_df) / denominator) if mh.q_df >= 1 else 0.0
    random, _, weights = random_effects_at(
        model, tau2, "DL", ci_method, get_preset("revman5"), level, warnings
    )
    return MantelHaenszelRandom(
        measure=measure,
        level=level,
        studies=tuple(label for label, kept in zip(labels, keep) if kept),
        yi=tuple(float(x) for x in yi),
        vi=tuple(float(x) for x in vi),
        weights=weights,
        fixed_weights=tuple(float(w) for w in mantel_haenszel_weights(*cells, measure)),
        fixed=take_fields(FixedEffect, mh),
        random=random,
        tau2=float(tau2),
        q=mh.q,
        q_df=mh.q_df,
        q_pvalue=mh.q_pvalue,
        i2=mh.i2,
        h2=mh.h2,
        excluded=int((~keep).sum()),
        warnings=tuple(warnings),
    )
