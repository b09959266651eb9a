"""Read RevMan 5's "analysis data" CSV export (the file R meta's ``read.rm5`` reads).

One row per comparison (``Outcome Number`` 0), outcome (with ``Data Type``), subgroup (with
``df`` but no ``Data Type``) and study, under the columns ``Comparison Number, Outcome
Number, Subgroup Number, Name, Data Type, Statistical Method, Effect Measure, Analysis Model,
Events 1, Mean 1, SD 1, Total 1, Events 2, Mean 2, SD 2, Total 2, Effect Estimate, SE, CI
Start, CI End, Weight, Q, P(Q), I²(Q), Tau², Z, P(Z), Qint, P(Qint), I²(Qint), df, Group
Label 1, Group Label 2, …, Year of study``. RevMan rounds results to eight decimals (dropping
trailing zeros). Dichotomous (``DIC``) and continuous (``CON``) data are read; other data
types are listed as skipped (their inputs are not in this export: use the ``.rm5`` file).

>>> text = ("Comparison Number,Outcome Number,Subgroup Number,Name,Data Type,Statistical Method,"
...         "Effect Measure,Analysis Model,Events 1,Total 1,Events 2,Total 2\\n"
...         "1,0,0,Drug vs placebo,,,,,,,,\\n1,1,0,Death,DIC,MH,RR,Random,3,20,5,21\\n"
...         "1,1,0,Smith,,,,,3,20,5,21\\n")
>>> review = read_csv_export(text.encode(), "x.csv")
>>> o = review.outcomes[0]
>>> o.id, o.settings.model, next(o.studies()).values["total_2"]
('1.1', 'random', 21.0)
"""

from __future__ import annotations

from pathlib import Path

from metareview.data.revman.files import read_bytes
from metareview.data.revman.model import (
    Outcome,
    OutcomeSettings,
    Review,
    Skipped,
    StoredValue,
    StudyData,
    Subgroup,
)
from metareview.data.revman.package import Table

DECIMALS = 8
DATA_TYPES = {"DIC": "dichotomous", "CON": "continuous"}
VALUES = {
    "dichotomous": {
        "events_1": "Events 1",
        "total_1": "Total 1",
        "events_2": "Events 2",
        "total_2": "Total 2",
    },
    "continuous": {
        "mean_1": "Mean 1",
        "sd_1": "SD 1",
        "total_1": "Total 1",
        "mean_2": "Mean 2",
        "sd_2": "SD 2",
        "total_2": "Total 2",
    },
}
STUDY = {
    "effect": "Effect Estimate",
    "ci_lower": "CI Start",
    "ci_upper": "CI End",
    "weight": "Weight",
}
POOLED = {
    **STUDY,
    "chi2": "Q",
    "p_chi2": "P(Q)",
    "i2": "I²(Q)",
    "tau2": "Tau²",
    "z": "Z",
    "p_z": "P(Z)",
    "df": "df",
}
TEST = {"q_between": "Qint", "p_between": "P(Qint)", "i2_between": "I²(Qint)"}
MODELS = {"fixed": "fixed", "random": "random"}
METHODS = {"mh": "MH", "iv": "IV", "peto": "PETO"}


def read_csv_export_file(path: str | Path) -> Review:
    """Read the CSV export at ``path``."""
    return read_csv_export(read_bytes(path), Path(path).name)


