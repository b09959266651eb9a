"""Tier 2: effect sizes agree with R metafor escalc() and with the other packages' formulas.

Fixtures: ``tests/reference/effects_metafor.json`` (R metafor 3.8-1 ``escalc`` on metadat data
sets: SMD with vtype LS and UB, MD, SMD from t statistics and p values, OR/RR/RD with
``to="only0"``, ``add=1/2`` and ``drop00`` FALSE/TRUE, log OR → SMD ``OR2DL``) and
``tests/reference/effects_conventions.json`` (RevMan 5, esc/metapsy and CMA formulas written
out in R, metapsyTools' dichotomous → g rule and the Sweeting correction). The R scripts that
made them lie beside them. Tolerance: 1e-6 relative (absolute 1e-12 for exact zeros).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metareview.data.effects import compute_effects

REFERENCE = Path(__file__).parent / "reference"
METAFOR = json.loads((REFERENCE / "effects_metafor.json").read_text())["cases"]
CONVENTIONS = json.loads((REFERENCE / "effects_conventions.json").read_text())["cases"]


def _expected(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _check(out: pd.DataFrame, case: dict) -> None:
    np.testing.assert_allclose(out["yi"], _expected(case["yi"]), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(out["vi"], _expected(case["vi"]), rtol=1e-6, atol=1e-12)


def _metafor_arguments(case: dict) -> dict:
    options = case["options"] or {}  # R writes an empty list as []
    if options.get("vtype") == "UB":
        return {"preset": "meta"}
    if options.get("drop00"):
        return {"preset": "metafor", "drop_double_zero": True}
    return {"preset": "metafor"}


@pytest.mark.parametrize(
    "case", METAFOR, ids=[f"{c['name']}-{c['measure']}-{c['options']}" for c in METAFOR]
)
def test_metafor_escalc(case):
    out = compute_effects(pd.DataFrame(case["data"]), case["measure"], **_metafor_arguments(case))
    _check(out, case)
    dropped = np.isnan(_expected(case["yi"]))
    assert out.loc[dropped, "note"].str.startswith("not estimable: ").all()


@pytest.mark.parametrize("measure", ["OR", "RR"])
@pytest.mark.parametrize("preset", ["revman5", "meta"])
def test_revman5_and_meta_exclude_double_zero_like_drop00(measure, preset):
    case = next(
        c
        for c in METAFOR
        if c["name"] == "double_zero" and c["measure"] == measure and c["options"].get("drop00")
    )
    out = compute_effects(pd.DataFrame(case["data"]), measure, preset=preset)
    _check(out, case)
    assert out["note"].iloc[0] == (
        "not estimable: no events in either arm (double-zero study, excluded from "
        f"{measure} under preset {preset})"
    )


def test_double_zero_kept_for_rd_under_every_preset():
    case = next(c for c in METAFOR if c["name"] == "double_zero" and c["measure"] == "RD")
    for preset in ("revman5", "meta", "metapsy", "cma"):
        out = compute_effects(pd.DataFrame(case["data"]), "RD", preset=preset)
        _check(out, case)
        assert out["yi"].notna().all()


_PRESET_OF = {"revman5": "revman5", "esc": "metapsy", "cma": "cma", "metapsy": "metapsy"}


@pytest.mark.parametrize(
    "case", CONVENTIONS, ids=[f"{c['name']}-{c['convention']}" for c in CONVENTIONS]
)
def test_other_conventions(case):
    data = pd.DataFrame(case["data"])
    if case["convention"] == "sweeting":
        out = compute_effects(data, case["measure"], zero_cell_method="sweeting")
    else:
        out = compute_effects(data, case["measure"], preset=_PRESET_OF[case["convention"]])
    _check(out, case)
