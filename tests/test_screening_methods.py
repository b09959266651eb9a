"""The screening paragraph of the methods: the rule that stopped screening and the recall it
reached in the packaged simulation table, on a project and through `records methods`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from metareview.records.active_learning import MODELS
from metareview.records.events import Event, EventKind
from metareview.records.record import Record
from metareview.records.screening_methods import (
    RULE_NAMES,
    TABLE,
    ranking_history,
    rule_key,
    screening_methods_text,
    simulated_recall,
)
from metareview.records.stopping_evaluation import RuleEvaluation
from metareview.store import Project
from metareview.store.review import configure, stop_screening, undo_vote, vote
from metareview.store.stopping_rules import screening_methods
from tests import stores
from tests.test_records_cli_commands import run

store_url = stores.store_url  # the fixture, once per backend
SVM, NB, MINILM = (MODELS[name].methods for name in ("svm", "nb", "minilm"))


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


def test_each_simulated_model_has_its_table_and_another_reads_the_defaults():
    own = TABLE.with_name("stopping_recall_minilm.json")
    tables = {"svm": json.loads(TABLE.read_text()), "minilm": json.loads(own.read_text())}
    for model, table in tables.items():
        assert f"the ranking model {model} " in table["setting"]
        assert {rule_key(row["rule"]) for row in table["rules"]} == set(RULE_NAMES)
        assert all(row["runs"] >= 90 for row in table["rules"])
        evaluation, where = simulated_recall("buscar", model)
        assert where == table["setting"]
        row = next(r for r in table["rules"] if rule_key(r["rule"]) == "buscar")
        assert evaluation.mean_recall == row["mean_recall"]
    assert simulated_recall("knee", "nb")[1] == tables["svm"]["setting"]  # not simulated
    assert simulated_recall("knee", "../../x")[1] == tables["svm"]["setting"]  # not a model


def test_a_stop_after_screening_with_minilm_cites_minilms_simulation(tmp_path):
    project = Project.open(str(tmp_path / "p.mrproj"))
    ids = project.add_import(
        "hits.ris", [Record(title=f"Trial {i}") for i in range(30)], actor="lead"
    ).record_ids
    configure(project, ranking_model="minilm", actor="lead")
    for record_id in ids[:10]:
        vote(project, record_id, reviewer="ana", stage="ta", decision="exclude")
        vote(project, record_id, reviewer="ben", stage="ta", decision="exclude")
    stop_screening(project, stage="ta", rule="buscar", by="lead")
    evaluation, where = simulated_recall("buscar", "minilm")
    text = " ".join(screening_methods(project).split())
    assert f"In simulations ({where}; {evaluation.runs} runs)" in text
    assert f"mean recall of {evaluation.mean_recall:.1%}" in text


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


# -- a ranking model changed during screening ----------------------------------------------


class Log:
    """Events as a project logs them: votes at title/abstract and ranking-model changes."""

    def __init__(self):
        self.events: list[Event] = []

    def _add(self, *args, **kwargs):
        at = datetime(2026, 1, 1, tzinfo=UTC)
        self.events.append(Event(len(self.events) + 1, at, *args, **kwargs))

    def vote(self, who, *record_ids):
        for record_id in record_ids:
            self._add(who, EventKind.DECISION, "ta", record_id, "exclude")

    def undo(self, who, record_id):
        self._add(who, EventKind.UNDO, "ta", record_id)

    def choose(self, model):
        self._add("lead", EventKind.SETTING, value="ranking_model", data={"value": model})

    def text(self):
        history = ranking_history(self.events)
        return screening_methods_text(records=20, reviewers_required=2, ranking_model=history)


def test_a_model_never_changed_after_the_first_vote_reads_as_before():
    log = Log()
    log.vote("ana", 1, 2, 3)
    log.vote("ben", 1, 2)
    assert ranking_history(log.events) == (("svm", 3),)
    assert log.text() == screening_methods_text(records=20, reviewers_required=2)
    assert ranking_history(Log().events) == ()


def test_a_model_chosen_before_any_vote_is_the_only_model():
    log = Log()
    log.choose("nb")
    log.choose("minilm")
    log.vote("ana", 1, 2)
    assert ranking_history(log.events) == (("minilm", 2),)
    assert log.text() == screening_methods_text(
        records=20, reviewers_required=2, ranking_model="minilm"
    )


def test_one_change_names_both_models_and_the_records_screened_under_each():
    log = Log()
    log.vote("ana", 1, 2, 3, 4)
    log.vote("ben", 1, 2)
    log.choose("minilm")
    log.vote("ben", 3, 4, 5)  # records 3 and 4 were brought to ana by the SVM
    log.vote("ana", 5, 6)
    assert ranking_history(log.events) == (("svm", 4), ("minilm", 2))
    assert log.text() == (
        f"Titles and abstracts of 20 records were screened by two reviewers independently, "
        f"in the order of {SVM} for the first 4 records screened and of {MINILM} for the 2 "
        "screened thereafter."
    )


def test_two_changes_name_each_model_in_the_order_used():
    log = Log()
    log.vote("ana", *range(1, 413))
    log.choose("nb")
    log.vote("ana", *range(413, 443))
    log.choose("minilm")
    log.vote("ana", *range(443, 731))
    assert ranking_history(log.events) == (("svm", 412), ("nb", 30), ("minilm", 288))
    assert f"in the order of {SVM} for the first 412 records screened, of {NB} for the next " in (
        log.text()
    )
    assert log.text().endswith(f"for the next 30 and of {MINILM} for the 288 screened thereafter.")


def test_models_that_ordered_no_record_are_left_out():
    """A model replaced before anyone voted under it, and one chosen after the last vote,
    ordered nothing; a withdrawn vote counts where its record was voted on again."""
    log = Log()
    log.vote("ana", 1, 2)
    log.choose("nb")
    log.choose("svm")
    log.vote("ana", 3)
    log.undo("ana", 3)
    log.choose("minilm")
    log.vote("ana", 3, 4)
    log.choose("logistic")
    assert ranking_history(log.events) == (("svm", 2), ("minilm", 2))
    assert ranking_history(log.events, among={1, 3}) == (("svm", 1), ("minilm", 1))


def test_the_project_paragraph_follows_the_settings_log(store_url):
    with Project.open(store_url) as project:
        ids = project.add_import("s.ris", [Record(title=f"T{i}") for i in range(10)], actor="ana")
        ids = ids.record_ids
        configure(project, ranking_model="nb", actor="lead")  # before screening: no change
        for record_id in ids[:3]:
            vote(project, record_id, reviewer="ana", stage="ta", decision="exclude")
        assert f"in the order of {NB}." in screening_methods(project)
        configure(project, ranking_model="minilm", actor="lead")
        assert f"in the order of {NB}." in screening_methods(project)  # nothing under it yet
        undo_vote(project, reviewer="ana", stage="ta")  # ids[2]: voted on again under minilm
        vote(project, ids[2], reviewer="ben", stage="ta", decision="exclude")
        vote(project, ids[3], reviewer="ana", stage="ta", decision="exclude")
        text = screening_methods(project)
        assert f"{NB} for the first 2 records screened and of {MINILM} for the 2 screened " in text
        assert "active-learning" not in screening_methods(project, prioritised=False)


def test_records_methods_names_each_model_after_a_change(tmp_path):
    path = str(tmp_path / "p.mrproj")
    with Project.open(path, create=True) as project:
        project.add_import("s.ris", [Record(title=f"T{i}") for i in range(9)], actor="ana")
    for args in (
        *(("vote", path, str(record_id), "exclude", "--by", "ana") for record_id in range(1, 6)),
        ("settings", path, "--ranking-model", "minilm", "--by", "lead"),
        ("vote", path, "6", "exclude", "--by", "ana"),
    ):
        code, _, err = run(*args)
        assert code == 0, err
    code, out, err = run("methods", path)
    assert code == 0, err
    assert out == (
        "Titles and abstracts of 9 records were screened by two reviewers independently, in "
        f"the order of {SVM} for the first 5 records screened and of {MINILM} for the 1 "
        "screened thereafter.\n"
    )


def test_a_changed_vote_counts_under_the_model_that_brought_the_record():
    """A reviewer who changes a vote (no undo: the record never went back to their queue)
    was brought the record by the model in force at the first vote, not the later one."""
    log = Log()
    log.vote("ana", 1, 2)
    log.choose("minilm")
    log.vote("ana", 2)  # ana changes her vote on record 2 (from her awaiting list)
    log.vote("ana", 3)
    assert ranking_history(log.events) == (("svm", 2), ("minilm", 1))
    log.undo("ana", 1)  # withdrawn: back in her queue, brought again by minilm
    log.vote("ana", 1)
    assert ranking_history(log.events) == (("svm", 1), ("minilm", 2))


def test_one_record_under_the_first_model_reads_in_the_singular():
    log = Log()
    log.vote("ana", 1)
    log.choose("nb")
    log.vote("ana", 2, 3)
    assert f"in the order of {SVM} for the first record screened and of {NB} for the 2 " in (
        log.text()
    )


def test_a_logged_model_this_version_does_not_know_is_named_with_the_way_out(tmp_path):
    """Records screened under a ``ranking_model`` no built-in model has (the log edited by
    hand, or written by another version): the current setting is valid and no later
    ``records settings`` changes what ordered those records, so the error names the logged
    model and when it was set, and points to ``--unprioritised``, not to settings."""
    path = str(tmp_path / "p.mrproj")
    with Project.open(path, create=True) as project:
        ids = project.add_import("s.ris", [Record(title=f"T{i}") for i in range(6)], actor="ana")
        project.set_setting("ranking_model", "bert", actor="lead")
        for record_id in ids.record_ids[:2]:
            vote(project, record_id, reviewer="ana", stage="ta", decision="exclude")
        configure(project, ranking_model="svm", actor="lead")
        vote(project, ids.record_ids[2], reviewer="ana", stage="ta", decision="exclude")
        set_on = next(e.at for e in project.events() if e.value == "ranking_model")
    code, out, err = run("methods", path)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "ranking model 'bert'" in err and f"lead on {set_on:%Y-%m-%d}" in err
    assert "does not know" in err and "--unprioritised" in err
    assert "choose one with" not in err
    code, out, err = run("methods", path, "--unprioritised")
    assert code == 0 and out.startswith("Titles and abstracts of 6 records"), err
