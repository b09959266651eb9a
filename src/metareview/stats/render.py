"""Text and HTML renderings of a pooled result (rounding happens only here).

>>> from metareview.stats.pooling import pool
>>> print(render_pool_summary(pool([0.2, 0.5, 0.3], [0.04, 0.05, 0.03])).splitlines()[0])
Random-Effects Model (k = 3; tau^2 estimator: REML; CI: z; preset: metafor)
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from metareview.stats.pooling import PoolResult


def fmt(value: float | None, digits: int = 4) -> str:
    """A number rounded for display; ``NA`` for a missing value."""
    if value is None:
        return "NA"
    return f"{value:.{digits}f}"


def fmt_p(value: float | None) -> str:
    """A p value as metafor prints it (``<.0001`` below 0.0001)."""
    if value is None:
        return "NA"
    return "<.0001" if value < 1e-4 else f"{value:.4f}"


def fmt_ci(interval: tuple[float, float] | None, digits: int = 4) -> str:
    return "" if interval is None else f" [{fmt(interval[0], digits)}; {fmt(interval[1], digits)}]"


def render_pool_summary(res: PoolResult) -> str:
    """Text summary in the layout of metafor's ``print.rma``."""
    title = "Fixed-Effects Model" if res.method == "FE" else "Random-Effects Model"
    lines = [
        f"{title} (k = {res.k}; tau^2 estimator: {res.method}; CI: {res.ci_method}; "
        f"preset: {res.preset})",
        "",
    ]
    level = f"{100 * res.level:g}%"
    if res.method != "FE":
        lines += [
            f"tau^2 (estimated amount of total heterogeneity): {fmt(res.tau2)}"
            f"{_se_phrase(res.tau2_se)}{fmt_ci(res.tau2_ci)}",
            f"tau (square root of estimated tau^2 value):      {fmt(res.tau)}{fmt_ci(res.tau_ci)}",
        ]
    lines += [
        f"I^2 (total heterogeneity / total variability):   {fmt(res.i2, 2)}%{fmt_ci(res.i2_ci, 2)}",
        f"H^2 (total variability / sampling variability):  {fmt(res.h2, 2)}{fmt_ci(res.h2_ci, 2)}",
        "",
        "Test for Heterogeneity:",
        f"Q(df = {res.q_df}) = {fmt(res.q)}, p-val {_p_phrase(res.q_pvalue)}",
        "",
        "Model Results:",
        "",
    ]
    stat = "zval" if res.random.df is None else "tval"
    header = (
        f"{'':<8}{'estimate':>10}{'se':>9}{stat:>9}{'df':>5}{'pval':>9}{'ci.lb':>9}{'ci.ub':>9}"
    )
    lines.append(header)
    rows = (
        [("fixed", res.random)]
        if res.method == "FE"
        else [
            ("fixed", res.fixed),
            ("random", res.random),
        ]
    )
    for name, block in rows:
        df = getattr(block, "df", None)
        lines.append(
            f"{name:<8}{fmt(block.estimate):>10}{fmt(block.se):>9}{fmt(block.statistic):>9}"
            f"{'-' if df is None else df:>5}{fmt_p(block.pvalue):>9}"
            f"{fmt(block.ci_lower):>9}{fmt(block.ci_upper):>9}"
        )
    if res.random.pi_lower is not None:
        lines += [
            "",
            f"{level} prediction interval: [{fmt(res.random.pi_lower)}; {fmt(res.random.pi_upper)}]",
        ]
    for warning in res.warnings:
        lines.append(f"Warning: {warning}")
    return "\n".join(lines)


def render_ratio_scale(res: PoolResult, measure: str) -> str:
    """The pooled estimates back-transformed from the log scale (OR, RR)."""
    random = res.random
    lines = [f"Back-transformed ({measure}):"]
    if res.method != "FE":
        lines.append(
            f"  fixed   {math.exp(res.fixed.estimate):.4f} "
            f"[{math.exp(res.fixed.ci_lower):.4f}; {math.exp(res.fixed.ci_upper):.4f}]"
        )
    name = "fixed " if res.method == "FE" else "random"
    lines.append(
        f"  {name}  {math.exp(random.estimate):.4f} "
        f"[{math.exp(random.ci_lower):.4f}; {math.exp(random.ci_upper):.4f}]"
    )
    if random.pi_lower is not None:
        lines.append(
            f"  prediction interval [{math.exp(random.pi_lower):.4f}; "
            f"{math.exp(random.pi_upper):.4f}]"
        )
    return "\n".join(lines)


def _p_phrase(pvalue: float | None) -> str:
    text = fmt_p(pvalue)
    return text if text.startswith("<") else f"= {text}"


def _se_phrase(se: float | None) -> str:
    """`` (SE = 0.1664)`` as metafor prints the SE of τ², or nothing when there is none."""
    return "" if se is None else f" (SE = {fmt(se)})"


def render_pool_html(res: PoolResult) -> str:
    """A small HTML table for notebooks."""
    cells = [
        ("k", str(res.k)),
        ("model", f"{res.method}, CI {res.ci_method}, preset {res.preset}"),
        ("fixed", f"{fmt(res.fixed.estimate)}{fmt_ci((res.fixed.ci_lower, res.fixed.ci_upper))}"),
        (
            "random",
            f"{fmt(res.random.estimate)}{fmt_ci((res.random.ci_lower, res.random.ci_upper))}",
        ),
        ("tau^2", f"{fmt(res.tau2)}{_se_phrase(res.tau2_se)}{fmt_ci(res.tau2_ci)}"),
        ("I^2", f"{fmt(res.i2, 1)}%{fmt_ci(res.i2_ci, 1)}"),
        ("Q", f"{fmt(res.q, 2)} (df = {res.q_df}, p {_p_phrase(res.q_pvalue)})"),
    ]
    if res.random.pi_lower is not None:
        cells.append(
            ("prediction interval", fmt_ci((res.random.pi_lower, res.random.pi_upper)).strip())
        )
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
        for name, value in cells
    )
    return f"<table class='metareview-pool'>{rows}</table>"
