"""The screening paragraph of the methods: the rule that stopped screening and the recall it
reached in the packaged simulation table, on a project and through `records methods`."""

from __future__ import annotations

import json

import pytest

from metareview.records.record import Record
from metareview.records.screening_methods import (
    TABLE,
    rule_key,
    screening_methods_text,
    simulated_recall,
)
from metareview.records.stopping_evaluation import RuleEvaluation
from metareview.store import Project
from metareview.store.review import configure, stop_screening, vote
from metareview.store.stopping_rules import screening_methods
from tests.test_records_cli_commands import run


def test_rule_names_as_logged_map_to_the_rules():
    assert rule_key("buscar, recall 0.95") == "buscar"
    assert rule_key("Callaghan & Müller-Hansen (recall 0.95, alpha 0.05)") == "buscar"
    assert rule_key("knee (Cormack & Grossman)") == "knee"
    assert rule_key("SAFE: 50 irrelevant in a row") == "safe"
    assert rule_key("100 irrelevant in a row") == "consecutive"
    assert rule_key("the lead was tired") is None


def test_every_simulated_rule_is_in_the_packaged_table():
    table = json.loads(TABLE.read_text())
    assert {rule_key(row["rule"]) for row in table["rules"]} == {
        "buscar",
        "knee",
        "safe",
        "consecutive",
    }
    assert all(row["runs"] >= 90 for row in table["rules"])  # nine reviews × ten seeds
    # the logged "50 consecutive irrelevant" reads the row of that run, not the scaled one
    evaluation, _ = simulated_recall("50 consecutive irrelevant")
    row = next(r for r in table["rules"] if r["rule"] == "50 consecutive irrelevant")
    assert evaluation.mean_recall == row["mean_recall"]
    assert simulated_recall("gut feeling") is None


def test_text_states_the_rule_and_its_simulated_recall():
    evaluation = RuleEvaluation("buscar", 90, 0.9957, 0.9726, 0.97, 0.0, 0.153, 0)
    text = screening_methods_text(
        records=2000,
        reviewers_required=1,
        stopped_rule="buscar",
        screened=1500,
        set_aside=500,
        simulated=(evaluation, "nine SYNERGY reviews × 10 seeds"),
    )
    assert "2,000 records were screened by one reviewer, in the order of" in text
    assert "Screening stopped after 1,500 records by the stopping rule of Callaghan" in text
    assert "the 500 records not screened were marked as ineligible" in text
    assert (
        "In simulations (nine SYNERGY reviews × 10 seeds; 90 runs) this rule stopped at a mean "
        "recall of 99.6% (5th percentile 97.3%; below 95% in 0% of runs) and saved 15% of the "
        "screening on average." in text
    )


def test_no_stop_and_unknown_rule():
    plain = screening_methods_text(records=10, reviewers_required=2, prioritised=False)
    assert (
        plain == "Titles and abstracts of 10 records were screened by two reviewers independently."
    )
    odd = screening_methods_text(
        records=10, reviewers_required=2, stopped_rule="gut feeling", screened=6, set_aside=4
    )
    assert "by the rule 'gut feeling'" in odd and "was not simulated" in odd


def test_the_paragraph_names_the_ranking_model_the_project_used(tmp_path):
    def said(**options):
        return screening_methods_text(records=10, reviewers_required=1, **options)

    assert "linear support vector machine" in said() and "embedding" not in said()
    assert "sentence embedding, all-MiniLM-L6-v2" in said(ranking_model="minilm")
    assert "from the tenth relevant record on" in said(ranking_model="minilm")
    assert "logistic regression" in said(ranking_model="logistic")
    assert "naive Bayes" in said(ranking_model="nb")
    project = Project.open(str(tmp_path / "p.mrproj"))
    project.add_import("s.ris", [Record(title=f"T{i}") for i in range(3)], actor="ana")
    assert "all-MiniLM-L6-v2" not in screening_methods(project)
    configure(project, ranking_model="minilm", actor="lead")
    assert "all-MiniLM-L6-v2" in screening_methods(project)


@pytest.fixture
def stopped_project(tmp_path):
    path = str(tmp_path / "p.mrproj")
    with Project.open(path, create=True) as project:
        ids = project.add_import(
            "hits.ris", [Record(title=f"Trial {i}") for i in range(120)], actor="lead"
        ).record_ids
        for record_id in ids[:70]:
            for who in ("ana", "ben"):
                vote(project, record_id, reviewer=who, stage="ta", decision="exclude")
        stop_screening(project, stage="ta", rule="SAFE: 50 irrelevant in a row", by="lead")
    return path


def test_records_methods_prints_the_paragraph(stopped_project):
    code, out, err = run("methods", stopped_project)
    assert code == 0, err
    assert "Titles and abstracts of 120 records were screened by two reviewers independently" in out
    assert "Screening stopped after 70 records by the SAFE procedure's heuristics" in out
    assert "the 50 records not screened" in out
    assert "up to the end of SAFE's active-learning phase" in out
    safe = next(r for r in json.loads(TABLE.read_text())["rules"] if rule_key(r["rule"]) == "safe")
    assert f"mean recall of {safe['mean_recall']:.1%}" in out
    code, out, _ = run("methods", stopped_project, "--unprioritised")
    assert code == 0 and "active-learning model" not in out


def test_text_describes_the_default_ranker():
    from metareview.records.active_learning import MODELS

    model = MODELS["svm"]
    text = screening_methods_text(
        records=10,
        reviewers_required=1,
        prioritised=True,
        stopped_rule=None,
        screened=None,
        set_aside=0,
        simulated=None,
    )
    assert f"with {model.pseudo_negatives:g} records not yet screened taken as presumed" in text
