"""Methods and results text generated from the plan, the preset and the numbers.

The methods paragraph names the software and version, the effect size and its correction,
the τ² estimator, the CI method, I² and its CI, the prediction interval, the subgroup test,
the outlier rule, the small-study tests, the handling of several effects per study, the
model-choice rule and the minimum-k rules, citing numbered references. One results paragraph
per outcome group reports the pooled effect as a reviewer would write it.

>>> from metareview.report.methods_text import describe_i2
>>> describe_i2(10.0), describe_i2(62.0)
('low', 'substantial')
"""

from __future__ import annotations

from metareview import __version__
from metareview.data.effects import PRECOMPUTED
from metareview.plan.expand import SENSITIVITY_LABELS
from metareview.plan.grade_review import GradeConfig, graded_records
from metareview.plan.plan import Plan, Settings
from metareview.plan.result_tree import FitResult
from metareview.plan.results import AnalysisRecord, ReviewResults
from metareview.plan.runner import combine_rho
from metareview.report.forest_data import all_mirrored
from metareview.report.metaregression_table import metaregression_sentence
from metareview.report.models_table import models_methods
from metareview.report.multiverse_section import multiverse_methods
from metareview.report.numbers import (
    ci_label,
    effect_symbol,
    fixed,
    i2_footnote,
    p_clause,
    shown_scale,
)
from metareview.stats.presets import Preset, get_preset
from metareview.stats.vocabulary import RATIO_MEASURES

