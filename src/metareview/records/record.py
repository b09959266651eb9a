"""The canonical bibliographic record every importer produces.

>>> r = Record(title="Peer support for depression", authors=("Smit, D.",), year=2023,
...            source_file="search.ris", source_position=1)
>>> r.to_dict()["authors"]
['Smit, D.']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class SourceKind(StrEnum):
    """Where a record was identified, as PRISMA 2020 splits it: databases and registers, or
    other methods (websites, organisations, citation searching)."""

    DATABASE = "database"
    REGISTER = "register"
    WEBSITE = "website"
    ORGANISATION = "organisation"
    CITATION = "citation"


#: The kinds of PRISMA 2020's "other methods" branch: their records skip title/abstract
#: screening and go straight to retrieval and eligibility assessment.
OTHER_METHODS = frozenset({SourceKind.WEBSITE, SourceKind.ORGANISATION, SourceKind.CITATION})


@dataclass(frozen=True)
class Record:
    """One bibliographic record as found in a search export.

    ``source_position`` is the record's 1-based position in its file and ``source_line`` the
    line where it starts, so any problem or screening decision can be traced to the export.
    """

    title: str = ""
    abstract: str = ""
    authors: tuple[str, ...] = ()
    year: int | None = None
    journal: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    keywords: tuple[str, ...] = ()
    publication_type: str = ""
    source_database: str = ""
    source_file: str = ""
    source_position: int | None = None
    source_line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["authors"] = list(self.authors)
        data["keywords"] = list(self.keywords)
        return data
