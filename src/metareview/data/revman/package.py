"""Read a RevMan Web / Cochrane Library data package into a :class:`Review`.

A package holds ``analysis-data/<id>-data-rows.csv`` (one row per study in an analysis),
``<id>-overall-estimates-and-settings.csv`` (one row per analysis: its settings and overall
result) and ``<id>-subgroup-estimates.csv``, and ``study-data/<id>-study-information.csv``,
``<id>-risk-of-bias.csv`` and ``<id>-included.ris``. RevMan Web prints its results rounded
to six decimals (dropping trailing zeros: ``0.00101``), so each stored number is compared
within that rounding; an analysis RevMan did not
calculate has a zero-width overall CI (Mean = CI start = CI end) and is read as having no
stored results. See ``docs/revman.md`` for every column.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from metareview.data.revman.archive import read_package_files, read_package_path
from metareview.data.revman.model import (
    Outcome,
    OutcomeSettings,
    Review,
    RobJudgement,
    Skipped,
    StoredValue,
    Study,
    StudyData,
    Subgroup,
)
from metareview.errors import DataError, Problem

DECIMALS = 6  # RevMan Web prints its results rounded to six decimals
FILES = {
    "rows": "-data-rows.csv",
    "overall": "-overall-estimates-and-settings.csv",
    "subgroups": "-subgroup-estimates.csv",
    "studies": "-study-information.csv",
    "rob": "-risk-of-bias.csv",
    "ris": "-included.ris",
}
DATA_TYPE_WORDS = {
    "dichotomous": "dichotomous",
    "continuous": "continuous",
    "generic inverse variance": "generic",
    "o-e and variance": "oe",
    "other data": "other",
}
MEASURE_WORDS = {
    "odds ratio": "OR",
    "risk ratio": "RR",
    "risk difference": "RD",
    "mean difference": "MD",
    "std. mean difference": "SMD",
    "standardized mean difference": "SMD",
    "standardised mean difference": "SMD",
    "peto odds ratio": "PETO_OR",
    "hazard ratio": "HR",
}
METHOD_WORDS = {"mh": "MH", "m-h": "MH", "iv": "IV", "peto": "PETO", "exp[(o-e)/v]": "PETO"}
MODEL_WORDS = {
    "fixed effect": "fixed",
    "fixed": "fixed",
    "random effects": "random",
    "random": "random",
}
ROB_WORDS = {
    "low risk": "Low",
    "high risk": "High",
    "unclear risk": "Unclear",
    "some concerns": "Some concerns",
    "not applicable": "Not applicable",
    "": "No information",
}
VALUES = {
    "dichotomous": {
        "events_1": "Experimental cases",
        "total_1": "Experimental N",
        "events_2": "Control cases",
        "total_2": "Control N",
    },
    "continuous": {
        "mean_1": "Experimental mean",
        "sd_1": "Experimental SD",
        "total_1": "Experimental N",
        "mean_2": "Control mean",
        "sd_2": "Control SD",
        "total_2": "Control N",
    },
    "generic": {
        "estimate": "GIV Mean",
        "se": "GIV SE",
        "total_1": "Experimental N",
        "total_2": "Control N",
    },
    "oe": {"o_e": "O-E", "var": "Variance", "total_1": "Experimental N", "total_2": "Control N"},
}
STUDY_STORED = {"effect": "Mean", "ci_lower": "CI start", "ci_upper": "CI end", "weight": "Weight"}
OVERALL_STORED = {
    "effect": "Mean",
    "ci_lower": "CI start",
    "ci_upper": "CI end",
    "tau2": "Heterogeneity Tau²",
    "chi2": "Heterogeneity Chi²",
    "df": "Heterogeneity df",
    "p_chi2": "Heterogeneity P",
    "i2": "Heterogeneity I²",
    "z": "Effect Z",
    "p_z": "Effect P",
    "q_between": "Subgroup Chi²",
    "df_between": "Subgroup df",
    "p_between": "Subgroup P",
    "i2_between": "Subgroup I²",
}
SUBGROUP_STORED = {
    **{k: v for k, v in OVERALL_STORED.items() if not k.endswith("_between")},
    "weight": "Weight",
}


class Table:
    """A CSV file of the package: rows as dicts, with located errors."""

    def __init__(self, name: str, data: bytes):
        self.name = name
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        try:
            reader = csv.reader(io.StringIO(text, newline=""))
            rows = list(reader)
        except csv.Error as err:
            raise DataError(Problem.of_file(name, f"CSV ({err})")) from None
        self.header = [h.strip() for h in rows[0]] if rows else []
        self.rows = [dict(zip(self.header, row)) for row in rows[1:] if any(c.strip() for c in row)]
        self.numbers = [n for n, row in enumerate(rows[1:], start=2) if any(c.strip() for c in row)]

    def require(self, *columns: str) -> None:
        missing = [c for c in columns if c not in self.header]
        if missing:
            raise DataError(
                Problem(
                    self.name,
                    1,
                    missing[0],
                    None,
                    f"the column {missing[0]!r} (RevMan Web's header)",
                )
            )

    def problem(self, index: int, column: str, value: str, expected: str) -> DataError:
        return DataError(Problem(self.name, self.numbers[index], column, value, expected))

    def text(self, index: int, column: str) -> str:
        return (self.rows[index].get(column) or "").strip()

    def number(self, index: int, column: str) -> float | None:
        text = self.text(index, column).removesuffix("%")
        if not text or text.upper() in ("#N/A", "NA"):
            return None
        try:
            return StoredValue.parse(text).value
        except ValueError:
            raise self.problem(index, column, text, "a number") from None

    def whole(self, index: int, column: str) -> int:
        text = self.text(index, column)
        if not text.isdigit() or len(text) > 6:
            raise self.problem(index, column, text, "a whole number")
        return int(text)

    def stored(self, index: int, names: dict[str, str]) -> dict[str, StoredValue]:
        found = {}
        for key, column in names.items():
            text = self.text(index, column)
            if text:
                try:
                    value = StoredValue.parse(text)
                except ValueError:
                    raise self.problem(index, column, text, "a number") from None
                # RevMan Web rounds to six decimals and drops trailing zeros ("0.00101").
                decimals = None if value.decimals is None else max(value.decimals, DECIMALS)
                found[key] = StoredValue(value.value, decimals)
        return found

    def word(self, index: int, column: str, words: dict[str, str]) -> str:
        text = self.text(index, column)
        if text.lower() not in words:
            raise self.problem(index, column, text, f"one of {', '.join(repr(w) for w in words)}")
        return words[text.lower()]


def read_package(path: str | Path) -> Review:
    """Read the package at ``path`` (a ``.zip`` or a folder)."""
    return review_from_files(read_package_path(path), Path(path).name)


def read_package_bytes(data: bytes, source: str) -> Review:
    """Read a zipped package from memory."""
    return review_from_files(read_package_files(data, source), source)


def review_from_files(files: dict[str, bytes], source: str) -> Review:
    """A :class:`Review` from a package's files (name → bytes)."""
    tables: dict[str, tuple[str, bytes]] = {}
    for name, data in files.items():
        for key, suffix in FILES.items():
            if name.lower().endswith(suffix):
                if key in tables:
                    raise DataError(
                        Problem(source, None, None, name, f"one file ending in {suffix}")
                    )
                tables[key] = (f"{source}: {name.rsplit('/', 1)[-1]}", data)
    for key in ("rows", "overall"):
        if key not in tables:
            raise DataError(
                Problem.of_file(
                    source, f"a file ending in {FILES[key]} (a RevMan Web data package)"
                )
            )

    def table(key: str) -> Table | None:
        return Table(*tables[key]) if key in tables else None

    skipped: list[Skipped] = []
    studies = _studies(table("studies"))
    outcomes = _outcomes(table("overall"), table("rows"), table("subgroups"), studies, skipped)
    return Review(
        source=source,
        format="package",
        title="",
        studies=tuple(studies.values()),
        outcomes=outcomes,
        rob=_rob(table("rob")),
        skipped=tuple(skipped),
        references_ris=tables["ris"][1].decode("utf-8-sig", "replace") if "ris" in tables else "",
    )


