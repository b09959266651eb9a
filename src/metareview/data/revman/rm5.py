"""Read a RevMan 5 review file (``.rm5``: XML, ISO-8859-1 or UTF-8) into a :class:`Review`.

The element and attribute names are those of the RevMan 5 file format: studies under
``STUDIES_AND_REFERENCES/STUDIES/INCLUDED_STUDIES``, analyses under ``ANALYSES_AND_DATA`` as
``COMPARISON`` → ``DICH_OUTCOME``/``CONT_OUTCOME``/``IV_OUTCOME``/``IPD_OUTCOME`` (O − E and
variance)/``OTHER_OUTCOME`` → ``*_SUBGROUP`` → ``*_DATA``, risk of bias in ``QUALITY_ITEMS``
and study characteristics in ``CHARACTERISTICS_OF_INCLUDED_STUDIES``. RevMan's own results
(``CALCULATED_DATA="YES"``) are the attributes ``EFFECT_SIZE CI_START CI_END WEIGHT CHI2 DF
P_CHI2 I2 TAU2 Z P_Z`` (and ``Q P_Q I2_Q`` for the test for subgroup differences); RevMan 5
writes them unrounded. See ``docs/revman.md`` for the whole mapping.

>>> review = read_rm5(b'''<COCHRANE_REVIEW><ANALYSES_AND_DATA><COMPARISON NO="1">
... <NAME>C</NAME><DICH_OUTCOME NO="1" METHOD="MH" RANDOM="NO" EFFECT_MEASURE="RR">
... <NAME>Death</NAME><DICH_DATA STUDY_ID="S1" EVENTS_1="3" TOTAL_1="20" EVENTS_2="5"
... TOTAL_2="21"/></DICH_OUTCOME></COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>''', "x.rm5")
>>> outcome = review.outcomes[0]
>>> outcome.id, outcome.settings.method, outcome.settings.measure, outcome.calculated
('1.1', 'MH', 'RR', False)
>>> next(outcome.studies()).values["events_2"]
5.0
"""

from __future__ import annotations

from pathlib import Path

from metareview.data.revman.files import read_bytes
from metareview.data.revman.model import (
    MEASURES,
    METHODS,
    Outcome,
    OutcomeSettings,
    Reference,
    Review,
    RobJudgement,
    Skipped,
    StoredValue,
    Study,
    StudyData,
    Subgroup,
)
from metareview.data.revman.xml_tree import MAX_BYTES, Element, parse_xml
from metareview.errors import DataError, Problem

# Element prefix → data type and the attributes holding its input values.
DATA_TYPES = {
    "DICH": (
        "dichotomous",
        {
            "events_1": "EVENTS_1",
            "total_1": "TOTAL_1",
            "events_2": "EVENTS_2",
            "total_2": "TOTAL_2",
        },
    ),
    "CONT": (
        "continuous",
        {
            "mean_1": "MEAN_1",
            "sd_1": "SD_1",
            "total_1": "TOTAL_1",
            "mean_2": "MEAN_2",
            "sd_2": "SD_2",
            "total_2": "TOTAL_2",
        },
    ),
    "IV": (
        "generic",
        {"estimate": "ESTIMATE", "se": "SE", "total_1": "TOTAL_1", "total_2": "TOTAL_2"},
    ),
    "IPD": ("oe", {"o_e": "O_E", "var": "VAR", "total_1": "TOTAL_1", "total_2": "TOTAL_2"}),
    "OTHER": ("other", {}),
}
STUDY_STORED = {
    "effect": "EFFECT_SIZE",
    "ci_lower": "CI_START",
    "ci_upper": "CI_END",
    "weight": "WEIGHT",
}
POOLED_STORED = {
    **STUDY_STORED,
    "chi2": "CHI2",
    "df": "DF",
    "p_chi2": "P_CHI2",
    "i2": "I2",
    "tau2": "TAU2",
    "z": "Z",
    "p_z": "P_Z",
}
SUBGROUP_TEST_STORED = {"q_between": "Q", "p_between": "P_Q", "i2_between": "I2_Q"}
CHARACTERISTICS = {
    "CHAR_METHODS": "Methods",
    "CHAR_PARTICIPANTS": "Participants",
    "CHAR_INTERVENTIONS": "Interventions",
    "CHAR_OUTCOMES": "Outcomes",
    "CHAR_NOTES": "Notes",
}
# RevMan 5's risk-of-bias answers (RevMan 5.0: YES/NO/UNKNOWN to "adequate …?" questions).
ROB_RESULTS = {
    "YES": "Low",
    "LOW_RISK": "Low",
    "NO": "High",
    "HIGH_RISK": "High",
    "UNKNOWN": "Unclear",
    "UNKNOWN_RISK": "Unclear",
}
REFERENCE_FIELDS = {
    "AU": "authors",
    "TI": "title",
    "SO": "journal",
    "YR": "year",
    "VL": "volume",
    "NO": "issue",
    "PG": "pages",
}


