"""Rank unscreened records by predicted relevance, retrained as decisions come in.

The default model follows the design of ASReview's default: TF-IDF features of title and
abstract (1–2-grams, sublinear term frequency; the title read twice, see
:func:`record_text`), a linear support vector machine, the "max"
query (screen the highest-scoring record next), and class balancing (the few relevant
records weigh as much as the many irrelevant ones). On top of that, each retrain adds 100
unlabelled records, drawn from the seed and the number of records labelled so far (the same
order on a rerun), as presumed irrelevant at 0.3 times a labelled record's weight (Cormack &
Grossman's BMI pseudo-negatives; see :class:`Model`): on the nine SYNERGY reviews, seeds
0–2, it beats the title-twice SVM without them on all four means (WSS@95 0.541 against
0.533; ``benchmarks/README.md``, "Fourth round"). The text features are computed once;
a retrain fits the classifier on the labelled rows and scores every record (a sparse
matrix-vector product), so a retrain + rank of 10,000 records takes milliseconds
(``benchmarks/retrain_benchmark.py`` measures it). A linear model is fitted on only the
feature columns its labelled rows use (the others would get weight 0 anyway) and scores the
records with one single-precision product, without scikit-learn's checks on the full matrix;
the product leaves out the terms only one record has (their weight can be non-zero only
when that record is labelled, and a labelled record is not ranked; its score is computed
from its own row), and runs in two halves on two threads for large projects (the product
releases the GIL).

Models are pluggable: any object with ``fit(X, y, sample_weight=...)`` and
``decision_function(X)`` or ``predict_proba(X)`` can be given as ``classifier``, and any
``fit_transform(texts)`` as ``features``; :data:`MODELS` names the built-in ones.

A model may also read each record's sentence embedding (``Model.embedding``; the optional
model of :mod:`metareview.records.embeddings`): the Ranker is then given the vectors
(``Ranker(texts, "minilm", vectors=...)``), puts them beside the word features, and fuses a
word model with a words-and-embedding model (see :class:`Model`), optionally only once enough
relevant records have been found (``Model.switch_after_relevant``) and only to re-order the
word model's short list (``Model.rerank_top``).

>>> texts = ["exercise trial for depression", "exercise randomised trial",
...          "history of medicine", "survey of hospitals", "depression exercise"]
>>> ranker = Ranker(texts, seed=1)
>>> order = ranker.rank({0: 1, 2: 0})
>>> [texts[i] for i in order[:2]]
['depression exercise', 'exercise randomised trial']
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import sklearn
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC
from threadpoolctl import ThreadpoolController

from metareview.errors import InputError
from metareview.records.liblinear import fit_beside

#: Records from which a linear model's scoring product is split over two threads.
THREADED_FROM = 4000
_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="metareview-rank")
#: Held while a classifier is fitted on scikit-learn's liblinear: its random generator is one
#: for the whole process, so two fits at once would draw from it in turn and neither would be
#: reproducible (a second fit runs beside it on a copy with a generator of its own:
#: :mod:`metareview.records.liblinear`).
_FITTING = threading.Lock()


#: Held while NumPy's BLAS is limited to one thread (the limit is the process's, so two
#: limits at once could restore each other's setting in the wrong order).
_ONE_BLAS_THREAD = threading.Lock()


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """NumPy's BLAS on the calling thread alone for the block: its own threads, woken for a
    product, would otherwise spin on the other core after it (twice the CPU of a retrain +
    rank, measured) while the words classifier needs that core."""
    with _ONE_BLAS_THREAD, _blas().limit(limits=1, user_api="blas"):
        yield


def _embedding_product(vectors: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``vectors @ weights`` with NumPy's BLAS on the calling thread alone.

    >>> _embedding_product(np.eye(2, dtype=np.float32), np.array([2.0, 3.0], np.float32))
    array([2., 3.], dtype=float32)
    """
    with _one_blas_thread():
        return vectors @ weights


def tfidf_features() -> TfidfVectorizer:
    """TF-IDF of 1- and 2-grams with sublinear term frequency (the default features)."""
    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_df=0.95, min_df=1)