REFERENCES = {
    "hedges": "Hedges LV. Distribution theory for Glass's estimator of effect size and related estimators. J Educ Stat. 1981;6(2):107-128.",
    "dl": "DerSimonian R, Laird N. Meta-analysis in clinical trials. Control Clin Trials. 1986;7(3):177-188.",
    "reml": "Viechtbauer W. Bias and efficiency of meta-analytic variance estimators in the random-effects model. J Educ Behav Stat. 2005;30(3):261-293.",
    "pm": "Paule RC, Mandel J. Consensus values and weighting factors. J Res Natl Bur Stand. 1982;87(5):377-385.",
    "knha": "Hartung J, Knapp G. A refined method for the meta-analysis of controlled clinical trials with binary outcome. Stat Med. 2001;20(24):3875-3889.",
    "i2": "Higgins JPT, Thompson SG. Quantifying heterogeneity in a meta-analysis. Stat Med. 2002;21(11):1539-1558.",
    "qprofile": "Viechtbauer W. Confidence intervals for the amount of heterogeneity in meta-analysis. Stat Med. 2007;26(1):37-52.",
    "pi": "IntHout J, Ioannidis JPA, Rovers MM, Goeman JJ. Plea for routinely presenting prediction intervals in meta-analysis. BMJ Open. 2016;6:e010247.",
    "subgroups": "Borenstein M, Hedges LV, Higgins JPT, Rothstein HR. Introduction to Meta-Analysis. Chichester: Wiley; 2009 (chapter 19).",
    "outliers": "Harrer M, Cuijpers P, Furukawa TA, Ebert DD. Doing Meta-Analysis with R: A Hands-On Guide. Boca Raton: CRC Press; 2021.",
    "egger": "Egger M, Davey Smith G, Schneider M, Minder C. Bias in meta-analysis detected by a simple, graphical test. BMJ. 1997;315:629-634.",
    "selection": "Vevea JL, Hedges LV. A general linear model for estimating effect size in the presence of publication bias. Psychometrika. 1995;60(3):419-435.",
    "trimfill": "Duval S, Tweedie R. Trim and fill: a simple funnel-plot-based method of testing and adjusting for publication bias in meta-analysis. Biometrics. 2000;56(2):455-463.",
    "metafor": "Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat Softw. 2010;36(3):1-48.",
    "metareg": "Raudenbush SW. Analyzing effect sizes: random-effects models. In: Cooper H, Hedges LV, Valentine JC, editors. The Handbook of Research Synthesis and Meta-Analysis. 2nd ed. New York: Russell Sage Foundation; 2009. p. 295-315.",
    "knha_metareg": "Knapp G, Hartung J. Improved tests for a random effects meta-regression with a single covariate. Stat Med. 2003;22(17):2693-2710.",
    "permutation": "Higgins JPT, Thompson SG. Controlling the risk of spurious findings from meta-regression. Stat Med. 2004;23(11):1663-1682.",
    "grade": "Guyatt GH, Oxman AD, Vist GE, et al. GRADE: an emerging consensus on rating quality of evidence and strength of recommendations. BMJ. 2008;336:924-926.",
    "handbook": "Higgins JPT, Thomas J, Chandler J, et al., editors. Cochrane Handbook for Systematic Reviews of Interventions. Version 6.4. Cochrane; 2023.",
    "voracek": "Voracek M, Kossmeier M, Tran US. Which data to meta-analyze, and how? A specification-curve and multiverse-analysis approach to meta-analysis. Z Psychol. 2019;227(1):64-82.",
    "simonsohn": "Simonsohn U, Simmons JP, Nelson LD. Specification curve analysis. Nat Hum Behav. 2020;4:1208-1214.",
    "metapsytools": "Harrer M, Kuper P, Cuijpers P. metapsyTools: several R helper functions for the Metapsy database. R package, version 1.0.4 or later.",
    "influence": "Viechtbauer W, Cheung MWL. Outlier and influence diagnostics for meta-analysis. Res Synth Methods. 2010;1(2):112-125.",
    "threelevel": "Konstantopoulos S. Fixed effects and variance components estimation in three-level meta-analysis. Res Synth Methods. 2011;2(1):61-76.",
    "che": "Pustejovsky JE, Tipton E. Meta-analysis with robust variance estimation: expanding the range of working models. Prev Sci. 2022;23:425-438.",
    "cr2": "Tipton E, Pustejovsky JE. Small-sample adjustments for tests of moderators and model fit using robust variance estimation in meta-regression. J Educ Behav Stat. 2015;40(6):604-634.",
    "multilevel_i2": "Cheung MWL. Modeling dependent effect sizes with three-level meta-analyses: a structural equation modeling approach. Psychol Methods. 2014;19(2):211-229.",
    "furukawa": "Furukawa TA, Leucht S. How to obtain NNT from Cohen's d: comparison of two methods. PLoS One. 2011;6(4):e19070.",
}
TAU2_NAMES = {
    "DL": ("the DerSimonian–Laird estimator", "dl"),
    "REML": ("restricted maximum likelihood", "reml"),
    "ML": ("maximum likelihood", "reml"),
    "PM": ("the Paule–Mandel estimator", "pm"),
    "SJ": ("the Sidik–Jonkman estimator", "reml"),
    "HE": ("the Hedges estimator", "reml"),
    "EB": ("the empirical Bayes estimator", "reml"),
    "HS": ("the Hunter–Schmidt estimator", "reml"),
    "FE": ("no between-study variance (common-effect model)", "handbook"),
}
MEASURE_NAMES = {
    "SMD": "standardised mean differences (Hedges' g)",
    "MD": "mean differences",
    "OR": "odds ratios (pooled on the log scale)",
    "RR": "risk ratios (pooled on the log scale)",
    "RD": "risk differences",
    "HR": "hazard ratios (pooled on the log scale)",
}
# es_source of effects taken as reported (never corrected again)
PRECOMPUTED_SOURCES = {"precalc_g", *PRECOMPUTED}
SMD_CORRECTIONS = {
    "exact": "the exact small-sample correction J = Γ(m/2)/(√(m/2) Γ((m−1)/2))",
    "approx": "the approximate small-sample correction J = 1 − 3/(4N − 9)",
    "approx_df": "the small-sample correction J = 1 − 3/(4df − 1)",
}


class _Citations:
    """Numbered references in order of first citation."""

    def __init__(self) -> None:
        self.order: list[str] = []

    def cite(self, *keys: str) -> str:
        numbers = []
        for key in keys:
            if key not in self.order:
                self.order.append(key)
            numbers.append(self.order.index(key) + 1)
        return "[" + ", ".join(str(n) for n in numbers) + "]"

    def references(self) -> list[str]:
        return [REFERENCES[key] for key in self.order]


def describe_i2(i2: float) -> str:
    """Words for the amount of heterogeneity (after the Cochrane Handbook's overlapping bands)."""
    if i2 < 25:
        return "low"
    if i2 < 50:
        return "moderate"
    return "substantial" if i2 < 75 else "considerable"