def _studies(table: Table | None) -> dict[str, Study]:
    if table is None:
        return {}
    table.require("Study")
    found = {}
    for i in range(len(table.rows)):
        name = table.text(i, "Study")
        characteristics = {
            column.removeprefix("Char: "): table.text(i, column)
            for column in table.header
            if column.startswith("Char: ") and table.text(i, column)
        }
        found[name] = Study(
            name, name, table.text(i, "Year"), table.text(i, "Data source"), characteristics
        )
    return found


def _outcomes(
    overall: Table, rows: Table, subgroups: Table | None, studies, skipped
) -> tuple[Outcome, ...]:
    overall.require(
        "Analysis group",
        "Analysis number",
        "Analysis name",
        "Data type",
        "Statistical method",
        "Effect measure",
        "Analysis model",
    )
    rows.require("Analysis group", "Analysis number", "Study")
    subgroup_numbers: dict[tuple[int, int, str], tuple[int, dict[str, StoredValue], str]] = {}
    if subgroups is not None and subgroups.rows:
        subgroups.require("Analysis group", "Analysis number", "Subgroup", "Subgroup number")
        for i in range(len(subgroups.rows)):
            key = (
                subgroups.whole(i, "Analysis group"),
                subgroups.whole(i, "Analysis number"),
                subgroups.text(i, "Subgroup"),
            )
            where = f"{subgroups.name}, row {subgroups.numbers[i]}"
            subgroup_numbers[key] = (
                subgroups.whole(i, "Subgroup number"),
                subgroups.stored(i, SUBGROUP_STORED),
                where,
            )
    outcomes = []
    for i in range(len(overall.rows)):
        group, number = overall.whole(i, "Analysis group"), overall.whole(i, "Analysis number")
        where = f"{overall.name}, row {overall.numbers[i]}"
        data_type = overall.word(i, "Data type", DATA_TYPE_WORDS)
        what = f"analysis {group}.{number} {overall.text(i, 'Analysis name')!r}"
        if data_type == "other":
            skipped.append(
                Skipped(
                    where, what, "'other data' outcomes hold text, not data metareview can pool"
                )
            )
            continue
        measure_text = overall.text(i, "Effect measure")
        measure = MEASURE_WORDS.get(measure_text.lower())
        if measure is None and data_type != "generic":
            skipped.append(
                Skipped(
                    where, what, f"effect measure {measure_text!r} has no counterpart in metareview"
                )
            )
            continue
        settings = OutcomeSettings(
            data_type=data_type,
            method=overall.word(i, "Statistical method", METHOD_WORDS),
            model=overall.word(i, "Analysis model", MODEL_WORDS),
            measure=measure or measure_text,
            ci_study=_level(overall, i, "Study CI"),
            ci_total=_level(overall, i, "Estimate CI"),
            totals="YES" if _flag(overall, i, "Overall estimates", True) else "SUB",
            subgroup_test=_flag(overall, i, "Test for subgroup differences", True),
            swap_events=_flag(overall, i, "Swap event and non-event", False),
            log_data=_flag(overall, i, "Log-scale data", False),
        )
        stored = overall.stored(i, OVERALL_STORED)
        stored = {} if _zero_width(stored) else stored
        members = [
            j
            for j in range(len(rows.rows))
            if (rows.whole(j, "Analysis group"), rows.whole(j, "Analysis number"))
            == (group, number)
        ]
        by_subgroup: dict[str, list[StudyData]] = {}
        for j in members:
            by_subgroup.setdefault(rows.text(j, "Subgroup"), []).append(
                _study_row(rows, j, data_type, studies)
            )
        has_subgroups = any(name for name in by_subgroup)
        groups = []
        for position, (name, data) in enumerate(by_subgroup.items(), start=1):
            sub_number, sub_stored, sub_where = subgroup_numbers.get(
                (group, number, name), (position, {}, where)
            )
            groups.append(
                Subgroup(
                    sub_number,
                    name or None,
                    tuple(data),
                    {} if _zero_width(sub_stored) else sub_stored,
                    sub_where,
                )
            )
        if not has_subgroups:
            stored = {k: v for k, v in stored.items() if not k.endswith("_between")}
        outcomes.append(
            Outcome(
                comparison=group,
                comparison_name=overall.text(i, "Analysis group name"),
                number=number,
                name=overall.text(i, "Analysis name"),
                settings=settings,
                subgroups=tuple(groups),
                has_subgroups=has_subgroups,
                stored=stored,
                where=where,
                group_labels=(
                    overall.text(i, "Experimental group label"),
                    overall.text(i, "Control group label"),
                ),
            )
        )
    return tuple(outcomes)


