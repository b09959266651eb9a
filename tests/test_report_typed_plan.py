"""The report reads the plan's settings, minimum k and runs from the typed ``Plan``
(``ReviewResults.typed_plan``), never from the TOML dict with defaults of its own (issue 13)."""

from __future__ import annotations

import re
from pathlib import Path

from metareview.plan.plan import MinK, Settings
from metareview.plan.results import ReviewResults

REPORT = Path(__file__).parents[1] / "src" / "metareview" / "report"


def test_no_report_module_reads_settings_min_k_or_runs_from_the_plan_dict():
    pattern = re.compile(
        r"""plan(\.get\(|\[)\s*["'](settings|min_k|analyses|rob|category|analysis)"""
    )
    found = [
        f"{path.name}:{number}"
        for path in sorted(REPORT.glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


def test_the_typed_plan_fills_what_results_json_left_out_with_the_plan_defaults():
    results = ReviewResults("t", "0", "k", {"settings": {"preset": "metapsy"}}, {}, ())
    plan = results.typed_plan
    assert plan.settings == Settings(preset="metapsy")
    assert plan.min_k == MinK()
    assert plan.rob_column == "rob" and plan.rob_domains == ()
