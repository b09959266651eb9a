"""The result of one analysis as a tree of frozen dataclasses, read from and written to the
JSON document that ``results.json`` stores.

An :class:`AnalysisTree` holds what the runner decided for one concrete analysis (its spec,
status, headline model, subgroup blocks, leave-one-out rows, models table, GOSH cloud, the
rows dropped or combined) and its :class:`FitResult`: the ``analyze`` document (pooled
models, heterogeneity, studies, small-study, influence, leave-one-out, outliers, warnings,
dropped rows, and the multilevel and meta-regression sections). Every reader of a result in
:mod:`metareview.plan` and :mod:`metareview.report` reads these attributes, not string keys.

Each node keeps the keys its document had, in order, and any key it does not know in
``extra``, so ``Node.from_dict(document).to_dict() == document`` for every document a
version of metareview wrote under the same :data:`SCHEMA_VERSION`.

>>> fit = FitResult.from_dict({"k": 2, "random": {"estimate": 0.3, "ci_lower": 0.1,
...     "ci_upper": 0.5}, "heterogeneity": {"i2": 12.5}, "studies": [{"study": "A",
...     "yi": 0.2, "vi": 0.01, "weight": 60.0}, {"study": "B", "yi": 0.4, "vi": 0.02,
...     "weight": 40.0}]})
>>> fit.random.estimate, fit.heterogeneity.i2, fit.studies[1].study
(0.3, 12.5, 'B')
>>> fit.to_dict()["random"]
{'estimate': 0.3, 'ci_lower': 0.1, 'ci_upper': 0.5}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from typing import Any, ClassVar

from metareview.errors import MetareviewError

#: Version of the ``results.json`` layout; :func:`check_schema_version` refuses any other.
SCHEMA_VERSION = 1


class ResultsSchemaError(MetareviewError):
    """A ``results.json`` written under a schema this version of metareview cannot read."""


def check_schema_version(document: Mapping[str, Any], source: str = "results.json") -> None:
    """Refuse a results document of an unknown schema version (a document without the key
    predates it and has version 1's layout).

    >>> check_schema_version({"schema_version": 1})
    >>> check_schema_version({"schema_version": 9})
    Traceback (most recent call last):
    ...
    metareview.plan.result_tree.ResultsSchemaError: results.json: schema_version 9 is not one this metareview reads (expected 1); re-run the plan with this version to rewrite it
    """
    version = document.get("schema_version", 1)
    if version != SCHEMA_VERSION:
        raise ResultsSchemaError(
            f"{source}: schema_version {version!r} is not one this metareview reads "
            f"(expected {SCHEMA_VERSION}); re-run the plan with this version to rewrite it"
        )


@dataclass(frozen=True)
class Node:
    """A node of the tree: its fields are its document's keys (``None`` when absent).

    ``NESTED`` maps a key to the node type of its (dict) value, ``LISTS`` to the node type of
    each item of its (list) value; other lists become tuples. ``present`` lists the keys the
    document had, in order (``None``: every field), ``extra`` the keys no field stands for.
    """

    NESTED: ClassVar[Mapping[str, type[Node]]] = {}
    LISTS: ClassVar[Mapping[str, type[Node]]] = {}

    present: tuple[str, ...] | None = field(default=None, kw_only=True, repr=False)
    extra: Mapping[str, Any] = field(default_factory=dict, kw_only=True, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Any:
        names = _field_names(cls)
        values, extra = {}, {}
        for key, value in data.items():
            if key in names:
                values[key] = cls._read(key, value)
            else:
                extra[key] = value
        return cls(**values, present=tuple(data), extra=extra)

    @classmethod
    def of(cls, value: Node | Mapping[str, Any]) -> Any:
        """``value`` as this node type: itself, or read from its document."""
        return value if isinstance(value, cls) else cls.from_dict(value)

    @classmethod
    def _read(cls, key: str, value: Any) -> Any:
        if value is None:
            return None
        if key in cls.NESTED:
            return cls.NESTED[key].from_dict(value)
        if key in cls.LISTS:
            return tuple(cls.LISTS[key].from_dict(item) for item in value)
        return _frozen(value)

    def has(self, key: str) -> bool:
        """Whether the document had ``key`` (``None`` stands both for absent and null)."""
        if self.present is None:
            return key in _field_names(type(self))
        return key in self.present

    def to_dict(self) -> dict[str, Any]:
        names = _field_names(type(self))
        keys = names if self.present is None else self.present
        return {
            key: _plain(getattr(self, key) if key in names else self.extra[key]) for key in keys
        }


@cache
def _field_names(cls: type[Node]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.name not in ("present", "extra"))


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Node):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def plain(value: Any) -> Any:
    """A node, or a tuple of nodes or values, as its JSON document (lists and dicts).

    >>> plain((Model(estimate=0.2, present=("estimate",)), (1, 2)))
    [{'estimate': 0.2}, [1, 2]]
    """
    return _plain(value)


def with_key(node: Node, key: str, value: Any) -> Any:
    """``node`` with ``key`` set (and listed among its keys, at the end when new)."""
    present = node.present
    if present is not None and key not in present:
        present = (*present, key)
    return replace(node, **{key: value}, present=present)


# ---- the fit of one analysis (the ``analyze`` document) ----


@dataclass(frozen=True)
class Estimate(Node):
    """An estimate with its SE, CI and test (``df``: a t test's)."""

    estimate: float | None = None
    se: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    statistic: float | None = None
    df: float | None = None
    pvalue: float | None = None


@dataclass(frozen=True)
class Model(Estimate):
    """A pooled model (``fixed`` or ``random``); the prediction interval is random's."""

    pi_lower: float | None = None
    pi_upper: float | None = None


@dataclass(frozen=True)
class Heterogeneity(Node):
    tau2: float | None = None
    tau2_se: float | None = None
    tau2_ci: tuple[float | None, ...] | None = None
    tau: float | None = None
    tau_ci: tuple[float | None, ...] | None = None
    i2: float | None = None
    i2_ci: tuple[float | None, ...] | None = None
    h2: float | None = None
    h2_ci: tuple[float | None, ...] | None = None
    q: float | None = None
    q_df: float | None = None
    q_pvalue: float | None = None


@dataclass(frozen=True)
class Conventions(Node):
    """How the preset's software defines I², its CI, the τ² CI and the prediction interval."""

    i2_definition: str | None = None
    tau2_ci_method: str | None = None
    i2_ci_method: str | None = None
    pi_method: str | None = None
    ci_method: str | None = None


@dataclass(frozen=True)
class Study(Node):
    """A study of the pooled analysis: its table row, effect, variance and weights (%)."""

    row: int | None = None
    study: Any = None
    yi: float | None = None
    vi: float | None = None
    weight: float | None = None
    weight_fixed: float | None = None  # Mantel–Haenszel weight of RevMan's M-H model


@dataclass(frozen=True)
class Dropped(Node):
    """A row left out, and why."""

    row: int | None = None
    study: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class LeaveOneOutRow(Node):
    """The pooled result without one study (``k``: in a record's rows only)."""

    omitted: Any = None
    k: int | None = None
    estimate: float | None = None
    se: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    pvalue: float | None = None
    tau2: float | None = None
    i2: float | None = None
    q: float | None = None


@dataclass(frozen=True)
class InfluenceRow(Node):
    """One study's influence diagnostics (Viechtbauer & Cheung 2010) and Baujat coordinates."""

    study: Any = None
    rstudent: float | None = None
    dffits: float | None = None
    cooks_d: float | None = None
    cov_ratio: float | None = None
    tau2_del: float | None = None
    q_del: float | None = None
    hat: float | None = None
    weight: float | None = None
    influential: bool | None = None
    baujat_x: float | None = None
    baujat_y: float | None = None
    dfbetas: float | None = None


@dataclass(frozen=True)
class Outliers(Node):
    studies: tuple[Any, ...] | None = None
    random: Any = None


@dataclass(frozen=True)
class SubgroupSection(Node):
    """``analyze``'s test for subgroup differences (the preset's τ² convention)."""

    q_between: float | None = None
    df_between: float | None = None
    p_between: float | None = None
    test: str | None = None
    tau_common: bool | None = None


@dataclass(frozen=True)
class Egger(Node):
    """Egger's regression test; ``intercept`` only in the weighted-regression variant."""

    intercept: float | None = None
    se: float | None = None
    statistic: float | None = None
    df: float | None = None
    pvalue: float | None = None
    limit_estimate: float | None = None


@dataclass(frozen=True)
class TrimAndFill(Estimate):
    """Trim-and-fill: the studies imputed (``k0`` on ``side``) and the adjusted estimate."""

    k0: int | None = None
    side: str | None = None
    estimator: str | None = None
    filled_yi: tuple[float, ...] | None = None
    filled_vi: tuple[float, ...] | None = None


@dataclass(frozen=True)
class SelectionInterval(Node):
    lower: float | None = None
    upper: float | None = None
    k: int | None = None
    delta: float | None = None
    se_delta: float | None = None


@dataclass(frozen=True)
class SelectionModel(Node):
    """The step-function selection model (Vevea & Hedges 1995)."""

    LISTS: ClassVar[Mapping[str, type[Node]]] = {"intervals": SelectionInterval}

    method: str | None = None
    estimate: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    tau2: float | None = None
    lrt: float | None = None
    lrt_df: int | None = None
    lrt_pvalue: float | None = None
    converged: bool | None = None
    steps: tuple[float, ...] | None = None
    intervals: tuple[SelectionInterval, ...] | None = None


@dataclass(frozen=True)
class SmallStudy(Node):
    """The small-study section: the tests run (``run``), or why not (``reason``), and what
    failed (``failed``: section → reason)."""

    NESTED: ClassVar[Mapping[str, type[Node]]] = {
        "egger": Egger,
        "egger_rma": Egger,
        "trim_and_fill": TrimAndFill,
        "selection": SelectionModel,
    }

    k_min: int | None = None
    run: bool | None = None
    reason: str | None = None
    egger: Egger | None = None
    egger_rma: Egger | None = None
    begg: Any = None
    trim_and_fill: TrimAndFill | None = None
    pet_peese: Any = None
    fail_safe_n: Any = None
    selection: SelectionModel | None = None
    failed: Mapping[str, str] | None = None


@dataclass(frozen=True)
class MultilevelI2(Node):
    """I² of a multilevel model per source of variance (%)."""

    sampling: float | None = None
    within: float | None = None
    between: float | None = None
    total: float | None = None


@dataclass(frozen=True)
class RobustTest(Estimate):
    """Cluster-robust inference on a multilevel model's estimate (CR1/CR2, HTZ …)."""

    method: str | None = None
    coefficients: Any = None
    vcov: Any = None
    wald: Any = None


@dataclass(frozen=True)
class Multilevel(Model):
    """A three-level or CHE model of the analysis's effects (``metareview.stats.multilevel``)."""

    NESTED: ClassVar[Mapping[str, type[Node]]] = {"i2": MultilevelI2, "robust": RobustTest}

    model: str | None = None
    method: str | None = None
    test: str | None = None
    level: float | None = None
    rho: float | None = None
    smooth_vi: bool | None = None
    sigma2: tuple[float, ...] | None = None  # (between, within)
    sigma2_ci: tuple[Any, ...] | None = None
    sigma2_at_boundary: tuple[bool, ...] | None = None
    i2: MultilevelI2 | None = None
    level_tests: Any = None
    loglik: float | None = None
    deviance: float | None = None
    aic: float | None = None
    bic: float | None = None
    aicc: float | None = None
    k: int | None = None
    n_studies: int | None = None
    coefficients: Any = None
    qm: float | None = None
    qm_df: float | None = None
    qm_pvalue: float | None = None
    qe: float | None = None
    qe_df: float | None = None
    qe_pvalue: float | None = None
    robust: RobustTest | None = None
    iterations: int | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class BinaryPool(Estimate):
    """A common-effect pool of the 2×2 tables: Mantel–Haenszel (``model`` ``MH``; ``cmh`` and
    Tarone's test for OR) or Peto (``model`` ``PETO``); Q and I² around it
    (:class:`metareview.stats.mantel_haenszel.BinaryPoolResult`)."""

    model: str | None = None
    measure: str | None = None
    k: int | None = None
    q: float | None = None
    q_df: int | None = None
    q_pvalue: float | None = None
    i2: float | None = None
    h2: float | None = None
    level: float | None = None
    cmh: float | None = None
    cmh_pvalue: float | None = None
    tarone: float | None = None
    tarone_pvalue: float | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Coefficient(Estimate):
    """A coefficient of a meta-regression (``intercept``, or a moderator or its level)."""

    name: str | None = None


@dataclass(frozen=True)
class Permutation(Node):
    """The permutation test of a meta-regression: the omnibus test's and each coefficient's
    p value."""

    iterations: int | None = None
    seed: int | None = None
    exact: bool | None = None
    qm_pvalue: float | None = None
    pvalues: tuple[float, ...] = ()


@dataclass(frozen=True)
class MetaRegStudy(Node):
    """A study a meta-regression used: effect, variance and moderator values (by column)."""

    study: Any = None
    yi: float | None = None
    vi: float | None = None
    moderators: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class MetaRegression(Node):
    """One meta-regression of an analysis (``MetaRegSection.to_dict()``): the request, the
    fit (coefficients, the omnibus test QM, residual heterogeneity QE, τ², I², R², the
    permutation test, the coefficients' covariance), the studies used and the rows left out
    for a missing moderator (``dropped``); ``reason``: why it was not fitted.

    >>> section = MetaRegression.from_dict({"moderators": ["year"], "k": 5, "coefficients":
    ...     [{"name": "intercept", "estimate": 0.1}, {"name": "year", "estimate": 0.02}]})
    >>> section.fitted, section.single_continuous_moderator, section.coefficients[1].estimate
    (True, 'year', 0.02)
    """

    LISTS: ClassVar[Mapping[str, type[Node]]] = {
        "coefficients": Coefficient,
        "dropped": Dropped,
        "studies": MetaRegStudy,
    }
    NESTED: ClassVar[Mapping[str, type[Node]]] = {"permutation": Permutation}

    moderators: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    method: str | None = None
    ci_method: str | None = None
    permutations: int | None = None
    seed: int | None = None
    k: int | None = None
    level: float | None = None
    coefficients: tuple[Coefficient, ...] = ()
    qm: float | None = None
    qm_df: int | None = None
    qm_df2: int | None = None
    qm_pvalue: float | None = None
    qe: float | None = None
    qe_df: int | None = None
    qe_pvalue: float | None = None
    tau2: float | None = None
    i2: float | None = None
    h2: float | None = None
    r2: float | None = None
    permutation: Permutation | None = None
    vcov: tuple[tuple[float, ...], ...] = ()
    dropped: tuple[Dropped, ...] = ()
    warnings: tuple[str, ...] = ()
    studies: tuple[MetaRegStudy, ...] = ()
    reason: str | None = None

    @property
    def fitted(self) -> bool:
        """Whether the model was fitted (no ``reason``)."""
        return not self.reason

    @property
    def single_continuous_moderator(self) -> str | None:
        """The moderator of a meta-regression on one continuous moderator (a bubble plot's),
        else ``None``."""
        names = [coefficient.name for coefficient in self.coefficients]
        if len(self.moderators) == 1 and names == ["intercept", self.moderators[0]]:
            return self.moderators[0]
        return None


@dataclass(frozen=True)
class Section(Node):
    """A section kept as its document, in ``extra`` (the GOSH cloud, which
    :class:`metareview.stats.gosh.GoshResult` reads back)."""


@dataclass(frozen=True)
class FitResult(Node):
    """The ``analyze`` document of one analysis (``AnalysisResult.to_dict()``)."""

    NESTED: ClassVar[Mapping[str, type[Node]]] = {
        "fixed": Model,
        "random": Model,
        "heterogeneity": Heterogeneity,
        "conventions": Conventions,
        "small_study": SmallStudy,
        "subgroups": SubgroupSection,
        "outliers": Outliers,
        "multilevel": Multilevel,
        "mantel_haenszel": BinaryPool,
        "peto": BinaryPool,
    }
    LISTS: ClassVar[Mapping[str, type[Node]]] = {
        "studies": Study,
        "dropped": Dropped,
        "leave_one_out": LeaveOneOutRow,
        "influence": InfluenceRow,
        "metaregression": MetaRegression,
    }

    k: int | None = None
    error: str | None = None  # why the fit failed (the runner's document of a failed fit)
    model: str | None = None  # "MH-random": RevMan's M-H section shown as the headline
    measure: str | None = None
    preset: str | None = None
    method: str | None = None
    ci_method: str | None = None
    level: float | None = None
    studies: tuple[Study, ...] = ()
    fixed: Model = field(default_factory=lambda: Model(present=()))
    random: Model = field(default_factory=lambda: Model(present=()))
    heterogeneity: Heterogeneity = field(default_factory=lambda: Heterogeneity(present=()))
    conventions: Conventions = field(default_factory=lambda: Conventions(present=()))
    warnings: tuple[str, ...] = ()
    dropped: tuple[Dropped, ...] = ()
    small_study: SmallStudy | None = None
    subgroups: SubgroupSection | None = None
    leave_one_out: tuple[LeaveOneOutRow, ...] | None = None
    influence: tuple[InfluenceRow, ...] | None = None
    outliers: Outliers | None = None
    metaregression: tuple[MetaRegression, ...] = ()
    multilevel: Multilevel | None = None
    mantel_haenszel: BinaryPool | None = None
    peto: BinaryPool | None = None
    mantel_haenszel_random: FitResult | None = None

    @property
    def ci_level(self) -> float:
        """The level of the CIs (0.95 when the document does not say)."""
        return 0.95 if self.level is None else float(self.level)

    @property
    def mantel_haenszel_model(self) -> bool:
        """Whether this is RevMan's "M-H, Random" model (:meth:`headline`)."""
        return self.model == "MH-random"

    def pooled(self, model: str) -> Model:
        """The ``fixed`` or ``random`` model."""
        return self.fixed if model == "fixed" else self.random

    def headline(self) -> FitResult:
        """The fit as RevMan 5 shows it when it has RevMan's Mantel–Haenszel section
        (``mantel_haenszel_random``: preset ``revman5``, binary measure, event counts): its
        "M-H, Fixed" and "M-H, Random" models, studies (with Mantel–Haenszel weights
        ``weight_fixed``) and heterogeneity in place of the inverse-variance ones. Otherwise
        the fit itself.

        >>> fit = FitResult.from_dict({"k": 3, "fixed": {"estimate": 0.1},
        ...     "mantel_haenszel_random": {"model": "MH-random", "k": 3, "studies": [],
        ...         "fixed": {"estimate": 0.2}, "random": {}, "heterogeneity": {}}})
        >>> fit.headline().fixed.estimate, fit.headline().model, fit.model
        (0.2, 'MH-random', None)
        """
        section = self.mantel_haenszel_random
        if section is None or not section.present:
            return self
        merged = self
        for key in ("model", "k", "studies", "fixed", "random", "heterogeneity"):
            merged = with_key(merged, key, getattr(section, key))
        return merged

    def weights(self, model: str) -> list[float | None]:
        """Each study's weight (%) in the ``model`` pooled estimate: the studies' ``weight``
        (random effects); for the fixed-effect model their Mantel–Haenszel ``weight_fixed``
        when this is RevMan's M-H analysis, otherwise the inverse-variance weights 1/vᵢ.

        >>> FitResult.from_dict({"studies": [{"vi": 0.01, "weight": 60.0},
        ...     {"vi": 0.03, "weight": 40.0}]}).weights("fixed")
        [75.0, 25.0]
        """
        if model != "fixed":
            return [study.weight for study in self.studies]
        if all(study.has("weight_fixed") for study in self.studies):
            return [study.weight_fixed for study in self.studies]
        total = sum(1.0 / study.vi for study in self.studies)
        return [100.0 / study.vi / total for study in self.studies]


FitResult.NESTED = {**FitResult.NESTED, "mantel_haenszel_random": FitResult}


# ---- what the runner decided around a fit ----


@dataclass(frozen=True)
class SubgroupTest(Node):
    """The test for subgroup differences of a block (``method``, ``tau_common``: when it is
    ``analyze``'s test under the random-effects model)."""

    q: float | None = None
    df: float | None = None
    pvalue: float | None = None
    method: str | None = None
    tau_common: bool | None = None


@dataclass(frozen=True)
class SubgroupLevel(Node):
    """One level of a subgroup column: its fit as the preset's software shows it, or why it
    was not fitted (``reason``)."""

    NESTED: ClassVar[Mapping[str, type[Node]]] = {"result": FitResult}

    level: str | None = None
    k: int | None = None
    studies: tuple[str, ...] = ()
    result: FitResult | None = None
    reason: str | None = None


@dataclass(frozen=True)
class SubgroupBlock(Node):
    NESTED: ClassVar[Mapping[str, type[Node]]] = {"test": SubgroupTest}
    LISTS: ClassVar[Mapping[str, type[Node]]] = {"levels": SubgroupLevel}

    column: str | None = None
    levels: tuple[SubgroupLevel, ...] = ()
    test: SubgroupTest | None = None

    @property
    def fitted(self) -> bool:
        """Whether any level was fitted."""
        return any(level.result is not None for level in self.levels)


@dataclass(frozen=True)
class Combined(Node):
    """Rows of one study label combined into one study (``distinct_cohorts``: they look like
    separate cohorts)."""

    study: str | None = None
    rows: tuple[int, ...] = ()
    rho: float | None = None
    distinct_cohorts: bool | None = None


@dataclass(frozen=True)
class ByLevel(Node):
    """A value per level of a multilevel model: between and within studies."""

    between: Any = None
    within: Any = None


@dataclass(frozen=True)
class ModelVariance(Node):
    """The variance components of a three-level or CHE row of a models table: σ² per level
    with its profile-likelihood CI, I² per level, how it was fitted (``method``, ``test``,
    CHE's ``rho`` and ``smooth_vi``) and the cluster-robust variance (``robust``: CR2 …)."""

    NESTED: ClassVar[Mapping[str, type[Node]]] = {
        "sigma2": ByLevel,
        "sigma2_ci": ByLevel,
        "i2": MultilevelI2,
    }

    sigma2: ByLevel | None = None
    sigma2_ci: ByLevel | None = None
    i2: MultilevelI2 | None = None
    method: str | None = None
    rho: float | None = None
    smooth_vi: bool | None = None
    test: str | None = None
    robust: str | None = None


@dataclass(frozen=True)
class ModelRow(Node):
    """A row of a main analysis' models table (:func:`metareview.plan.models.models_table`)."""

    NESTED: ClassVar[Mapping[str, type[Node]]] = {"variance": ModelVariance}

    model: str | None = None
    label: str | None = None
    id: str | None = None
    status: str | None = None
    excluded: tuple[str, ...] = ()
    reason: str | None = None  # why the model's analysis was not run
    k: int | None = None
    n_studies: int | None = None
    estimate: float | None = None
    se: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    pvalue: float | None = None
    i2: float | None = None
    i2_ci: tuple[float | None, ...] | None = None
    pi_lower: float | None = None
    pi_upper: float | None = None
    rho: float | None = None
    variance: ModelVariance | None = None
    nnt: float | None = None
    nnt_cer: float | None = None


@dataclass(frozen=True)
class Spec(Node):
    """What the plan asked of one analysis (``AnalysisSpec.to_dict()``)."""

    id: str | None = None
    title: str | None = None
    group: str | None = None
    window: str | None = None
    role: str | None = None
    outcome: str | None = None
    variant: str | None = None
    parent: str | None = None
    filters: Mapping[str, Any] | None = None
    exclude: Mapping[str, Any] | None = None
    subgroups: tuple[str, ...] = ()
    metaregression: tuple[Any, ...] = ()
    small_study: tuple[str, ...] = ()
    leave_one_out: bool | None = None
    gosh: bool | None = None
    min_k: int | None = None


@dataclass(frozen=True)
class AnalysisTree(Node):
    """One analysis of a review: the record the runner keeps (``AnalysisRecord.to_dict()``)
    with its fit."""

    NESTED: ClassVar[Mapping[str, type[Node]]] = {
        "spec": Spec,
        "result": FitResult,
        "gosh": Section,
    }
    LISTS: ClassVar[Mapping[str, type[Node]]] = {
        "subgroups": SubgroupBlock,
        "leave_one_out": LeaveOneOutRow,
        "dropped": Dropped,
        "combined": Combined,
        "models": ModelRow,
    }

    spec: Spec = field(default_factory=lambda: Spec(present=()))
    status: str | None = None
    reason: str | None = None
    model: str | None = None
    model_reason: str | None = None
    input: tuple[Mapping[str, Any], ...] = ()  # the rows' data (the table's own columns)
    result: FitResult = field(default_factory=lambda: FitResult(present=()))
    subgroups: tuple[SubgroupBlock, ...] = ()
    leave_one_out: tuple[LeaveOneOutRow, ...] = ()
    excluded_studies: tuple[str, ...] = ()
    dropped: tuple[Dropped, ...] = ()
    combined: tuple[Combined, ...] = ()
    models: tuple[ModelRow, ...] = ()
    gosh: Section | None = None

    @property
    def fit(self) -> FitResult:
        """The fit as the preset's software shows the headline (:meth:`FitResult.headline`)."""
        return self.result.headline()

    @property
    def pooled(self) -> Model:
        """The headline pooled estimate."""
        return self.fit.pooled(self.model or "random")

    def block(self, column: str) -> SubgroupBlock | None:
        """The subgroup block of ``column``, if the plan asked for it."""
        return next((b for b in self.subgroups if b.column == column), None)


# ---- a plan's multiverse (``MultiverseRecord.to_dict()``) ----


@dataclass(frozen=True)
class MultiverseFactors(Node):
    """The choices a multiverse crossed (``by``: the columns whose levels it also took one
    at a time), the risk-of-bias column, ρ, the level, the minimum k and the preset."""

    studies: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    ci_methods: tuple[str, ...] = ()
    by: tuple[str, ...] = ()
    rob_column: str | None = None
    rho: float | None = None
    level: float | None = None
    min_k: int | None = None
    preset: str | None = None


@dataclass(frozen=True)
class MultiverseSummary(Node):
    """The specifications fitted, the median and range of their estimates and the shares
    significant in each direction and positive (``None`` when none was fitted)."""

    specifications: int | None = None
    fitted: int | None = None
    not_fitted: int | None = None
    significant_positive: float | None = None
    significant_negative: float | None = None
    positive: float | None = None
    median_estimate: float | None = None
    min_estimate: float | None = None
    max_estimate: float | None = None


@dataclass(frozen=True)
class SpecificationTest(Node):
    """The specification-curve test under the null (:class:`metareview.plan.multiverse.CurveTest`)."""

    iterations: int | None = None
    seed: int | None = None
    median_estimate: float | None = None
    p_median: float | None = None
    direction: str | None = None
    share_significant: float | None = None
    p_share: float | None = None


@dataclass(frozen=True)
class MultiverseTree(Node):
    """A plan's multiverse as ``results.json`` stores it (the specifications' rows, when
    kept, as their document: :class:`metareview.plan.multiverse_record.MultiverseRecord` reads
    them into a table)."""

    NESTED: ClassVar[Mapping[str, type[Node]]] = {
        "factors": MultiverseFactors,
        "summary": MultiverseSummary,
        "test": SpecificationTest,
    }

    id: str | None = None
    group: str | None = None
    title: str | None = None
    window: str | None = None
    factors: MultiverseFactors = field(default_factory=lambda: MultiverseFactors(present=()))
    choices: tuple[str, ...] = ()
    summary: MultiverseSummary = field(default_factory=lambda: MultiverseSummary(present=()))
    test: SpecificationTest | None = None
    table: str | None = None
    specifications: Any = None


# ---- the whole review (``results.json``) ----


@dataclass(frozen=True)
class ReviewTree(Node):
    """A ``results.json`` document read leniently, whatever its schema version (to compare
    stored runs); :meth:`metareview.plan.results.ReviewResults.from_dict` reads one of this
    version into the runner's objects.

    >>> review = ReviewTree.from_dict({"title": "T", "analyses": [{"spec": {"id": "a"},
    ...     "status": "ok", "result": {"k": 2}}]})
    >>> review.analyses[0].spec.id, review.analyses[0].result.k
    ('a', 2)
    """

    LISTS: ClassVar[Mapping[str, type[Node]]] = {
        "analyses": AnalysisTree,
        "multiverses": MultiverseTree,
    }

    schema_version: int | None = None
    title: str | None = None
    metareview_version: str | None = None
    cache_key: str | None = None
    plan: Mapping[str, Any] | None = None
    data: Mapping[str, Any] | None = None
    dropped: tuple[Any, ...] = ()
    warnings: tuple[str, ...] = ()
    input_rows: Any = None
    analyses: tuple[AnalysisTree, ...] = ()
    multiverses: tuple[MultiverseTree, ...] = ()
