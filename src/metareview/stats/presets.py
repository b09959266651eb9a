"""Presets: every convention that differs between the reference packages, in one frozen object.

A preset reproduces one reference package exactly. Explicit arguments to a function override
the preset; every result records the preset it used so reports can state the formulas.
See ``docs/presets.md`` for the software version each preset reproduces.

>>> from metareview.stats.presets import get_preset
>>> get_preset("revman5").tau2_method
'DL'
>>> get_preset("REML")
Traceback (most recent call last):
...
metareview.errors.InputError: preset must be one of metafor, meta, revman5, metapsy, cma; got 'REML'
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from metareview.errors import InputError
from metareview.stats.result_base import ResultDocument


@dataclass(frozen=True)
class Preset(ResultDocument):
    """The conventions of one reference package.

    Effect sizes
        smd_correction: small-sample factor J of Hedges' g: ``"exact"`` (gamma-function form),
            ``"approx"`` (1 − 3/(4N − 9)) or ``"approx_df"`` (1 − 3/(4df − 1)).
        smd_variance: ``"LS"`` (metafor: 1/n1 + 1/n2 + g²/(2N)), ``"UB"`` (Hedges' unbiased,
            meta ≥ 7 and metafor ``vtype="UB"``), ``"revman5"`` (N/(n1 n2) + g²/(2(N − 3.94))),
            ``"esc"`` (N/(n1 n2) + d²/(2N), d uncorrected), ``"cma"`` (J²(1/n1 + 1/n2 + d²/(2N))).
        zero_cell_add: value added to every cell of a 2×2 table with a zero cell.
        drop_double_zero: exclude studies with no events (or only events) in both arms from
            OR/RR as not estimable (RevMan 5, meta); metafor keeps them (``drop00=FALSE``).
        smd_from_events: how a dichotomous outcome becomes an SMD: ``"hasselblad_hedges"``
            (d = ln OR · √3/π) or ``"metapsy"`` (metapsyTools' ``g.binary`` rule via esc).
    Pooling
        tau2_method: default τ² estimator (FE DL REML ML PM SJ HE EB HS).
        ci_method: CI for the pooled mean: ``"z"``, ``"knha"`` or ``"adhoc"``.
        i2_definition: ``"tau2"`` (τ²/(τ² + s²), metafor) or ``"q"`` ((Q − df)/Q, meta/RevMan/CMA).
        tau2_ci_method: ``"qprofile"``, ``"jackson"`` (Jackson 2013: generalised Q with weights
            1/sᵢ), ``"jackson_dl"`` (Jackson for DL, Q-profile otherwise: R meta) or ``"none"``.
        i2_ci_method: ``"qprofile"`` (from the τ² CI), ``"test_based"`` (Higgins–Thompson ln H)
            or ``"none"`` (RevMan 5 and CMA print I² without a CI).
        pi_method: ``"follow_ci"`` (z with √(SE² + τ²), or t(k − 1) with the HK SE under knha:
            metafor), ``"t_k1"`` (t(k − 1) with the classic SE: meta ≥ 8), ``"t_k2"`` (t(k − 2):
            Higgins–Thompson–Spiegelhalter, meta ≤ 7, CMA) or ``"none"`` (RevMan 5 shows none).
        mantel_haenszel_random: for OR/RR/RD with event counts, also report RevMan 5's
            "M-H, Random" model (DerSimonian–Laird τ² from Q around the Mantel–Haenszel
            estimate; :mod:`metareview.stats.mh_random`), and pool Mantel–Haenszel with the
            zero-cell increment added to tables with a zero cell (RevMan 5); a report then
            shows RevMan's "M-H, Fixed" / "M-H, Random" models (``docs/presets.md``).
            Otherwise Mantel–Haenszel pools the raw counts (metafor's ``rma.mh``).
    Subgroups
        subgroup_tau2: ``"separate"`` (one τ² per subgroup, meta/RevMan) or ``"common"`` (metafor).
    Small-study effects (``docs/small-study-effects.md``)
        egger_variant: the Egger test the software reports: ``"classic"`` (weighted linear
            regression on the SE, t(k − 2): meta's ``metabias`` default "Egger"/"linreg",
            metapsyTools via dmetar, CMA, and what Cochrane reviews report from RevMan data) or
            ``"rma"`` (metafor's ``regtest`` default: mixed-effects meta-regression, z).
        trimfill_model: model used to trim: ``"FE"`` (common effect: meta's ``trimfill``
            ``ma.common = TRUE``, hence metapsyTools; CMA's default; RevMan has none) or
            ``"analysis"`` (the model trimfill is called on, as metafor).
        ranktest_exact: when Begg's rank test uses Kendall's exact p-value: ``"no_ties"``
            (whenever there are no ties, any k: metafor's ``ranktest`` calls ``cor.test`` with
            ``exact = TRUE``) or ``"below_50"`` (fewer than 50 studies and no ties: R
            ``cor.test``'s default; kept for the presets whose package was not compared).
        trimfill_refit_ci: the CI of the filled data: ``"z"`` (metafor's ``trimfill`` refits
            with a z test, whatever the model used) or ``"analysis"`` (the analysis CI method:
            R meta's ``trimfill`` keeps Hartung-Knapp).
        min_k_bias: fewest studies for which small-study tests are run (10: the Cochrane
            Handbook 13.3.5.4 and meta's ``metabias(k.min = 10)``; metafor sets no minimum).
    Several effects per study (``docs/multilevel.md``)
        within_study_rho: assumed correlation of a study's effects when a plan combines them
            into one (``multiple_effects = "combine"``): 0.5, or 0.6 for metapsy
            (metapsyTools ≥ 1.0.4's ``rho.within.study``; 0.5 before).
        multilevel_smooth_vi: whether the CHE model averages the sampling variances within a
            study (metapsyTools' CHE model: yes).
        multilevel_pi: prediction interval of the three-level and CHE models: ``"model"``
            (metafor ``predict``: z, or t on k − p df, with the model-based SE) or
            ``"robust_k1"`` (t on k − 1 df with the robust SE when one is computed:
            metapsyTools ≥ 1.0.4).
    """

    name: str
    software: str
    smd_correction: str
    smd_variance: str
    zero_cell_add: float
    drop_double_zero: bool
    tau2_method: str
    ci_method: str
    i2_definition: str
    tau2_ci_method: str
    i2_ci_method: str
    pi_method: str
    subgroup_tau2: str
    egger_variant: str
    trimfill_model: str
    min_k_bias: int = 10
    ranktest_exact: str = "below_50"
    trimfill_refit_ci: str = "analysis"
    smd_from_events: str = "hasselblad_hedges"
    mantel_haenszel_random: bool = False
    within_study_rho: float = 0.5
    multilevel_smooth_vi: bool = False
    multilevel_pi: str = "model"

    def with_overrides(self, **overrides: Any) -> Preset:
        """Return a copy with explicit arguments (those not ``None``) replacing the defaults.

        >>> get_preset("metafor").with_overrides(tau2_method="DL", ci_method=None).tau2_method
        'DL'
        """
        changes = {key: value for key, value in overrides.items() if value is not None}
        unknown = sorted(set(changes) - set(self.__dataclass_fields__))
        if unknown:
            raise InputError(f"unknown preset setting(s): {', '.join(unknown)}")
        return replace(self, **changes)


# One row a convention, one column a reference package (in the order of the header row), so
# that what differs between the packages reads across a line.
_PACKAGES = ("metafor", "meta", "revman5", "metapsy", "cma")
_CONVENTIONS: dict[str, tuple[Any, ...]] = {
    "software": (
        "R metafor 4.x (escalc + rma)",
        "R meta 8.x (metagen/metacont)",
        "Cochrane RevMan 5.4",
        "R metapsyTools >= 1.0.4 (runMetaAnalysis, via meta, metafor and esc)",
        "Comprehensive Meta-Analysis 4",
    ),
    "smd_correction": ("exact", "exact", "approx", "approx", "approx_df"),
    "smd_variance": ("LS", "UB", "revman5", "esc", "cma"),
    "zero_cell_add": (0.5, 0.5, 0.5, 0.5, 0.5),
    "drop_double_zero": (False, True, True, True, True),
    "tau2_method": ("REML", "REML", "DL", "REML", "DL"),
    "ci_method": ("z", "z", "z", "knha", "z"),
    "i2_definition": ("tau2", "q", "q", "q", "q"),
    "tau2_ci_method": ("qprofile", "jackson_dl", "none", "qprofile", "none"),
    "i2_ci_method": ("qprofile", "test_based", "none", "test_based", "none"),
    "pi_method": ("follow_ci", "t_k1", "none", "t_k1", "t_k2"),
    "subgroup_tau2": ("common", "separate", "separate", "separate", "separate"),
    "egger_variant": ("rma", "classic", "classic", "classic", "classic"),
    "trimfill_model": ("analysis", "FE", "FE", "FE", "FE"),
    "min_k_bias": (10, 10, 10, 10, 10),
    "ranktest_exact": ("no_ties", "below_50", "below_50", "below_50", "below_50"),
    "trimfill_refit_ci": ("z", "analysis", "analysis", "analysis", "analysis"),
    "smd_from_events": (
        "hasselblad_hedges",
        "hasselblad_hedges",
        "hasselblad_hedges",
        "metapsy",
        "hasselblad_hedges",
    ),
    "mantel_haenszel_random": (False, False, True, False, False),
    "within_study_rho": (0.5, 0.5, 0.5, 0.6, 0.5),
    "multilevel_smooth_vi": (False, False, False, True, False),
    "multilevel_pi": ("model", "model", "model", "robust_k1", "model"),
}

PRESETS: dict[str, Preset] = {
    name: Preset(name=name, **{key: row[column] for key, row in _CONVENTIONS.items()})
    for column, name in enumerate(_PACKAGES)
}

DEFAULT_PRESET = "metafor"


def get_preset(name: str | Preset | None = None) -> Preset:
    """Look a preset up by name (``None`` gives the default, ``metafor``).

    >>> get_preset().name
    'metafor'
    """
    if isinstance(name, Preset):
        return name
    key = DEFAULT_PRESET if name is None else str(name).strip().lower()
    if key not in PRESETS:
        raise InputError(f"preset must be one of {', '.join(PRESETS)}; got {name!r}")
    return PRESETS[key]
