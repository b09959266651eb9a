"""When is it safe to stop screening? Stopping rules from the literature, as estimates.

Every rule reads the labels of the records screened so far, in the order they were screened
(1 relevant — an include or a maybe — 0 irrelevant), and the number of records the stage
screens, and says whether to stop, what it estimates of recall and of the relevant records
left, and — when it says go on — how many more records to screen before it could say stop.

- :func:`buscar` (Callaghan & Müller-Hansen 2020, Systematic Reviews 9:273): a
  hypergeometric test of "recall is below the target". The most recent records are treated
  as a random sample of the records not screened before them; ``p < alpha`` rejects the
  null. It also gives a one-sided lower confidence bound on recall, and how large a
  *random* sample of the remaining records (all irrelevant) would let it stop.
- :func:`knee` (Cormack & Grossman 2016, SIGIR '16, "Engineering quality and reliability in
  technology-assisted review"): the gain curve's knee ``s`` is the point farthest above the
  line from the origin to the current point; the slope ratio ``ρ = (r_s / s) /
  ((1 + r_t − r_s) / (t − s))`` must reach ``156 − min(r_t, 150)`` after at least 150
  records.
- :func:`safe` (Boetje & van de Schoot 2024, Systematic Reviews 13:81): the heuristics of the
  SAFE procedure's active-learning phase — a random sample screened first (phase 1) gives
  the expected number of relevant records; phase 2 may end once at least twice that number
  and at least 10 % of the records are screened, and the last 50 were irrelevant; then the
  procedure switches model (phase 3) and screens on until 50 irrelevant in a row again.
- :func:`consecutive_irrelevant`: the baseline heuristic, ``run`` irrelevant records in a row.

Only the statistical rule (buscar) bounds the recall it promises; the others are heuristics
whose recall is measured by simulation (``metareview records simulate``).

>>> labels = [1] * 20 + [0] * 900
>>> advice = buscar(labels, records=1000)
>>> advice.stop, round(advice.statistic["p_value"], 4)
(True, 0.0066)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.stats import hypergeom

KNEE_MIN_SCREENED = 150


@dataclass(frozen=True)
class StoppingAdvice:
    """What one stopping rule says about a screening so far.

    ``recall_estimate`` is a lower confidence bound for :func:`buscar` and ``None`` for the
    heuristics; ``relevant_left`` likewise an upper bound or ``None``. ``screen_more`` is how
    many more records the rule needs before it could say stop (for buscar: records drawn *at
    random* from the unscreened ones, all found irrelevant), ``None`` when it cannot say.
    """

    rule: str
    screened: int
    relevant_found: int
    records: int
    stop: bool
    message: str
    recall_estimate: float | None = None
    relevant_left: float | None = None
    screen_more: int | None = None
    statistic: dict[str, float] = field(default_factory=dict)

    @property
    def unscreened(self) -> int:
        return self.records - self.screened

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "unscreened": self.unscreened}

    def summary(self) -> str:
        verdict = "stop" if self.stop else "go on"
        return f"{self.rule}: {verdict}. {self.message}"


def _as_labels(labels: Sequence[int] | np.ndarray, records: int) -> np.ndarray:
    y = np.asarray(labels, dtype=np.int64).reshape(-1)
    if y.size and not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 1 (relevant) or 0 (irrelevant)")
    if records < len(y):
        raise ValueError(f"records ({records}) must be at least the {len(y)} screened")
    return y


# -- buscar -----------------------------------------------------------------------------


def buscar_p_values(
    labels: Sequence[int] | np.ndarray, records: int, recall_target: float = 0.95
) -> np.ndarray:
    """The buscar p-value of "recall < target" after each screened record.

    After ``t`` records with ``r`` relevant found, each window of the last ``n`` records is
    a sample from the ``records − (t − n)`` not screened before it; under the null at least
    ``⌊r / target⌋ + 1`` relevant records exist, so the urn holds ``K`` of them that the
    records before the window did not find; ``p = P(X ≤ k)``, ``X ~ Hypergeometric(urn, K,
    n)``, ``k`` the relevant records in the window; the p-value is the smallest over
    windows. Windows that cannot be tested (the null impossible or already contradicted by
    arithmetic) give 1.

    >>> p = buscar_p_values([1, 1, 0, 0, 0, 0], records=6, recall_target=0.5)
    >>> [round(float(v), 3) for v in p]
    [1.0, 1.0, 0.25, 0.0, 0.0, 0.0]
    """
    y = _as_labels(labels, records)
    _check_target(recall_target)
    found = np.concatenate([[0], np.cumsum(y)])
    # For windows with the same number of relevant records, the longest gives the smallest
    # p (one more irrelevant draw is more evidence), so only windows starting at the
    # beginning or just after a relevant record need testing.
    starts = np.concatenate([[0], np.flatnonzero(y) + 1])
    t, s = np.meshgrid(np.arange(1, len(y) + 1), starts, indexing="ij")
    p = _window_p(found[t], found[s], found[t] - found[s], records - s, t - s, recall_target)
    return p.min(axis=1) if p.size else np.ones(0)


def buscar_p_value(
    labels: Sequence[int] | np.ndarray, records: int, recall_target: float = 0.95
) -> float:
    """The buscar p-value now (after the last screened record; see :func:`buscar_p_values`).

    >>> round(buscar_p_value([1, 1, 0, 0, 0], records=6, recall_target=0.5), 3)
    0.0
    """
    y = _as_labels(labels, records)
    _check_target(recall_target)
    if len(y) == 0:
        return 1.0
    found = np.concatenate([[0], np.cumsum(y)])
    s = np.concatenate([[0], np.flatnonzero(y) + 1])
    t = np.full(len(s), len(y))
    p = _window_p(found[t], found[s], found[t] - found[s], records - s, t - s, recall_target)
    return float(p.min())


def _window_p(
    found: np.ndarray,
    before: np.ndarray,
    in_window: np.ndarray,
    urn: np.ndarray,
    window: np.ndarray,
    recall_target: float,
) -> np.ndarray:
    needed = np.floor(found / recall_target) + 1 - before
    testable = (window > 0) & (needed <= urn) & (needed > in_window)
    p = np.ones(np.shape(found), dtype=float)
    p[testable] = hypergeom.cdf(
        in_window[testable], urn[testable], needed[testable], window[testable]
    )
    return p


def buscar(
    labels: Sequence[int] | np.ndarray,
    records: int,
    *,
    recall_target: float = 0.95,
    alpha: float = 0.05,
) -> StoppingAdvice:
    """The buscar rule now: stop when "recall < ``recall_target``" is rejected at ``alpha``.

    >>> advice = buscar([1] * 10 + [0] * 20, records=2000)
    >>> advice.stop, advice.screen_more
    (False, 1872)
    """
    y = _as_labels(labels, records)
    _check_alpha(alpha)
    p = buscar_p_value(y, records, recall_target)
    found = int(y.sum())
    stop = p < alpha
    bound, left = _recall_bound(y, records, alpha)
    more = None if stop else _random_sample_needed(y, records, recall_target, alpha)
    if stop:
        message = (
            f"'recall < {recall_target:g}' rejected (p = {_p(p)} < {alpha:g}): "
            f"with {1 - alpha:.0%} confidence recall is at least {bound:.3f}"
        )
    elif more is None:
        message = f"p = {_p(p)}: screen every remaining record; no random sample can reject"
    else:
        message = (
            f"p = {_p(p)} ≥ {alpha:g}: screen a random sample of {more} of the "
            f"{records - len(y)} unscreened records; if none is relevant, stop"
        )
    return StoppingAdvice(
        rule="buscar",
        screened=len(y),
        relevant_found=found,
        records=records,
        stop=stop,
        message=message,
        recall_estimate=bound,
        relevant_left=left,
        screen_more=more,
        statistic={"p_value": p, "recall_target": recall_target, "alpha": alpha},
    )


def _recall_bound(y: np.ndarray, records: int, alpha: float) -> tuple[float, float]:
    """Lower (1 − alpha) bound on recall and upper bound on the relevant records missed:
    the largest number missed that the windows' test does not reject."""
    found, unscreened = int(y.sum()), records - len(y)
    if found == 0 or unscreened == 0:
        return (1.0, 0.0) if unscreened == 0 else (0.0, float(unscreened))

    def rejected(missed: int) -> bool:
        target = found / (found + missed - 0.5)  # ⌊found / target⌋ + 1 = found + missed
        return buscar_p_value(y, records, min(target, 1.0)) < alpha

    low, high = 1, unscreened  # smallest number missed that is rejected, by bisection
    if not rejected(high):
        return found / (found + unscreened), float(unscreened)
    while low < high:
        middle = (low + high) // 2
        if rejected(middle):
            high = middle
        else:
            low = middle + 1
    missed = low - 1
    return found / (found + missed), float(missed)