def _study_row(rows: Table, j: int, data_type: str, studies: dict[str, Study]) -> StudyData:
    name = rows.text(j, "Study")
    if not name:
        raise rows.problem(j, "Study", "", "a study name")
    study = studies.get(name)
    stored = rows.stored(j, STUDY_STORED)
    return StudyData(
        study=name,
        study_id=name,
        year=rows.text(j, "Study year") or (study.year if study else ""),
        values={key: rows.number(j, column) for key, column in VALUES[data_type].items()},
        stored={} if _zero_width(stored) else stored,
        where=f"{rows.name}, row {rows.numbers[j]}",
    )


def _zero_width(stored: dict[str, StoredValue]) -> bool:
    """RevMan Web writes 0, 0, 0 for an estimate it did not calculate."""
    keys = ("effect", "ci_lower", "ci_upper")
    return (
        any(k not in stored for k in keys) or stored["ci_lower"].value == stored["ci_upper"].value
    )


def _level(table: Table, index: int, column: str) -> float:
    text = table.text(index, column).removesuffix("%").strip()
    if not text:
        return 0.95
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 50 <= value < 100:
        raise table.problem(
            index, column, table.text(index, column), "a confidence level such as 95%"
        )
    return value / 100


def _flag(table: Table, index: int, column: str, default: bool) -> bool:
    text = table.text(index, column).lower()
    if not text:
        return default
    if text not in ("true", "false"):
        raise table.problem(index, column, text, "true or false")
    return text == "true"


def _rob(table: Table | None) -> tuple[RobJudgement, ...]:
    if table is None or not table.rows:
        return ()
    table.require("Study")
    found = []
    prefix = "Domain (judgement): "
    for i in range(len(table.rows)):
        for column in table.header:
            if column.startswith(prefix):
                domain = column.removeprefix(prefix)
                found.append(
                    RobJudgement(
                        study=table.text(i, "Study"),
                        domain=domain,
                        judgement=table.word(i, column, ROB_WORDS),
                        support=table.text(i, f"Domain (support): {domain}"),
                    )
                )
    return tuple(found)
