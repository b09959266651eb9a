"""Simulate active-learning screening on fully labelled data, with metrics and stopping rules.

A simulation starts from prior knowledge (by default one relevant and one irrelevant record
drawn with the seed), then repeatedly retrains, screens the top-ranked record(s) and reveals
their true label, until every relevant record is found (the rest of the order cannot change
any metric). Metrics follow ASReview Insights' conventions and leave the priors out: the
order is the ``N`` records screened after the priors, ``R`` of them relevant.

- recall curve: share of the ``R`` found after each screened record;
- WSS@95 (Cohen et al. 2006): ``(N − n₉₅)/N − 0.05``, ``n₉₅`` records screened to find
  ``⌈0.95 R⌉``;
- RRF@10: recall after screening ``⌈0.10 N⌉`` records;
- ATD (Ferdinands et al. 2023): mean over relevant records of the share of ``N`` screened
  when each was found;
- loss: area between the perfect recall curve and this one, divided by the area between
  the perfect and the worst (0 perfect, 1 worst).

Stopping rules are functions of the label sequence, so they are evaluated on it (see
:mod:`metareview.records.stopping_rules`): consecutive irrelevant records (a heuristic), the
statistical rule of Callaghan & Müller-Hansen (2020), which stops once the hypothesis "recall
is below the target" is rejected at level α by a hypergeometric test on the most recent
records, the knee method (Cormack & Grossman 2016), and the end of SAFE's active-learning
phase (Boetje & van de Schoot 2024; its random sample of 1 % drawn with the seed; phase 3's
screening with a second model would add recall on top of what is reported).

>>> labels = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
>>> m = metrics(labels)
>>> round(m["wss95"], 3), m["rrf10"], round(m["atd"], 2)
(0.65, 0.5, 0.2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from metareview.records.active_learning import DEFAULT_MODEL, Model, Ranker
from metareview.records.stopping_rules import RandomSample, buscar_p_values, knee_stop_point


def metrics(labels: Sequence[int] | np.ndarray) -> dict[str, Any]:
    """WSS@95, RRF@10, ATD, loss and the recall curve of labels in screening order."""
    y = np.asarray(labels, dtype=int)
    n, relevant = len(y), int(y.sum())
    if relevant == 0 or relevant == n:
        raise ValueError("metrics need both relevant and irrelevant records after the priors")
    found = np.cumsum(y)
    recall = found / relevant
    n95 = int(np.searchsorted(found, math.ceil(0.95 * relevant)) + 1)
    positions = np.flatnonzero(y) + 1
    optimal = relevant * (n - (relevant - 1) / 2)  # sum over t of min(t, R)
    worst = relevant * (relevant + 1) / 2  # all relevant last
    return {
        "records": n,
        "relevant": relevant,
        "wss95": (n - n95) / n - 0.05,
        "rrf10": float(recall[math.ceil(0.10 * n) - 1]),
        "atd": float(positions.mean() / n),
        "loss": float((optimal - found.sum()) / (optimal - worst)),
        "recall_curve": recall.tolist(),
    }


def consecutive_irrelevant_stop(labels: Sequence[int] | np.ndarray, run: int) -> int | None:
    """Records screened when ``run`` irrelevant records in a row were first seen (or ``None``).

    >>> consecutive_irrelevant_stop([1, 0, 0, 1, 0, 0, 0], 3)
    7
    """
    count = 0
    for position, label in enumerate(labels, start=1):
        count = 0 if label else count + 1
        if count >= run:
            return position
    return None


def statistical_stop(
    labels: Sequence[int] | np.ndarray,
    recall_target: float = 0.95,
    alpha: float = 0.05,
    total: int | None = None,
) -> int | None:
    """Callaghan & Müller-Hansen (2020): the first point where "recall < target" is rejected
    (:func:`~metareview.records.stopping_rules.buscar_p_values` below ``alpha``). ``total`` is the
    number of records (default: ``len(labels)``).

    >>> statistical_stop([1] * 5 + [0] * 95) is not None
    True
    """
    y = np.asarray(labels, dtype=int)
    p = buscar_p_values(y, len(y) if total is None else total, recall_target)
    stops = np.flatnonzero(p < alpha)
    return int(stops[0]) + 1 if len(stops) else None


def safe_stop(
    labels: Sequence[int] | np.ndarray, sample: RandomSample, run: int = 50
) -> int | None:
    """Records screened when SAFE's active-learning phase may end (see
    :func:`~metareview.records.stopping_rules.safe`), or ``None``.

    >>> safe_stop([1] * 5 + [0] * 200, RandomSample(20, 1))  # 50 in a row, 2 × 10.25 reached
    55
    """
    y = np.asarray(labels, dtype=int)
    expected = sample.relevant / sample.size * len(y)
    wanted = max(math.ceil(2 * expected), math.ceil(0.10 * len(y)))
    count = 0
    for position, label in enumerate(y, start=1):
        count = 0 if label else count + 1
        if count >= run and position >= wanted:
            return position
    return None


def _safe_sample(labels: np.ndarray, seed: int) -> RandomSample:
    """SAFE phase 1 in a simulation: 1 % of the records (at least one) drawn with ``seed``."""
    size = max(1, math.ceil(0.01 * len(labels)))
    drawn = np.random.default_rng(seed).choice(len(labels), size, replace=False)
    return RandomSample(size, int(labels[drawn].sum()))


def stopping_points(
    order_labels: Sequence[int] | np.ndarray,
    labels: Sequence[int] | np.ndarray,
    seed: int,
    *,
    stop_run: int | None = None,
    recall_target: float = 0.95,
    alpha: float = 0.05,
) -> dict[str, dict[str, Any]]:
    """Where each stopping rule stops on a simulated screening: per rule, the records
    screened (``None``: never), the recall there and the work saved (share of the screening
    order not screened). ``order_labels``: true labels in screening order after the priors;
    ``labels``: every record's label (SAFE's random sample is drawn from them with ``seed``).

    >>> points = stopping_points([1, 1] + [0] * 98, [1, 1, 1] + [0] * 99, seed=0)
    >>> points["50 consecutive irrelevant"]
    {'screened': 52, 'recall': 1.0, 'work_saved': 0.48}
    """
    y = np.asarray(order_labels, dtype=int)
    every = np.asarray(labels, dtype=int)
    recall = np.cumsum(y) / max(int(y.sum()), 1)
    run = stop_run if stop_run is not None else max(50, math.ceil(0.05 * len(every)))
    stopping = {}
    for name, point in (
        (f"{run} consecutive irrelevant", consecutive_irrelevant_stop(y, run)),
        (
            f"Callaghan & Müller-Hansen (recall {recall_target:g}, alpha {alpha:g})",
            statistical_stop(y, recall_target, alpha),
        ),
        ("knee (Cormack & Grossman)", knee_stop_point(y)),
        ("SAFE phase 2 (Boetje & van de Schoot)", safe_stop(y, _safe_sample(every, seed))),
    ):
        stopping[name] = {
            "screened": point,
            "recall": None if point is None else float(recall[point - 1]),
            "work_saved": None if point is None else 1 - point / len(y),
        }
    return stopping


def draw_priors(labels: Sequence[int] | np.ndarray, seed: int) -> list[int]:
    """One relevant and one irrelevant record index, drawn reproducibly from ``seed``.

    >>> draw_priors([0, 1, 0, 1, 0], seed=0) == draw_priors([0, 1, 0, 1, 0], seed=0)
    True
    """
    y = np.asarray(labels, dtype=int)
    if y.sum() < 2 or (1 - y).sum() < 2:
        raise ValueError("simulation needs at least two relevant and two irrelevant records")
    rng = np.random.default_rng(seed)
    return [int(rng.choice(np.flatnonzero(y == 1))), int(rng.choice(np.flatnonzero(y == 0)))]


@dataclass(frozen=True)
class SimulationResult:
    """One simulated screening: the order, labels in order, metrics and stopping points."""

    seed: int
    model: str
    records: int
    relevant: int
    priors: tuple[int, ...]
    order: tuple[int, ...]  # record indices in screening order, after the priors
    labels: tuple[int, ...]  # their true labels
    wss95: float
    rrf10: float
    atd: float
    loss: float
    recall_curve: tuple[float, ...]
    stopping: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "relevant": self.relevant,
            "wss95": self.wss95,
            "rrf10": self.rrf10,
            "atd": self.atd,
            "loss": self.loss,
            "recall_curve": list(self.recall_curve),
            "seed": self.seed,
            "model": self.model,
            "priors": list(self.priors),
            "stopping": {k: dict(v) for k, v in self.stopping.items()},
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per screened record: position, record index, label, recall."""
        return pd.DataFrame(
            {"record": self.order, "label": self.labels, "recall": self.recall_curve},
            index=pd.RangeIndex(1, len(self.order) + 1, name="screened"),
        )

    def summary(self) -> str:
        lines = [
            f"Simulation ({self.model}, seed {self.seed}): {self.records} records, "
            f"{self.relevant} relevant, priors {list(self.priors)}",
            f"  WSS@95 {self.wss95:.3f}   RRF@10 {self.rrf10:.3f}   "
            f"ATD {self.atd:.3f}   loss {self.loss:.3f}",
        ]
        for name, stop in self.stopping.items():
            if stop["screened"] is None:
                lines.append(f"  stop ({name}): never triggered")
            else:
                lines.append(
                    f"  stop ({name}): after {stop['screened']} records, "
                    f"recall {stop['recall']:.3f}"
                )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary() + "</pre>"