#: The ways a model can read the embedding (``Model.embedding_scorer``).
EMBEDDING_SCORERS = ("svm", "centroid", "relevant-centroid", "ridge", "vector-svm")
#: The ``"ridge"`` embedding scorer's penalty: 1 / (2 C) with the default SVM's C = 0.1.
RIDGE_PENALTY = 5.0


@dataclass(frozen=True)
class Model:
    """A named way to rank: how to make features and classifier, and how to balance classes.

    ``balance`` is the weight of all irrelevant records together relative to all relevant
    ones (1: equal total weight; ``None``: no balancing). ``linear``: the classifier is a
    regularised linear model (``coef_``, ``intercept_``) that gives a feature absent from
    every training row weight 0, so it can be fitted on the columns the labelled rows use.

    ``pseudo_negatives``: each retrain adds that many unlabelled records, drawn at random
    from the seed and the number of records labelled so far, to the training set as
    presumed irrelevant (Cormack & Grossman's BMI, 2015), each weighing ``pseudo_weight``
    times a labelled irrelevant record (a negative count: every unlabelled record; a
    fraction between 0 and 1: that share of the unlabelled records, at least one). They
    count as irrelevant in the class balance; their true labels are never read.

    ``embedding``: the model also reads each record's sentence vector (the Ranker needs
    ``vectors``; a linear ``classifier`` only): two such classifiers, one on the words alone
    and one on the words and the vector side by side (a unit-length block beside the word
    features, whose rows have length 1), fused by adding their decision scores, each
    standardised (mean 0, SD 1) over all records, so the word ranking keeps a floor under
    the embedding's.
    ``switch_after_relevant``: the embedding is read only once that many records have been
    labelled relevant (a switch of model, as SAFE's, Boetje & van de Schoot 2024, decided
    by the labels so far); until then the model is ``classifier`` on the words alone.
    ``rerank_top``: the embedding only re-orders the short list of the ``rerank_top``
    unlabelled records the words-alone classifier ranks highest (by the fused score); below
    them, the words-alone order (:func:`short_list_first`).

    ``embedding_scorer``: how the embedding is read — ``"svm"``, a second ``classifier``
    on the words and the vector side by side (above); ``"centroid"``, each record's vector's
    dot product with the difference of the two classes' weighted centroids (Rocchio's
    relevance feedback: the training rows weighted as the classifier's, pseudo-negatives
    among the irrelevant), which needs no second fit; ``"relevant-centroid"``, the dot
    product with the sum of the relevant records' vectors alone; ``"ridge"``, a weighted
    ridge regression of the classes (+1, −1) on the vectors of the training rows (weighted as
    the classifier's, with an unpenalised intercept and the penalty ``1 / (2 C)`` of the
    default's SVM, C = 0.1: its squared-loss twin), solved in closed form; ``"vector-svm"``,
    a second ``classifier`` on the vectors alone (the training rows and weights of the
    first), fitted while the first fits (on the second liblinear,
    :func:`~metareview.records.liblinear.fit_beside`).

    ``methods``: how a review's methods paragraph describes the model (a phrase).
    """

    name: str
    features: Callable[[], Any]
    classifier: Callable[[int], Any]
    balance: float | None = 1.0
    linear: bool = False
    pseudo_negatives: float = 0
    pseudo_weight: float = 1.0
    embedding: bool = False
    switch_after_relevant: int | None = None
    rerank_top: int | None = None
    embedding_scorer: str = "svm"
    methods: str = "an active-learning model"

    def __post_init__(self) -> None:
        if self.embedding and not self.linear:
            raise ValueError("a model that reads the embedding needs a linear classifier")
        if self.embedding_scorer not in EMBEDDING_SCORERS:
            raise ValueError(
                f"embedding_scorer must be one of {', '.join(EMBEDDING_SCORERS)}; "
                f"got {self.embedding_scorer!r}"
            )


def linear_svm(seed: int) -> LinearSVC:
    """The default's classifier: a linear SVM with C = 0.1."""
    return LinearSVC(C=0.1, random_state=seed)


