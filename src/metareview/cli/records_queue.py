"""``metareview records maybe`` and ``records vote``: the possible-duplicate queue without the
interactive prompt, and a reviewer's vote on a record named by id."""

from __future__ import annotations

import json

import click

from metareview.cli.console import echo
from metareview.cli.options import json_option
from metareview.cli.records_options import (
    by_option,
    file_output_option,
    open_project,
    project_argument,
    stage_option,
)
from metareview.records.screening import Vote

PAIR_COLUMNS = ("record_id", "of", "title_similarity", "conflicts", "agree")


def _side(prefix: str, record) -> dict[str, object]:
    return {
        f"{prefix}_title": record.title,
        f"{prefix}_year": record.year,
        f"{prefix}_doi": record.doi,
        f"{prefix}_pmid": record.pmid,
        f"{prefix}_source": record.source_database or record.source_file,
    }


@click.command("maybe")
@project_argument
@file_output_option("Write the queue as CSV (one row per pair, both records' details).")
@json_option
def maybe(project: str, output: str | None, as_json: bool) -> None:
    """List the possible duplicates waiting for a person (decide them with
    `records dedup --review`), with the evidence for and against each pair."""
    import pandas as pd

    from metareview.data.spreadsheet import safe_frame
    from metareview.records.duplicate_log import DuplicateState

    with open_project(project) as opened:
        pending = DuplicateState.from_events(opened.events()).maybe
        stored = opened.records([i for p in pending for i in (p.record_id, p.of)])
    rows = []
    for pair in pending:
        agree = [r for r in pair.reasons if r not in pair.conflicts]
        rows.append(
            {
                "record_id": pair.record_id,
                "of": pair.of,
                "title_similarity": pair.score,
                "conflicts": "; ".join(pair.conflicts),
                "agree": "; ".join(agree),
            }
            | _side("record", stored[pair.record_id])
            | _side("of", stored[pair.of])
        )
    if output:
        safe_frame(pd.DataFrame(rows, columns=list(rows[0]) if rows else PAIR_COLUMNS)).to_csv(
            output, index=False
        )
    if as_json:
        echo(json.dumps({"maybe": rows}, indent=2, ensure_ascii=False))
        return
    if not pending:
        echo("No possible duplicates await a person.")
    for pair in pending:
        first, second = stored[pair.of], stored[pair.record_id]
        echo(
            f"[{pair.record_id}] may duplicate [{pair.of}]: {second.title[:70]} ({second.year}) "
            f"/ {first.title[:70]} ({first.year})\n    {pair.describe()}"
        )
    if output:
        echo(f"wrote {len(rows)} pairs to {output}")


@click.command("vote")
@project_argument
@click.argument("record_id", type=int)
@click.argument("decision", type=click.Choice([v.value for v in Vote]))
@stage_option
@click.option("--reason", help="Full-text exclusion reason (from the list).")
@by_option
def vote(
    project: str, record_id: int, decision: str, stage: str, reason: str | None, actor: str
) -> None:
    """Cast or change your vote on RECORD_ID (include/exclude/maybe); a vote can be changed
    until the record's required votes are complete (then it is locked)."""
    from metareview.store.review import stage_state
    from metareview.store.review import vote as cast

    with open_project(project) as opened:
        before = stage_state(opened, stage).votes.get(record_id, {}).get(actor)
        cast(opened, record_id, reviewer=actor, stage=stage, decision=decision, reason=reason)
    change = f"changed from {before} to {decision}" if before else decision
    echo(f"record {record_id} at stage {stage}: your vote ({actor}) {change}")
