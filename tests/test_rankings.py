"""Background active-learning rankings (``metareview.store.rankings``): the child process that
``metareview serve`` trains in gives the same order as training on a thread, follows new
votes, survives being killed, and ends with the workspace; a ranking that fails is remembered
with why, per reviewer and stage, until one succeeds."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from metareview.errors import ExtraNotInstalledError
from metareview.records import embeddings
from metareview.records.active_learning import Ranker, own_vote_order, record_text
from metareview.records.record import Record
from metareview.store import rankings as rankings_module
from metareview.store.accounts import add_account
from metareview.store.project import Project
from metareview.store.rankings import Rankings
from metareview.store.review import configure, vote
from tests import stores

store_url = stores.store_url  # the fixture, once per backend
TITLES = [
    "randomised trial of exercise for depression",
    "a history of hospital architecture",
    "exercise therapy trial in depressed adults",
    "survey of hospital managers",
    "group exercise for depressive symptoms",
    "architecture of medieval hospitals",
    "yoga and running for low mood: a trial",
]


def _wait_for(rankings: Rankings, reviewer: str, previous=None, attempts: int = 1200):
    """The reviewer's order once one (other than ``previous``) is there (polls; a slow
    machine only makes this take longer)."""
    for _ in range(attempts):
        order = rankings.order(reviewer, "ta")
        if order is not None and (previous is None or list(order) != previous):
            return list(order)
        time.sleep(0.05)
    raise AssertionError(f"no ranking for {reviewer} after {attempts} polls")


def _with_anas_votes(project: Project) -> tuple[int, ...]:
    """The ids of :data:`TITLES`, imported, ana having included the first and excluded the
    second."""
    ids = project.add_import("s.ris", [Record(title=t) for t in TITLES], actor="lead").record_ids
    vote(project, ids[0], reviewer="ana", stage="ta", decision="include")
    vote(project, ids[1], reviewer="ana", stage="ta", decision="exclude")
    return ids


def test_the_ranking_process_orders_as_the_thread_does_and_follows_votes(store_url):
    with Project.open(store_url) as project:
        ids = _with_anas_votes(project)
        vote(project, ids[3], reviewer="ben", stage="ta", decision="include")  # not ana's
        in_thread, in_child = Rankings(project), Rankings(project, separate_process=True)
        try:
            for rankings in (in_thread, in_child):
                rankings.refresh("ana", "ta")
            by_thread, by_child = _wait_for(in_thread, "ana"), _wait_for(in_child, "ana")
            ranker = Ranker([record_text(t, None) for t in TITLES])
            expected = own_vote_order(ranker, ids, {ids[0]: "include", ids[1]: "exclude"})
            assert by_child == by_thread == list(expected)
            assert set(by_child[:2]) == {ids[2], ids[4]}  # the exercise records first

            vote(project, ids[2], reviewer="ana", stage="ta", decision="include")
            in_child.refresh("ana", "ta")
            after = _wait_for(in_child, "ana", previous=by_child)
            assert ids[2] not in after and sorted(after) == sorted(set(ids) - set(ids[:3]))

            child = in_child._child
            child.kill()  # a ranking process that dies is started again on the next vote
            child.join()
            vote(project, ids[4], reviewer="ana", stage="ta", decision="exclude")
            for _ in range(3):  # the first call may be the one that finds the child gone
                in_child.refresh("ana", "ta")
                time.sleep(0.2)
            again = _wait_for(in_child, "ana", previous=after)
            assert ids[4] not in again and in_child._child is not child
            child = in_child._child
        finally:
            in_thread.close()
            in_child.close()
        assert not child.is_alive()


def test_a_project_in_memory_ranks_on_the_thread():
    project = Project.open("sqlite://")
    project.add_import("s.ris", [Record(title=t) for t in TITLES[:3]], actor="lead")
    rankings = Rankings(project, separate_process=True)
    rankings.refresh("ana", "ta")
    assert _wait_for(rankings, "ana") == [1, 2, 3]
    assert rankings._child is None
    rankings.close()


def _wait_for_failure(rankings: Rankings, reviewer: str, stage: str, attempts: int = 1200):
    """The reviewer's latest failed ranking at ``stage`` once there is one (polls)."""
    for _ in range(attempts):
        failed = rankings.failure(reviewer, stage)
        if failed is not None:
            return failed
        time.sleep(0.05)
    raise AssertionError(f"no failed ranking for {reviewer} after {attempts} polls")