def short_list_first(
    first: np.ndarray, second: np.ndarray, labelled: np.ndarray, k: int
) -> np.ndarray:
    """Scores that put the ``k`` unlabelled records ``first`` scores highest on top, in the
    order of ``second``, and every other record below them in the order of ``first`` — a
    second model re-ranking a first one's short list, as a search engine re-ranks its first
    retrieval, so a query is always among the first model's top ``k``. ``labelled``: the
    records not eligible for the short list.

    >>> first, second = np.array([3.0, 2.0, 1.0, 0.0]), np.array([0.0, 1.0, 5.0, 9.0])
    >>> np.argsort(-short_list_first(first, second, np.array([0]), 2)).tolist()
    [2, 1, 0, 3]
    """
    unlabelled = np.ones(len(first), dtype=bool)
    unlabelled[labelled] = False
    pool = np.flatnonzero(unlabelled)
    if 0 < k < len(pool):  # only those scoring at least the k-th best can be on the list
        pool = pool[first[pool] >= np.partition(first[pool], len(pool) - k)[len(pool) - k]]
    short = pool[np.argsort(-first[pool], kind="stable")[:k]]
    scores = first.copy()
    if len(short):
        scores[short] = second[short] + (first.max() - second[short].min() + 1.0)
    return scores


def _standardised(scores: np.ndarray) -> np.ndarray:
    return (scores - scores.mean()) / (scores.std() or 1.0)


#: The short list the optional embedding model re-orders (``Model.rerank_top``).
RERANK_TOP = 10
_SVM_METHODS = (
    "an active-learning model (TF-IDF features of title and abstract, a linear support vector "
    "machine retrained after each decision, with 100 records not yet screened taken as "
    "presumed irrelevant at each retrain)"
)
MODELS: dict[str, Model] = {
    "svm": Model(
        "svm",
        tfidf_features,
        linear_svm,
        linear=True,
        pseudo_negatives=100,
        pseudo_weight=0.3,
        methods=_SVM_METHODS,
    ),
    "logistic": Model(
        "logistic",
        tfidf_features,
        lambda seed: LogisticRegression(C=10.0, random_state=seed),
        linear=True,
        methods="an active-learning model (TF-IDF features of title and abstract, a logistic "
        "regression retrained after each decision)",
    ),
    "nb": Model(
        "nb",
        tfidf_features,
        lambda seed: MultinomialNB(alpha=3.822),
        balance=None,
        methods="an active-learning model (TF-IDF features of title and abstract, a "
        "multinomial naive Bayes classifier retrained after each decision)",
    ),
    # The optional sentence-embedding model (issue 19; benchmarks/ranking_candidates.py's
    # switch10-rerank10-pseudo): the default until 10 relevant records are found; then the
    # default's SVM names its 10 highest-ranked unscreened records and the fusion of it
    # with the same SVM on words and embedding orders them (pseudo-negatives in both).
    "minilm": Model(
        "minilm",
        tfidf_features,
        linear_svm,
        linear=True,
        pseudo_negatives=100,
        pseudo_weight=0.3,
        embedding=True,
        switch_after_relevant=10,
        rerank_top=RERANK_TOP,
        methods=_SVM_METHODS[:-1] + f"; from the tenth relevant record on, its {RERANK_TOP} "
        "highest-ranked records were re-ordered by the sum of its standardised scores and "
        "those of a second such machine that also read each record's sentence embedding, "
        "all-MiniLM-L6-v2)",
    ),
}
DEFAULT_MODEL = "svm"


def get_model(name: str) -> Model:
    """The built-in model called ``name`` (a clear error naming the choices otherwise)."""
    if name not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {name!r}")
    return MODELS[name]


def record_text(title: str | None, abstract: str | None) -> str:
    """The text a model reads: the title twice, then the abstract, missing parts left out.

    Reading the title twice weighs its terms more than the abstract's (a title says what a
    record is about in a few words); on the nine SYNERGY reviews it raised mean WSS@95 from
    0.516 to 0.533 under the benchmark's fixed protocol (``benchmarks/ranking_candidates.py``).

    >>> record_text("Exercise for depression", "A randomised trial.")
    'Exercise for depression Exercise for depression A randomised trial.'
    """
    title = title if isinstance(title, str) and title else None
    return " ".join(part for part in (title, title, abstract) if isinstance(part, str) and part)