def _random_sample_needed(
    y: np.ndarray, records: int, recall_target: float, alpha: float
) -> int | None:
    """Fewest records drawn at random from the unscreened, all irrelevant, that reject."""
    found, unscreened = int(y.sum()), records - len(y)
    needed = math.floor(found / recall_target) + 1 - found
    if needed > unscreened or unscreened == 0:
        return None
    low, high = 1, unscreened
    if hypergeom.cdf(0, unscreened, needed, high) >= alpha:
        return None
    while low < high:
        middle = (low + high) // 2
        if hypergeom.cdf(0, unscreened, needed, middle) < alpha:
            high = middle
        else:
            low = middle + 1
    return low


# -- knee -------------------------------------------------------------------------------


def knee_slope_ratio(labels: Sequence[int] | np.ndarray) -> tuple[int, float] | None:
    """The gain curve's knee (records screened there) and the slope ratio at it.

    The knee is the point of the curve farthest above the line from the origin to the
    current point; ``None`` when the curve has no point above that line.

    >>> knee_slope_ratio([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    (4, 6.0)
    """
    y = np.asarray(labels, dtype=np.int64)
    t = len(y)
    if t < 2:
        return None
    found = np.cumsum(y)
    s = np.arange(1, t + 1)
    height = found * t - s * found[-1]  # ∝ distance above the chord
    knee = int(np.argmax(height[:-1])) + 1
    if height[knee - 1] <= 0:
        return None
    r_s, r_t = int(found[knee - 1]), int(found[-1])
    return knee, (r_s / knee) / ((1 + r_t - r_s) / (t - knee))


