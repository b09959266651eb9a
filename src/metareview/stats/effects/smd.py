"""Standardised mean difference (Hedges' g) under each reference package's conventions.

The pooled-SD difference d = (m1 − m2)/s_p is multiplied by a small-sample factor J and given
a sampling variance; packages differ in both (see ``docs/effect-sizes.md``):

==========  =========================================  ============================================
convention  J                                          variance of g
==========  =========================================  ============================================
metafor     exact Γ form (Hedges 1981)                 ``LS``: 1/n1 + 1/n2 + g²/(2N)
meta ≥ 7    exact Γ form                               ``UB``: 1/n1 + 1/n2 + (1 − (m − 2)/(m J²)) g²
RevMan 5    1 − 3/(4N − 9)                             N/(n1 n2) + g²/(2(N − 3.94))
esc         1 − 3/(4N − 9)                             N/(n1 n2) + d²/(2N)  (d uncorrected)
CMA         1 − 3/(4 df − 1)                           J² (N/(n1 n2) + d²/(2N))
==========  =========================================  ============================================

>>> g, v = smd(10.0, 8.0, 4.0, 4.0, 20, 20)
>>> round(float(g), 6), round(float(v), 6)
(0.490055, 0.103002)
"""

from __future__ import annotations

import numpy as np
import scipy

from metareview.stats.vocabulary import check_choice

SMD_CORRECTIONS = ("exact", "approx", "approx_df", "none")
SMD_VARIANCES = ("LS", "UB", "revman5", "esc", "cma")


def hedges_correction(df, correction: str = "exact") -> np.ndarray:
    """Small-sample bias factor J of Hedges' g for ``df = n1 + n2 − 2`` degrees of freedom.

    ``"exact"``: Γ(df/2) / (√(df/2) Γ((df − 1)/2)) (Hedges 1981, eq. 6e); ``"approx"``:
    1 − 3/(4N − 9) (Hedges & Olkin 1985, as RevMan 5 and esc write it); ``"approx_df"``:
    1 − 3/(4 df − 1) (Borenstein et al. 2009, eq. 4.22, as CMA writes it; identical in value
    to ``"approx"`` since N = df + 2); ``"none"``: 1 (Cohen's d).

    >>> float(np.round(hedges_correction(10), 6)), float(hedges_correction(10, "approx"))
    (0.922746, 0.9230769230769231)
    """
    check_choice("smd_correction", correction, SMD_CORRECTIONS)
    df = np.asarray(df, dtype=float)
    if correction == "exact":
        with np.errstate(invalid="ignore"):
            return np.exp(
                scipy.special.gammaln(df / 2)
                - 0.5 * np.log(df / 2)
                - scipy.special.gammaln((df - 1) / 2)
            )
    if correction == "none":
        return np.ones_like(df)
    return 1 - 3 / (4 * df - 1)


def pooled_sd(sd1, sd2, n1, n2) -> np.ndarray:
    """Pooled within-group SD √(((n1 − 1) s1² + (n2 − 1) s2²)/(n1 + n2 − 2)).

    >>> float(pooled_sd(3.0, 3.0, 10, 30))
    3.0
    """
    sd1, sd2, n1, n2 = (np.asarray(x, dtype=float) for x in (sd1, sd2, n1, n2))
    return np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (n1 + n2 - 2))


def cohens_d(m1, m2, sd1, sd2, n1, n2) -> np.ndarray:
    """Uncorrected standardised mean difference d = (m1 − m2)/s_p.

    >>> float(cohens_d(12, 10, 4, 4, 20, 20))
    0.5
    """
    return (np.asarray(m1, dtype=float) - np.asarray(m2, dtype=float)) / pooled_sd(sd1, sd2, n1, n2)


def smd_from_d(d, n1, n2, correction: str = "exact", variance: str = "LS"):
    """Hedges' g and its sampling variance from Cohen's d and the arm sizes.

    Returns ``(g, vi)`` as arrays. See the module table for the conventions.

    >>> g, v = smd_from_d(0.5, 20, 20, correction="approx", variance="revman5")
    >>> round(float(g), 6), round(float(v), 6)
    (0.490066, 0.10333)
    """
    check_choice("smd_variance", variance, SMD_VARIANCES)
    d, n1, n2 = (np.asarray(x, dtype=float) for x in (d, n1, n2))
    total = n1 + n2
    df = total - 2
    j = hedges_correction(df, correction)
    g = j * d
    sampling = total / (n1 * n2)
    if variance == "LS":
        vi = sampling + g**2 / (2 * total)
    elif variance == "UB":
        vi = sampling + (1 - (df - 2) / (df * j**2)) * g**2
    elif variance == "revman5":
        vi = sampling + g**2 / (2 * (total - 3.94))
    elif variance == "esc":
        vi = sampling + d**2 / (2 * total)
    else:  # cma
        vi = j**2 * (sampling + d**2 / (2 * total))
    return g, vi


def smd(m1, m2, sd1, sd2, n1, n2, correction: str = "exact", variance: str = "LS"):
    """Hedges' g (arm 1 − arm 2) and its variance from arm means, SDs and sizes.

    Defaults reproduce R metafor ``escalc(measure="SMD")``; pass the convention of another
    package (or take it from a preset: ``preset.smd_correction``, ``preset.smd_variance``).

    >>> g, v = smd([10.0, 5.0], [8.0, 6.0], [4.0, 2.0], [4.0, 2.0], [20, 15], [20, 15])
    >>> np.round(g, 4).tolist()
    [0.4901, -0.4865]
    """
    return smd_from_d(cohens_d(m1, m2, sd1, sd2, n1, n2), n1, n2, correction, variance)
