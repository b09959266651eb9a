"""The ``metareview`` command: one group, one module per subcommand.

Errors a user can cause are printed as one line on stderr, with exit code 2 for bad input or
usage and 1 for an analysis that could not be done; never a traceback (set
``METAREVIEW_DEBUG=1`` to see one).
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings

import click

from metareview import __version__
from metareview.cli.console import echo
from metareview.errors import DataError, MetareviewError

EXIT_OK, EXIT_ANALYSIS_FAILED, EXIT_BAD_INPUT = 0, 1, 2


# Subcommand name -> the command in its own module, metareview.cli.<name> ("-" as "_"), which
# is imported only when it runs (or for --help), so a command does not pay for the others'
# imports (scipy, matplotlib, scikit-learn, SQLAlchemy).
SUBCOMMANDS = {
    "validate": "validate",
    "effects": "effects",
    "analyze": "analyze",
    "metareg": "metareg",
    "gosh": "gosh_command",
    "multiverse": "multiverse_command",
    "run": "run",
    "init": "init",
    "rob": "rob",
    "grade": "grade_command",
    "prisma": "prisma",
    "records": "records",
    "import-revman": "import_revman",
    "check-revman": "check_revman",
    "serve": "serve",
    "users": "users",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when the subcommand is needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in SUBCOMMANDS:
            return None
        module = importlib.import_module(f"metareview.cli.{name.replace('-', '_')}")
        return getattr(module, SUBCOMMANDS[name])


@click.group(
    cls=LazyGroup,
    context_settings={
        "help_option_names": ["-h", "--help"],
        "max_content_width": 100,
        "show_default": True,  # every subcommand's options show their defaults in --help
    },
)
@click.version_option(__version__, "--version", "-V", prog_name="metareview")
def cli() -> None:
    """metareview: a systematic review of randomized trials, from search exports to report."""


def _fail(message: str, code: int) -> None:
    echo(f"metareview: error: {' '.join(str(message).split())}", err=True)
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


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as one line, without the source line Python shows under it."""
    click.echo(f"metareview: warning: {' '.join(str(message).split())}", err=True)


def _run(argv: list[str] | None) -> object:
    """The command, with numpy's RuntimeWarnings (overflow, 0/0 inside a computation whose
    result is checked or explained) kept off the console and other warnings on one line."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.showwarning = _one_line_warning
        return cli.main(args=argv, prog_name="metareview", standalone_mode=False)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; the console script ``metareview`` calls this."""
    try:
        code = _run(argv)
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
