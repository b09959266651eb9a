"""``metareview rob TABLE``: risk-of-bias judgements and figures from a table.

With ``--tool rob2`` (default) the table holds either RoB 2 signalling answers (``q1_1`` …
``q5_3``, judged by the published algorithms) or domain judgements (``rob_d1`` … ``rob_d5``,
``rob_overall``, as in the extraction table, or the robvis layout). With ``--tool rob1`` or a
TOML file of a modified tool it holds Low/Unclear/High per domain and gets the overall and
AHRQ rating. Writes ``judgements.csv``, ``robvis.csv``, the traffic-light and summary plots.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import click
import matplotlib
import pandas as pd

from metareview.cli.console import echo
from metareview.cli.options import (
    choice_option,
    count_option,
    json_option,
    output_folder_option,
    pairs_option,
    sheet_option,
)
from metareview.data.readers import read_raw
from metareview.data.spreadsheet import safe_frame
from metareview.errors import DataError, Problem
from metareview.rob.rob1 import ROB1, assess_rob1_table, load_tool
from metareview.rob.rob2 import QUESTION_BY_COLUMN
from metareview.rob.rob2_table import assess_table, overall_disagreements
from metareview.rob.table import RobTable, judgement_columns, rob2_judgements_from_table


def read_frame(path: str, sheet: str | None) -> pd.DataFrame:
    """A table file as a DataFrame of text cells indexed by spreadsheet row number."""
    raw = read_raw(path, sheet)
    return pd.DataFrame(
        raw.rows, columns=[str(h).strip() for h in raw.header], index=raw.row_numbers
    )


def _figures(table: RobTable, outdir: Path, palette: str, fmt: str) -> list[Path]:
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from metareview.report.rob_plots import summary_plot, traffic_light_plot

    written = []
    plots = [
        ("traffic_light", lambda: traffic_light_plot(table, palette=palette)),
        ("summary", lambda: summary_plot(table, palette=palette)),
    ]
    if table.weights:
        plots.append(
            ("summary_weighted", lambda: summary_plot(table, palette=palette, weighted=True))
        )
    for name, draw in plots:
        ax = draw()
        path = outdir / f"{name}.{fmt}"
        ax.figure.savefig(path, dpi=150, bbox_inches="tight")
        plt.close(ax.figure)
        written.append(path)
    return written


def _weight_column(frame: pd.DataFrame, weight: str | None, source: str) -> str | None:
    if weight is None:
        return None
    if weight not in frame.columns:
        raise DataError(
            Problem(
                source, None, weight, None, f"a column of the table ({', '.join(frame.columns)})"
            )
        )
    numbers = pd.to_numeric(frame[weight], errors="coerce")
    bad = numbers.isna() | (numbers < 0)
    if bad.any():
        row = int(frame.index[bad.to_numpy().nonzero()[0][0]])
        raise DataError(Problem(source, row, weight, str(frame.loc[row, weight]), "a weight ≥ 0"))
    frame[weight] = numbers
    return weight


def _write_judgements(rob_table: RobTable, path: Path) -> None:
    judged = rob_table.to_frame().drop(columns="Weight")
    judged.columns = ["study", *(d.lower() for d in rob_table.domains), "overall"]
    safe_frame(judged).to_csv(path, index=False)


def _check_robvis_layout(frame: pd.DataFrame, source: str) -> None:
    """A table in none of the known layouts gets one clear error, not one per cell."""
    header = [str(c).strip().lower() for c in frame.columns]
    last = header[-2] if header and header[-1] == "weight" and len(header) > 1 else header[-1]
    if "overall" not in last:
        raise DataError(
            Problem(
                source,
                1,
                None,
                ", ".join(map(str, frame.columns[:6])) + (", …" if len(header) > 6 else ""),
                "a risk-of-bias table: RoB 2 answers (study, q1_1 …), judgements (study, "
                "rob_d1 … rob_d5, rob_overall), the robvis layout (Study, D1 … D5, Overall), "
                "or name the columns with --domain NAME=COLUMN --overall COLUMN",
            )
        )


def _named_columns(frame, source, domains, overall, study, recodes, weight) -> RobTable:
    if overall is None:
        raise click.BadParameter("--domain needs --overall COLUMN", param_hint="--overall")
    recode: dict[object, str] = {}
    for code, level in recodes:
        recode[code] = level
        with contextlib.suppress(ValueError):  # numeric codes match numeric cells too
            recode[float(code)] = level
    return RobTable.from_columns(
        frame,
        study=study,
        domains=dict(domains),
        overall=overall,
        weight=weight,
        recode=recode or None,
        source=source,
    )


@click.command("rob")
@click.argument("table", type=click.Path(dir_okay=False))
@click.option(
    "--tool",
    default="rob2",
    metavar="rob2|rob1|FILE.toml",
    help="RoB 2, RoB 1, or a TOML file describing a modified RoB 1-style tool.",
)
@output_folder_option("Directory for judgements and figures.", default="rob")
@choice_option(
    "--palette",
    choices=["cochrane", "colourblind"],
    default="cochrane",
    help="Colours of the figures.",
)
@choice_option(
    "--format",
    "fmt",
    choices=["png", "svg", "pdf"],
    default="png",
    help="File format of the figures.",
)
@click.option(
    "--weight",
    metavar="COLUMN",
    help="Column weighting the summary plot (e.g. each study's meta-analysis weight).",
)
@pairs_option(
    "--domain",
    "domains",
    "NAME=COLUMN",
    help="Judgements of a domain in COLUMN, shown as NAME (repeatable; with --overall).",
    need_value=True,
)
@click.option("--overall", metavar="COLUMN", help="Column of the overall judgement.")
@click.option(
    "--study",
    "study_column",
    default="study",
    metavar="COLUMN",
    help="Column naming the study (with --domain).",
)
@pairs_option(
    "--recode",
    "recodes",
    "CODE=LEVEL",
    help="Translate a code of the table to a judgement, e.g. --recode 0.5=Unclear (repeatable).",
    need_value=True,
)
@count_option(
    "--some-concerns-high-at",
    metavar="K",
    help="RoB 2: overall High when K or more domains have some concerns (a review's own rule).",
)
@sheet_option
@json_option
def rob(
    table: str,
    tool: str,
    outdir: str,
    palette: str,
    fmt: str,
    weight: str | None,
    domains: tuple[tuple[str, str], ...],
    overall: str | None,
    study_column: str,
    recodes: tuple[tuple[str, str], ...],
    some_concerns_high_at: int | None,
    sheet: str | None,
    as_json: bool,
) -> None:
    """Judge risk of bias for every study in TABLE and draw the robvis-style figures."""
    frame = read_frame(table, sheet)
    weight = _weight_column(frame, weight, table)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    notes: tuple[str, ...] = ()
    lowered = {c.lower() for c in frame.columns}
    if domains:
        rob_table = _named_columns(frame, table, domains, overall, study_column, recodes, weight)
        _write_judgements(rob_table, out / "judgements.csv")
        written.append(out / "judgements.csv")
    elif tool == "rob2" and lowered & set(QUESTION_BY_COLUMN):
        if weight:
            frame = frame.rename(columns={weight: "weight"})
        results = assess_table(frame, source=table, some_concerns_high_at=some_concerns_high_at)
        safe_frame(results.to_frame()).to_csv(out / "judgements.csv", index=False)
        safe_frame(results.details()).to_csv(out / "details.csv", index=False)
        written += [out / "judgements.csv", out / "details.csv"]
        rob_table = results.to_rob_table()
    elif tool == "rob2":
        if judgement_columns(list(frame.columns)) is not None:
            rob_table = rob2_judgements_from_table(frame, source=table, weight=weight)
        else:
            _check_robvis_layout(frame, table)
            rob_table = RobTable.from_frame(frame, tool="RoB 2", source=table)
        notes = overall_disagreements(rob_table, some_concerns_high_at=some_concerns_high_at)
        _write_judgements(rob_table, out / "judgements.csv")
        written.append(out / "judgements.csv")
    else:
        rob1_tool = ROB1 if tool == "rob1" else load_tool(tool)
        rob_table, assessments = assess_rob1_table(frame, rob1_tool, source=table, weight=weight)
        safe_frame(
            pd.DataFrame(
                [
                    {
                        "study": a.study,
                        **{k: v.value for k, v in a.judgements.items()},
                        "overall": a.overall.value,
                        "ahrq": a.ahrq.rating,
                        "ahrq_rule": a.ahrq.rule,
                    }
                    for a in assessments
                ]
            )
        ).to_csv(out / "judgements.csv", index=False)
        written.append(out / "judgements.csv")
    written.append(rob_table.to_robvis_csv(out / "robvis.csv"))
    written += _figures(rob_table, out, palette, fmt)
    if as_json:
        echo(
            json.dumps(
                {
                    "tool": rob_table.tool,
                    "studies": rob_table.n_studies,
                    "files": [str(p) for p in written],
                    "summary": rob_table.to_dict(),
                    "overall_notes": list(notes),
                },
                indent=2,
            )
        )
    else:
        echo(rob_table.summary())
        for note in notes:
            echo(f"note: {note}")
        echo("wrote " + ", ".join(str(p) for p in written))
