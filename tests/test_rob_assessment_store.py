"""Dual independent RoB 2 assessment in the project store (SQLite and PostgreSQL): answers,
live proposals, overrides with their justification, blinding, comparison, consensus, and the
robvis export with overrides flagged."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metareview.errors import DataError, ExtractionError
from metareview.rob.rob2 import assess
from metareview.rob.table import RobTable
from metareview.store import Project
from metareview.store.extraction import add_study
from metareview.store.rob_assessment import (
    agree_rob,
    agreed_rob,
    answer,
    compare_rob,
    rob_export,
    rob_progress,
    rob_view,
    set_assessors_required,
    set_rob_tool,
    submit_rob,
)
from metareview.store.study_log import verify_study_log
from tests import stores

store_url = stores.store_url
LOW = {"1.1": "Y", "1.2": "Y", "1.3": "N", "2.1": "N", "2.2": "N", "2.6": "Y", "3.1": "Y",
       "4.1": "N", "4.2": "N", "4.3": "N", "5.1": "Y", "5.2": "N", "5.3": "N"}  # fmt: skip
RESULT = "depressive symptoms"


def _studies(url: str) -> tuple[Project, list[int]]:
    project = Project.open(url)
    return project, [add_study(project, f"Trial {i}, 2020", actor="lead").number for i in (1, 2, 3)]


def test_dual_rob2_blinded_then_compared_agreed_and_exported(store_url, tmp_path):
    project, (one, two, three) = _studies(store_url)
    answer(project, one, RESULT, LOW, assessor="ana")
    answer(project, one, RESULT, {**LOW, "1.2": "NI", "1.3": "PN"}, assessor="ben")
    # live proposals from one's own answers only
    assert rob_view(project, one, RESULT, "ana").assessment.judgements["D1"].value == "Low"
    assert rob_view(project, one, RESULT, "ben").assessment.judgements["D1"].value == (
        "Some concerns"
    )
    assert rob_view(project, one, RESULT, "lead").items == {}
    submit_rob(project, one, RESULT, assessor="ana")
    with pytest.raises(ExtractionError, match="1 of 2 assessors submitted it"):
        compare_rob(project, one, RESULT)
    with pytest.raises(ExtractionError, match="not complete"):
        agree_rob(project, one, RESULT, "1.2", "Y", actor="lead")
    # an override needs a written justification; nothing is stored without one
    with pytest.raises(DataError, match="needs a justification"):
        answer(project, one, RESULT, {}, assessor="ben", overrides={"D1": ("Low", " ")})
    answer(
        project,
        one,
        RESULT,
        {},
        assessor="ben",
        overrides={"D1": ("Low", "central randomisation by the trials unit")},
    )
    submit_rob(project, one, RESULT, assessor="ben")

    comparison = compare_rob(project, one, RESULT)
    assert [item for item, *_ in comparison.differences] == ["1.2", "1.3", "D1 override"]
    assert comparison.judgements == {
        "ana": {"D1": "Low", "D2": "Low", "D3": "Low", "D4": "Low", "D5": "Low", "Overall": "Low"},
        "ben": {"D1": "Low", "D2": "Low", "D3": "Low", "D4": "Low", "D5": "Low", "Overall": "Low"},
    }
    assert agreed_rob(project, one, RESULT).unresolved == ("1.2", "1.3", "D1 override")
    agree_rob(project, one, RESULT, "1.2", "NI", actor="lead", agreed_by=["ana", "ben"])
    agree_rob(project, one, RESULT, "1.3", "PN", actor="lead", agreed_by=["ana", "ben"])
    agree_rob(
        project,
        one,
        RESULT,
        "D1 override",
        ("Low", "central randomisation by the trials unit"),
        actor="lead",
    )
    agreed = agreed_rob(project, one, RESULT).assessment
    expected = assess({**LOW, "1.2": "NI", "1.3": "PN"}, study="Trial 1, 2020")
    assert agreed.domains[0].proposed == expected.domains[0].proposed
    assert agreed.domains[0].overridden and agreed.judgements["D1"].value == "Low"

    # a second study assessed alike; a third not finished: left out, named
    set_done = {**LOW, "4.1": "Y"}
    for who in ("ana", "ben"):
        answer(project, two, RESULT, set_done, assessor=who)
        submit_rob(project, two, RESULT, assessor=who)
    answer(project, three, RESULT, {"1.1": "Y"}, assessor="ana")
    with pytest.raises(DataError, match=r"expected an answer Y/PY/PN/N/NI to 1\.2"):
        submit_rob(project, three, RESULT, assessor="ana")
    export = rob_export(project, RESULT)
    assert export.left_out == {"Trial 3, 2020": "not complete: 0 of 2 assessors submitted it"}
    path = export.table.to_robvis_csv(tmp_path / "rob.csv")
    read = RobTable.from_robvis(path)
    assert read.studies == ("Trial 1, 2020", "Trial 2, 2020")
    assert [j.value for j in read.overall] == ["Low", "High"]
    flagged = export.details[export.details["overridden"]]
    assert flagged[
        ["study", "domain", "proposed", "judgement", "justification"]
    ].values.tolist() == [
        ["Trial 1, 2020", "D1", "Some concerns", "Low", "central randomisation by the trials unit"]
    ]
    assert verify_study_log(project).intact


def test_who_may_assess_and_the_cluster_variant(store_url):
    project, (one, *_) = _studies(store_url)
    answer(project, one, RESULT, {"1.1": "Y"}, assessor="ana")
    with pytest.raises(
        ExtractionError, match="number of assessors per assessment can no longer change"
    ):
        set_assessors_required(project, 1, actor="lead")
    answer(project, one, RESULT, {"1.1": "Y"}, assessor="ben")
    with pytest.raises(ExtractionError, match=r"has its 2 assessor\(s\) already: ana, ben"):
        answer(project, one, RESULT, {"1.1": "Y"}, assessor="cleo")
    with pytest.raises(
        DataError, match=r"got 'NI', expected one of Y/PY/PN/N/NA for question 3\.2"
    ):
        answer(project, one, RESULT, {"3.2": "NI"}, assessor="ana")
    answer(project, one, RESULT, {**LOW, "1b.1": "Y", "cluster": True}, assessor="ana")
    view = rob_view(project, one, RESULT, "ana")
    assert [d.domain for d in view.domains] == ["D1", "D1b", "D2", "D3", "D4", "D5"]
    assert view.assessment.cluster
    assert rob_progress(project, one, "other outcome").assessors == ()


def test_dual_rob1_with_ahrq(store_url, tmp_path):
    project, (one, two, _) = _studies(store_url)
    set_rob_tool(project, "rob1", actor="lead")
    keys = ["sequence_generation", "allocation_concealment", "blinding_participants",
            "blinding_outcome", "incomplete_outcome", "selective_reporting", "other_bias"]  # fmt: skip
    low = dict.fromkeys(keys, "Low")
    with pytest.raises(DataError, match="expected a judgement Low, Unclear or High"):
        answer(project, one, RESULT, {"other_bias": "Some concerns"}, assessor="ana")
    answer(
        project,
        one,
        RESULT,
        {**low, "other_bias": "Unclear", "other_bias support": "baseline imbalance"},
        assessor="ana",
    )
    view = rob_view(project, one, RESULT, "ana")
    assert view.assessment.overall.value == "Unclear" and view.assessment.ahrq.rating == "fair"
    answer(project, one, RESULT, {**low, "other_bias": "High"}, assessor="ben")
    answer(project, one, RESULT, {"likely_biased": True}, assessor="ben")
    for who in ("ana", "ben"):
        submit_rob(project, one, RESULT, assessor=who)
    comparison = compare_rob(project, one, RESULT)
    assert [item for item, *_ in comparison.differences] == [
        "other_bias", "other_bias support", "likely_biased"
    ]  # fmt: skip
    assert comparison.judgements["ben"]["AHRQ"] == "poor"
    agree_rob(project, one, RESULT, "other_bias", "High", actor="lead", agreed_by=["ana", "ben"])
    agree_rob(project, one, RESULT, "other_bias support", "baseline imbalance", actor="lead")
    agree_rob(project, one, RESULT, "likely_biased", False, actor="lead")
    answer(project, two, RESULT, {"sequence_generation": "Low"}, assessor="ana")
    with pytest.raises(DataError, match=r"allocation_concealment'?: expected a judgement"):
        submit_rob(project, two, RESULT, assessor="ana")
    export = rob_export(project, RESULT)
    assert export.left_out == {"Trial 2, 2020": "not complete: 0 of 2 assessors submitted it"}
    frame = export.table.to_frame()
    assert frame.columns.tolist() == ["Study", "D1", "D2", "D3", "D4", "D5", "D6", "D7",
                                      "Overall", "Weight"]  # fmt: skip
    assert frame.iloc[0].tolist()[-3:] == ["High", "High", 1.0]
    ahrq = export.details[export.details["domain"] == "AHRQ"].iloc[0]
    assert ahrq["judgement"] == "fair" and "unlikely to have biased" in ahrq["rule"]
    support = export.details[export.details["domain"] == "other_bias"].iloc[0]["support"]
    assert support == "baseline imbalance"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ana", "ben"]),
            st.sampled_from(["1.1", "1.2", "2.1", "4.1"]),
            st.sampled_from(["Y", "PY", "PN", "N", "NI", ""]),
        ),
        max_size=10,
    )
)
def test_an_assessor_never_gets_the_others_answers_before_both_submit(entries):
    project = Project.open("sqlite://")
    study = add_study(project, "A", actor="lead").number
    latest: dict[str, dict[str, str]] = {"ana": {}, "ben": {}}
    for who, item, value in entries:
        answer(project, study, RESULT, {item: value}, assessor=who)
        if value:
            latest[who][item] = value
        else:
            latest[who].pop(item, None)
    for who in ("ana", "ben"):
        assert rob_view(project, study, RESULT, who).items == latest[who]
    with pytest.raises(ExtractionError):
        compare_rob(project, study, RESULT)
