"""Options shared by several subcommands (and the printing of the rows ``--drop-incomplete`` left out)."""

from __future__ import annotations

from pathlib import Path

import click

from metareview.cli.console import echo
from metareview.data.mapping import parse_column_mapping
from metareview.errors import InputError
from metareview.stats.presets import PRESETS
from metareview.stats.vocabulary import CI_METHODS, MEASURES, TAU2_METHODS, check_level

# DATA: the extraction table a command reads
data_argument = click.argument("data", type=click.Path(dir_okay=False))

column_option = click.option(
    "--col",
    "columns",
    multiple=True,
    metavar="STD=ACTUAL",
    help="Map a standard column to your header, e.g. --col yi=TE --col study=Author. Repeatable.",
)
sheet_option = click.option(
    "--sheet", metavar="NAME", help="Worksheet of an XLSX file (default: the first)."
)
drop_incomplete_option = click.option(
    "--drop-incomplete",
    is_flag=True,
    help="Keep going past rows without a complete data group (by default they reject the "
    "table): each is dropped and listed with what it lacks.",
)


def table_options(command):
    """``--col``, ``--sheet`` and ``--drop-incomplete``: how a command reads its extraction
    table.

    >>> @click.command()
    ... @table_options
    ... def show(**options): ...
    >>> sorted(option.opts[0] for option in show.params)
    ['--col', '--drop-incomplete', '--sheet']
    """
    for option in (drop_incomplete_option, sheet_option, column_option):
        command = option(command)
    return command


def comma_separated(text: str | None) -> tuple[str, ...]:
    """The names of an option that takes them comma-separated, blanks dropped.

    >>> comma_separated(" REML, DL,,PM ")
    ('REML', 'DL', 'PM')
    """
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def parse_pairs(
    items: tuple[str, ...], option: str, expected: str = "COLUMN=VALUE", need_value: bool = False
) -> list[tuple[str, str]]:
    """Repeated ``LEFT=RIGHT`` values of ``option`` as (left, right) pairs, spaces around each
    side dropped; a usage error (exit code 2) naming the option, the value given and
    ``expected`` when a value has no ``=``, no left side or (with ``need_value``) no right side.

    >>> parse_pairs(("time=post", "arm = a=b"), "--where")
    [('time', 'post'), ('arm', 'a=b')]
    >>> parse_pairs(("nonsense",), "--where")
    Traceback (most recent call last):
    ...
    click.exceptions.BadParameter: got 'nonsense', expected COLUMN=VALUE
    """
    pairs = []
    for item in items:
        left, sep, right = (part.strip() for part in item.partition("="))
        if not sep or not left or (need_value and not right):
            raise click.BadParameter(f"got {item!r}, expected {expected}", param_hint=option)
        pairs.append((left, right))
    return pairs


def pairs_option(flag: str, dest: str, metavar: str, help: str, need_value: bool = False):
    """A repeatable ``LEFT=RIGHT`` option (``metavar`` shows the form) whose values reach the
    command as (left, right) pairs, checked by :func:`parse_pairs` as the command line is read.

    >>> @click.command()
    ... @pairs_option("--where", "where", "COLUMN=VALUE", "Keep the rows where COLUMN is VALUE.")
    ... def show(where):
    ...     print(where)
    >>> show(["--where", "time=post", "--where", "arm=a"], standalone_mode=False)
    (('time', 'post'), ('arm', 'a'))
    """

    def pairs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]):
        return tuple(parse_pairs(values, flag, metavar, need_value))

    return click.option(flag, dest, multiple=True, metavar=metavar, callback=pairs, help=help)


def echo_dropped(rows: list[dict]) -> None:
    """Print each row left out (``{"row", "study", "reason"}``) on its own line."""
    for row in rows:
        where = f" ({row['study']})" if row.get("study") else ""
        echo(f"Dropped row {row['row']}{where}: {row['reason']}")


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


