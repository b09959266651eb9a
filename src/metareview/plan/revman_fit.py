"""Re-run one RevMan analysis with metareview: per study, per subgroup and in total.

Every pooled number comes from :func:`metareview.plan.analysis.analyze` under the ``revman5``
preset, on the rows :func:`metareview.data.revman.extraction.review_table` gives the
outcome, read from the section that stands for RevMan's method:

- ``MH`` (dichotomous): ``analyze``'s ``mantel_haenszel_random`` section — RevMan's
  "M-H, Fixed" (Mantel–Haenszel estimate and weights, Q around it) or "M-H, Random";
- ``PETO`` (dichotomous): its ``peto`` section (:mod:`metareview.stats.peto`), with each
  study's (O − E)/V and weight Vᵢ/ΣV;
- ``IV`` (and every continuous, generic inverse-variance and O − E outcome): its pooled
  inverse-variance model, fixed or DerSimonian–Laird random effects.

Effects are returned on RevMan's scale (ratios for OR, RR, Peto OR, HR). Study weights are
percentages of the overall total when RevMan shows one (``TOTALS="YES"``), else of the
subgroup's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from metareview.data.revman.extraction import review_table, table_kind
from metareview.data.revman.model import Outcome, OutcomeSettings, Review
from metareview.errors import MetareviewError
from metareview.plan.analysis import AnalysisSettings, analyze
from metareview.stats import distributions
from metareview.stats.heterogeneity import i2_from_q
from metareview.stats.subgroups import q_between

# The data columns each kind of table passes to ``analyze``.
ANALYSIS_COLUMNS = {
    "dichotomous": ("event_arm1", "totaln_arm1", "event_arm2", "totaln_arm2"),
    "continuous": ("mean_arm1", "sd_arm1", "n_arm1", "mean_arm2", "sd_arm2", "n_arm2"),
    "generic": ("yi", "sei"),
    "oe": ("yi", "sei"),
    "peto": ("event_arm1", "totaln_arm1", "event_arm2", "totaln_arm2"),
    "dichotomous_iv": ("event_arm1", "totaln_arm1", "event_arm2", "totaln_arm2"),
}


@dataclass(frozen=True)
class Fit:
    """metareview's numbers for one subgroup or total: ``values`` keyed as RevMan's stored
    results (``model.POOLED_KEYS``); ``studies`` maps a row of the outcome's table to the
    study's ``yi``, ``vi`` (analysis scale) and weight (percent of this fit)."""

    values: dict[str, float]
    se: float
    log_effect: float
    studies: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    dropped: tuple[str, ...] = ()


def outcome_rows(outcome: Outcome) -> pd.DataFrame:
    """The outcome's rows as ``analyze`` takes them (Peto: the 2×2 counts as event columns)."""
    frame = review_table_for(outcome)
    if table_kind(outcome) in ("peto", "dichotomous_iv"):
        frame = frame.drop(columns=list(ANALYSIS_COLUMNS["peto"])).rename(
            columns={
                "revman_events_1": "event_arm1",
                "revman_total_1": "totaln_arm1",
                "revman_events_2": "event_arm2",
                "revman_total_2": "totaln_arm2",
            }
        )
    return frame[["study", "subgroup_no", *ANALYSIS_COLUMNS[table_kind(outcome)]]]


def review_table_for(outcome: Outcome) -> pd.DataFrame:
    """:func:`review_table` of a review holding only ``outcome`` (rows numbered from 0)."""
    return review_table(Review("", "rm5", "", (), (outcome,))).reset_index(drop=True)


def fit_rows(frame: pd.DataFrame, outcome: Outcome) -> Fit:
    """Pool ``frame`` (some of :func:`outcome_rows`) as RevMan's settings say."""
    settings = outcome.settings
    kind = table_kind(outcome)
    measure = _analysis_measure(settings, kind)
    columns = [c for c in frame.columns if c != "subgroup_no"]
    data = frame[columns].reset_index(drop=True)
    repeated = data["study"].duplicated(keep=False)
    if repeated.any():  # RevMan counts a study once per subgroup it is in, as its own row
        data["study"] = data["study"].where(
            ~repeated, data["study"] + " (subgroup " + frame["subgroup_no"].astype(str).values + ")"
        )
    result = analyze(
        data,
        AnalysisSettings(
            measure=measure,
            preset="revman5",
            method="DL",
            level=settings.ci_total,
            drop_incomplete=True,  # a study without data is "not estimable" in RevMan
        ),
    )
    positions = [int(frame.index[row - 2]) for row in result.rows]
    dropped = tuple(f"{d.study}: {d.reason}" for d in result.dropped)
    if kind == "peto":
        return _peto_fit(result, frame, positions, dropped, settings)
    if kind == "dichotomous" and settings.method == "MH":
        section = result.mantel_haenszel_random
        model = section.fixed if settings.model == "fixed" else section.random
        weights = section.fixed_weights if settings.model == "fixed" else section.weights
        het = (section.q, section.q_df, section.q_pvalue, section.i2, section.tau2)
        yi, vi = section.yi, section.vi
    else:
        pooled = result.pooled
        model = pooled.fixed if settings.model == "fixed" else pooled.random
        yi, vi = pooled.yi, pooled.vi
        inverse = 1 / np.asarray(vi)
        fixed_weights = tuple(100 * inverse / inverse.sum())
        weights = fixed_weights if settings.model == "fixed" else pooled.weights
        het = (pooled.q, pooled.q_df, pooled.q_pvalue, pooled.i2, pooled.tau2)
    q, df, p_q, i2, tau2 = het
    studies = {p: (y, v, w) for p, y, v, w in zip(positions, yi, vi, weights)}
    return _fit(
        model.estimate,
        model.se,
        model.ci_lower,
        model.ci_upper,
        q,
        df,
        p_q,
        i2,
        tau2 if settings.model == "random" else 0.0,
        settings,
        studies,
        dropped,
    )


