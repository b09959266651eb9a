"""`metareview records` commands one by one: JSON shapes, errors, the terminal screen."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import termios
import time

import pandas as pd
import pytest
from rich.console import Console

from metareview.cli.records_screen import show_record
from metareview.records.embeddings import extra_installed
from metareview.records.record import Record
from metareview.store import Project
from tests.conftest import REPO
from tests.test_records_cli import run as run_records


def run(*args: str) -> tuple[int, str, str]:
    """`metareview records ARGS` whatever its exit code: (exit code, stdout, stderr)."""
    ran = run_records(*args, check=False)
    return ran.returncode, ran.stdout, ran.stderr


EXERCISE = [
    "TY  - JOUR",
    "TI  - Exercise for depression: a randomised trial",
    "AU  - Smit, D.",
    "PY  - 2020",
    "DO  - 10.1000/ex.1",
    "AB  - Exercise reduced depressive symptoms in adults.",
    "ER  - ",
    "",
]
ARCHITECTURE = ["TY  - JOUR", "TI  - Hospital architecture", "PY  - 2019", "ER  - ", ""]
RIS = "\n".join(EXERCISE + ARCHITECTURE + EXERCISE)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "hits.ris").write_text(RIS)
    path = str(tmp_path / "p.mrproj")
    code, out, err = run("import", path, str(tmp_path / "hits.ris"), "--source", "Embase", "--json")
    assert code == 0, err
    assert json.loads(out)["files"][0]["records"] == 3
    return path


def test_dedup_removes_the_exact_duplicate_and_is_idempotent(project):
    first = json.loads(run("dedup", project, "--json")[1])
    assert first == {"records": 3, "duplicate_groups": 1, "removed": 1, "maybe": 0}
    assert json.loads(run("dedup", project, "--json")[1]) == first
    flow = json.loads(run("prisma", project, "--json")[1])
    assert (flow["database_results"], flow["duplicates"], flow["records_screened"]) == (3, 1, 2)
    assert flow["ta_awaiting"] == 2  # nothing screened yet: counted, not hidden


def test_settings_change_the_reasons_and_are_logged(project):
    code, out, _ = run(
        "settings",
        project,
        "--reason",
        "not an RCT",
        "--reason",
        "adults",
        "--reviewers-required",
        "1",
        "--highlight",
        "randomised",
        "--json",
    )
    assert code == 0
    assert json.loads(out) == {
        "reviewers_required": 1,
        "exclusion_reasons": ["not an RCT", "adults"],
        "highlight_include": ["randomised"],
        "highlight_exclude": [],
        # the model the project started with (tests/test_starting_ranking_model.py)
        "ranking_model": "minilm" if extra_installed() else "svm",
    }


def test_errors_are_one_line_with_exit_2(project, tmp_path):
    code, _, err = run("agreement", project)
    assert code == 2 and "two reviewers" in err and err.count("\n") == 1
    code, _, err = run("conflicts", str(tmp_path / "missing.mrproj"))
    assert code == 2 and "no such project" in err
    code, _, err = run("resolve", project, "include", "1", "--by", "cleo")
    assert code == 2 and "no conflict" in err
    code, _, err = run("retrieval", project, "1", "--not-retrieved")
    assert code == 2 and "did not pass title/abstract" in err


def test_import_reports_malformed_entries_by_line(tmp_path):
    bad = tmp_path / "bad.ris"
    bad.write_text("TY  - JOUR\nTI  - Fine\nER  - \n\nthis is not RIS at all\nTI  - orphan\n")
    code, out, _ = run("import", str(tmp_path / "p.mrproj"), str(bad), "--json")
    assert code == 0
    report = json.loads(out)["files"][0]
    assert report["records"] == 1
    assert report["errors"] and all(e["line"] for e in report["errors"])


def test_simulate_prints_the_documented_keys(shared_data, tmp_path):
    code, out, err = run(
        "simulate",
        str(shared_data / "synergy" / "Donners_2021.csv.gz"),
        "--seed",
        "2",
        "--batch",
        "10",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert {"records", "relevant", "wss95", "rrf10", "atd", "loss", "recall_curve"} <= set(result)
    assert (result["records"], result["relevant"]) == (256, 14)
    assert all(0 <= result[k] <= 1 for k in ("rrf10", "atd", "loss"))
    assert len(result["recall_curve"]) == 256 and result["recall_curve"][-1] == 1.0


def test_simulate_names_a_bad_label_row(tmp_path):
    data = tmp_path / "labels.csv"
    pd.DataFrame({"title": ["a", "b", "c"], "label_included": [1, "yes", 0]}).to_csv(
        data, index=False
    )
    code, _, err = run("simulate", str(data))
    assert code == 2 and "row 3" in err and "'label_included'" in err and "0 or 1" in err


def test_record_panel_highlights_terms_in_colour():
    console = Console(record=True, force_terminal=True, width=80, color_system="standard")
    record = Record(title="Exercise trial", abstract="Exercise helps; mice were used.")
    show_record(console, 7, record, "ta · ana", (("exercise",), ("mice",)))
    text = console.export_text(styles=True)
    assert "record 7" in text and "ta · ana" in text
    assert "\x1b[1;32mExercise" in text  # bold green, case-insensitive
    assert "\x1b[1;31mmice" in text  # bold red


def _raw_mode(fd: int) -> bool:
    """Whether the terminal waits for single keys (a key sent earlier would be flushed)."""
    return not termios.tcgetattr(fd)[3] & termios.ICANON


def test_screen_reads_single_keys_from_a_terminal(project):
    """A real pseudo-terminal: keys are read one by one, without Enter."""
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "80"}
    process = subprocess.Popen(
        [sys.executable, "-m", "metareview", "records", "screen", project, "--reviewer", "ana"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    shown, sent = b"", []
    deadline = time.monotonic() + 600  # a hang guard only (a loaded machine is slow)
    while process.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                shown += os.read(master, 4096)
            except OSError:
                break
        if shown.count(b"[q]uit: ") > len(sent) and _raw_mode(master):
            key = b"i" if not sent else b"q"
            os.write(master, key)
            sent.append(key)
    if process.poll() is None:
        process.kill()
    process.wait()
    while select.select([master], [], [], 0.2)[0]:  # what it wrote before exiting
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert process.returncode == 0, shown.decode(errors="replace")
    assert sent == [b"i", b"q"]
    assert b"1 vote(s) recorded for ana" in shown
    assert "╭".encode() in shown  # the terminal gets the panel


def test_screen_undo_takes_back_the_last_vote(project, monkeypatch):
    """ana includes record 1 by mistake, presses u, and the record comes back for her vote."""
    monkeypatch.setattr("sys.stdin", io.StringIO("u\ni\nu\ne\nq\n"))
    code, out, _ = run("screen", project, "--reviewer", "ana")
    assert code == 0
    assert "nothing undone: ana has no vote to undo at stage ta" in out
    assert "undone: your vote 'include' on record 1" in out
    shown = re.findall(r"--- record (\d+) ", out)
    # u: nothing to undo; i on 1; u on 2 brings 1 back; e on 1; q on 2
    assert shown == ["1", "1", "2", "1", "2"]
    assert "2 vote(s) recorded for ana, 1 undone." in out
    kinds = [(e.kind.value, e.record_id, e.value) for e in Project.open(project).events()]
    assert kinds[-3:] == [("decision", 1, "include"), ("undo", 1, None), ("decision", 1, "exclude")]
    monkeypatch.setattr("sys.stdin", io.StringIO("i\n"))
    assert run("screen", project, "--reviewer", "ben", "--limit", "1")[0] == 0
    listed = json.loads(run("conflicts", project, "--json")[1])["conflicts"]
    assert [(c["record_id"], c["votes"]) for c in listed] == [
        (1, {"ana": "exclude", "ben": "include"})
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("u\nq\n"))
    out = run("screen", project, "--reviewer", "ana")[1]
    assert "nothing undone: record 1 already has its 2 independent vote(s)" in out


def test_dedup_review_asks_a_person_and_remembers(project, monkeypatch, tmp_path):
    """A near-duplicate (same title and year, no DOI, different journal) waits for a person."""
    near = tmp_path / "near.ris"
    near.write_text(
        "\n".join(
            [
                "TY  - JOUR",
                "TI  - Hospital architecture",
                "PY  - 2019",
                "JO  - Some Other Journal",
                "ER  - ",
                "",
            ]
        )
    )
    run("import", project, str(near), "--source", "MEDLINE")
    waiting = json.loads(run("dedup", project, "--json")[1])
    assert (waiting["removed"], waiting["maybe"]) == (1, 1)  # the exact copy; the near one
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n" * waiting["maybe"]))
    code, out, _ = run("dedup", project, "--review", "--json")
    assert code == 0
    assert "Same record?" in out
    reviewed = json.loads(out[out.index("{") :])
    assert reviewed["maybe"] == 0 and reviewed["removed"] == waiting["removed"] + 1
    again = json.loads(run("dedup", project, "--json")[1])  # the decision is kept
    assert again == reviewed


def test_screen_conflict_consensus_and_csv_export(project, monkeypatch, tmp_path):
    for who, key in (("ana", "i"), ("ben", "e")):  # both see record 1 first (import order)
        monkeypatch.setattr("sys.stdin", io.StringIO(f"{key}\n"))
        code, out, _ = run("screen", project, "--reviewer", who, "--limit", "1")
        assert code == 0 and "--- record 1 " in out and "1 vote(s) recorded" in out
    listed = json.loads(run("conflicts", project, "--json")[1])["conflicts"]
    assert [(c["record_id"], c["votes"]) for c in listed] == [
        (1, {"ana": "include", "ben": "exclude"})
    ]
    code, _, err = run("resolve", project, "include", "1", "--by", "ana", "--consensus", "cleo")
    assert code == 2 and "must include ben" in err
    code, out, err = run("resolve", project, "include", "1", "--by", "ana", "--consensus", "ben")
    assert code == 0, err
    assert "consensus by ana, ben" in out
    out_file = tmp_path / "passed.csv"
    assert run("export", project, "-o", str(out_file), "--stage", "ta")[0] == 0
    exported = pd.read_csv(out_file)
    assert exported["record_id"].tolist() == [1]
    assert exported.loc[0, "title"].startswith("Exercise for depression")
    assert exported.loc[0, "authors"] == "Smit, D."


def test_agreement_keeps_votes_on_incomplete_records_blinded(tmp_path):
    from metareview.store.review import configure, vote

    path = str(tmp_path / "p.mrproj")
    with Project.open(path) as project:
        project.add_import("a.ris", [Record(title=f"t{i}") for i in range(2)], actor="lead")
        configure(project, actor="lead", reviewers_required=3)
        for who in ("ana", "ben", "cleo"):  # record 1: complete and unanimous
            vote(project, 1, reviewer=who, stage="ta", decision="include")
        vote(project, 2, reviewer="ana", stage="ta", decision="include")  # cleo still to vote
        vote(project, 2, reviewer="ben", stage="ta", decision="exclude")
    code, out, err = run("agreement", path, "--reviewer", "ana", "--reviewer", "ben", "--json")
    assert code == 0, err
    stats = json.loads(out)
    # record 2 would show ana that ben disagreed (agreement 0.5 over two records)
    assert (stats["subjects"], stats["percent_agreement"]) == (1, 1.0)
    assert json.loads(run("agreement", path, "--json")[1])["raters"] == ["ana", "ben", "cleo"]