def knee(labels: Sequence[int] | np.ndarray, records: int) -> StoppingAdvice:
    """The knee method now: stop once at least 150 records are screened and the slope ratio
    at the knee reaches ``156 − min(relevant found, 150)``.

    >>> knee([1] * 30 + [0] * 300, records=5000).stop
    True
    """
    y = _as_labels(labels, records)
    found = int(y.sum())
    threshold = 156 - min(found, 150)
    ratio = knee_slope_ratio(y)
    statistic: dict[str, float] = {"threshold": float(threshold)}
    if ratio is not None:
        statistic.update(knee=float(ratio[0]), slope_ratio=ratio[1])
    short = KNEE_MIN_SCREENED - len(y)
    stop = short <= 0 and ratio is not None and ratio[1] >= threshold
    if stop:
        message = f"slope ratio {ratio[1]:.1f} at the knee (record {ratio[0]}) ≥ {threshold}"
        more = None
    elif short > 0:
        message = f"the knee method needs at least {KNEE_MIN_SCREENED} records screened"
        more = short
    else:
        shown = "no knee yet" if ratio is None else f"slope ratio {ratio[1]:.1f}"
        message = f"{shown} < {threshold}: go on screening in ranked order"
        more = None
    return StoppingAdvice(
        "knee", len(y), found, records, stop, message, screen_more=more, statistic=statistic
    )


def knee_stop_point(labels: Sequence[int] | np.ndarray, every: int = 1) -> int | None:
    """Records screened when the knee method first says stop (checked every ``every``
    records from the 150th), or ``None``.

    >>> knee_stop_point([1] * 30 + [0] * 300)  # slope ratio t − 30 reaches 156 − 30
    156
    """
    y = np.asarray(labels, dtype=np.int64)
    for t in range(KNEE_MIN_SCREENED, len(y) + 1, max(1, every)):
        ratio = knee_slope_ratio(y[:t])
        if ratio is not None and ratio[1] >= 156 - min(int(y[:t].sum()), 150):
            return t
    return None


# -- consecutive irrelevant and SAFE ----------------------------------------------------


def trailing_irrelevant(labels: Sequence[int] | np.ndarray) -> int:
    """How many irrelevant records were screened since the last relevant one.

    >>> trailing_irrelevant([0, 1, 0, 0])
    2
    """
    y = np.asarray(labels, dtype=np.int64)
    hits = np.flatnonzero(y)
    return len(y) - (int(hits[-1]) + 1 if len(hits) else 0)


