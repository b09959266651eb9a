"""The multilevel section of one analysis: which model (``--model``) and how it is fitted.

``standard`` is the usual random-effects model of one effect per row (no section);
``threelevel`` and ``che`` cluster the rows (one effect each) by their ``study`` label and fit
:func:`metareview.stats.multilevel.fit_multilevel`. Tests are z when the preset's (or the
given) CI method is ``z`` and t on k − p df otherwise (metafor's ``test = "t"``); σ² is
estimated by REML unless the τ² method is ML.

>>> request = MultilevelRequest(model="che")
>>> request.rho, request.robust
(0.6, 'CR2')
>>> MultilevelRequest(model="threelevel", rho=0.5)
Traceback (most recent call last):
...
metareview.errors.InputError: rho and smooth_vi apply to the CHE model (--model che) only
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from metareview.errors import AnalysisError, InputError
from metareview.stats.multilevel import MultilevelResult, fit_multilevel
from metareview.stats.presets import Preset
from metareview.stats.vocabulary import check_choice

MODELS: tuple[str, ...] = ("standard", "threelevel", "che")
ROBUST_CHOICES: tuple[str, ...] = ("none", "CR2", "CR1")
CHE_DEFAULT_RHO = 0.6  # metapsyTools >= 1.0.4


@dataclass(frozen=True)
class MultilevelRequest:
    """``--model``, ``--rho``, ``--smooth-vi`` and ``--robust`` (``None``: the default, ρ = 0.6
    and CR2 for CHE, no robust variance for the three-level model, smoothing as the preset)."""

    model: str = "standard"
    rho: float | None = None
    smooth_vi: bool | None = None  # None: the preset's multilevel_smooth_vi
    robust: str | None = None

    def __post_init__(self) -> None:
        check_choice("model", self.model, MODELS)
        if self.robust is not None:
            check_choice("robust", self.robust, ROBUST_CHOICES)
        if self.model != "che" and (self.rho is not None or self.smooth_vi is not None):
            raise InputError("rho and smooth_vi apply to the CHE model (--model che) only")
        if self.model == "che":
            object.__setattr__(self, "rho", CHE_DEFAULT_RHO if self.rho is None else self.rho)
            if not -1.0 < self.rho < 1.0:
                raise InputError(f"rho must be a correlation in (-1, 1); got {self.rho!r}")
        if self.robust is None:
            object.__setattr__(self, "robust", "CR2" if self.model == "che" else "none")
        if self.model == "standard" and self.robust != "none":
            raise InputError("robust variance applies to --model threelevel or che")


def multilevel_section(
    yi: np.ndarray,
    vi: np.ndarray,
    studies: Sequence[str],
    request: MultilevelRequest,
    *,
    tau2_method: str,
    ci_method: str,
    level: float,
    preset: Preset,
) -> MultilevelResult | None:
    """The multilevel fit of the analysis' effects, or None for the standard model.

    The preset decides what the request leaves open: CHE smoothing and the prediction
    interval (metapsy: smoothed, t(k − 1) with the robust SE)."""
    if request.model == "standard":
        return None
    if tau2_method not in ("REML", "ML"):
        raise AnalysisError(
            f"--model {request.model} is fitted by REML or ML; got the tau^2 method {tau2_method} "
            "(use --method REML or --method ML)"
        )
    if len(set(studies)) < 2:
        raise AnalysisError(f"--model {request.model} needs effects from at least 2 studies")
    return fit_multilevel(
        yi,
        vi,
        list(studies),
        method=tau2_method,
        test="z" if ci_method == "z" else "t",
        level=level,
        rho=request.rho if request.model == "che" else None,
        smooth_vi=preset.multilevel_smooth_vi if request.smooth_vi is None else request.smooth_vi,
        robust=request.robust,
        pi_method=preset.multilevel_pi,
    )