def methods_paragraph(results: ReviewResults) -> tuple[str, list[str]]:
    """The methods paragraph of the review and its reference list."""
    plan = results.typed_plan
    settings, runs, min_k = plan.settings, plan.runs, plan.min_k
    preset = get_preset(settings.preset)
    method = settings.method or preset.tau2_method
    ci_method = settings.ci_method or preset.ci_method
    cite = _Citations()
    parts = [
        f"Analyses were run with metareview {__version__} using the conventions of "
        f"{preset.software} (preset '{preset.name}'), following a prespecified analysis plan."
    ]
    measure = settings.measure
    effect = f"Effects were expressed as {MEASURE_NAMES.get(measure, measure)}"
    if measure == "SMD":
        effect += _smd_correction_text(results, preset, cite)
    parts.append(effect + "; positive values favour the intervention.")
    tau_name, tau_ref = TAU2_NAMES.get(method, (method, "handbook"))
    model_text = _model_text(settings)
    parts.append(
        f"Effects were pooled with {model_text}; the between-study variance τ² was "
        f"estimated by {tau_name} {cite.cite(tau_ref)}."
    )
    if ci_method == "knha":
        parts.append(
            f"Confidence intervals and tests of the pooled effect used the Hartung–Knapp–"
            f"Sidik–Jonkman adjustment {cite.cite('knha')}."
        )
    else:
        parts.append(
            "Confidence intervals of the pooled effect were based on the normal distribution."
        )
    i2_text = "τ²/(τ² + s²)" if preset.i2_definition == "tau2" else "(Q − df)/Q"
    level = ci_label(settings.level)
    heterogeneity = (
        f"Heterogeneity was assessed with Cochran's Q and I² = {i2_text} {cite.cite('i2')}"
    )
    if preset.i2_ci_method == "qprofile":
        heterogeneity += (
            f", whose {level} was computed from the Q-profile confidence interval of τ² "
        )
        heterogeneity += cite.cite("qprofile")
    elif preset.i2_ci_method == "test_based":
        heterogeneity += f", whose {level} was computed by the test-based method"
    else:
        heterogeneity += f", without a confidence interval for I² ({preset.software} reports none)"
    parts.append(heterogeneity + ".")
    if settings.prediction_interval and preset.pi_method != "none":
        df = {
            "t_k1": "a t distribution with k − 1 degrees of freedom",
            "t_k2": "a t distribution with k − 2 degrees of freedom",
        }.get(preset.pi_method, "the distribution used for the confidence interval")
        parts.append(f"Prediction intervals were computed with {df} {cite.cite('pi')}.")
    if settings.multiple_effects == "combine":
        parts.append(
            f"When a trial contributed several effect sizes to one analysis they were "
            f"combined assuming a within-study correlation of ρ = {combine_rho(settings):g}, so "
            "that each trial counted once."
        )
        parts += _combined_text(results)
    elif settings.multiple_effects in ("lowest", "highest", "first"):
        parts.append(
            f"When a trial contributed several effect sizes to one analysis, the "
            f"{settings.multiple_effects} was used, so that each trial counted once."
        )
    if runs.subgroups:
        parts.append(
            f"Subgroup analyses ({', '.join(runs.subgroups)}) "
            + (
                "pooled each subgroup separately and compared the subgroup estimates with "
                "a Q test on (subgroups − 1) degrees of freedom"
                if not _tau_common(settings, preset)
                else "were tested with a mixed-effects model with the subgroup as a factor "
                "and a τ² common to all subgroups (omnibus test on (subgroups − 1) degrees "
                "of freedom)"
            )
            + f" {cite.cite('subgroups')}."
        )
    parts += _metaregression_text(plan, method, ci_method, cite)
    sensitivity = runs.sensitivity
    if sensitivity:
        text = [SENSITIVITY_LABELS[s].lower() for s in sensitivity]
        parts.append("Sensitivity analyses: " + "; ".join(text) + ".")
    if "outliers_removed" in sensitivity:
        parts.append(
            f"Outliers were studies whose {level} did not overlap the CI of the pooled "
            f"effect {cite.cite('outliers')}."
        )
    parts += models_methods(list(results.analyses), cite.cite)
    if runs.small_study:
        parts.append(
            "Small-study effects were assessed with "
            f"{_small_study_text(runs.small_study, settings, cite)}"
            f" when at least {min_k.small_study} trials were pooled."
        )
    parts.append(
        f"Effects were pooled when at least {min_k.pool} trials were available "
        f"({min_k.specific_outcome} for specific outcomes; {min_k.subgroup} per subgroup)."
    )
    parts += _own_settings(plan, cite)
    parts += _own_analyses(plan, cite)
    parts += _grade_text(results, cite)
    if results.multiverses:
        tested = any(m.test is not None for m in results.multiverses)
        voracek, test = cite.cite("voracek"), cite.cite("simonsohn") if tested else ""
        parts.append(multiverse_methods(results.multiverses, voracek, test))
    return " ".join(parts), cite.references()