def balanced_weights(
    labels: np.ndarray, balance: float | None, pseudo: int = 0, pseudo_weight: float = 1.0
) -> np.ndarray | None:
    """Sample weights giving the irrelevant records, together, ``balance`` times the weight
    of the relevant ones (``None``: unweighted). The last ``pseudo`` records are presumed
    irrelevant (see :class:`Model`) and weigh ``pseudo_weight`` times a labelled one.

    >>> balanced_weights(np.array([1, 0, 0, 0]), 1.0).tolist()
    [1.0, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333]
    >>> balanced_weights(np.array([1, 0, 0, 0]), 1.0, pseudo=2, pseudo_weight=0.5).tolist()
    [1.0, 0.5, 0.25, 0.25]
    """
    scale = np.ones(len(labels))
    if pseudo:
        scale[len(labels) - pseudo :] = pseudo_weight
    if balance is None:
        return scale if pseudo and pseudo_weight != 1.0 else None
    relevant = int(labels.sum())
    irrelevant = float(scale[labels == 0].sum())
    return np.where(labels == 1, 1.0, balance * relevant / irrelevant * scale)


def _fit(classifier: Any, X: Any, y: np.ndarray, weights: Any, beside: bool = False) -> None:
    """Fit ``classifier`` without scikit-learn's checks: on the second liblinear if
    ``beside`` and it can there (:func:`~metareview.records.liblinear.fit_beside`, the same
    coefficients), otherwise on the first, taking turns (``_FITTING``)."""
    if beside and fit_beside(classifier, X, y, weights):
        return
    with _FITTING, sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        classifier.fit(X, y, sample_weight=weights)


def _dense_rows(block: np.ndarray) -> sparse.csr_matrix:
    """A dense block as a CSR matrix with every entry stored (no scan for zeros).

    >>> _dense_rows(np.array([[1.0, 0.0], [2.0, 3.0]])).nnz
    4
    """
    rows, width = block.shape
    return sparse.csr_matrix(
        (block.ravel(), np.tile(np.arange(width), rows), np.arange(0, rows * width + 1, width)),
        shape=block.shape,
    )


