"""The fits of a multiverse's specifications, each distinct data set fitted once.

:func:`metareview.plan.multiverse.multiverse` hands its specifications to
:class:`SpecificationFitter`. The effects are held once as arrays; a specification's data set
is a boolean mask over them (risk of bias and the filters) and its handling of several
effects per study. Data sets with the same content (many filters select the same rows)
share one entry, so each distinct data set is fitted once per τ² estimator and CI method and
its influential studies are found once per estimator:

1. every data set as chosen, one vectorised :func:`~metareview.stats.batch.pool_many` call
   per estimator and CI method;
2. the studies each removal takes out: outliers from that fit's CI, influential studies by
   :func:`~metareview.stats.influence_batch.influential_many` (all data sets of one estimator
   in one pass, with the flags of :func:`~metareview.stats.influence.influence`);
3. the data sets without them, fitted as in 1.

>>> import pandas as pd
>>> effects = pd.DataFrame({"study": list("AABC"), "yi": [0.2, 0.4, 0.1, 0.3],
...                         "vi": [0.04, 0.04, 0.05, 0.02]})
>>> fitter = SpecificationFitter(effects, rho=0.5, level=0.95, min_k=2, preset="metafor")
>>> one = fitter.data_set(positions=[0, 1, 2, 3], effect="highest")
>>> fitter.data[one][2].tolist(), fitter.data[one][0].tolist()
(['A', 'B', 'C'], [0.4, 0.1, 0.3])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from metareview.errors import MetareviewError
from metareview.plan.selection import combined_effect
from metareview.stats.batch import pool_many
from metareview.stats.influence_batch import influential_many
from metareview.stats.multilevel.model import fit_multilevel_tests
from metareview.stats.multilevel.result import MultilevelResult
from metareview.stats.outliers import outside_pooled_ci
from metareview.stats.presets import get_preset

DERIVED = ("outliers_removed", "influential_removed")
FIT_COLUMNS = ("k", "estimate", "se", "ci_lower", "ci_upper", "pvalue", "tau2", "i2",
               "pi_lower", "pi_upper")  # fmt: skip
NO_INFLUENCE = {
    "status": "not fitted",
    "reason": "influence diagnostics need one effect per study (three-level)",
}
Data = tuple[np.ndarray, np.ndarray, np.ndarray]  # effects, variances, study labels


class SpecificationFitter:
    """Data sets and fits shared between specifications (see the module's docstring).

    ``effects`` has ``study`` (text), ``yi`` and ``vi``, one row per effect; a data set is
    chosen by the positions of its rows and its ``effect`` handling (``single``,
    ``three_level``: all rows; ``combined``, ``lowest``, ``highest``: one per study, as
    :func:`metareview.plan.selection.one_per_study`).
    """

    def __init__(self, effects: pd.DataFrame, *, rho: float, level: float, min_k: int, preset: str):
        self.rho, self.level, self.min_k, self.preset = rho, level, min_k, preset
        self.y = effects["yi"].to_numpy(float)
        self.v = effects["vi"].to_numpy(float)
        self.studies = effects["study"].astype(str).to_numpy(object)
        self.codes = pd.factorize(self.studies)[0]
        # one_per_study keeps the lowest/highest rows in the order of their row labels
        self.rank = np.empty(len(effects), dtype=int)
        self.rank[np.argsort(effects.index.to_numpy(), kind="stable")] = np.arange(len(effects))
        self.data: list[Data] = []  # distinct data sets, by number
        self.three: list[bool] = []  # whether a data set is for the three-level model
        self.numbers: dict[tuple, int] = {}  # content → number
        self.chosen: dict[tuple[bytes, str], int] = {}  # (rows, effect handling) → number
        self.combined: dict[bytes, tuple[float, float]] = {}  # a study's rows → combined
        self.fits: dict[tuple[int, str, str], dict[str, Any]] = {}
        self.flags: dict[tuple[int, str, str, str | None], list[str]] = {}

    def data_set(self, positions: Sequence[int] | np.ndarray, effect: str) -> int:
        """The number of the data set of rows ``positions`` (in row order) under ``effect``."""
        positions = np.asarray(positions, dtype=int)
        key = (positions.tobytes(), effect)
        if key not in self.chosen:
            self.chosen[key] = self._number(*self._select(positions, effect), effect)
        return self.chosen[key]

    def _number(self, y: np.ndarray, v: np.ndarray, studies: np.ndarray, effect: str) -> int:
        three = effect == "three_level"
        content = (three, y.tobytes(), v.tobytes(), tuple(studies))
        if content not in self.numbers:
            self.numbers[content] = len(self.data)
            self.data.append((y, v, studies))
            self.three.append(three)
        return self.numbers[content]

    def _select(self, positions: np.ndarray, effect: str) -> Data:
        codes = self.codes[positions]
        if effect in ("single", "three_level") or np.unique(codes).size == codes.size:
            return self.y[positions], self.v[positions], self.studies[positions]
        _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        groups = [positions[inverse == g] for g in np.argsort(first)]  # by first appearance
        if effect == "combined":
            pairs = [self._combined(rows) for rows in groups]
            y, v = (np.array(values, dtype=float) for values in zip(*pairs, strict=True))
            return y, v, self.studies[[rows[0] for rows in groups]]
        pick = np.argmin if effect == "lowest" else np.argmax
        kept = np.array([rows[pick(self.y[rows])] for rows in groups])
        kept = kept[np.argsort(self.rank[kept], kind="stable")]
        return self.y[kept], self.v[kept], self.studies[kept]

    def _combined(self, rows: np.ndarray) -> tuple[float, float]:
        if rows.size == 1:
            return float(self.y[rows[0]]), float(self.v[rows[0]])
        key = rows.tobytes()
        if key not in self.combined:
            self.combined[key] = combined_effect(self.y[rows], self.v[rows], self.rho)
        return self.combined[key]

    def without(self, number: int, removed: Sequence[str]) -> int:
        """The data set ``number`` without the studies ``removed``."""
        if not removed:
            return number
        y, v, studies = self.data[number]
        keep = ~np.isin(studies, list(removed))
        effect = "three_level" if self.three[number] else "single"
        return self._number(y[keep], v[keep], studies[keep], effect)

    def fit_all(self, specs: Sequence[Mapping[str, Any]], numbers: Sequence[int]) -> list[dict]:
        """The fit of each specification (``studies``, ``method``, ``ci_method``) on its data
        set ``numbers[i]`` as chosen: with its removals made and the studies ``removed``."""
        settings = [(spec["method"], spec["ci_method"]) for spec in specs]
        self.pool([(n, *s) for n, s in zip(numbers, settings, strict=True)])
        self.find_influential(
            (n, method)
            for spec, n, (method, ci_method) in zip(specs, numbers, settings, strict=True)
            if spec["studies"] == "influential_removed" and not self.three[n]
            and self.fits[n, method, ci_method]["status"] == "ok"
        )  # fmt: skip
        final = []
        for spec, n, (method, ci_method) in zip(specs, numbers, settings, strict=True):
            removed: list[str] = []
            if spec["studies"] == "influential_removed" and self.three[n]:
                final.append((None, method, ci_method, removed))  # see NO_INFLUENCE
                continue
            if spec["studies"] in DERIVED and self.fits[n, method, ci_method]["status"] == "ok":
                removed = self.flagged(n, spec["studies"], method, ci_method)
                n = self.without(n, removed)
            final.append((n, method, ci_method, removed))
        self.pool([item[:3] for item in final if item[0] is not None])
        return [
            (NO_INFLUENCE if n is None else self.fits[n, method, ci_method]) | {"removed": removed}
            for n, method, ci_method, removed in final
        ]

    def flagged(self, number: int, rule: str, method: str, ci_method: str) -> list[str]:
        """The studies ``rule`` removes from data set ``number`` under its fit."""
        cache = (number, rule, method, ci_method if rule == "outliers_removed" else None)
        if cache not in self.flags:  # outliers (influential: find_influential filled it)
            y, v, studies = self.data[number]
            base = self.fits[number, method, ci_method]
            flags = outside_pooled_ci(y, v, (base["ci_lower"], base["ci_upper"]), self.level)
            self.flags[cache] = _labels(studies, flags)
        return self.flags[cache]

    def find_influential(self, wanted: Iterable[tuple[int, str]]) -> None:
        """The influential studies of each (data set, τ² estimator), each estimator's data
        sets in one :func:`influential_many` call (fewer than three studies: none)."""
        todo: dict[str, list[int]] = {}
        for number, method in dict.fromkeys(wanted):
            if (number, "influential_removed", method, None) not in self.flags:
                todo.setdefault(method, []).append(number)
        for method, numbers in todo.items():
            large = [n for n in numbers if len(self.data[n][0]) >= 3]
            flags = influential_many([self.data[n][:2] for n in large], method)
            found = dict(zip(large, flags, strict=True))
            for n in numbers:
                studies = self.data[n][2]
                chosen = found.get(n, np.zeros(len(studies), dtype=bool))
                self.flags[n, "influential_removed", method, None] = _labels(studies, chosen)

    def pool(self, wanted: list[tuple[int, str, str]]) -> None:
        """Fit every (data set, τ² estimator, CI method) not fitted yet, one ``pool_many``
        call per estimator and CI method."""
        todo: dict[tuple[str, str], list[int]] = {}
        three: dict[tuple[int, str], list[str]] = {}  # three-level: CI methods by data set
        for number, method, ci_method in dict.fromkeys(wanted):
            if (number, method, ci_method) in self.fits:
                continue
            k = len(set(self.data[number][2]))
            if k < self.min_k:
                self.fits[number, method, ci_method] = {
                    "k": k, "status": "not fitted",
                    "reason": f"k = {k} < {self.min_k} (too few studies)",
                }  # fmt: skip
            elif self.three[number]:
                three.setdefault((number, method), []).append(ci_method)
            else:
                todo.setdefault((method, ci_method), []).append(number)
        for (number, method), ci_methods in three.items():
            fitted = self.three_level(number, method, ci_methods)
            for ci_method, fit in zip(ci_methods, fitted, strict=True):
                self.fits[number, method, ci_method] = fit
        for (method, ci_method), numbers in todo.items():
            arrays = [self.data[n] for n in numbers]
            stacked = pd.DataFrame(
                {
                    "yi": np.concatenate([a[0] for a in arrays]),
                    "vi": np.concatenate([a[1] for a in arrays]),
                    "_set": np.repeat(np.arange(len(numbers)), [len(a[0]) for a in arrays]),
                }
            )
            out = pool_many(
                stacked, by="_set", method=method, test=ci_method, level=self.level,
                preset=self.preset,
            )  # fmt: skip
            values = out[list(FIT_COLUMNS)].to_numpy(float)
            for row, n in zip(values.tolist(), numbers, strict=True):
                self.fits[n, method, ci_method] = {
                    **dict(zip(FIT_COLUMNS, row, strict=True)),
                    "k": int(row[0]), "status": "ok", "reason": None,
                }  # fmt: skip

    def three_level(self, number: int, method: str, ci_methods: list[str]) -> list[dict[str, Any]]:
        """The three-level model of a data set's effects, as ``analyze --model threelevel``,
        under each of ``ci_methods`` (one maximisation: only the test differs)."""
        y, v, studies = self.data[number]
        preset = get_preset(self.preset)
        tests = {ci_method: "z" if ci_method == "z" else "t" for ci_method in ci_methods}
        try:  # multilevel_section's fit, without the σ² profile CIs and level tests
            fits = fit_multilevel_tests(
                y, v, studies.tolist(), tuple(dict.fromkeys(tests.values())), method=method,
                level=self.level, smooth_vi=preset.multilevel_smooth_vi,
                pi_method=preset.multilevel_pi, profile=False, level_tests=False,
            )  # fmt: skip
        except MetareviewError as error:
            failed = {"k": len(set(studies)), "status": "not fitted", "reason": str(error)}
            return [dict(failed) for _ in ci_methods]
        return [_three_level_row(fits[tests[ci_method]]) for ci_method in ci_methods]


def _three_level_row(fit: MultilevelResult) -> dict[str, Any]:
    """A three-level fit as a multiverse specification's numbers."""
    return {
        "k": fit.n_studies, "estimate": fit.estimate[0], "se": fit.se[0],
        "ci_lower": fit.ci_lower[0], "ci_upper": fit.ci_upper[0], "pvalue": fit.pvalue[0],
        "tau2": sum(fit.sigma2), "i2": fit.i2.total, "pi_lower": fit.pi_lower,
        "pi_upper": fit.pi_upper, "status": "ok", "reason": None,
    }  # fmt: skip


def _labels(studies: np.ndarray, flags: np.ndarray) -> list[str]:
    """The flagged studies, each once, in data order."""
    return list(dict.fromkeys(studies[np.asarray(flags, dtype=bool)].tolist()))