def _smd_correction_text(results: ReviewResults, preset: Preset, cite: _Citations) -> str:
    """The small-sample correction, claimed only for effects computed from raw data: a
    precomputed g (``precalc_g``) or ``yi`` is pooled as reported."""
    sources = {row.get("es_source") for r in results.analyses for row in r.input}
    precomputed = sources & PRECOMPUTED_SOURCES
    if sources and sources <= PRECOMPUTED_SOURCES:
        return (
            ", pooled as reported (precomputed by the trials or the extraction, not adjusted again)"
        )
    correction = SMD_CORRECTIONS.get(preset.smd_correction, preset.smd_correction)
    text = f" with {correction} {cite.cite('hedges')}"
    if precomputed:
        text += " where they were computed from the trials' data (precomputed values as reported)"
    return text


def _combined_text(results: ReviewResults) -> list[str]:
    """Which studies' rows the main analyses combined, and whether some look like distinct
    cohorts under one label."""
    found: dict[str, set[str]] = {}
    cohorts = set()
    for record in results.analyses:
        tree = record.tree
        if tree.spec.role != "main":
            continue
        for item in tree.combined:
            label = f"{item.study} (rows {', '.join(str(r) for r in item.rows)})"
            found.setdefault(label, set()).add(tree.spec.title)
            if item.distinct_cohorts:
                cohorts.add(label)
    if not found:
        return ["No analysis had to combine several rows of one trial."]
    text = f"Rows combined this way: {'; '.join(found)}."
    if cohorts:
        text += (
            f" {'; '.join(sorted(cohorts))}: rows under one study label that differ in arm "
            "sizes or events and look like distinct cohorts; they were nonetheless combined "
            "into one study."
        )
    return [text]


def _metaregression_text(plan: Plan, method: str, ci_method: str, cite: _Citations) -> list[str]:
    """One sentence on the meta-regressions of the plan (its own and each outcome's)."""
    items = (plan, *plan.categories, *plan.custom)
    entries = list(dict.fromkeys(entry for item in items for entry in item.runs.metaregression))
    if not entries:
        return []
    models = "; ".join(dict.fromkeys(", ".join(e.moderators) for e in entries))
    tests = {e.ci_method or ci_method for e in entries}
    estimators = {e.method or method for e in entries}
    text = (
        f"Meta-regressions ({models}) were fitted as "
        + ("fixed-effects" if estimators == {"FE"} else "mixed-effects")
        + " models by weighted least squares, with the residual τ² estimated by "
        + ", ".join(TAU2_NAMES.get(m, (m, ""))[0] for m in sorted(estimators))
        + "; categorical moderators were coded against their first level. Coefficients "
        "and the omnibus test of the moderators used "
        + " or ".join(
            "Knapp–Hartung t and F tests " + cite.cite("knha_metareg")
            if test != "z"
            else "z and χ² tests"
            for test in sorted(tests)
        )
        + f"; R² is the proportional reduction of τ² by the moderators {cite.cite('metareg')}."
    )
    permutations = [e for e in entries if e.permutations]
    if permutations:
        text += (
            " Permutation tests ("
            + ", ".join(str(e.permutations) for e in permutations)
            + f" permutations) guarded against spurious findings {cite.cite('permutation')}."
        )
    return [text]


def _grade_text(results: ReviewResults, cite: _Citations) -> list[str]:
    """One sentence on GRADE when the certainty of evidence was rated."""
    config = GradeConfig.from_plan(results.plan)
    if not config.enabled or not graded_records(results, config):
        return []
    rules = config.rules
    mid = (
        f"a minimal important difference of {rules.mid:g}"
        if rules.mid
        else "GRADE's default thresholds"
    )
    which = "main analysis and specific outcome" if config.specific_outcomes else "main analysis"
    return [
        f"The certainty of the evidence of each {which} was rated with GRADE "
        f"{cite.cite('grade')}, rating down for risk of bias (at least "
        f"{rules.rob_serious:.0%} of the weight from trials at high risk), inconsistency "
        f"(I² ≥ {rules.i2_serious:g}% or a prediction interval crossing the null), "
        f"imprecision (the CI crossing the null or {mid}, and the optimal information "
        f"size), publication bias (Egger's test p < {rules.egger_alpha:g} with at least "
        f"{rules.egger_min_k} trials) and, by the reviewers' judgement, indirectness."
    ]


