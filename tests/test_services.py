"""The service functions every front end calls (the CLI, the web workspace): each does what
the command did, so a front end only parses, calls and prints."""

from __future__ import annotations

import pandas as pd
import pytest

from metareview.data.table import load_table
from metareview.errors import DataError, RecordsError
from metareview.plan.analysis import AnalysisSettings, analysis_settings, plan_analysis_settings
from metareview.plan.grading import grade_table
from metareview.plan.plan import Settings
from metareview.records.events import EventKind
from metareview.records.record import Record
from metareview.rob.grade import GradeDecision
from metareview.store import Project
from metareview.store.prisma import project_flow
from metareview.store.review import (
    configure,
    decide_duplicate,
    deduplicate_project,
    duplicate_counts,
    mark_retrieval,
    passed_stage,
    screening_config,
    stage_agreement,
    vote,
)

COPY = Record(title="Peer support for depression", doi="10.1/ps", year=2020)


@pytest.fixture
def project():
    opened = Project.open("sqlite://")
    opened.add_import("a.ris", [COPY, Record(title="Exercise and sleep", year=2019)], actor="ana")
    opened.add_import("b.ris", [COPY], actor="ana")
    opened.add_import("web.ris", [Record(title="A website's trial")], actor="ana",
                      source_kind="website")  # fmt: skip
    yield opened
    opened.close()


def test_deduplicate_project_logs_each_duplicate_once(project):
    first = deduplicate_project(project, actor="ana")
    assert first.to_dict() == {"records": 4, "duplicate_groups": 1, "removed": 1, "maybe": 0}
    logged = project.events(EventKind.DUPLICATE)
    assert [(e.record_id, e.data["of"], e.data["method"]) for e in logged] == [(3, 1, "auto")]
    assert deduplicate_project(project, actor="ana") == first  # nothing new the second time
    assert len(project.events(EventKind.DUPLICATE)) == 1


def test_deduplicate_project_keeps_a_persons_decision(project):
    deduplicate_project(project, actor="ana")
    decide_duplicate(project, 3, 1, actor="ben", duplicate=False)  # a person undoes the merge
    assert duplicate_counts(project).removed == 0
    assert deduplicate_project(project, actor="ana").removed == 0


def test_passed_stage_follows_the_votes_and_agrees_with_prisma(project):
    deduplicate_project(project, actor="ana")
    for who in ("ana", "ben"):
        vote(project, 1, reviewer=who, stage="ta", decision="include")
        vote(project, 2, reviewer=who, stage="ta", decision="exclude")
    # record 3 is a removed copy; record 4 (a website) skips title/abstract
    assert passed_stage(project, "ta") == (1, 4)
    assert passed_stage(project, "ft") == ()
    for who in ("ana", "ben"):
        vote(project, 1, reviewer=who, stage="ft", decision="include")
    mark_retrieval(project, 4, actor="ana", status="not_retrieved")
    assert passed_stage(project, "ft") == (1,) == project_flow(project).included_ids


def test_stage_agreement_needs_two_reviewers_with_complete_votes(project):
    vote(project, 1, reviewer="ana", stage="ta", decision="include")
    with pytest.raises(RecordsError, match="two reviewers' complete votes at stage ta; found 0"):
        stage_agreement(project, "ta")
    for record_id, decision in ((1, "include"), (2, "exclude")):
        vote(project, record_id, reviewer="ben", stage="ta", decision=decision)
    vote(project, 2, reviewer="ana", stage="ta", decision="include")
    result = stage_agreement(project, "ta")
    assert result.percent_agreement == 0.5 and result.subjects == 2


def test_analysis_settings_reads_codes_in_any_case():
    built = analysis_settings(measure="or", preset="RevMan5", method="dl", ci_method="Z",
                              trimfill_estimator="r0", trimfill_side="LEFT", by="dose")  # fmt: skip
    assert built == AnalysisSettings(measure="OR", preset="revman5", method="DL", ci_method="z",
                                     trimfill_estimator="R0", trimfill_side="left", by="dose")  # fmt: skip
    with pytest.raises(ValueError, match="ci_method must be one of z, knha, adhoc"):
        analysis_settings(ci_method="hk")


def test_plan_analysis_settings_carry_every_setting_of_the_plan():
    plan = Settings(preset="meta", measure="RR", method="PM", ci_method="knha", level=0.9,
                    tau_common=False, trimfill_estimator="Q0", trimfill_side="right",
                    selection_steps=(0.05,))  # fmt: skip
    built = plan_analysis_settings(plan, force_bias=True, selection=True)
    assert built == AnalysisSettings(measure="RR", preset="meta", method="PM", ci_method="knha",
                                     level=0.9, tau_common=False, trimfill_estimator="Q0",
                                     trimfill_side="right", selection_steps=(0.05,),
                                     force_bias=True)  # fmt: skip
    assert plan_analysis_settings(plan).selection_steps is None


def _outcomes_table():
    return load_table(
        pd.DataFrame(
            {
                "study": list("ABCDEF"),
                "yi": [0.2, 0.5, 0.3, -0.1, 0.0, 0.2],
                "sei": [0.2, 0.22, 0.17, 0.3, 0.25, 0.2],
                "outcome": ["pain"] * 3 + ["sleep"] * 3,
                "time": ["post", "post", "post", "post", "post", "follow-up"],
                "rob_overall": ["Low", "High", "Low", "Low", "Low", "Low"],
            }
        )
    )


def test_grade_table_rates_each_outcome_of_the_rows_kept():
    table = _outcomes_table()
    decision = ("sleep", GradeDecision("indirectness", -1, "only shift workers"))
    graded = grade_table(table, analysis_settings(measure="SMD"), outcome_column="outcome",
                         where={"time": "post"}, decisions=[decision])  # fmt: skip
    by_outcome = {g.evidence.outcome: g for g in graded.assessments}
    assert list(by_outcome) == ["pain", "sleep"]
    assert by_outcome["sleep"].evidence.k == 2  # the follow-up row is filtered out
    assert by_outcome["pain"].evidence.k == 3
    indirectness = {d.domain: d.levels for d in by_outcome["sleep"].domains}["indirectness"]
    assert indirectness == -1
    assert {d.domain: d.levels for d in by_outcome["pain"].domains}["indirectness"] == 0


def test_grade_table_names_a_column_the_table_lacks():
    with pytest.raises(DataError, match=r"column 'arm'.*expected a column of the table"):
        grade_table(_outcomes_table(), analysis_settings(), where=[("arm", "a")])


def test_configure_keeps_and_logs_the_highlighted_words(project):
    configure(project, actor="ana", highlight_include=["exercise"], highlight_exclude=["rat"])
    config = screening_config(project)
    assert (config.highlight_include, config.highlight_exclude) == (("exercise",), ("rat",))
    logged = [e.value for e in project.events(EventKind.SETTING)]
    assert logged == ["highlight_include", "highlight_exclude"]
    configure(project, actor="ana", highlight_include=["exercise"])  # unchanged: not logged
    configure(project, actor="ana", exclusion_reasons=["not an RCT"])  # the words stay
    assert screening_config(project).highlight_exclude == ("rat",)
    assert len(project.events(EventKind.SETTING)) == 3