def test_a_failed_ranking_is_remembered_with_why_and_cleared_by_a_later_success(
    store_url, monkeypatch
):
    """minilm with no cached vectors and without the extra cannot rank: the failure says why
    (in one line), for that reviewer and stage only, and goes when a ranking succeeds."""

    def refuse(threads=None):
        raise ExtraNotInstalledError(embeddings.INSTALL_HINT)

    monkeypatch.setattr(embeddings, "load_encoder", refuse)
    monkeypatch.setattr(embeddings, "extra_installed", lambda: False)
    with Project.open(store_url) as project:
        ids = _with_anas_votes(project)
        configure(project, actor="lead", ranking_model="minilm")
        rankings = Rankings(project)
        try:
            before = datetime.now(UTC)
            rankings.refresh("ana", "ta")
            failed = _wait_for_failure(rankings, "ana", "ta")
            assert (failed.reviewer, failed.stage) == ("ana", "ta")
            assert before <= failed.at <= datetime.now(UTC)
            assert "7 of 7 records have no all-MiniLM-L6-v2 vector yet" in failed.reason
            assert "metareview records embed" in failed.reason
            assert "\n" not in failed.reason and "Traceback" not in failed.reason
            assert rankings.order("ana", "ta") is None  # the queue keeps its (no) order
            assert rankings.failure("ben", "ta") is None and rankings.failure("ana", "ft") is None
            assert rankings.failures() == [failed]

            configure(project, actor="lead", ranking_model="svm")
            rankings.refresh("ana", "ta")
            assert len(_wait_for(rankings, "ana")) == len(ids) - 2
            assert rankings.failure("ana", "ta") is None and rankings.failures() == []
        finally:
            rankings.close()


def test_the_screening_only_failures_read_the_accounts_only_when_something_failed(
    store_url, monkeypatch
):
    """With nothing failed the answer is the same (none) and the accounts are not read; once a
    ranking fails they are, and the failure of a member who can screen is listed."""
    reads = []
    members = rankings_module.active_members

    def counted(project, **kwargs):
        reads.append(kwargs)
        return members(project, **kwargs)

    monkeypatch.setattr(rankings_module, "active_members", counted)
    with Project.open(store_url) as project:
        project.add_import("s.ris", [Record(title=TITLES[0])], actor="lead")
        add_account(project, "ana", "tiger lily 1947", role="reviewer")
        rankings = Rankings(project)
        try:
            assert rankings.failures(screening_only=True) == rankings.failures() == []
            assert reads == []
            rankings.refresh("ana", "xx")  # no such stage: this ranking fails
            failed = _wait_for_failure(rankings, "ana", "xx")
            assert rankings.failures(screening_only=True) == [failed]
            assert len(reads) == 1
        finally:
            rankings.close()


def test_a_failure_in_the_ranking_process_comes_back_as_its_one_line_reason(tmp_path):
    with Project.open(str(tmp_path / "p.mrproj")) as project:
        project.add_import("s.ris", [Record(title=t) for t in TITLES[:3]], actor="lead")
        rankings = Rankings(project, separate_process=True)
        try:
            rankings.refresh("ana", "xx")  # no such stage: the child's ranking fails
            failed = _wait_for_failure(rankings, "ana", "xx")
            assert failed.reason == "'xx' is not a valid Stage"
            assert rankings._child.is_alive()  # the child keeps serving
        finally:
            rankings.close()
