"""A new project starts with the ranking model that won issue 19's benchmark, minilm, where
the optional embedding model is installed, and with svm otherwise; the choice is written into
its settings log when it is created (by `records import` or `serve`), so the project keeps it
wherever it is opened, and a project that already exists is never changed."""

from __future__ import annotations

import json

import pytest

from metareview.records.record import Record
from metareview.store.project import Project
from metareview.store.review import configure, screening_config, start_ranking, vote
from metareview.store.stopping_rules import screening_methods
from tests.test_records_cli import run


@pytest.fixture
def extra(monkeypatch):
    """Whether the extra counts as installed, set by the test."""

    def installed(answer: bool) -> None:
        monkeypatch.setattr("metareview.records.embeddings.extra_installed", lambda: answer)

    return installed


@pytest.mark.parametrize(("installed", "model"), [(True, "minilm"), (False, "svm")])
def test_a_new_project_starts_with_minilm_only_where_the_extra_is_installed(
    extra, installed, model
):
    extra(installed)
    project = Project.open("sqlite://")
    assert start_ranking(project, actor="lead") == ("minilm" if installed else None)
    assert screening_config(project).ranking_model == model
    assert len(project.events()) == int(installed)  # written once, as a setting


@pytest.mark.parametrize(
    "already",
    [
        lambda p: p.add_import("s.ris", [Record(title="A")], actor="ana"),
        lambda p: configure(p, actor="lead", reviewers_required=1),
    ],
    ids=["records", "a setting"],
)
def test_a_project_that_exists_keeps_its_model(extra, already):
    extra(True)
    project = Project.open("sqlite://")
    already(project)
    before = project.events()
    assert start_ranking(project, actor="lead") is None
    assert project.events() == before
    assert screening_config(project).ranking_model == "svm"


def test_records_import_starts_a_new_project_and_says_so(tmp_path, extra):
    extra(True)
    (tmp_path / "a.ris").write_text("TY  - JOUR\nTI  - Exercise for depression\nER  - \n")
    project = str(tmp_path / "p.mrproj")
    first = json.loads(run("import", project, str(tmp_path / "a.ris"), "--json").stdout)
    assert first["started_ranking_model"] == "minilm"
    again = run("import", project, str(tmp_path / "a.ris")).stdout
    assert "ranking model" not in again  # the project exists: its model stays as it is
    assert "ranking model: minilm" in run("settings", project).stdout
    other = str(tmp_path / "q.mrproj")
    shown = run("import", other, str(tmp_path / "a.ris")).stdout
    assert shown.splitlines()[0].startswith("ranking model: minilm (the optional embedding")
    extra(False)
    light = str(tmp_path / "light.mrproj")
    started = json.loads(run("import", light, str(tmp_path / "a.ris"), "--json").stdout)
    assert started["started_ranking_model"] is None
    assert "ranking model: svm" in run("settings", light).stdout


def test_the_methods_paragraph_names_the_model_a_project_started_with(extra):
    extra(True)
    project = Project.open("sqlite://")
    start_ranking(project, actor="lead")
    ids = project.add_import("s.ris", [Record(title=f"T{i}") for i in range(3)], actor="ana")
    for who in ("ana", "ben"):
        vote(project, ids.record_ids[0], reviewer=who, stage="ta", decision="exclude")
    assert "all-MiniLM-L6-v2" in screening_methods(project)


def test_records_screen_embeds_what_minilm_lacks_before_the_first_record(
    extra, monkeypatch, capsys
):
    """A project that starts with minilm has no vectors yet: `records screen` computes them
    first, once, showing how far it is, rather than leaving the first ranking to do it
    silently; a second session, and a project ranking with svm, compute nothing."""
    from metareview.cli.progress import progress_bar
    from metareview.records import embeddings
    from metareview.store.embeddings import vector_counts
    from metareview.store.rankings import project_ranker
    from tests.embedding_double import WordHashEncoder

    def embed_for_ranking(project, pool):  # as `records screen` starts
        with progress_bar("embedding the records once, for the ranking model") as report:
            project_ranker(project, list(pool), progress=report)

    monkeypatch.setattr(embeddings, "load_encoder", lambda threads=None: WordHashEncoder(384))
    monkeypatch.setattr(embeddings, "MODEL_NAME", "word-hash")
    extra(True)
    project = Project.open("sqlite://")
    start_ranking(project, actor="lead")
    pool = project.add_import(
        "s.ris", [Record(title=f"exercise trial {i}") for i in range(12)], actor="ana"
    ).record_ids
    embed_for_ranking(project, pool)
    shown = capsys.readouterr().err.splitlines()
    assert shown[0] == "embedding the records once, for the ranking model: 0 of 12"
    assert shown[-1] == "embedding the records once, for the ranking model: 12 of 12"
    assert vector_counts(project).missing == 0
    embed_for_ranking(project, pool)
    assert capsys.readouterr().err == ""  # cached: nothing to compute
    light = Project.open("sqlite://")
    ids = light.add_import("s.ris", [Record(title="exercise"), Record(title="trial")], actor="ana")
    ids = ids.record_ids
    embed_for_ranking(light, ids)
    assert capsys.readouterr().err == "" and vector_counts(light).cached == 0