def read_rm5_file(path: str | Path, max_bytes: int = MAX_BYTES) -> Review:
    """Read the RevMan 5 file at ``path`` (at most ``max_bytes``)."""
    return read_rm5(read_bytes(path, max_bytes), Path(path).name)


def read_rm5(data: bytes, source: str) -> Review:
    """Read the bytes of a RevMan 5 file named ``source``."""
    root = parse_xml(data, source)
    if root.tag != "COCHRANE_REVIEW":
        raise DataError(Problem(source, root.line, None, root.tag, "a COCHRANE_REVIEW document"))
    reader = _Reader(source)
    studies = reader.studies(root)
    outcomes = reader.analyses(root, {s.id: s for s in studies})
    cover = root.find("COVER_SHEET")
    return Review(
        source=source,
        format="rm5",
        title=cover.text_of("TITLE") if cover is not None else "",
        studies=studies,
        outcomes=outcomes,
        rob=reader.risk_of_bias(root, {s.id: s.name for s in studies}),
        references=reader.references(root),
        skipped=tuple(reader.skipped),
    )


class _Reader:
    def __init__(self, source: str):
        self.source = source
        self.skipped: list[Skipped] = []

    def where(self, element: Element) -> str:
        return f"{self.source}, line {element.line}, {element.tag}"

    def error(self, element: Element, attribute: str, value: str, expected: str) -> DataError:
        return DataError(
            Problem(self.source, element.line, f"{element.tag}/@{attribute}", value, expected)
        )

    def number(self, element: Element, attribute: str) -> float | None:
        text = element.attrib.get(attribute, "").strip()
        if not text:
            return None
        try:
            return StoredValue.parse(text, rounded=False).value
        except ValueError:
            raise self.error(element, attribute, text, "a number") from None

    def stored(self, element: Element, names: dict[str, str]) -> dict[str, StoredValue]:
        if element.attrib.get("ESTIMABLE", "YES").upper() == "NO":
            return {}
        found = {}
        for key, attribute in names.items():
            value = self.number(element, attribute)
            if value is not None:
                found[key] = StoredValue(value)
        return found

    def choice(
        self, element: Element, attribute: str, allowed: tuple[str, ...], default: str
    ) -> str:
        value = element.attrib.get(attribute, "").strip().upper() or default
        if value not in allowed:
            raise self.error(element, attribute, value, f"one of {', '.join(allowed)}")
        return value

    def studies(self, root: Element) -> tuple[Study, ...]:
        characteristics: dict[str, dict[str, str]] = {}
        for entry in root.iter("INCLUDED_CHAR"):
            texts = {label: entry.text_of(tag) for tag, label in CHARACTERISTICS.items()}
            characteristics[entry.attrib.get("STUDY_ID", "")] = {
                k: v for k, v in texts.items() if v
            }
        found = []
        for included in root.iter("INCLUDED_STUDIES"):
            for study in included.findall("STUDY"):
                study_id = study.attrib.get("ID", "").strip()
                if not study_id:
                    raise self.error(study, "ID", "", "a study identifier")
                found.append(
                    Study(
                        id=study_id,
                        name=study.attrib.get("NAME", "").strip() or study_id,
                        year=study.attrib.get("YEAR", "").strip(),
                        data_source=study.attrib.get("DATA_SOURCE", "").strip(),
                        characteristics=characteristics.get(study_id, {}),
                    )
                )
        return tuple(found)

    def analyses(self, root: Element, studies: dict[str, Study]) -> tuple[Outcome, ...]:
        analyses = root.find("ANALYSES_AND_DATA")
        if analyses is None:
            return ()
        outcomes = []
        for comparison in analyses.children:
            if comparison.tag != "COMPARISON":
                self.skipped.append(
                    Skipped(self.where(comparison), comparison.tag, "not a comparison")
                )
                continue
            number = self.index(comparison, len(outcomes) + 1)
            name = comparison.text_of("NAME")
            for child in comparison.children:
                prefix = child.tag.removesuffix("_OUTCOME")
                if child.tag == "NAME":
                    continue
                if not child.tag.endswith("_OUTCOME") or prefix not in DATA_TYPES:
                    self.skipped.append(
                        Skipped(
                            self.where(child),
                            child.tag,
                            "an element metareview does not know (not an outcome of a known data type)",
                        )
                    )
                    continue
                outcome = self.outcome(child, prefix, number, name, studies)
                if outcome is not None:
                    outcomes.append(outcome)
        return tuple(outcomes)

    def index(self, element: Element, default: int) -> int:
        text = element.attrib.get("NO", "").strip()
        if not text:
            return default
        if not text.isdigit() or len(text) > 6:
            raise self.error(element, "NO", text, "a positive whole number")
        return int(text)

    def outcome(self, element, prefix, comparison, comparison_name, studies) -> Outcome | None:
        data_type, _ = DATA_TYPES[prefix]
        name = element.text_of("NAME")
        what = f"outcome {comparison}.{element.attrib.get('NO', '?')} {name!r}"
        if data_type == "other":
            self.skipped.append(
                Skipped(
                    self.where(element),
                    what,
                    "'other data' outcomes hold text, not data metareview can pool",
                )
            )
            return None
        settings = self.settings(element, data_type)
        if settings.measure not in MEASURES and data_type != "generic":
            self.skipped.append(
                Skipped(
                    self.where(element),
                    what,
                    f"effect measure {settings.measure!r} has no counterpart in metareview",
                )
            )
            return None
        number = self.index(element, 1)
        subgroup_tag, data_tag = f"{prefix}_SUBGROUP", f"{prefix}_DATA"
        subgroups: list[Subgroup] = []
        direct = [c for c in element.children if c.tag == data_tag]
        if direct:
            subgroups.append(Subgroup(1, None, self.data(direct, studies), {}, self.where(element)))
        for child in element.children:
            if child.tag == subgroup_tag:
                subgroups.append(
                    Subgroup(
                        self.index(child, len(subgroups) + 1),
                        child.text_of("NAME"),
                        self.data(child.findall(data_tag), studies),
                        self.stored(child, POOLED_STORED),
                        self.where(child),
                    )
                )
            elif child.tag not in (
                data_tag,
                "NAME",
                "GROUP_LABEL_1",
                "GROUP_LABEL_2",
                "GRAPH_LABEL_1",
                "GRAPH_LABEL_2",
                "FOOTNOTES",
                "FEEDBACK",
            ):
                self.skipped.append(
                    Skipped(
                        self.where(child),
                        f"{what}: {child.tag}",
                        "an element metareview does not know",
                    )
                )
        has_subgroups = any(s.name is not None for s in subgroups)
        stored = self.stored(element, POOLED_STORED)
        if has_subgroups:
            stored.update(self.stored(element, SUBGROUP_TEST_STORED))
        return Outcome(
            comparison=comparison,
            comparison_name=comparison_name,
            number=number,
            name=name,
            settings=settings,
            subgroups=tuple(subgroups),
            has_subgroups=has_subgroups,
            stored=stored,
            where=self.where(element),
            group_labels=(element.text_of("GROUP_LABEL_1"), element.text_of("GROUP_LABEL_2")),
            graph_labels=(element.text_of("GRAPH_LABEL_1"), element.text_of("GRAPH_LABEL_2")),
        )

    def settings(self, element: Element, data_type: str) -> OutcomeSettings:
        defaults = {
            "dichotomous": ("MH", "OR"),
            "continuous": ("IV", "MD"),
            "generic": ("IV", "MD"),
            "oe": ("PETO", "PETO_OR"),
        }
        method_default, measure_default = defaults[data_type]
        yes_no = ("YES", "NO")
        return OutcomeSettings(
            data_type=data_type,
            method=self.choice(element, "METHOD", METHODS, method_default),
            model="random" if self.choice(element, "RANDOM", yes_no, "NO") == "YES" else "fixed",
            measure=element.attrib.get("EFFECT_MEASURE", "").strip().upper() or measure_default,
            ci_study=self.level(element, "CI_STUDY"),
            ci_total=self.level(element, "CI_TOTAL"),
            totals=self.choice(element, "TOTALS", ("YES", "SUB", "NO"), "YES"),
            subgroup_test=self.choice(element, "SUBGROUP_TEST", yes_no, "YES") == "YES",
            swap_events=self.choice(element, "SWAP_EVENTS", yes_no, "NO") == "YES",
            log_data=self.choice(element, "LOG_DATA", yes_no, "NO") == "YES",
        )

    def level(self, element: Element, attribute: str) -> float:
        value = self.number(element, attribute)
        if value is None:
            return 0.95
        if not 50 <= value < 100:
            raise self.error(
                element, attribute, str(value), "a confidence level in percent (50 to 99.99)"
            )
        return value / 100

    def data(self, elements: list[Element], studies: dict[str, Study]) -> tuple[StudyData, ...]:
        rows = []
        for element in elements:
            _, names = DATA_TYPES[element.tag.removesuffix("_DATA")]
            study_id = element.attrib.get("STUDY_ID", "").strip()
            if not study_id:
                raise self.error(element, "STUDY_ID", "", "the identifier of an included study")
            study = studies.get(study_id)
            order = element.attrib.get("ORDER", "").strip()
            rows.append(
                StudyData(
                    study=study.name if study else study_id,
                    study_id=study_id,
                    year=study.year if study else "",
                    values={
                        key: self.number(element, attribute) for key, attribute in names.items()
                    },
                    stored=self.stored(element, STUDY_STORED),
                    where=self.where(element),
                    order=int(order) if order.isdigit() and len(order) < 10 else None,
                )
            )
        return tuple(rows)

    def risk_of_bias(self, root: Element, names: dict[str, str]) -> tuple[RobJudgement, ...]:
        found = []
        for item in root.iter("QUALITY_ITEM"):
            domain = item.text_of("NAME") or item.attrib.get("ID", "")
            data = item.find("QUALITY_ITEM_DATA")
            for entry in data.findall("QUALITY_ITEM_DATA_ENTRY") if data is not None else []:
                result = entry.attrib.get("RESULT", "").strip().upper()
                if result not in ROB_RESULTS:
                    raise self.error(entry, "RESULT", result, f"one of {', '.join(ROB_RESULTS)}")
                group = entry.attrib.get("GROUP_ID", "").strip()
                study_id = entry.attrib.get("STUDY_ID", "").strip()
                found.append(
                    RobJudgement(
                        study=names.get(study_id, study_id),
                        domain=f"{domain} ({group})" if group else domain,
                        judgement=ROB_RESULTS[result],
                        support=entry.text_of("DESCRIPTION"),
                    )
                )
        return tuple(found)

    def references(self, root: Element) -> tuple[Reference, ...]:
        found = []
        for included in root.iter("INCLUDED_STUDIES"):
            for study in included.findall("STUDY"):
                label = study.attrib.get("NAME", "") or study.attrib.get("ID", "")
                for reference in study.findall("REFERENCE"):
                    fields = {
                        name: reference.text_of(tag)
                        for tag, name in REFERENCE_FIELDS.items()
                        if reference.text_of(tag)
                    }
                    for identifier in reference.iter("IDENTIFIER"):
                        kind = identifier.attrib.get("TYPE", "").strip().lower()
                        if kind and identifier.attrib.get("VALUE", "").strip():
                            fields[kind] = identifier.attrib["VALUE"].strip()
                    found.append(Reference(label, reference.attrib.get("TYPE", ""), fields))
        return tuple(found)
