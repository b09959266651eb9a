"""The ``metareview`` command: one group, one module per subcommand.

Errors a user can cause are printed as one line on stderr, with exit code 2 for bad input or
usage and 1 for an analysis that could not be done; never a traceback (set
``METAREVIEW_DEBUG=1`` to see one).
"""

from __future__ import annotations

import os
import sys

import click

from metareview import __version__
from metareview.cli.analyze import analyze
from metareview.cli.effects import effects
from metareview.cli.gosh import gosh_command
from metareview.cli.grade import grade_command
from metareview.cli.init import init
from metareview.cli.metareg import metareg
from metareview.cli.prisma import prisma
from metareview.cli.records import records
from metareview.cli.rob import rob
from metareview.cli.run import run
from metareview.cli.validate import validate
from metareview.errors import DataError, MetareviewError

EXIT_OK, EXIT_ANALYSIS_FAILED, EXIT_BAD_INPUT = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="metareview")
def cli() -> None:
    """metareview: a systematic review of randomized trials, from search exports to report."""


# One line per subcommand; each lives in its own module under metareview.cli.
cli.add_command(validate)
cli.add_command(effects)
cli.add_command(analyze)
cli.add_command(run)
cli.add_command(init)
cli.add_command(rob)
cli.add_command(prisma)
cli.add_command(grade_command)
cli.add_command(records)
cli.add_command(metareg)
cli.add_command(gosh_command)


def _fail(message: str, code: int) -> None:
    click.echo(f"metareview: error: {' '.join(str(message).split())}", err=True)
    sys.exit(code)


SHOWN_PROBLEMS = 5


def _first_problems(err: DataError) -> str:
    """The first few problems of a DataError: one line must stay readable (``metareview
    validate`` lists every problem of an extraction table)."""
    if len(err.problems) <= SHOWN_PROBLEMS:
        return str(err)
    shown = "; ".join(str(problem) for problem in err.problems[:SHOWN_PROBLEMS])
    rest = err.total - SHOWN_PROBLEMS
    return f"{err.total} problems: {shown}; … and {rest} more"


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; the console script ``metareview`` calls this."""
    try:
        code = cli.main(args=argv, prog_name="metareview", standalone_mode=False)
    except click.exceptions.Abort:
        _fail("aborted", 130)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.UsageError as err:
        hint = (
            f" (see 'metareview {err.ctx.command_path.partition(' ')[2]} --help')".replace(
                "  ", " "
            )
            if err.ctx
            else ""
        )
        _fail(f"{err.format_message()}{hint}", EXIT_BAD_INPUT)
    except click.ClickException as err:
        _fail(err.format_message(), EXIT_BAD_INPUT)
    except DataError as err:
        _fail(_first_problems(err), err.exit_code)
    except MetareviewError as err:
        _fail(str(err), err.exit_code)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as err:
        _fail(f"{err.filename}: {err.strerror}", EXIT_BAD_INPUT)
    except Exception as err:  # the last resort: still one line, unless debugging
        if os.environ.get("METAREVIEW_DEBUG"):
            raise
        _fail(f"internal error ({type(err).__name__}: {err}); please report it", 1)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
