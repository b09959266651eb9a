"""Import three database exports of one search (tests/data/one_search), written the way each
database writes them, and deduplicate: the same trials are grouped across formats, every
database is kept as a source, and the look-alikes (an erratum, the protocol, a conference
abstract of another year, a follow-up) are not merged."""

from __future__ import annotations

import shutil
from pathlib import Path

from metareview.records.dedup import deduplicate
from metareview.records.importers import all_records, read_many

#: the three exports, each as its database writes it (PubMed .nbib, Embase RIS, WoS plain text)
EXPORTS = Path(__file__).parent / "data" / "one_search"
FILES = ("pubmed.nbib", "embase.ris", "savedrecs.txt")


def test_three_databases_one_search(tmp_path: Path) -> None:
    for name in FILES:
        shutil.copyfile(EXPORTS / name, tmp_path / name)
    results = read_many([tmp_path / name for name in FILES])
    assert [len(r.records) for r in results] == [3, 3, 3]
    assert all(r.errors == () for r in results)
    records = all_records(results)
    result = deduplicate(records)

    def titled(start: str, database: str) -> int:
        return next(i for i, r in enumerate(records)
                    if r.title.lower().startswith(start) and r.source_database == database)  # fmt: skip

    trial = {titled("internet-delivered", db) for db in ("PubMed", "Embase", "Web of Science")}
    peer = {titled("peer support for postnatal depression: a", db)
            for db in ("Embase", "Web of Science")}  # fmt: skip
    assert {frozenset(g) for g in result.duplicate_groups} == {frozenset(trial), frozenset(peer)}
    assert result.removed == 3
    number = result.group_of(min(trial))
    assert result.sources[number] == ("Embase", "PubMed", "Web of Science")
    assert records[result.keep[number]].abstract  # the kept record is a complete one
    # the erratum, the protocol, the 2017 conference abstract and the follow-up stay apart
    assert len(result.groups) == 9 - 3
