"""Meta-regressions as the report prints them: a coefficient table, the tests and a sentence.

Every number is from the analysis document's ``metaregression`` sections (what
:func:`metareview.stats.metaregression.metareg` returned); this module only formats.

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

from typing import Any

from metareview.report.numbers import fixed


def _p(value: float | None) -> str:
    if value is None:
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _p_clause(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def omnibus_test(section: dict[str, Any]) -> str:
    """``QM(df) = …`` (z tests) or ``F(df1, df2) = …`` (Knapp–Hartung), with its p value."""
    if section["qm_df2"] is None:
        name = f"QM({section['qm_df']})"
    else:
        name = f"F({section['qm_df']}, {section['qm_df2']})"
    return f"{name} = {fixed(section['qm'])}, {_p_clause(section['qm_pvalue'])}"


def metaregression_sentence(section: dict[str, Any]) -> str:
    """One sentence for a results paragraph."""
    title = f"Meta-regression on {', '.join(section['moderators'])}"
    if section.get("reason"):
        return f"{title}: not run ({section['reason']})."
    text = f"{title} (k = {section['k']}): {omnibus_test(section)}; R² = {section['r2']:.0f}%"
    permutation = section.get("permutation")
    if permutation:
        text += f"; permutation {_p_clause(permutation['qm_pvalue'])}"
    return text + "."


def metaregression_block(section: dict[str, Any], analysis_id: str, index: int) -> dict[str, Any]:
    """The HTML-ready content of one meta-regression: id, heading, coefficient rows, tests."""
    block: dict[str, Any] = {
        "id": f"metareg-{analysis_id.replace('/', '-')}-{index + 1}",
        "moderators": ", ".join(section["moderators"]),
        "reason": section.get("reason"),
        "dropped": section.get("dropped", []),
        "rows": [],
        "tests": [],
    }
    if block["reason"]:
        return block
    permutation = section.get("permutation")
    block["statistic"] = "z" if section["ci_method"] == "z" else "t"
    block["level"] = f"{section['level']:.0%}"
    block["permutation"] = permutation is not None
    for index_c, coefficient in enumerate(section["coefficients"]):
        row = {
            "name": coefficient["name"],
            "estimate": fixed(coefficient["estimate"], 3),
            "se": fixed(coefficient["se"], 3),
            "ci": f"{fixed(coefficient['ci_lower'], 3)} to {fixed(coefficient['ci_upper'], 3)}",
            "statistic": fixed(coefficient["statistic"]),
            "p": _p(coefficient["pvalue"]),
        }
        if permutation is not None:
            row["permutation_p"] = _p(permutation["pvalues"][index_c])
        block["rows"].append(row)
    model = "fixed-effects" if section["method"] == "FE" else "mixed-effects"
    block["tests"] = [
        f"{model.capitalize()} model, k = {section['k']}, τ² by {section['method']}, "
        + ("z tests" if section["ci_method"] == "z" else "Knapp–Hartung t and F tests"),
        f"Test of moderators: {omnibus_test(section)}"
        + (
            f" (permutation {_p_clause(permutation['qm_pvalue'])}, "
            f"{permutation['iterations']} permutations)"
            if permutation
            else ""
        ),
        f"Residual heterogeneity: QE({section['qe_df']}) = {fixed(section['qe'])}, "
        f"{_p_clause(section['qe_pvalue'])}; τ² = {fixed(section['tau2'], 4)}, "
        f"I² = {section['i2']:.0f}%; R² = {section['r2']:.0f}%",
    ]
    return block
