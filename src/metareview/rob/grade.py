"""GRADE certainty of evidence per outcome: proposed downgrades with their rules, reviewer
decisions with footnotes, and the certainty that results.

Evidence from randomized trials starts at High (observational studies at Low) and is rated
down one or two levels per domain (GRADE Handbook, Schünemann et al. 2013, section 5; Guyatt
et al., J Clin Epidemiol 2011, GRADE guidelines 4–8). This module proposes each downgrade by a
stated, configurable rule (:class:`GradeRules`) computed from plain numbers
(:class:`OutcomeEvidence`), so it works on any pooled result:

- risk of bias — share of the meta-analytic weight from trials at high overall risk
  (GRADE 4: rate down when most of the information comes from trials at high risk);
- inconsistency — I² (Cochrane Handbook 10.10.2 bands: 50–90 % substantial, 75–100 %
  considerable) and whether the prediction interval crosses the null (GRADE 7);
- imprecision — the CI crossing the null or the minimal important difference, and the
  optimal information size (GRADE 6; GRADE 34, Zeng et al. 2022);
- publication bias — Egger's test (p < 0.10 with ≥ 10 trials; Sterne et al. 2011, BMJ
  343:d4002) and trim-and-fill, when they were run (GRADE 5);
- indirectness — the reviewer's judgement (GRADE 8), never computed.

Each proposal can be confirmed or overridden (:class:`GradeDecision`); an override or any
downgrade carries a footnote, which the summary-of-findings table prints.

>>> ev = OutcomeEvidence("Depression", "SMD", k=12, participants=1480, estimate=-0.4,
...                      ci_lower=-0.55, ci_upper=-0.25, i2=62.0, pi_lower=-0.9, pi_upper=0.1,
...                      high_risk_weight=0.6)
>>> g = grade(ev)
>>> g.certainty, [(d.domain, d.levels) for d in g.domains if d.levels]
('Low', [('risk of bias', -1), ('inconsistency', -1)])
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from metareview.stats.vocabulary import BINARY_MEASURES, MEASURE_FAMILY, check_choice, is_ratio

if TYPE_CHECKING:
    import pandas as pd

CERTAINTY = ("Very low", "Low", "Moderate", "High")
DOMAINS = ("risk of bias", "inconsistency", "indirectness", "imprecision", "publication bias")
#: The reasons to rate up (GRADE Handbook 5.2.2; GRADE guidelines 9), each the reviewers'
#: judgement with the levels it may add: a large magnitude of effect (+1, or +2 for a very large
#: one), a dose-response gradient (+1), and plausible residual confounding that would reduce a
#: demonstrated effect (or suggest a spurious one when none was found) (+1).
UPGRADES = {"large effect": (0, 1, 2), "dose-response": (0, 1), "plausible confounding": (0, 1)}


@dataclass(frozen=True)
class OutcomeEvidence:
    """What GRADE needs about one outcome's meta-analysis, as plain numbers.

    Estimates and intervals are on the analysis scale (log for OR/RR/HR); ``i2`` in percent;
    ``high_risk_weight`` is the share (0–1) of the weight from trials at high overall risk of
    bias; ``egger_p`` and ``trimfill_*`` only when those analyses were run. ``k`` counts the
    pooled comparisons, ``studies`` the distinct studies they come from (None: one each);
    ``participants_incomplete`` marks ``participants`` as a lower bound (some trials report no
    sizes); ``level`` is the confidence level of the interval.
    """

    outcome: str
    measure: str
    k: int
    participants: int | None
    estimate: float
    ci_lower: float
    ci_upper: float
    i2: float | None = None
    pi_lower: float | None = None
    pi_upper: float | None = None
    high_risk_weight: float | None = None
    egger_p: float | None = None
    trimfill_k0: int | None = None
    trimfill_ci: tuple[float, float] | None = None
    control_risk: float | None = None
    design: str = "RCT"
    studies: int | None = None
    participants_incomplete: bool = False
    level: float = 0.95

    def __post_init__(self) -> None:
        check_choice("measure", self.measure, sorted(MEASURE_FAMILY))
        if self.design not in ("RCT", "observational"):
            raise ValueError(f"design must be RCT or observational; got {self.design!r}")
        if self.k < 1:
            raise ValueError(f"k must be at least 1; got {self.k}")
        if self.high_risk_weight is not None and not 0 <= self.high_risk_weight <= 1:
            raise ValueError(
                f"high_risk_weight is a share between 0 and 1; got {self.high_risk_weight}"
            )

    @property
    def null(self) -> float:
        return 0.0


@dataclass(frozen=True)
class GradeRules:
    """The thresholds of the proposed downgrades; change them to a review's own rules.

    ``mid`` is the minimal important difference on the measure's natural scale (e.g. 0.2 for
    an SMD, 1.25 for a risk ratio, meaning 0.8–1.25); ``None`` uses GRADE's rough guides: RR
    0.75/1.25 for ratio measures and SMD 0.2 for the SMD.
    """

    rob_serious: float = 0.5
    rob_very_serious: float | None = None
    i2_serious: float = 50.0
    i2_very_serious: float = 75.0
    mid: float | None = None
    alpha: float = 0.05
    power: float = 0.80
    ois_relative_reduction: float = 0.25
    egger_alpha: float = 0.10
    egger_min_k: int = 10


@dataclass(frozen=True)
class DomainRating:
    """One GRADE domain: proposed and final levels (0, −1, −2), the rule and the footnote."""

    domain: str
    proposed: int
    rule: str
    levels: int
    footnote: str | None = None
    overridden: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "proposed": self.proposed,
            "levels": self.levels,
            "rule": self.rule,
            "footnote": self.footnote,
            "overridden": self.overridden,
        }


@dataclass(frozen=True)
class GradeDecision:
    """The reviewer's rating of a domain (0, −1 or −2) with the footnote that explains it."""

    domain: str
    levels: int
    footnote: str

    def __post_init__(self) -> None:
        if self.domain in UPGRADES:
            allowed = UPGRADES[self.domain]
            if self.levels not in allowed:
                raise ValueError(
                    f"levels of {self.domain} must be {' or '.join(map(str, allowed))} (rating "
                    f"up); got {self.levels!r}"
                )
        elif self.domain not in DOMAINS:
            raise ValueError(
                f"domain must be one of {', '.join([*DOMAINS, *UPGRADES])}; got {self.domain!r}"
            )
        elif self.levels not in (0, -1, -2):
            raise ValueError(f"levels must be 0, -1 or -2; got {self.levels!r}")
        if not self.footnote or not self.footnote.strip():
            raise ValueError(f"a decision on {self.domain} needs a footnote explaining it")