def _analysis_measure(settings: OutcomeSettings, kind: str) -> str | None:
    if kind in ("generic", "oe"):
        return None  # pooled as given, on the scale of the table
    if kind == "peto":
        return "OR"
    return settings.measure


def _peto_fit(result, frame, positions, dropped, settings) -> Fit:
    section = result.peto
    counts = frame.loc[positions, list(ANALYSIS_COLUMNS["peto"])].to_numpy(dtype=float)
    e1, n1, e2, n2 = counts.T
    n, m = n1 + n2, e1 + e2
    variance = n1 * n2 * m * (n - m) / (n * n * (n - 1))
    o_minus_e = e1 - n1 * m / n
    weights = 100 * variance / variance.sum()
    studies = {
        p: (o / v, 1 / v, w) if v > 0 else (math.nan, math.nan, 0.0)
        for p, o, v, w in zip(positions, o_minus_e, variance, weights)
    }
    return _fit(
        section.estimate,
        section.se,
        section.ci_lower,
        section.ci_upper,
        section.q,
        section.q_df,
        section.q_pvalue,
        section.i2,
        0.0,
        settings,
        studies,
        dropped,
    )


def _fit(estimate, se, lower, upper, q, df, p_q, i2, tau2, settings, studies, dropped) -> Fit:
    shown = math.exp if settings.ratio else float
    values = {
        "effect": shown(estimate),
        "ci_lower": shown(lower),
        "ci_upper": shown(upper),
        "chi2": q,
        "df": float(df),
        "i2": i2,
        "tau2": tau2,
        "z": abs(estimate / se),
        "p_z": distributions.z_pvalue(estimate / se),
    }
    if p_q is not None:
        values["p_chi2"] = p_q
    return Fit(values, se, estimate, studies, dropped)


def study_numbers(
    yi: float, vi: float, weight: float, settings: OutcomeSettings
) -> dict[str, float]:
    """A study's effect, CI (at RevMan's study level) and weight, on RevMan's scale."""
    shown = math.exp if settings.ratio else float
    half = distributions.z_crit(settings.ci_study) * math.sqrt(vi)
    return {
        "effect": shown(yi),
        "ci_lower": shown(yi - half),
        "ci_upper": shown(yi + half),
        "weight": weight,
    }


def subgroup_test(fits: list[Fit]) -> dict[str, float] | None:
    """RevMan's test for subgroup differences: Q between the subgroup estimates (their own
    SEs), df = subgroups − 1, and I² = (Q − df)/Q; ``None`` with fewer than two subgroups."""
    if len(fits) < 2:
        return None
    q, df, p = q_between([f.log_effect for f in fits], [f.se for f in fits])
    return {"q_between": q, "df_between": float(df), "p_between": p, "i2_between": i2_from_q(q, df)}


def fit_outcome(outcome: Outcome) -> dict[str, Any]:
    """Every number of ``outcome``: ``subgroups`` (number → :class:`Fit` or an error text),
    ``total`` (a :class:`Fit`, an error text, or ``None`` when RevMan shows no total),
    ``studies`` (row → numbers) and the subgroup ``test``."""
    frame = outcome_rows(outcome)
    subgroups: dict[int, Fit | str] = {}
    for number, rows in frame.groupby("subgroup_no", sort=False):
        subgroups[int(number)] = _try(rows, outcome)
    total = (
        _try(frame, outcome)
        if outcome.settings.totals == "YES" or not outcome.has_subgroups
        else None
    )
    weights_from = [total] if isinstance(total, Fit) and outcome.has_subgroups else []
    studies: dict[int, dict[str, float]] = {}
    for fit in [*weights_from, *(f for f in subgroups.values() if isinstance(f, Fit))]:
        for position, (yi, vi, weight) in fit.studies.items():
            if position not in studies and math.isfinite(yi):
                studies[position] = study_numbers(yi, vi, weight, outcome.settings)
    fitted = [f for f in subgroups.values() if isinstance(f, Fit)]
    test = (
        subgroup_test(fitted) if outcome.has_subgroups and outcome.settings.subgroup_test else None
    )
    return {
        "frame": frame,
        "subgroups": subgroups,
        "total": total,
        "studies": studies,
        "test": test,
    }


def _try(rows: pd.DataFrame, outcome: Outcome) -> Fit | str:
    try:
        return fit_rows(rows, outcome)
    except (MetareviewError, ValueError) as err:
        return str(err)
