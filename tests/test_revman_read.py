"""The RevMan readers: RevMan 5 files and RevMan Web data packages into one model, and every
bad input a located error or a listed skip."""

from __future__ import annotations

import io
import zipfile

import pytest

from metareview.data.revman import read_revman
from metareview.data.revman.archive import MAX_NESTING, read_package_files
from metareview.data.revman.package import read_package_bytes, review_from_files
from metareview.data.revman.rm5 import read_rm5
from metareview.errors import DataError
from tests.revman_files import HANDBUILT, fleiss

REVIEW = """<?xml version="1.0" encoding="UTF-8"?>
<COCHRANE_REVIEW><ANALYSES_AND_DATA><COMPARISON NO="1"><NAME>C</NAME>
<DICH_OUTCOME NO="1" METHOD="{method}" RANDOM="NO" EFFECT_MEASURE="OR"><NAME>Death</NAME>
<DICH_DATA STUDY_ID="S1" EVENTS_1="{events}" TOTAL_1="20" EVENTS_2="5" TOTAL_2="21"/>
</DICH_OUTCOME></COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>"""


def rm5(method="MH", events="3") -> bytes:
    return REVIEW.format(method=method, events=events).encode()


def test_fleiss_rm5_model(shared_data):
    review = read_revman(fleiss(shared_data, ".rm5"))
    assert review.title == "Examples from Fleiss 1993" and len(review.studies) == 12
    assert review.studies[7].name == "ISIS-2" and review.studies[7].id == "STD-ISIS_x002d_2"
    dich, cont = review.outcomes
    assert (dich.id, dich.settings.method, dich.settings.model, dich.settings.measure) == (
        "1.1", "MH", "fixed", "OR",
    )  # fmt: skip
    assert [s.study for s in dich.studies()][:2] == ["MRC-1", "CDP"]
    assert next(dich.studies()).values == {
        "events_1": 49.0, "total_1": 615.0, "events_2": 67.0, "total_2": 624.0,
    }  # fmt: skip
    assert dich.stored["chi2"].value == 9.946055983220074 and dich.calculated
    assert cont.settings.measure == "SMD" and not cont.calculated
    assert [s.values["sd_2"] for s in cont.studies()] == [3.8, 2.3, 10.65, 1.66, 1.41]
    assert {j.judgement for j in review.rob} == {"Unclear"} and len(review.rob) == 12
    assert len(review.references) == 12


def test_fleiss_package_model_matches_rm5(shared_data):
    package = read_revman(fleiss(shared_data, ".zip"))
    rm5_review = read_revman(fleiss(shared_data, ".rm5"))
    for ours, theirs in zip(package.outcomes, rm5_review.outcomes):
        assert ours.id == theirs.id and ours.settings.method == theirs.settings.method
        assert sorted((s.study, tuple(s.values.values())) for s in ours.studies()) == sorted(
            (s.study, tuple(s.values.values())) for s in theirs.studies()
        )
    assert package.outcomes[0].stored["effect"].value == 0.896866
    assert not package.outcomes[1].calculated  # RevMan Web wrote 0, 0, 0
    assert package.references_ris.count("ER  -") == 12
    assert package.rob[0].judgement == "Not applicable"


