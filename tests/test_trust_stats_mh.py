"""Issue 14, item 9: an undefined Mantel-Haenszel estimate (one arm without events in any
study, every study double-zero, a risk difference with variance 0) is reported as not
estimable with its reason, as metafor's rma.mh returns NA, and the inverse-variance results
stay (tests/reference/trust_stats.R)."""

from __future__ import annotations

import pandas as pd
import pytest

from metareview.errors import NotEstimableError
from metareview.plan.analysis import AnalysisSettings, analyze
from metareview.stats.mantel_haenszel import mantel_haenszel
from tests.test_cli_basics import run_cli
from tests.trust_stats_reference import REFERENCE

CASES = [(name, measure) for name in REFERENCE["mantel_haenszel"] for measure in ("OR", "RR", "RD")]
REASONS = {
    "no_events_arm2": "no events in arm 2",
    "all_double_zero": "no events in either arm",
}


def _table(name: str) -> pd.DataFrame:
    data = REFERENCE["mantel_haenszel"][name]
    return pd.DataFrame(
        {
            "study": [f"S{i + 1}" for i in range(len(data["ai"]))],
            "event_arm1": data["ai"],
            "totaln_arm1": data["n1i"],
            "event_arm2": data["ci"],
            "totaln_arm2": data["n2i"],
        }
    )


@pytest.mark.parametrize(("name", "measure"), CASES)
def test_undefined_mantel_haenszel_is_not_estimable_and_iv_stays(name, measure):
    ref = REFERENCE["mantel_haenszel"][name]["measures"][measure]
    defined = ref["mh_estimate"] is not None and (ref["mh_se"] or 0) > 0
    res = analyze(_table(name), AnalysisSettings(measure=measure, method="DL"))
    assert res.pooled.k == ref["iv_k"]
    assert res.pooled.random.estimate == pytest.approx(ref["iv_estimate"], rel=1e-6, abs=1e-12)
    if defined:
        assert res.mantel_haenszel.estimate == pytest.approx(ref["mh_estimate"], rel=1e-6)
        return
    assert res.mantel_haenszel is None
    notes = [w for w in res.warnings if "Mantel-Haenszel" in w and "not estimable" in w]
    assert len(notes) == 1, res.warnings
    reason = REASONS[name] if measure != "RD" else "variance is 0"
    assert reason in notes[0]
    assert res.to_dict().get("mantel_haenszel") is None


def test_metafor_gives_na_where_metareview_reports_not_estimable():
    """The fixture's NA (JSON null) is metafor's answer for OR and RR; for RD with every study
    double-zero metafor gives 0 with SE 0, which has no CI or test: not estimable here."""
    measures = REFERENCE["mantel_haenszel"]["no_events_arm2"]["measures"]
    assert measures["OR"]["mh_estimate"] is None and measures["RR"]["mh_estimate"] is None
    rd = REFERENCE["mantel_haenszel"]["all_double_zero"]["measures"]["RD"]
    assert rd["mh_estimate"] == 0 and rd["mh_se"] == 0


def test_mantel_haenszel_raises_not_estimable_with_the_reason():
    data = REFERENCE["mantel_haenszel"]["no_events_arm2"]
    a, n1, c, n2 = data["ai"], data["n1i"], data["ci"], data["n2i"]
    b = [n - x for n, x in zip(n1, a)]
    d = [n - x for n, x in zip(n2, c)]
    with pytest.raises(NotEstimableError, match="no events in arm 2"):
        mantel_haenszel(a, b, c, d, measure="OR")
    zero = [0, 0, 0]
    with pytest.raises(NotEstimableError, match="variance is 0"):
        mantel_haenszel(zero, n1, zero, n2, measure="RD")


def test_analyze_on_the_command_line_keeps_going(tmp_path):
    data = tmp_path / "t.csv"
    _table("all_double_zero").to_csv(data, index=False)
    result = run_cli("analyze", str(data), "--measure", "RD")
    assert result.returncode == 0, result.stderr
    assert "not estimable" in result.stdout and "Traceback" not in result.stderr
