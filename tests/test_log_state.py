"""The store's folded log (``metareview.store.log_state``) always equals the log folded from
scratch, and the counts it follows vote by vote equal those counted again: whatever mix of votes, undos, resolutions, duplicates, stops, retrievals and settings
arrives, in whatever batches, and from whichever process wrote it."""

from __future__ import annotations

import random

import pytest

from metareview.errors import RecordsError
from metareview.records.record import Record
from metareview.records.screening import Stage, StageState, eligible_records
from metareview.store.project import Project
from metareview.store.review import (
    configure,
    decide_duplicate,
    mark_retrieval,
    other_method_records,
    resolve,
    resume_screening,
    stop_screening,
    undo_vote,
    vote,
)
from tests import stores

store_url = stores.store_url  # the fixture, once per backend
REVIEWERS = ("ana", "ben", "cleo")


def _expected(project: Project) -> dict:
    """What the folded log must hold, computed from the whole log by the pure rules."""
    events = project.events()
    required = int(project.setting("reviewers_required", 2))
    out = {}
    for stage in ("ta", "ft"):
        state = StageState.from_events(events, stage, required)
        pool = eligible_records(
            project.record_ids(), events, stage, required, other_method_records(project)
        )
        out[stage] = {
            "pool": pool,
            "complete": {r for r in state.votes if state.complete(r)},
            "unresolved": {
                r for r in state.votes if state.conflict_kind(r) and r not in state.resolutions
            },
            "voted_by": {
                who: {r for r, v in state.votes.items() if who in v} for who in state.reviewers()
            }
            | {who: {r for r, v in state.votes.items() if who in v} for who in REVIEWERS},
            "votes": state.votes,
            "required": state.required,
        }
        complete, voted_by = out[stage]["complete"], out[stage]["voted_by"]
        out[stage]["progress"] = {
            who: (len(complete & set(pool)), len(voted_by.get(who, set()) & set(pool)))
            for who in REVIEWERS
        }
        out[stage]["awaiting"] = {who: rs - complete for who, rs in voted_by.items()}
        out[stage]["open"] = [r for r in pool if r not in complete]
    return out


def _folded(project: Project) -> dict:
    log = project.log()
    out = {}
    for stage in ("ta", "ft"):
        state = log.stages[stage]
        out[stage] = {
            "pool": log.pool(stage),
            "complete": set(log.complete[stage]),
            "unresolved": set(log.unresolved[stage]),
            "voted_by": {who: set(log.voted_by[stage].get(who, set())) for who in REVIEWERS},
            "votes": state.votes,
            "required": state.required,
            "progress": {who: log.progress(stage, who) for who in REVIEWERS},  # kept, not counted
            "awaiting": {who: set(rs) for who, rs in log.awaiting[stage].items()},
            "open": list(log.open_records(stage)),  # kept, not recomputed
        }
    return out


def _comparable(snapshot: dict) -> dict:
    for stage in snapshot.values():
        for part in ("voted_by", "awaiting"):
            stage[part] = {who: rs for who, rs in stage[part].items() if rs}
    return snapshot


def _act(project: Project, rng: random.Random) -> None:
    """One random action, as a reviewer, lead or the CLI might take it (refusals are fine)."""
    ids = project.record_ids()
    record_id = rng.choice(ids)
    who = rng.choice(REVIEWERS)
    stage = rng.choice(["ta", "ta", "ta", "ft"])
    action = rng.random()
    try:
        if action < 0.55:
            decision = rng.choice(["include", "include", "exclude", "maybe"])
            reason = "wrong population" if stage == "ft" and decision == "exclude" else None
            vote(project, record_id, reviewer=who, stage=stage, decision=decision, reason=reason,
                 note=rng.choice([None, "a note"]))  # fmt: skip
        elif action < 0.65:
            undo_vote(project, reviewer=who, stage=stage)
        elif action < 0.75:
            open_conflicts = sorted(project.log().unresolved[stage]) or [record_id]
            resolve(project, rng.choice(open_conflicts), actor="lead", stage=stage,
                    decision="include", method="consensus", participants=("ana", "ben"))  # fmt: skip
        elif action < 0.8:
            decide_duplicate(project, record_id, rng.choice(ids), actor="lead",
                             duplicate=rng.random() < 0.5)  # fmt: skip
        elif action < 0.85:
            mark_retrieval(project, record_id, actor="lead",
                           status=rng.choice(["retrieved", "not_retrieved"]))  # fmt: skip
        elif action < 0.9:
            configure(project, actor="lead", reviewers_required=rng.choice([1, 2, 3]),
                      only_unvoted=True)  # fmt: skip
        elif action < 0.92:
            stop_screening(project, stage="ta", rule="test rule", by="lead")
        elif action < 0.96:
            resume_screening(project, stage="ta", by="lead")
        else:
            project.add_import("more.ris", [Record(title=f"more {rng.random()}")], actor="lead",
                               source_kind=rng.choice(["database", "website"]))  # fmt: skip
    except (RecordsError, ValueError):
        pass


@pytest.mark.parametrize("seed", [2, 5, 7])
def test_the_folded_log_equals_the_log_folded_from_scratch(store_url, seed):
    rng = random.Random(seed)
    with Project.open(store_url) as project, Project.open(store_url) as other:
        project.add_import("s.ris", [Record(title=f"trial {i}") for i in range(12)], actor="lead")
        for step in range(200):
            writer = other if step % 3 == 0 else project  # another process's writes, too
            _act(writer, rng)
            if step % 7 == 0:  # the reader catches up in batches of various sizes
                assert _comparable(_folded(project)) == _comparable(_expected(project)), step
        assert _comparable(_folded(project)) == _comparable(_expected(project))
        with Project.open(store_url) as fresh:  # and a reader that folds it all at once
            assert _comparable(_folded(fresh)) == _comparable(_folded(project))
        log = project.log()
        assert len(log.stages["ta"].votes) > 5 and log.stages["ft"].votes  # it did screen
        assert any(log.stages[s].resolutions for s in ("ta", "ft"))
    assert {s.value for s in Stage} == {"ta", "ft"}
