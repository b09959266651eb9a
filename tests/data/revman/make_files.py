"""Build the hand-made RevMan 5 files in this folder (run from the repository root:
``python tests/data/revman/make_files.py``).

Each file covers branches the real example (``../shared/data/revman/Fleiss1993.rm5``) lacks:
random effects, subgroups, generic inverse variance, Peto, RD, SMD, O − E, swap events, CI
levels other than 95%, zero cells and double-zero studies, subtotals only, "other data", and
non-ASCII study names in both encodings. The study data are invented. The stored results
(``EFFECT_SIZE`` … ``P_Z``, ``Q P_Q I2_Q``) are metareview's own under the ``revman5`` preset
(``metareview.plan.revman_export.review_with_results``), written unrounded as RevMan 5 writes
them: the files test the readers, the mapping to plans and tables and that ``check-revman``
finds every number, not RevMan itself (``Fleiss1993.rm5`` does that). Every file says so in
an XML comment.
"""

from __future__ import annotations

import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "src"))

from metareview.data.revman.rm5 import read_rm5  # noqa: E402
from metareview.plan.revman_export import review_with_results  # noqa: E402

HERE = Path(__file__).parent
STUDIES = [
    ("STD-A", "Ødegaard 2001", "2001"),
    ("STD-B", "Brown 2003", "2003"),
    ("STD-C", "Çelik 2005", "2005"),
    ("STD-D", "Davis 2008", "2008"),
    ("STD-E", "Evans 2010", "2010"),
    ("STD-F", "Fischer 2012", "2012"),
]


def dich(e1, n1, e2, n2):
    return {"EVENTS_1": e1, "TOTAL_1": n1, "EVENTS_2": e2, "TOTAL_2": n2}


def cont(m1, s1, n1, m2, s2, n2):
    return {"MEAN_1": m1, "SD_1": s1, "TOTAL_1": n1, "MEAN_2": m2, "SD_2": s2, "TOTAL_2": n2}


def giv(estimate, se):
    return {"ESTIMATE": estimate, "SE": se}


def oe(o_e, var):
    return {"O_E": o_e, "VAR": var}


D = [dich(12, 100, 20, 98), dich(5, 60, 9, 61), dich(30, 210, 41, 205), dich(0, 40, 3, 42),
     dich(8, 75, 7, 80), dich(0, 30, 0, 31)]  # fmt: skip
C = [cont(10.2, 4.1, 40, 12.5, 4.4, 42), cont(9.8, 3.9, 25, 10.1, 4.0, 24),
     cont(11.0, 5.2, 60, 13.9, 5.0, 58), cont(8.7, 3.1, 18, 11.2, 3.5, 20),
     cont(10.5, 4.8, 33, 10.9, 4.6, 35)]  # fmt: skip