def simulate(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    seed: int = 0,
    model: str | Model = DEFAULT_MODEL,
    priors: Sequence[int] | None = None,
    batch: int = 1,
    stop_run: int | None = None,
    recall_target: float = 0.95,
    alpha: float = 0.05,
    vectors: Any = None,
) -> SimulationResult:
    """Simulate screening ``texts`` whose true ``labels`` (1 relevant, 0 not) are known.

    Parameters
    ----------
    seed
        Draws the priors (one relevant, one irrelevant) and seeds the classifier.
    priors
        Record indices known before screening starts (instead of drawing them).
    batch
        Records screened per retrain (1: retrain after every record, as ASReview does).
    stop_run
        Run length of the consecutive-irrelevant rule (default: max(50, 5% of records)).
    vectors
        The records' sentence embeddings, for a model that reads them (``"minilm"``; see
        :mod:`metareview.records.embeddings`).

    Examples
    --------
    >>> texts = [f"exercise depression trial {i}" for i in range(5)] + [
    ...     f"unrelated topic number {i}" for i in range(15)]
    >>> result = simulate(texts, [1] * 5 + [0] * 15, seed=3)
    >>> result.wss95 > 0.5
    True
    """
    y = np.asarray(labels, dtype=int)
    if len(texts) != len(y):
        raise ValueError(f"got {len(texts)} texts but {len(y)} labels")
    if not set(np.unique(y)) <= {0, 1}:
        raise ValueError("labels must be 0 (irrelevant) or 1 (relevant)")
    if batch < 1:
        raise ValueError(f"batch must be >= 1; got {batch}")
    if priors is None:
        priors = draw_priors(y, seed)
    ranker = Ranker(texts, model, seed=seed, vectors=vectors)
    known = {int(i): int(y[i]) for i in priors}
    order: list[int] = []
    remaining_relevant = int(y.sum()) - sum(known.values())
    while remaining_relevant > 0:
        ranked = ranker.rank(known)
        for index in ranked[:batch]:
            known[int(index)] = int(y[index])
            order.append(int(index))
            remaining_relevant -= int(y[index])
        if remaining_relevant == 0:
            order.extend(int(i) for i in ranked[batch:])
    order_labels = y[order]
    found = metrics(order_labels)
    stopping = stopping_points(
        order_labels, y, seed, stop_run=stop_run, recall_target=recall_target, alpha=alpha
    )
    return SimulationResult(
        seed=seed,
        model=ranker.model.name,
        records=found["records"],
        relevant=found["relevant"],
        priors=tuple(int(i) for i in priors),
        order=tuple(order),
        labels=tuple(int(v) for v in order_labels),
        wss95=found["wss95"],
        rrf10=found["rrf10"],
        atd=found["atd"],
        loss=found["loss"],
        recall_curve=tuple(found["recall_curve"]),
        stopping=stopping,
    )