def _measure(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The measure in upper case, or a usage error listing the measures."""
    if value is None:
        return None
    if value.upper() not in MEASURES:
        raise click.BadParameter(f"{value!r} is not one of {', '.join(MEASURES)}")
    return value.upper()


measure_option = click.option(
    "--measure",
    metavar="M",
    callback=_measure,
    help=f"Effect measure: {', '.join(MEASURES)}.",
)
preset_option = click.option(
    "--preset",
    type=click.Choice(list(PRESETS), case_sensitive=False),
    default="metafor",
    help="Reference software whose conventions to reproduce.",
)
tau2_method_option = click.option(
    "--method",
    type=click.Choice(list(TAU2_METHODS), case_sensitive=False),
    help="tau^2 estimator (default: the preset's; FE = common-effect model).",
)
ci_method_option = click.option(
    "--ci",
    "ci_method",
    type=click.Choice(list(CI_METHODS), case_sensitive=False),
    help="CIs and tests: z, knha (Hartung-Knapp t) or adhoc (default: the preset's).",
)


def _check_level(ctx: click.Context, param: click.Parameter, value: float) -> float:
    try:
        return check_level(value)
    except InputError as err:  # a usage error, checked before any work is done
        raise click.BadParameter(str(err)) from None


level_option = click.option(
    "--level",
    type=float,
    default=0.95,
    callback=_check_level,
    help="Confidence level of the intervals, between 0 and 1 (0.95 for 95%).",
)


def pooling_options(command):
    """``--preset``, ``--method``, ``--ci`` and ``--level``: how a command pools the studies.

    >>> @click.command()
    ... @pooling_options
    ... def show(**options): ...
    >>> [option.opts[0] for option in show.params]
    ['--preset', '--method', '--ci', '--level']
    """
    for option in (level_option, ci_method_option, tau2_method_option, preset_option):
        command = option(command)
    return command


def mapping_from(columns: tuple[str, ...]) -> dict[str, str]:
    """Turn repeated ``--col STD=ACTUAL`` values into a mapping (a usage error if malformed)."""
    try:
        return parse_column_mapping(columns)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--col") from err


def output_file_option(suffixes: tuple[str, ...], help: str, **kwargs):
    """``-o/--output FILE`` whose extension must be one of ``suffixes`` and whose folder must
    exist, both checked before any work is done (a usage error, exit code 2)."""

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        path = Path(value)
        if path.suffix.lower() not in suffixes:
            raise click.BadParameter(
                f"got '{value}', expected a file ending in {', '.join(suffixes)}", ctx, param
            )
        if not path.resolve().parent.is_dir():
            raise click.BadParameter(
                f"got '{value}', expected a file in an existing folder", ctx, param
            )
        return value

    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False),
        callback=check,
        metavar="FILE",
        help=help,
        **kwargs,
    )


direction_option = click.option(
    "--higher-is-better/--lower-is-better",
    "higher_is_better",
    default=None,
    help="Direction of the outcome; --lower-is-better mirrors effects so that positive "
    "favours the intervention (a higher_is_better column overrides per row).",
)


def count_option(*decls: str, minimum: int = 1, maximum: int | None = None, **attrs):
    """An option taking a whole number of at least ``minimum`` (and at most ``maximum``);
    ``decls`` and ``attrs`` are :func:`click.option`'s.

    >>> @click.command()
    ... @count_option("--min-k", default=2, help="Fewest studies.")
    ... def show(min_k):
    ...     print(min_k)
    >>> show(["--min-k", "3"], standalone_mode=False)
    3
    """
    return click.option(*decls, type=click.IntRange(min=minimum, max=maximum), **attrs)


def choice_option(*decls: str, choices, case_sensitive: bool = True, **attrs):
    """An option taking one of ``choices``; ``decls`` and ``attrs`` are :func:`click.option`'s.

    >>> @click.command()
    ... @choice_option("--model", choices=["svm", "nb"], default="svm", help="The model.")
    ... def show(model):
    ...     print(model)
    >>> show(["--model", "nb"], standalone_mode=False)
    nb
    """
    return click.option(*decls, type=click.Choice(choices, case_sensitive=case_sensitive), **attrs)


def output_folder_option(help: str, dest: str = "outdir", **attrs):
    """``-o/--output``: the folder a command writes into, reaching it as ``dest``; ``attrs``
    are :func:`click.option`'s.

    >>> @click.command()
    ... @output_folder_option("Where the report goes.", default="report")
    ... def show(outdir):
    ...     print(outdir)
    >>> show(["-o", "out"], standalone_mode=False)
    out
    """
    return click.option(
        "-o", "--output", dest, type=click.Path(file_okay=False), help=help, **attrs
    )
