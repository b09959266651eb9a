"""How well do stopping rules keep their promise? Recall at stopping over many simulations.

A stopping rule that stops early is only useful if recall at that point is high, and a rule
that promises a recall target (buscar) must miss it rarely: at most about ``alpha`` of the
time. :func:`evaluate_stopping` summarises, per rule, the distribution of recall at the point
where the rule said stop over many simulated screenings (datasets × seeds): its mean, its 5th
percentile, the share of runs that stopped below the target, and the work saved. A run where
the rule never says stop screens everything: recall 1, no work saved (counted apart too).

>>> runs = [{"buscar": {"screened": 80, "recall": 0.97, "work_saved": 0.2}},
...         {"buscar": {"screened": 90, "recall": 0.90, "work_saved": 0.1}},
...         {"buscar": {"screened": None, "recall": None, "work_saved": None}}]
>>> row = evaluate_stopping(runs).rules[0]
>>> row.runs, round(row.mean_recall, 3), round(row.below_target, 3), row.never_stopped
(3, 0.957, 0.333, 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from metareview.stats.result_base import ResultDocument


@dataclass(frozen=True)
class RuleEvaluation(ResultDocument):
    """One rule's recall at stopping over ``runs`` simulations."""

    rule: str
    runs: int
    mean_recall: float
    recall_p5: float  # 5th percentile (linear interpolation)
    min_recall: float
    below_target: float  # share of runs with recall at stopping < the target
    mean_work_saved: float
    never_stopped: int  # runs where the rule never said stop (recall 1, no work saved)


@dataclass(frozen=True)
class StoppingEvaluation:
    """Every rule's :class:`RuleEvaluation`, in the order the rules were first seen."""

    recall_target: float
    rules: tuple[RuleEvaluation, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"recall_target": self.recall_target, "rules": [r.to_dict() for r in self.rules]}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.to_dict() for r in self.rules]).set_index("rule")

    def summary(self) -> str:
        rules = (
            f"  {r.rule}: {r.runs} runs, mean recall {r.mean_recall:.3f}, 5th percentile "
            f"{r.recall_p5:.3f}, below target {r.below_target:.1%}, work saved "
            f"{r.mean_work_saved:.3f}, never stopped {r.never_stopped}"
            for r in self.rules
        )
        return "\n".join([f"Recall at stopping (target {self.recall_target:g}):", *rules])

    def _repr_html_(self) -> str:
        return self.to_frame().to_html()


def evaluate_stopping(
    runs: Iterable[Mapping[str, Mapping[str, Any]]], recall_target: float = 0.95
) -> StoppingEvaluation:
    """Summarise recall at stopping per rule over simulated runs.

    ``runs``: one mapping per simulation, rule name → ``{"screened", "recall",
    "work_saved"}`` (as :func:`~metareview.records.simulation.stopping_points` and
    ``SimulationResult.stopping`` give them; ``screened`` ``None`` when the rule never
    said stop).
    """
    if not 0 < recall_target <= 1:
        raise ValueError(f"recall_target must be in (0, 1]; got {recall_target}")
    recalls: dict[str, list[float]] = {}
    saved: dict[str, list[float]] = {}
    never: dict[str, int] = {}
    for run in runs:
        for rule, point in run.items():
            stopped = point.get("screened") is not None
            recalls.setdefault(rule, []).append(float(point["recall"]) if stopped else 1.0)
            saved.setdefault(rule, []).append(float(point["work_saved"]) if stopped else 0.0)
            never[rule] = never.get(rule, 0) + (not stopped)
    if not recalls:
        raise ValueError("no simulated runs to evaluate")
    rows = []
    for rule, values in recalls.items():
        recall = np.asarray(values)
        rows.append(
            RuleEvaluation(
                rule=rule,
                runs=len(recall),
                mean_recall=float(recall.mean()),
                recall_p5=float(np.percentile(recall, 5)),
                min_recall=float(recall.min()),
                # a hair of tolerance: recall 19/20 is exactly the 0.95 target, not below it
                below_target=float((recall < recall_target - 1e-12).mean()),
                mean_work_saved=float(np.mean(saved[rule])),
                never_stopped=never[rule],
            )
        )
    return StoppingEvaluation(recall_target, tuple(rows))
