"""Case diagnostics of a meta-analysis or meta-regression (Viechtbauer & Cheung 2010).

For every study ``i`` the model is refitted without it (τ² re-estimated) and compared with the
full fit:

- externally standardised residual ``(yᵢ − xᵢb₍₋ᵢ₎)/√(vᵢ + τ²₍₋ᵢ₎ + xᵢ V₍₋ᵢ₎ xᵢᵀ)``;
- DFFITS ``(ŷᵢ − ŷᵢ₍₋ᵢ₎)/√(hᵢ(τ²₍₋ᵢ₎ + vᵢ))``;
- Cook's distance ``(b − b₍₋ᵢ₎)ᵀ V⁻¹ (b − b₍₋ᵢ₎)``, V the covariance of the full fit;
- covariance ratio ``det V₍₋ᵢ₎ / det V``; DFBETAS ``(b − b₍₋ᵢ₎)/√diag (XᵀW₍₋ᵢ₎X)⁻¹`` with
  all k studies weighted at the deleted τ²;
- τ² and the residual heterogeneity Q when the study is deleted;
- hat value ``hᵢ = wᵢ xᵢ V xᵢᵀ`` and weight ``100·wᵢ/Σw``.

A study is flagged *influential* as in metafor: |DFFITS| > 3√(p/(k − p)), the χ²(p) lower
tail area at Cook's distance > 0.5, hat > 3p/k, or any |DFBETAS| > 1.

The Baujat plot data (Baujat et al. 2002, as metafor's ``baujat``): x = the study's
contribution to the heterogeneity statistic, ``(yᵢ − ŷᵢ)²/(vᵢ + τ²)``; y = its influence on the
fit, ``(ŷᵢ − ŷᵢ₍₋ᵢ₎)²/Var(ŷᵢ₍₋ᵢ₎)`` (``(b − b₍₋ᵢ₎)²/Var(b₍₋ᵢ₎)`` without moderators).

>>> yi = [0.10, 0.30, 0.35, 0.65, 0.45, 0.15, 1.40]
>>> vi = [0.03, 0.03, 0.05, 0.01, 0.05, 0.02, 0.04]
>>> res = influence(yi, vi, method="DL")
>>> res.influential
(False, False, False, False, False, False, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy

from metareview.errors import NotEstimableError
from metareview.stats.tau2 import check_inputs, check_method, estimate_tau2_model
from metareview.stats.wls import LinearModel

INFLUENCE_COLUMNS = (
    "rstudent",
    "dffits",
    "cooks_d",
    "cov_ratio",
    "tau2_del",
    "q_del",
    "hat",
    "weight",
)


@dataclass(frozen=True)
class InfluenceResult:
    """Per-study diagnostics, in input order (tuples of length k)."""

    method: str
    studies: tuple[str, ...]
    rstudent: tuple[float, ...]
    dffits: tuple[float, ...]
    cooks_d: tuple[float, ...]
    cov_ratio: tuple[float, ...]
    tau2_del: tuple[float, ...]
    q_del: tuple[float, ...]
    hat: tuple[float, ...]
    weight: tuple[float, ...]
    dfbetas: tuple[tuple[float, ...], ...]
    influential: tuple[bool, ...]
    baujat_x: tuple[float, ...]
    baujat_y: tuple[float, ...]

    def rows(self) -> list[dict[str, Any]]:
        """One dict per study with the keys of ``analyze --json`` ``"influence"``."""
        return [
            {
                "study": study,
                **{key: getattr(self, key)[i] for key in INFLUENCE_COLUMNS},
                "influential": self.influential[i],
            }
            for i, study in enumerate(self.studies)
        ]

    def to_dict(self) -> list[dict[str, Any]]:  # type: ignore[override]
        """The rows, each with its Baujat coordinates and DFBETAS (what :meth:`from_dict`
        needs to give this result back)."""
        return [
            {**row, "baujat_x": x, "baujat_y": y, "dfbetas": list(dfbetas)}
            for row, x, y, dfbetas in zip(self.rows(), self.baujat_x, self.baujat_y, self.dfbetas)
        ]

    @classmethod
    def from_dict(cls, rows: list[dict[str, Any]], method: str) -> InfluenceResult:
        """The result whose :meth:`to_dict` gave ``rows`` (``None``, written for NaN, is NaN).

        >>> res = influence([0.1, 0.3, 0.35, 1.4], [0.03, 0.03, 0.05, 0.04], method="DL")
        >>> InfluenceResult.from_dict(res.to_dict(), "DL") == res
        True
        """

        def column(key: str) -> tuple[Any, ...]:
            return tuple(np.nan if row[key] is None else row[key] for row in rows)

        return cls(
            method=method,
            studies=tuple(row["study"] for row in rows),
            **{key: column(key) for key in (*INFLUENCE_COLUMNS, "baujat_x", "baujat_y")},
            dfbetas=tuple(tuple(row["dfbetas"]) for row in rows),
            influential=tuple(bool(row["influential"]) for row in rows),
        )

    def to_frame(self) -> Any:
        import pandas as pd

        frame = pd.DataFrame(self.rows())
        frame["baujat_x"] = self.baujat_x
        frame["baujat_y"] = self.baujat_y
        return frame

    def summary(self) -> str:
        flagged = [s for s, flag in zip(self.studies, self.influential) if flag]
        return f"Influence diagnostics ({self.method}): influential: " + (
            ", ".join(flagged) if flagged else "none"
        )

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def _model(y: np.ndarray, v: np.ndarray, X: np.ndarray) -> LinearModel:
    """The model; intercept-only designs take LinearModel's closed-form path."""
    intercept_only = X.shape[1] == 1 and bool(np.all(X == 1.0))
    return LinearModel(y, v, None if intercept_only else X)


