"""Records CLI gaps a new user met: the source database named in an export's header, the
possible-duplicate queue without the prompt, and changing a vote by record id."""

from __future__ import annotations

import csv
import json

from metareview.records.active_learning import Ranker
from metareview.records.importers import read_records
from metareview.records.record import Record
from metareview.store import Project
from metareview.store.review import log_duplicates
from tests.test_records_cli import run, screen_as

RIS = "TY  - JOUR\nTI  - Sleep and mood\nPY  - 2020\nER  - \n"


def test_a_header_naming_the_database_is_recognised(tmp_path):
    path = tmp_path / "ovid.ris"
    path.write_text(
        "Database: APA PsycInfo <1806 to March Week 1 2023>\nSearch Strategy:\n\n" + RIS
    )
    result = read_records(path)
    assert [r.source_database for r in result.records] == ["PsycINFO"]
    assert result.notes == ()


def test_a_database_named_per_record_is_kept_as_written(tmp_path, shared_data):
    proquest = read_records(shared_data / "records" / "asr_proquest.ris")
    assert {r.source_database for r in proquest.records} == {"PTSDpubs"}
    ovid = read_records(shared_data / "records" / "asr_ovid_psycinfo.ris")
    assert {r.source_database for r in ovid.records} == {"PsycINFO"}  # Ovid's D=psyc code


def test_falling_back_to_the_file_name_is_announced(tmp_path):
    path = tmp_path / "hits.ris"
    path.write_text(RIS)
    out = run("import", str(tmp_path / "p.mrproj"), str(path)).stdout
    assert "note: 1 of 1 records name no source database" in out and "'hits.ris'" in out
    named = run("import", str(tmp_path / "q.mrproj"), str(path), "--source", "Embase").stdout
    assert "note" not in named


def _pending_pair(url: str) -> None:
    with Project.open(url) as project:
        project.add_import("a.ris", [Record(title="Sleep and mood in teens", year=2001,
                                            pmid="111")], actor="lead")  # fmt: skip
        project.add_import("b.ris", [Record(title="Sleep and mood in teens", year=2005,
                                            pmid="222")], actor="lead")  # fmt: skip
    run("dedup", url)


def test_the_maybe_queue_lists_and_exports_without_a_prompt(tmp_path):
    url = str(tmp_path / "p.mrproj")
    _pending_pair(url)
    listed = run("maybe", url).stdout
    assert "[2] may duplicate [1]" in listed
    assert "score" not in listed
    assert "CONFLICTS: different PMID (111 vs 222); years 2001 vs 2005" in listed
    pairs = json.loads(run("maybe", url, "--json").stdout)["maybe"]
    assert [(p["record_id"], p["of"]) for p in pairs] == [(2, 1)]
    assert pairs[0]["record_pmid"] == "222" and pairs[0]["of_year"] == 2001
    out = tmp_path / "maybe.csv"
    run("maybe", url, "-o", str(out))
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["conflicts"].startswith("different PMID") and rows[0]["of_pmid"] == "111"


def test_an_empty_maybe_queue_says_so(tmp_path):
    url = str(tmp_path / "p.mrproj")
    with Project.open(url) as project:
        project.add_import("a.ris", [Record(title="A")], actor="lead")
        log_duplicates(project, actor="lead")
    assert "No possible duplicates" in run("maybe", url).stdout


def test_a_vote_is_changed_by_record_id_until_complete(tmp_path):
    url = str(tmp_path / "p.mrproj")
    with Project.open(url) as project:
        project.add_import("a.ris", [Record(title="A"), Record(title="B")], actor="lead")
    run("vote", url, "2", "include", "--by", "ana")
    changed = run("vote", url, "2", "exclude", "--by", "ana").stdout
    assert "changed from include to exclude" in changed
    run("vote", url, "2", "exclude", "--by", "ben")
    locked = run("vote", url, "2", "include", "--by", "ana", check=False)
    assert locked.returncode == 2 and "locked" in locked.stderr


def test_screening_records_that_all_share_the_same_words(tmp_path):
    url = str(tmp_path / "p.mrproj")
    with Project.open(url) as project:
        project.add_import("a.ris", [Record(title="Sleep and mood")] * 6, actor="lead")
    decisions = iter(["i", "e", "e", "i", "e", "e"])  # trains the ranker after both classes
    shown = screen_as(url, "ana", "ta", lambda record_id: (next(decisions), None))
    assert sorted(shown) == [1, 2, 3, 4, 5, 6]  # no term tells them apart: ranked in order


def test_a_ranker_without_usable_terms_keeps_the_order():
    ranker = Ranker(["the same words"] * 4)
    assert ranker.rank({0: 1, 1: 0}).tolist() == [2, 3]
    assert Ranker(["", "", ""]).rank({0: 1, 1: 0}).tolist() == [2]