DICHOTOMOUS = [
    dict(prefix="DICH", no=1, name="Death (M-H, random, RR, subgroups)", METHOD="MH", RANDOM="YES",
         EFFECT_MEASURE="RR", subgroups=[("Adults", [("STD-A", D[0]), ("STD-B", D[1]), ("STD-C", D[2])]),
                                         ("Children", [("STD-D", D[3]), ("STD-E", D[4])])]),
    dict(prefix="DICH", no=2, name="Relapse (M-H, fixed, RD, double zero)", METHOD="MH", RANDOM="NO",
         EFFECT_MEASURE="RD", data=[("STD-A", D[0]), ("STD-B", D[1]), ("STD-D", D[3]), ("STD-F", D[5])]),
    dict(prefix="DICH", no=3, name="Stroke (Peto OR, zero cell)", METHOD="PETO", RANDOM="NO",
         EFFECT_MEASURE="PETO_OR", data=[("STD-A", D[0]), ("STD-C", D[2]), ("STD-D", D[3]), ("STD-E", D[4])]),
    dict(prefix="DICH", no=4, name="Response (IV, random, OR, swap events, 90%/99% CI)", METHOD="IV",
         RANDOM="YES", EFFECT_MEASURE="OR", SWAP_EVENTS="YES", CI_STUDY="90", CI_TOTAL="99",
         data=[("STD-A", D[0]), ("STD-B", D[1]), ("STD-C", D[2]), ("STD-E", D[4])]),
    dict(prefix="DICH", no=5, name="Death (M-H, fixed, OR, double zero)", METHOD="MH", RANDOM="NO",
         EFFECT_MEASURE="OR", data=[("STD-A", D[0]), ("STD-C", D[2]), ("STD-D", D[3]), ("STD-F", D[5])]),
    dict(prefix="DICH", no=6, name="Admission (M-H, random, OR, subtotals only)", METHOD="MH", RANDOM="YES",
         EFFECT_MEASURE="OR", TOTALS="SUB", subgroups=[("Early", [("STD-A", D[0]), ("STD-B", D[1])]),
                                                       ("Late", [("STD-C", D[2]), ("STD-E", D[4])])]),
    dict(prefix="DICH", no=7, name="Any harm (IV, fixed, RR)", METHOD="IV", RANDOM="NO",
         EFFECT_MEASURE="RR", data=[("STD-B", D[1]), ("STD-C", D[2]), ("STD-E", D[4])]),
]  # fmt: skip
CONTINUOUS = [
    dict(prefix="CONT", no=1, name="Pain (MD, random, subgroups)", METHOD="IV", RANDOM="YES",
         EFFECT_MEASURE="MD", subgroups=[("Short", [("STD-A", C[0]), ("STD-B", C[1]), ("STD-C", C[2])]),
                                         ("Long", [("STD-D", C[3]), ("STD-E", C[4])])]),
    dict(prefix="CONT", no=2, name="Function (SMD, fixed)", METHOD="IV", RANDOM="NO",
         EFFECT_MEASURE="SMD", data=[("STD-A", C[0]), ("STD-B", C[1]), ("STD-C", C[2]), ("STD-D", C[3])]),
    dict(prefix="CONT", no=3, name="Mood (SMD, random, subgroups)", METHOD="IV", RANDOM="YES",
         EFFECT_MEASURE="SMD", subgroups=[("Self-report", [("STD-A", C[0]), ("STD-C", C[2])]),
                                          ("Clinician", [("STD-B", C[1]), ("STD-D", C[3]), ("STD-E", C[4])])]),
    dict(prefix="CONT", no=4, name="Sleep (MD, fixed)", METHOD="IV", RANDOM="NO", EFFECT_MEASURE="MD",
         data=[("STD-B", C[1]), ("STD-E", C[4])]),
]  # fmt: skip
GENERIC = [
    dict(prefix="IV", no=1, name="Survival (generic IV, HR, random)", METHOD="IV", RANDOM="YES",
         EFFECT_MEASURE="HR", LOG_DATA="YES",
         data=[("STD-A", giv(-0.22, 0.11)), ("STD-B", giv(-0.41, 0.19)), ("STD-C", giv(0.05, 0.14)),
               ("STD-D", giv(-0.30, 0.25))]),
    dict(prefix="IV", no=2, name="Costs (generic IV, MD, fixed, subgroups)", METHOD="IV", RANDOM="NO",
         EFFECT_MEASURE="MD", LOG_DATA="NO",
         subgroups=[("Europe", [("STD-A", giv(-120.0, 55.0)), ("STD-B", giv(-80.0, 61.0))]),
                    ("America", [("STD-C", giv(30.0, 70.0)), ("STD-D", giv(-10.0, 48.0))])]),
    dict(prefix="IPD", no=3, name="Time to relapse (O-E, Peto, fixed)", METHOD="PETO", RANDOM="NO",
         EFFECT_MEASURE="PETO_OR", data=[("STD-A", oe(-4.2, 10.5)), ("STD-B", oe(-1.1, 6.2)),
                                         ("STD-E", oe(0.8, 4.9))]),
    dict(prefix="IPD", no=4, name="Time to death (O-E, random, HR)", METHOD="PETO", RANDOM="YES",
         EFFECT_MEASURE="HR", data=[("STD-C", oe(-6.0, 12.1)), ("STD-D", oe(2.5, 8.4)),
                                    ("STD-F", oe(-3.3, 7.7))]),
]  # fmt: skip
FILES = {
    "dichotomous.rm5": ("ISO-8859-1", 1, "Dichotomous outcomes", DICHOTOMOUS),
    "continuous.rm5": ("UTF-8", 2, "Continuous outcomes", CONTINUOUS),
    "generic-oe.rm5": ("UTF-8", 3, "Generic inverse variance and O-E", GENERIC),
}
COMMENT = (
    "<!-- Hand-built test file for metareview (tests/data/revman/make_files.py). The study data "
    "are invented; the stored results (EFFECT_SIZE ... P_Z, Q P_Q I2_Q) were computed by "
    "metareview's revman5 preset (metareview.plan.revman_export.review_with_results), not by "
    "RevMan. -->"
)


def attrs(values: dict) -> str:
    return "".join(f" {key}={quoteattr(str(value))}" for key, value in values.items())


def stored_attrs(stored, names) -> dict:
    return {attribute: repr(stored[key].value) for key, attribute in names.items() if key in stored}