def consecutive_irrelevant(
    labels: Sequence[int] | np.ndarray, records: int, *, run: int = 50
) -> StoppingAdvice:
    """Stop after ``run`` irrelevant records in a row (a heuristic; no recall promised).

    >>> consecutive_irrelevant([1] + [0] * 10, records=100, run=25).screen_more
    15
    """
    y = _as_labels(labels, records)
    if run < 1:
        raise ValueError(f"run must be at least 1; got {run}")
    tail = trailing_irrelevant(y)
    stop = tail >= run
    more = None if stop else min(run - tail, records - len(y))
    message = f"{tail} irrelevant records in a row" + ("" if stop else f"; {run} needed")
    return StoppingAdvice(
        f"{run} consecutive irrelevant",
        len(y),
        int(y.sum()),
        records,
        stop,
        message,
        screen_more=more,
        statistic={"run": float(run), "trailing_irrelevant": float(tail)},
    )


@dataclass(frozen=True)
class RandomSample:
    """SAFE phase 1: a random sample screened before active learning, its size and how many
    of it were relevant (the prevalence estimate)."""

    size: int
    relevant: int

    def __post_init__(self) -> None:
        if self.size < 1 or not 0 <= self.relevant <= self.size:
            raise ValueError(
                f"a random sample needs size ≥ 1 and 0 ≤ relevant ≤ size; got "
                f"size {self.size}, relevant {self.relevant}"
            )


def safe(
    labels: Sequence[int] | np.ndarray,
    records: int,
    *,
    random_sample: RandomSample | None,
    run: int = 50,
    min_share: float = 0.10,
) -> StoppingAdvice:
    """SAFE's heuristics for ending active learning (phase 2): at least twice the relevant
    records the random sample predicts and ``min_share`` of all records screened, and the
    last ``run`` records irrelevant. When they hold, SAFE goes on with a different model
    (phase 3) until ``run`` irrelevant in a row again, then a quality check (phase 4).

    >>> safe([1] * 5 + [0] * 120, records=1000, random_sample=RandomSample(20, 1)).stop
    True
    """
    y = _as_labels(labels, records)
    found = int(y.sum())
    if random_sample is None:
        size = max(1, math.ceil(0.01 * records))
        return StoppingAdvice(
            "SAFE",
            len(y),
            found,
            records,
            False,
            f"phase 1 first: screen a random sample (e.g. {size} records, 1 %) to estimate "
            "how many records are relevant",
            screen_more=size,
        )
    expected = random_sample.relevant / random_sample.size * records
    tail = trailing_irrelevant(y)
    wanted = max(math.ceil(2 * expected), math.ceil(min_share * records))
    short = {
        f"{wanted} screened (2 × {expected:.0f} expected relevant, ≥ {min_share:.0%})": wanted
        - len(y),
        f"{run} irrelevant in a row": run - tail,
    }
    missing = {what: n for what, n in short.items() if n > 0}
    stop = not missing
    message = (
        "phase 2 may end: switch to a different model and screen until "
        f"{run} irrelevant in a row (phase 3), then check quality (phase 4)"
        if stop
        else "go on with active learning; still needed: " + "; ".join(missing)
    )
    return StoppingAdvice(
        "SAFE",
        len(y),
        found,
        records,
        stop,
        message,
        screen_more=None if stop else min(max(missing.values()), records - len(y)),
        statistic={"expected_relevant": expected, "trailing_irrelevant": float(tail)},
    )


def all_rules(
    labels: Sequence[int] | np.ndarray,
    records: int,
    *,
    recall_target: float = 0.95,
    alpha: float = 0.05,
    run: int = 50,
    random_sample: RandomSample | None = None,
) -> tuple[StoppingAdvice, ...]:
    """Every rule's advice on the same screening, buscar first.

    >>> [a.rule for a in all_rules([1, 0, 0], records=10)]
    ['buscar', 'knee', 'SAFE', '50 consecutive irrelevant']
    """
    return (
        buscar(labels, records, recall_target=recall_target, alpha=alpha),
        knee(labels, records),
        safe(labels, records, random_sample=random_sample, run=run),
        consecutive_irrelevant(labels, records, run=run),
    )


def _check_target(recall_target: float) -> None:
    if not 0 < recall_target <= 1:
        raise ValueError(f"recall_target must be in (0, 1]; got {recall_target}")


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}")


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"
