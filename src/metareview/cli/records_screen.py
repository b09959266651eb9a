"""``metareview records screen``: the interactive screening terminal.

One record at a time: title, authors, journal, year and abstract with keywords highlighted
(green: words that suggest inclusion, red: exclusion); keys ``i`` include, ``e`` exclude,
``m`` maybe, ``s`` skip, ``u`` undo your last vote (logged as an event; the record comes back
next), ``q`` quit. The next record is the most relevant one by the
active-learning model, retrained on *this reviewer's own* votes only (other reviewers'
votes stay hidden, so the ranking cannot unblind). Keys are read one at a time from a
terminal, or one per line when standard input is a pipe (scripts and tests).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from metareview.cli.console import echo, printable
from metareview.cli.options import choice_option
from metareview.errors import RecordsError
from metareview.records.record import Record
from metareview.records.screening import Stage, StageState, Vote, queue

if TYPE_CHECKING:  # loaded when screening starts, keeping `metareview` quick
    from metareview.records.active_learning import Ranker

KEYS = {"i": Vote.INCLUDE.value, "e": Vote.EXCLUDE.value, "m": Vote.MAYBE.value}


def read_key(prompt: str, allowed: str) -> str:
    """One key from the terminal (or one line from a pipe); end of input means quit."""
    while True:
        echo(prompt, nl=False)
        if sys.stdin.isatty():
            key = click.getchar()
            echo(key)
        else:
            line = sys.stdin.readline()
            if not line:
                echo("")
                return "q"
            key = line.strip()[:1]
            echo(key)
        key = key.lower()
        if key and key in allowed:
            return key
        echo(f"  (press one of {', '.join(allowed)})")


def _console() -> Console:
    return Console(highlight=False)


def highlighted(text: str, include_terms: tuple[str, ...], exclude_terms: tuple[str, ...]) -> Text:
    """``text`` with inclusion terms in bold green and exclusion terms in bold red."""
    out = Text(printable(text))
    for terms, style in ((include_terms, "bold green"), (exclude_terms, "bold red")):
        words = [t for t in terms if t.strip()]
        if words:  # (an empty pattern would match everywhere)
            out.highlight_words(words, style, case_sensitive=False)
    return out


def show_record(
    console: Console,
    record_id: int,
    record: Record,
    header: str,
    terms: tuple[tuple[str, ...], tuple[str, ...]],
) -> None:
    """Render one record as a panel."""
    body = Text()
    body.append_text(highlighted(record.title or "(no title)", *terms))
    body.stylize("bold", 0, len(body))
    meta = ", ".join(
        p
        for p in (
            "; ".join(record.authors[:6]) + (" et al." if len(record.authors) > 6 else ""),
            record.journal,
            str(record.year or ""),
        )
        if p
    )
    if meta:
        body.append(f"\n{printable(meta)}", style="dim")
    body.append("\n\n")
    body.append_text(highlighted(record.abstract or "(no abstract)", *terms))
    if record.keywords:
        body.append(printable(f"\n\nKeywords: {'; '.join(record.keywords)}"), style="dim")
    if console.is_terminal:
        console.print(Panel(body, title=f"record {record_id}", subtitle=header))
    else:  # a pipe gets plain text, quick to write and to parse
        echo(f"--- record {record_id} · {header}\n{body.plain}\n")


def show_pair(first: Record, second: Record, pair) -> None:
    """Two possible duplicates, one above the other, with the reasons."""
    console = _console()
    for label, record in (("kept", first), ("possible duplicate", second)):
        console.print(
            Panel(
                Text(
                    printable(
                        f"{record.title}\n{'; '.join(record.authors[:4])} {record.year or ''} "
                        f"{record.journal} {record.volume}:{record.pages}\nDOI {record.doi or '—'}  "
                        f"PMID {record.pmid or '—'}  source {record.source_database or record.source_file}"
                    )
                ),
                title=label,
            )
        )
    console.print(Text(printable(pair.describe())))


def _next_record(
    ranker: Ranker | None,
    pool: tuple[int, ...],
    todo: tuple[int, ...],
    state: StageState,
    reviewer: str,
) -> int:
    """The most relevant record still to screen, by a model of the reviewer's own votes."""
    from metareview.records.active_learning import own_vote_order

    own = {r: v[reviewer] for r, v in state.votes.items() if reviewer in v}
    wanted = set(todo)
    return next((r for r in own_vote_order(ranker, pool, own) if r in wanted), todo[0])


