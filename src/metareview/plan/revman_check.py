"""``check-revman``: every number RevMan stored beside metareview's, with the difference.

For each outcome with stored results (:mod:`metareview.plan.revman_fit` re-runs it), each
study's effect, CI and weight, each subgroup's and the total's effect, CI, weight, χ², df,
P, I², τ², Z and P(Z), and the test for subgroup differences are set beside RevMan's.

Tolerances (``docs/revman.md``): a number RevMan wrote unrounded (RevMan 5 files) must agree
to ``rel_tol`` (1e-6) relative, or within ``ABS_FLOOR`` absolutely when it is (about) zero; a
number a file printed rounded to *d* decimals (data packages, CSV exports) must round to it
up to the relative tolerance: ``|ours − stored| ≤ ½·10⁻ᵈ + rel_tol·|stored|`` (RevMan's own
P of χ² is accurate to about six digits, which eight printed decimals show).

>>> number = CheckedNumber("1.1", "total", "", "effect", 0.5, None, 0.5000001, 1e-6)
>>> number.ok, f"{number.rel_diff:.1e}"
(True, '2.0e-07')
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from metareview.data.revman.model import POOLED_KEYS, SUBGROUP_TEST_KEYS, Review, Skipped
from metareview.plan.revman_export import subgroup_weight
from metareview.plan.revman_fit import Fit, fit_outcome

REL_TOL = 1e-6
ABS_FLOOR = 1e-9


@dataclass(frozen=True)
class CheckedNumber:
    """One stored number beside ours. ``level`` is ``study``, ``subgroup``, ``total`` or
    ``subgroup test``; ``decimals`` how RevMan rounded it (``None``: unrounded)."""

    outcome: str
    level: str
    label: str
    quantity: str
    stored: float
    decimals: int | None
    ours: float | None
    rel_tol: float

    @property
    def difference(self) -> float | None:
        return None if self.ours is None else abs(self.ours - self.stored)

    @property
    def rel_diff(self) -> float | None:
        """|ours − stored| / |stored| (the absolute difference when stored is 0)."""
        if self.difference is None:
            return None
        return self.difference / abs(self.stored) if self.stored else self.difference

    @property
    def tolerance(self) -> str:
        if self.decimals is not None:
            return f"rounded to {self.decimals} decimals, + {self.rel_tol:g} relative"
        return f"{self.rel_tol:g} relative"

    @property
    def ok(self) -> bool:
        if self.difference is None or not math.isfinite(self.difference):
            return False
        if self.decimals is not None:
            rounding = 0.5 * 10.0**-self.decimals * (1 + 1e-9)
            return bool(self.difference <= rounding + self.rel_tol * abs(self.stored) + ABS_FLOOR)
        return bool(self.difference <= max(self.rel_tol * abs(self.stored), ABS_FLOOR))

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "rel_diff": self.rel_diff,
            "tolerance": self.tolerance,
            "ok": self.ok,
        }


@dataclass(frozen=True)
class CheckReport:
    """All checked numbers of a review and what could not be checked (``skipped``)."""

    source: str
    numbers: tuple[CheckedNumber, ...]
    skipped: tuple[Skipped, ...]

    @property
    def failed(self) -> tuple[CheckedNumber, ...]:
        return tuple(n for n in self.numbers if not n.ok)

    @property
    def passed(self) -> bool:
        return bool(self.numbers) and not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "passed": self.passed,
            "checked": len(self.numbers),
            "failed": len(self.failed),
            "numbers": [n.to_dict() for n in self.numbers],
            "skipped": [s.to_dict() for s in self.skipped],
        }

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([n.to_dict() for n in self.numbers])

    def summary(self) -> str:
        lines = [
            f"{'outcome':8} {'level':13} {'label':24} {'quantity':10} {'RevMan':>14} {'metareview':>14} {'rel. diff':>9}  ok"
        ]
        for n in self.numbers:
            ours = "—" if n.ours is None else f"{n.ours:.8g}"
            rel = "—" if n.rel_diff is None else f"{n.rel_diff:.1e}"
            lines.append(
                f"{n.outcome:8} {n.level:13} {n.label[:24]:24} {n.quantity:10} "
                f"{n.stored:>14.8g} {ours:>14} {rel:>9}  {'yes' if n.ok else 'NO'}"
            )
        lines += [f"not checked: {skip}" for skip in self.skipped]
        verdict = "all agree" if self.passed else f"{len(self.failed)} differ beyond tolerance"
        if not self.numbers:
            verdict = "no stored number to check"
        lines.append(f"{len(self.numbers)} numbers checked: {verdict}.")
        return "\n".join(lines)


def check_review(review: Review, rel_tol: float = REL_TOL) -> CheckReport:
    """Re-run every analysis of ``review`` and set RevMan's stored numbers beside ours."""
    numbers: list[CheckedNumber] = []
    skipped = list(review.skipped)
    for outcome in review.outcomes:
        if not outcome.calculated:
            skipped.append(
                Skipped(
                    outcome.where,
                    f"outcome {outcome.id} {outcome.name!r}",
                    "RevMan stored no results for it (nothing to check)",
                )
            )
            continue
        fits = fit_outcome(outcome)
        fitted = [f for f in (fits["total"], *fits["subgroups"].values()) if isinstance(f, Fit)]
        for dropped in dict.fromkeys(d for f in fitted for d in f.dropped):
            skipped.append(
                Skipped(
                    outcome.where, f"outcome {outcome.id}: a study", f"not estimable: {dropped}"
                )
            )

        def add(
            level: str, label: str, stored: dict, ours: dict | None, keys, oid=outcome.id
        ) -> None:
            for key in keys:
                if key in stored:
                    value = None if ours is None or ours.get(key) is None else float(ours[key])
                    numbers.append(
                        CheckedNumber(
                            oid,
                            level,
                            label,
                            key,
                            stored[key].value,
                            stored[key].decimals,
                            value,
                            rel_tol,
                        )
                    )

        position = 0
        for subgroup in outcome.subgroups:
            for study in subgroup.studies:
                add(
                    "study",
                    study.study,
                    study.stored,
                    fits["studies"].get(position),
                    ("effect", "ci_lower", "ci_upper", "weight"),
                )
                position += 1
            if subgroup.name is not None:
                fit = fits["subgroups"].get(subgroup.number)
                ours = _pooled(fit, subgroup_weight(fits, subgroup.number, outcome))
                if isinstance(fit, str):
                    skipped.append(Skipped(subgroup.where, f"subgroup {subgroup.name!r}", fit))
                add("subgroup", subgroup.name, subgroup.stored, ours, POOLED_KEYS)
        total = fits["total"]
        if isinstance(total, str):
            skipped.append(Skipped(outcome.where, f"outcome {outcome.id} total", total))
        add("total", "", outcome.stored, _pooled(total, 100.0), POOLED_KEYS)
        add("subgroup test", "", outcome.stored, fits["test"], SUBGROUP_TEST_KEYS)
    return CheckReport(review.source, tuple(numbers), tuple(skipped))


def _pooled(fit: Fit | str | None, weight: float) -> dict[str, float] | None:
    if not isinstance(fit, Fit):
        return None
    return {**fit.values, "weight": weight}