@dataclass(frozen=True)
class GradeAssessment:
    """The certainty of one outcome's evidence, with every domain's rating."""

    evidence: OutcomeEvidence
    start: str
    domains: tuple[DomainRating, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def downgrade(self) -> int:
        """Levels rated down, net of any rated up."""
        return -sum(d.levels for d in self.domains)

    @property
    def certainty(self) -> str:
        """The start, rated down and (by the reviewers' decisions) up, from Very low to High."""
        return CERTAINTY[
            min(len(CERTAINTY) - 1, max(0, CERTAINTY.index(self.start) - self.downgrade))
        ]

    @property
    def footnotes(self) -> tuple[str, ...]:
        return tuple(f"{d.domain.capitalize()}: {d.footnote}" for d in self.domains if d.footnote)

    def to_dict(self) -> dict[str, Any]:
        ev = self.evidence
        return {
            "outcome": ev.outcome,
            "measure": ev.measure,
            "k": ev.k,
            "studies": ev.k if ev.studies is None else ev.studies,
            "participants": ev.participants,
            "participants_incomplete": ev.participants_incomplete,
            "estimate": ev.estimate,
            "ci_lower": ev.ci_lower,
            "ci_upper": ev.ci_upper,
            "level": ev.level,
            "start": self.start,
            "certainty": self.certainty,
            "domains": [d.to_dict() for d in self.domains],
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        lines = [f"GRADE: {self.evidence.outcome}: {self.certainty} (start {self.start})"]
        for d in self.domains:
            change = (
                "no downgrade"
                if d.levels == 0
                else f"{d.levels} level{'s' if d.levels < -1 else ''}"
            )
            lines.append(
                f"  {d.domain:<17} {change:<13} {d.rule}"
                + (f" [reviewer: {d.footnote}]" if d.overridden else "")
            )
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _natural(value: float, measure: str) -> float:
    return math.exp(value) if is_ratio(measure) else value


def format_natural(value: float, measure: str) -> str:
    """``value`` on the measure's natural scale, two decimals, no sign on a rounded zero.

    >>> format_natural(-0.001, "SMD"), format_natural(0.0, "RR")
    ('0.00', '1.00')
    """
    text = f"{_natural(value, measure):.2f}"
    return text[1:] if text == "-0.00" else text


def rate_risk_of_bias(ev: OutcomeEvidence, rules: GradeRules) -> tuple[int, str]:
    """Share of weight from high-risk trials against ``rob_serious`` (and ``rob_very_serious``).

    >>> ev = OutcomeEvidence("Depression", "SMD", k=12, participants=1480, estimate=-0.4,
    ...                      ci_lower=-0.55, ci_upper=-0.25, i2=62.0, pi_lower=-0.9,
    ...                      pi_upper=0.1, high_risk_weight=0.6, egger_p=0.04)
    >>> rate_risk_of_bias(ev, GradeRules())
    (-1, '60% of the weight from trials at high risk of bias (≥ 50%: serious)')
    """
    if ev.high_risk_weight is None:
        return 0, "not assessed: no risk-of-bias judgements linked to the trials"
    share = ev.high_risk_weight
    text = f"{share:.0%} of the weight from trials at high risk of bias"
    if rules.rob_very_serious is not None and share >= rules.rob_very_serious:
        return -2, f"{text} (≥ {rules.rob_very_serious:.0%}: very serious)"
    if share >= rules.rob_serious:
        return -1, f"{text} (≥ {rules.rob_serious:.0%}: serious)"
    return 0, f"{text} (< {rules.rob_serious:.0%})"


def rate_inconsistency(ev: OutcomeEvidence, rules: GradeRules) -> tuple[int, str]:
    """I² bands and the prediction interval: −2 when I² ≥ 75 % and the PI crosses the null,
    −1 when I² ≥ 50 % or the PI crosses the null although the CI does not.

    >>> ev = OutcomeEvidence("Depression", "SMD", k=12, participants=1480, estimate=-0.4,
    ...                      ci_lower=-0.55, ci_upper=-0.25, i2=62.0, pi_lower=-0.9,
    ...                      pi_upper=0.1, high_risk_weight=0.6, egger_p=0.04)
    >>> rate_inconsistency(ev, GradeRules())[0]
    -1
    """
    if ev.k < 2 or ev.i2 is None:
        return 0, "not assessable with a single trial"
    pi_known = ev.pi_lower is not None and ev.pi_upper is not None
    pi_crosses = pi_known and ev.pi_lower < ev.null < ev.pi_upper
    ci_crosses = ev.ci_lower < ev.null < ev.ci_upper
    parts = [f"I² = {ev.i2:.0f}%"]
    if pi_known:
        parts.append(
            f"prediction interval {format_natural(ev.pi_lower, ev.measure)} to "
            f"{format_natural(ev.pi_upper, ev.measure)} {'crosses' if pi_crosses else 'excludes'} the null"
        )
    text = ", ".join(parts)
    if ev.i2 >= rules.i2_very_serious and pi_crosses:
        return -2, f"{text} (I² ≥ {rules.i2_very_serious:.0f}% and PI crosses the null)"
    if ev.i2 >= rules.i2_serious:
        return -1, f"{text} (I² ≥ {rules.i2_serious:.0f}%)"
    if pi_crosses and not ci_crosses:
        return -1, f"{text} (effects may go either way although the CI excludes the null)"
    return 0, text


def optimal_information_size(ev: OutcomeEvidence, rules: GradeRules) -> int | None:
    """Total participants a single trial would need (two equal arms) to detect the MID
    (continuous: SMD = MID; binary: a relative reduction ``ois_relative_reduction`` of the
    control risk), two-sided ``alpha``, ``power``. None when it cannot be computed.

    >>> ev = OutcomeEvidence("Depression", "SMD", k=12, participants=1480, estimate=-0.4,
    ...                      ci_lower=-0.55, ci_upper=-0.25, i2=62.0, pi_lower=-0.9,
    ...                      pi_upper=0.1, high_risk_weight=0.6, egger_p=0.04)
    >>> optimal_information_size(ev, GradeRules())
    786
    """
    z = NormalDist().inv_cdf(1 - rules.alpha / 2) + NormalDist().inv_cdf(rules.power)
    if ev.measure == "SMD":
        delta = rules.mid if rules.mid is not None else 0.2
        return 2 * math.ceil(2 * z**2 / delta**2)
    if ev.measure in BINARY_MEASURES and ev.control_risk is not None and 0 < ev.control_risk < 1:
        p1 = ev.control_risk
        p2 = p1 * (1 - rules.ois_relative_reduction)
        return 2 * math.ceil(z**2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p1 - p2) ** 2)
    return None


def _mid_bounds(ev: OutcomeEvidence, rules: GradeRules) -> tuple[float, float] | None:
    """The thresholds of appreciable benefit/harm on the analysis scale."""
    if is_ratio(ev.measure):
        if rules.mid is None:  # GRADE's rough guide: a 25 % relative reduction or increase
            return math.log(0.75), math.log(1.25)
        return -abs(math.log(rules.mid)), abs(math.log(rules.mid))
    if ev.measure == "SMD":
        mid = rules.mid if rules.mid is not None else 0.2
        return -mid, mid
    return (-rules.mid, rules.mid) if rules.mid is not None else None


def rate_imprecision(ev: OutcomeEvidence, rules: GradeRules) -> tuple[int, str]:
    """−2 when the CI includes both appreciable benefit and appreciable harm, or crosses the
    null with fewer participants than the OIS; −1 when it crosses the null or one MID
    threshold, or the participants fall short of the OIS; 0 otherwise.

    >>> ev = OutcomeEvidence("Depression", "SMD", k=12, participants=1480, estimate=-0.4,
    ...                      ci_lower=-0.55, ci_upper=-0.25, i2=62.0, pi_lower=-0.9,
    ...                      pi_upper=0.1, high_risk_weight=0.6, egger_p=0.04)
    >>> rate_imprecision(ev, GradeRules())[0]
    0
    """
    low, high = ev.ci_lower, ev.ci_upper
    ci = f"CI {format_natural(low, ev.measure)} to {format_natural(high, ev.measure)}"
    crosses_null = low < ev.null < high
    bounds = _mid_bounds(ev, rules)
    ois = optimal_information_size(ev, rules)
    # a lower bound on the participants decides only when it already reaches the OIS
    known = ev.participants is not None and not ev.participants_incomplete
    short = ois is not None and known and ev.participants < ois
    parts = [f"{ci} {'crosses' if crosses_null else 'excludes'} the null"]
    both = one = False
    if bounds is not None:
        both = low < bounds[0] and high > bounds[1]
        one = (low < bounds[0] < high) or (low < bounds[1] < high)
        shown = [format_natural(b, ev.measure) for b in bounds]
        parts.append(
            f"MID thresholds {shown[0]} and {shown[1]}: "
            + ("both inside the CI" if both else "one inside the CI" if one else "outside the CI")
        )
    if ois is not None and ev.participants is not None:
        if ev.participants_incomplete:
            verdict = "reached" if ev.participants >= ois else "not assessable"
            parts.append(
                f"at least {ev.participants} participants (some trials report no sizes) vs "
                f"optimal information size {ois}: {verdict}"
            )
        else:
            parts.append(f"{ev.participants} participants vs optimal information size {ois}")
    text = "; ".join(parts)
    if both or (crosses_null and short):
        return -2, text
    if crosses_null or one or short:
        return -1, text
    return 0, text


def rate_publication_bias(ev: OutcomeEvidence, rules: GradeRules) -> tuple[int, str]:
    """−1 when Egger's test is significant at ``egger_alpha`` with at least ``egger_min_k``
    trials, or when trim-and-fill adds trials and its CI then crosses the null although the
    original CI did not; otherwise 0 (or not assessed).

    >>> ev = OutcomeEvidence("Depression", "SMD", k=12, participants=1480, estimate=-0.4,
    ...                      ci_lower=-0.55, ci_upper=-0.25, i2=62.0, pi_lower=-0.9,
    ...                      pi_upper=0.1, high_risk_weight=0.6, egger_p=0.04)
    >>> rate_publication_bias(ev, GradeRules())
    (-1, "Egger's test p = 0.040 (< 0.1)")
    """
    parts, down = [], 0
    if ev.egger_p is not None:
        if ev.k < rules.egger_min_k:
            parts.append(f"Egger's test not interpretable with {ev.k} < {rules.egger_min_k} trials")
        else:
            significant = ev.egger_p < rules.egger_alpha
            parts.append(
                f"Egger's test p = {ev.egger_p:.3f} ({'<' if significant else '≥'} {rules.egger_alpha})"
            )
            down = -1 if significant else down
    if ev.trimfill_k0 is not None and ev.trimfill_ci is not None:
        lo, hi = ev.trimfill_ci
        changes = (
            ev.trimfill_k0 > 0 and lo < ev.null < hi and not (ev.ci_lower < ev.null < ev.ci_upper)
        )
        parts.append(
            f"trim-and-fill adds {ev.trimfill_k0} trial(s)"
            + ("; the adjusted CI crosses the null" if changes else "")
        )
        down = -1 if changes else down
    if not parts:
        return 0, "not assessed: no small-study-effects analysis was run"
    return down, "; ".join(parts)


_RATERS = {
    "risk of bias": rate_risk_of_bias,
    "inconsistency": rate_inconsistency,
    "imprecision": rate_imprecision,
    "publication bias": rate_publication_bias,
}


def grade(
    evidence: OutcomeEvidence,
    decisions: Iterable[GradeDecision] = (),
    *,
    rules: GradeRules | None = None,
) -> GradeAssessment:
    """Propose a rating for each GRADE domain and apply the reviewer's decisions.

    Indirectness is 0 unless a decision says otherwise. A decision that confirms a proposal
    only adds its footnote; one that differs is marked as overridden. Every downgrade without
    a reviewer footnote gets the rule as its footnote. Rating up (:data:`UPGRADES`, e.g. a
    large effect in observational studies) is only the reviewers' decision, added after the
    five domains; the certainty never goes above High.

    >>> ev = OutcomeEvidence("Depression", "SMD", k=12, participants=1480, estimate=-0.4,
    ...                      ci_lower=-0.55, ci_upper=-0.25, i2=62.0, pi_lower=-0.9,
    ...                      pi_upper=0.1, high_risk_weight=0.6, egger_p=0.04)
    >>> g = grade(ev, [GradeDecision("publication bias", 0, "funnel plot looks symmetric")])
    >>> g.certainty, [(d.domain, d.levels, d.overridden) for d in g.domains if d.proposed]
    ('Low', [('risk of bias', -1, False), ('inconsistency', -1, False), ('publication bias', 0, True)])
    """
    rules = rules or GradeRules()
    by_domain = {}
    for decision in decisions:
        if decision.domain in by_domain:
            raise ValueError(f"two decisions on {decision.domain!r}")
        by_domain[decision.domain] = decision
    ratings = []
    for domain in DOMAINS:
        if domain == "indirectness":
            proposed, rule = 0, "reviewer's judgement (not computed)"
        else:
            proposed, rule = _RATERS[domain](evidence, rules)
        rating = DomainRating(domain, proposed, rule, proposed, rule if proposed else None)
        decision = by_domain.get(domain)
        if decision is not None:
            rating = replace(
                rating,
                levels=decision.levels,
                footnote=decision.footnote.strip(),
                overridden=decision.levels != proposed,
            )
        ratings.append(rating)
    for domain in UPGRADES:  # rating up: only where the reviewers decided it
        decision = by_domain.get(domain)
        if decision is not None:
            rule = "reviewers' judgement (rating up, not computed)"
            ratings.append(
                DomainRating(
                    domain,
                    0,
                    rule,
                    decision.levels,
                    decision.footnote.strip(),
                    decision.levels != 0,
                )
            )
    notes = []
    if evidence.k == 1:
        notes.append("a single trial: inconsistency cannot be assessed")
    start = "High" if evidence.design == "RCT" else "Low"
    return GradeAssessment(evidence, start, tuple(ratings), tuple(notes))


def unmatched_decisions(
    decisions: Iterable[tuple[str | None, GradeDecision]], outcomes: Sequence[str]
) -> tuple[str, ...]:
    """A warning for each decision aimed at an outcome not among the rated ``outcomes`` (a
    decision for every outcome, ``None``, always applies): it is not applied, and GRADE goes on
    without it.

    >>> fewer = GradeDecision("imprecision", -1, "few events")
    >>> unmatched_decisions([("Pain", fewer), (None, fewer), ("Sleep", fewer)], ["Pain"])
    ("GRADE decision for 'Sleep' (imprecision) not applied: no such outcome (rated: 'Pain')",)
    """
    rated = ", ".join(repr(name) for name in outcomes) or "none"
    return tuple(
        f"GRADE decision for {target!r} ({decision.domain}) not applied: no such outcome "
        f"(rated: {rated})"
        for target, decision in decisions
        if target is not None and target not in outcomes
    )


#: The columns of a table GRADE rates per outcome and time point (:class:`GradeInputs`): the
#: outcome it rates (``"Depression, post"``) and each study's overall risk-of-bias judgement.
GRADE_OUTCOME, ROB_OVERALL = "grade_outcome", "rob_overall"


@dataclass(frozen=True)
class GradeInputs:
    """A table as GRADE rates it (``frame``, with :data:`GRADE_OUTCOME` and, once every row's
    study is judged, :data:`ROB_OVERALL`), the studies left out of it (``left_out``: study →
    why), and the rows whose study has no risk-of-bias judgement for their outcome
    (``unjudged``: "study: outcome"; while there is any, ``rob_overall`` is left out, so the
    risk-of-bias domain says it was not assessed rather than count part of the weight).
    :func:`metareview.store.grade_decisions.graded_frame` reads them from a project."""

    frame: pd.DataFrame
    left_out: dict[str, str]
    unjudged: tuple[str, ...]
