"""GOSH: the graphical display of study heterogeneity (Olkin, Dahabreh & Trikalinos 2012).

The same meta-analysis is fitted on many subsets of the studies: all ``2^k − 1`` non-empty
subsets when that many are at most ``limit``, otherwise ``subsets`` random subsets in which
every study is included with probability ½ (as R metafor's ``gosh()``), drawn from a seeded
generator. Each fit reports the pooled estimate, τ², I², H² and Cochran's Q; plotting the
estimate against I² shows whether a few studies drive the heterogeneity (clusters).

The fits are vectorised over subsets: a block of subsets is a 0/1 membership matrix ``M``
(subsets × studies) and every sum a fit needs is a row sum of ``M`` times a per-study vector,
so the common-effect (``FE``) and DerSimonian–Laird (``DL``) fits are a handful of array
operations per block. ``REML`` runs Fisher scoring, then Newton steps to the root
:func:`pool` reaches, on all subsets of a block at once.

Heterogeneity statistics follow metafor's ``gosh()``: for ``FE`` and ``DL``
``I² = 100·max(0, (Q − df)/Q)`` and ``H² = Q/df``; for ``REML`` ``I² = 100·τ²/(τ² + s²)`` and
``H² = (τ² + s²)/s²`` with the typical within-study variance
``s² = df/(Σw − Σw²/Σw)``. A one-study subset has ``Q = 0``, ``I² = 0``, ``H² = 1``.

>>> import numpy as np
>>> res = gosh([0.1, 0.3, 0.35, 0.8], [0.01, 0.02, 0.015, 0.03], method="DL")
>>> res.n_subsets, res.exhaustive
(15, True)
>>> round(float(res.estimate[res.subset_k == 4][0]), 4)
0.3638
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metareview.errors import AnalysisError, InputError

GOSH_METHODS = ("FE", "DL", "REML")
DEFAULT_LIMIT = 1_000_000
_BLOCK_CELLS = 250_000  # membership cells per block: small blocks stay in cache
# memory a GOSH may hold: the membership matrix and seven per-subset arrays
MAX_MEMORY_BYTES = 4 * 2**30
_REML_TOL = 1e-10  # pool()'s tolerance on τ², relative to τ² plus the mean variance
_REML_NEAR = 1e-8  # Fisher scoring hands over to Newton steps at this relative change
_REML_MAXITER = 1000
_NEWTON_STEPS = 50
# the per-subset arrays of to_dict(cloud=True), with the byte layout they are stored in
_CLOUD_DTYPES = {"estimate": "<f8", "tau2": "<f8", "i2": "<f8", "h2": "<f8", "q": "<f8"}
_CLOUD_DTYPES["subset_k"] = "<i2"


@dataclass(frozen=True)
class GoshResult:
    """One fit per subset of studies.

    Attributes
    ----------
    method : the model fitted on each subset (``FE``, ``DL`` or ``REML``).
    studies : study labels, in the column order of ``membership``.
    membership : boolean array (subsets × studies), ``True`` where the study is in the subset.
    estimate, tau2, i2, h2, q : one value per subset (I² in percent).
    subset_k : number of studies in each subset.
    exhaustive : whether all ``2^k − 1`` subsets were fitted (else random subsets).
    seed : the seed of the random subsets (``None`` when exhaustive).
    converged : for REML, whether the iterations converged on that subset (always true else).
    """

    method: str
    studies: tuple[str, ...]
    membership: np.ndarray = field(repr=False)
    estimate: np.ndarray = field(repr=False)
    tau2: np.ndarray = field(repr=False)
    i2: np.ndarray = field(repr=False)
    h2: np.ndarray = field(repr=False)
    q: np.ndarray = field(repr=False)
    subset_k: np.ndarray = field(repr=False)
    exhaustive: bool = True
    seed: int | None = None
    converged: np.ndarray | None = field(default=None, repr=False)

    @property
    def k(self) -> int:
        return len(self.studies)

    @property
    def n_subsets(self) -> int:
        return int(self.membership.shape[0])

    def bitmask(self) -> np.ndarray:
        """Membership as one integer per subset (study ``j`` is bit ``j``); needs k ≤ 63."""
        if self.k > 63:
            raise InputError(f"a bitmask holds at most 63 studies; this GOSH has {self.k}")
        return membership_to_bitmask(self.membership)

    def to_frame(self, membership: str = "columns") -> Any:
        """A pandas DataFrame: ``estimate tau2 i2 h2 q k`` and the membership.

        ``membership="columns"`` adds one boolean column per study (named by its label);
        ``"bitmask"`` adds one integer column ``mask`` (k ≤ 63).
        """
        import pandas as pd

        frame = pd.DataFrame(
            {
                "estimate": self.estimate,
                "tau2": self.tau2,
                "i2": self.i2,
                "h2": self.h2,
                "q": self.q,
                "k": self.subset_k,
            }
        )
        if membership == "bitmask":
            frame["mask"] = self.bitmask()
        elif membership == "columns":
            members = pd.DataFrame(self.membership, columns=list(self.studies))
            frame = pd.concat([frame, members], axis=1)
        else:
            raise InputError(f"membership must be one of columns, bitmask; got {membership!r}")
        return frame

    def to_dict(self, cloud: bool = False) -> dict[str, Any]:
        """Summary of the cloud; with ``cloud=True`` also every subset's values, which
        :meth:`from_dict` reads back bit for bit: each per-subset array as the base64 text of
        its little-endian bytes (``_CLOUD_DTYPES``), ``membership`` as the rows of
        ``np.packbits(membership, axis=1, bitorder="little")`` (study ``j`` is bit ``j``),
        likewise in base64. JSON numbers would take twice the space and ten times the time.

        >>> res = gosh([0.2, 0.4, 0.9], [0.04, 0.05, 0.04], method="DL")
        >>> document = res.to_dict(cloud=True)
        >>> document["cloud"]["subset_k"]
        'AQABAAEAAgACAAIAAwA='
        >>> back = GoshResult.from_dict(document)
        >>> bool((back.estimate == res.estimate).all() and (back.membership == res.membership).all())
        True
        """
        document: dict[str, Any] = {
            "method": self.method,
            "k": self.k,
            "studies": list(self.studies),
            "n_subsets": self.n_subsets,
            "exhaustive": self.exhaustive,
            "seed": self.seed,
            "estimate_range": [float(np.nanmin(self.estimate)), float(np.nanmax(self.estimate))],
            "i2_range": [float(np.nanmin(self.i2)), float(np.nanmax(self.i2))],
        }
        if cloud:
            arrays = {name: getattr(self, name) for name in _CLOUD_DTYPES}
            arrays["membership"] = np.packbits(self.membership, axis=1, bitorder="little")
            if self.converged is not None:
                arrays["converged"] = self.converged
            document["cloud"] = {
                name: base64.b64encode(
                    np.ascontiguousarray(values, dtype=_CLOUD_DTYPES.get(name, "u1")).tobytes()
                ).decode("ascii")
                for name, values in arrays.items()
            }
        return document

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> GoshResult:
        """The result that ``to_dict(cloud=True)`` wrote."""
        if "cloud" not in document:
            raise InputError("this GOSH document has no cloud; write it with to_dict(cloud=True)")

        def array(name: str) -> np.ndarray:
            data = base64.b64decode(document["cloud"][name])
            return np.frombuffer(data, dtype=_CLOUD_DTYPES.get(name, "u1")).copy()

        k, n = int(document["k"]), int(document["n_subsets"])
        packed = array("membership").reshape(n, -1)
        converged = array("converged").astype(bool) if "converged" in document["cloud"] else None
        return cls(
            method=document["method"],
            studies=tuple(document["studies"]),
            membership=np.unpackbits(packed, axis=1, count=k, bitorder="little").astype(bool),
            subset_k=array("subset_k").astype(np.int64),
            exhaustive=document["exhaustive"],
            seed=document["seed"],
            converged=converged,
            **{name: array(name).astype(float) for name in _CLOUD_DTYPES if name != "subset_k"},
        )

    def summary(self) -> str:
        kind = "all subsets" if self.exhaustive else f"random subsets (seed {self.seed})"
        lo, hi = np.nanmin(self.estimate), np.nanmax(self.estimate)
        return (
            f"GOSH ({self.method}): {self.n_subsets} fits on {kind} of k = {self.k} studies; "
            f"estimate {lo:.4f} to {hi:.4f}, I² {np.nanmin(self.i2):.1f}% to "
            f"{np.nanmax(self.i2):.1f}%"
        )

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>"


def membership_to_bitmask(membership: np.ndarray) -> np.ndarray:
    """Encode a boolean membership matrix as integers (study ``j`` is bit ``j``).

    >>> membership_to_bitmask(np.array([[True, False, True]])).tolist()
    [5]
    """
    weights = np.left_shift(np.int64(1), np.arange(membership.shape[1], dtype=np.int64))
    return membership.astype(np.int64) @ weights


def bitmask_to_membership(masks: np.ndarray, k: int) -> np.ndarray:
    """Decode integer bitmasks into a boolean membership matrix with ``k`` columns.

    >>> bitmask_to_membership(np.array([5]), 3).tolist()
    [[True, False, True]]
    """
    as_bytes = np.ascontiguousarray(np.asarray(masks, dtype="<i8")).view(np.uint8)
    bits = np.unpackbits(as_bytes.reshape(-1, 8), axis=1, bitorder="little")
    return bits[:, :k].astype(bool)


def all_subsets(k: int) -> np.ndarray:
    """Every non-empty subset of ``k`` studies, ordered by size, then by bitmask.

    This is the order of the subsets in metafor's ``gosh()``.

    >>> all_subsets(3).astype(int).tolist()
    [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]]
    """
    if k > 30:
        raise InputError(f"all subsets of {k} studies are too many to enumerate")
    masks = np.arange(1, 2**k, dtype=np.int64)
    membership = bitmask_to_membership(masks, k)
    return membership[np.lexsort((masks, membership.sum(axis=1)))]


def random_subsets(k: int, n: int, seed: int | None) -> np.ndarray:
    """``n`` random subsets: each study is in with probability ½; empty draws are redrawn.

    For k ≤ 62 a subset is a uniform random k-bit integer (the same distribution, much faster).

    >>> random_subsets(5, 3, seed=1).shape
    (3, 5)
    """
    rng = np.random.default_rng(seed)
    if k > 62:
        membership = rng.random((n, k)) < 0.5
        empty = ~membership.any(axis=1)
        while empty.any():
            membership[empty] = rng.random((int(empty.sum()), k)) < 0.5
            empty = ~membership.any(axis=1)
        return membership
    masks = rng.integers(0, 2**k, size=n, dtype=np.int64)
    empty = masks == 0
    while empty.any():
        masks[empty] = rng.integers(0, 2**k, size=int(empty.sum()), dtype=np.int64)
        empty = masks == 0
    return bitmask_to_membership(masks, k)


def memory_needed(k: int, n_subsets: int) -> int:
    """Bytes a GOSH of ``n_subsets`` fits of ``k`` studies holds: one membership byte per study
    and subset, five float64 results, the subset size (int64) and a convergence flag.

    >>> memory_needed(30, 10**9) / 1e9
    79.0
    """
    return n_subsets * (k + 5 * 8 + 8 + 1)


def _check_memory(k: int, n_subsets: int) -> None:
    needed = memory_needed(k, n_subsets)
    if needed > MAX_MEMORY_BYTES:
        most = MAX_MEMORY_BYTES // memory_needed(k, 1)
        raise AnalysisError(
            f"GOSH with {n_subsets:,} subsets of k = {k} studies needs about "
            f"{needed / 1e9:,.1f} GB of memory ({memory_needed(k, 1)} bytes per subset), more "
            f"than the {MAX_MEMORY_BYTES / 1e9:.1f} GB allowed; use at most {most:,} subsets "
            "(metafor's default is 10⁶)"
        )


def _check_method(method: str) -> str:
    key = str(method).upper()
    if key not in GOSH_METHODS:
        raise InputError(f"method must be one of {', '.join(GOSH_METHODS)}; got {method!r}")
    return key


def fit_subsets(
    yi: np.ndarray, vi: np.ndarray, membership: np.ndarray, method: str = "FE"
) -> dict[str, np.ndarray]:
    """Fit ``method`` on each row of ``membership``; returns arrays keyed like GoshResult.

    >>> out = fit_subsets(np.array([0.0, 1.0]), np.array([1.0, 1.0]),
    ...                   np.array([[True, True]]), "FE")
    >>> float(out["estimate"][0]), float(out["q"][0])
    (0.5, 0.5)
    """
    method = _check_method(method)
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    n, k = membership.shape
    rows = block_rows(k)
    keys = ("estimate", "tau2", "i2", "h2", "q", "converged")
    out = {key: np.empty(n, dtype=bool if key == "converged" else float) for key in keys}
    for start in range(0, n, rows):
        fitted = _fit_block(yi, vi, membership[start : start + rows], method)
        for key in keys:
            out[key][start : start + rows] = fitted[key]
    out["subset_k"] = membership.sum(axis=1)
    return out


def block_rows(k: int) -> int:
    """Subsets :func:`fit_subsets` fits at once for ``k`` studies; a part of the subsets
    starting at a multiple of it is fitted exactly as within the whole (same blocks, same
    arithmetic), so parts fitted apart and joined give identical results.

    >>> block_rows(30), block_rows(1000)
    (8333, 250)
    """
    return max(1, _BLOCK_CELLS // max(k, 1))


def _subset_sums(membership: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Row sums ``membership @ columns`` by table look-up, eight studies at a time.

    Each byte of the packed membership indexes a 256-row table holding the sums of every
    combination of its eight studies, so a subset's sums cost ⌈k/8⌉ look-ups, not k products.
    """
    packed = np.packbits(membership, axis=1, bitorder="little")
    combos = bitmask_to_membership(np.arange(256), 8).astype(float)
    sums = np.zeros((membership.shape[0], columns.shape[1]))
    for byte in range(packed.shape[1]):
        part = columns[8 * byte : 8 * byte + 8]
        table = combos[:, : len(part)] @ part
        sums += table[packed[:, byte]]
    return sums


