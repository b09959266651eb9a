"""A table of risk-of-bias judgements (study × domain + overall), and the robvis format.

:class:`RobTable` is what every tool produces and every figure draws: one row per study, one
judgement per domain, an overall judgement and an optional weight. It reads and writes the
format of the robvis R package (McGuinness & Higgins 2021, Res Synth Methods 12:55–61):
columns ``Study, D1 … Dn, Overall, Weight``, so assessments move to and from R unchanged.
Judgements also come straight from an extraction table (one column per domain and
``rob_overall``), with an optional recoding of numeric codes.

>>> import pandas as pd
>>> t = RobTable.from_frame(pd.DataFrame({"Study": ["A", "B"], "D1": ["Low", "High"],
...                                       "D2": ["Some concerns", "Low"],
...                                       "Overall": ["Some concerns", "High"]}), tool="RoB 2")
>>> t.domains, [j.value for j in t.overall]
(('D1', 'D2'), ['Some concerns', 'High'])
>>> list(t.to_frame().columns)
['Study', 'D1', 'D2', 'Overall', 'Weight']
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from metareview.data.readers import read_raw
from metareview.data.spreadsheet import safe_frame
from metareview.errors import DataError, Problem
from metareview.rob.rob2 import DOMAINS
from metareview.rob.vocabulary import Judgement, parse_judgement

ROBVIS_STUDY, ROBVIS_OVERALL, ROBVIS_WEIGHT = "Study", "Overall", "Weight"


@dataclass(frozen=True)
class RobTable:
    """Risk-of-bias judgements of several studies.

    ``domains`` are the short column labels (``D1`` …), ``domain_names`` the full names shown
    in figure legends; ``judgements[i][j]`` is study ``i``'s judgement in domain ``j``.
    ``weights`` (e.g. the study's weight in the meta-analysis) weight the summary plot.
    """

    tool: str
    domains: tuple[str, ...]
    domain_names: tuple[str, ...]
    studies: tuple[str, ...]
    judgements: tuple[tuple[Judgement, ...], ...]
    overall: tuple[Judgement, ...]
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.domain_names) != len(self.domains):
            raise ValueError("domain_names must name every domain")
        if not (len(self.studies) == len(self.judgements) == len(self.overall)):
            raise ValueError("studies, judgements and overall must have one entry per study")
        if any(len(row) != len(self.domains) for row in self.judgements):
            raise ValueError("every study needs one judgement per domain")
        if self.weights is not None and len(self.weights) != len(self.studies):
            raise ValueError("weights must have one entry per study")

    @property
    def n_studies(self) -> int:
        return len(self.studies)

    def column(self, domain: str) -> tuple[Judgement, ...]:
        """The judgements of one domain (or ``Overall``) over the studies."""
        if domain == ROBVIS_OVERALL:
            return self.overall
        return tuple(row[self.domains.index(domain)] for row in self.judgements)

    def proportions(self, *, weighted: bool = False) -> pd.DataFrame:
        """Share of studies (or of weight) per judgement, one row per domain and ``Overall``.

        >>> t = RobTable("RoB 2", ("D1",), ("Randomization",), ("A", "B"),
        ...              ((Judgement.LOW,), (Judgement.HIGH,)), (Judgement.LOW, Judgement.HIGH),
        ...              (3.0, 1.0))
        >>> float(t.proportions(weighted=True).loc["D1", "Low"])
        0.75
        """
        weights = pd.Series(self.weights if (weighted and self.weights) else [1.0] * self.n_studies)
        rows = {}
        for domain in (*self.domains, ROBVIS_OVERALL):
            values = pd.Series([j.value for j in self.column(domain)])
            share = weights.groupby(values).sum() / weights.sum()
            rows[domain] = share
        frame = pd.DataFrame(rows).T.fillna(0.0)
        order = [j.value for j in Judgement if j.value in frame.columns]
        return frame[order]

    def to_frame(self) -> pd.DataFrame:
        """The robvis layout: ``Study, D1 … Dn, Overall, Weight`` (weight 1 when none given)."""
        data: dict[str, list[Any]] = {ROBVIS_STUDY: list(self.studies)}
        for j, domain in enumerate(self.domains):
            data[domain] = [row[j].value for row in self.judgements]
        data[ROBVIS_OVERALL] = [j.value for j in self.overall]
        data[ROBVIS_WEIGHT] = list(self.weights) if self.weights else [1.0] * self.n_studies
        return pd.DataFrame(data)

    def to_robvis_csv(self, path: str | Path) -> Path:
        """Write the robvis CSV (read it in R with ``read.csv`` and pass it to ``rob_summary``)."""
        path = Path(path)
        safe_frame(self.to_frame()).to_csv(path, index=False)
        return path

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "domains": dict(zip(self.domains, self.domain_names, strict=True)),
            "studies": self.to_frame().to_dict(orient="records"),
        }

    def summary(self) -> str:
        counts = self.proportions().mul(self.n_studies).round().astype(int)
        lines = [f"{self.tool}: {self.n_studies} studies"]
        for domain, name in (
            *zip(self.domains, self.domain_names, strict=True),
            ("Overall", "Overall"),
        ):
            parts = ", ".join(f"{n} {level}" for level, n in counts.loc[domain].items() if n)
            lines.append(f"  {domain:<8} {name}: {parts}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False, escape=True, caption=html.escape(self.tool))

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        tool: str = "Generic",
        domain_names: Sequence[str] | None = None,
        source: str = "<table>",
    ) -> RobTable:
        """Read a robvis-layout frame: first column the study, then the domains, ``Overall``,
        and optionally ``Weight`` last. Column names of the domains are kept as labels."""
        return _from_raw_frame(frame, tool, domain_names, source)

    @classmethod
    def from_robvis(
        cls, path: str | Path, *, tool: str = "Generic", domain_names: Sequence[str] | None = None
    ) -> RobTable:
        """Read a robvis CSV/XLSX file (``Study, D1 … Dn, Overall[, Weight]``)."""
        raw = read_raw(path)
        frame = pd.DataFrame(raw.rows, columns=raw.header, index=raw.row_numbers)
        return _from_raw_frame(frame, tool, domain_names, str(path))

    @classmethod
    def from_columns(
        cls,
        frame: pd.DataFrame,
        *,
        study: str,
        domains: Mapping[str, str],
        overall: str,
        weight: str | None = None,
        recode: Mapping[object, str] | None = None,
        tool: str = "Generic",
        source: str = "<table>",
    ) -> RobTable:
        """Take judgements from named columns of an extraction table.

        ``domains`` maps each domain's full name to its column; ``recode`` translates codes
        used in the table (e.g. ``{1: "Low", 0.5: "Unclear", 0: "High"}``) before parsing.
        Blank cells become ``No information``. Rows are named by their spreadsheet row (the
        frame's index) in errors.
        """
        names = list(domains)
        labels = tuple(f"D{i + 1}" for i in range(len(names)))
        columns = [study, *domains.values(), overall] + ([weight] if weight else [])
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataError(
                [Problem(source, None, c, None, "a column of the table") for c in missing]
            )
        sub = pd.DataFrame({ROBVIS_STUDY: frame[study]})
        for label, column in zip(labels, domains.values(), strict=True):
            sub[label] = frame[column]
        sub[ROBVIS_OVERALL] = frame[overall]
        if weight:
            sub[ROBVIS_WEIGHT] = frame[weight]
        if recode:
            for column in (*labels, ROBVIS_OVERALL):
                sub[column] = sub[column].map(lambda v: _recode(v, recode))
        renamed = {label: col for label, col in zip(labels, domains.values(), strict=True)}
        renamed[ROBVIS_OVERALL] = overall
        return _from_raw_frame(sub, tool, names, source, renamed)


def _recode(value: object, recode: Mapping[object, str]) -> object:
    if value is None or (isinstance(value, float) and value != value):
        return value
    for key in (value, str(value).strip()):
        if key in recode:
            return recode[key]
    try:
        number = float(str(value))
    except ValueError:
        return value
    return recode.get(number, recode.get(int(number), value) if number.is_integer() else value)


def _from_raw_frame(
    frame: pd.DataFrame,
    tool: str,
    domain_names: Sequence[str] | None,
    source: str,
    original: Mapping[str, str] | None = None,
) -> RobTable:
    if isinstance(frame.index, pd.RangeIndex):
        row_numbers = [i + 2 for i in range(len(frame))]
    else:
        row_numbers = list(frame.index)
    header = [str(c).strip() for c in frame.columns]
    if len(header) < 3:
        raise DataError(Problem.of_file(source, "columns Study, D1 … Dn, Overall[, Weight]"))
    has_weight = header[-1].lower() == "weight"
    overall_at = len(header) - 2 if has_weight else len(header) - 1
    domain_labels = tuple(header[1:overall_at])
    names = tuple(domain_names) if domain_names is not None else domain_labels
    if len(names) != len(domain_labels):
        raise DataError(
            Problem(source, None, None, str(len(domain_labels)), f"{len(names)} domain columns")
        )
    problems: list[Problem] = []
    studies, rows, overall, weights = [], [], [], []
    for number, values in zip(row_numbers, frame.itertuples(index=False), strict=True):
        values = list(values)
        study = values[0]
        if study is None or str(study).strip() in ("", "nan"):
            problems.append(Problem(source, number, header[0], None, "a study label"))
            continue
        judged = []
        for column in range(1, overall_at + 1):
            name = (original or {}).get(header[column], header[column])
            try:
                judgement = parse_judgement(values[column])
            except ValueError as err:
                problems.append(
                    Problem(source, number, name, str(values[column]), str(err).split(";")[0])
                )
                judgement = None
            judged.append(judgement or Judgement.NO_INFORMATION)
        studies.append(str(study).strip())
        rows.append(tuple(judged[:-1]))
        overall.append(judged[-1])
        if has_weight:
            weight = _weight(values[-1])
            if weight is None:
                problems.append(
                    Problem(source, number, header[-1], str(values[-1]), "a number ≥ 0")
                )
            weights.append(weight)
    if problems:
        raise DataError(problems[:50], total=len(problems))
    return RobTable(
        tool,
        domain_labels,
        names,
        tuple(studies),
        tuple(rows),
        tuple(overall),
        tuple(weights) if has_weight else None,
    )


def _weight(value: object) -> float | None:
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if number >= 0 and number != float("inf") else None


def judgement_columns(columns: Sequence[str]) -> tuple[list[str], str] | None:
    """The RoB 2 judgement columns of a table: ``rob_d1 … rob_dN`` + ``rob_overall`` (the data
    standard), or ``d1 … dN`` + ``overall`` (``metareview rob`` output); None when absent.

    >>> judgement_columns(["study", "rob_d1", "rob_d2", "rob_d3", "rob_overall"])
    (['rob_d1', 'rob_d2', 'rob_d3'], 'rob_overall')
    >>> judgement_columns(["study", "yi"]) is None
    True
    """
    lower = {str(c).strip().lower(): str(c) for c in columns}
    for prefix in ("rob_", ""):
        domains = []
        for i in range(1, 11):
            for name in (f"{prefix}d{i}", *([f"{prefix}d1b"] if i == 1 else [])):
                if name in lower:
                    domains.append(lower[name])
        if domains and f"{prefix}overall" in lower:
            return domains, lower[f"{prefix}overall"]
    return None


def rob2_judgements_from_table(
    frame: pd.DataFrame, *, source: str = "<table>", weight: str | None = None
) -> RobTable:
    """RoB 2 judgements given per domain in an extraction table (``rob_d1 … rob_d5``,
    ``rob_overall``), one study per label: rows of the same study must agree.

    >>> f = pd.DataFrame({"study": ["A", "A", "B"], "rob_d1": ["Low", "Low", "High"],
    ...                   "rob_overall": ["Low", "Low", "High"]})
    >>> rob2_judgements_from_table(f).studies
    ('A', 'B')
    """
    found = judgement_columns(list(frame.columns))
    study = next((c for c in frame.columns if str(c).strip().lower() == "study"), None)
    if found is None or study is None:
        raise DataError(
            Problem.of_file(
                source, "columns study, rob_d1 … rob_d5 and rob_overall (RoB 2 judgements)"
            )
        )
    domains, overall = found
    if isinstance(frame.index, pd.RangeIndex):
        frame = frame.set_axis(frame.index + 2)
    keep = [study, *domains, overall] + ([weight] if weight else [])
    sub = frame[keep]
    problems: list[Problem] = []
    first_rows = []
    for label, group in sub.groupby(study, sort=False, dropna=False):
        values = group.drop(columns=[weight] if weight else []).astype(str)
        differing = [c for c in values.columns if values[c].nunique() > 1]
        for column in differing:
            rows = ", ".join(str(r) for r in group.index)
            problems.append(
                Problem(
                    source,
                    int(group.index[0]),
                    column,
                    str(label),
                    f"the same judgement on every row of the study (rows {rows})",
                )
            )
        first_rows.append(group.index[0])
    if problems:
        raise DataError(problems[:50], total=len(problems))
    unique = sub.loc[first_rows]
    labels = [
        str(c).strip().lower().removeprefix("rob_").upper().replace("B", "b") for c in domains
    ]
    names = [DOMAINS.get(label, label) for label in labels]
    renamed = unique.rename(
        columns=dict(zip(domains, labels, strict=True)) | {overall: ROBVIS_OVERALL}
    )
    if weight:
        renamed = renamed.rename(columns={weight: ROBVIS_WEIGHT})
    return _from_raw_frame(renamed, "RoB 2", names, source, dict(zip(labels, domains, strict=True)))
