"""The one error hierarchy of metareview.

Every error a user can cause derives from :class:`MetareviewError`; the CLI turns it into one
line on stderr and exit code 2 (bad input) or 1 (an analysis that could not be done).

>>> from metareview.errors import DataError, Problem
>>> err = DataError([Problem("trials.csv", 4, "sd_arm1", "-2", "a number >= 0")])
>>> print(err)
trials.csv, row 4, column 'sd_arm1': got '-2', expected a number >= 0
"""

from __future__ import annotations

from dataclasses import dataclass


class MetareviewError(Exception):
    """Base class of every error metareview raises on purpose."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file.

    ``row`` is the row number a spreadsheet shows (the header is row 1, the first data row
    is row 2); ``None`` when the problem concerns the whole file or a column.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str

    @classmethod
    def of_file(cls, file: str, expected: str) -> Problem:
        """A problem of the file as a whole: no row, column or value.

        >>> str(Problem.of_file("trials.zip", "a zip file"))
        'trials.zip: expected a zip file'
        """
        return cls(file, None, None, None, expected)

    def __str__(self) -> str:
        where = [self.file or "<table>"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"

    @property
    def message(self) -> str:
        """What is wrong, without the location: the text a form shows beside its field.

        >>> Problem("t.csv", 4, "sd_arm1", "-2", "a number > 0").message
        "got '-2', expected a number > 0"
        """
        got = f"got {_shown(self.value)}, " if self.value is not None else ""
        return f"{got}expected {self.expected}"

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "expected": self.expected,
        }


SHOWN_VALUE = 80  # characters of an offending value echoed in a message


def _shown(value: str) -> str:
    """The value as quoted in a message, cut to ``SHOWN_VALUE`` characters with its length.

    >>> _shown("x" * 200_000)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (200,000 characters)"
    """
    if len(value) <= SHOWN_VALUE:
        return repr(value)
    return f"{value[:SHOWN_VALUE]!r}"[:-1] + f"…' ({len(value):,} characters)"


class DataError(MetareviewError, ValueError):
    """Bad input data. Carries every :class:`Problem` found, each naming file, row and column."""

    def __init__(self, problems: list[Problem] | Problem | str, *, total: int | None = None):
        if isinstance(problems, str):
            problems = [Problem.of_file("", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.total = total if total is not None else len(self.problems)
        super().__init__(self._message())

    def _message(self) -> str:
        text = "; ".join(str(p) for p in self.problems)
        if len(self.problems) > 1:
            text = f"{self.total} problems: {text}"
        if self.total > len(self.problems):
            text += f"; … and {self.total - len(self.problems)} more"
        return text


class PlanError(MetareviewError, ValueError):
    """An invalid analysis plan; the message names the key (and line, when known)."""


class ConvergenceError(MetareviewError, ArithmeticError):
    """An iterative estimator found no solution where one was required."""

    exit_code = 1


class AnalysisError(MetareviewError):
    """An analysis that cannot be carried out on valid data (e.g. too few studies)."""

    exit_code = 1


class RecordsError(MetareviewError, ValueError):
    """A bibliographic file or screening action that cannot be processed."""


class StoreError(MetareviewError):
    """The project store cannot be opened, migrated or written."""


class RunInProgressError(StoreError):
    """A run of the review's analysis was asked for while another one is running."""


class InputError(MetareviewError, ValueError):
    """Arguments an analysis function cannot take: a code outside its vocabulary, a value out
    of range, or numbers of the wrong shape (also a ``ValueError``, as numerical code raises)."""


class NotEstimableError(AnalysisError, ValueError):
    """An analysis that cannot be carried out on these studies: too few of them, or an
    estimate that does not exist for their data (also a ``ValueError``)."""


class ExtraNotInstalledError(MetareviewError, ImportError):
    """A feature that needs an optional extra (``pip install 'metareview[NAME]'``) that is not
    installed; the message says what to install."""


class ExtractionError(MetareviewError, ValueError):
    """A data-extraction action the review's state does not allow (a third extractor, a value
    after submitting, another extractor's values before both have submitted, …)."""


class AccessError(MetareviewError, ValueError):
    """An account, password, session or invitation that cannot be used as asked."""
