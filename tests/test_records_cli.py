"""`metareview records …` end to end: two blinded reviewers screen a SYNERGY review through
the interactive terminal, with disagreements injected; conflicts, κ and PRISMA follow."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

import pandas as pd
import pytest
import rispy

from metareview.cli import main
from metareview.records.screening import DEFAULT_EXCLUSION_REASONS
from metareview.rob.prisma import PrismaCounts
from tests.conftest import REPO

ENV = {
    **os.environ,
    "PYTHONPATH": str(REPO / "src"),
    "PYTHONUNBUFFERED": "1",
    "COLUMNS": "100",
    "METAREVIEW_USER": "lead",
}
PROMPT, REASON_PROMPT = "[q]uit: ", "(q to cancel): "


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str, check: bool = True) -> Ran:
    """`metareview records ARGS` in this process, through the same entry point as the
    console script (one-line errors, exit codes); the interactive screens run as processes."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(["records", *args])
        except SystemExit as done:
            code = done.code or 0
    result = Ran(code, out.getvalue(), err.getvalue())
    if check:
        assert result.returncode == 0, result.stderr
    return result


def screen_as(
    project: str, reviewer: str, stage: str, decide: Callable[[int], tuple[str, int | None]]
) -> list[int]:
    """Drive `records screen` like a person: read each record shown, answer its key."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "metareview",
            "records",
            "screen",
            project,
            "--reviewer",
            reviewer,
            "--stage",
            stage,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    shown, screen_text, reason = [], "", None
    decoder = codecs.getincrementaldecoder("utf-8")()  # a chunk may end inside a character
    while True:
        chunk = os.read(process.stdout.fileno(), 65536)  # the child waits after each prompt
        if not chunk:
            break
        screen_text += decoder.decode(chunk)
        if screen_text.endswith(PROMPT):
            record_id = int(re.findall(r"record (\d+)", screen_text)[-1])
            shown.append(record_id)
            key, reason = decide(record_id)
            process.stdin.write(key + "\n")
            process.stdin.flush()
            screen_text = ""
        elif screen_text.endswith(REASON_PROMPT):
            process.stdin.write(f"{reason}\n")
            process.stdin.flush()
            screen_text = ""
    process.wait()
    assert process.returncode == 0, process.stderr.read()
    return shown


@pytest.fixture(scope="module")
def donners(shared_data):
    """Donners et al. 2021: 258 records, 15 included (label_included)."""
    path = shared_data / "synergy" / "Donners_2021.csv.gz"
    labels = pd.read_csv(path)["label_included"].tolist()
    return path, {i + 1: label for i, label in enumerate(labels)}  # record id = row order


def test_two_blinded_reviewers_screen_a_synergy_review(tmp_path, donners, monkeypatch):
    monkeypatch.setenv("METAREVIEW_USER", "lead")
    # the light install's ranking model (with the extra a new project starts with minilm:
    # tests/test_starting_ranking_model.py)
    monkeypatch.setattr("metareview.records.embeddings.extra_installed", lambda: False)
    path, truth = donners
    project = str(tmp_path / "donners.mrproj")
    imported = json.loads(
        run("import", project, str(path), "--source", "OpenAlex", "--json").stdout
    )
    assert imported == {
        "files": [{"file": str(path), "records": 258, "errors": [], "notes": []}],
        "started_ranking_model": None,
    }
    dedup = json.loads(run("dedup", project, "--json").stdout)
    assert set(dedup) == {"records", "duplicate_groups", "removed", "maybe"}
    # one duplicate: record 75 is record 160 (the Emicizumab review) without its DOI and with
    # its title wrapped in escaped HTML, "&lt;p&gt;…&lt;/p&gt;"; both are excluded records
    assert dedup["records"] == 258 and dedup["removed"] == 1
    twin, screened = 75, 257

    # ana votes the truth; ben flips every 9th record: those, and only those, conflict
    flipped = {r for r in truth if r % 9 == 0}
    key = {1: "i", 0: "e"}

    def ana(r):
        return key[truth[r]], None

    def ben(r):
        return key[1 - truth[r]] if r in flipped else key[truth[r]], None

    with ThreadPoolExecutor(2) as pool:  # the two reviewers work at the same time
        seen_a, seen_b = pool.map(
            lambda a: screen_as(project, *a), [("ana", "ta", ana), ("ben", "ta", ben)]
        )
    assert sorted(seen_a) == sorted(seen_b) == [r for r in range(1, 259) if r != twin]
    # ranking by relevance: ana meets the included records early
    first_hits = [r for r in seen_a[:60] if truth[r]]
    assert len(first_hits) >= 8

    listed = json.loads(run("conflicts", project, "--json").stdout)["conflicts"]
    assert {c["record_id"] for c in listed} == flipped
    assert all(set(c["votes"]) == {"ana", "ben"} for c in listed)

    # κ from the 2×2 table: agreement on all but the flipped records
    n, n_flip = screened, len(flipped)
    a_inc = sum(truth.values())
    b_inc = a_inc + sum(1 if not truth[r] else -1 for r in flipped)
    po = (n - n_flip) / n
    pe = (a_inc * b_inc + (n - a_inc) * (n - b_inc)) / n**2
    stats = json.loads(run("agreement", project, "--json").stdout)
    assert stats["cohen_kappa"] == pytest.approx((po - pe) / (1 - pe), rel=1e-12)
    assert stats["percent_agreement"] == pytest.approx(po, rel=1e-12)
    assert stats["pabak"] == pytest.approx(2 * po - 1, rel=1e-12)
    assert stats["subjects"] == screened
    # two raters' agreement is a proportion: its SE is the binomial sqrt(po (1 − po) / n)
    se = stats["precision"]["percent_agreement"]["se"]
    assert se == pytest.approx((po * (1 - po) / n) ** 0.5, rel=1e-12)
    assert "95% CI" in run("agreement", project).stdout

    # ana cannot settle her own conflict alone; cleo, a third reviewer, can
    some = min(flipped)
    refused = run("resolve", project, "include", str(some), "--by", "ana", check=False)
    assert refused.returncode == 2 and "third reviewer" in refused.stderr
    for decision, value in (("include", 1), ("exclude", 0)):
        chosen = [str(r) for r in sorted(flipped) if truth[r] == value]
        run("resolve", project, decision, *chosen, "--by", "cleo")
    assert json.loads(run("conflicts", project, "--json").stdout)["conflicts"] == []
    resolved = json.loads(run("conflicts", project, "--all", "--json").stdout)["conflicts"]
    assert {c["resolution"]["by"] for c in resolved} == {"cleo"}

    # full text: one report not retrieved; three excluded for a reason, the rest included
    included = sorted(r for r, y in truth.items() if y)
    missing, excluded = included[0], set(included[1:4])
    run("retrieval", project, str(missing), "--not-retrieved")
    reason_number = DEFAULT_EXCLUSION_REASONS.index("wrong outcomes") + 1

    def full_text(r):
        return ("e", reason_number) if r in excluded else ("i", None)

    for reviewer in ("ana", "ben"):
        assert sorted(screen_as(project, reviewer, "ft", full_text)) == included[1:]
    counts_file = tmp_path / "prisma.csv"
    flow = json.loads(run("prisma", project, "-o", str(counts_file), "--json").stdout)
    assert flow["database_results"] == 258
    assert flow["database_specific_results"] == [{"name": "OpenAlex", "n": 258}]
    assert flow["duplicates"] == 1
    assert flow["records_screened"] == screened
    assert flow["records_excluded"] == screened - len(included)
    assert flow["dbr_sought_reports"] == len(included)
    assert flow["dbr_notretrieved_reports"] == 1
    assert flow["dbr_assessed"] == len(included) - 1
    assert flow["dbr_excluded"] == [{"name": "wrong outcomes", "n": 3}]
    assert flow["new_studies"] == flow["total_studies"] == len(included) - 4
    assert flow["ta_awaiting"] == flow["ft_awaiting"] == 0
    # the CSV is the PRISMA2020 format, and its arithmetic checks out
    rows = {row["data"]: row["n"] for row in csv.DictReader(counts_file.open())}
    assert rows["records_screened"] == str(screened) and rows["dbr_excluded"] == "wrong outcomes, 3"
    checked = PrismaCounts.from_csv(counts_file).check()  # raises on a broken equation
    assert checked.unchecked == () and len(checked.checked) >= 4

    out = tmp_path / "included.ris"
    run("export", project, "-o", str(out))
    exported = rispy.loads(out.read_text())
    assert len(exported) == len(included) - 4
    assert {int(e["id"]) for e in exported} == set(included[4:])