def build(encoding, comparison, title, outcomes, review=None) -> str:
    from metareview.data.revman.rm5 import POOLED_STORED, STUDY_STORED, SUBGROUP_TEST_STORED

    out = [f'<?xml version="1.0" encoding="{encoding}" standalone="no"?>', COMMENT,
           f'<COCHRANE_REVIEW REVMAN_VERSION="5" TYPE="INTERVENTION"><COVER_SHEET><TITLE>{title}</TITLE></COVER_SHEET>',
           "<STUDIES_AND_REFERENCES><STUDIES><INCLUDED_STUDIES>"]  # fmt: skip
    for sid, name, year in STUDIES:
        out.append(f'<STUDY{attrs({"ID": sid, "NAME": name, "YEAR": year, "DATA_SOURCE": "PUB"})}>'
                   f'<REFERENCE PRIMARY="YES" TYPE="JOURNAL_ARTICLE"><AU>{name.split()[0]} A, Smith B</AU>'
                   f'<TI>A trial by {name}</TI><SO>J Invented Trials</SO><YR>{year}</YR><VL>{int(year) - 1990}</VL>'
                   '<PG>1-9</PG></REFERENCE></STUDY>')  # fmt: skip
    out.append("</INCLUDED_STUDIES></STUDIES></STUDIES_AND_REFERENCES>")
    out.append("<CHARACTERISTICS_OF_STUDIES><CHARACTERISTICS_OF_INCLUDED_STUDIES>")
    for sid, name, _ in STUDIES:
        out.append(f'<INCLUDED_CHAR STUDY_ID="{sid}"><CHAR_METHODS><P>Randomised, parallel groups</P>'
                   f'</CHAR_METHODS><CHAR_PARTICIPANTS><P>Adults, {name}</P></CHAR_PARTICIPANTS></INCLUDED_CHAR>')  # fmt: skip
    out.append("</CHARACTERISTICS_OF_INCLUDED_STUDIES></CHARACTERISTICS_OF_STUDIES>")
    results = ["LOW_RISK", "HIGH_RISK", "UNKNOWN_RISK"]
    out.append("<QUALITY_ITEMS>")
    for number, item in enumerate(["Random sequence generation", "Blinding of outcome assessment"], 1):  # fmt: skip
        out.append(f'<QUALITY_ITEM ID="QIT-0{number}" LEVEL="STUDY" NO="{number}"><NAME>{item}</NAME><QUALITY_ITEM_DATA>')  # fmt: skip
        for index, (sid, _, _) in enumerate(STUDIES):
            out.append(f'<QUALITY_ITEM_DATA_ENTRY RESULT="{results[(index + number) % 3]}" STUDY_ID="{sid}">'
                       f"<DESCRIPTION><P>Support {index}</P></DESCRIPTION></QUALITY_ITEM_DATA_ENTRY>")  # fmt: skip
        out.append("</QUALITY_ITEM_DATA></QUALITY_ITEM>")
    out.append("</QUALITY_ITEMS>")
    out.append(f'<ANALYSES_AND_DATA CALCULATED_DATA="YES"><COMPARISON ID="CMP-00{comparison}" NO="{comparison}">'
               f"<NAME>{title}</NAME>")  # fmt: skip
    for spec in outcomes:
        settings = {k: v for k, v in spec.items() if k.isupper()}
        prefix = spec["prefix"]
        found = review.outcome(f"{comparison}.{spec['no']}") if review else None
        if found is not None:
            settings.update(stored_attrs(found.stored, {**POOLED_STORED, **SUBGROUP_TEST_STORED}))
        settings["SUBGROUPS"] = "YES" if "subgroups" in spec else "NO"
        out.append(f'<{prefix}_OUTCOME ID="CMP-00{comparison}.0{spec["no"]}" NO="{spec["no"]}"{attrs(settings)}>'
                   f"<NAME>{spec['name']}</NAME><GROUP_LABEL_1>Treatment</GROUP_LABEL_1><GROUP_LABEL_2>Control</GROUP_LABEL_2>")  # fmt: skip
        groups = spec.get("subgroups") or [(None, spec["data"])]
        for number, (name, rows) in enumerate(groups, 1):
            subgroup = found.subgroups[number - 1] if found else None
            if name is not None:
                extra = stored_attrs(subgroup.stored, POOLED_STORED) if subgroup else {}
                out.append(f'<{prefix}_SUBGROUP NO="{number}"{attrs(extra)}><NAME>{name}</NAME>')
            for order, (sid, values) in enumerate(rows):
                extra = (
                    stored_attrs(subgroup.studies[order].stored, STUDY_STORED) if subgroup else {}
                )
                out.append(
                    f'<{prefix}_DATA STUDY_ID="{sid}" ORDER="{order + 1}"{attrs(values)}{attrs(extra)}/>'
                )
            if name is not None:
                out.append(f"</{prefix}_SUBGROUP>")
        out.append(f"</{prefix}_OUTCOME>")
    if comparison == 3:
        out.append('<OTHER_OUTCOME ID="CMP-003.05" NO="5"><NAME>Adverse events (text)</NAME>'
                   '<OTHER_SUBGROUP NO="1"><NAME>Listed</NAME></OTHER_SUBGROUP></OTHER_OUTCOME>')  # fmt: skip
    out.append("</COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>")
    return "\n".join(out) + "\n"


def main() -> None:
    for file, (encoding, comparison, title, outcomes) in FILES.items():
        draft = build(encoding, comparison, title, outcomes).encode(encoding)
        review = review_with_results(read_rm5(draft, file))
        missing = [o.id for o in review.outcomes if not o.calculated]
        if missing:
            raise SystemExit(f"{file}: metareview could not fit outcome(s) {missing}")
        text = build(encoding, comparison, title, outcomes, review)
        (HERE / file).write_bytes(text.encode(encoding))
        print(f"wrote {HERE / file}")


if __name__ == "__main__":
    main()
