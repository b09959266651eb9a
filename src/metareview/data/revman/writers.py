"""Write RevMan's formats: RevMan Web's data-package layout (CSV files in a zip) and the
study data of an extraction, so other tools can read metareview's analyses as they read
Cochrane's, and a team can take its extraction to RevMan Web.

:func:`package_files` writes a :class:`Review` in the layout of RevMan Web's export
(``<id>-analysis-data/<id>-data-rows.csv``, ``…-overall-estimates-and-settings.csv``,
``…-subgroup-estimates.csv``, ``<id>-study-data/<id>-study-information.csv``,
``…-risk-of-bias.csv``, ``…-included.ris``); its stored results are printed with six
decimals, as RevMan Web prints them (``metareview.plan.revman_export`` fills them with
metareview's results). Text cells that a spreadsheet would run as a formula (starting with
``= + - @``, a tab or a carriage return, unless a number) get a leading apostrophe.

>>> safe_cell("=HYPERLINK(1)"), safe_cell("-1.5"), safe_cell("Smith")
("'=HYPERLINK(1)", '-1.5', 'Smith')
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from metareview.data.revman.model import Outcome, Review, StoredValue
from metareview.data.revman.package import (
    DATA_TYPE_WORDS,
    MEASURE_WORDS,
    OVERALL_STORED,
    STUDY_STORED,
    SUBGROUP_STORED,
    VALUES,
)

DATA_ROWS_HEADER = (
    "Analysis group",
    "Analysis number",
    "Analysis name",
    "Subgroup",
    "Applicability",
    "Study",
    "Study year",
    "GIV Mean",
    "GIV SE",
    "Experimental mean",
    "Experimental SD",
    "Experimental cases",
    "Experimental N",
    "Control mean",
    "Control SD",
    "Control cases",
    "Control N",
    "O-E",
    "Variance",
    "Weight",
    "Mean",
    "CI start",
    "CI end",
    "Footnotes",
)
OVERALL_HEADER = (
    "Analysis group",
    "Analysis number",
    "Analysis name",
    "Analysis group name",
    "Data type",
    "Log-scale data",
    "Experimental group label",
    "Control group label",
    "Statistical method",
    "Effect measure",
    "Analysis model",
    "Subgroup estimates",
    "Overall estimates",
    "Test for subgroup differences",
    "Swap event and non-event",
    "Study CI",
    "Estimate CI",
    *OVERALL_STORED.values(),
)
SUBGROUP_HEADER = (
    "Analysis group",
    "Analysis number",
    "Subgroup",
    "Subgroup number",
    *SUBGROUP_STORED.values(),
)
METHOD_NAMES = {"MH": "MH", "IV": "IV", "PETO": "Peto"}
MEASURE_NAMES = {code: word.title() for word, code in reversed(MEASURE_WORDS.items())}
MEASURE_NAMES["SMD"] = "Standardized Mean Difference"
DATA_TYPE_NAMES = {code: word.capitalize() for word, code in DATA_TYPE_WORDS.items()}
DATA_TYPE_NAMES["oe"] = "O-E and variance"
RIS_TAGS = {
    "authors": "AU",
    "title": "TI",
    "journal": "JO",
    "year": "PY",
    "volume": "VL",
    "issue": "IS",
    "pages": "SP",
    "doi": "DO",
}


def safe_cell(value: Any) -> str:
    """A CSV cell that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def _csv(header, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as UTF-8 CSV with formula-safe text cells."""
    path = Path(path)
    rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False)
    path.write_bytes(_csv(list(frame.columns), ([_number(v) for v in row] for row in rows)))
    return path


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _stored(stored: dict[str, StoredValue], key: str) -> str:
    if key not in stored:
        return ""
    value = stored[key]
    return (
        f"{value.value:.{value.decimals}f}" if value.decimals is not None else f"{value.value:.6f}"
    )


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _overall_row(outcome: Outcome) -> list[str]:
    s = outcome.settings
    return [
        str(outcome.comparison),
        str(outcome.number),
        outcome.name,
        outcome.comparison_name,
        DATA_TYPE_NAMES[s.data_type],
        _flag(s.log_data),
        *outcome.group_labels,
        METHOD_NAMES[s.method],
        MEASURE_NAMES.get(s.measure, s.measure),
        "Fixed effect" if s.model == "fixed" else "Random effects",
        "true",
        _flag(s.totals == "YES"),
        _flag(s.subgroup_test),
        _flag(s.swap_events),
        f"{100 * s.ci_study:g}%",
        f"{100 * s.ci_total:g}%",
        *(_stored(outcome.stored, key) for key in OVERALL_STORED),
    ]


def _data_rows(outcome: Outcome) -> list[list[str]]:
    names = VALUES[outcome.settings.data_type]
    rows = []
    for subgroup in outcome.subgroups:
        for study in subgroup.studies:
            cells = {column: _number(study.values.get(key)) for key, column in names.items()}
            cells.update(
                {column: _stored(study.stored, key) for key, column in STUDY_STORED.items()}
            )
            cells.update(
                {
                    "Analysis group": str(outcome.comparison),
                    "Analysis number": str(outcome.number),
                    "Analysis name": outcome.name,
                    "Subgroup": subgroup.name or "",
                    "Applicability": "SUBGROUP_AND_OVERALL",
                    "Study": study.study,
                    "Study year": study.year,
                }
            )
            rows.append([cells.get(column, "") for column in DATA_ROWS_HEADER])
    return rows


def _subgroup_rows(outcome: Outcome) -> list[list[str]]:
    return [
        [
            str(outcome.comparison),
            str(outcome.number),
            subgroup.name,
            str(subgroup.number),
            *(_stored(subgroup.stored, key) for key in SUBGROUP_STORED),
        ]
        for subgroup in outcome.subgroups
        if subgroup.name is not None
    ]


def study_information(review: Review) -> tuple[list[str], list[list[str]]]:
    """RevMan Web's study-information table: Study, Year, Data source, Char: …."""
    labels = list(dict.fromkeys(k for s in review.studies for k in s.characteristics))
    header = ["Study", "Year", "Data source", *(f"Char: {label}" for label in labels)]
    rows = [
        [s.name, s.year, s.data_source, *(s.characteristics.get(label, "") for label in labels)]
        for s in review.studies
    ]
    return header, rows


def write_studies(review: Review, path: str | Path) -> Path:
    """Write the study-information table to ``path``."""
    path = Path(path)
    path.write_bytes(_csv(*study_information(review)))
    return path


def references_ris(review: Review) -> str:
    """The review's references as RIS (``NS`` names the study, as RevMan Web writes it)."""
    if review.references_ris:
        return review.references_ris
    blocks = []
    for reference in review.references:
        lines = ["TY  - JOUR", f"NS  - {reference.study}"]
        lines += [
            f"{RIS_TAGS[key]}  - {value}"
            for key, value in reference.fields.items()
            if key in RIS_TAGS
        ]
        blocks.append("\n".join([*lines, "ER  - "]))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def write_references(review: Review, path: str | Path) -> int:
    """Write the references as RIS to ``path`` (when there are any); how many were written."""
    text = references_ris(review)
    if text.strip():
        Path(path).write_text(text, encoding="utf-8")
    return text.count("ER  -")


def study_data_csv(review: Review) -> bytes:
    """RevMan Web's study data (the data-rows layout) without results: what a team imports
    into RevMan Web to fill its analyses."""
    rows = []
    for outcome in review.outcomes:
        for row in _data_rows(outcome):
            rows.append(
                [
                    "" if column in STUDY_STORED.values() else cell
                    for column, cell in zip(DATA_ROWS_HEADER, row)
                ]
            )
    return _csv(DATA_ROWS_HEADER, rows)


def package_files(review: Review, package_id: str = "metareview") -> dict[str, bytes]:
    """The files of a data package in RevMan Web's export layout (name → bytes)."""
    analysis, study = f"{package_id}-analysis-data", f"{package_id}-study-data"
    rob_domains = list(dict.fromkeys(j.domain for j in review.rob))
    rob_studies = list(dict.fromkeys(j.study for j in review.rob))
    rob = {(j.study, j.domain): j for j in review.rob}
    rob_header = [
        "Study",
        *(f"Domain ({kind}): {d}" for d in rob_domains for kind in ("judgement", "support")),
    ]
    rob_rows = [
        [s, *(x for d in rob_domains for x in _rob_cells(rob.get((s, d))))] for s in rob_studies
    ]
    return {
        f"{analysis}/{package_id}-data-rows.csv": _csv(
            DATA_ROWS_HEADER, [r for o in review.outcomes for r in _data_rows(o)]
        ),
        f"{analysis}/{package_id}-overall-estimates-and-settings.csv": _csv(
            OVERALL_HEADER, [_overall_row(o) for o in review.outcomes]
        ),
        f"{analysis}/{package_id}-subgroup-estimates.csv": _csv(
            SUBGROUP_HEADER, [r for o in review.outcomes for r in _subgroup_rows(o)]
        ),
        f"{study}/{package_id}-study-information.csv": _csv(*study_information(review)),
        f"{study}/{package_id}-risk-of-bias.csv": _csv(rob_header, rob_rows),
        f"{study}/{package_id}-included.ris": ("\ufeff" + references_ris(review)).encode("utf-8"),
    }


def _rob_cells(judgement) -> tuple[str, str]:
    if judgement is None:
        return "", ""
    words = {"Low": "Low risk", "High": "High risk", "Unclear": "Unclear risk"}
    return words.get(judgement.judgement, judgement.judgement), judgement.support


def write_package(review: Review, path: str | Path, package_id: str = "metareview") -> Path:
    """Write :func:`package_files` as a zip at ``path``."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in package_files(review, package_id).items():
            archive.writestr(name, data)
    return path