def _fit_block(yi: np.ndarray, vi: np.ndarray, m: np.ndarray, method: str) -> dict[str, Any]:
    w = 1.0 / vi
    center = float(np.sum(w * yi) / np.sum(w))  # centring keeps Σw(y − ȳ)² accurate
    yc = yi - center
    columns = np.column_stack([w, w * yc, w * yc * yc, w * w, np.ones_like(w)])
    sw, swy, swyy, sw2, size = _subset_sums(m, columns).T
    mu_fe = swy / sw
    q = np.maximum(swyy - swy * mu_fe, 0.0)
    # where Q is a small difference of large sums, recompute it directly
    fragile = q < 1e-6 * swyy
    if fragile.any():
        mf = m[fragile]
        q[fragile] = (mf * w * (yc - mu_fe[fragile, None]) ** 2).sum(axis=1)
    df = size - 1.0
    c = sw - sw2 / sw
    converged = np.ones(len(sw), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "FE":
            tau2 = np.zeros_like(sw)
        elif method == "DL":
            tau2 = np.where(df > 0, np.maximum(0.0, (q - df) / c), 0.0)
        else:
            tau2, converged = _reml_block(yi, vi, m, q, df, c)
        estimate = mu_fe.copy()
        positive = tau2 > 0
        if positive.any():
            mp = m if positive.all() else m[positive]
            wr = 1.0 / (vi + tau2[positive, None])
            wr *= mp
            num, den = (wr @ np.column_stack([yc, np.ones_like(yc)])).T
            estimate[positive] = num / den
        estimate += center
        if method == "REML":
            s2 = np.where(df > 0, df / c, 0.0)
            total = tau2 + s2
            i2 = np.where(total > 0, 100.0 * tau2 / total, 0.0)
            h2 = np.where(s2 > 0, total / s2, 1.0)
        else:
            i2 = np.where((df > 0) & (q > 0), 100.0 * np.maximum(0.0, (q - df) / q), 0.0)
            h2 = np.where(df > 0, q / df, 1.0)
    q = np.where(df > 0, q, 0.0)
    return {"estimate": estimate, "tau2": tau2, "i2": i2, "h2": h2, "q": q, "converged": converged}


def _reml_block(
    yi: np.ndarray, vi: np.ndarray, m: np.ndarray, q: np.ndarray, df: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """REML τ² for every subset of a block: Fisher scoring from the DL value, with the step
    halved wherever it would lower the restricted likelihood (so no subset oscillates), then
    Newton steps on the REML estimating equation to the root :func:`pool` reaches (Fisher
    scoring converges only linearly where τ² is small, and stopped short of it there); the
    boundary τ² = 0 is taken where its likelihood is higher than the maximum found."""
    tau2 = np.where(df > 0, np.maximum(0.0, (q - df) / c), 0.0)
    active = df > 0
    converged = ~active
    for _ in range(_REML_MAXITER):
        if not active.any():
            break
        index = np.flatnonzero(active)
        ma = m[index]
        current = tau2[index]
        loglik = _reml_loglik(yi, vi, ma, current)
        value = _reml_equation(yi, vi, ma, current)[0]
        new = np.maximum(0.0, current + value / _fisher_information(yi, vi, ma, current))
        for _halving in range(30):
            worse = _reml_loglik(yi, vi, ma, new) < loglik - 1e-12 * np.abs(loglik)
            if not worse.any():
                break
            new[worse] = np.maximum(0.0, current[worse] + 0.5 * (new[worse] - current[worse]))
        done = np.abs(new - current) <= _REML_NEAR * np.maximum(1.0, new)
        tau2[index] = new
        converged[index[done]] = True
        active[index[done]] = False
    _polish_roots(yi, vi, m, tau2)
    # the restricted likelihood can have a local maximum inside (0, ∞) below its value at 0
    fitted = df > 0
    zero = np.zeros(int(fitted.sum()))
    at_zero = _reml_loglik(yi, vi, m[fitted], zero)
    at_fit = _reml_loglik(yi, vi, m[fitted], tau2[fitted])
    tau2[np.flatnonzero(fitted)[at_zero > at_fit]] = 0.0
    return tau2, converged


def _polish_roots(yi: np.ndarray, vi: np.ndarray, m: np.ndarray, tau2: np.ndarray) -> None:
    """Newton steps on the REML equation from Fisher scoring's interior estimates, in place,
    until a step is below pool()'s tolerance (relative to τ² plus the mean variance). A step
    that would leave τ² > 0 or a non-negative slope ends the polishing of that subset."""
    size = np.maximum(m.sum(axis=1), 1)
    scale = (m * vi).sum(axis=1) / size
    active = tau2 > 0
    for _ in range(_NEWTON_STEPS):
        if not active.any():
            return
        index = np.flatnonzero(active)
        current = tau2[index]
        value, slope = _reml_equation(yi, vi, m[index], current)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(slope < 0, -value / slope, np.nan)
        usable = np.isfinite(step) & (current + step > 0)
        tau2[index[usable]] = current[usable] + step[usable]
        small = np.abs(step) <= _REML_TOL * 1e-2 * (scale[index] + current)
        active[index[~usable | small]] = False


def _fisher_information(
    yi: np.ndarray, vi: np.ndarray, m: np.ndarray, tau2: np.ndarray
) -> np.ndarray:
    """Expected information of the REML equation, ``tr PP`` (Fisher scoring's divisor)."""
    w, sw, _ = _reml_terms(yi, vi, m, tau2)
    sw2 = (w * w).sum(axis=1)
    sw3 = (w * w * w).sum(axis=1)
    return sw2 - 2.0 * sw3 / sw + (sw2 / sw) ** 2


def _reml_terms(yi: np.ndarray, vi: np.ndarray, m: np.ndarray, tau2: np.ndarray):
    """Per-subset weights (0 outside the subset), their sums and the weighted residuals."""
    w = m / (vi + tau2[:, None])
    sw = w.sum(axis=1)
    mu = (w @ yi) / sw
    resid = (yi - mu[:, None]) * m
    return w, sw, resid


def _reml_loglik(yi: np.ndarray, vi: np.ndarray, m: np.ndarray, tau2: np.ndarray) -> np.ndarray:
    """Restricted log-likelihood (up to a constant) at ``tau2``, one value per subset."""
    w, sw, resid = _reml_terms(yi, vi, m, tau2)
    log_v = np.where(m > 0, np.log(vi + tau2[:, None]), 0.0).sum(axis=1)
    return -0.5 * (log_v + np.log(sw) + (w * resid * resid).sum(axis=1))


def _reml_equation(
    yi: np.ndarray, vi: np.ndarray, m: np.ndarray, tau2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The REML estimating equation ``y'PPy − tr P`` and its derivative in τ²
    (``tr PP − 2 y'PPPy``), one value per subset (intercept-only ``P = W − wwᵀ/Σw``)."""
    w, sw, resid = _reml_terms(yi, vi, m, tau2)
    sw2 = (w * w).sum(axis=1)
    sw3 = (w * w * w).sum(axis=1)
    wr = w * resid
    ypy2 = (wr * wr).sum(axis=1)
    yp3y = (w * wr * wr).sum(axis=1) - (w * wr).sum(axis=1) ** 2 / sw
    tr_p = sw - sw2 / sw
    tr_pp = sw2 - 2.0 * sw3 / sw + (sw2 / sw) ** 2
    return ypy2 - tr_p, tr_pp - 2.0 * yp3y


def gosh(
    yi: Any,
    vi: Any,
    *,
    method: str = "FE",
    subsets: int = DEFAULT_LIMIT,
    limit: int | None = None,
    seed: int | None = 0,
    studies: Any = None,
    fitter: Any = None,
) -> GoshResult:
    """Fit the meta-analysis on subsets of the studies.

    Parameters
    ----------
    yi, vi : effect sizes and their sampling variances (k studies, all finite, vi > 0).
    method : ``"FE"``, ``"DL"`` or ``"REML"``.
    subsets : number of random subsets when not all subsets are fitted (metafor's default 10⁶);
        an ``AnalysisError`` says how much memory a larger request needs
        (:func:`memory_needed`; at most ``MAX_MEMORY_BYTES``, 4 GiB).
    limit : fit all subsets when ``2^k − 1 ≤ limit`` (default: ``subsets``).
    seed : seed of the random subsets, for reproducible clouds.
    studies : study labels (default ``"1"``, ``"2"``, …).
    fitter : a function like :func:`fit_subsets` (``yi, vi, membership, method``) that fits
        the subsets elsewhere, e.g. in parts on a cluster (:mod:`metareview.scale.jobs`).

    >>> res = gosh([0.2, 0.4, 0.9], [0.04, 0.05, 0.04], method="FE")
    >>> res.to_frame().columns.tolist()
    ['estimate', 'tau2', 'i2', 'h2', 'q', 'k', '1', '2', '3']
    """
    method = _check_method(method)
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    if yi.ndim != 1 or yi.shape != vi.shape or len(yi) == 0:
        raise InputError("yi and vi must be one-dimensional, non-empty and of equal length")
    if not (np.isfinite(yi).all() and np.isfinite(vi).all() and (vi > 0).all()):
        raise InputError("yi must be finite and vi finite and positive for GOSH")
    if int(subsets) < 1:
        raise InputError(f"subsets must be a positive integer; got {subsets!r}")
    k = len(yi)
    labels = tuple(str(s) for s in (studies if studies is not None else range(1, k + 1)))
    if len(labels) != k:
        raise InputError(f"{len(labels)} study labels for {k} studies")
    limit = int(subsets) if limit is None else int(limit)
    exhaustive = k <= 30 and 2**k - 1 <= limit
    _check_memory(k, 2**k - 1 if exhaustive else int(subsets))
    membership = all_subsets(k) if exhaustive else random_subsets(k, int(subsets), seed)
    fitted = (fitter or fit_subsets)(yi, vi, membership, method)
    return GoshResult(
        method=method,
        studies=labels,
        membership=membership,
        exhaustive=exhaustive,
        seed=None if exhaustive else seed,
        converged=fitted["converged"],
        **{name: fitted[name] for name in _CLOUD_DTYPES},
    )
