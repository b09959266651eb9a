"""A risk-of-bias override naming a study no analysis includes is listed and warned about."""

from __future__ import annotations

from metareview.plan.plan import load_plan
from metareview.plan.runner import run_plan
from metareview.report.build import write_report
from metareview.report.rob_figures import unmatched_overrides
from tests.test_grade_report import _thirdwave


def _override(study: str) -> str:
    return (
        f'[[rob.override]]\nstudy = "{study}"\ndomain = "D3"\nproposed = "High"\n'
        'judgement = "Some concerns"\njustification = "missing data balanced across arms"\n'
    )


def test_an_override_for_a_study_not_in_any_analysis_is_a_report_warning(tmp_path, shared_data):
    plan = load_plan(_thirdwave(tmp_path, shared_data))
    first = str(run_plan(plan, jobs=1).analyses[0].input[0]["study"])
    extra = _override(first) + _override("Nobody, 1999")
    results = run_plan(load_plan(_thirdwave(tmp_path, shared_data, extra)), jobs=1)
    warning = (
        "[[rob.override]] for study 'Nobody, 1999' (D3): no analysis includes this study, "
        "so it marks no judgement"
    )
    assert unmatched_overrides(results) == (warning,)
    html = write_report(results, tmp_path / "out").read_text()
    warnings = html.split('<section id="analysis-warnings">')[1].split("</section>")[0]
    assert "<td>Risk of bias</td><td>[[rob.override]] for study &#39;Nobody, 1999&#39;" in warnings
    assert warnings.count("[[rob.override]]") == 1  # the override of a study analysed: none