def _and_list(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _selection_text(settings: Settings, cite: _Citations) -> str:
    """The selection model as the methods paragraph names it, with its cut-points."""
    model = "common-effect" if settings.method == "FE" else "random-effects"
    return (
        f"Vevea and Hedges' step-function selection model {cite.cite('selection')} (a "
        f"{model} model fitted by maximum likelihood with publication probabilities "
        "constant between cut-points of one-sided p values at "
        f"{', '.join(f'{step:g}' for step in settings.selection_steps)}, tested against no "
        "selection with a likelihood-ratio test)"
    )


def _tau_common(settings: Settings, preset: Preset) -> bool:
    """Whether subgroups share one τ²: the plan's ``tau_common``, else the preset's rule."""
    if settings.tau_common is not None:
        return settings.tau_common
    return preset.subgroup_tau2 == "common"


def _model_text(settings: Settings) -> str:
    return {
        "random": "a random-effects model",
        "fixed": "a common (fixed) effect model",
        "fixed_if_low_i2": (
            f"a fixed-effect model when I² < {settings.i2_threshold:g}% and a "
            "random-effects model otherwise"
        ),
    }[settings.model]


def _trimfill_text(settings: Settings) -> str:
    side = settings.trimfill_side
    return f"estimator {settings.trimfill_estimator}" + (f" on the {side} side" if side else "")


def _small_study_text(small: tuple[str, ...], settings: Settings, cite: _Citations) -> str:
    """The small-study methods ``small`` names, with their conventions."""
    names = []
    if "egger" in small:
        names.append(f"Egger's regression test {cite.cite('egger')}")
    if "trimfill" in small:
        side = settings.trimfill_side
        names.append(
            f"Duval and Tweedie's trim-and-fill method {cite.cite('trimfill')} (estimator "
            f"{settings.trimfill_estimator}, missing studies sought "
            + (f"on the {side} of the funnel plot" if side else "on the side the data show")
            + ")"
        )
    if "selection" in small:
        names.append(_selection_text(settings, cite))
    return _and_list(names)


def _own_analyses(plan: Plan, cite: _Citations) -> list[str]:
    """A sentence for each category or analysis whose subgroups, sensitivity or small-study
    analyses differ from the plan's ``[analyses]``."""
    sentences = []
    for item in (*plan.categories, *plan.custom):
        own, said = item.runs, []
        if own.subgroups != plan.runs.subgroups:
            said.append(
                f"subgroups by {', '.join(own.subgroups)}" if own.subgroups else "no subgroups"
            )
        if own.sensitivity != plan.runs.sensitivity:
            labels = [SENSITIVITY_LABELS[s].lower() for s in own.sensitivity]
            said.append(
                "sensitivity analyses: " + "; ".join(labels)
                if labels
                else "no sensitivity analyses"
            )
        if own.small_study != plan.runs.small_study:
            said.append(
                "small-study effects assessed with "
                + _small_study_text(own.small_study, item.settings, cite)
                if own.small_study
                else "no small-study analyses"
            )
        if said:
            sentences.append(f"For {item.name}: {'; '.join(said)}.")
    return sentences


def _own_settings(plan: Plan, cite: _Citations) -> list[str]:
    """A sentence for each category or analysis whose settings differ from the plan's."""
    sentences = []
    for item in (*plan.categories, *plan.custom):
        settings, defaults = item.settings, plan.settings
        if settings == defaults:
            continue
        preset = get_preset(settings.preset)
        tau_name, tau_ref = TAU2_NAMES.get(
            settings.method or preset.tau2_method, ("the preset's estimator", "handbook")
        )
        extra = ""
        if settings.tau_common != defaults.tau_common and settings.tau_common is not None:
            extra += ", subgroups tested with " + (
                "a common τ²" if settings.tau_common else "τ² estimated within each subgroup"
            )
        if settings.selection_steps != defaults.selection_steps:
            steps = ", ".join(f"{step:g}" for step in settings.selection_steps)
            extra += f", selection-model cut-points {steps}"
        if _trimfill_text(settings) != _trimfill_text(defaults):
            extra += f", trim-and-fill with {_trimfill_text(settings)}"
        sentences.append(
            f"{item.name} was analysed with the conventions of {preset.software}: "
            f"{_model_text(settings)}, τ² by {tau_name} {cite.cite(tau_ref)}{extra}."
        )
    return sentences


def _estimate_text(result: FitResult, model: str, symbol: str) -> str:
    """``RR = 0.49, 95% CI 0.34 to 0.70, p < 0.001``: the effect on its printed scale, with
    its measure's symbol (``symbol`` for SMD and effects given as they are) and CI level."""
    pooled, shown = result.pooled(model), shown_scale(result.measure)
    text = (
        f"{effect_symbol(result.measure, symbol)} = {fixed(shown(pooled.estimate))}, "
        f"{ci_label(result.ci_level)} {fixed(shown(pooled.ci_lower))} to "
        f"{fixed(shown(pooled.ci_upper))}"
    )
    return f"{text}, {p_clause(pooled.pvalue)}"


def _mirrored_text(record: AnalysisRecord, result: FitResult) -> str:
    """For an analysis whose rows were all mirrored (lower is better): which way its effects
    point, and the effect as computed from the arms, as its forest plot shows it."""
    if not all_mirrored(record.input):
        return ""
    measure = result.measure
    pooled, shown = result.pooled(record.model), shown_scale(measure)
    symbol = effect_symbol(measure)
    above = "above 1" if measure in RATIO_MEASURES else "above 0"
    return (
        f" (lower values are better, so effects were mirrored: {symbol} {above} favours the "
        f"intervention; as computed from the arms, as in the forest plot, {symbol} = "
        f"{fixed(shown(-pooled.estimate))}, {ci_label(result.ci_level)} "
        f"{fixed(shown(-pooled.ci_upper))} to {fixed(shown(-pooled.ci_lower))})"
    )


def results_paragraph(records: list[AnalysisRecord], symbol: str = "g") -> str:
    """A results paragraph for one outcome group's records (main analysis first): effects on
    their printed scale (ratios back from the log scale) with their measure's symbol
    (``symbol`` for SMD and effects given as they are) and the analysis' CI level.

    >>> from metareview.plan.results import AnalysisRecord
    >>> doc = {"k": 22, "random": {"estimate": 0.19, "ci_lower": 0.11, "ci_upper": 0.27,
    ...        "pvalue": 0.00001, "pi_lower": 0.02, "pi_upper": 0.36},
    ...        "heterogeneity": {"i2": 10.0, "i2_ci": [0.0, 45.0]}}
    >>> record = AnalysisRecord(spec={"id": "c", "title": "Clinical recovery, Post-test",
    ...     "role": "main", "group": "Clinical recovery", "window": "Post-test"}, status="ok", result=doc)
    >>> results_paragraph([record])
    'Clinical recovery, Post-test: pooling 22 trials gave g = 0.19, 95% CI 0.11 to 0.27, p < 0.001 (random-effects model), with low heterogeneity (I² = 10%, 95% CI 0 to 45%); prediction interval 0.02 to 0.36.'
    """
    sentences = []
    for record in records:
        tree = record.tree
        spec = tree.spec
        if spec.role in ("sensitivity", "model"):  # in their own tables
            continue
        if not record.ok:
            sentences.append(f"{spec.title}: not pooled ({record.reason}).")
            continue
        result = tree.fit
        het = result.heterogeneity
        model = "random-effects" if record.model == "random" else "fixed-effect"
        if result.mantel_haenszel_model:
            model = f"Mantel-Haenszel {model}"
        text = (
            f"{spec.title}: pooling {result.k} trials gave "
            f"{_estimate_text(result, record.model, symbol)} ({model} model)"
            f"{_mirrored_text(record, result)}, with "
            f"{describe_i2(het.i2)} heterogeneity (I² = {het.i2:.0f}%"
        )
        if het.i2_ci and het.i2_ci[0] is not None:
            level = ci_label(result.ci_level)
            text += f", {level} {het.i2_ci[0]:.0f} to {het.i2_ci[1]:.0f}%"
        text += ")"
        if footnote := i2_footnote(result):
            text += f" ({footnote[:-1]})"
        random, shown = result.random, shown_scale(result.measure)
        if record.model == "random" and random.pi_lower is not None:
            text += (
                f"; prediction interval {fixed(shown(random.pi_lower))} to "
                f"{fixed(shown(random.pi_upper))}"
            )
        sentences.append(text + ".")
        sentences += [metaregression_sentence(section) for section in result.metaregression]
        for block in tree.subgroups:
            if block.test:
                p = block.test.pvalue
                verdict = "differed significantly" if p < 0.05 else "did not differ significantly"
                sentences.append(
                    f"Subgroups by {block.column} {verdict} "
                    f"(Q = {block.test.q:.2f}, df = {block.test.df}, {p_clause(p)})."
                )
    return " ".join(sentences)
