"""Conversions: test statistics, p values, CIs and other effect sizes to the analysis scale.

Every function is vectorised and documented with its source in ``docs/effect-sizes.md``.

>>> float(np.round(d_from_t(2.1, 10, 12), 6))
0.899166
"""

from __future__ import annotations

import numpy as np
import scipy

from metareview.stats import distributions as dist
from metareview.stats.effects.smd import hedges_correction

LOGIT_SCALE = np.pi / np.sqrt(3)  # SD of the standard logistic distribution


def d_from_t(t, n1, n2) -> np.ndarray:
    """Cohen's d from an independent two-sample t statistic: d = t √(1/n1 + 1/n2).

    Borenstein et al. (2009) eq. 7.x / Lipsey & Wilson (2001) table B10; metafor
    ``escalc("SMD", ti=)``.
    """
    t, n1, n2 = (np.asarray(x, dtype=float) for x in (t, n1, n2))
    return t * np.sqrt(1 / n1 + 1 / n2)


def t_from_f(f, sign) -> np.ndarray:
    """The t statistic of an F(1, df) test of two groups: t = sign · √F.

    >>> float(t_from_f(4.0, -1))
    -2.0
    """
    return np.asarray(sign, dtype=float) * np.sqrt(np.asarray(f, dtype=float))


def t_from_p(p, n1, n2, sign) -> np.ndarray:
    """The t statistic behind a two-sided p value of a two-sample t test with n1 + n2 − 2 df.

    t = sign · t⁻¹(1 − p/2; n1 + n2 − 2), as esc ``esc_t(p=)`` (Lipsey & Wilson 2001).

    >>> float(np.round(t_from_p(0.05, 10, 10, 1), 6))
    2.100922
    """
    p, n1, n2 = (np.asarray(x, dtype=float) for x in (p, n1, n2))
    return np.asarray(sign, dtype=float) * scipy.stats.t.isf(p / 2, n1 + n2 - 2)


def se_from_ci(lower, upper, level=0.95) -> np.ndarray:
    """Standard error from a symmetric normal-theory CI: (upper − lower)/(2 z₍₁₋α/₂₎).

    Cochrane Handbook §6.3.1; metafor ``conv.wald`` documents the same back-calculation. For
    ratios pass the limits on the log scale. ``level`` may be one value or one per CI.

    >>> float(np.round(se_from_ci(0.1, 0.5), 6))
    0.102043
    """
    z = dist.z_crit(level)
    return (np.asarray(upper, dtype=float) - np.asarray(lower, dtype=float)) / (2 * z)


def ci_asymmetry(estimate, lower, upper) -> np.ndarray:
    """How far an estimate lies from the centre of its CI, as a fraction of the half-width.

    0 for a Wald CI (estimate ± z·SE); values well above 0 mean the CI was not computed on this
    scale (e.g. a ratio's CI computed on the ratio scale, an exact CI) or was rounded. metafor's
    ``conv.wald(check=TRUE)`` warns in the same situation ("point estimates fall
    (approximately) halfway between the CI bounds"; threshold not documented). Pass ratios on
    the log scale.

    >>> float(np.round(ci_asymmetry(np.log(0.62), np.log(0.30), np.log(0.94)), 4))
    0.2712
    """
    estimate, lower, upper = (np.asarray(x, dtype=float) for x in (estimate, lower, upper))
    return np.abs(estimate - (lower + upper) / 2) / ((upper - lower) / 2)


def smd_from_log_odds_ratio(log_or, vi):
    """Hasselblad & Hedges (1995): d = ln OR · √3/π, var(d) = var(ln OR) · 3/π².

    >>> d, v = smd_from_log_odds_ratio(np.log(2.0), 0.1)
    >>> round(float(d), 6), round(float(v), 6)
    (0.382152, 0.030396)
    """
    return np.asarray(log_or, dtype=float) / LOGIT_SCALE, np.asarray(
        vi, dtype=float
    ) / LOGIT_SCALE**2


def log_odds_ratio_from_smd(d, vi):
    """The inverse of :func:`smd_from_log_odds_ratio`: ln OR = d · π/√3, var · π²/3.

    >>> log_or, vi = log_odds_ratio_from_smd(0.5, 0.04)
    >>> round(float(log_or), 4), round(float(vi), 4)
    (0.9069, 0.1316)
    """
    return np.asarray(d, dtype=float) * LOGIT_SCALE, np.asarray(vi, dtype=float) * LOGIT_SCALE**2


def metapsy_g_from_events(event1, total1, event2, total2, add: float = 0.5):
    """Hedges' g from a dichotomous outcome by metapsyTools' rule (``g.binary``, via esc).

    When an arm has no events, ``add`` goes to all four cells; then ln OR and its Woolf
    variance become d by Hasselblad & Hedges, g = d · (1 − 3/(4N − 9)) with N the (corrected)
    table total, var(g) = var(d) (not rescaled), and the sign is reversed: metapsy counts
    events as favourable (response, remission) so that g lines up with symptom scales, on which
    a negative g favours the intervention. Returns ``(g, vi, corrected)``.

    >>> g, v, _ = metapsy_g_from_events(30, 80, 40, 85)
    >>> np.round(g, 4).tolist(), np.round(v, 4).tolist()
    ([0.2157], [0.0306])
    """
    e1, n1, e2, n2 = (
        np.atleast_1d(np.asarray(x, dtype=float)) for x in (event1, total1, event2, total2)
    )
    corrected = (e1 == 0) | (e2 == 0)
    k = np.where(corrected, add, 0.0)
    a, b, c, d = e1 + k, n1 - e1 + k, e2 + k, n2 - e2 + k
    with np.errstate(divide="ignore"):
        log_or = np.log(a * d / (b * c))
    d_value, v = smd_from_log_odds_ratio(log_or, 1 / a + 1 / b + 1 / c + 1 / d)
    total = a + b + c + d
    g = d_value * hedges_correction(total - 2, "approx")
    return -g, v, corrected