def _ask_reason(reasons: tuple[str, ...]) -> str | None:
    for number, reason in enumerate(reasons, start=1):
        echo(f"  {number}. {reason}")
    allowed = "".join(str(n) for n in range(1, min(len(reasons), 9) + 1)) + "q"
    key = read_key("Reason number (q to cancel): ", allowed)
    return None if key == "q" else reasons[int(key) - 1]


@click.command("screen")
@click.argument("project", metavar="PROJECT")
@click.option("--reviewer", required=True, metavar="NAME", help="Your name (votes are yours).")
@choice_option(
    "--stage",
    choices=[s.value for s in Stage],
    default="ta",
    help="ta = title/abstract, ft = full text.",
)
@click.option(
    "--highlight",
    "include_terms",
    multiple=True,
    metavar="WORD",
    help="Highlight WORD in green (repeat); added to the project's list.",
)
@click.option(
    "--highlight-exclude",
    "exclude_terms",
    multiple=True,
    metavar="WORD",
    help="Highlight WORD in red (repeat); added to the project's list.",
)
@click.option("--limit", type=click.IntRange(1), help="Stop after this many votes.")
def screen(
    project: str,
    reviewer: str,
    stage: str,
    include_terms: tuple[str, ...],
    exclude_terms: tuple[str, ...],
    limit: int | None,
) -> None:
    """Screen PROJECT interactively: i = include, e = exclude, m = maybe, s = skip, u = undo
    your last vote, q = quit. Records come most-relevant first, ranked on your own votes."""
    from metareview.cli.progress import progress_bar
    from metareview.store import Project
    from metareview.store.rankings import project_ranker
    from metareview.store.review import eligible, screening_config, stage_state, undo_vote, vote

    console = _console()
    with Project.open(project, create=False) as opened:
        config = screening_config(opened)
        terms = (
            config.highlight_include + include_terms,
            config.highlight_exclude + exclude_terms,
        )
        pool = eligible(opened, stage)
        stored = opened.records(pool)
        # a model that reads sentence vectors computes those missing first: once, shown
        with progress_bar("embedding the records once, for the ranking model") as report:
            ranker = project_ranker(opened, pool, progress=report)
        skipped: set[int] = set()
        votes_cast = undone = 0
        again: int | None = None  # a record whose vote was just undone comes back first
        while limit is None or votes_cast < limit:
            state = stage_state(opened, stage, config)
            todo = tuple(r for r in queue(pool, state, reviewer) if r not in skipped)
            mine = sum(1 for r in pool if reviewer in state.votes.get(r, {}))
            if not todo:
                echo(
                    f"Nothing left for {reviewer} at stage {stage} "
                    f"({mine} of {len(pool)} screened)."
                )
                return
            if again in todo:
                record_id = again
            else:
                record_id = _next_record(ranker, pool, todo, state, reviewer)
            included = sum(1 for r in pool if state.votes.get(r, {}).get(reviewer) == "include")
            header = (
                f"{stage} · {reviewer} · {mine}/{len(pool)} screened "
                f"({100 * mine / len(pool):.0f}%) · {included} included"
            )
            show_record(console, record_id, stored[record_id], header, terms)
            key = read_key("[i]nclude [e]xclude [m]aybe [s]kip [u]ndo [q]uit: ", "iemsuq")
            if key == "q":
                break
            if key == "u":
                try:
                    event = undo_vote(opened, reviewer=reviewer, stage=stage)
                except RecordsError as err:
                    echo(f"  nothing undone: {err}")
                    continue
                again = event.record_id
                skipped.discard(again)
                undone += 1
                echo(f"  undone: your vote {event.data['vote']!r} on record {again}")
                continue
            if key == "s":
                skipped.add(record_id)
                continue
            reason = None
            if stage == Stage.FULL_TEXT and key == "e":
                reason = _ask_reason(config.exclusion_reasons)
                if reason is None:
                    continue
            try:
                vote(
                    opened,
                    record_id,
                    reviewer=reviewer,
                    stage=stage,
                    decision=KEYS[key],
                    reason=reason,
                )
            except RecordsError as err:  # e.g. the record was completed meanwhile
                echo(f"  not recorded: {err}")
                skipped.add(record_id)
                continue
            votes_cast += 1
        echo(
            f"{votes_cast} vote(s) recorded for {reviewer}"
            + (f", {undone} undone." if undone else ".")
        )
