"""The plan's rules applied to fitted analyses: headline model, outliers, subgroup tests.

Pure functions of ``analyze`` documents (``AnalysisResult.to_dict()``), so the runner and
the tests use the same code.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from scipy import stats

from metareview.plan.plan import Settings
from metareview.plan.results import headline_result
from metareview.stats.influence import influence
from metareview.stats.outliers import outside_pooled_ci


def choose_model(settings: Settings, result: dict[str, Any]) -> tuple[str, str]:
    """The headline model by the plan's rule, and the reason in words.

    >>> choose_model(Settings(model="fixed_if_low_i2"), {"heterogeneity": {"i2": 31.0}})
    ('fixed', 'fixed-effect model because I² = 31% < 50%')
    >>> choose_model(Settings(), {"heterogeneity": {"i2": 31.0}})
    ('random', 'random-effects model (plan)')
    """
    if settings.model != "fixed_if_low_i2":
        name = "random-effects" if settings.model == "random" else "fixed-effect"
        return settings.model, f"{name} model (plan)"
    i2 = float(headline_result(result)["heterogeneity"]["i2"])  # RevMan's I² under revman5
    threshold = settings.i2_threshold
    if i2 < threshold:
        return "fixed", f"fixed-effect model because I² = {i2:.0f}% < {threshold:g}%"
    return "random", f"random-effects model because I² = {i2:.0f}% ≥ {threshold:g}%"


def outlier_studies(
    result: dict[str, Any], model: str, level: float, key: str = "study"
) -> list[Any]:
    """Studies whose CI lies wholly outside the pooled CI (the metapsy/dmetar outlier rule);
    ``key="row"`` gives their rows instead (several effects of a study pooled as independent).

    >>> doc = {"studies": [{"study": "A", "yi": 2.0, "vi": 0.01}, {"study": "B", "yi": 0.1, "vi": 0.01}],
    ...        "random": {"ci_lower": 0.0, "ci_upper": 0.4}}
    >>> outlier_studies(doc, "random", 0.95)
    ['A']
    """
    studies = result["studies"]
    outside = outside_pooled_ci(
        [s["yi"] for s in studies],
        [s["vi"] for s in studies],
        (result[model]["ci_lower"], result[model]["ci_upper"]),
        level,
    )
    return [_entry_key(s, key) for s, out in zip(studies, outside, strict=True) if out]


def _entry_key(study: dict[str, Any], key: str) -> Any:
    return str(study["study"]) if key == "study" else study[key]


def influential_studies(result: dict[str, Any], key: str = "study") -> list[Any]:
    """Studies the influence diagnostics (Viechtbauer & Cheung 2010, as metafor's
    ``influence()``) flag in a fitted analysis document (``key="row"``: their rows): those of
    its ``influence`` section, or of the diagnostics computed now where the document has none.

    >>> doc = {"method": "DL", "studies": [{"study": s, "yi": y, "vi": v} for s, y, v in
    ...        zip("ABCDE", [0.1, 0.3, 0.35, 0.65, 1.4], [0.03, 0.03, 0.05, 0.01, 0.04])]}
    >>> influential_studies(doc)
    ['E']
    """
    studies = result["studies"]
    if result.get("influence"):
        flags = [row["influential"] for row in result["influence"]]
    else:
        flags = influence(
            [s["yi"] for s in studies],
            [s["vi"] for s in studies],
            method=result["method"],
            studies=[str(s["study"]) for s in studies],
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
    fits: dict[str, dict],
    prefix: str,
    min_k: int,
    model: str,
    section: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Pooled estimate per level of ``column`` and the test for subgroup differences.

    Each level shows its fit as the preset's software does (:func:`headline_result`: under
    ``revman5`` with event counts RevMan's M-H, Fixed or M-H, Random model). Under the
    random-effects model the test is ``analyze``'s subgroup ``section`` (the preset's
    convention: separate or common τ²). Otherwise — a fixed-effect headline, RevMan's M-H
    models (Deeks & Higgins 2010: each subgroup pooled with the outcome's method), or no
    section — it is the Q statistic between the subgroup estimates of the headline model with
    their own standard errors, on (levels − 1) df (RevMan's test).
    """
    levels = []
    for level, rows in frame.groupby(column, sort=True):
        fitted = fits.get(subgroup_key(prefix, column, level))
        entry: dict[str, Any] = {
            "level": str(level),
            "k": int(rows["study"].nunique()),
            "studies": [str(s) for s in rows["study"].unique()],
        }
        if fitted is None or "error" in fitted:
            entry["reason"] = (fitted or {}).get("error", f"k < {min_k}")
        else:
            entry.update(result=headline_result(fitted))
        levels.append(entry)
    results = [e["result"] for e in levels if "result" in e]
    pooled = [result[model] for result in results]
    mantel_haenszel = any(result.get("model") == "MH-random" for result in results)
    test = None
    if (
        model == "random"
        and section
        and section.get("p_between") is not None
        and not mantel_haenszel
    ):
        test = {
            "q": section["q_between"],
            "df": section["df_between"],
            "pvalue": section["p_between"],
            "method": section["test"],
            "tau_common": section["tau_common"],
        }
    elif len(pooled) >= 2:
        estimates = [p["estimate"] for p in pooled]
        weights = [1.0 / p["se"] ** 2 for p in pooled]
        mean = sum(w * e for w, e in zip(weights, estimates)) / sum(weights)
        q = sum(w * (e - mean) ** 2 for w, e in zip(weights, estimates))
        df = len(pooled) - 1
        test = {"q": q, "df": df, "pvalue": float(stats.chi2.sf(q, df))}
    return {"column": column, "levels": levels, "test": test}
