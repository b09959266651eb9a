"""What GRADE proposes for a project before any analysis run
(:func:`metareview.plan.grading.propose_grades` over the agreed table the store reads): the
problem of an empty table, the assessments the GRADE page shows, and an analysis error as the
problem (SQLite and PostgreSQL)."""

from __future__ import annotations

import pandas as pd
import pytest

from metareview.data.table import load_table
from metareview.errors import DataError
from metareview.plan.analysis import analysis_settings
from metareview.plan.grading import NO_AGREED_DATA, grade_table, propose_grades
from metareview.rob.grade import GradeInputs
from metareview.store.grade_decisions import decide, decision_pairs, graded_frame
from tests import stores
from tests.test_web_grade import OUTCOME, agreed_review
from tests.web_client import make_project, workspace

store_url = stores.store_url  # the fixture, once per backend


def test_an_empty_table_is_the_problem_and_nothing_is_rated(store_url):
    with make_project(store_url) as project:
        proposal = propose_grades(graded_frame(project), "SMD")
    assert proposal.problem == NO_AGREED_DATA
    assert (proposal.assessments, proposal.dropped, proposal.outcomes) == ((), (), ())
    assert proposal.inputs.frame.empty


def test_the_agreed_table_is_rated_as_the_grade_page_shows_it(store_url):
    with make_project(store_url) as project:
        agreed_review(project)
        decide(project, OUTCOME, "indirectness", -1, "students only", actor="rita")
        inputs = graded_frame(project)
        proposal = propose_grades(inputs, "SMD", decisions=decision_pairs(project))
        expected = grade_table(
            load_table(inputs.frame),
            analysis_settings(measure="SMD"),
            outcome_column="grade_outcome",
            rob_column="rob_overall",
            decisions=decision_pairs(project),
        )
        with workspace(project) as browser:
            page = browser("vic").get("/grade?measure=SMD").text
    assert proposal.problem == "" and proposal.outcomes == (OUTCOME,)
    assert [a.to_dict() for a in proposal.assessments] == [
        a.to_dict() for a in expected.assessments
    ]
    assert proposal.dropped == expected.dropped
    [rated] = proposal.assessments
    indirectness = next(d for d in rated.domains if d.domain == "indirectness")
    assert (indirectness.levels, indirectness.overridden) == (-1, True)
    assert f"{OUTCOME} <small>3 studies" in page
    assert f'c-{rated.certainty.lower().replace(" ", "-")}">{rated.certainty}</strong>' in page


def test_an_error_of_the_analysis_is_the_problem():
    frame = pd.DataFrame({"study": ["A", "B"], "yi": [0.2, 0.5], "vi": [0.04, 0.05]})
    inputs = GradeInputs(frame, {}, ())  # no grade_outcome column: grade_table refuses it
    with pytest.raises(DataError) as refused:
        grade_table(load_table(frame), analysis_settings(), outcome_column="grade_outcome")
    proposal = propose_grades(inputs, "SMD")
    assert proposal.problem == str(refused.value) and proposal.inputs is inputs
    assert (proposal.assessments, proposal.dropped) == ((), ())
    assert "grade_outcome" in proposal.problem
