"""Readers (and writers) of Cochrane's RevMan formats, sharing one model (:mod:`.model`).

- :mod:`.rm5`: RevMan 5 review files (``.rm5``, XML), read safely (:mod:`.xml_tree`);
- :mod:`.csv_export`: RevMan 5's analysis-data CSV export;
- :mod:`.package`: RevMan Web / Cochrane Library data packages (zip or folder,
  :mod:`.archive`);
- :mod:`.extraction`: a review as an extraction table in the data standard;
- :mod:`.writers`: RevMan Web's study-data import CSV and a data package of results.

:func:`read_revman` picks the reader by the path.

>>> read_revman("review.docx")
Traceback (most recent call last):
...
metareview.errors.DataError: review.docx: expected a RevMan 5 file (.rm5) or its CSV export (.csv), or a RevMan Web data package (.zip or a folder)
"""

from __future__ import annotations

from pathlib import Path

from metareview.data.revman.model import Review
from metareview.errors import DataError, Problem


def read_revman(path: str | Path) -> Review:
    """Read a ``.rm5`` file, RevMan 5's analysis-data CSV export (``.csv``), or a data
    package (``.zip`` or folder)."""
    path = Path(path)
    if path.suffix.lower() == ".rm5":
        from metareview.data.revman.rm5 import read_rm5_file

        return read_rm5_file(path)
    if path.suffix.lower() == ".csv":
        from metareview.data.revman.csv_export import read_csv_export_file

        return read_csv_export_file(path)
    if path.is_dir() or path.suffix.lower() == ".zip":
        from metareview.data.revman.package import read_package

        return read_package(path)
    raise DataError(
        Problem.of_file(
            str(path),
            (
                "a RevMan 5 file (.rm5) or its CSV export (.csv), or a RevMan Web data package "
                "(.zip or a folder)"
            ),
        )
    )
