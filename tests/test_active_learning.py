"""Active learning: ranking, pluggable models, simulation metrics and stopping rules."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.stats import hypergeom
from sklearn.linear_model import RidgeClassifier

from metareview.records.active_learning import (
    MODELS,
    Model,
    Ranker,
    balanced_weights,
    get_model,
    own_vote_order,
    record_text,
    short_list_first,
    tfidf_features,
)
from metareview.records.simulation import (
    consecutive_irrelevant_stop,
    draw_priors,
    metrics,
    simulate,
    statistical_stop,
)

TEXTS = [
    "randomised trial of exercise for depression",
    "exercise therapy randomised controlled trial in depressed adults",
    "a history of hospital architecture",
    "survey of hospital managers",
    "group exercise reduces depressive symptoms: a randomised trial",
    "architecture of medieval hospitals",
]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_ranks_similar_records_first(name):
    from metareview.records.embeddings import embed
    from tests.embedding_double import WordHashEncoder

    vectors = embed(TEXTS, WordHashEncoder()) if MODELS[name].embedding else None
    ranker = Ranker(TEXTS, name, seed=0, vectors=vectors)
    order = ranker.rank({0: 1, 2: 0})
    assert set(order) == {1, 3, 4, 5}
    assert set(order[:2]) == {1, 4}


def test_a_custom_classifier_plugs_in():
    ridge = Model("ridge", tfidf_features, lambda seed: RidgeClassifier(), balance=1.0)
    assert set(Ranker(TEXTS, ridge).rank({0: 1, 3: 0})[:2]) == {1, 4}


def test_unknown_model_and_one_class_training_are_refused():
    with pytest.raises(ValueError, match="model must be one of svm, logistic, nb"):
        get_model("bert")
    with pytest.raises(ValueError, match="one relevant and one irrelevant"):
        Ranker(TEXTS).rank({0: 1, 1: 1})


def test_balancing_gives_both_classes_the_chosen_total_weight():
    labels = np.array([1, 1, 0, 0, 0, 0, 0, 0])
    weights = balanced_weights(labels, 1.0)
    assert weights[labels == 1].sum() == pytest.approx(weights[labels == 0].sum())
    assert balanced_weights(labels, None) is None


def test_pseudo_negatives_are_unlabelled_reproducible_and_weighted(monkeypatch):
    model = Model(
        "pseudo",
        tfidf_features,
        lambda seed: RidgeClassifier(),
        pseudo_negatives=2,
        pseudo_weight=0.5,
    )
    ranker = Ranker(TEXTS, model, seed=3)
    drawn = ranker._pseudo_negatives(np.array([0, 2]))
    assert len(drawn) == 2 and not set(drawn.tolist()) & {0, 2}
    again = Ranker(TEXTS, model, seed=3)._pseudo_negatives(np.array([0, 2]))
    assert drawn.tolist() == again.tolist()
    assert len(ranker._pseudo_negatives(np.array([0, 2, 3]))) == 2  # a new draw per retrain
    every = Model("pu", tfidf_features, lambda seed: RidgeClassifier(), pseudo_negatives=-1)
    assert Ranker(TEXTS, every)._pseudo_negatives(np.array([0, 2])).tolist() == [1, 3, 4, 5]
    fitted = {}
    original = RidgeClassifier.fit

    def spy(self, X, y, sample_weight=None):
        fitted.update(rows=X.shape[0], y=list(y), weights=list(sample_weight))
        return original(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(RidgeClassifier, "fit", spy)
    assert set(ranker.rank({0: 1, 2: 0})) == {1, 3, 4, 5}  # pseudo-negatives are still ranked
    assert fitted["rows"] == 4 and fitted["y"] == [1, 0, 0, 0]
    # the irrelevant side weighs as much as the relevant one; a pseudo-negative half a labelled one
    assert fitted["weights"] == pytest.approx([1.0, 0.5, 0.25, 0.25])
    share = Model("share", tfidf_features, lambda seed: RidgeClassifier(), pseudo_negatives=0.5)
    assert len(Ranker(TEXTS, share)._pseudo_negatives(np.array([0, 2]))) == 2  # half of 4
    plain = Model("plain", tfidf_features, lambda seed: RidgeClassifier())
    assert len(Ranker(TEXTS, plain)._pseudo_negatives(np.array([0, 2]))) == 0


def test_record_text_skips_missing_parts():
    assert record_text("Title", float("nan")) == "Title Title"  # the title weighs double
    assert record_text(None, "Abstract") == "Abstract"
    assert record_text("", "Abstract") == "Abstract"


def test_metrics_of_perfect_and_worst_orders():
    """With N=20, R=4 found first: n95 = 4 records, WSS = 16/20 − 0.05; loss 0; ATD =
    mean(1..4)/20. Found last: loss 1."""
    best = metrics([1] * 4 + [0] * 16)
    assert best["wss95"] == pytest.approx(16 / 20 - 0.05)
    assert best["loss"] == pytest.approx(0.0)
    assert best["atd"] == pytest.approx(2.5 / 20)
    assert best["rrf10"] == pytest.approx(0.5)  # 2 of 4 within the first 2 records
    worst = metrics([0] * 16 + [1] * 4)
    assert worst["loss"] == pytest.approx(1.0)
    assert worst["wss95"] == pytest.approx(-0.05)
    assert worst["recall_curve"][-1] == 1.0
    with pytest.raises(ValueError, match="both relevant and irrelevant"):
        metrics([0, 0, 0])


def test_consecutive_irrelevant_rule():
    assert consecutive_irrelevant_stop([1, 0, 0, 1, 0, 0, 0, 1], 3) == 7
    assert consecutive_irrelevant_stop([1, 0, 0, 1], 3) is None


def test_statistical_stop_matches_a_hand_computed_hypergeometric_test():
    """10 relevant found in the first 10 of 1000, then irrelevant records. At t, the window
    starting after the 10th record has k=0 of n=t−10 from an urn of 990 records in which
    H0 (recall < 0.95) puts ⌊10/0.95⌋+1−10 = 1 relevant record: p = P(X=0) = 1 − n/990."""
    labels = [1] * 10 + [0] * 990
    t = statistical_stop(labels, recall_target=0.95, alpha=0.05)
    n = t - 10
    assert hypergeom.cdf(0, 990, 1, n) < 0.05 <= hypergeom.cdf(0, 990, 1, n - 1)
    # a relevant record in the tail keeps it from stopping before it
    assert statistical_stop([1] * 10 + [0] * 500 + [1] + [0] * 489) > 511


def test_priors_are_reproducible_and_mixed():
    labels = [0, 1, 0, 1, 0, 0]
    priors = draw_priors(labels, 7)
    assert priors == draw_priors(labels, 7)
    assert [labels[i] for i in priors] == [1, 0]


def test_simulation_on_a_synergy_review_beats_random_and_is_reproducible(shared_data):
    """Donners et al. 2021 (258 records, 15 included); screening 5 records per retrain."""
    frame = pd.read_csv(shared_data / "synergy" / "Donners_2021.csv.gz")
    texts = [record_text(t, a) for t, a in zip(frame["title"], frame["abstract"], strict=True)]
    labels = frame["label_included"].to_numpy()
    first = simulate(texts, labels, seed=1, batch=5)
    again = simulate(texts, labels, seed=1, batch=5)
    assert first.order == again.order
    assert (first.records, first.relevant) == (256, 14)
    assert sorted(first.order + first.priors) == list(range(258))
    # random screening would give WSS@95 about 0, RRF@10 about 0.1, loss about 0.5
    assert first.wss95 > 0.3 and first.rrf10 > 0.3 and first.loss < 0.25
    assert first.recall_curve[-1] == 1.0
    assert set(first.to_dict()) >= {
        "records",
        "relevant",
        "wss95",
        "rrf10",
        "atd",
        "loss",
        "recall_curve",
    }
    assert "stop" in first.summary()


def brute_force_stop(labels, target, alpha):
    """Every window at every point, straight from the definition."""
    found = np.concatenate([[0], np.cumsum(labels)])
    for t in range(1, len(labels) + 1):
        for s in range(t):
            k, urn = found[t] - found[s], len(labels) - s
            needed = np.floor(found[t] / target) + 1 - found[s]
            if k < needed <= urn and hypergeom.cdf(k, urn, needed, t - s) < alpha:
                return t
    return None


@pytest.mark.parametrize("seed", range(4))
def test_statistical_stop_equals_the_brute_force_definition(seed):
    rng = np.random.default_rng(seed)
    labels = (rng.random(50) < np.linspace(0.6, 0.0, 50)).astype(int)
    for target in (0.8, 0.95):
        assert statistical_stop(labels, target, 0.05) == brute_force_stop(labels, target, 0.05)


@pytest.mark.parametrize("threaded_from", [2, 10_000])
def test_a_linear_model_scores_as_if_fitted_on_every_column(monkeypatch, threaded_from):
    """The fit on the labelled rows' columns, and the product without single-record terms
    (in two halves on threads, or one), give the scores of the model fitted and applied on
    the full matrix: labelled records and terms found in one record alone included."""
    from sklearn.svm import LinearSVC

    from metareview.records import active_learning

    monkeypatch.setattr(active_learning, "THREADED_FROM", threaded_from)
    texts = [*TEXTS, "unique words only here", "exercise once", "depression alone here"]
    labels = {0: 1, 2: 0, 6: 0, 4: 1}
    # the SVM without the default's pseudo-negatives, so the full fit below is the same model
    plain = dataclasses.replace(active_learning.MODELS["svm"], pseudo_negatives=0)
    ranker = Ranker(texts, plain, seed=0)
    assert len(ranker._scoring) == (2 if threaded_from == 2 else 1)
    index = np.array(list(labels))
    y = np.array(list(labels.values()))
    full = LinearSVC(C=0.1, random_state=0).fit(
        ranker.matrix[index], y, sample_weight=balanced_weights(y, 1.0)
    )
    expected = full.decision_function(ranker.matrix)
    np.testing.assert_allclose(ranker.scores(labels), expected, atol=1e-5)
    unlabelled = np.setdiff1d(np.arange(len(texts)), index)
    order = unlabelled[np.argsort(-expected[unlabelled], kind="stable")]
    assert ranker.rank(labels).tolist() == order.tolist()


def test_the_product_in_two_halves_gives_the_scores_of_one_bit_for_bit(monkeypatch):
    """A large project's product runs in two halves, the second on another thread: the
    scores are those of the product in one piece, to the last bit."""
    from metareview.records import active_learning

    texts = [
        f"{a} {b} trial {i % 13}" for i, (a, b) in enumerate(zip(TEXTS * 30, TEXTS[::-1] * 30))
    ]
    labels = {0: 1, 1: 0, 5: 1, 9: 0, 17: 0}
    whole = Ranker(texts, seed=3).scores(labels)
    monkeypatch.setattr(active_learning, "THREADED_FROM", 2)
    halves = Ranker(texts, seed=3)
    assert len(halves._scoring) == 2
    np.testing.assert_array_equal(halves.scores(labels), whole)


def test_a_record_voted_maybe_is_never_presumed_irrelevant(monkeypatch):
    every = Model("pu", tfidf_features, lambda seed: RidgeClassifier(), pseudo_negatives=-1)
    ranker = Ranker(TEXTS, every)
    drawn = []
    draw = ranker._pseudo_negatives

    def recorded(labelled, screened=()):
        drawn.append(draw(labelled, screened))
        return drawn[-1]

    monkeypatch.setattr(ranker, "_pseudo_negatives", recorded)
    pool = [10, 11, 12, 13, 14, 15]
    order = own_vote_order(ranker, pool, {10: "include", 12: "exclude", 11: "maybe"})
    assert drawn[-1].tolist() == [3, 4, 5]  # position 1 (record 11, "maybe") is not drawn
    assert set(order) == {13, 14, 15}


def test_the_embedding_product_leaves_the_blas_threads_as_it_found_them():
    """The product runs with NumPy's BLAS on one thread; the limit is the process's, so
    rankings at once must not restore each other's setting out of order (left at 1)."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_info

    from metareview.records.active_learning import _embedding_product

    def blas_threads() -> list[int]:
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    before = blas_threads()
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((3000, 384)).astype(np.float32)
    weights = rng.standard_normal(384).astype(np.float32)
    with ThreadPoolExecutor(max_workers=4) as pool:
        products = list(pool.map(lambda _: _embedding_product(vectors, weights), range(200)))
    assert blas_threads() == before
    for product in products:
        np.testing.assert_array_equal(product, products[0])
    np.testing.assert_allclose(products[0], vectors @ weights, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("k", [0, 1, 3, 10, 40, 60])
def test_the_short_list_is_the_k_best_unlabelled_records_ties_by_index(k):
    """short_list_first picks its list from those scoring at least the k-th best: the same
    records, in the same order, as sorting every unlabelled record (stable: ties by index),
    here with many tied scores."""
    rng = np.random.default_rng(k)
    first = rng.integers(0, 6, 50).astype(float)
    second = rng.standard_normal(50)
    labelled = rng.choice(50, 8, replace=False)
    pool = np.setdiff1d(np.arange(50), labelled)
    expected = pool[np.argsort(-first[pool], kind="stable")[:k]]
    scores = short_list_first(first, second, labelled, k)
    top = np.argsort(-scores, kind="stable")[: len(expected)]
    assert sorted(top) == sorted(expected)
    assert list(top) == list(expected[np.argsort(-second[expected], kind="stable")])
