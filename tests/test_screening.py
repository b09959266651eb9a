"""Blinded screening rules: votes, blinding, conflicts, resolutions, full-text reasons."""

from __future__ import annotations

import pytest

from metareview.errors import RecordsError
from metareview.records.record import Record
from metareview.records.screening import DEFAULT_EXCLUSION_REASONS, StageState
from metareview.store import Project
from metareview.store.review import (
    configure,
    decide_duplicate,
    eligible,
    log_duplicates,
    mark_retrieval,
    resolve,
    stage_state,
    undo_vote,
    vote,
)
from tests import stores

store_url = stores.store_url  # the fixture, once per backend


@pytest.fixture
def project(tmp_path):
    with Project.open(tmp_path / "p.mrproj") as opened:
        opened.add_import("a.ris", [Record(title=f"t{i}") for i in range(6)], actor="lead")
        yield opened


def screen(project, stage, votes, reasons=None):
    for who, decisions in votes.items():
        for record_id, decision in decisions.items():
            reason = (reasons or {}).get((who, record_id))
            vote(project, record_id, reviewer=who, stage=stage, decision=decision, reason=reason)


def test_reviewers_are_blind_until_both_voted(project):
    vote(project, 1, reviewer="ana", stage="ta", decision="include")
    state = stage_state(project, "ta")
    assert state.visible_votes(1, viewer="ben") == {}
    assert state.visible_votes(1, viewer="ana") == {"ana": "include"}
    assert state.outcome(1) == "pending"
    vote(project, 1, reviewer="ben", stage="ta", decision="exclude")
    state = stage_state(project, "ta")
    assert state.visible_votes(1, viewer="ana") == {"ana": "include", "ben": "exclude"}


def test_a_reviewer_may_change_a_vote_until_the_record_is_complete(project):
    vote(project, 1, reviewer="ana", stage="ta", decision="include")
    vote(project, 1, reviewer="ana", stage="ta", decision="exclude")
    vote(project, 1, reviewer="ben", stage="ta", decision="exclude")
    assert stage_state(project, "ta").outcome(1) == "exclude"
    with pytest.raises(RecordsError, match="locked"):
        vote(project, 1, reviewer="ana", stage="ta", decision="include")
    assert len(project.events("decision")) == 3  # the changed vote is still in the log


def test_undo_withdraws_the_latest_standing_vote_and_is_logged(project):
    vote(project, 1, reviewer="ana", stage="ta", decision="include")
    vote(project, 2, reviewer="ana", stage="ta", decision="exclude")
    vote(project, 3, reviewer="ben", stage="ta", decision="exclude")  # ben's own, untouched
    first = undo_vote(project, reviewer="ana", stage="ta")
    assert (first.record_id, first.data["vote"]) == (2, "exclude")
    second = undo_vote(project, reviewer="ana", stage="ta")  # again: one further back
    assert (second.record_id, second.data["vote"]) == (1, "include")
    state = stage_state(project, "ta")
    assert state.votes == {3: {"ben": "exclude"}}
    assert 1 in eligible(project, "ta") and state.outcome(1) == "pending"
    with pytest.raises(RecordsError, match="ana has no vote to undo at stage ta"):
        undo_vote(project, reviewer="ana", stage="ta")
    # the latest decision counts: a new vote after the undo conflicts with ben's
    vote(project, 3, reviewer="ana", stage="ta", decision="include")
    assert [c.record_id for c in stage_state(project, "ta").conflicts()] == [3]
    assert len(project.events("decision")) == 4 and len(project.events("undo")) == 2
    # complete votes are locked and visible: no undo after the other reviewer has seen them
    with pytest.raises(RecordsError, match="locked"):
        undo_vote(project, reviewer="ana", stage="ta")
    assert stage_state(project, "ft").votes == {}  # an undo belongs to its stage


def test_conflicts_and_their_resolution_record_who_and_how(project):
    screen(
        project,
        "ta",
        {
            "ana": {1: "include", 2: "exclude", 3: "maybe"},
            "ben": {1: "exclude", 2: "exclude", 3: "maybe"},
        },
    )
    state = stage_state(project, "ta")
    assert [c.record_id for c in state.conflicts()] == [1]
    assert state.outcome(2) == "exclude" and state.outcome(3) == "maybe"
    with pytest.raises(RecordsError, match="must be someone else"):
        resolve(project, 1, actor="ana", stage="ta", decision="include", method="third_reviewer")
    with pytest.raises(RecordsError, match="must include ben"):
        resolve(project, 1, actor="ana", stage="ta", decision="include", method="consensus")
    with pytest.raises(RecordsError, match="no conflict"):
        resolve(project, 2, actor="cleo", stage="ta", decision="include", method="third_reviewer")
    resolve(
        project,
        1,
        actor="ana",
        stage="ta",
        decision="include",
        method="consensus",
        participants=["ben"],
    )
    conflict = stage_state(project, "ta").conflicts()[0]
    assert conflict.resolution.method == "consensus"
    assert conflict.resolution.participants == ("ana", "ben")
    assert stage_state(project, "ta").outcome(1) == "include"
    with pytest.raises(RecordsError, match="already resolved by ana"):
        resolve(project, 1, actor="cleo", stage="ta", decision="exclude", method="third_reviewer")


