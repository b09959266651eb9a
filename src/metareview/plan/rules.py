"""The plan's rules applied to fitted analyses: headline model, outliers, subgroup tests.

Pure functions of fitted analyses (:class:`FitResult`, or the ``analyze`` document it reads,
``AnalysisResult.to_dict()``), so the runner and the tests use the same code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import scipy

from metareview.plan.plan import Settings
from metareview.plan.result_tree import FitResult, Study, SubgroupSection
from metareview.stats.influence import influence
from metareview.stats.outliers import outside_pooled_ci


def choose_model(settings: Settings, result: FitResult | Mapping[str, Any]) -> tuple[str, str]:
    """The headline model by the plan's rule, and the reason in words.

    >>> choose_model(Settings(model="fixed_if_low_i2"), {"heterogeneity": {"i2": 31.0}})
    ('fixed', 'fixed-effect model because I² = 31% < 50%')
    >>> choose_model(Settings(), {"heterogeneity": {"i2": 31.0}})
    ('random', 'random-effects model (plan)')
    """
    if settings.model != "fixed_if_low_i2":
        name = "random-effects" if settings.model == "random" else "fixed-effect"
        return settings.model, f"{name} model (plan)"
    i2 = float(FitResult.of(result).headline().heterogeneity.i2)  # RevMan's I² under revman5
    threshold = settings.i2_threshold
    if i2 < threshold:
        return "fixed", f"fixed-effect model because I² = {i2:.0f}% < {threshold:g}%"
    return "random", f"random-effects model because I² = {i2:.0f}% ≥ {threshold:g}%"


def outlier_studies(
    result: FitResult | Mapping[str, Any], model: str, level: float, key: str = "study"
) -> list[Any]:
    """Studies whose CI lies wholly outside the pooled CI (the metapsy/dmetar outlier rule);
    ``key="row"`` gives their rows instead (several effects of a study pooled as independent).

    >>> doc = {"studies": [{"study": "A", "yi": 2.0, "vi": 0.01}, {"study": "B", "yi": 0.1, "vi": 0.01}],
    ...        "random": {"ci_lower": 0.0, "ci_upper": 0.4}}
    >>> outlier_studies(doc, "random", 0.95)
    ['A']
    """
    fit = FitResult.of(result)
    studies, pooled = fit.studies, fit.pooled(model)
    outside = outside_pooled_ci(
        [s.yi for s in studies],
        [s.vi for s in studies],
        (pooled.ci_lower, pooled.ci_upper),
        level,
    )
    return [_entry_key(s, key) for s, out in zip(studies, outside, strict=True) if out]


def _entry_key(study: Study, key: str) -> Any:
    """A study's label (``key="study"``) or its table row (``key="row"``)."""
    return str(study.study) if key == "study" else study.row


def influential_studies(result: FitResult | Mapping[str, Any], key: str = "study") -> list[Any]:
    """Studies the influence diagnostics (Viechtbauer & Cheung 2010, as metafor's
    ``influence()``) flag in a fitted analysis document (``key="row"``: their rows): those of
    its ``influence`` section, or of the diagnostics computed now where the document has none.

    >>> doc = {"method": "DL", "studies": [{"study": s, "yi": y, "vi": v} for s, y, v in
    ...        zip("ABCDE", [0.1, 0.3, 0.35, 0.65, 1.4], [0.03, 0.03, 0.05, 0.01, 0.04])]}
    >>> influential_studies(doc)
    ['E']
    """
    fit = FitResult.of(result)
    studies = fit.studies
    if fit.influence:
        flags = [row.influential for row in fit.influence]
    else:
        flags = influence(
            [s.yi for s in studies],
            [s.vi for s in studies],
            method=fit.method,
            studies=[str(s.study) for s in studies],
        ).influential
    return [_entry_key(s, key) for s, flag in zip(studies, flags, strict=True) if flag]


def subgroup_key(prefix: str, column: str, level: Any) -> str:
    """The key under which the fit of one subgroup level is kept.

    >>> subgroup_key("clinical/post", "format", "group")
    'clinical/post|sub|format|group'
    """
    return f"{prefix}|sub|{column}|{level}"


def subgroup_block(
    column: str,
    frame: pd.DataFrame,
    fits: Mapping[str, FitResult | Mapping[str, Any]],
    prefix: str,
    min_k: int,
    model: str,
    section: SubgroupSection | Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Pooled estimate per level of ``column`` and the test for subgroup differences.

    Each level shows its fit as the preset's software does (:meth:`FitResult.headline`: under
    ``revman5`` with event counts RevMan's M-H, Fixed or M-H, Random model). Under the
    random-effects model the test is ``analyze``'s subgroup ``section`` (the preset's
    convention: separate or common τ²). Otherwise — a fixed-effect headline, RevMan's M-H
    models (Deeks & Higgins 2010: each subgroup pooled with the outcome's method), or no
    section — it is the Q statistic between the subgroup estimates of the headline model with
    their own standard errors, on (levels − 1) df (RevMan's test).
    """
    levels, pooled, mantel_haenszel = [], [], False
    for level, rows in frame.groupby(column, sort=True):
        document = fits.get(subgroup_key(prefix, column, level))
        entry: dict[str, Any] = {
            "level": str(level),
            "k": int(rows["study"].nunique()),
            "studies": [str(s) for s in rows["study"].unique()],
        }
        fitted = None if document is None else FitResult.of(document)
        if fitted is None or fitted.error is not None:
            entry["reason"] = f"k < {min_k}" if fitted is None else fitted.error
        else:
            shown = fitted.headline()
            stored = shown is fitted and not isinstance(document, FitResult)
            entry.update(result=document if stored else shown.to_dict())
            pooled.append(shown.pooled(model))
            mantel_haenszel |= shown.mantel_haenszel_model
        levels.append(entry)
    test = None
    between = None if section is None else SubgroupSection.of(section)
    if model == "random" and between and between.p_between is not None and not mantel_haenszel:
        test = {
            "q": between.q_between,
            "df": between.df_between,
            "pvalue": between.p_between,
            "method": between.test,
            "tau_common": between.tau_common,
        }
    elif len(pooled) >= 2:
        estimates = [p.estimate for p in pooled]
        weights = [1.0 / p.se**2 for p in pooled]
        mean = sum(w * e for w, e in zip(weights, estimates)) / sum(weights)
        q = sum(w * (e - mean) ** 2 for w, e in zip(weights, estimates))
        df = len(pooled) - 1
        test = {"q": q, "df": df, "pvalue": float(scipy.stats.chi2.sf(q, df))}
    return {"column": column, "levels": levels, "test": test}
