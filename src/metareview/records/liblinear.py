"""A second liblinear: fit a linear SVM while another fits, with the same results as alone.

scikit-learn's :class:`~sklearn.svm.LinearSVC` solves its dual problem with liblinear,
which shuffles its coordinates with *one random generator for the whole process*, seeded
at the start of each fit. Two fits at once would draw from it in turn, so neither would be
reproducible; the ranker therefore makes its fits take turns (``active_learning._FITTING``).
The optional embedding model fits two SVMs per retrain, and taking turns made its retrain
take the two fits' time end to end.

A compiled extension module keeps its globals, the random generator among them, in its own
copy of the shared library. So this module loads scikit-learn's ``_liblinear`` a second
time, from a copy of its file under another name: a second liblinear with a generator of
its own. A fit on it (:func:`fit_beside`) seeds that generator exactly as
:class:`~sklearn.svm.LinearSVC` seeds the first, so it gives the same coefficients as
``LinearSVC.fit`` bit for bit, while a fit on the first runs on another core (the fit
releases the GIL). Fits on this second copy take turns among themselves (:data:`_FITTING`).

If the copy cannot be loaded (a temporary directory without the right to execute, say),
or would not have a generator of its own (scikit-learn's liblinear was loaded into the
process's global symbols, ``RTLD_GLOBAL``, so the copy's generator would be bound to the
first one's), :func:`fit_beside` says so and the caller fits as before, taking turns: the
same results, only slower.

>>> import numpy as np
>>> from sklearn.svm import LinearSVC
>>> X, y = np.array([[0.0, 1.0], [1.0, 0.0], [0.9, 0.2]]), np.array([1, 0, 0])
>>> beside, alone = LinearSVC(C=0.1, random_state=1), LinearSVC(C=0.1, random_state=1)
>>> fitted = fit_beside(beside, X, y)
>>> alone = alone.fit(X, y)
>>> not fitted or (np.array_equal(beside.coef_, alone.coef_)
...                and np.array_equal(beside.intercept_, alone.intercept_))
True
"""

from __future__ import annotations

import functools
import importlib.util
import shutil
import tempfile
import threading
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.svm import LinearSVC

#: Held while a classifier is fitted on the second liblinear (its generator is one too).
_FITTING = threading.Lock()
#: liblinear's solver numbers (its README): the L2-regularised squared-hinge SVM, dual or primal.
_SQUARED_HINGE_DUAL, _SQUARED_HINGE_PRIMAL = 1, 2


@functools.cache
def second_liblinear() -> ModuleType | None:
    """scikit-learn's liblinear module loaded a second time, with globals of its own; ``None``
    if that copy cannot be loaded here.

    >>> import sklearn.svm._liblinear as first
    >>> second_liblinear() is None or second_liblinear() is not first
    True
    """
    import sklearn.svm._liblinear as first

    if _generator_is_global():
        return None
    source = Path(first.__file__)
    try:
        with tempfile.TemporaryDirectory(
            prefix="metareview-liblinear-", ignore_cleanup_errors=True
        ) as folder:
            copy = Path(folder) / source.name
            shutil.copyfile(source, copy)
            spec = importlib.util.spec_from_file_location(first.__name__, copy)
            if spec is None or spec.loader is None:
                return None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)  # (the mapping outlives the file on POSIX)
    except Exception:  # (whatever stops the copy loading, the fits take turns)
        return None
    module.set_verbosity_wrap(0)
    return module


def _generator_is_global() -> bool:
    """Whether liblinear's random generator (the symbol ``mt_rand``) is among the process's
    global symbols, where a second copy's own references would find it and share it.

    >>> _generator_is_global()
    False
    """
    import ctypes

    try:
        return hasattr(ctypes.CDLL(None), "mt_rand")
    except OSError:  # (no handle on the process's own symbols here: assume the worst)
        return True


def _reproducible_here(classifier: Any, classes: np.ndarray) -> bool:
    """Whether :func:`fit_beside` fits ``classifier`` as its own ``fit`` would: a plain
    :class:`LinearSVC` with the L2 penalty, the squared hinge and no class weights, on
    labels of two ``classes``."""
    return (
        type(classifier) is LinearSVC
        and classifier.penalty == "l2"
        and classifier.loss == "squared_hinge"
        and classifier.multi_class == "ovr"
        and classifier.class_weight is None
        and classifier.intercept_scaling > 0
        and len(classes) == 2
    )


def fit_beside(classifier: Any, X: Any, y: np.ndarray, sample_weight: Any = None) -> bool:
    """Fit ``classifier`` on the second liblinear, as its ``fit`` would on the first (the
    same coefficients), and say whether it did; ``False``, nothing done, if the copy is not
    loaded or the classifier is not one it reproduces (see :func:`_reproducible_here`).

    ``dual="auto"`` is resolved as scikit-learn documents it: the dual problem when there
    are fewer samples than features. The seed is drawn from ``random_state`` as
    :class:`LinearSVC` draws it.

    >>> from sklearn.svm import LinearSVC
    >>> fit_beside(LinearSVC(class_weight="balanced"), np.eye(2), np.array([0, 1]))
    False
    """
    module = second_liblinear()
    y = np.asarray(y)
    classes = np.unique(y)
    if module is None or not _reproducible_here(classifier, classes):
        return False
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.utils import check_random_state

    if sparse.issparse(X):
        X = sparse.csr_matrix(X)  # (a CSR matrix as it is, without a copy of its arrays)
        if X.indices.dtype != np.int32 or X.indptr.dtype != np.int32:
            return False  # (LinearSVC.fit refuses 64-bit indices: let it say so)
        if X.dtype != np.float64:
            X = X.astype(np.float64)
    else:
        X = np.ascontiguousarray(X, dtype=np.float64)
    weights = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],) or weights.shape != y.shape:
        return False  # (LinearSVC.fit names what is wrong)
    target = np.ascontiguousarray(y == classes[1], dtype=np.float64)
    dual = classifier.dual
    if dual == "auto":
        dual = X.shape[0] < X.shape[1]
    solver = _SQUARED_HINGE_DUAL if dual else _SQUARED_HINGE_PRIMAL
    bias = classifier.intercept_scaling if classifier.fit_intercept else -1.0
    seed = check_random_state(classifier.random_state).randint(np.iinfo("i").max)
    with _FITTING:
        raw, iterations = module.train_wrap(
            X,
            target,
            sparse.issparse(X),
            solver,
            classifier.tol,
            bias,
            classifier.C,
            np.ones(2),  # each class's weight
            classifier.max_iter,
            seed,
            0.1,  # epsilon: used by the regression solvers only
            weights,
        )
    iterations = int(np.max(iterations))
    if iterations >= classifier.max_iter:  # (LinearSVC.fit's warning)
        warnings.warn(
            "Liblinear failed to converge, increase the number of iterations.",
            ConvergenceWarning,
            stacklevel=2,
        )
    if classifier.fit_intercept:
        classifier.coef_ = raw[:, :-1]
        classifier.intercept_ = classifier.intercept_scaling * raw[:, -1]
    else:
        classifier.coef_, classifier.intercept_ = raw, 0.0
    classifier.classes_, classifier.n_iter_ = classes, iterations
    classifier.n_features_in_ = X.shape[1]
    return True