def test_handbuilt_model():
    review = read_revman(HANDBUILT / "dichotomous.rm5")  # ISO-8859-1
    assert review.studies[0].name == "Ødegaard 2001"
    assert review.studies[0].characteristics["Methods"] == "Randomised, parallel groups"
    assert review.references[0].fields["authors"] == "Ødegaard A, Smith B"
    assert {j.judgement for j in review.rob} == {"Low", "High", "Unclear"}
    first = review.outcome("1.1")
    assert first.has_subgroups and [s.name for s in first.subgroups] == ["Adults", "Children"]
    assert review.outcome("1.4").settings.swap_events
    assert (review.outcome("1.4").settings.ci_study, review.outcome("1.4").settings.ci_total) == (
        0.9, 0.99,
    )  # fmt: skip
    other = read_revman(HANDBUILT / "generic-oe.rm5")
    assert [s.what for s in other.skipped] == ["outcome 3.5 'Adverse events (text)'"]
    assert (
        other.outcome("3.1").settings.log_data and other.outcome("3.3").settings.data_type == "oe"
    )


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        (rm5()[:-40], ["row 5", "well-formed XML"]),
        (
            b'<!DOCTYPE r [<!ENTITY a "aaaa">]><COCHRANE_REVIEW>&a;</COCHRANE_REVIEW>',
            ["row 1", "refused for safety"],
        ),
        (b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>', ["refused"]),
        (rm5(method="BAYES"), ["row 3", "DICH_OUTCOME/@METHOD", "'BAYES'", "MH, IV, PETO"]),
        (rm5(events="three"), ["row 4", "DICH_DATA/@EVENTS_1", "'three'", "a number"]),
        (rm5(events="nan"), ["DICH_DATA/@EVENTS_1", "a number"]),
        (b"<OTHER_ROOT/>", ["COCHRANE_REVIEW"]),
        (b"", ["row 1"]),
        (b'<?xml version="1.0" encoding="X-NONE"?><COCHRANE_REVIEW/>', ["row 1"]),
    ],
)
def test_bad_rm5_is_a_located_error(data, fragments):
    with pytest.raises(DataError) as err:
        read_rm5(data, "bad.rm5")
    assert "bad.rm5" in str(err.value)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_deep_nesting_is_refused():
    deep = b"<COCHRANE_REVIEW>" + b"<a>" * 100 + b"</a>" * 100 + b"</COCHRANE_REVIEW>"
    with pytest.raises(DataError, match="nested"):
        read_rm5(deep, "deep.rm5")


def test_unknown_elements_are_listed_not_dropped():
    data = rm5().replace(b"</COMPARISON>", b'<ODD_OUTCOME NO="2"/></COMPARISON>')
    data = data.replace(b"</ANALYSES_AND_DATA>", b"<NOTE/></ANALYSES_AND_DATA>")
    review = read_rm5(data, "x.rm5")
    assert [(s.what, s.where) for s in review.skipped] == [
        ("ODD_OUTCOME", "x.rm5, line 5, ODD_OUTCOME"),
        ("NOTE", "x.rm5, line 5, NOTE"),
    ]
    assert len(review.outcomes) == 1


def test_unknown_measure_is_listed():
    review = read_rm5(rm5().replace(b'"OR"', b'"ODDITY"'), "x.rm5")
    assert review.outcomes == () and "'ODDITY' has no counterpart" in review.skipped[0].reason


def zipped(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_path_traversal_is_refused():
    with pytest.raises(DataError, match=r"\.\./evil-data-rows.csv"):
        read_package_files(zipped({"../evil-data-rows.csv": b"x"}), "p.zip")


def test_zip_bomb_is_refused():
    bomb = zipped({"a-data-rows.csv": b"0" * 5_000_000})
    with pytest.raises(DataError, match="zip bomb"):
        read_package_files(bomb, "bomb.zip")


def test_nested_zips_are_bounded():
    data = zipped({"x-data-rows.csv": b"Study\n"})
    for _ in range(MAX_NESTING + 1):
        data = zipped({"inner.zip": data}, zipfile.ZIP_STORED)
    with pytest.raises(DataError, match="nested at most"):
        read_package_files(data, "deep.zip")


def test_not_a_zip_and_missing_files():
    with pytest.raises(DataError, match="a zip file"):
        read_package_bytes(b"PK\x03\x04 truncated", "t.zip")
    with pytest.raises(DataError, match=r"overall-estimates-and-settings\.csv"):
        review_from_files({"r-data-rows.csv": b"Study\n"}, "p.zip")


def test_bad_package_cell_is_located(shared_data):
    files = read_package_files(fleiss(shared_data, ".zip").read_bytes(), "f.zip")
    name = next(n for n in files if n.endswith("-data-rows.csv"))
    files[name] = files[name].replace(b",246,2267,", b",2x46,2267,")
    with pytest.raises(DataError) as err:
        review_from_files(files, "f.zip")
    assert "data-rows.csv, row 2, column 'Experimental cases': got '2x46'" in str(err.value)


def test_read_revman_refuses_other_files(tmp_path):
    with pytest.raises(DataError, match=r"\.rm5"):
        read_revman(tmp_path / "review.docx")
