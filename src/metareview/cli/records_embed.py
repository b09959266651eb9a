"""``metareview records embed``: compute the sentence vectors a project lacks, once.

Needs the optional extra (``pip install 'metareview[embeddings]'``); without it the command
exits with code 2 and one line saying what to install. The vectors are cached in the project
(:mod:`metareview.store.embeddings`), so a second run embeds only new or changed records.
"""

from __future__ import annotations

import json

import click

from metareview.cli.console import echo
from metareview.cli.options import count_option, json_option
from metareview.cli.progress import progress_bar
from metareview.cli.records_options import open_project, project_argument


@click.command()
@project_argument
@count_option(
    "--threads",
    default=None,
    help="CPU threads the model may use (default: PyTorch's, every core).",
)
@count_option(
    "--batch-size",
    default=64,  # (embeddings.BATCH_SIZE and MAX_BATCH_SIZE; the CLI loads no numpy to start)
    maximum=1024,
    help="Records the model encodes at a time, as one batch (1 to 1024; each needs about "
    "2 MB while encoded; larger batches are not faster on a CPU).",
)
@json_option
def embed(project: str, threads: int | None, batch_size: int, as_json: bool) -> None:
    """Embed PROJECT's records with the optional sentence-embedding model (all-MiniLM-L6-v2)
    and cache the vectors in the project; records embedded before, whose title and abstract
    are unchanged, are reused. Reports the records embedded and reused and the time taken
    (wall and CPU, per record too). The ranking model `minilm` reads these vectors."""
    from metareview.errors import ExtraNotInstalledError
    from metareview.records.embeddings import load_encoder
    from metareview.store.embeddings import embed_project

    try:
        encoder = load_encoder(threads)  # (PyTorch loads only when a vector is computed)
    except ExtraNotInstalledError:
        encoder = None  # fine while every vector is cached; embed_project raises otherwise
    with open_project(project) as opened, progress_bar("embedding", quiet=as_json) as report:
        run = embed_project(opened, encoder, batch_size=batch_size, progress=report)
    if as_json:
        echo(json.dumps(run.to_dict(), indent=2))
    else:
        echo(run.summary())
