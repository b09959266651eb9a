"""The second liblinear (metareview.records.liblinear): the same fit as LinearSVC's own, bit
for bit, at the same time as a fit on scikit-learn's liblinear, and a clean refusal where it
cannot reproduce one."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import sklearn.svm._liblinear
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from metareview.records import active_learning, liblinear
from metareview.records.liblinear import fit_beside, second_liblinear


def _problem(rows: int, columns: int, seed: int, density: float = 0.05):
    rng = np.random.default_rng(seed)
    X = sparse.random(rows, columns, density=density, format="csr", random_state=seed)
    y = (rng.random(rows) < 0.2).astype(int)
    y[:2] = [0, 1]
    return X, y, rng.uniform(0.1, 2.0, rows)


def _same_fit(options: dict, X, y, weights) -> None:
    beside, alone = LinearSVC(**options), LinearSVC(**options)
    assert fit_beside(beside, X, y, weights)
    alone.fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(beside.coef_, alone.coef_)
    np.testing.assert_array_equal(beside.intercept_, alone.intercept_)
    np.testing.assert_array_equal(beside.classes_, alone.classes_)
    assert (beside.n_iter_, beside.n_features_in_) == (alone.n_iter_, alone.n_features_in_)


def test_the_second_liblinear_is_another_module_than_scikit_learns():
    assert second_liblinear() is not None, "the copy loads on this machine (and in CI)"
    assert second_liblinear() is not sklearn.svm._liblinear
    assert second_liblinear().train_wrap is not sklearn.svm._liblinear.train_wrap
    assert sys.modules["sklearn.svm._liblinear"] is sklearn.svm._liblinear  # left in place
    assert not Path(second_liblinear().__file__).parent.exists()  # its copy left no litter


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize(
    "options",
    [
        {"C": 0.1},  # the ranker's: dual="auto" gives the dual for 300 rows, 2,000 columns
        {"C": 1.0, "tol": 1e-3, "max_iter": 50},
        {"C": 0.1, "fit_intercept": False},
        {"C": 0.5, "intercept_scaling": 2.5},
        {"C": 0.1, "dual": False},
        {"C": 0.1, "dual": True},
    ],
)
def test_a_fit_beside_equals_linear_svcs_own_fit(options, seed):
    X, y, weights = _problem(300, 2000, seed)
    _same_fit({**options, "random_state": seed}, X, y, weights)


def test_more_rows_than_columns_gives_the_primal_as_scikit_learn_resolves_auto():
    X, y, weights = _problem(400, 30, 3, density=0.3)
    _same_fit({"C": 0.1, "random_state": 3}, X, y, weights)
    _same_fit({"C": 0.1, "random_state": 3}, X.toarray(), y, None)  # dense, unweighted


def test_labels_other_than_0_and_1_keep_scikit_learns_class_order():
    X, y, weights = _problem(200, 500, 4)
    _same_fit({"C": 0.1, "random_state": 4}, X, np.where(y == 1, "relevant", "irrelevant"), weights)
    _same_fit({"C": 0.1, "random_state": 4}, X.astype(np.float32), y * 2 - 1, weights)
    _same_fit({"C": 0.1, "random_state": 4}, X, ["yes" if v else "no" for v in y], list(weights))


def test_a_fit_that_stops_at_max_iter_warns_as_linear_svcs_own():
    from sklearn.exceptions import ConvergenceWarning

    X, y, weights = _problem(300, 2000, 13)
    options = {"C": 100.0, "max_iter": 2, "random_state": 0}
    with pytest.warns(ConvergenceWarning, match="failed to converge"):
        assert fit_beside(LinearSVC(**options), X, y, weights)
    with pytest.warns(ConvergenceWarning):  # (and the same coefficients as LinearSVC's)
        _same_fit(options, X, y, weights)


@pytest.mark.parametrize("wrong", ["weights", "labels", "64-bit indices"])
def test_inputs_linear_svc_would_refuse_are_left_to_its_own_fit(wrong):
    """Rows, labels and weights of different lengths would make liblinear read past an
    array's end; LinearSVC.fit says what is wrong instead, so fit_beside leaves them to it."""
    X, y, weights = _problem(60, 100, 14)
    if wrong == "weights":
        weights = weights[:-1]
    elif wrong == "labels":
        y = y[:-1]
    else:
        X = X.copy()
        X.indices, X.indptr = X.indices.astype(np.int64), X.indptr.astype(np.int64)
    classifier = LinearSVC()
    assert not fit_beside(classifier, X, y, weights)
    assert not hasattr(classifier, "coef_")


