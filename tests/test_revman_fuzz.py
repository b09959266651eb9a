"""Hostile and broken RevMan input: mutated XML and CSV end in a result or a located
``DataError``, never a traceback (hypothesis)."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import quoteattr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metareview.data.revman.archive import read_package_files
from metareview.data.revman.extraction import review_table
from metareview.data.revman.package import review_from_files
from metareview.data.revman.rm5 import read_rm5
from metareview.data.revman.writers import package_files
from metareview.errors import DataError
from metareview.plan.revman_check import check_review
from metareview.plan.revman_export import review_with_results
from metareview.plan.revman_plan import review_plan

BASE = b"""<?xml version="1.0" encoding="UTF-8"?>
<COCHRANE_REVIEW><COVER_SHEET><TITLE>T</TITLE></COVER_SHEET>
<STUDIES_AND_REFERENCES><STUDIES><INCLUDED_STUDIES>
<STUDY ID="STD-A" NAME="A 2001" YEAR="2001"/><STUDY ID="STD-B" NAME="B 2003" YEAR="2003"/>
<STUDY ID="STD-C" NAME="C 2005" YEAR="2005"/>
</INCLUDED_STUDIES></STUDIES></STUDIES_AND_REFERENCES>
<QUALITY_ITEMS><QUALITY_ITEM ID="Q1" NO="1"><NAME>Blinding</NAME><QUALITY_ITEM_DATA>
<QUALITY_ITEM_DATA_ENTRY RESULT="LOW_RISK" STUDY_ID="STD-A"><DESCRIPTION><P>x</P></DESCRIPTION>
</QUALITY_ITEM_DATA_ENTRY></QUALITY_ITEM_DATA></QUALITY_ITEM></QUALITY_ITEMS>
<ANALYSES_AND_DATA CALCULATED_DATA="YES"><COMPARISON NO="1"><NAME>C</NAME>
<DICH_OUTCOME NO="1" METHOD="MH" RANDOM="YES" EFFECT_MEASURE="RR" CI_STUDY="95" CI_TOTAL="95" TOTALS="YES" CHI2="1.5" EFFECT_SIZE="0.8" CI_START="0.6" CI_END="1.1">
<NAME>Death</NAME><DICH_SUBGROUP NO="1" EFFECT_SIZE="0.7" CI_START="0.5" CI_END="1.0"><NAME>Adults</NAME>
<DICH_DATA STUDY_ID="STD-A" EVENTS_1="12" TOTAL_1="100" EVENTS_2="20" TOTAL_2="98" EFFECT_SIZE="0.6" CI_START="0.3" CI_END="1.1" WEIGHT="40"/>
<DICH_DATA STUDY_ID="STD-B" EVENTS_1="0" TOTAL_1="60" EVENTS_2="9" TOTAL_2="61"/></DICH_SUBGROUP>
<DICH_SUBGROUP NO="2"><NAME>Children</NAME>
<DICH_DATA STUDY_ID="STD-C" EVENTS_1="30" TOTAL_1="210" EVENTS_2="41" TOTAL_2="205"/></DICH_SUBGROUP>
</DICH_OUTCOME>
<CONT_OUTCOME NO="2" METHOD="IV" RANDOM="NO" EFFECT_MEASURE="SMD" EFFECT_SIZE="-0.3" CI_START="-0.6" CI_END="0.0">
<NAME>Pain</NAME><CONT_DATA STUDY_ID="STD-A" MEAN_1="10.2" SD_1="4.1" TOTAL_1="40" MEAN_2="12.5" SD_2="4.4" TOTAL_2="42"/>
<CONT_DATA STUDY_ID="STD-B" MEAN_1="9.8" SD_1="3.9" TOTAL_1="25" MEAN_2="10.1" SD_2="4.0" TOTAL_2="24"/>
</CONT_OUTCOME>
<IV_OUTCOME NO="3" METHOD="IV" RANDOM="YES" EFFECT_MEASURE="HR" LOG_DATA="YES" EFFECT_SIZE="0.9" CI_START="0.7" CI_END="1.2">
<NAME>Survival</NAME><IV_DATA STUDY_ID="STD-A" ESTIMATE="-0.2" SE="0.1"/><IV_DATA STUDY_ID="STD-C" ESTIMATE="0.1" SE="0.2"/>
</IV_OUTCOME></COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>
"""
ATTRIBUTES = [
    'EVENTS_1="12"', 'TOTAL_1="100"', 'EVENTS_2="9"', 'METHOD="MH"', 'RANDOM="YES"',
    'EFFECT_MEASURE="RR"', 'CI_STUDY="95"', 'CI_TOTAL="95"', 'TOTALS="YES"', 'STUDY_ID="STD-A"',
    'MEAN_1="10.2"', 'SD_1="4.1"', 'TOTAL_2="24"', 'NO="1"', 'NO="2"', 'RESULT="LOW_RISK"',
    'ESTIMATE="-0.2"', 'SE="0.1"', 'LOG_DATA="YES"', 'CHI2="1.5"', 'EFFECT_SIZE="0.7"',
    'WEIGHT="40"', 'EFFECT_MEASURE="SMD"', 'METHOD="IV"',
]  # fmt: skip
FUZZ = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
# Inputs that mostly parse are re-run through check_review (about a second each): fewer.
FUZZ_SLOW = settings(FUZZ, max_examples=15)


def survives(data: bytes) -> None:
    """Read, tabulate, plan and check: a result, or a DataError that says where."""
    try:
        review = read_rm5(data, "fuzz.rm5")
    except DataError as err:
        assert err.problems and err.problems[0].file == "fuzz.rm5", err
        return
    review_table(review)
    review_plan(review, "extraction.csv")
    report = check_review(review)
    report.to_dict()
    report.summary()


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(BASE)))
def test_truncated_xml(cut):
    survives(BASE[:cut])


@FUZZ
@given(
    start=st.integers(min_value=0, max_value=len(BASE)),
    length=st.integers(min_value=0, max_value=12),
    junk=st.binary(max_size=16),
)
def test_spliced_bytes(start, length, junk):
    survives(BASE[:start] + junk + BASE[start + length :])


@FUZZ_SLOW
@given(attribute=st.sampled_from(ATTRIBUTES), value=st.text(max_size=12))
def test_attribute_values(attribute, value):
    name = attribute.split("=")[0]
    survives(BASE.replace(attribute.encode(), f"{name}={quoteattr(value)}".encode(), 1))


@FUZZ
@given(index=st.integers(min_value=0, max_value=80))
def test_a_missing_start_tag(index):
    parts = BASE.split(b"<")
    index = 1 + index % (len(parts) - 1)
    survives(b"<".join(parts[:index]) + b"<" + b"<".join(parts[index + 1 :]))


REVIEW = read_rm5(BASE, "base.rm5")
PACKAGE = package_files(review_with_results(REVIEW, decimals=6), "p")
CSV_NAMES = sorted(name for name in PACKAGE if name.endswith(".csv"))


def survives_package(files: dict[str, bytes]) -> None:
    try:
        review = review_from_files(files, "fuzz.zip")
    except DataError as err:
        assert err.problems and err.problems[0].file.startswith("fuzz.zip"), err
        return
    review_table(review)
    check_review(review).to_dict()


@FUZZ_SLOW
@given(
    name=st.sampled_from(CSV_NAMES),
    row=st.integers(min_value=0, max_value=8),
    column=st.integers(min_value=0, max_value=45),
    value=st.text(max_size=10),
)
def test_mutated_csv_cell(name, row, column, value):
    lines = PACKAGE[name].decode("utf-8-sig").split("\r\n")
    row = row % len(lines)
    cells = lines[row].split(",")
    cells[column % len(cells)] = value
    lines[row] = ",".join(cells)
    survives_package({**PACKAGE, name: "\r\n".join(lines).encode("utf-8")})


@FUZZ_SLOW
@given(name=st.sampled_from(CSV_NAMES), cut=st.integers(min_value=0, max_value=3000))
def test_truncated_csv(name, cut):
    survives_package({**PACKAGE, name: PACKAGE[name][:cut]})


@FUZZ
@given(data=st.binary(max_size=200))
def test_random_bytes_as_a_zip(data):
    for candidate in (data, b"PK\x03\x04" + data):
        try:
            read_package_files(candidate, "fuzz.zip")
        except DataError as err:
            assert err.problems[0].file.startswith("fuzz.zip")


def test_package_base_is_read():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in PACKAGE.items():
            archive.writestr(name, data)
    files = read_package_files(buffer.getvalue(), "base.zip")
    review = review_from_files(files, "base.zip")
    assert [o.id for o in review.outcomes] == ["1.1", "1.2", "1.3"]
    assert check_review(review).passed


CSV_EXPORT = (
    "Comparison Number,Outcome Number,Subgroup Number,Name,Data Type,Statistical Method,"
    "Effect Measure,Analysis Model,Events 1,Mean 1,SD 1,Total 1,Events 2,Mean 2,SD 2,Total 2,"
    "Effect Estimate,SE,CI Start,CI End,Weight,Q,P(Q),I²(Q),Tau²,Z,P(Z),Qint,P(Qint),I²(Qint),df\n"
    "1,0,0,Drug vs placebo,,,,,,,,,,,,,,,,,,,,,,,,,,,\n"
    "1,1,0,Death,DIC,MH,RR,Random,20,,,300,30,,,290,0.65,,0.38,1.1,100,1.2,0.27,16.6,0.02,1.6,0.11,0,0,0,1\n"
    "1,1,0,Smith,,,,,12,0,0,100,20,0,0,98,0.59,0.33,0.3,1.1,50,,,,,,,,,,\n"
    "1,1,0,Jones,,,,,8,0,0,200,10,0,0,192,0.77,0.45,0.3,1.8,50,,,,,,,,,,\n"
    "1,2,0,Pain,CON,IV,MD,Fixed,0,,,80,0,,,82,-1.2,,-2.1,-0.3,100,0.5,0.48,0,0,2.6,0.009,0,1,0,1\n"
    "1,2,1,Short,,,,,,,,,,,,,-1.2,,-2.1,-0.3,100,0.5,0.48,0,0,2.6,0.009,,,,1\n"
    "1,2,1,Smith,,,,,0,10.2,4.1,40,0,12.5,4.4,42,-2.3,0.9,-4.1,-0.5,40,,,,,,,,,,\n"
    "1,2,1,Jones,,,,,0,9.8,3.9,40,0,10.1,4.0,40,-0.3,0.9,-2.0,1.4,60,,,,,,,,,,\n"
)


@FUZZ_SLOW
@given(
    row=st.integers(min_value=0, max_value=8),
    column=st.integers(min_value=0, max_value=31),
    value=st.text(max_size=8),
)
def test_mutated_revman5_csv_export(row, column, value):
    from metareview.data.revman.csv_export import read_csv_export

    lines = CSV_EXPORT.split("\n")
    row = row % (len(lines) - 1)
    cells = lines[row].split(",")
    cells[column % len(cells)] = value.replace(",", ";").replace("\n", " ")
    lines[row] = ",".join(cells)
    try:
        review = read_csv_export("\n".join(lines).encode("utf-8"), "fuzz.csv")
    except DataError as err:
        assert err.problems[0].file == "fuzz.csv", err
        return
    review_table(review)
    check_review(review).to_dict()


def test_revman5_csv_export_base_is_read():
    from metareview.data.revman.csv_export import read_csv_export

    review = read_csv_export(CSV_EXPORT.encode("utf-8"), "base.csv")
    death, pain = review.outcomes
    assert (death.settings.model, death.settings.measure, len(list(death.studies()))) == (
        "random", "RR", 2,
    )  # fmt: skip
    assert pain.has_subgroups and pain.subgroups[0].name == "Short"
    assert pain.subgroups[0].stored["effect"].decimals == 8
    assert "q_between" in pain.stored and "q_between" not in death.stored
