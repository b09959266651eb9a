"""Subgroup analysis by a categorical study characteristic, with the test for differences.

Two models, chosen by ``tau_common`` (default: the preset's ``subgroup_tau2``):

- **separate τ²** (R meta, RevMan, CMA): each subgroup is pooled on its own with the overall
  analysis' τ² estimator, CI method and preset. The test for subgroup differences is Cochran's
  Q over the subgroup estimates with their standard errors (the SEs of the CI method, so
  Hartung–Knapp SEs under ``knha``, as meta): ``Q_between = Σ wⱼ(θⱼ − θ̄)²``, ``wⱼ = 1/SEⱼ²``,
  df = groups − 1, with RevMan's ``I² = (Q − df)/Q``.
- **common τ²** (metafor): a mixed-effects meta-regression with the subgroup as a factor; the
  groups share τ², each group's estimate is its coefficient in the model without intercept,
  and the test is the omnibus QM (χ²(groups − 1), or F under ``knha``).

Subgroups with fewer than ``min_k`` studies are reported (pooled on their own when they have
a study) but left out of the test, with the reason.

>>> res = subgroup_analysis([0.1, 0.2, 0.15, 0.6, 0.7, 0.5], [0.02] * 6, list("aaabbb"),
...                         method="DL", tau_common=False)
>>> [g.level for g in res.groups], round(res.q_between, 4), res.df_between
(['a', 'b'], 15.1875, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy

from metareview.errors import InputError
from metareview.stats.heterogeneity import i2_from_q
from metareview.stats.metaregression import Design, metareg
from metareview.stats.pooling import pool, resolve_settings
from metareview.stats.presets import Preset
from metareview.stats.result_base import ResultDocument, document, take_fields
from metareview.stats.vocabulary import check_choice
from metareview.stats.wls import LinearModel

SUBGROUP_TAU2 = ("separate", "common")


@dataclass(frozen=True)
class SubgroupRow(ResultDocument):
    """One subgroup: its pooled effect (I² in percent) and whether it entered the test."""

    level: str
    k: int
    estimate: float | None
    se: float | None
    ci_lower: float | None
    ci_upper: float | None
    pvalue: float | None
    tau2: float | None
    i2: float | None
    tested: bool = True
    reason: str | None = None


@dataclass(frozen=True)
class SubgroupResult:
    """Subgroups and the test for subgroup differences (``None`` when it cannot be done)."""

    by: str
    tau_common: bool
    method: str
    ci_method: str
    groups: tuple[SubgroupRow, ...]
    q_between: float | None
    df_between: int | None
    df_within: int | None
    p_between: float | None
    i2_between: float | None
    test: str
    tau2_common: float | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return document(self, drop=("df_within",), groups=[g.to_dict() for g in self.groups])

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([g.to_dict() for g in self.groups])

    def summary(self) -> str:
        lines = [f"Subgroups by {self.by} ({'common' if self.tau_common else 'separate'} tau^2)"]
        for g in self.groups:
            if g.estimate is None:
                lines.append(f"  {g.level}: k = {g.k} ({g.reason})")
                continue
            note = "" if g.tested else f" (not tested: {g.reason})"
            lines.append(
                f"  {g.level}: k = {g.k}, {g.estimate:.4f} [{g.ci_lower:.4f}, {g.ci_upper:.4f}], "
                f"tau^2 = {g.tau2:.4f}, I^2 = {g.i2:.1f}%{note}"
            )
        if self.q_between is None:
            lines.append(f"Test for subgroup differences: not done ({self.reason})")
        else:
            stat = "Q" if self.test == "chi2" else "F"
            df = (
                f"{self.df_between}"
                if self.test == "chi2"
                else f"{self.df_between}, {self.df_within}"
            )
            lines.append(
                f"Test for subgroup differences: {stat}({df}) = {self.q_between:.2f}, "
                f"p = {self.p_between:.4g}"
                + ("" if self.i2_between is None else f", I^2 = {self.i2_between:.1f}%")
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary() + "</pre>"


def q_between(estimates: Sequence[float], ses: Sequence[float]) -> tuple[float, int, float]:
    """Cochran's Q of subgroup estimates with their SEs: ``(Q, df, p)``.

    >>> q, df, p = q_between([0.2, 0.6], [0.1, 0.1])
    >>> round(q, 4), df, round(p, 4)
    (8.0, 1, 0.0047)
    """
    est = np.asarray(estimates, dtype=float)
    q = LinearModel(est, np.asarray(ses, dtype=float) ** 2).fixed.q
    df = est.size - 1
    return q, df, float(scipy.stats.chi2.sf(q, df))


def subgroup_analysis(
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray,
    groups: Sequence[Any],
    *,
    by: str = "subgroup",
    method: str | None = None,
    ci_method: str | None = None,
    level: float = 0.95,
    preset: str | Preset | None = None,
    tau_common: bool | None = None,
    min_k: int = 2,
) -> SubgroupResult:
    """Pool each subgroup and test whether the subgroup effects differ.

    Parameters
    ----------
    yi, vi : effect sizes and sampling variances.
    groups : the subgroup of each study (any values; compared as text, sorted).
    by : name of the grouping column (for the report).
    method, ci_method, level, preset : as in :func:`metareview.stats.pooling.pool`.
    tau_common : one τ² for all subgroups (default: the preset's ``subgroup_tau2``).
    min_k : fewest studies a subgroup needs to enter the test (≥ 1).

    Examples
    --------
    >>> res = subgroup_analysis([0.1, 0.2, 0.15, 0.6, 0.7, 0.5], [0.02] * 6, list("aaabbb"),
    ...                         method="DL", tau_common=True)
    >>> res.test, round(res.q_between, 4), [round(g.estimate, 4) for g in res.groups]
    ('chi2', 15.1875, [0.15, 0.6])
    """
    method, ci_method, chosen = resolve_settings(method, ci_method, preset)
    check_choice("subgroup_tau2", chosen.subgroup_tau2, SUBGROUP_TAU2)
    if tau_common is None:
        tau_common = chosen.subgroup_tau2 == "common"
    if int(min_k) < 1:
        raise InputError(f"min_k must be a positive integer; got {min_k!r}")
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    labels = np.array([str(g) for g in groups], dtype=object)
    if labels.size != y.size:
        raise InputError(f"groups must have {y.size} values (one per study); got {labels.size}")
    settings = {"method": method, "ci_method": ci_method, "level": level, "preset": chosen}
    levels = sorted(set(labels))
    rows = [
        _separate_row(lev, y[labels == lev], v[labels == lev], min_k, settings) for lev in levels
    ]
    tested = [row.level for row in rows if row.tested]
    common = dict(by=by, method=method, ci_method=ci_method)
    if len(tested) < 2:
        return SubgroupResult(
            **common,
            tau_common=bool(tau_common),
            groups=tuple(rows),
            **_difference_test(),
            reason=f"fewer than 2 subgroups with at least {min_k} studies",
        )
    if tau_common:
        return _common_tau2(y, v, labels, tested, rows, settings, common)
    used = [row for row in rows if row.tested]
    q, df, p = q_between([r.estimate for r in used], [r.se for r in used])
    return SubgroupResult(
        **common,
        tau_common=False,
        groups=tuple(rows),
        **_difference_test(q, df, None, p, i2_from_q(q, df), "chi2"),
    )


def _difference_test(
    q: float | None = None,
    df: int | None = None,
    df_within: int | None = None,
    p: float | None = None,
    i2: float | None = None,
    test: str = "none",
) -> dict[str, Any]:
    """The test for subgroup differences as :class:`SubgroupResult` fields (none by default)."""
    return dict(
        q_between=q, df_between=df, df_within=df_within, p_between=p, i2_between=i2, test=test
    )


def _separate_row(
    level_name: str, y: np.ndarray, v: np.ndarray, min_k: int, settings: dict
) -> SubgroupRow:
    k = int(y.size)
    headline = pool(y, v, **settings).headline()
    del headline["q"]  # a subgroup row shows no Q of its own
    tested = k >= min_k
    return SubgroupRow(
        level=level_name,
        k=k,
        **headline,
        tested=tested,
        reason=None if tested else f"fewer than {min_k} studies",
    )


def _common_tau2(
    y: np.ndarray,
    v: np.ndarray,
    labels: np.ndarray,
    tested: list[str],
    rows: list[SubgroupRow],
    settings: dict,
    common: dict,
) -> SubgroupResult:
    """Mixed-effects model with the subgroup as factor: one τ² shared by the subgroups."""
    keep = np.isin(labels, tested)
    y_t, v_t, g_t = y[keep], v[keep], labels[keep]
    indicators = np.column_stack([(g_t == lev).astype(float) for lev in tested])
    method, ci_method, level = settings["method"], settings["ci_method"], settings["level"]
    # cell means: the model without intercept gives each subgroup's estimate and SE
    cells = metareg(
        y_t,
        v_t,
        Design(indicators, tuple(tested)),
        method=method,
        ci_method=ci_method,
        level=level,
    )
    contrasts = np.column_stack([np.ones(y_t.size), indicators[:, 1:]])
    names = ("intercept", *tested[1:])
    omnibus = metareg(
        y_t, v_t, Design(contrasts, names), method=method, ci_method=ci_method, level=level
    )
    s2 = LinearModel(y_t, v_t, contrasts).typical_variance()
    i2 = 100.0 * omnibus.tau2 / (omnibus.tau2 + s2) if method != "FE" else omnibus.i2
    by_level = {c.name: c for c in cells.coefficients}
    out_rows = []
    for row in rows:
        coef = by_level.get(row.level)
        if coef is None:
            out_rows.append(row)
            continue
        out_rows.append(
            take_fields(
                SubgroupRow, coef, level=row.level, k=row.k, tau2=omnibus.tau2, i2=float(i2)
            )
        )
    df = len(tested) - 1
    f_test = omnibus.qm_df2 is not None
    return SubgroupResult(
        **common,
        tau_common=True,
        groups=tuple(out_rows),
        **_difference_test(
            omnibus.qm,
            df,
            omnibus.qm_df2,
            omnibus.qm_pvalue,
            None if f_test else i2_from_q(omnibus.qm, df),
            "F" if f_test else "chi2",
        ),
        tau2_common=omnibus.tau2,
    )