def read_csv_export(data: bytes, source: str) -> Review:
    """Read the bytes of a RevMan 5 analysis-data CSV export named ``source``."""
    table = Table(source, data)
    table.require("Comparison Number", "Outcome Number", "Subgroup Number", "Name", "Data Type")
    comparisons: dict[int, str] = {}
    outcomes: list[dict] = []
    skipped: list[Skipped] = []
    for i in range(len(table.rows)):
        comparison, number = table.whole(i, "Comparison Number"), table.whole(i, "Outcome Number")
        subgroup = table.whole(i, "Subgroup Number")
        where = f"{source}, row {table.numbers[i]}"
        if number == 0:
            comparisons[comparison] = table.text(i, "Name")
        elif table.text(i, "Data Type"):
            outcomes.append(_outcome(table, i, comparison, number, where, skipped))
        elif outcomes and (outcomes[-1]["key"] == (comparison, number)):
            current = outcomes[-1]
            if current["settings"] is None:
                continue
            if table.text(i, "df") and subgroup:
                current["subgroups"][subgroup] = [
                    table.text(i, "Name"),
                    [],
                    _stored(table, i, POOLED),
                    where,
                ]
            else:
                entry = current["subgroups"].setdefault(subgroup, [None, [], {}, where])
                entry[1].append(_study(table, i, current["settings"].data_type, where))
        else:
            raise table.problem(
                i, "Outcome Number", str(number), "a study row under its outcome's row"
            )
    built = []
    for item in outcomes:
        if item["settings"] is None:
            continue
        if not any(entry[0] for entry in item["subgroups"].values()):
            # RevMan writes 0 (and P = 1) for the subgroup test of an outcome without subgroups.
            item["stored"] = {k: v for k, v in item["stored"].items() if k not in TEST}
        groups = tuple(
            Subgroup(n, name, tuple(studies), stored, where)
            for n, (name, studies, stored, where) in item["subgroups"].items()
        )
        built.append(
            Outcome(
                comparison=item["key"][0],
                comparison_name=comparisons.get(item["key"][0], ""),
                number=item["key"][1],
                name=item["name"],
                settings=item["settings"],
                subgroups=groups,
                has_subgroups=any(g.name for g in groups),
                stored=item["stored"],
                where=item["where"],
                group_labels=item["labels"],
            )
        )
    return Review(source, "csv", "", (), tuple(built), skipped=tuple(skipped))


def _stored(table: Table, i: int, names: dict[str, str]) -> dict[str, StoredValue]:
    found = table.stored(i, {k: v for k, v in names.items() if v in table.header})
    return {
        k: StoredValue(v.value, max(v.decimals or 0, DECIMALS) if v.decimals is not None else None)
        for k, v in found.items()
    }


def _outcome(table: Table, i: int, comparison: int, number: int, where: str, skipped) -> dict:
    code = table.text(i, "Data Type").upper()
    item = {
        "key": (comparison, number),
        "name": table.text(i, "Name"),
        "where": where,
        "subgroups": {},
        "settings": None,
        "stored": {},
        "labels": (table.text(i, "Group Label 1"), table.text(i, "Group Label 2")),
    }
    if code not in DATA_TYPES:
        reason = (
            f"data type {code!r}: its data are not in RevMan 5's CSV export (read the .rm5 file)"
        )
        skipped.append(Skipped(where, f"outcome {comparison}.{number} {item['name']!r}", reason))
        return item
    item["settings"] = OutcomeSettings(
        data_type=DATA_TYPES[code],
        method=table.word(i, "Statistical Method", METHODS),
        model=table.word(i, "Analysis Model", MODELS),
        measure=table.text(i, "Effect Measure").upper(),
    )
    stored = _stored(table, i, {**POOLED, **TEST})
    item["stored"] = {} if _empty(stored) else stored
    return item


def _empty(stored: dict[str, StoredValue]) -> bool:
    return "effect" not in stored or (
        "ci_lower" in stored
        and stored["ci_lower"].value == stored.get("ci_upper", stored["ci_lower"]).value == 0
    )


def _study(table: Table, i: int, data_type: str, where: str) -> StudyData:
    stored = _stored(table, i, STUDY)
    return StudyData(
        study=table.text(i, "Name"),
        study_id=table.text(i, "Name"),
        year=table.text(i, "Year of study"),
        values={
            key: table.number(i, column)
            for key, column in VALUES[data_type].items()
            if column in table.header
        },
        stored={} if _empty(stored) else stored,
        where=where,
    )
