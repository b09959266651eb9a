"""The analysis's runs in the project store, on SQLite and PostgreSQL: the plan's versions
(append-only), one running run at a time across connections (as two processes would hold),
a dead run's row given up after STALE_AFTER, files and inputs kept (the PRISMA counts among
them, also on a run made before migration 0009, which reads as not recorded when it drew a
diagram), and the comparison of two runs' inputs, numbers and PRISMA counts."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text, update

from metareview.errors import RunInProgressError, StoreError
from metareview.plan.run_compare import (
    NO_DIAGRAM,
    NOT_RECORDED,
    RECORDED,
    compare_runs,
    number_changes,
    prisma_changes,
    table_changes,
)
from metareview.records.record import Record
from metareview.rob.prisma import PrismaCounts
from metareview.store import migrate
from metareview.store.analysis_inputs import prisma_csv
from metareview.store.analysis_runs import (
    PRISMA_PATH,
    STALE_AFTER,
    RunPrisma,
    current_plan,
    fail_run,
    finish_run,
    record_progress,
    recorded_prisma,
    run,
    run_file,
    run_inputs,
    run_paths,
    run_prisma,
    runs,
    save_plan,
    sha256_text,
    start_run,
)
from metareview.store.analysis_schema import analysis_runs
from metareview.store.project import Project
from metareview.store.review import configure, vote
from tests import stores

store_url = stores.store_url


def test_plan_versions_are_kept_and_never_changed(store_url):
    with Project.open(store_url) as project:
        assert current_plan(project) is None
        save_plan(project, "title = 'a'", actor="lena")
        second = save_plan(project, "title = 'b'", actor="lena")
        assert current_plan(project) == second and second.sha256 == sha256_text("title = 'b'")
        with pytest.raises(Exception, match="append-only"), project.engine.begin() as connection:
            connection.execute(text("UPDATE analysis_plans SET text = 'x'"))


def test_one_run_at_a_time_across_connections(store_url):
    with Project.open(store_url) as one, Project.open(store_url) as two:
        first = start_run(one, actor="lena", plan_text="p", extraction_csv="t", rob_csv="r")
        assert first.rob_sha256 == sha256_text("r")
        with pytest.raises(RunInProgressError, match="run 1, started by lena, is still running"):
            start_run(two, actor="rita", plan_text="p", extraction_csv="t")
        record_progress(one, first.id, "analyses", 3, 10)
        assert run(two, first.id).done == 3
        finish_run(one, first.id, {"results.json": b"{}", "report/index.html": b"<p>"})
        second = start_run(two, actor="rita", plan_text="p2", extraction_csv="t2")
        assert second.id == first.id + 1
        assert run_paths(two, first.id) == ("report/index.html", "results.json")
        assert run_file(two, first.id, "report/index.html") == b"<p>"
        assert run_file(two, first.id, "nothing") is None
        assert run_inputs(two, second.id).plan_text == "p2"
        fail_run(two, second.id, "stopped")
        with pytest.raises(StoreError, match="not running"):
            record_progress(two, second.id, "figures", 1, 2)
        assert [r.status for r in runs(one)] == ["failed", "done"]


def test_many_threads_start_one_run(store_url):
    with Project.open(store_url) as project:
        started, refused = [], []

        def attempt(who: str) -> None:
            with Project.open(store_url) as own:  # a connection of its own, as a process has
                try:
                    started.append(start_run(own, actor=who, plan_text="", extraction_csv=""))
                except RunInProgressError:
                    refused.append(who)

        threads = [threading.Thread(target=attempt, args=(f"r{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(started) == 1 and len(refused) == 3
        assert [r.status for r in runs(project)] == ["running"]


def test_a_dead_runs_row_is_given_up(store_url):
    with Project.open(store_url) as project:
        dead = start_run(project, actor="lena", plan_text="", extraction_csv="")
        long_ago = datetime.now(UTC) - STALE_AFTER * 2
        with project.engine.begin() as connection:
            connection.execute(update(analysis_runs).values(heartbeat_at=long_ago))
        fresh = start_run(project, actor="rita", plan_text="", extraction_csv="")
        assert run(project, dead.id).status == "failed"
        assert "abandoned" in run(project, dead.id).message
        assert run(project, fresh.id).status == "running"


def test_a_run_records_the_prisma_counts_it_draws_and_keeps_them(store_url):
    with Project.open(store_url) as project:
        empty = start_run(project, actor="lena", plan_text="p", extraction_csv="t")
        assert prisma_csv(project) == "" and empty.prisma_sha256 == ""  # no records: no diagram
        assert run_inputs(project, empty.id).prisma_csv == ""
        fail_run(project, empty.id, "stopped")
        records = [Record(title="A"), Record(title="B")]
        project.add_import("a.ris", records, actor="lena", source_database="PubMed")
        assert prisma_csv(project) == ""  # screening under way: the counts do not add up yet
        for who in ("rita", "ravi"):
            for record_id in (1, 2):
                vote(project, record_id, reviewer=who, stage="ta", decision="exclude")
        counts = prisma_csv(project)
        assert PrismaCounts.from_text(counts).records_screened == 2
        drawn = start_run(
            project, actor="lena", plan_text="p", extraction_csv="t", prisma_csv=counts
        )
        assert drawn.prisma_sha256 == sha256_text(counts) != ""
        assert run_inputs(project, drawn.id).prisma_csv == counts
        assert "prisma_csv" not in drawn.to_dict()  # the summary holds the hash, not the text
        assert run_prisma(project, drawn.id) == RunPrisma(True, drawn.prisma_sha256, "")
        finish_run(project, drawn.id, {"inputs/prisma.csv": counts.encode("utf-8")})
        kept = run_file(project, drawn.id, "inputs/prisma.csv")
        assert hashlib.sha256(kept).hexdigest() == run(project, drawn.id).prisma_sha256
        assert run_prisma(project, drawn.id) == RunPrisma(True, drawn.prisma_sha256, PRISMA_PATH)
        assert run_prisma(project, empty.id) == RunPrisma(False, "", "")
        assert not run_prisma(project, empty.id).drawn and run_prisma(project, drawn.id).drawn
        assert [r.prisma_sha256 for r in runs(project)] == [drawn.prisma_sha256, ""]


def test_a_run_made_before_0009_has_no_prisma_hash_after_the_upgrade(store_url):
    engine = create_engine(store_url if "://" in store_url else f"sqlite:///{store_url}")
    migrate.upgrade(engine, "0008")
    with engine.begin() as connection:
        for _ in range(2):  # the first drew no diagram, the second one from inputs/prisma.csv
            connection.execute(
                text(
                    "INSERT INTO analysis_runs (started_by, started_at, heartbeat_at, status, "
                    "message, stage, done, total, plan_text, plan_sha256, extraction_csv, "
                    "extraction_sha256, rob_csv, rob_sha256) VALUES ('lena', :at, :at, 'done', "
                    "'', 'done', 0, 0, 'p', :p, 't', :t, '', '')"
                ),
                {
                    "at": datetime(2026, 1, 1, tzinfo=UTC),
                    "p": sha256_text("p"),
                    "t": sha256_text("t"),
                },
            )
        connection.execute(
            text(
                "INSERT INTO analysis_run_files (run_id, path, sha256, content) "
                "VALUES (2, 'inputs/prisma.csv', :s, :c)"
            ),
            {"s": sha256_text("data,n\n"), "c": b"data,n\n"},
        )
    engine.dispose()
    with Project.open(store_url) as project:
        assert migrate.current_revision(project.engine) == migrate.head_revision()
        drew, old = runs(project)
        assert old.prisma_sha256 == "" and old.plan_sha256 == sha256_text("p")
        assert run_inputs(project, old.id).prisma_csv == ""
        assert drew.prisma_sha256 == "" and run_inputs(project, drew.id).prisma_csv == ""
        assert recorded_prisma(project, old.id) == ""  # no diagram: nothing to record
        assert recorded_prisma(project, drew.id) is None  # drew one, kept only as a file
        assert run_prisma(project, old.id) == RunPrisma(False, "", "")
        # what the run page shows: not recorded, the kept file and its SHA-256 as stored
        kept = RunPrisma(recorded=False, sha256=sha256_text("data,n\n"), path=PRISMA_PATH)
        assert run_prisma(project, drew.id) == kept and kept.drawn
        for reader in (recorded_prisma, run_prisma):
            with pytest.raises(StoreError, match="no run 9"):
                reader(project, 9)
        assert start_run(project, actor="rita", plan_text="", extraction_csv="").prisma_sha256 == ""


def _results(estimate: float, k: int = 3) -> dict:
    return {
        "analyses": [
            {
                "spec": {"id": "dep/post", "title": "Depression, Post-test"},
                "status": "ok",
                "model": "random",
                "result": {
                    "k": k,
                    "random": {"estimate": estimate, "ci_lower": -1.0, "ci_upper": 1.0},
                    "heterogeneity": {"tau2": 0.0, "i2": 0.0},
                },
            }
        ]
    }


def test_a_comparison_names_the_cells_keys_and_numbers_that_changed():
    before = "study,outcome,time,mean_arm1,n_arm1\nLee,dep,post,5.1,40\nNg,dep,post,4.8,35\n"
    after = "study,outcome,time,mean_arm1,n_arm1\nLee,dep,post,5.8,40\nOde,dep,post,5.0,50\n"
    changes = {(c.row[0], c.column, c.before, c.after) for c in table_changes(before, after)}
    assert ("Lee", "mean_arm1", "5.1", "5.8") in changes
    assert ("Ng", "n_arm1", "35", None) in changes and ("Ode", "mean_arm1", None, "5.0") in changes
    comparison = compare_runs(
        _results(0.2), _results(0.3), ('[settings]\nmeasure = "SMD"', before, "", ""),
        ('[settings]\nmeasure = "MD"', after, "Result,Study,D1\ndep,Lee,Low\n", ""),
    )  # fmt: skip
    assert [(n.name, n.before, n.after) for n in comparison.numbers] == [("estimate", 0.2, 0.3)]
    assert [p.key for p in comparison.plan] == ["settings.measure"]
    assert [(c.row, c.column) for c in comparison.rob] == [(("dep", "Lee"), "D1")]
    assert number_changes(_results(0.2), _results(0.2)) == []
    assert (comparison.prisma.before, comparison.prisma.differ) == (NO_DIAGRAM, False)


def _counts(**changes) -> str:
    flow = dict(
        database_results=1500, duplicates=300, records_screened=1200, records_excluded=1100,
        dbr_sought_reports=100, dbr_notretrieved_reports=0, dbr_assessed=100,
        dbr_excluded=(("Wrong population", 60), ("Not an RCT", 26)), new_studies=14,
        total_studies=14,
    )  # fmt: skip
    counts = PrismaCounts(**(flow | changes))
    counts.check()  # a diagram a run would draw
    return counts.to_csv()


def test_a_comparison_names_the_prisma_boxes_that_changed():
    earlier = _counts(
        database_results=1000, duplicates=300, records_screened=700, records_excluded=600,
        dbr_excluded=(("Wrong population", 62), ("Not an RCT", 26)), new_studies=12,
        total_studies=12,
    )  # fmt: skip
    same = prisma_changes(_counts(), _counts())
    assert (same.before, same.after, same.differ, same.boxes) == (RECORDED, RECORDED, False, ())

    changed = prisma_changes(earlier, _counts())
    assert changed.differ is True
    assert [(b.key, *b.counts()) for b in changed.boxes] == [
        ("database_results", "1,000", "1,500"),
        ("records_screened", "700", "1,200"),
        ("records_excluded", "600", "1,100"),
        ("dbr_excluded", "Wrong population, 62; Not an RCT, 26",
         "Wrong population, 60; Not an RCT, 26"),
        ("new_studies", "12", "14"),
        ("total_studies", "12", "14"),
    ]  # fmt: skip
    assert "Records screened (databases and registers): 700 → 1,200" in changed.text()
    assert changed.text().endswith("Total studies included in review: 12 → 14")
    # a count reported in one run only
    dropped = prisma_changes(_counts(), _counts(dbr_notretrieved_reports=None))
    assert [(b.box, *b.counts()) for b in dropped.boxes] == [
        ("Reports not retrieved (databases and registers)", "0", "not reported")
    ]

    # one side not recorded (a run made before migration 0009): not known, no boxes
    for pair in ((None, _counts()), (_counts(), None), (None, "")):
        unknown = prisma_changes(*pair)
        assert unknown.differ is None and unknown.boxes == ()
        assert NOT_RECORDED in (unknown.before, unknown.after)
    # a diagram drawn in one run only: they differ, with no box to compare
    drawn = prisma_changes("", _counts())
    assert (drawn.before, drawn.after, drawn.differ, drawn.boxes) == (
        NO_DIAGRAM, RECORDED, True, ()
    )  # fmt: skip
    assert prisma_changes("", "").differ is False


def test_a_semicolon_in_an_exclusion_reason_leaves_the_counts_readable(store_url):
    """A reviewer's full-text reason with a ';' (the PRISMA2020 list separator) once made
    the counts a run draws from unreadable, so every run failed."""
    with Project.open(store_url) as project:
        configure(project, actor="lena", exclusion_reasons=["Wrong dose; too low"])
        project.add_import("a.ris", [Record(title="A"), Record(title="B")], actor="lena")
        for who in ("rita", "ravi"):
            vote(project, 1, reviewer=who, stage="ta", decision="exclude")
            vote(project, 2, reviewer=who, stage="ta", decision="include")
        for who in ("rita", "ravi"):
            vote(
                project,
                2,
                reviewer=who,
                stage="ft",
                decision="exclude",
                reason="Wrong dose; too low",
            )
        counts = PrismaCounts.from_text(prisma_csv(project))
        assert counts.dbr_excluded == (("Wrong dose, too low", 1),)