def _deleted_fits(y: np.ndarray, v: np.ndarray, X: np.ndarray, method: str):
    """τ², b, V(b) and Q_E of the model without each study in turn."""
    k, p = X.shape
    out = {"tau2": np.empty(k), "beta": np.empty((k, p)), "vb": np.empty((k, p, p))}
    out["q"] = np.empty(k)
    for i in range(k):
        keep = np.arange(k) != i
        model = _model(y[keep], v[keep], X[keep])
        tau2 = estimate_tau2_model(model, method).tau2
        state = model.at(tau2)
        out["tau2"][i], out["beta"][i], out["vb"][i] = tau2, state.beta, state.vb
        out["q"][i] = model.at(0.0).q
    return out


def influence(
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray,
    X: np.ndarray | None = None,
    *,
    method: str = "REML",
    studies: Sequence[str] | None = None,
) -> InfluenceResult:
    """Case diagnostics of the model ``yi ~ X`` (intercept only when ``X`` is None).

    Parameters
    ----------
    yi, vi : effect sizes and sampling variances.
    X : model matrix including the intercept column (k × p), optional.
    method : τ² estimator (``FE`` for the common-effect model).
    studies : study labels.

    Examples
    --------
    >>> res = influence([0.1, 0.3, 0.35, 0.65, 1.4], [0.03, 0.03, 0.05, 0.01, 0.04], method="DL")
    >>> [s for s, flag in zip(res.studies, res.influential) if flag]
    ['Study 5']
    """
    method = check_method(method)
    y, v = check_inputs(yi, vi)
    k = y.size
    X = np.ones((k, 1)) if X is None else np.asarray(X, dtype=float)
    p = X.shape[1]
    if k < 2:
        raise NotEstimableError(f"influence diagnostics need at least 2 studies; got {k}")
    if p > 1 and k - 1 <= p:  # a deleted fit must keep more studies than coefficients
        raise NotEstimableError(
            f"influence diagnostics of a model with {p} coefficients need more than {p + 1} "
            f"studies; got {k}"
        )
    labels = (
        tuple(str(s) for s in studies)
        if studies is not None
        else tuple(f"Study {i + 1}" for i in range(k))
    )
    full = _model(y, v, X)
    tau2 = estimate_tau2_model(full, method).tau2
    state = full.at(tau2)
    beta, vb, w = state.beta, state.vb, state.w
    hat = w * np.einsum("ij,jk,ik->i", X, vb, X)
    deleted = _deleted_fits(y, v, X, method)
    fitted = X @ beta
    fitted_del = np.einsum("ij,ij->i", X, deleted["beta"])
    pred_var_del = np.einsum("ij,ijk,ik->i", X, deleted["vb"], X)
    rstudent = (y - fitted_del) / np.sqrt(v + deleted["tau2"] + pred_var_del)
    dffits = (fitted - fitted_del) / np.sqrt(hat * (deleted["tau2"] + v))
    diff = beta[None, :] - deleted["beta"]
    cooks = np.einsum("ij,jk,ik->i", diff, np.linalg.inv(vb), diff)
    cov_ratio = np.linalg.det(deleted["vb"]) / np.linalg.det(vb)
    # DFBETAS scale: (XᵀWX)⁻¹ over all k studies, at the deleted τ²
    vb_all = np.array([np.linalg.inv((X / (v + t)[:, None]).T @ X) for t in deleted["tau2"]])
    dfbetas = diff / np.sqrt(np.diagonal(vb_all, axis1=1, axis2=2))
    influential = (
        (np.abs(dffits) > 3.0 * np.sqrt(p / (k - p)))
        | (scipy.stats.chi2.cdf(cooks, p) > 0.5)
        | (hat > 3.0 * p / k)
        | (np.abs(dfbetas) > 1.0).any(axis=1)
    )
    baujat_x, baujat_y = _baujat(y, v, X, beta, tau2, deleted)
    return InfluenceResult(
        method=method,
        studies=labels,
        rstudent=_floats(rstudent),
        dffits=_floats(dffits),
        cooks_d=_floats(cooks),
        cov_ratio=_floats(cov_ratio),
        tau2_del=_floats(deleted["tau2"]),
        q_del=_floats(deleted["q"]),
        hat=_floats(hat),
        weight=_floats(100.0 * w / w.sum()),
        dfbetas=tuple(_floats(row) for row in dfbetas),
        influential=tuple(bool(x) for x in influential),
        baujat_x=_floats(baujat_x),
        baujat_y=_floats(baujat_y),
    )


def _baujat(
    y: np.ndarray, v: np.ndarray, X: np.ndarray, beta: np.ndarray, tau2: float, deleted: dict
) -> tuple[np.ndarray, np.ndarray]:
    """Baujat coordinates from the fitted model and its leave-one-out refits."""
    fitted = X @ beta
    x = (y - fitted) ** 2 / (v + tau2)
    fitted_del = np.einsum("ij,ij->i", X, deleted["beta"])
    var_del = np.einsum("ij,ijk,ik->i", X, deleted["vb"], X)
    return x, (fitted - fitted_del) ** 2 / var_del


def _floats(values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(x) for x in values)