class Ranker:
    """Ranks records by relevance from the labels given so far.

    Parameters
    ----------
    texts
        One text per record (see :func:`record_text`).
    model
        A name in :data:`MODELS` or a :class:`Model`.
    seed
        Seed of the classifier, so rankings are reproducible.
    vectors
        For a model that reads sentence embeddings (``Model.embedding``): one unit vector
        per text, in the same order (:func:`metareview.records.embeddings.embed`).
    """

    def __init__(
        self,
        texts: Sequence[str],
        model: str | Model = DEFAULT_MODEL,
        seed: int = 0,
        *,
        vectors: Any = None,
    ):
        self.model = get_model(model) if isinstance(model, str) else model
        self.seed = seed
        self.n = len(texts)
        if self.model.embedding and vectors is None:
            raise InputError(
                f"model {self.model.name!r} reads the records' sentence embeddings: give "
                "vectors, one per text (metareview.records.embeddings.embed; in a project "
                "'metareview records embed')"
            )
        try:
            self.matrix = sparse.csr_matrix(self.model.features().fit_transform(list(texts)))
        except ValueError:  # no term tells the records apart (all alike, or no words at all):
            self.matrix = sparse.csr_matrix((self.n, 1))  # every record ranks alike, in order
        self.vectors: np.ndarray | None = None
        if self.model.embedding:
            from metareview.records.embeddings import check_vectors

            try:
                block = check_vectors(vectors, self.n)
            except ValueError as err:
                raise InputError(str(err)) from err
            self.vectors = block
        self._scoring: list[sparse.csr_matrix] = []
        if self.model.linear:
            shared = np.bincount(self.matrix.indices, minlength=self.matrix.shape[1]) > 1
            self._shared = np.flatnonzero(shared)
            scoring = self.matrix[:, self._shared].astype(np.float32)
            halves = 2 if self.n >= THREADED_FROM else 1
            bounds = np.linspace(0, self.n, halves + 1).astype(int)
            self._scoring = [scoring[a:b] for a, b in itertools.pairwise(bounds)]

    def scores(self, labels: Mapping[int, int], screened: Iterable[int] = ()) -> np.ndarray:
        """Relevance scores of every record, from a classifier trained on ``labels``
        (record index → 1 relevant / 0 irrelevant). Needs both classes. ``screened``: other
        records already screened without an include/exclude label (a "maybe"), never drawn
        as pseudo-negatives."""
        index = np.fromiter(labels, dtype=np.intp, count=len(labels))
        y = np.fromiter((labels[i] for i in index), dtype=np.intp, count=len(labels))
        if y.min(initial=1) == y.max(initial=0) or len(y) == 0:
            raise ValueError("training needs at least one relevant and one irrelevant record")
        classifier = self.model.classifier(self.seed)
        pseudo = self._pseudo_negatives(index, screened)
        if len(pseudo):
            index = np.concatenate([index, pseudo])
            y = np.concatenate([y, np.zeros(len(pseudo), dtype=y.dtype)])
        weights = balanced_weights(y, self.model.balance, len(pseudo), self.model.pseudo_weight)
        rows = self.matrix[index]
        if self.vectors is not None and self.reads_embedding(labels):
            return self._embedding_scores(rows, index, y, weights, len(labels))
        if self._scoring:
            return self._linear_scores([classifier], rows, index, y, weights)[0]
        classifier.fit(rows, y, sample_weight=weights)
        if hasattr(classifier, "decision_function"):
            return np.asarray(classifier.decision_function(self.matrix))
        return np.asarray(classifier.predict_proba(self.matrix))[:, 1]

    def reads_embedding(self, labels: Mapping[int, int]) -> bool:
        """Whether a retrain on ``labels`` reads the embedding: for a model with
        ``switch_after_relevant``, once that many records are labelled relevant (see
        :class:`Model`).

        >>> ranker = Ranker(["a b", "c d", "e f"], Model("x", tfidf_features, linear_svm,
        ...     linear=True, embedding=True, switch_after_relevant=2), vectors=np.eye(3))
        >>> ranker.reads_embedding({0: 1, 1: 0, 2: 0}), ranker.reads_embedding({0: 1, 2: 1})
        (False, True)
        """
        if not self.model.embedding:
            return False
        needed = self.model.switch_after_relevant
        return needed is None or sum(1 for label in labels.values() if label == 1) >= needed

    def _embedding_scores(
        self, rows: sparse.csr_matrix, index: np.ndarray, y: np.ndarray, weights: Any, labelled: int
    ) -> np.ndarray:
        """Scores of every record by the fusion of a classifier on the words and one on the
        words and embedding (see :class:`Model`), or the words-alone short list re-ordered
        by it (``Model.rerank_top``). ``index``: the training rows, the first ``labelled``
        of them labelled (the rest pseudo-negatives)."""
        scorer = self.model.embedding_scorer
        if scorer == "svm":
            words, both = self._linear_scores(
                [self.model.classifier(self.seed), self.model.classifier(self.seed)],
                rows,
                index,
                y,
                weights,
                self.vectors,
            )
        else:  # the embedding's scores come from another thread while the words SVM fits
            reader = {"ridge": self._ridge_scores, "vector-svm": self._vector_svm_scores}.get(
                scorer, self._centroid_scores
            )
            pending = _THREADS.submit(reader, index, y, weights)
            words = self._linear_scores([self.model.classifier(self.seed)], rows, index, y, weights)
            words, both = words[0], pending.result()
        fused = _standardised(words) + _standardised(both)
        if self.model.rerank_top is None:
            return fused
        return short_list_first(words, fused, index[:labelled], self.model.rerank_top)

    def _centroid_scores(self, index: np.ndarray, y: np.ndarray, weights: Any) -> np.ndarray:
        """Every record's vector's dot product with the weighted sum of the training rows'
        vectors, the relevant ones added and the irrelevant ones subtracted (``"centroid"``:
        with balanced weights, the difference of the two classes' centroids) or left out
        (``"relevant-centroid"``); see :class:`Model`."""
        irrelevant = -1.0 if self.model.embedding_scorer == "centroid" else 0.0
        sign = np.where(y == 1, 1.0, irrelevant)
        if weights is not None:
            sign = sign * weights
        with _one_blas_thread():
            direction = (sign @ self.vectors[index]).astype(np.float32)
        return _embedding_product(self.vectors, direction).astype(float)

    def _ridge_scores(self, index: np.ndarray, y: np.ndarray, weights: Any) -> np.ndarray:
        """Every record's vector's product with the weighted ridge regression of the
        training rows' classes (+1 relevant, −1 irrelevant) on their vectors, the intercept
        unpenalised (the vectors centred on their weighted mean), penalty
        :data:`RIDGE_PENALTY` (``"ridge"``; see :class:`Model`)."""
        rows = self.vectors[index].astype(float)
        weight = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
        target = np.where(y == 1, 1.0, -1.0)
        with _one_blas_thread():
            rows -= weight @ rows / weight.sum()  # centred on the weighted mean
            target = target - weight @ target / weight.sum()
            gram = (rows * weight[:, None]).T @ rows
            gram[np.diag_indices_from(gram)] += RIDGE_PENALTY
            direction = np.linalg.solve(gram, rows.T @ (weight * target))
        return _embedding_product(self.vectors, direction.astype(np.float32)).astype(float)

    def _vector_svm_scores(self, index: np.ndarray, y: np.ndarray, weights: Any) -> np.ndarray:
        """Every record's score by a second ``classifier`` fitted on the training rows'
        vectors alone (``"vector-svm"``; see :class:`Model`), on the second liblinear where
        it can (the same coefficients as taking turns on the first)."""
        classifier = self.model.classifier(self.seed)
        _fit(classifier, self.vectors[index], y, weights, beside=True)
        direction = np.ravel(classifier.coef_).astype(np.float32)
        scores = _embedding_product(self.vectors, direction).astype(float)
        return scores + float(np.ravel(classifier.intercept_)[0])

    def _pseudo_negatives(self, labelled: np.ndarray, screened: Iterable[int] = ()) -> np.ndarray:
        """The unlabelled records presumed irrelevant for this retrain: a random sample
        drawn from the seed and the number of labelled records (the same on a rerun), or
        every unlabelled record; their true labels are never read."""
        count = self.model.pseudo_negatives
        if count == 0:
            return np.empty(0, dtype=np.intp)
        unlabelled = np.ones(self.n, dtype=bool)
        unlabelled[labelled] = False
        unlabelled[np.fromiter(screened, dtype=np.intp)] = False
        pool = np.flatnonzero(unlabelled)
        if 0 < count < 1:
            count = max(1, round(count * len(pool)))
        if count < 0 or count >= len(pool):
            return pool
        rng = np.random.default_rng([self.seed, len(labelled)])
        return np.sort(rng.choice(pool, size=count, replace=False))

    def _linear_scores(
        self,
        classifiers: Sequence[Any],
        rows: sparse.csr_matrix,
        index: np.ndarray,
        y: np.ndarray,
        weights: Any,
        vectors: np.ndarray | None = None,
    ) -> list[np.ndarray]:
        """Fit each classifier on the columns ``rows`` use (renumbered 0…k−1), then score
        every record with the weights put back in place (0 elsewhere): the same model, a
        smaller problem. The product over all records leaves out the columns of a single
        record (weight 0 unless that record is labelled); labelled records are scored on
        their own rows. With ``vectors`` (one per record), the second and later classifiers
        read each row's vector beside its words. Once this thread has built those rows, the
        first classifier fits and scores on a thread of its own while this one fits the next
        at the same time on the second liblinear
        (:func:`~metareview.records.liblinear.fit_beside`: the same coefficients; where that
        cannot be, the fits take turns, see ``_FITTING``) and scores with it. Each of the two
        products then runs on one thread. (Measured on 10,000 records: rows built while the
        first classifier fits, or the second product split over the threads, where it meets
        the first's, each made a retrain + rank about 1 ms slower.)
        """
        used = np.zeros(self.matrix.shape[1], dtype=bool)
        used[rows.indices] = True
        used[0] = True  # at least one column, should the labelled rows have no terms at all
        width = int(used.sum())
        renumber = np.cumsum(used, dtype=rows.indices.dtype) - 1
        words = sparse.csr_matrix(
            (rows.data, renumber[rows.indices], rows.indptr), shape=(rows.shape[0], width)
        )
        # which shared columns the rows use, as positions (a boolean mask of them made
        # each classifier's weights take 1-1.5 ms more to put in place, measured)
        shared_used = np.flatnonzero(used[self._shared])
        shared_place = renumber[self._shared[shared_used]]

        def fit_and_score(
            classifier: Any, compact: sparse.csr_matrix, split: bool, beside: bool = False
        ) -> np.ndarray:
            _fit(classifier, compact, y, weights, beside)
            fitted = np.ravel(classifier.coef_).astype(np.float32)
            shared = np.zeros(len(self._shared), dtype=np.float32)
            shared[shared_used] = fitted[shared_place]
            column = self._shared_product(shared, split)
            if compact.shape[1] > width:  # the vectors beside the words
                column += _embedding_product(vectors, fitted[width:])
            column = column.astype(float)
            column[index] = compact @ fitted
            return column + float(np.ravel(classifier.intercept_)[0])

        if len(classifiers) == 1:
            return [fit_and_score(classifiers[0], words, split=True)]
        compact = words
        if vectors is not None:
            compact = sparse.hstack([words, _dense_rows(vectors[index])], format="csr")
        first = _THREADS.submit(fit_and_score, classifiers[0], words, False)
        later = [fit_and_score(c, compact, False, beside=True) for c in classifiers[1:]]
        return [first.result(), *later]

    def _shared_product(self, shared: np.ndarray, split: bool = True) -> np.ndarray:
        """Every record's product with the weights of the shared columns (float32; for a
        large project in two halves if ``split``: the second on another thread while this
        one computes the first)."""
        if split and len(self._scoring) > 1:
            later = [_THREADS.submit(block.dot, shared) for block in self._scoring[1:]]
            first = self._scoring[0] @ shared
            return np.concatenate([first, *(product.result() for product in later)])
        return np.concatenate([block @ shared for block in self._scoring])

    def rank(self, labels: Mapping[int, int], screened: Iterable[int] = ()) -> np.ndarray:
        """Unlabelled record indices, most relevant first ("max" query); ties by index.
        ``screened``: records screened without an include/exclude label (see :meth:`scores`);
        they are ranked, but never presumed irrelevant."""
        scores = self.scores(labels, screened)
        unlabelled = np.ones(self.n, dtype=bool)
        unlabelled[np.fromiter(labels, dtype=np.intp, count=len(labels))] = False
        pool = np.flatnonzero(unlabelled)
        return pool[np.argsort(-scores[pool], kind="stable")]


