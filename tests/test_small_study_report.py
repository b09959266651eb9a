"""Small-study analyses through a plan: each on its own in results.json and the HTML report
(one failing analysis leaves the others standing)."""

from __future__ import annotations

import pandas as pd

from metareview.plan.plan import load_plan
from metareview.plan.runner import run_plan
from metareview.report.build import write_report
from tests.test_bias_small_study import Q0_UNDEFINED


def _review(folder, settings: str, small_study: str, frame: pd.DataFrame):
    frame.to_csv(folder / "trials.csv", index=False)
    (folder / "plan.toml").write_text(
        '[data]\nfile = "trials.csv"\n'
        f"[settings]\n{settings}\n"
        f"[analyses]\nsmall_study = {small_study}\n"
        '[[analysis]]\nname = "Stress"\nfilter = {}\n'
    )
    results = run_plan(load_plan(folder / "plan.toml"), jobs=1)
    index = write_report(results, folder / "out")
    return results, index.read_text()


def test_a_failed_trim_and_fill_is_listed_and_egger_still_reported(tmp_path):
    yi, vi = Q0_UNDEFINED
    frame = pd.DataFrame({"study": list("ABCDEFGHIJ"), "yi": yi, "vi": vi})
    results, html = _review(tmp_path, 'trimfill_estimator = "Q0"', '["egger", "trimfill"]', frame)
    small = results["stress/all-time-points"].result["small_study"]
    assert small["run"] and small["trim_and_fill"] is None
    assert "Q0 estimator is undefined" in small["failed"]["trim_and_fill"]
    egger = small["egger_rma"]  # the metafor preset reports the mixed-effects variant
    assert egger is not None
    assert "Small-study effects: Stress" in html
    assert "not run: the Q0 estimator is undefined" in html
    assert f"z = {egger['statistic']:.2f}" in html
    assert 'id="funnel-stress-all-time-points"' in html  # drawn without imputed studies
