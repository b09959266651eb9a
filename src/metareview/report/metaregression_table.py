"""Meta-regressions as the report prints them: a coefficient table, the tests and a sentence;
and the same table with its numbers for ``tables/metaregression.csv`` / ``.xlsx``.

Every number is from the analysis's ``metaregression`` sections (what
:func:`metareview.stats.metaregression.metareg` returned, read as
:class:`~metareview.plan.result_tree.MetaRegression`); this module only formats. A section
may also be given as its document.

>>> section = {"moderators": ["year"], "categorical": [], "k": 12, "ci_method": "z",
...     "level": 0.95, "method": "REML", "coefficients": [{"name": "intercept",
...     "estimate": 1.5, "se": 0.5, "statistic": 3.0, "pvalue": 0.0027, "ci_lower": 0.52,
...     "ci_upper": 2.48}, {"name": "year", "estimate": -0.02, "se": 0.01, "statistic": -2.0,
...     "pvalue": 0.0455, "ci_lower": -0.0396, "ci_upper": -0.0004}], "qm": 4.0, "qm_df": 1,
...     "qm_df2": None, "qm_pvalue": 0.0456, "qe": 20.1, "qe_df": 10, "qe_pvalue": 0.028,
...     "tau2": 0.02, "i2": 40.0, "r2": 35.0, "permutation": None, "dropped": [], "reason": None}
>>> metaregression_sentence(section)
'Meta-regression on year (k = 12): QM(1) = 4.00, p = 0.046; R² = 35%.'
>>> metaregression_block(section, "x/y", 0)["rows"][1]["ci"]
'-0.040 to 0.000'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from metareview.plan.result_tree import MetaRegression
from metareview.plan.results import AnalysisRecord, ReviewResults
from metareview.report.numbers import fixed, p_clause, p_value

COLUMNS = [
    "analysis",
    "title",
    "moderators",
    "coefficient",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "level",
    "test",
    "statistic",
    "p",
    "permutation_p",
    "k",
    "method",
    "qm",
    "qm_df",
    "qm_df2",
    "qm_p",
    "permutation_qm_p",
    "qe",
    "qe_df",
    "qe_p",
    "tau2",
    "i2",
    "r2",
    "note",
]


Section = MetaRegression | Mapping[str, Any]


def omnibus_test(section: Section) -> str:
    """``QM(df) = …`` (z tests) or ``F(df1, df2) = …`` (Knapp–Hartung), with its p value."""
    section = MetaRegression.of(section)
    if section.qm_df2 is None:
        name = f"QM({section.qm_df})"
    else:
        name = f"F({section.qm_df}, {section.qm_df2})"
    return f"{name} = {fixed(section.qm)}, {p_clause(section.qm_pvalue)}"


def metaregression_sentence(section: Section) -> str:
    """One sentence for a results paragraph."""
    section = MetaRegression.of(section)
    title = f"Meta-regression on {', '.join(section.moderators)}"
    if not section.fitted:
        return f"{title}: not run ({section.reason})."
    text = f"{title} (k = {section.k}): {omnibus_test(section)}; R² = {section.r2:.0f}%"
    if section.permutation:
        text += f"; permutation {p_clause(section.permutation.qm_pvalue)}"
    return text + "."


def metaregression_block(section: Section, analysis_id: str, index: int) -> dict[str, Any]:
    """The HTML-ready content of one meta-regression: id, heading, coefficient rows, tests."""
    section = MetaRegression.of(section)
    block: dict[str, Any] = {
        "id": f"metareg-{analysis_id.replace('/', '-')}-{index + 1}",
        "moderators": ", ".join(section.moderators),
        "reason": section.reason,
        "dropped": [dropped.to_dict() for dropped in section.dropped],
        "rows": [],
        "tests": [],
    }
    if not section.fitted:
        return block
    permutation = section.permutation
    block["statistic"] = "z" if section.ci_method == "z" else "t"
    block["level"] = f"{section.level:.0%}"
    block["permutation"] = permutation is not None
    for index_c, coefficient in enumerate(section.coefficients):
        row = {
            "name": coefficient.name,
            "estimate": fixed(coefficient.estimate, 3),
            "se": fixed(coefficient.se, 3),
            "ci": f"{fixed(coefficient.ci_lower, 3)} to {fixed(coefficient.ci_upper, 3)}",
            "statistic": fixed(coefficient.statistic),
            "p": p_value(coefficient.pvalue),
        }
        if permutation is not None:
            row["permutation_p"] = p_value(permutation.pvalues[index_c])
        block["rows"].append(row)
    model = "fixed-effects" if section.method == "FE" else "mixed-effects"
    block["tests"] = [
        f"{model.capitalize()} model, k = {section.k}, τ² by {section.method}, "
        + ("z tests" if section.ci_method == "z" else "Knapp–Hartung t and F tests"),
        f"Test of moderators: {omnibus_test(section)}"
        + (
            f" (permutation {p_clause(permutation.qm_pvalue)}, "
            f"{permutation.iterations} permutations)"
            if permutation
            else ""
        ),
        f"Residual heterogeneity: QE({section.qe_df}) = {fixed(section.qe)}, "
        f"{p_clause(section.qe_pvalue)}; τ² = {fixed(section.tau2, 4)}, "
        f"I² = {section.i2:.0f}%; R² = {section.r2:.0f}%",
    ]
    return block


def _note(section: MetaRegression) -> str:
    """Why a model was not fitted, or which studies it left out for a missing moderator."""
    if not section.fitted:
        return f"not fitted: {section.reason}"
    if not section.dropped:
        return ""
    studies = ", ".join(str(d.study) for d in section.dropped)
    return f"{len(section.dropped)} studies left out for a missing moderator: {studies}"


def _model_values(section: MetaRegression) -> dict[str, Any]:
    """The columns one model shares by all its coefficient rows (numbers as in results.json)."""
    values = {"moderators": ", ".join(section.moderators), "note": _note(section)}
    if not section.fitted:
        return values
    permutation = section.permutation
    copied = ("level", "k", "method", "qm", "qm_df", "qm_df2", "qe", "qe_df", "tau2", "i2", "r2")
    values.update({key: getattr(section, key) for key in copied})
    values.update(
        test="z" if section.ci_method == "z" else "t",
        qm_p=section.qm_pvalue,
        permutation_qm_p=permutation.qm_pvalue if permutation else None,
        qe_p=section.qe_pvalue,
    )
    return values


def _sections(results: ReviewResults) -> list[tuple[AnalysisRecord, int, MetaRegression]]:
    """(analysis, index, section) of every meta-regression of the pooled analyses."""
    return [
        (record, index, section)
        for record in results.analyses
        if record.ok
        for index, section in enumerate(record.tree.result.metaregression)
    ]


def metaregression_table(results: ReviewResults) -> pd.DataFrame:
    """Every meta-regression of the review, one row per coefficient (one row for a model
    that was not fitted), with its model's tests repeated on each row; numbers unrounded on
    the analysis scale (log for ratio measures), as in ``results.json``. No rows when the
    plan asks for none.

    >>> none = ReviewResults("T", "1", "key", plan={}, data={}, analyses=())
    >>> metaregression_table(none).columns[:4].tolist()
    ['analysis', 'title', 'moderators', 'coefficient']
    """
    rows = []
    for record, _, section in _sections(results):
        title = record.tree.spec.title
        model = {"analysis": record.id, "title": title, **_model_values(section)}
        if not section.fitted:
            rows.append(model)
            continue
        permutation = section.permutation
        for index, coefficient in enumerate(section.coefficients):
            rows.append(
                {
                    **model,
                    "coefficient": coefficient.name,
                    "estimate": coefficient.estimate,
                    "se": coefficient.se,
                    "ci_lower": coefficient.ci_lower,
                    "ci_upper": coefficient.ci_upper,
                    "statistic": coefficient.statistic,
                    "p": coefficient.pvalue,
                    "permutation_p": permutation.pvalues[index] if permutation else None,
                }
            )
    counts = ["k", "qm_df", "qm_df2", "qe_df"]  # whole numbers, also beside empty cells
    return pd.DataFrame(rows, columns=COLUMNS).astype(dict.fromkeys(counts, "Int64"))


def printed_metaregression_table(results: ReviewResults) -> pd.DataFrame:
    """The report's coefficient tables (:func:`metaregression_block`) as one sheet: a row per
    coefficient, the model's description and tests in its first row.

    >>> none = ReviewResults("T", "1", "key", plan={}, data={}, analyses=())
    >>> printed_metaregression_table(none).empty
    True
    """
    rows = []
    for record, index, section in _sections(results):
        block = metaregression_block(section, record.id, index)
        model = {"Analysis": record.tree.spec.title, "Moderators": block["moderators"]}
        notes = {"Model and tests": "; ".join(block["tests"]), "Note": _note(section)}
        for row in block["rows"] or [{}]:
            rows.append(
                {
                    **model,
                    "Coefficient": row.get("name", ""),
                    "Estimate": row.get("estimate", ""),
                    "SE": row.get("se", ""),
                    "Level": block.get("level", ""),
                    "CI": row.get("ci", ""),
                    "Statistic": row.get("statistic", ""),
                    "p": row.get("p", ""),
                    "Permutation p": row.get("permutation_p", ""),
                    **notes,
                }
            )
            notes = {"Model and tests": "", "Note": ""}
    return pd.DataFrame(rows)
