"""Mantel–Haenszel (OR, RR, RD) and Peto pooling against R metafor 3.8-1 ``rma.mh``/``rma.peto``
(fixture: tests/reference/pooling.R → pooling.json), 1e-6 relative."""

from __future__ import annotations

import json

import pytest

from metareview.stats.mantel_haenszel import mantel_haenszel
from metareview.stats.peto import peto
from tests.conftest import REPO

FIXTURE = json.loads((REPO / "tests" / "reference" / "pooling.json").read_text())
FIELDS = (
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "statistic",
    "pvalue",
    "q",
    "q_df",
    "q_pvalue",
    "i2",
    "h2",
    "k",
    "cmh",
    "cmh_pvalue",
    "tarone",
    "tarone_pvalue",
)


@pytest.mark.parametrize(
    "case", FIXTURE["binary"], ids=lambda c: f"{c['dataset']}-{c['model']}-{c['measure']}"
)
def test_against_metafor(case):
    table = FIXTURE["tables"][case["dataset"]]
    cells = [table[name] for name in ("ai", "bi", "ci", "di")]
    if case["model"] == "MH":
        res = mantel_haenszel(*cells, measure=case["measure"])
    else:
        res = peto(*cells)
    for name in FIELDS:
        if name in case["result"]:
            assert getattr(res, name) == pytest.approx(case["result"][name], rel=1e-6, abs=1e-9), (
                name
            )


def test_bad_tables_are_rejected():
    with pytest.raises(ValueError, match="cell b must be a count >= 0; table 2"):
        mantel_haenszel([1, 2], [3, -1], [1, 1], [5, 5])
    with pytest.raises(ValueError, match="no participants"):
        peto([0, 2], [0, 3], [1, 1], [5, 5])
    with pytest.raises(ValueError, match="measure must be one of OR, RR, RD"):
        mantel_haenszel([1], [3], [1], [5], measure="HR")


def test_result_renders():
    res = mantel_haenszel([4, 6, 3], [119, 300, 228], [11, 29, 11], [128, 274, 209])
    assert "Mantel-Haenszel" in res.summary() and "Tarone" in res.summary()
    assert res.to_dict()["measure"] == "OR" and "<pre>" in res._repr_html_()


def test_analyze_adds_mantel_haenszel_and_peto_sections(tmp_path):
    """BCG trials as an extraction table: the MH and Peto sections equal rma.mh / rma.peto."""
    from metareview.plan.analysis import AnalysisSettings, analyze

    table = FIXTURE["tables"]["bcg"]
    lines = ["study,event_arm1,totaln_arm1,event_arm2,totaln_arm2"]
    for i, (a, b, c, d) in enumerate(zip(table["ai"], table["bi"], table["ci"], table["di"])):
        lines.append(f"trial {i + 1},{a},{a + b},{c},{c + d}")
    path = tmp_path / "bcg.csv"
    path.write_text("\n".join(lines) + "\n")
    expected = {
        (case["model"], case["measure"]): case["result"]
        for case in FIXTURE["binary"]
        if case["dataset"] == "bcg"
    }
    for measure in ("OR", "RR", "RD"):
        doc = analyze(path, AnalysisSettings(measure=measure)).to_dict()
        mh = doc["mantel_haenszel"]
        assert mh["estimate"] == pytest.approx(expected[("MH", measure)]["estimate"], rel=1e-6)
        assert mh["q"] == pytest.approx(expected[("MH", measure)]["q"], rel=1e-6)
        if measure == "OR":
            assert doc["peto"]["estimate"] == pytest.approx(
                expected[("Peto", "OR")]["estimate"], rel=1e-6
            )
        else:
            assert "peto" not in doc


def test_no_binary_sections_without_event_counts():
    import pandas as pd

    from metareview.plan.analysis import AnalysisSettings, analyze

    frame = pd.DataFrame(
        {"study": ["A", "B", "C"], "yi": [0.2, 0.5, 0.3], "vi": [0.04, 0.05, 0.03]}
    )
    doc = analyze(frame, AnalysisSettings(measure="OR")).to_dict()
    assert "mantel_haenszel" not in doc and "peto" not in doc


def test_mirrored_rows_enter_mantel_haenszel_with_arms_swapped(tmp_path):
    from metareview.plan.analysis import AnalysisSettings, analyze

    rows = "A,3,40,6,40,{0}\nC,5,50,9,52,{0}\nD,2,30,7,31,{0}\n"
    header = "study,event_arm1,totaln_arm1,event_arm2,totaln_arm2,higher_is_better\n"
    docs = []
    for flag in ("yes", "no"):
        path = tmp_path / f"{flag}.csv"
        path.write_text(header + rows.format(flag))
        docs.append(analyze(path, AnalysisSettings(measure="OR")).to_dict())
    assert docs[1]["fixed"]["estimate"] == pytest.approx(-docs[0]["fixed"]["estimate"])
    for section in ("mantel_haenszel", "peto"):
        assert docs[1][section]["estimate"] == pytest.approx(-docs[0][section]["estimate"])
