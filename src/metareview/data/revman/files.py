"""A RevMan file's bytes, read whole within a size bound; a :class:`DataError` naming the
file when it cannot be read or is too large.

>>> read_bytes("no/such/review.rm5")
Traceback (most recent call last):
...
metareview.errors.DataError: no/such/review.rm5: expected a readable file (No such file or directory)
"""

from __future__ import annotations

from pathlib import Path

from metareview.errors import DataError, Problem


def read_bytes(path: str | Path, max_bytes: int | None = None) -> bytes:
    """The bytes of the file at ``path`` (refused beyond ``max_bytes``; ``None``: no bound)."""
    path = Path(path)
    try:
        if max_bytes is not None:
            size = path.stat().st_size
            if size > max_bytes:
                raise DataError(
                    Problem(str(path), None, None, f"{size} bytes", f"at most {max_bytes}")
                )
        return path.read_bytes()
    except OSError as err:
        raise DataError(Problem.of_file(str(path), f"a readable file ({err.strerror})")) from None
