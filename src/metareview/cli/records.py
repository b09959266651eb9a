"""``metareview records …``: import, deduplicate, screen, reconcile, export, count, simulate.

A project is one SQLite file (any path, e.g. ``review.mrproj``) or a PostgreSQL URL
(``postgresql+psycopg://user@host/db``); it is created by the first ``import``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from metareview.cli.console import echo
from metareview.cli.options import choice_option, count_option, json_option
from metareview.cli.progress import progress_bar
from metareview.cli.records_embed import embed
from metareview.cli.records_exports import export_log, export_votes, full_text
from metareview.cli.records_extraction import export_extraction, export_rob
from metareview.cli.records_options import (
    STAGES,
    by_option,
    file_output_option,
    open_project,
    project_argument,
    stage_option,
)
from metareview.cli.records_queue import maybe, vote
from metareview.cli.records_screen import screen
from metareview.cli.records_stopping import methods, stop_screening, stopping
from metareview.cli.records_studies import same_study, separate_study
from metareview.cli.records_verify import verify
from metareview.errors import DataError, Problem, RecordsError
from metareview.records.duplicate_log import DuplicateState
from metareview.records.record import OTHER_METHODS
from metareview.records.screening import ResolutionMethod, Vote

if TYPE_CHECKING:  # the heavy layers load inside the commands, keeping `metareview` quick
    from metareview.store import Project


def _echo_json(data: Any) -> None:
    echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group("records")
def records() -> None:
    """Screen search results: import, dedup, screen, conflicts, resolve, agreement, export,
    prisma, simulate."""


@records.command("import")
@project_argument
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--source",
    metavar="NAME",
    help="The database searched (e.g. MEDLINE); default: what each file says.",
)
@click.option(
    "--register",
    is_flag=True,
    help="The files come from a trials register (PRISMA's registers box).",
)
@choice_option(
    "--other-method",
    choices=sorted(k.value for k in OTHER_METHODS),
    help="The records were found by other methods (PRISMA's other-methods branch: no "
    "title/abstract screening, straight to retrieval and full text).",
)
@by_option
@json_option
def import_(
    project: str,
    files: tuple[str, ...],
    source: str | None,
    register: bool,
    other_method: str | None,
    actor: str,
    as_json: bool,
) -> None:
    """Import search exports (RIS, MEDLINE/nbib, BibTeX, WoS, EndNote XML, CSV/TSV/XLSX) into
    PROJECT, creating it if needed. Malformed entries are reported by line and skipped. A
    project created where the optional embedding model is installed starts with the ranking
    model minilm (otherwise svm; 'records settings --ranking-model' changes it)."""
    from metareview.records.importers import read_records
    from metareview.store import Project
    from metareview.store.review import start_ranking

    if register and other_method:
        raise RecordsError("give --register or --other-method, not both")
    kind = other_method or ("register" if register else "database")
    results = [read_records(path, source) for path in files]  # read all before storing any
    with Project.open(project) as opened:
        started = start_ranking(opened, actor=actor)
        for result in results:
            opened.add_import(
                result.file,
                result.records,
                actor=actor,
                source_database=source or "",
                source_kind=kind,
                errors=[e.to_dict() for e in result.errors],
            )
    if as_json:
        _echo_json(
            {
                "files": [
                    {
                        "file": r.file,
                        "records": len(r.records),
                        "errors": [e.to_dict() for e in r.errors],
                        "notes": list(r.notes),
                    }
                    for r in results
                ],
                "started_ranking_model": started,
            }
        )
        return
    if started:
        echo(
            f"ranking model: {started} (the optional embedding model is installed; "
            "'metareview records embed PROJECT' embeds the records once, or the first "
            "ranking that reads them will)"
        )
    for r in results:
        echo(f"{r.file}: {len(r.records)} records, {len(r.errors)} skipped")
        for note in r.notes:
            echo(f"  note: {note}")
        for problem in r.errors:
            echo(f"  - {problem}")


@records.command()
@project_argument
@click.option(
    "--review",
    is_flag=True,
    help="Decide the possible duplicates one by one (y = same, n = different, s = skip, q = quit).",
)
@by_option
@json_option
def dedup(project: str, review: bool, actor: str, as_json: bool) -> None:
    """Find duplicate records; sure ones are removed (every source kept for PRISMA), unsure
    ones wait for a person (--review)."""
    from metareview.store.review import deduplicate_project, duplicate_counts

    with open_project(project) as opened:
        counts = deduplicate_project(opened, actor=actor)
        if review:
            _review_pairs(opened, actor)
            counts = duplicate_counts(opened)
    if as_json:
        _echo_json(counts.to_dict())
    else:
        echo(f"{counts.summary()} ('records dedup --review')")


def _review_pairs(project: Project, actor: str) -> None:
    from metareview.cli.records_screen import read_key, show_pair
    from metareview.store.review import decide_duplicate

    state = DuplicateState.from_events(project.events())
    stored = project.records()
    for pair in state.maybe:
        show_pair(stored[pair.of], stored[pair.record_id], pair)
        key = read_key("Same record? [y]es [n]o [s]kip [q]uit: ", "ynsq")
        if key == "q":
            return
        if key in "yn":
            decide_duplicate(project, pair.record_id, pair.of, actor=actor, duplicate=key == "y")


records.add_command(screen)
records.add_command(embed)
records.add_command(same_study)
records.add_command(separate_study)
records.add_command(verify)
records.add_command(stop_screening)
records.add_command(stopping)
records.add_command(methods)
records.add_command(maybe)
records.add_command(vote)
records.add_command(export_votes)
records.add_command(export_log)
records.add_command(full_text)
records.add_command(export_extraction)
records.add_command(export_rob)


@records.command()
@project_argument
@stage_option
@click.option("--all", "show_all", is_flag=True, help="Include resolved conflicts.")
@json_option
def conflicts(project: str, stage: str, show_all: bool, as_json: bool) -> None:
    """List records whose reviewers disagree (votes, or full-text exclusion reasons)."""
    from metareview.store.review import stage_state

    with open_project(project) as opened:
        found = [
            c for c in stage_state(opened, stage).conflicts() if show_all or c.resolution is None
        ]
        titles = opened.records([c.record_id for c in found])
    if as_json:
        _echo_json(
            {
                "stage": stage,
                "conflicts": [c.to_dict() | {"title": titles[c.record_id].title} for c in found],
            }
        )
        return
    if not found:
        echo(f"No {'' if show_all else 'open '}conflicts at stage {stage}.")
    for c in found:
        votes = ", ".join(
            f"{who}: {vote}" + (f" ({c.reasons[who]})" if c.reasons.get(who) else "")
            for who, vote in c.votes.items()
        )
        done = f"  → {c.resolution.vote} by {c.resolution.by}" if c.resolution else ""
        echo(f"[{c.record_id}] {titles[c.record_id].title[:80]}\n    {votes}{done}")


@records.command()
@project_argument
@click.argument("decision", type=click.Choice([Vote.INCLUDE.value, Vote.EXCLUDE.value]))
@click.argument("record_ids", type=int, nargs=-1, required=True)
@stage_option
@click.option("--reason", help="Full-text exclusion reason (from the list).")
@click.option(
    "--consensus",
    "participants",
    multiple=True,
    metavar="NAME",
    help="Resolved by consensus with NAME (repeat for each); default: you decide "
    "as third reviewer.",
)
@by_option
def resolve(
    project: str,
    decision: str,
    record_ids: tuple[int, ...],
    stage: str,
    reason: str | None,
    participants: tuple[str, ...],
    actor: str,
) -> None:
    """Resolve the conflicts on RECORD_IDS with DECISION (include/exclude); each resolution
    is recorded with who and when."""
    from metareview.store.review import resolve as resolve_conflict

    method = ResolutionMethod.CONSENSUS if participants else ResolutionMethod.THIRD_REVIEWER
    with open_project(project) as opened:
        for record_id in record_ids:
            event = resolve_conflict(
                opened,
                record_id,
                actor=actor,
                stage=stage,
                decision=decision,
                method=method,
                reason=reason,
                participants=participants,
            )
            echo(
                f"record {record_id}: {decision} ({method.value} by "
                f"{', '.join(event.data['participants'])}, {event.at:%Y-%m-%d %H:%M} UTC)"
            )


@records.command()
@project_argument
@stage_option
@click.option(
    "--reviewer",
    "reviewers",
    multiple=True,
    metavar="NAME",
    help="Only these reviewers (repeat); default: everyone whose votes are complete.",
)
@json_option
def agreement(project: str, stage: str, reviewers: tuple[str, ...], as_json: bool) -> None:
    """Agreement of the independent votes: percentage, Cohen's κ (two reviewers), PABAK,
    Gwet's AC1 and Fleiss' κ, on records whose required votes are all in (blinding)."""
    from metareview.store.review import stage_agreement

    with open_project(project) as opened:
        result = stage_agreement(opened, stage, reviewers)
    if as_json:
        _echo_json({"stage": stage} | result.to_dict())
    else:
        echo(result.summary())


@records.command()
@project_argument
@click.argument("record_ids", type=int, nargs=-1, required=True)
@click.option("--not-retrieved", is_flag=True, help="The full texts could not be obtained.")
@by_option
def retrieval(project: str, record_ids: tuple[int, ...], not_retrieved: bool, actor: str) -> None:
    """Record whether the full texts of RECORD_IDS were retrieved (PRISMA's "not retrieved")."""
    from metareview.store.review import mark_retrieval

    status = "not_retrieved" if not_retrieved else "retrieved"
    with open_project(project) as opened:
        for record_id in record_ids:
            mark_retrieval(opened, record_id, actor=actor, status=status)
    echo(f"{len(record_ids)} record(s) marked {status.replace('_', ' ')}")


@records.command("settings")
@project_argument
@count_option("--reviewers-required", help="Independent votes each record needs (default 2).")
@click.option(
    "--only-unvoted",
    is_flag=True,
    help="Once screening has begun: apply --reviewers-required only to records nobody has "
    "voted on yet (records already voted on keep theirs).",
)
@click.option(
    "--reason",
    "reasons",
    multiple=True,
    metavar="TEXT",
    help="Replace the full-text exclusion reasons (repeat for each reason).",
)
@click.option(
    "--highlight",
    "include_terms",
    multiple=True,
    metavar="WORD",
    help="Replace the words `screen` shows in green (repeat).",
)
@click.option(
    "--highlight-exclude",
    "exclude_terms",
    multiple=True,
    metavar="WORD",
    help="Replace the words `screen` shows in red (repeat).",
)
@choice_option(
    "--ranking-model",
    choices=["svm", "logistic", "nb", "minilm"],
    help="The active-learning model that orders each reviewer's records (a new project "
    "starts with minilm where the extra metareview[embeddings] is installed, otherwise "
    "svm; minilm reads the sentence vectors of 'records embed', and needs the extra to "
    "embed new records).",
)
@by_option
@json_option
def settings(
    project: str,
    reviewers_required: int | None,
    only_unvoted: bool,
    reasons: tuple[str, ...],
    include_terms: tuple[str, ...],
    exclude_terms: tuple[str, ...],
    ranking_model: str | None,
    actor: str,
    as_json: bool,
) -> None:
    """Show or change the screening settings (each change is logged)."""
    from metareview.store.review import configure

    with open_project(project) as opened:
        config = configure(
            opened,
            actor=actor,
            reviewers_required=reviewers_required,
            exclusion_reasons=reasons or None,
            highlight_include=include_terms or None,
            highlight_exclude=exclude_terms or None,
            only_unvoted=only_unvoted,
            ranking_model=ranking_model,
        )
    if as_json:
        _echo_json(config.to_dict())
    else:
        echo(f"ranking model: {config.ranking_model}")
        echo(f"reviewers required: {config.reviewers_required}\nexclusion reasons:")
        for reason in config.exclusion_reasons:
            echo(f"  - {reason}")


@records.command()
@project_argument
@file_output_option("The file to write; .ris for RIS, anything else CSV.", required=True)
@click.option(
    "--stage",
    type=STAGES,
    default="ft",
    help="ft: included after full text; ta: on to full text (passed title/abstract, or "
    "found by other methods).",
)
def export(project: str, output: str, stage: str) -> None:
    """Export the included records as CSV or RIS."""
    from metareview.store.exports import write_included
    from metareview.store.review import passed_stage

    with open_project(project) as opened:
        found = passed_stage(opened, stage)
        write_included(opened, output, stage=stage)
    echo(f"wrote {len(found)} records to {output}")


@records.command()
@project_argument
@file_output_option("Write the PRISMA2020 CSV (data,node,box,…,n) here.")
@click.option(
    "--template",
    type=click.Path(exists=True, dir_okay=False),
    help="A PRISMA2020 CSV whose rows to keep (default: the standard template).",
)
@click.option(
    "--diagram",
    type=click.Path(dir_okay=False),
    help="Also draw the flow diagram (.svg, .png or .pdf).",
)
@json_option
def prisma(
    project: str, output: str | None, template: str | None, diagram: str | None, as_json: bool
) -> None:
    """PRISMA 2020 counts derived from the project's log."""
    from metareview.store.prisma import project_flow, project_prisma

    with open_project(project) as opened:
        flow = project_flow(opened)
        counts = project_prisma(opened, template)
    if output:
        counts.to_csv(output)
    if diagram:
        import matplotlib

        matplotlib.use("Agg")
        from metareview.report.prisma_diagram import save_prisma_diagram

        save_prisma_diagram(counts, diagram)
    if as_json:
        _echo_json(flow.to_dict())
    else:
        echo(flow.summary())
        for path in (output, diagram):
            if path:
                echo(f"wrote {path}")


@records.command()
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--seed",
    type=int,
    default=0,
    help="Draws the priors (one relevant, one irrelevant) and seeds the model.",
)
@choice_option(
    "--model",
    choices=["svm", "logistic", "nb", "minilm"],
    default="svm",
    help="The ranking model (minilm reads sentence embeddings: the extra "
    "metareview[embeddings], or --embeddings).",
)
@count_option("--batch", default=1, help="Records screened between retrains.")
@click.option(
    "--label-column",
    default="label_included",
    help="The column of true labels (1 relevant, 0 irrelevant).",
)
@click.option(
    "--embeddings",
    "embeddings_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="With --model minilm: a .npy file of the records' vectors, one row per row of DATA; "
    "read if it exists, else computed (needs the extra) and written there for the next run.",
)
@json_option
def simulate(
    data: str,
    seed: int,
    model: str,
    batch: int,
    label_column: str,
    embeddings_file: str | None,
    as_json: bool,
) -> None:
    """Simulate screening the fully labelled DATA (CSV with title, abstract and labels):
    recall curve, WSS@95, RRF@10, ATD, loss and stopping rules."""
    import pandas as pd

    from metareview.records.active_learning import get_model, record_text
    from metareview.records.simulation import simulate as run_simulation

    frame = pd.read_csv(data)
    missing = [c for c in ("title", label_column) if c not in frame.columns]
    if missing:
        raise DataError([Problem(data, None, c, None, "a column of that name") for c in missing])
    labels = pd.to_numeric(frame[label_column], errors="coerce")
    bad = labels[~labels.isin([0, 1])]
    if len(bad):
        rows = [
            Problem(data, int(i) + 2, label_column, str(frame[label_column].iloc[i]), "0 or 1")
            for i in bad.index[:10]
        ]
        raise DataError(rows, total=len(bad))
    abstracts = frame["abstract"] if "abstract" in frame.columns else [""] * len(frame)
    texts = [record_text(t, a) for t, a in zip(frame["title"], abstracts, strict=True)]
    vectors = None
    if get_model(model).embedding:
        vectors = _simulation_vectors(frame["title"], abstracts, embeddings_file, quiet=as_json)
    elif embeddings_file:
        raise RecordsError(f"--embeddings is read only by a model that reads them, not {model}")
    try:
        result = run_simulation(
            texts,
            labels.astype(int).to_numpy(),
            seed=seed,
            model=model,
            batch=batch,
            vectors=vectors,
        )
    except ValueError as err:
        raise RecordsError(f"{data}: {err}") from err
    if as_json:
        _echo_json(result.to_dict())
    else:
        echo(result.summary())


def _simulation_vectors(titles: Any, abstracts: Any, path: str | None, *, quiet: bool) -> Any:
    """The sentence vectors of a simulation's records: read from ``path`` when it exists
    (one row per record), else embedded by the optional model, showing progress on stderr
    (not with ``quiet``), and saved to ``path``."""
    from pathlib import Path

    import numpy as np

    from metareview.records.embeddings import check_vectors, embed, embedding_text

    if path and Path(path).exists():
        try:
            return check_vectors(np.load(path, allow_pickle=False), len(titles))
        except (ValueError, OSError) as err:
            raise DataError(Problem.of_file(path, f"a .npy array of vectors ({err})")) from err
    texts = [embedding_text(t, a) for t, a in zip(titles, abstracts, strict=True)]
    with progress_bar("embedding the records", quiet=quiet) as report:
        vectors = embed(texts, progress=report)
    if path:
        with open(path, "wb") as file:  # (np.save to a path would add ".npy" to one without it)
            np.save(file, vectors)
    return vectors