def test_full_text_needs_passed_records_and_listed_reasons(project):
    screen(
        project,
        "ta",
        {
            "ana": {1: "include", 2: "maybe", 3: "exclude", 4: "include"},
            "ben": {1: "include", 2: "maybe", 3: "exclude", 4: "include"},
        },
    )
    assert eligible(project, "ft") == (1, 2, 4)
    with pytest.raises(RecordsError, match="not up for screening"):
        vote(project, 3, reviewer="ana", stage="ft", decision="include")
    with pytest.raises(RecordsError, match="needs a reason"):
        vote(project, 1, reviewer="ana", stage="ft", decision="exclude")
    with pytest.raises(RecordsError, match="only a full-text exclusion"):
        vote(project, 1, reviewer="ana", stage="ft", decision="include", reason="wrong setting")
    mark_retrieval(project, 4, actor="lib", status="not_retrieved")
    assert eligible(project, "ft") == (1, 2)
    reason = DEFAULT_EXCLUSION_REASONS[0]
    screen(
        project,
        "ft",
        {"ana": {1: "exclude", 2: "maybe"}, "ben": {1: "exclude", 2: "maybe"}},
        reasons={("ana", 1): reason, ("ben", 1): "wrong outcomes"},
    )
    kinds = {c.record_id: c.kind for c in stage_state(project, "ft").conflicts()}
    assert kinds == {1: "reason", 2: "maybe"}
    resolve(
        project,
        1,
        actor="cleo",
        stage="ft",
        decision="exclude",
        method="third_reviewer",
        reason=reason,
    )
    assert stage_state(project, "ft").exclusion_reason(1) == reason


def test_exclusion_reasons_are_configurable(project):
    configure(project, actor="lead", exclusion_reasons=["not an RCT", "adults only"])
    screen(project, "ta", {"ana": {1: "include"}, "ben": {1: "include"}})
    with pytest.raises(RecordsError, match="not an RCT; adults only"):
        vote(project, 1, reviewer="ana", stage="ft", decision="exclude", reason="wrong setting")
    vote(project, 1, reviewer="ana", stage="ft", decision="exclude", reason="not an RCT")


def test_one_reviewer_mode_and_three_reviewer_mode(project):
    configure(project, actor="lead", reviewers_required=1)
    vote(project, 1, reviewer="ana", stage="ta", decision="include")
    assert stage_state(project, "ta").outcome(1) == "include"
    configure(project, actor="lead", reviewers_required=3, only_unvoted=True)  # (begun)
    screen(project, "ta", {"ana": {2: "include"}, "ben": {2: "include"}})
    assert stage_state(project, "ta").outcome(2) == "pending"
    assert stage_state(project, "ta").outcome(1) == "include"  # decided under one reviewer


def test_duplicates_leave_screening_and_maybe_pairs_wait(project):
    log_duplicates(
        project,
        actor="dedup",
        merged=[(2, 1, {"score": 1.0})],
        maybe=[(4, 3, {"score": 0.8, "reasons": ["title"]})],
    )
    assert eligible(project, "ta") == (1, 3, 4, 5, 6)
    with pytest.raises(RecordsError, match="not up for screening"):
        vote(project, 2, reviewer="ana", stage="ta", decision="include")
    decide_duplicate(project, 4, 3, actor="ana", duplicate=True)
    assert eligible(project, "ta") == (1, 3, 5, 6)
    decide_duplicate(project, 2, 1, actor="ana", duplicate=False)  # undo a merge
    assert 2 in eligible(project, "ta")


def test_unknown_vocabulary_names_the_choices(project):
    with pytest.raises(ValueError, match="decision must be one of include, exclude, maybe"):
        vote(project, 1, reviewer="ana", stage="ta", decision="yes")
    with pytest.raises(ValueError, match="stage must be one of ta, ft"):
        StageState.from_events([], "abstract")


def test_the_rules_hold_on_postgresql_too(store_url):
    with Project.open(store_url) as project:
        project.add_import("a.ris", [Record(title="a"), Record(title="b")], actor="lead")
        screen(
            project,
            "ta",
            {"ana": {1: "include", 2: "exclude"}, "ben": {1: "exclude", 2: "exclude"}},
        )
        resolve(project, 1, actor="cleo", stage="ta", decision="include", method="third_reviewer")
        state = stage_state(project, "ta")
        assert (state.outcome(1), state.outcome(2)) == ("include", "exclude")
        vote(project, 1, reviewer="ana", stage="ft", decision="include")
        assert undo_vote(project, reviewer="ana", stage="ft").data["vote"] == "include"
        assert stage_state(project, "ft").votes == {}
