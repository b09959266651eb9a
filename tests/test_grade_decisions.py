"""The reviewers' GRADE decisions in the project store (SQLite and PostgreSQL): append-only rows
with who and when, withdrawal, the rows the plan reads, and a run of a plan rated with them;
and what GRADE rates before any run: the agreed table with each study's agreed risk of bias."""

from __future__ import annotations

import pytest

from metareview.data.form import Cell, RowKey
from metareview.errors import PlanError
from metareview.plan.grade_review import assess_review, with_decisions
from metareview.plan.plan import load_plan
from metareview.plan.runner import run_plan
from metareview.store.extraction import add_study, enter, set_extractors_required, submit
from metareview.store.grade_decisions import (
    decide,
    decision_history,
    decision_pairs,
    grade_decisions,
    graded_frame,
    plan_entries,
    withdraw,
)
from metareview.store.project import Project
from metareview.store.rob_assessment import answer, set_assessors_required, submit_rob
from metareview.store.study_log import verify_study_log
from tests import stores
from tests.browser_rob_steps import ALL_LOW as LOW
from tests.test_run import _small_plan

store_url = stores.store_url  # the fixture, once per backend


@pytest.fixture
def project(store_url):
    with Project.open(store_url) as opened:
        yield opened


def test_decisions_are_appended_with_who_and_when_and_can_be_withdrawn(project):
    decide(project, "Stress", "indirectness", -1, "students only", actor="lena")
    decide(project, "Stress", "indirectness", -2, "students, one campus", actor="rita")
    decide(project, None, "publication bias", 0, "  registry search:\n none found ", actor="ravi")
    [every, stress] = grade_decisions(project)
    assert (stress.outcome, stress.levels, stress.reason, stress.actor) == (
        "Stress",
        -2,
        "students, one campus",
        "rita",
    )
    assert (every.outcome, every.reason) == (None, "registry search: none found")
    withdraw(project, "Stress", "indirectness", actor="lena", reason="question widened")
    assert [d.domain for d in grade_decisions(project)] == ["publication bias"]
    history = decision_history(project)
    assert [(h.actor, h.levels) for h in history] == [
        ("lena", -1),
        ("rita", -2),
        ("ravi", 0),
        ("lena", None),
    ]
    assert all(h.at.tzinfo is not None for h in history)
    assert verify_study_log(project).intact


@pytest.mark.parametrize(
    ("domain", "levels", "reason", "message"),
    [
        ("indirectness", -1, "", "needs a footnote"),
        ("imprecise", -1, "x", "domain must be one of risk of bias"),
        ("imprecision", 1, "x", "levels must be 0, -1 or -2"),
    ],
)
def test_bad_decisions_are_refused_and_nothing_is_stored(project, domain, levels, reason, message):
    with pytest.raises(PlanError, match=message):
        decide(project, "Stress", domain, levels, reason, actor="lena")
    assert decision_history(project) == ()


def test_withdrawing_nothing_is_refused(project):
    with pytest.raises(PlanError, match="no decision on imprecision for 'Stress'"):
        withdraw(project, "Stress", "imprecision", actor="lena")


def test_the_next_run_rates_with_the_stored_decisions(project, tmp_path, shared_data):
    decide(project, "Perceived stress", "indirectness", -1, "students, not patients", actor="lena")
    decide(project, None, "publication bias", 0, "no registry gaps", actor="rita")
    plan = load_plan(_small_plan(tmp_path, shared_data))
    results = run_plan(with_decisions(plan, plan_entries(project)), jobs=1)
    (assessment,) = assess_review(results)
    rated = {d.domain: d for d in assessment.domains}
    assert (rated["indirectness"].levels, rated["indirectness"].footnote) == (
        -1,
        "students, not patients",
    )
    publication = rated["publication bias"]  # proposed -1 (Egger), rated back up by decision
    assert (publication.proposed, publication.levels, publication.footnote) == (
        -1,
        0,
        "no registry gaps",
    )
    plain = assess_review(run_plan(plan, jobs=1))[0]
    assert assessment.downgrade == plain.downgrade  # one level down, one level back up


def test_a_bad_entry_is_a_plan_error_naming_it(tmp_path, shared_data):
    plan = load_plan(_small_plan(tmp_path, shared_data))
    with pytest.raises(PlanError, match=r"GRADE decision 1 .*needs a footnote"):
        with_decisions(plan, [{"domain": "indirectness", "levels": -1, "footnote": " "}])


def _agreed_study(project, label: str, yi: float, outcome: str = "stress") -> int:
    number = add_study(project, label, actor="lena").number
    row = RowKey(1, 2, outcome, "post")
    enter(project, number, {Cell("yi", row=row): yi, Cell("vi", row=row): 0.04}, extractor="rita")
    submit(project, number, extractor="rita")
    return number


def test_graded_frame_joins_each_studys_agreed_risk_of_bias_for_the_outcome(project):
    set_extractors_required(project, 1, actor="lena")
    set_assessors_required(project, 1, actor="lena")
    for label, yi in (("Lee, 2020", 0.3), ("Ng, 2021", 0.5)):
        number = _agreed_study(project, label, yi)
        answers = dict(LOW, **{"1.2": "N"}) if label == "Ng, 2021" else LOW
        answer(project, number, "Stress", answers, assessor="ravi")
        if label == "Lee, 2020":
            submit_rob(project, number, "Stress", assessor="ravi")
    inputs = graded_frame(project)
    assert inputs.frame["grade_outcome"].tolist() == ["stress, post", "stress, post"]
    assert inputs.unjudged == ("Ng, 2021: stress, post",)
    assert "rob_overall" not in inputs.frame  # not part of the weight: not assessed at all
    submit_rob(project, 2, "Stress", assessor="ravi")
    inputs = graded_frame(project)
    assert inputs.unjudged == () and inputs.frame["rob_overall"].tolist() == ["Low", "High"]


def test_reviewers_rate_observational_evidence_up_never_above_high(project):
    from metareview.rob.grade import GradeDecision, OutcomeEvidence, grade

    ev = OutcomeEvidence("Mortality", "RR", k=6, participants=90000, estimate=-1.2,
                         ci_lower=-1.4, ci_upper=-1.0, i2=10.0, design="observational")  # fmt: skip
    assert grade(ev).certainty == "Low"
    decide(project, "Mortality", "large effect", 2, "RR 0.30, consistent", actor="lena")
    decide(project, "Mortality", "dose-response", 1, "gradient over 3 doses", actor="rita")
    decisions = [d for _, d in decision_pairs(project)]
    rated = grade(ev, decisions)
    assert rated.certainty == "High"  # Low + 2 + 1, capped
    large = next(d for d in rated.domains if d.domain == "large effect")
    assert (large.proposed, large.levels, large.overridden) == (0, 2, True)
    assert "Large effect: RR 0.30, consistent" in rated.footnotes
    with pytest.raises(PlanError, match=r"levels of dose-response must be 0 or 1"):
        decide(project, "Mortality", "dose-response", 2, "steep", actor="lena")
    with pytest.raises(ValueError, match="levels of large effect must be 0 or 1 or 2"):
        GradeDecision("large effect", -1, "x")
    assert [d.domain for d in grade(ev).domains][-1] == "publication bias"  # none unless decided
