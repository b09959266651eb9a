"""The hand-built RevMan files' stored numbers (metareview's revman5 preset) against R metafor
3.8-1 under RevMan 5's methods — M-H fixed/random composed as tests/reference/revman_mh.R,
Peto (``rma.peto``), inverse variance fixed/DerSimonian–Laird — so the files are not checked
only against themselves. Fixture and script: tests/reference/revman_handbuilt.{R,json}."""

from __future__ import annotations

import json

import pytest

from metareview.data.revman import read_revman
from tests.conftest import REPO
from tests.revman_files import HANDBUILT

CASES = json.loads((REPO / "tests" / "reference" / "revman_handbuilt.json").read_text())["cases"]
KEYS = ("effect", "ci_lower", "ci_upper", "chi2", "df", "p_chi2", "i2", "tau2", "z", "p_z")
TEST_KEYS = ("q_between", "df_between", "p_between", "i2_between")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['file']}:{c['outcome']}:{c['level']}")
def test_stored_numbers_equal_metafor(case):
    outcome = read_revman(HANDBUILT / case["file"]).outcome(case["outcome"])
    reference = case["values"]
    if case["level"] == "total":
        stored, studies = outcome.stored, list(outcome.studies())
    else:
        subgroup = next(s for s in outcome.subgroups if s.name == case["level"])
        stored, studies = subgroup.stored, list(subgroup.studies)
    compared = 0
    for key in (*KEYS, *TEST_KEYS):
        if key in reference and key in stored:
            assert stored[key].value == pytest.approx(reference[key], rel=1e-6, abs=1e-9), key
            compared += 1
    assert compared >= 9
    own_weights = case["level"] == "total" or outcome.settings.totals != "YES"
    if own_weights:
        weights = [s.stored["weight"].value for s in studies if "weight" in s.stored]
        assert weights == pytest.approx(reference["weights"], rel=1e-6)
