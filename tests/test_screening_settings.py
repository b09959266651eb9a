"""A change of reviewers_required neither reveals a blinded vote nor reopens a locked record."""

from __future__ import annotations

import json

import pytest

from metareview.errors import RecordsError
from metareview.records.record import Record
from metareview.store import Project
from metareview.store.review import configure, stage_state, vote
from tests import stores
from tests.test_records_cli import run

store_url = stores.store_url


def _project(url: str) -> Project:
    project = Project.open(url)
    project.add_import("s.ris", [Record(title=t) for t in ("A", "B", "C")], actor="lead")
    return project


def test_lowering_to_one_does_not_reveal_a_blinded_vote(store_url, tmp_path):
    with _project(store_url) as project:
        vote(project, 1, reviewer="ana", stage="ta", decision="include")
    refused = run("settings", store_url, "--reviewers-required", "1", "--by", "lead", check=False)
    assert refused.returncode == 2 and "screening has begun" in refused.stderr
    assert "--only-unvoted" in refused.stderr
    run("settings", store_url, "--reviewers-required", "1", "--only-unvoted", "--by", "lead")
    with Project.open(store_url) as project:
        state = stage_state(project, "ta")
        assert not state.complete(1) and state.visible_votes(1, "ben") == {}
        assert state.locked_votes() == {}
        vote(project, 2, reviewer="ana", stage="ta", decision="include")  # 1 vote now suffices
        assert stage_state(project, "ta").outcome(2) == "include"
    assert "ana" not in run("conflicts", store_url, "--all", "--json").stdout
    exported = run("export", store_url, "--stage", "ta", "-o", str(tmp_path / "ta.csv")).stdout
    assert "wrote 1 records" in exported  # record 2 only: record 1 still awaits ben


def test_raising_to_three_does_not_reopen_a_complete_conflict(store_url):
    with _project(store_url) as project:
        vote(project, 1, reviewer="ana", stage="ta", decision="include")
        vote(project, 1, reviewer="ben", stage="ta", decision="exclude")
        with pytest.raises(RecordsError, match="screening has begun"):
            configure(project, actor="lead", reviewers_required=3)
        configure(project, actor="lead", reviewers_required=3, only_unvoted=True)
        with pytest.raises(RecordsError, match="already has its 2 independent vote"):
            vote(project, 1, reviewer="cleo", stage="ta", decision="exclude")
        state = stage_state(project, "ta")
        assert [c.record_id for c in state.conflicts()] == [1]
        assert state.required_for(2) == 3
    conflicts = json.loads(run("conflicts", store_url, "--json").stdout)["conflicts"]
    assert [c["record_id"] for c in conflicts] == [1]


def test_before_screening_any_number_may_be_set(store_url):
    with _project(store_url) as project:
        assert configure(project, actor="lead", reviewers_required=1).reviewers_required == 1
        vote(project, 1, reviewer="ana", stage="ta", decision="exclude")
        assert stage_state(project, "ta").outcome(1) == "exclude"
