"""The report says one thing one way (issue 14, item 21): p values in the text as in the
tables, an I² outside its CI explained, a sensitivity cell that does not list 98 studies, a
methods paragraph that claims no correction for precomputed g, and a PRISMA diagram without
"n = NR" and "Reports excluded: Reports excluded"."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt

from metareview.plan.results import AnalysisRecord, ReviewResults
from metareview.report.html import render_html
from metareview.report.methods_text import methods_paragraph, results_paragraph
from metareview.report.prisma_diagram import prisma_diagram
from metareview.report.tables import format_table, summary_table
from metareview.rob.prisma import PrismaCounts
from tests.test_prisma import SMIT_2023

POOLED = {"estimate": 0.3, "se": 0.1, "ci_lower": 0.1, "ci_upper": 0.5, "pvalue": 0.0001}


def _result(k=4, i2=40.0, i2_ci=(10.0, 70.0), studies=None):
    studies = studies or [f"S{i}" for i in range(k)]
    return {
        "k": k,
        "measure": "SMD",
        "method": "REML",
        "level": 0.95,
        "fixed": {**POOLED, "statistic": 3.0},
        "random": {**POOLED, "statistic": 3.0, "pi_lower": -0.1, "pi_upper": 0.7},
        "heterogeneity": {
            "i2": i2,
            "i2_ci": list(i2_ci),
            "tau2": 0.01,
            "q": 5.0,
            "q_df": k - 1,
            "q_pvalue": 0.2,
        },
        "conventions": {"i2_definition": "tau2", "i2_ci_method": "qprofile"},
        "studies": [{"study": s, "yi": 0.3, "vi": 0.01, "weight": 100 / k} for s in studies],
        "warnings": [],
    }


def _forest(rows, measure, total):
    """Forest data of one section of ``rows`` (a :func:`_result` of 4 studies) and a random
    effects total row at ``total`` (estimate, lower, upper)."""
    from metareview.report.forest_data import ForestData, ForestSection, PooledRow

    result = _result()
    return ForestData(
        (ForestSection(None, rows, (), result),),
        (PooledRow("Total", "random", *total),),
        result,
        measure,
        "random",
        0.95,
    )


def _spec(role="main", variant="main", **extra):
    return {
        "id": f"a/{variant}",
        "title": "Anxiety",
        "group": "Anxiety",
        "window": "Post-test",
        "role": role,
        "variant": variant,
        "small_study": [],
        **extra,
    }


def _results(*records, plan=None):
    return ReviewResults(
        title="t",
        version="0",
        cache_key="k",
        plan=plan or {"settings": {"measure": "SMD"}},
        data={"file": "data.csv", "rows": 4, "studies": 4},
        analyses=tuple(records),
    )


def _record(result, inputs=(), subgroups=(), **spec):
    return AnalysisRecord(
        spec=_spec(**spec),
        status="ok",
        result=result,
        input=list(inputs),
        subgroups=list(subgroups),
    )


def test_text_prints_small_p_values_as_the_tables_do():
    block = {"column": "format", "levels": [], "test": {"q": 30.0, "df": 1, "pvalue": 2e-8}}
    text = results_paragraph([_record(_result(), subgroups=[block])])
    assert "p = 0.000" not in text
    assert "(Q = 30.00, df = 1, p < 0.001)" in text and "g = 0.30" in text


def test_an_i2_outside_its_ci_gets_a_footnote():
    record = _record(_result(i2=12.0, i2_ci=(14.5, 80.0)))
    text = results_paragraph([record])
    assert "I² = 12% lies outside its CI (14.5% to 80%)" in text
    assert "Q-profile CI of τ²" in text and "REML estimate of τ²" in text
    table = summary_table(_results(record), "Anxiety")
    assert "lies outside its CI" in table.loc[0, "note"]
    inside = _record(_result())
    assert "outside" not in results_paragraph([inside])
    assert not summary_table(_results(inside), "Anxiety").loc[0, "note"]


def test_a_sensitivity_cell_names_a_few_studies_and_the_report_lists_all():
    names = [f"Study {i:02d}" for i in range(98)]
    main = _record(_result(k=100))
    outliers = AnalysisRecord(
        spec=_spec(role="sensitivity", variant="outliers_removed", parent="a/main"),
        status="ok",
        result=_result(k=2),
        excluded_studies=names,
    )
    results = _results(main, outliers)
    table = format_table(summary_table(results, "Anxiety"))
    cell = next(c for c in table.iloc[:, 1] if "Outliers" in str(c))
    assert "98 studies: Study 00, Study 01, Study 02, …" in cell
    assert "Study 03" not in cell
    html = render_html(results, [])
    assert "the 98 studies left out were Study 00, " in html and "Study 97." in html


def _methods(sources):
    inputs = [
        {"study": f"S{i}", "yi": 0.1, "vi": 0.01, "es_source": s} for i, s in enumerate(sources)
    ]
    return methods_paragraph(_results(_record(_result(), inputs=inputs)))[0]


def test_methods_claim_no_correction_for_precomputed_g():
    assert "small-sample correction" not in _methods(["precalc_g", "precalc_g", "yi_sei"])
    assert "pooled as reported" in _methods(["precalc_g"])
    computed = _methods(["means", "means"])
    assert "small-sample correction" in computed and "as reported" not in computed
    mixed = _methods(["means", "precalc_g"])
    assert "small-sample correction" in mixed and "precomputed values as reported" in mixed


def _texts(counts: PrismaCounts) -> str:
    ax = prisma_diagram(counts)
    texts = " | ".join(re.sub(r"\s+", " ", t.get_text()) for t in ax.texts)
    plt.close(ax.figure)
    return texts


def test_prisma_generic_exclusion_reason_and_unreported_counts():
    counts = PrismaCounts(**SMIT_2023)
    texts = _texts(counts)
    assert "Reports excluded (n = 103)" in texts
    assert "Reports excluded: | " not in texts and "Reports excluded:" not in texts
    assert "NR" not in texts and "Databases (n not reported)" in texts
    named = _texts(counts.with_counts(dbr_excluded=(("Not randomized", 100), ("Other", 3))))
    assert "Reports excluded:" in named and "Not randomized (n = 100)" in named


def test_ratio_axes_are_ticked_at_round_ratios():
    import math

    from metareview.report.forest_data import ForestRow
    from metareview.report.forest_plot import forest_plot
    from metareview.report.funnel_plot import funnel_plot
    from metareview.report.ratio_axis import ratio_ticks
    from metareview.stats.bias.funnel import funnel_data

    assert ratio_ticks(math.log(0.2), math.log(5.5)) == [0.25, 0.5, 1.0, 2.0, 4.0]
    rows = tuple(
        ForestRow(f"S{i}", math.log(y), math.log(y) - 1.2, math.log(y) + 1.2, 25.0)
        for i, y in enumerate([0.4, 1.8, 6.98, 2.1])
    )
    data = _forest(rows, "RR", total=(0.7, 0.3, 1.1))
    for layout in ("meta", "revman5", "jama"):
        ax = forest_plot(data, layout=layout)
        ax.figure.canvas.draw()
        labels = [t.get_text() for t in ax.get_xticklabels()]
        plt.close(ax.figure)
        assert labels == ["0.1", "1", "10"], labels  # not 0.22 / 1 / 4.5 / 20
    funnel = funnel_plot(funnel_data([math.log(0.5), math.log(2.0)], [0.1, 0.2]), exp_labels=True)
    funnel.figure.canvas.draw()
    shown = [float(t.get_text()) for t in funnel.get_xticklabels()]
    plt.close(funnel.figure)
    assert all(math.log10(t) % 1 == 0 or t in (0.25, 0.5, 2, 4, 3, 0.3, 5, 0.2) for t in shown)
    assert 1.0 in shown


def test_forest_rob_column_speaks_the_traffic_light_legend():
    """One legend everywhere, as robvis: + low, - some concerns, X high, ? no information, in
    the traffic-light plot's colours; "No information" is a symbol, not large bold text."""
    from matplotlib.colors import to_hex

    from metareview.report.forest_data import ForestRow
    from metareview.report.forest_plot import forest_plot
    from metareview.report.rob_plots import SYMBOLS, palette_colours
    from metareview.rob.vocabulary import Judgement

    judgements = ["Low", "Some concerns", "High", "No information"]
    rows = tuple(
        ForestRow(f"S{i}", 0.1 * i, 0.1 * i - 0.3, 0.1 * i + 0.3, 25.0, rob=rob)
        for i, rob in enumerate(judgements)
    )
    data = _forest(rows, "SMD", total=(0.2, 0.0, 0.4))
    colours = palette_colours("cochrane")
    for layout in ("meta", "revman5", "jama"):
        ax = forest_plot(data, layout=layout)
        texts = {t.get_text(): t for t in ax.texts}
        assert "No information" not in texts
        for judgement in judgements:
            expected = Judgement(judgement)
            marks = [
                t for t in ax.texts
                if t.get_text() == SYMBOLS[expected] and t.get_bbox_patch() is not None
                and to_hex(t.get_bbox_patch().get_facecolor()) == colours[expected].lower()
            ]  # fmt: skip
            assert marks, (layout, judgement)
        legend = "Risk of bias: X High, - Some concerns, ? No information, + Low"
        assert legend in texts, sorted(texts)
        plt.close(ax.figure)