def test_no_second_generator_where_scikit_learns_is_a_global_symbol():
    """A process that loaded scikit-learn with RTLD_GLOBAL has liblinear's generator among
    its global symbols, where the copy's own references would find it: the copy would
    share it, so the fits take turns instead (checked in a process of its own)."""
    import os
    import subprocess
    import textwrap

    script = textwrap.dedent(
        """
        import os, sys
        sys.setdlopenflags(os.RTLD_NOW | os.RTLD_GLOBAL)
        import numpy as np
        from sklearn.svm import LinearSVC
        from metareview.records.liblinear import fit_beside, second_liblinear
        print(second_liblinear() is None)
        print(fit_beside(LinearSVC(), np.eye(4), np.array([0, 1, 0, 1])))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=os.environ.copy()
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "False"]


@pytest.mark.parametrize(
    "classifier",
    [
        LinearSVC(class_weight="balanced"),
        LinearSVC(loss="hinge"),
        LinearSVC(penalty="l1", dual=False),
        LinearSVC(multi_class="crammer_singer"),
        LogisticRegression(),
    ],
    ids=["class-weights", "hinge", "l1", "crammer-singer", "logistic"],
)
def test_a_classifier_it_cannot_reproduce_is_left_unfitted(classifier):
    X, y, _ = _problem(50, 100, 5)
    assert not fit_beside(classifier, X, y)
    assert not hasattr(classifier, "coef_")


def test_one_class_or_three_are_left_to_the_classifiers_own_fit():
    X, _, _ = _problem(60, 100, 6)
    assert not fit_beside(LinearSVC(), X, np.zeros(60, dtype=int))
    assert not fit_beside(LinearSVC(), X, np.arange(60) % 3)


def test_the_second_liblinear_prints_nothing(capfd):
    """Its verbosity is a global of its own, which scikit-learn never sets: left as loaded,
    every fit would print liblinear's progress on stdout."""
    X, y, weights = _problem(100, 300, 8)
    assert fit_beside(LinearSVC(random_state=0), X, y, weights)
    assert capfd.readouterr() == ("", "")


def test_a_fit_beside_does_not_wait_for_a_fit_on_scikit_learns_liblinear():
    """The point of the copy: it needs only its own lock, not the first liblinear's."""
    X, y, weights = _problem(200, 1000, 9)
    done = []
    with active_learning._FITTING:
        worker = threading.Thread(
            target=lambda: done.append(fit_beside(LinearSVC(random_state=0), X, y, weights))
        )
        worker.start()
        worker.join(timeout=120)
    assert done == [True]


def test_fits_on_both_liblinears_at_once_give_each_ones_own_coefficients():
    """Each liblinear draws from its own generator: twenty rounds of two fits at once, one
    on each, give the coefficients of each fit alone."""
    X, y, weights = _problem(400, 3000, 10)
    first_alone = LinearSVC(C=0.1, random_state=1).fit(X, y, sample_weight=weights).coef_
    second_alone = LinearSVC(C=0.1, random_state=2).fit(X, y, sample_weight=weights).coef_
    for _ in range(20):
        first, second = LinearSVC(C=0.1, random_state=1), LinearSVC(C=0.1, random_state=2)
        worker = threading.Thread(target=lambda c=first: c.fit(X, y, sample_weight=weights))
        worker.start()
        assert fit_beside(second, X, y, weights)
        worker.join()
        np.testing.assert_array_equal(first.coef_, first_alone)
        np.testing.assert_array_equal(second.coef_, second_alone)


def test_where_the_copy_cannot_load_nothing_is_fitted_beside(monkeypatch):
    def refuse(source, target):
        raise PermissionError(f"{target}: no right to write here")

    monkeypatch.setattr(liblinear.shutil, "copyfile", refuse)
    assert second_liblinear.__wrapped__() is None
    monkeypatch.setattr(liblinear, "second_liblinear", lambda: None)
    X, y, _ = _problem(50, 100, 11)
    assert not fit_beside(LinearSVC(), X, y)


def test_the_ranker_scores_alike_with_or_without_the_second_liblinear(monkeypatch):
    """The copy changes when minilm's second SVM fits, never what it fits."""
    import dataclasses

    from metareview.records.active_learning import MODELS, Ranker

    rng = np.random.default_rng(12)
    words = [f"w{i}" for i in range(300)]
    texts = [" ".join(rng.choice(words, 30)) for _ in range(500)]
    vectors = rng.standard_normal((500, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    model = dataclasses.replace(MODELS["minilm"], switch_after_relevant=None)
    labels = {i: int(i % 9 == 0) for i in range(0, 200, 2)}
    fitted = []

    def counted(*args):
        fitted.append(fit_beside(*args))
        return fitted[-1]

    monkeypatch.setattr(active_learning, "fit_beside", counted)
    beside = Ranker(texts, model, seed=5, vectors=vectors).scores(labels)
    assert fitted == [True]  # the second SVM (words and vectors) fitted beside the first
    monkeypatch.setattr(liblinear, "second_liblinear", lambda: None)
    taking_turns = Ranker(texts, model, seed=5, vectors=vectors).scores(labels)
    assert fitted == [True, False]
    np.testing.assert_array_equal(beside, taking_turns)