def own_vote_order(
    ranker: Ranker | None, pool: Sequence[int], own_votes: Mapping[int, str]
) -> tuple[int, ...]:
    """The records of ``pool`` a reviewer has not voted on, most relevant first by a model
    trained on *their own* include/exclude votes only (so the order cannot reveal another
    reviewer's votes); in pool order until they have voted both ways (or without a ranker).

    ``ranker`` was built on the texts of ``pool``, in that order.

    >>> pool = [10, 11, 12, 13, 14]
    >>> ranker = Ranker(["exercise trial for depression", "exercise randomised trial",
    ...                  "history of medicine", "survey of hospitals", "depression exercise"])
    >>> own_vote_order(ranker, pool, {10: "include"})
    (11, 12, 13, 14)
    >>> own_vote_order(ranker, pool, {10: "include", 12: "exclude"})[:2]
    (14, 11)
    """
    positions = {record_id: i for i, record_id in enumerate(pool)}
    labels = {
        positions[r]: int(vote == "include")
        for r, vote in own_votes.items()
        if vote in ("include", "exclude") and r in positions
    }
    todo = tuple(r for r in pool if r not in own_votes)
    if ranker is None or len(set(labels.values())) < 2:
        return todo
    unvoted = set(todo)
    maybe = [positions[r] for r in own_votes if r in positions and positions[r] not in labels]
    ranked = tuple(pool[int(i)] for i in ranker.rank(labels, maybe) if pool[int(i)] in unvoted)
    seen = set(ranked)  # (once: a set per record made this quadratic, minutes at 50,000)
    return ranked + tuple(r for r in todo if r not in seen)
