"""The self-contained HTML report: one file, figures inline as SVG, no scripts, no network.

:func:`render_html` fills the Jinja2 template ``templates/report.html.j2`` from the review
results and the rendered figures; :mod:`metareview.report.build` writes it with the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from metareview.plan.expand import SENSITIVITY_LABELS, slug
from metareview.plan.grade_review import unapplied_decisions
from metareview.plan.results import ReviewResults, combined_rows
from metareview.report.metaregression_table import metaregression_block
from metareview.report.methods_text import methods_paragraph, results_paragraph
from metareview.report.models_table import models_block
from metareview.report.multiverse_section import multiverse_block
from metareview.report.numbers import ci_label, effect_symbol, fixed, p_value, shown_scale
from metareview.report.rob_figures import override_notes, unmatched_overrides
from metareview.report.small_study_table import small_study_block
from metareview.report.tables import NAMED_IN_BRIEF, format_table, groups, summary_table

ROB_GROUP = "Risk of bias"
PRISMA_GROUP = "Study selection"


@dataclass(frozen=True)
class RenderedFigure:
    """A figure written to disk: its id, group, caption, SVG text and file names."""

    id: str
    group: str
    caption: str
    svg: str
    files: tuple[str, ...]


def inline_svg(svg_text: str) -> str:
    """SVG file text made fit to sit inside HTML (no XML prolog, DOCTYPE or metadata).

    >>> inline_svg('<?xml version="1.0"?>\\n<!DOCTYPE svg>\\n<svg a="1"><metadata>x</metadata></svg>')
    '<svg a="1"></svg>'
    """
    svg = svg_text[svg_text.index("<svg") :].strip()
    return re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("metareview.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _table_rows(table) -> list[dict[str, Any]]:
    rows, previous = [], None
    for record in table.to_dict("records"):
        section = record.pop("Section")
        cells = list(record.values())
        indent = str(cells[0]).startswith(" ")
        rows.append(
            {
                "section_start": section if section != previous else None,
                "cells": [str(cells[0]).strip(), *cells[1:]],
                "indent": indent,
            }
        )
        previous = section
    return rows


def _leave_one_out(record) -> dict[str, Any]:
    """The leave-one-out table of ``record``, effects on their printed scale (ratios back from
    the log scale) and headed by the measure's symbol and the analysis' CI level."""
    tree = record.tree
    measure = tree.result.measure
    shown = shown_scale(measure)
    rows = []
    for entry in tree.leave_one_out:
        low, high = fixed(shown(entry.ci_lower)), fixed(shown(entry.ci_upper))
        rows.append(
            {
                "omitted": entry.omitted,
                "k": entry.k,
                "estimate": f"{fixed(shown(entry.estimate))} ({low} to {high})",
                "p": p_value(entry.pvalue),
                "i2": f"{entry.i2:.0f}%",
            }
        )
    heading = f"{effect_symbol(measure, 'Estimate')} ({ci_label(tree.result.ci_level)})"
    return {
        "id": f"loo-{slug(record.id)}",
        "title": tree.spec.title,
        "estimate_heading": heading,
        "rows": rows,
    }


def _figure_block(figure: RenderedFigure, number: int) -> dict[str, Any]:
    return {
        "id": figure.id,
        "number": number,
        "caption": figure.caption,
        "svg": inline_svg(figure.svg),
        "files": figure.files,
    }


def render_html(
    results: ReviewResults,
    figures: list[RenderedFigure],
    *,
    sof: str | None = None,
    study_links: Mapping[str, str] | None = None,
) -> str:
    """The report's HTML text; ``sof`` is the summary-of-findings table (HTML) when GRADE ran.
    ``study_links`` (study label → URL) turns the study names of the results tables
    (leave-one-out, risk-of-bias overrides, rows left out or combined) into links."""
    methods, references = methods_paragraph(results)
    group_blocks, toc_results = [], []
    number = 0
    prisma_figures, rob_figures = [], []
    for group, found in ((PRISMA_GROUP, prisma_figures), (ROB_GROUP, rob_figures)):
        for figure in figures:
            if figure.group == group:
                number += 1
                found.append(_figure_block(figure, number))
    overrides = override_notes(results.typed_plan)
    for group in groups(results):
        records = [r for r in results.analyses if r.tree.spec.group == group]
        table = format_table(summary_table(results, group))
        group_id = f"group-{slug(group)}"
        group_figures, curves = [], {}
        for figure in figures:
            if figure.group == group:
                number += 1
                block = _figure_block(figure, number)
                if figure.id.startswith("multiverse-"):
                    curves[figure.id] = block
                else:
                    group_figures.append(block)
        group_blocks.append(
            {
                "id": group_id,
                "name": group,
                "paragraph": results_paragraph(records),
                "columns": [c for c in table.columns if c != "Section"],
                "rows": _table_rows(table),
                "left_out": [
                    {
                        "title": SENSITIVITY_LABELS[r.tree.spec.variant],
                        "studies": r.excluded_studies,
                    }
                    for r in records
                    if r.tree.spec.role == "sensitivity"
                    and len(r.excluded_studies) > NAMED_IN_BRIEF
                ],
                "figures": group_figures,
                "leave_one_out": [_leave_one_out(r) for r in records if r.leave_one_out],
                "models": [block for r in records if (block := models_block(r)) is not None],
                "small_study": [
                    block
                    for r in records
                    if (block := small_study_block(r, results.typed_plan.min_k.small_study))
                    is not None
                ],
                "multiverse": [
                    multiverse_block(m, curves.get(f"multiverse-{slug(m.id)}"))
                    for m in results.multiverses
                    if m.group == group
                ],
                "metaregression": [
                    {
                        **metaregression_block(section, r.id, index),
                        "title": r.tree.spec.title,
                    }
                    for r in records
                    if r.ok
                    for index, section in enumerate(r.tree.result.metaregression)
                ],
            }
        )
        toc_results.append({"id": group_id, "title": group})
    skipped = [
        {"title": r.tree.spec.title, "reason": r.reason} for r in results.analyses if not r.ok
    ]
    dropped = [{**d, "analysis": "all (no effect size)"} for d in results.dropped]
    for record in results.analyses:
        tree = record.tree
        if tree.spec.role == "main":
            dropped += [{**d.to_dict(), "analysis": tree.spec.title} for d in tree.dropped]
            dropped += [
                {**d, "analysis": tree.spec.title}
                for item in tree.combined
                for d in combined_rows(item)
            ]
    toc = [
        {"id": "methods", "title": "Methods"},
        *(
            [{"id": "study-selection", "title": "Study selection (PRISMA)"}]
            if prisma_figures
            else []
        ),
        *([{"id": "risk-of-bias", "title": "Risk of bias"}] if rob_figures or overrides else []),
        *([{"id": "summary-of-findings", "title": "Summary of findings (GRADE)"}] if sof else []),
        {"id": "results", "title": "Results", "children": toc_results},
        {"id": "not-run", "title": "Analyses not run"},
        {"id": "analysis-warnings", "title": "Analysis warnings"},
        {"id": "dropped", "title": "Rows left out or combined"},
        {"id": "data-checks", "title": "Data checks"},
        {"id": "references", "title": "References"},
    ]
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=results.title,
        version=results.version,
        cache_key=results.cache_key,
        data={**results.data, "file_name": Path(results.data["file"]).name},
        toc=toc,
        methods=methods,
        references=references,
        groups=group_blocks,
        rob_figures=rob_figures,
        rob_overrides=overrides,
        prisma_figures=prisma_figures,
        sof=sof,
        skipped=skipped,
        analysis_warnings=[
            {"analysis": where, "warning": warning}
            for where, warning in results.analysis_warnings()
        ]
        + [{"analysis": "GRADE", "warning": warning} for warning in unapplied_decisions(results)]
        + [
            {"analysis": "Risk of bias", "warning": warning}
            for warning in unmatched_overrides(results)
        ],
        dropped=dropped,
        data_checks=list(results.warnings),
        study_links=dict(study_links or {}),
    )


def anchors(html: str) -> tuple[set[str], set[str]]:
    """(ids defined, in-page link targets) of an HTML text: every target should be an id.

    >>> anchors('<a href="#x">x</a><h2 id="x">X</h2>')
    ({'x'}, {'x'})
    """
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    links = set(re.findall(r'href="#([^"]+)"', html))
    return ids, links
