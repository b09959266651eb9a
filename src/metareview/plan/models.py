"""The models of metapsyTools' ``runMetaAnalysis`` for one analysis (plan ``models = [...]``).

Each model is one concrete analysis of the plan (role ``model``, ``variant`` its name), fitted
by the runner with ``analyze`` like every other; :func:`models_table` then lays their results
out as ``runMetaAnalysis``'s summary: one row per model with k, g, CI, p, I² with CI, the
prediction interval and the NNT, plus σ² and I² per level for the multilevel models.

| model | effects pooled | as runMetaAnalysis's |
|---|---|---|
| ``overall`` | every effect, as if independent | ``"overall"`` |
| ``combined`` | one per study, a study's effects combined with ρ | ``"combined"`` (per study) |
| ``lowest``, ``highest`` | one per study, its lowest / highest | ``"lowest.highest"`` |
| ``outliers``, ``influence`` | ``overall`` without the effects flagged in it | ``which.outliers = "overall"`` |
| ``rob`` | every effect of a low risk-of-bias row | ``"rob"`` (``which.rob = "overall"``) |
| ``threelevel``, ``che`` | every effect, clustered by study | ``"threelevel"``, ``"threelevel.che"`` |

>>> [MODEL_LABELS[m] for m in ("overall", "che")]
['Overall', 'Three-level model (CHE)']
>>> model_settings("lowest", Settings()).multiple_effects, model_request("che", Settings(), 0.6).rho
('lowest', 0.6)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from metareview.plan.multilevel import MultilevelRequest
from metareview.plan.plan import Settings
from metareview.plan.result_tree import plain
from metareview.plan.results import AnalysisRecord
from metareview.stats.nnt import nnt_furukawa

MODELS: tuple[str, ...] = (
    "overall",
    "combined",
    "lowest",
    "highest",
    "outliers",
    "influence",
    "rob",
    "threelevel",
    "che",
)
MODEL_LABELS = {
    "overall": "Overall",
    "combined": "Combined",
    "lowest": "One effect per study (lowest)",
    "highest": "One effect per study (highest)",
    "outliers": "Outliers removed",
    "influence": "Influential cases removed",
    "rob": "Low risk of bias only",
    "threelevel": "Three-level model",
    "che": "Three-level model (CHE)",
}
DERIVED_MODELS = ("outliers", "influence")  # fitted after overall, without what it flags
MULTILEVEL_MODELS = ("threelevel", "che")
# how several effects of one study enter each model (selection.one_per_study's rules)
_EFFECT_RULES = {"combined": "combine", "lowest": "lowest", "highest": "highest"}


def model_id(main_id: str, model: str) -> str:
    """The id of a model's analysis under the main analysis ``main_id``.

    >>> model_id("depression/post", "che")
    'depression/post/model-che'
    """
    return f"{main_id}/model-{model}"


def model_settings(model: str, settings: Settings) -> Settings:
    """The analysis' settings with the rule for several effects per study the model needs."""
    return settings.merged({"multiple_effects": _EFFECT_RULES.get(model, "independent")})


def model_request(model: str, settings: Settings, rho: float) -> MultilevelRequest | None:
    """The multilevel fit of a model (``None`` for the standard random-effects models).

    CHE uses ``rho``, the correlation ``combined`` uses (runMetaAnalysis's
    ``rho.within.study``), and CR2; the three-level model no robust variance."""
    if model == "threelevel":
        return MultilevelRequest(model="threelevel")
    if model == "che":
        return MultilevelRequest(model="che", rho=rho)
    return None


def models_table(
    records: Sequence[AnalysisRecord], *, measure: str, cer: float
) -> list[dict[str, Any]]:
    """One row per model analysis in ``records`` (in :data:`MODELS` order), as the summary of
    ``runMetaAnalysis``: every number is the fitted analysis' own (no refit here).

    A row has ``model``, ``label``, ``id``, ``status`` (``reason`` when skipped), ``k``
    (effects), ``n_studies``, ``estimate``, ``se``, ``ci_lower``, ``ci_upper``, ``pvalue``,
    ``i2`` with ``i2_ci``, ``pi_lower``, ``pi_upper``, ``nnt`` with ``nnt_cer`` (SMD only),
    ``excluded`` (``rho`` for ``combined``: ``None`` when no study had several effects) and,
    for the multilevel models, ``variance`` (σ², their CIs and I² per level, ρ, smoothing and
    the robust method).
    """
    by_model = {record.tree.spec.variant: record for record in records}
    return [_row(model, by_model[model], measure, cer) for model in MODELS if model in by_model]


def _row(model: str, record: AnalysisRecord, measure: str, cer: float) -> dict[str, Any]:
    row: dict[str, Any] = {
        "model": model,
        "label": MODEL_LABELS[model],
        "id": record.id,
        "status": record.status,
        "excluded": list(record.excluded_studies),
    }
    if not record.ok:
        return {**row, "reason": record.reason}
    tree = record.tree
    result = tree.result
    studies = {str(entry.study) for entry in result.studies}
    multilevel = result.multilevel
    if model in MULTILEVEL_MODELS and multilevel:
        robust = multilevel.robust if multilevel.robust and multilevel.robust.present else None
        source = robust or multilevel
        estimate = multilevel.estimate
        numbers = {
            "k": multilevel.k,
            "n_studies": multilevel.n_studies,
            "estimate": estimate,
            "se": source.se,
            "ci_lower": source.ci_lower,
            "ci_upper": source.ci_upper,
            "pvalue": source.pvalue,
            "i2": multilevel.i2.total,
            "i2_ci": None,
            "pi_lower": multilevel.pi_lower,
            "pi_upper": multilevel.pi_upper,
            "variance": {
                "sigma2": dict(zip(("between", "within"), multilevel.sigma2, strict=True)),
                "sigma2_ci": dict(
                    zip(
                        ("between", "within"),
                        plain(multilevel.sigma2_ci) or [None, None],
                        strict=True,
                    )
                ),
                "i2": plain(multilevel.i2),
                "method": multilevel.method,
                "rho": multilevel.rho,
                "smooth_vi": multilevel.smooth_vi,
                "test": multilevel.test,
                "robust": None if robust is None else robust.method,
            },
        }
    else:
        fit = tree.fit
        pooled, heterogeneity = fit.pooled(record.model), fit.heterogeneity
        estimate = pooled.estimate
        numbers = {
            "k": result.k,
            "n_studies": len(studies),
            "estimate": estimate,
            "se": pooled.se,
            "ci_lower": pooled.ci_lower,
            "ci_upper": pooled.ci_upper,
            "pvalue": pooled.pvalue,
            "i2": heterogeneity.i2,
            "i2_ci": plain(heterogeneity.i2_ci),
            "pi_lower": result.random.pi_lower,
            "pi_upper": result.random.pi_upper,
        }
    if model == "combined":  # the correlation its studies' effects were combined with
        numbers["rho"] = tree.combined[0].rho if tree.combined else None
    nnt = nnt_furukawa(estimate, cer) if measure == "SMD" else None
    return {**row, **numbers, "nnt": nnt, "nnt_cer": cer if nnt is not None else None}
