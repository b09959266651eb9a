"""RoB 1 (the original Cochrane tool), modified tools, and the AHRQ good/fair/poor rating.

RoB 1: Higgins JPT, Altman DG, Gøtzsche PC, et al. The Cochrane Collaboration's tool for
assessing risk of bias in randomised trials. BMJ 2011;343:d5928, and the Cochrane Handbook
5.1.0, chapter 8 (Table 8.5.a, the seven domains; Table 8.7.a, the summary across domains:
low risk of bias for all key domains → Low; unclear for one or more key domains → Unclear;
high for one or more key domains → High).

A review may modify the tool (Eiring et al. dropped blinding of participants and added a
power calculation and intention-to-treat analysis): :func:`load_tool` reads such a tool from
TOML, starting from RoB 1 (``base = "rob1"``) with ``remove = [...]`` and added
``[[domain]]`` tables, or listing every domain.

The AHRQ conversion follows the thresholds Cochrane reviews use to convert RoB 1 judgements to
AHRQ standards (good / fair / poor): good — all criteria met (low risk in every domain); fair —
one criterion not met (high risk in one domain) or two criteria unclear, judged unlikely to
have biased the outcome; poor — the same, judged likely to have biased the outcome, or two or
more criteria high or unclear otherwise. The reviewer's "likely biased" judgement decides the
middle case (see docs/risk-of-bias.md for how the wording's overlaps are resolved, and for
the caveat that these thresholds could not be checked against a stored copy of their source).
A review whose protocol words the conversion differently states its own thresholds in the
tool file (``[ahrq]`` with ``fair_max_high`` and ``fair_max_unclear``).

>>> tool = ROB1
>>> a = assess_rob1({d.key: "Low" for d in tool.domains} | {"other_bias": "Unclear"}, tool)
>>> a.overall.value, a.ahrq.rating
('Unclear', 'fair')
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from metareview.errors import DataError, PlanError, Problem
from metareview.rob.table import RobTable
from metareview.rob.vocabulary import Judgement, parse_judgement

LEVELS = (Judgement.LOW, Judgement.UNCLEAR, Judgement.HIGH)


@dataclass(frozen=True)
class Domain:
    """A domain of a RoB 1-style tool: a column key and the name shown in figures."""

    key: str
    name: str


@dataclass(frozen=True)
class AhrqThresholds:
    """Where *fair* ends in the AHRQ conversion: at most ``fair_max_high`` criteria not met
    (with none unclear), or at most ``fair_max_unclear`` unclear (with none high).

    The defaults, 1 and 2, are the thresholds Cochrane reviews print ("one criterion not met
    or two criteria unclear"); a review whose protocol words it differently sets its own.

    >>> AhrqThresholds(fair_max_high=1, fair_max_unclear=1).describe()
    'fair: at most 1 criterion high (none unclear) or at most 1 unclear (none high)'
    """

    fair_max_high: int = 1
    fair_max_unclear: int = 2

    def __post_init__(self) -> None:
        for name in ("fair_max_high", "fair_max_unclear"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise PlanError(f"[ahrq] {name} must be a whole number >= 0; got {value!r}")

    def describe(self) -> str:
        high = "criterion" if self.fair_max_high == 1 else "criteria"
        return (
            f"fair: at most {self.fair_max_high} {high} high (none unclear) "
            f"or at most {self.fair_max_unclear} unclear (none high)"
        )


@dataclass(frozen=True)
class Rob1Tool:
    """A RoB 1-style tool: its domains, which of them are key for the overall judgement, and
    the thresholds of its AHRQ conversion."""

    name: str
    domains: tuple[Domain, ...]
    key_domains: tuple[str, ...] = ()
    ahrq: AhrqThresholds = AhrqThresholds()

    def __post_init__(self) -> None:
        keys = [d.key for d in self.domains]
        if not keys:
            raise PlanError(f"tool {self.name!r} has no domains")
        if len(set(keys)) != len(keys):
            raise PlanError(f"tool {self.name!r} lists a domain key twice: {keys}")
        unknown = [k for k in self.key_domains if k not in keys]
        if unknown:
            raise PlanError(f"key_domains {unknown} are not domains of tool {self.name!r}")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(d.key for d in self.domains)

    @property
    def overall_domains(self) -> tuple[str, ...]:
        """The domains the overall judgement looks at (all, unless key domains are named)."""
        return self.key_domains or self.keys


ROB1 = Rob1Tool(
    "RoB 1",
    (
        Domain("sequence_generation", "Random sequence generation (selection bias)"),
        Domain("allocation_concealment", "Allocation concealment (selection bias)"),
        Domain(
            "blinding_participants", "Blinding of participants and personnel (performance bias)"
        ),
        Domain("blinding_outcome", "Blinding of outcome assessment (detection bias)"),
        Domain("incomplete_outcome", "Incomplete outcome data (attrition bias)"),
        Domain("selective_reporting", "Selective reporting (reporting bias)"),
        Domain("other_bias", "Other bias"),
    ),
)


def load_tool(path: str | Path) -> Rob1Tool:
    """Read a modified tool from TOML.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "eiring.toml"
    >>> _ = p.write_text('name = "Modified"\\nbase = "rob1"\\nremove = ["blinding_participants"]\\n'
    ...                  '[[domain]]\\nkey = "power"\\nname = "Power calculation"\\n')
    >>> [d.key for d in load_tool(p).domains][-2:]
    ['other_bias', 'power']
    """
    path = Path(path)
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(f"{path}: no such tool file") from None
    except tomllib.TOMLDecodeError as err:
        raise PlanError(f"{path}: not valid TOML ({err})") from None
    allowed = {"name", "base", "remove", "domain", "key_domains", "ahrq"}
    extra = sorted(set(spec) - allowed)
    if extra:
        raise PlanError(f"{path}: unknown key(s) {extra}; expected {sorted(allowed)}")
    base = spec.get("base")
    if base not in (None, "rob1"):
        raise PlanError(f"{path}: base must be 'rob1' or absent; got {base!r}")
    domains = list(ROB1.domains) if base == "rob1" else []
    remove = spec.get("remove", [])
    unknown = [k for k in remove if k not in [d.key for d in domains]]
    if unknown:
        raise PlanError(
            f"{path}: remove names unknown domain(s) {unknown}; expected among {list(ROB1.keys)}"
        )
    domains = [d for d in domains if d.key not in remove]
    for i, table in enumerate(spec.get("domain", []), start=1):
        if not isinstance(table, dict) or "key" not in table or "name" not in table:
            raise PlanError(f"{path}: [[domain]] number {i} needs key and name")
        domains.append(Domain(str(table["key"]), str(table["name"])))
    return Rob1Tool(
        str(spec.get("name", path.stem)),
        tuple(domains),
        tuple(spec.get("key_domains", ())),
        _ahrq_thresholds(spec.get("ahrq", {}), path),
    )


def _ahrq_thresholds(table: object, path: Path) -> AhrqThresholds:
    allowed = {"fair_max_high", "fair_max_unclear"}
    if not isinstance(table, dict) or set(table) - allowed:
        raise PlanError(f"{path}: [ahrq] takes only {sorted(allowed)}; got {table!r}")
    try:
        return AhrqThresholds(**table)
    except PlanError as err:
        raise PlanError(f"{path}: {err}") from None


@dataclass(frozen=True)
class AhrqRating:
    """An AHRQ quality rating with the rule that produced it."""

    rating: str  # good | fair | poor
    rule: str


def ahrq_rating(
    judgements: Iterable[Judgement],
    *,
    likely_biased: bool | None = None,
    thresholds: AhrqThresholds = AhrqThresholds(),
) -> AhrqRating:
    """Convert RoB 1 domain judgements to AHRQ good / fair / poor.

    ``likely_biased`` is the reviewer's judgement whether the one unmet criterion (or the two
    unclear ones) was likely to have biased the outcome; when it is not given, the middle case
    is rated fair and the rule says so. ``thresholds`` moves the fair/poor boundary.

    >>> ahrq_rating([Judgement.LOW] * 6 + [Judgement.HIGH]).rating
    'fair'
    >>> ahrq_rating([Judgement.LOW] * 6 + [Judgement.HIGH], likely_biased=True).rating
    'poor'
    >>> ahrq_rating([Judgement.LOW] * 5 + [Judgement.HIGH, Judgement.UNCLEAR]).rating
    'poor'
    >>> ahrq_rating([Judgement.LOW] * 5 + [Judgement.UNCLEAR] * 2,
    ...             thresholds=AhrqThresholds(fair_max_unclear=1)).rule
    "0 high and 2 unclear, beyond the review's thresholds (fair: at most 1 criterion high (none unclear) or at most 1 unclear (none high))"
    """
    levels = [Judgement.UNCLEAR if j == Judgement.NO_INFORMATION else j for j in judgements]
    n_high = levels.count(Judgement.HIGH)
    n_unclear = levels.count(Judgement.UNCLEAR)
    if n_high == 0 and n_unclear == 0:
        return AhrqRating("good", "all criteria met (low risk of bias in every domain)")
    if (n_high <= thresholds.fair_max_high and n_unclear == 0) or (
        n_high == 0 and n_unclear <= thresholds.fair_max_unclear
    ):
        what = (
            f"{n_high} criteri{'a' if n_high > 1 else 'on'} not met"
            if n_high
            else f"{n_unclear} criteri{'a' if n_unclear > 1 else 'on'} unclear"
        )
        if likely_biased:
            return AhrqRating("poor", f"{what}, judged likely to have biased the outcome")
        assumed = "" if likely_biased is False else " (assumed: not judged by the reviewer)"
        return AhrqRating("fair", f"{what}, judged unlikely to have biased the outcome{assumed}")
    if thresholds == AhrqThresholds():
        return AhrqRating(
            "poor", f"{n_high} criteria high and {n_unclear} unclear (two or more not met)"
        )
    beyond = f"beyond the review's thresholds ({thresholds.describe()})"
    return AhrqRating("poor", f"{n_high} high and {n_unclear} unclear, {beyond}")


@dataclass(frozen=True)
class Rob1Assessment:
    """One study under a RoB 1-style tool: domain judgements, overall and AHRQ rating."""

    study: str
    judgements: dict[str, Judgement]
    overall: Judgement
    overall_rule: str
    ahrq: AhrqRating

    def to_dict(self) -> dict[str, Any]:
        return {
            "study": self.study,
            "judgements": {k: v.value for k, v in self.judgements.items()},
            "overall": self.overall.value,
            "overall_rule": self.overall_rule,
            "ahrq": self.ahrq.rating,
            "ahrq_rule": self.ahrq.rule,
        }


def overall_rob1(judgements: Mapping[str, Judgement], tool: Rob1Tool) -> tuple[Judgement, str]:
    """Handbook 5.1 Table 8.7.a: High if any key domain is high, else Unclear if any is
    unclear (or no information), else Low."""
    key = [judgements[k] for k in tool.overall_domains if judgements[k] != Judgement.NOT_APPLICABLE]
    which = "key domains" if tool.key_domains else "domains"
    if Judgement.HIGH in key:
        return Judgement.HIGH, f"high risk in {key.count(Judgement.HIGH)} {which}"
    unclear = sum(j in (Judgement.UNCLEAR, Judgement.NO_INFORMATION) for j in key)
    if unclear:
        return Judgement.UNCLEAR, f"unclear risk in {unclear} {which}, high in none"
    return Judgement.LOW, f"low risk in all {which}"


def assess_rob1(
    judgements: Mapping[str, object],
    tool: Rob1Tool = ROB1,
    *,
    study: str = "",
    likely_biased: bool | None = None,
) -> Rob1Assessment:
    """Assess one study from its domain judgements (Low / Unclear / High; keys of ``tool``)."""
    parsed: dict[str, Judgement] = {}
    for key in tool.keys:
        if key not in judgements:
            raise ValueError(
                f"judgement for domain {key!r} missing; the tool has {', '.join(tool.keys)}"
            )
        try:
            level = parse_judgement(judgements[key])
        except ValueError:
            raise ValueError(
                f"domain {key!r}: Low, Unclear or High; got {judgements[key]!r}"
            ) from None
        if level in (Judgement.SOME_CONCERNS,):
            raise ValueError(
                f"domain {key!r}: RoB 1 judgements are Low, Unclear or High; got {level.value!r}"
            )
        parsed[key] = level or Judgement.NO_INFORMATION
    overall, rule = overall_rob1(parsed, tool)
    return Rob1Assessment(
        study,
        parsed,
        overall,
        rule,
        ahrq_rating(parsed.values(), likely_biased=likely_biased, thresholds=tool.ahrq),
    )


def assess_rob1_table(
    frame: pd.DataFrame,
    tool: Rob1Tool = ROB1,
    *,
    source: str = "<table>",
    weight: str | None = None,
) -> tuple[RobTable, tuple[Rob1Assessment, ...]]:
    """Assess every row of a table with columns ``study`` and one per domain key (or
    ``rob_<key>``), optionally ``ahrq_likely_biased`` (yes/no). Problems name row and column."""
    columns = {str(c).strip().lower(): c for c in frame.columns}
    if isinstance(frame.index, pd.RangeIndex):
        frame = frame.set_axis(frame.index + 2)
    problems: list[Problem] = []
    lookup = {}
    for key in ("study", *tool.keys):
        found = columns.get(key) or columns.get(f"rob_{key}")
        if found is None:
            problems.append(
                Problem(
                    source,
                    None,
                    key,
                    None,
                    f"a column {key!r} (or 'rob_{key}') for tool {tool.name!r}",
                )
            )
        lookup[key] = found
    if problems:
        raise DataError(problems)
    assessments = []
    weights = []
    for row, record in frame.iterrows():
        values = {k: record[lookup[k]] for k in tool.keys}
        try:
            likely = _yes_no(record.get(columns.get("ahrq_likely_biased", ""), None))
            assessments.append(
                assess_rob1(
                    values, tool, study=str(record[lookup["study"]]).strip(), likely_biased=likely
                )
            )
        except ValueError as err:
            column = next((lookup[k] for k in tool.keys if repr(k) in str(err)), None)
            if "ahrq_likely_biased" in str(err):
                column = columns["ahrq_likely_biased"]
            problems.append(Problem(source, int(row), column, None, str(err)))
        if weight:
            weights.append(float(record[weight]))
    if problems:
        raise DataError(problems[:50], total=len(problems))
    table = RobTable(
        tool.name,
        tuple(f"D{i + 1}" for i in range(len(tool.domains))),
        tuple(d.name for d in tool.domains),
        tuple(a.study for a in assessments),
        tuple(tuple(a.judgements[k] for k in tool.keys) for a in assessments),
        tuple(a.overall for a in assessments),
        tuple(weights) if weight else None,
    )
    return table, tuple(assessments)


def _yes_no(value: object) -> bool | None:
    if value is None or (isinstance(value, float) and value != value) or str(value).strip() == "":
        return None
    text = str(value).strip().lower()
    if text in ("yes", "y", "true", "1"):
        return True
    if text in ("no", "n", "false", "0"):
        return False
    raise ValueError(f"ahrq_likely_biased: yes, no or blank; got {value!r}")
