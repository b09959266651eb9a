"""PRISMA 2020's other-methods branch from the log: records found on websites, from
organisations or by citation searching skip title/abstract screening and are retrieved and
assessed in their own column, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re

import pytest

from metareview.errors import RecordsError
from metareview.records.record import Record
from metareview.store import Project
from metareview.store.prisma import project_flow, project_prisma
from metareview.store.review import eligible, log_duplicates, mark_retrieval, vote
from tests import stores
from tests.test_records_cli_commands import run

store_url = stores.store_url  # the fixture, once per backend


def both_vote(project, record_id, stage, decision, reason=None):
    for who in ("ana", "ben"):
        vote(project, record_id, reviewer=who, stage=stage, decision=decision, reason=reason)


def two_branches(project):
    """Databases: records 1–4 (2 duplicates 1). Citation searching: 5–7 (7 duplicates the
    database record 3). Website: 8."""
    titles = iter(f"trial {i}" for i in range(1, 9))
    for count, kind, source in ((4, "database", "PubMed"), (3, "citation", "Reference lists")):
        found = [Record(title=next(titles)) for _ in range(count)]
        project.add_import("x.ris", found, actor="lead", source_database=source, source_kind=kind)
    project.add_import("w.ris", [Record(title=next(titles))], actor="lead", source_kind="website")
    log_duplicates(project, actor="dedup", merged=[(2, 1, {}), (7, 3, {})])


def test_other_methods_skip_title_abstract_and_count_in_their_own_branch(store_url):
    with Project.open(store_url) as project:
        two_branches(project)
        assert eligible(project, "ta") == (1, 3, 4)
        with pytest.raises(RecordsError, match="record 5 is not up for screening at stage ta"):
            vote(project, 5, reviewer="ana", stage="ta", decision="include")
        for record_id, decision in ((1, "include"), (3, "include"), (4, "exclude")):
            both_vote(project, record_id, "ta", decision)
        with pytest.raises(RecordsError, match="did not pass title/abstract"):
            mark_retrieval(project, 4, actor="ana", status="not_retrieved")
        for record_id in (3, 6):  # one missing full text in each branch
            mark_retrieval(project, record_id, actor="ana", status="not_retrieved")
        assert eligible(project, "ft") == (1, 5, 8)
        both_vote(project, 1, "ft", "include")
        both_vote(project, 5, "ft", "include")
        both_vote(project, 8, "ft", "exclude", "wrong population")

        flow = project_flow(project)
        counts = project_prisma(project)
    assert (flow.duplicates, flow.records_screened, flow.records_excluded) == (1, 3, 1)
    assert (counts.dbr_sought_reports, counts.dbr_notretrieved_reports) == (2, 1)
    assert (counts.dbr_assessed, counts.dbr_excluded) == (1, ())
    assert (counts.citations_results, counts.website_results) == (3, 1)
    assert counts.organisation_results == 0
    assert (counts.other_sought_reports, counts.other_notretrieved_reports) == (3, 1)
    assert counts.other_assessed == 2
    assert counts.other_excluded == (("wrong population", 1),)
    assert (counts.new_studies, flow.included_ids) == (2, (1, 5))
    assert flow.other_duplicates == 1 and flow.to_dict()["other_duplicates"] == 1
    assert "duplicates of records already found: 1" in flow.summary()
    assert counts.has_other_methods
    assert not [e for e in counts.check().unchecked if "other methods" in e]


def test_a_review_without_other_methods_has_no_other_branch(tmp_path):
    with Project.open(tmp_path / "p.mrproj") as project:
        project.add_import("a.ris", [Record(title="a")], actor="lead", source_kind="database")
        counts = project_prisma(project)
        flow = project_flow(project)
    assert not counts.has_other_methods and counts.other_sought_reports is None
    assert flow.other is None and "Other methods" not in flow.summary()


def test_cli_imports_other_methods_and_draws_their_branch(tmp_path, monkeypatch):
    path = str(tmp_path / "p.mrproj")
    for name, titles, options in (
        ("db.ris", ["Exercise trial", "Yoga trial"], ["--source", "Embase"]),
        ("refs.ris", ["Tai chi trial", "Walking trial"], ["--other-method", "citation"]),
    ):
        ris = "".join(f"TY  - JOUR\nTI  - {t}\nPY  - 2020\nER  - \n\n" for t in titles)
        (tmp_path / name).write_text(ris)
        assert run("import", path, str(tmp_path / name), *options)[0] == 0
    code, _, err = run("import", path, str(tmp_path / "db.ris"), "--register",
                       "--other-method", "website")  # fmt: skip
    assert code == 2 and err.endswith("error: give --register or --other-method, not both\n")
    monkeypatch.setattr("sys.stdin", io.StringIO("i\n" * 4))
    code, out, _ = run("screen", path, "--reviewer", "ana", "--stage", "ta")
    assert re.findall(r"--- record (\d+) ", out) == ["1", "2"]  # only the database records
    assert "Nothing left for ana at stage ta (2 of 2 screened)" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("i\n" * 2))
    assert run("screen", path, "--reviewer", "ben", "--stage", "ta")[0] == 0
    out_file = tmp_path / "to_retrieve.csv"  # on to full text: both branches
    assert run("export", path, "-o", str(out_file), "--stage", "ta")[0] == 0
    assert re.findall(r"^(\d+),", out_file.read_text(), re.M) == ["1", "2", "3", "4"]
    svg = tmp_path / "prisma.svg"
    code, out, err = run("prisma", path, "--diagram", str(svg))
    assert code == 0, err
    assert "Other methods: citation searching 2" in out
    assert "  Full texts sought: 2, not retrieved 0, assessed 2" in out
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg.read_text(), re.S)
    joined = " ".join(re.sub(r"\s+", " ", t) for t in texts)
    assert "Identification of new studies via other methods" in joined
    assert "Citation searching (n = 2)" in joined
