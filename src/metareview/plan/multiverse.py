"""Multiverse analysis: every defensible combination of analytic choices, fitted at once.

A meta-analysis is a chain of choices: which studies count, how several effects of one study
become one, the τ² estimator, the model and the CI method (Voracek, Kossmeier & Tran 2019,
Zeitschrift für Psychologie 227:64). :func:`multiverse` crosses the levels of every factor,
fits each specification, and keeps every one: a specification that cannot be fitted (too few
studies) stays in the result with its reason.

Factors (:class:`Factors`):

- ``studies``: ``all``; ``low_rob`` (rows whose risk-of-bias column is the low level);
  ``outliers_removed`` (studies whose CI lies wholly outside the pooled CI of the same
  specification fitted on all its studies, the metapsy/dmetar rule); ``influential_removed``
  (studies that :func:`metareview.stats.influence.influence` flags under the
  specification's τ² estimator);
- ``effects``: several effects of one study ``combined`` (ρ), or the ``lowest`` or
  ``highest`` kept, or ``three_level``: all effects in the three-level model (effects nested
  in studies, :func:`metareview.stats.multilevel.fit_multilevel` as ``analyze --model
  threelevel``; random effects only, σ² by REML or ML: of the τ² estimators, REML and ML
  are its levels, REML when neither is; its ``tau2`` is σ²between + σ²within and its ``i2``
  the total I²; its ``outliers_removed`` drops the studies with an effect whose CI lies
  outside the pooled CI; ``influential_removed`` is kept as not fitted, the influence
  diagnostics needing one effect per study). Collapsed to one level, ``single``, when every
  study gives one effect;
- ``filters``: per column, ``all`` or one of its levels (e.g. population, format);
- ``methods`` (τ² estimators) under the random-effects ``model``; the common-effect model
  enters once per data set and CI method (its τ² is 0 whatever the estimator);
- ``ci_methods``: ``z`` or ``knha`` (Hartung–Knapp–Sidik–Jonkman).

The fits go through :func:`metareview.stats.batch.pool_many`, one vectorised call per
estimator and CI method over all data sets, so a specification equals
:func:`metareview.plan.analysis.analyze` on the same rows with the same settings.

>>> import pandas as pd
>>> effects = pd.DataFrame({"study": list("ABCDEF"), "yi": [0.1, 0.3, 0.2, 0.8, 0.4, 0.5],
...                         "vi": [0.02, 0.03, 0.02, 0.01, 0.05, 0.04],
...                         "format": ["group", "group", "one", "one", "group", "one"]})
>>> result = multiverse(effects, Factors(methods=("REML", "DL"), filters={"format": ()}))
>>> len(result.specifications), result.summary_numbers()["fitted"]
(54, 48)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from metareview.errors import InputError
from metareview.plan.multiverse_fit import SpecificationFitter
from metareview.plan.result_tree import MultiverseSummary
from metareview.plan.selection import one_per_study
from metareview.stats.vocabulary import CI_METHODS, TAU2_METHODS, check_choice, check_level

STUDY_LEVELS = ("all", "low_rob", "outliers_removed", "influential_removed")
DEFAULT_STUDIES = ("all", "outliers_removed", "influential_removed")  # low_rob needs a column
EFFECT_LEVELS = {"combined": "combine", "lowest": "lowest", "highest": "highest",
                 "three_level": "three_level"}  # fmt: skip
DEFAULT_EFFECTS = ("combined", "lowest", "highest")  # three_level: opt in (slower fits)
THREE_LEVEL_METHODS = ("REML", "ML")


@dataclass(frozen=True)
class Factors:
    """The factors of a multiverse and their levels (see the module's docstring).

    ``filters`` maps a column to the levels to analyse alone (empty: every level found);
    ``all`` is always a level too. ``rob_column``/``rob_low`` define ``low_rob``.
    """

    studies: tuple[str, ...] = DEFAULT_STUDIES
    effects: tuple[str, ...] = DEFAULT_EFFECTS
    methods: tuple[str, ...] = ("REML", "DL", "PM")
    models: tuple[str, ...] = ("random", "fixed")
    ci_methods: tuple[str, ...] = ("z", "knha")
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    rob_column: str | None = None
    rob_low: str | tuple[str, ...] = "Low"
    rho: float = 0.5
    level: float = 0.95
    min_k: int = 2
    preset: str = "metafor"

    def __post_init__(self) -> None:
        for name, values, allowed in (
            ("studies", self.studies, STUDY_LEVELS),
            ("effects", self.effects, tuple(EFFECT_LEVELS)),
            ("models", self.models, ("random", "fixed")),
            ("methods", self.methods, tuple(m for m in TAU2_METHODS if m != "FE")),
            ("ci_methods", self.ci_methods, tuple(c for c in CI_METHODS if c != "adhoc")),
        ):
            if not values:
                raise InputError(f"multiverse: {name} needs at least one level")
            for value in values:
                check_choice(name, value, allowed)
        check_level(self.level)
        if "low_rob" in self.studies and not self.rob_column:
            raise InputError("multiverse: the 'low_rob' level needs a risk-of-bias column")
        if self.min_k < 1:
            raise InputError(f"multiverse: min_k must be at least 1; got {self.min_k}")


@dataclass(frozen=True)
class MultiverseResult:
    """Every specification (one row each: its choices, then k, estimate, CI, p, τ², I², the
    prediction interval, the studies removed, and ``status``/``reason``) and the factors."""

    specifications: pd.DataFrame
    factors: Factors
    choices: tuple[str, ...]

    def fitted(self) -> pd.DataFrame:
        return self.specifications[self.specifications["status"] == "ok"]

    def summary_numbers(self) -> dict[str, Any]:
        """Share of fitted specifications significant (p < 1 − level) in each direction, the
        median estimate and the range."""
        fits = self.fitted()
        alpha = 1 - self.factors.level
        significant = fits["pvalue"] < alpha
        n = len(fits)
        return {
            "specifications": len(self.specifications),
            "fitted": n,
            "not_fitted": len(self.specifications) - n,
            "significant_positive": float((significant & (fits["estimate"] > 0)).mean()) if n else None,
            "significant_negative": float((significant & (fits["estimate"] < 0)).mean()) if n else None,
            "positive": float((fits["estimate"] > 0).mean()) if n else None,
            "median_estimate": float(fits["estimate"].median()) if n else None,
            "min_estimate": float(fits["estimate"].min()) if n else None,
            "max_estimate": float(fits["estimate"].max()) if n else None,
        }  # fmt: skip

    def summary(self) -> str:
        s = MultiverseSummary.from_dict(self.summary_numbers())
        if not s.fitted:
            return f"Multiverse: {s.specifications} specifications, none could be fitted"
        return (
            f"Multiverse: {s.fitted} of {s.specifications} specifications fitted; "
            f"median estimate {s.median_estimate:.3f} (range {s.min_estimate:.3f} to "
            f"{s.max_estimate:.3f}); significant: {s.significant_positive:.0%} positive, "
            f"{s.significant_negative:.0%} negative"
        )

    def to_dict(self) -> dict[str, Any]:
        frame = self.specifications.astype(object).where(self.specifications.notna(), None)
        return {
            "summary": self.summary_numbers(),
            "choices": list(self.choices),
            "specifications": frame.to_dict(orient="records"),
        }

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>" + self.specifications.head(20).to_html()


def multiverse(effects: pd.DataFrame, factors: Factors | None = None) -> MultiverseResult:
    """Fit every specification of ``factors`` on ``effects`` (one row per effect size, with
    ``study``, ``yi``, ``vi`` and the factor columns)."""
    factors = factors or Factors()
    _check_effects(effects, factors)
    effects = _plain(effects, factors)
    fitter = SpecificationFitter(
        effects, rho=factors.rho, level=factors.level, min_k=factors.min_k, preset=factors.preset
    )
    rows, numbers, filters = _specifications(effects, factors, fitter)
    fits = pd.DataFrame(fitter.fit_all(rows, numbers))
    table = pd.concat([pd.DataFrame(rows), fits], axis=1)
    table.index = pd.RangeIndex(1, len(table) + 1, name="specification")
    choices = ("studies", "effects", *filters, "model", "method", "ci_method")
    return MultiverseResult(table, factors, choices)


def _specifications(
    effects: pd.DataFrame, factors: Factors, fitter: SpecificationFitter, offset: int = 0
) -> tuple[list[dict[str, Any]], list[int], dict[str, tuple]]:
    """Every specification of ``factors`` on ``effects`` (as :func:`_plain` makes them): its
    choices, the number of its data set in ``fitter`` (whose rows ``offset`` … are
    ``effects``'), and the filter levels crossed."""
    filters = _filter_levels(effects, factors.filters)
    columns = {column: effects[column].astype(str).to_numpy() for column in filters}
    low_rob = (
        effects["_rob"].astype(str).isin(_low(factors)).to_numpy() if factors.rob_column else None
    )
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []  # each specification's data set, before removals
    for studies, effect, *levels in itertools.product(
        factors.studies, effect_levels(effects, factors), *filters.values()
    ):
        chosen = dict(zip(filters, levels, strict=True))
        keep = low_rob.copy() if studies == "low_rob" else np.ones(len(effects), dtype=bool)
        for column, level in chosen.items():
            if level != "all":
                keep &= columns[column] == level
        number = fitter.data_set(offset + np.flatnonzero(keep), effect)
        models = factors.models if effect != "three_level" else ("random",)
        for model, ci_method in itertools.product(models, factors.ci_methods):
            for method in _methods(factors, model, effect):
                rows.append(
                    {"studies": studies, "effects": effect, **chosen, "model": model,
                     "method": method, "ci_method": ci_method}
                )  # fmt: skip
                numbers.append(number)
    return rows, numbers, filters


def _methods(factors: Factors, model: str, effect: str) -> tuple[str, ...]:
    if model == "fixed":
        return ("FE",)
    if effect == "three_level":
        return tuple(m for m in factors.methods if m in THREE_LEVEL_METHODS) or ("REML",)
    return factors.methods


def effect_levels(effects: pd.DataFrame, factors: Factors) -> tuple[str, ...]:
    """The ``effects`` levels a multiverse crosses: one, ``single``, when every study gives
    one effect (combining, lowest and highest would be the same data)."""
    several = effects.groupby("study")["yi"].transform("size").gt(1).any()
    return factors.effects if several else ("single",)


def specification_rows(
    result: MultiverseResult, effects: pd.DataFrame, number: int
) -> pd.DataFrame:
    """The effect rows specification ``number`` pools (after its choices), for checking one
    specification against :func:`metareview.plan.analysis.analyze`."""
    spec = result.specifications.loc[number]
    factors = result.factors
    rows = _plain(effects, factors)
    if spec["studies"] == "low_rob":
        rows = rows[rows["_rob"].astype(str).isin(_low(factors))]
    filters = {column: spec[column] for column in factors.filters}
    rows = _select(rows, factors, spec["effects"], filters)
    return rows[~rows["study"].astype(str).isin(spec["removed"] or [])]


def _low(factors: Factors) -> tuple[str, ...]:
    """The risk-of-bias values of the ``low_rob`` level."""
    low = factors.rob_low
    return (low,) if isinstance(low, str) else tuple(low)


def _check_effects(effects: pd.DataFrame, factors: Factors) -> None:
    needed = {"study", "yi", "vi", *factors.filters}
    if "low_rob" in factors.studies:
        needed.add(str(factors.rob_column))
    missing = sorted(needed - set(effects.columns))
    if missing:
        raise InputError(f"multiverse: column(s) not in the data: {', '.join(missing)}")


def _plain(effects: pd.DataFrame, factors: Factors) -> pd.DataFrame:
    """The columns the factors read, as plain numbers and text, without the table's
    ``attrs`` (pandas copies those on every operation)."""
    text = ["study", *factors.filters] + (["_rob"] if factors.rob_column else [])
    frame = effects.assign(_rob=effects[factors.rob_column]) if factors.rob_column else effects
    out = pd.DataFrame(
        {c: frame[c].astype(object).where(frame[c].notna(), None) for c in text}
        | {"yi": frame["yi"].to_numpy(float), "vi": frame["vi"].to_numpy(float)},
        index=frame.index,
    )
    out["study"] = out["study"].astype(str)
    return out


def _filter_levels(effects: pd.DataFrame, filters: Mapping[str, Sequence[str]]) -> dict[str, tuple]:
    out = {}
    for column, wanted in filters.items():
        present = sorted({str(v) for v in effects[column].dropna()})
        chosen = [str(v) for v in wanted] or present
        unknown = [v for v in chosen if v not in present]
        if unknown:
            raise InputError(
                f"multiverse: {column} has no level {unknown[0]!r} (levels: {', '.join(present)})"
            )
        out[column] = ("all", *chosen)
    return out


def _select(
    effects: pd.DataFrame, factors: Factors, effect: str, filters: Mapping[str, str]
) -> pd.DataFrame:
    """The rows of one data set: the filters, then one effect per study."""
    rows = effects
    for column, level in filters.items():
        if level != "all":
            rows = rows[rows[column].astype(str) == level]
    rows = rows[["study", "yi", "vi"]]
    if effect in ("single", "three_level") or rows.empty:
        return rows
    return one_per_study(rows, EFFECT_LEVELS[effect], rho=factors.rho, label="multiverse").frame


@dataclass(frozen=True)
class CurveTest:
    """The inferential specification-curve test: how often a curve as extreme as the
    observed one arises when the true effect is zero."""

    iterations: int
    seed: int
    median_estimate: float
    p_median: float
    direction: str
    share_significant: float
    p_share: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary(self) -> str:
        return (
            f"Under-the-null bootstrap ({self.iterations} resamples, seed {self.seed}): "
            f"median estimate {self.median_estimate:.3f}, p = {self.p_median:.3f}; "
            f"{self.share_significant:.0%} of specifications significant and {self.direction}, "
            f"p = {self.p_share:.3f}"
        )


def specification_test(
    effects: pd.DataFrame,
    observed: MultiverseResult,
    *,
    iterations: int = 200,
    seed: int = 0,
    mapper: Callable[..., Iterable[Any]] = map,
    chunks: int = 1,
) -> CurveTest:
    """Simonsohn, Simmons & Nelson's (2020) test of a whole specification curve, as Voracek
    et al. (2019) apply it to meta-analysis: the null is forced on the data by subtracting
    the observed median estimate from every effect; the studies are resampled with
    replacement (a study's effects stay together; a study drawn twice counts as two); every
    specification is fitted on each resample. Two statistics are compared with their null
    distributions: the median estimate (two-sided) and the share of specifications
    significant in the observed median's direction; ``p = (1 + extreme draws) / (1 +
    iterations)``. Reproducible with ``seed``: the resamples are drawn first, then fitted in
    ``chunks`` parts by ``mapper`` (``map``, or a process pool's or a backend's ``map``),
    with the same p-values however they are split.

    >>> effects = pd.DataFrame({"study": list("ABCDEFGH"),
    ...     "yi": [0.4, 0.5, 0.3, 0.6, 0.45, 0.2, 0.55, 0.5],
    ...     "vi": [0.02, 0.03, 0.02, 0.04, 0.05, 0.03, 0.02, 0.03]})
    >>> factors = Factors(studies=("all",), methods=("REML", "DL"))
    >>> test = specification_test(effects, multiverse(effects, factors), iterations=19)
    >>> test.direction, test.p_median, test.p_share
    ('positive', 0.05, 0.05)
    """
    if iterations < 1:
        raise InputError(f"specification test: iterations must be at least 1; got {iterations}")
    fits = observed.fitted()
    if fits.empty:
        raise InputError("specification test: no specification could be fitted")
    median = float(fits["estimate"].median())
    sign = 1.0 if median >= 0 else -1.0
    alpha = 1 - observed.factors.level
    share = float(((fits["pvalue"] < alpha) & (np.sign(fits["estimate"]) == sign)).mean())
    by_study = {
        study: rows.assign(yi=rows["yi"] - median)
        for study, rows in effects.groupby("study", sort=False)
    }
    rng = np.random.default_rng(seed)
    draws = [rng.integers(0, len(by_study), len(by_study)) for _ in range(iterations)]
    size = -(-iterations // chunks)
    parts = mapper(
        _null_curves,
        [(by_study, observed.factors, draws[i : i + size]) for i in range(0, iterations, size)],
    )
    nulls = [curve for part in parts for curve in part if curve is not None]
    extreme_median = sum(abs(null_median) >= abs(median) for null_median, _ in nulls)
    extreme_share = sum(
        float(np.mean((p < alpha) & (np.sign(e) == sign))) >= share for _, (e, p) in nulls
    )
    return CurveTest(
        iterations=iterations,
        seed=seed,
        median_estimate=median,
        p_median=(1 + extreme_median) / (1 + iterations),
        direction="positive" if sign > 0 else "negative",
        share_significant=share,
        p_share=(1 + extreme_share) / (1 + iterations),
    )


def _null_curves(
    job: tuple[dict[str, pd.DataFrame], Factors, list[np.ndarray]],
) -> list[tuple[float, tuple[np.ndarray, np.ndarray]] | None]:
    """The median estimate and the (estimates, p-values) of the multiverse on each resample
    (``None`` where no specification could be fitted): the resamples' specifications fitted
    together by one :class:`SpecificationFitter`, each as :func:`multiverse` fits it alone."""
    by_study, factors, draws = job
    names = list(by_study)
    resamples = []
    for drawn in draws:
        resample = pd.concat(
            [by_study[names[i]].assign(study=f"{names[i]}#{n}") for n, i in enumerate(drawn)],
            ignore_index=True,
        )
        _check_effects(resample, factors)
        resamples.append(_plain(resample, factors))
    fitter = SpecificationFitter(
        pd.concat(resamples, ignore_index=True), rho=factors.rho, level=factors.level,
        min_k=factors.min_k, preset=factors.preset,
    )  # fmt: skip
    specs, numbers, parts, offset = [], [], [], 0
    for resample in resamples:
        rows, found, _ = _specifications(resample, factors, fitter, offset)
        specs += rows
        numbers += found
        parts.append(len(rows))
        offset += len(resample)
    fits = fitter.fit_all(specs, numbers)
    out = []
    for end, size in zip(itertools.accumulate(parts), parts, strict=True):
        null = pd.DataFrame(fits[end - size : end])
        null = null[null["status"] == "ok"]
        estimates, pvalues = null["estimate"].to_numpy(float), null["pvalue"].to_numpy(float)
        out.append(None if null.empty else (float(np.median(estimates)), (estimates, pvalues)))
    return out
