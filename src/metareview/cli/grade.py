"""``metareview grade DATA|PLAN.toml``: GRADE certainty per outcome and the summary-of-findings
table.

Given a plan (``.toml``), its analyses are run (in this process) and
each main analysis and specific outcome is rated under the plan's ``[grade]`` section; the
other options below apply to a data table.

Each outcome (the rows sharing ``--outcome-column``, after ``--where`` filters) is pooled and
rated by :func:`metareview.plan.grading.grade_table` (a plan by ``grade_plan``); the studies' ``rob_overall`` judgements give the
share of weight at high risk of bias; GRADE domains are proposed by rule and the reviewer's
``--decision`` options confirm or override them with a footnote.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from metareview.cli.console import echo
from metareview.cli.options import (
    choice_option,
    data_argument,
    echo_dropped,
    json_option,
    mapping_from,
    pairs_option,
    pooling_options,
    table_options,
)
from metareview.data.table import load_table
from metareview.plan.analysis import analysis_settings
from metareview.plan.grading import Grading, grade_plan, grade_table
from metareview.plan.plan import load_plan
from metareview.rob.grade import DOMAINS, UPGRADES, GradeDecision, GradeRules
from metareview.rob.sof import (
    sof_csv,
    sof_html,
    summary_of_findings,
)
from metareview.stats.vocabulary import MEASURES


def _parse_decision(text: str) -> tuple[str | None, GradeDecision]:
    """``[OUTCOME/]DOMAIN=LEVELS:FOOTNOTE`` → (outcome or None, decision)."""
    target, sep, rest = text.partition("=")
    levels, sep2, footnote = rest.partition(":")
    outcome, slash, domain = target.rpartition("/")
    if not sep or not sep2:
        raise click.BadParameter(
            f"{text!r}: expected [OUTCOME/]DOMAIN=LEVELS:FOOTNOTE, "
            "e.g. 'indirectness=-1:only inpatients'",
            param_hint="--decision",
        )
    try:
        decision = GradeDecision(domain.strip(), int(levels), footnote)
    except ValueError as err:
        raise click.BadParameter(f"{text!r}: {err}", param_hint="--decision") from None
    return (outcome.strip() if slash else None), decision


def _given(name: str) -> bool:
    """Whether the option ``name`` was set on the command line (not left at its default)."""
    source = click.get_current_context().get_parameter_source(name)
    return source is click.core.ParameterSource.COMMANDLINE


@click.command("grade")
@data_argument
@click.option(
    "--outcome-column",
    metavar="COLUMN",
    help="Column naming the outcome of each row; one GRADE rating per outcome.",
)
@pairs_option(
    "--where",
    "filters",
    "COLUMN=VALUE",
    help="Keep only rows where COLUMN equals VALUE (e.g. --where time=post). Repeatable.",
)
@click.option(
    "--measure",
    default="SMD",
    metavar="M",
    help=f"Effect measure of the pooled effects ({', '.join(MEASURES)}).",
)
@pooling_options
@click.option(
    "--rob-column",
    default="rob_overall",
    metavar="COLUMN",
    help="Column holding each study's overall risk-of-bias judgement.",
)
@click.option(
    "--participants-column",
    metavar="COLUMN",
    help="Column with each row's total participants (default: n_arm1 + n_arm2 etc.).",
)
@choice_option(
    "--design",
    choices=["RCT", "observational"],
    default="RCT",
    help="Study design: evidence from RCTs starts at High, observational at Low.",
)
@click.option(
    "--control-risk",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    metavar="P",
    help="Control-group risk for absolute effects and the OIS (default: observed in the data).",
)
@click.option(
    "--mid",
    type=float,
    metavar="X",
    help="Minimal important difference (natural scale: 0.2 for an SMD, 1.25 for a ratio).",
)
@click.option(
    "--rob-serious",
    type=click.FloatRange(0, 1),
    default=0.5,
    metavar="SHARE",
    help="Rate down for risk of bias when this share of weight is at high risk.",
)
@click.option(
    "--decision",
    "decisions",
    multiple=True,
    metavar="[OUTCOME/]DOMAIN=LEVELS:FOOTNOTE",
    help=f"Reviewer's rating of a domain ({', '.join(DOMAINS)}): 0, -1 or -2 with a footnote; "
    f"or rating up ({', '.join(UPGRADES)}): 1 or 2.",
)
@click.option(
    "-o", "--output", metavar="FILE", help="Write the summary-of-findings table (.html or .csv)."
)
@table_options
@json_option
def grade_command(
    data: str,
    outcome_column: str | None,
    filters: tuple[tuple[str, str], ...],
    measure: str,
    preset: str,
    method: str | None,
    ci_method: str | None,
    level: float,
    rob_column: str,
    participants_column: str | None,
    design: str,
    control_risk: float | None,
    mid: float | None,
    rob_serious: float,
    decisions: tuple[str, ...],
    output: str | None,
    columns: tuple[str, ...],
    sheet: str | None,
    drop_incomplete: bool,
    as_json: bool,
) -> None:
    """Rate the certainty of evidence (GRADE) per outcome of DATA; print the SoF table.

    DATA is an extraction table, or an analysis plan (PLAN.toml): then the plan's analyses
    are run and rated under its [grade] section.
    """
    if output and Path(output).suffix.lower() not in (".html", ".csv"):
        raise click.BadParameter("the table file must end in .html or .csv", param_hint="--output")
    if Path(data).suffix.lower() == ".toml":
        table_only = {
            "--outcome-column": outcome_column,
            "--where": filters,
            "--participants-column": participants_column,
            "--control-risk": control_risk,
            "--mid": mid,
            "--decision": decisions,
            "--col": columns,
            "--sheet": sheet,
        }
        defaulted = {
            "--measure": "measure",
            "--preset": "preset",
            "--method": "method",
            "--ci": "ci_method",
            "--level": "level",
            "--rob-column": "rob_column",
            "--design": "design",
            "--rob-serious": "rob_serious",
        }
        given = [name for name, value in table_only.items() if value not in (None, ())]
        given += [flag for flag, param in defaulted.items() if _given(param)]
        if given:
            raise click.BadParameter(
                f"{', '.join(given)}: options for a data table; a plan sets them in its "
                "[settings], [rob] and [grade] sections (docs/plan.md)",
                param_hint="DATA",
            )
        grading = grade_plan(load_plan(data), drop_incomplete=drop_incomplete)
        _emit(grading, output, as_json)
        return
    table = load_table(data, mapping_from(columns), sheet=sheet, drop_incomplete=drop_incomplete)
    grading = grade_table(
        table,
        analysis_settings(
            measure=measure, preset=preset, method=method, ci_method=ci_method, level=level
        ),
        outcome_column=outcome_column,
        where=filters,
        rob_column=rob_column,
        participants_column=participants_column,
        design=design,
        control_risk=control_risk,
        rules=GradeRules(mid=mid, rob_serious=rob_serious),
        decisions=[_parse_decision(d) for d in decisions],
        name=Path(data).stem,
    )
    _emit(grading, output, as_json)


def _emit(grading: Grading, output: str | None, as_json: bool) -> None:
    """Write the table to ``output`` (.html or .csv) and print the ratings (or JSON) and the
    rows left out."""
    assessments = list(grading.assessments)
    dropped = [d.to_dict() for d in grading.dropped]
    if output:
        text = sof_html(assessments) if output.lower().endswith(".html") else sof_csv(assessments)
        Path(output).write_text(text, encoding="utf-8")
    if as_json:
        document = {
            "outcomes": [g.to_dict() for g in assessments],
            "table": output,
            "dropped": dropped,
        }
        echo(json.dumps(document, indent=2))
        return
    for g in assessments:
        echo(g.summary())
    sof = summary_of_findings(assessments)
    echo("\n" + sof.to_string(index=False))
    for letter, note in sof.attrs["footnotes"].items():
        echo(f"  {letter}. {note}")
    echo_dropped(dropped)
