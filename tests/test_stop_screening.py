"""Stopping title/abstract screening early by a rule: PRISMA's automation box, undo, closure."""

from __future__ import annotations

import json

import pytest

from metareview.errors import RecordsError
from metareview.records.record import Record
from metareview.rob.prisma import PrismaCounts
from metareview.store import Project
from metareview.store.review import configure, eligible, mark_retrieval, vote
from tests import stores
from tests.test_records_cli import run

store_url = stores.store_url
RULE = "SAFE: 50 irrelevant in a row"


def _half_screened(url: str) -> None:
    with Project.open(url) as project:
        project.add_import("s.ris", [Record(title=f"T{i}") for i in range(6)], actor="lead",
                           source_database="PubMed")  # fmt: skip
        configure(project, actor="lead", reviewers_required=1)
        vote(project, 1, reviewer="ana", stage="ta", decision="include")
        vote(project, 2, reviewer="ana", stage="ta", decision="exclude")


def test_stopped_records_fill_the_automation_box_and_the_flow_adds_up(store_url, tmp_path):
    _half_screened(store_url)
    before = run("prisma", store_url, "--diagram", str(tmp_path / "a.svg"), check=False)
    assert before.returncode == 2 and "reports sought for retrieval" in before.stderr
    out = run("stop-screening", store_url, "--stage", "ta", "--rule", RULE, "--by", "lead")
    assert "4 unscreened records set aside" in out.stdout
    flow = json.loads(run("prisma", store_url, "--json").stdout)
    assert flow["excluded_automatic"] == 4 and flow["records_screened"] == 2
    assert flow["records_excluded"] == 1 and flow["dbr_sought_reports"] == 1
    assert flow["ta_awaiting"] == 0
    run("prisma", store_url, "-o", str(tmp_path / "p.csv"), "--diagram", str(tmp_path / "p.svg"))
    counts = PrismaCounts.from_csv(tmp_path / "p.csv")
    assert counts.excluded_automatic == 4 and counts.check().checked  # (raises if one fails)
    with Project.open(store_url) as project:
        stop = next(e for e in project.events() if e.kind.value == "stop_screening")
        assert (stop.value, stop.actor, stop.data["records"]) == (RULE, "lead", [3, 4, 5, 6])
        assert eligible(project, "ta") == (1, 2)
        with pytest.raises(RecordsError, match="set aside when screening stopped"):
            vote(project, 3, reviewer="ana", stage="ta", decision="include")


def test_a_stop_is_undone_until_full_text_work_begins(store_url):
    _half_screened(store_url)
    run("stop-screening", store_url, "--rule", RULE, "--by", "lead")
    again = run("stop-screening", store_url, "--rule", RULE, check=False)
    assert again.returncode == 2 and "already stopped" in again.stderr
    assert "resumed" in run("stop-screening", store_url, "--undo", "--by", "lead").stdout
    flow = json.loads(run("prisma", store_url, "--json").stdout)
    assert flow["excluded_automatic"] == 0 and flow["ta_awaiting"] == 4
    run("stop-screening", store_url, "--rule", RULE, "--by", "lead")
    with Project.open(store_url) as project:
        mark_retrieval(project, 1, actor="lead", status="retrieved")  # full-text work begins
    closed = run("stop-screening", store_url, "--undo", check=False)
    assert closed.returncode == 2 and "can no longer be undone" in closed.stderr


def test_only_title_abstract_can_be_stopped_and_a_rule_is_needed(store_url):
    _half_screened(store_url)
    assert (
        run("stop-screening", store_url, "--stage", "ft", "--rule", RULE, check=False).returncode
        == 2
    )
    no_rule = run("stop-screening", store_url, check=False)
    assert no_rule.returncode == 2 and "--rule" in no_rule.stderr
