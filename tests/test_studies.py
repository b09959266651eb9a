"""Several reports of one study: PRISMA 2020 counts included studies and their reports
separately, from links logged by a person (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest

from metareview.errors import RecordsError
from metareview.records.record import Record
from metareview.records.studies import StudyGroups
from metareview.store import Project
from metareview.store.prisma import project_flow, project_prisma
from metareview.store.review import link_same_study, separate_study, vote
from tests import stores
from tests.test_records_cli_commands import run

store_url = stores.store_url  # the fixture, once per backend


def include_all(project, record_ids):
    for stage in ("ta", "ft"):
        for record_id in record_ids:
            for who in ("ana", "ben"):
                vote(project, record_id, reviewer=who, stage=stage, decision="include")


def test_reports_of_one_study_count_once_as_a_study(store_url):
    with Project.open(store_url) as project:
        titles = ["Main trial", "Trial protocol", "Trial follow-up", "Other trial"]
        project.add_import("a.ris", [Record(title=t) for t in titles], actor="lead")
        include_all(project, [1, 2, 3, 4])
        link_same_study(project, [2], of=1, actor="ana")
        link_same_study(project, [3], of=2, actor="ana")  # a chain: 3 → 2 → 1
        counts = project_prisma(project)
        assert (counts.new_studies, counts.new_reports) == (2, 4)
        assert (counts.total_studies, counts.total_reports) == (2, 4)
        assert any(e.name == "new studies ≤ reports of new studies" for e in counts.check().checked)
        assert "Included: 2 studies (4 reports)" in project_flow(project).summary()
        with pytest.raises(RecordsError, match="records 3 and 1 already report the same study"):
            link_same_study(project, [3], of=1, actor="ana")
        with pytest.raises(RecordsError, match="record 9 is not in the project"):
            link_same_study(project, [9], of=1, actor="ana")
        separate_study(project, [2], actor="ana")  # 2 leaves the middle; 3 stays with 1
        assert project_prisma(project).new_studies == 3
        groups = StudyGroups.from_events(project.events())
        assert [groups.study_of(r) for r in (1, 2, 3)] == [1, 2, 1]
        with pytest.raises(RecordsError, match="record 2 is not linked"):
            separate_study(project, [2], actor="ana")
        assert [e.kind.value for e in project.events()][-3:] == [
            "same_study",
            "same_study",
            "separate_study",
        ]


def test_cli_same_study_and_separate_study(tmp_path):
    path = str(tmp_path / "p.mrproj")
    with Project.open(path) as project:
        project.add_import("a.ris", [Record(title=f"t{i}") for i in range(3)], actor="lead")
        include_all(project, [1, 2, 3])
    code, out, err = run("same-study", path, "1", "2", "3", "--by", "ana")
    assert code == 0, err
    assert "2 report(s) linked to the study of record 1" in out
    flow = json.loads(run("prisma", path, "--json")[1])
    assert (flow["new_studies"], flow["new_reports"]) == (1, 3)
    assert run("separate-study", path, "3", "--by", "ana")[0] == 0
    assert json.loads(run("prisma", path, "--json")[1])["new_studies"] == 2
    code, _, err = run("separate-study", path, "3")
    assert code == 2 and "record 3 is not linked" in err and err.count("\n") == 1


def test_separating_the_first_report_keeps_the_others_together(store_url):
    with Project.open(store_url) as project:
        project.add_import("a.ris", [Record(title=f"t{i}") for i in range(4)], actor="lead")
        include_all(project, [1, 2, 3, 4])
        link_same_study(project, [2, 3], of=1, actor="ana")
        separate_study(project, [1], actor="ana")
        groups = StudyGroups.from_events(project.events())
        assert groups.study_of(1) == 1
        assert groups.study_of(2) == groups.study_of(3) != 1
        assert project_prisma(project).new_studies == 3  # {1}, {2, 3}, {4}


def test_cli_links_all_reports_or_none_and_names_every_bad_id(tmp_path):
    path = str(tmp_path / "p.mrproj")
    with Project.open(path) as project:
        project.add_import("a.ris", [Record(title=f"t{i}") for i in range(4)], actor="lead")
        logged = len(project.events())
    code, _, err = run("same-study", path, "1", "2", "99", "3", "98", "--by", "ana")
    assert code == 2 and err.count("\n") == 1
    assert "record 99 is not in the project" in err and "record 98 is not in the project" in err
    with Project.open(path) as project:
        assert len(project.events()) == logged  # 2 and 3 were not linked either
    assert run("same-study", path, "1", "2", "3", "--by", "ana")[0] == 0
    code, _, err = run("separate-study", path, "2", "4", "97", "--by", "ana")
    assert code == 2 and err.count("\n") == 1
    assert "record 4 is not linked" in err and "record 97 is not in the project" in err
    with Project.open(path) as project:
        assert StudyGroups.from_events(project.events()).count([1, 2, 3]) == 1
