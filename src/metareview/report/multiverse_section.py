"""A plan's multiverse in the report: its summary, test, table files and methods sentence
(:class:`~metareview.plan.multiverse_plan.MultiverseRecord` in, text and tables out; its
specification curve is drawn by :func:`metareview.report.specification_curve.multiverse_figure`).

>>> import pandas as pd
>>> from metareview.plan.multiverse import Factors, multiverse
>>> from metareview.plan.multiverse_record import MultiverseRecord, factors_document
>>> effects = pd.DataFrame({"study": list("ABCDE"), "yi": [0.1, 0.3, 0.2, 0.8, 0.4],
...                         "vi": [0.02, 0.03, 0.02, 0.01, 0.05]})
>>> factors = Factors(methods=("DL",))
>>> result = multiverse(effects, factors)
>>> record = MultiverseRecord("pain/post/multiverse", "Pain", "Pain, Post", "Post",
...     factors_document(factors), result.choices, result.summary_numbers(), None,
...     result.specifications)
>>> summary_text(record)
'12 specifications, 12 fitted: median estimate 0.37 (range 0.22 to 0.45); significant in 92% (positive 92%, negative 0%); estimate positive in 100%.'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from metareview.data.spreadsheet import safe_frame
from metareview.plan.multiverse_record import MultiverseRecord
from metareview.report.numbers import fixed, p_clause

FACTOR_NAMES = {
    "studies": "which studies",
    "effects": "how several effects of one study enter",
    "methods": "the τ² estimator",
    "models": "the model",
    "ci_methods": "the CI method",
}


def write_specifications(specifications: pd.DataFrame, csv_path: Path) -> list[Path]:
    """Write the specifications to ``csv_path`` (formula-like cells neutralised) and to a
    Parquet file beside it; the studies removed are joined by ``"; "``."""
    table = specifications.assign(
        removed=specifications["removed"].map(lambda removed: "; ".join(removed or []))
    )
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    safe_frame(table).to_csv(csv_path)
    parquet = csv_path.with_suffix(".parquet")
    table.to_parquet(parquet)
    return [csv_path, parquet]


def summary_text(record: MultiverseRecord) -> str:
    """The summary: specifications fitted, median and range of the estimates, share
    significant in each direction."""
    s = record.tree.summary
    if not s.fitted:
        return f"{s.specifications} specifications; none could be fitted."
    significant = s.significant_positive + s.significant_negative
    return (
        f"{s.specifications} specifications, {s.fitted} fitted: median estimate "
        f"{fixed(s.median_estimate)} (range {fixed(s.min_estimate)} to "
        f"{fixed(s.max_estimate)}); significant in {significant:.0%} (positive "
        f"{s.significant_positive:.0%}, negative {s.significant_negative:.0%}); "
        f"estimate positive in {s.positive:.0%}."
    )


def curve_test_text(record: MultiverseRecord) -> str | None:
    """The specification-curve test's result, or None when the plan asked for none."""
    test = record.tree.test
    if test is None:
        return None
    return (
        f"Under-the-null bootstrap ({test.iterations} resamples, seed {test.seed}): the "
        f"median estimate {fixed(test.median_estimate)} gives {p_clause(test.p_median)}; "
        f"{test.share_significant:.0%} of specifications significant and "
        f"{test.direction} gives {p_clause(test.p_share)}."
    )


def multiverse_block(record: MultiverseRecord, figure: dict[str, Any] | None) -> dict[str, Any]:
    """What the report's template shows of one multiverse."""
    specs = record.specifications  # none when read from a results.json that left them out
    not_fitted = specs[specs["status"] != "ok"] if "status" in specs else specs.iloc[:0]
    reasons = not_fitted["reason"].value_counts() if len(not_fitted) else {}
    return {
        "id": f"multiverse-{record.id.replace('/', '-')}",
        "title": record.title,
        "summary": summary_text(record),
        "test": curve_test_text(record),
        "not_fitted": [f"{count} not fitted: {reason}" for reason, count in reasons.items()],
        "files": (record.table, record.table.removesuffix(".csv") + ".parquet"),
        "figure": figure,
    }


def multiverse_methods(multiverses: tuple[MultiverseRecord, ...], voracek: str, test: str) -> str:
    """The methods sentence (``voracek``, ``test``: the citation marks of Voracek et al. 2019
    and Simonsohn et al. 2020)."""
    sentences = []
    for record in multiverses:
        tree = record.tree
        f = tree.factors
        levels = [
            f"{FACTOR_NAMES[key]} ({', '.join(str(v).replace('_', ' ') for v in getattr(f, key))})"
            for key in FACTOR_NAMES
        ] + [f"{column} (all, or each level alone)" for column in f.by]
        text = (
            f"For {record.title}, a multiverse analysis {voracek} fitted every combination of "
            + "; ".join(levels)
            + f" ({tree.summary.specifications} specifications; at least {f.min_k} "
            "studies each)"
        )
        if tree.test is not None:
            text += (
                f"; the specification curve was tested against the null by the bootstrap of "
                f"Simonsohn et al. {test} ({tree.test.iterations} resamples, seed "
                f"{tree.test.seed})"
            )
        sentences.append(text + ".")
    return " ".join(sentences)
