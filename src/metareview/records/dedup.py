"""Find the records that are the same study, explain every merge, and queue the doubtful pairs.

Steps: normalise each record (:mod:`.normalize`); block — only records sharing a DOI, a PMID,
the start or end of the title, first author and year, or volume and first page are compared;
compare each candidate pair with explainable rules (:mod:`.matching`); join duplicate pairs
into groups, refusing any join that would put two different DOIs or PMIDs in one group; queue
the close pairs no rule merged as "maybe" for a person to confirm or reject.

``groups`` partitions all records: every record index appears in exactly one group, and
singletons (records with no duplicate) are included, so ``len(groups)`` is the number of
unique records and ``removed = len(records) - len(groups)``.

>>> from metareview.records.record import Record
>>> records = [
...     Record(title="Peer support for depression", doi="10.1000/ps1", source_database="PubMed"),
...     Record(title="Peer Support for Depression.", doi="https://doi.org/10.1000/PS1",
...            source_database="Embase"),
...     Record(title="Exercise for anxiety", doi="10.1000/ex2", source_database="Embase"),
... ]
>>> result = deduplicate(records)
>>> result.groups, result.removed
(((0, 1), (2,)), 1)
>>> result.sources[0], result.links[0][0].rule
(('Embase', 'PubMed'), 'same DOI')
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from metareview.records.matching import Features, compare, identifiers_conflict
from metareview.records.record import Record

#: Blocks larger than this (e.g. a title start shared by hundreds of records) are not compared
#: pairwise on that key; their members still meet through the other keys.
MAX_BLOCK = 300
_RULE_ORDER = ("confirmed by reviewer", "same DOI", "same PMID", "title+author+year+source",
               "citation+similar title", "title+year+abstract", "early online+abstract",
               "early online+authors")  # fmt: skip


@dataclass(frozen=True)
class DuplicateLink:
    """Why records ``i`` and ``j`` were merged: the rule, the title similarity and the
    agreeing/conflicting fields."""

    i: int
    j: int
    rule: str
    score: float
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"i": self.i, "j": self.j, "rule": self.rule, "score": self.score,
                "reasons": list(self.reasons)}  # fmt: skip


@dataclass(frozen=True)
class MaybePair:
    """A pair a person should look at: close, but not merged automatically (``reasons`` says
    what agrees and what contradicts; ``rule`` why it was not merged)."""

    i: int
    j: int
    score: float
    reasons: tuple[str, ...]
    rule: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"i": self.i, "j": self.j, "score": self.score, "reasons": list(self.reasons),
                "rule": self.rule}  # fmt: skip


@dataclass(frozen=True)
class DedupResult:
    """Duplicate groups over the input records.

    Attributes
    ----------
    groups
        Record indices per study, every record in exactly one group (singletons included),
        groups ordered by their first index.
    maybe
        Pairs for a person to confirm, best first.
    removed
        Records that are duplicates of an earlier kept one: ``n_records - len(groups)``.
    links
        Per group, the merges that built it (empty for singletons): the explanation.
    sources
        Per group, the source databases (or files, when no database is known) that found it.
    keep
        Per group, the index of the most complete record, to screen in the group's place.
    """

    groups: tuple[tuple[int, ...], ...]
    maybe: tuple[MaybePair, ...]
    removed: int
    links: tuple[tuple[DuplicateLink, ...], ...]
    sources: tuple[tuple[str, ...], ...]
    keep: tuple[int, ...]
    n_records: int

    @property
    def duplicate_groups(self) -> tuple[tuple[int, ...], ...]:
        """The groups of two or more records."""
        return tuple(g for g in self.groups if len(g) > 1)

    def group_of(self, index: int) -> int:
        """The position in ``groups`` of the group holding record ``index``."""
        for number, group in enumerate(self.groups):
            if index in group:
                return number
        raise IndexError(f"record {index} is not among the {self.n_records} records")

    def to_dict(self) -> dict[str, Any]:
        """Counts under the keys ``records dedup --json`` prints, plus the detail."""
        return {
            "records": self.n_records,
            "duplicate_groups": len(self.duplicate_groups),
            "removed": self.removed,
            "maybe": len(self.maybe),
            "groups": [
                {"records": list(g), "keep": k, "sources": list(s),
                 "links": [link.to_dict() for link in links]}
                for g, k, s, links in zip(self.groups, self.keep, self.sources, self.links,
                                          strict=True)
                if len(g) > 1
            ],
            "maybe_pairs": [pair.to_dict() for pair in self.maybe],
        }  # fmt: skip

    def to_frame(self):
        """One row per record: its group, whether it is the kept one, and the merge rules."""
        import pandas as pd

        rows = []
        for number, (group, keep, links) in enumerate(
            zip(self.groups, self.keep, self.links, strict=True)
        ):
            rules = "; ".join(sorted({link.rule for link in links}))
            rows.extend(
                {"record": i, "group": number, "kept": i == keep, "group_size": len(group),
                 "rules": rules}
                for i in group
            )  # fmt: skip
        return pd.DataFrame(rows).sort_values("record", ignore_index=True)

    def summary(self) -> str:
        lines = [
            f"{self.n_records} records, {len(self.groups)} unique, {self.removed} duplicates "
            f"removed in {len(self.duplicate_groups)} groups; {len(self.maybe)} pairs to review"
        ]
        rules: dict[str, int] = defaultdict(int)
        for links in self.links:
            for link in links:
                rules[link.rule] += 1
        lines.extend(f"  {count} merges by rule '{rule}'" for rule, count in sorted(rules.items()))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + escape(self.summary()) + "</pre>"


def deduplicate(
    records: Sequence[Record], decisions: Mapping[tuple[int, int], bool] | None = None
) -> DedupResult:
    """Group the records that describe the same study.

    Parameters
    ----------
    records
        Records from one or several imports (indices in the result refer to this sequence).
    decisions
        A reviewer's verdicts on "maybe" pairs: ``{(i, j): True}`` merges ``i`` and ``j``
        (even over a DOI conflict — the person has looked), ``False`` keeps them apart even if
        a rule would merge them.

    Returns
    -------
    DedupResult

    Examples
    --------
    >>> a = Record(title="Peer support for depression", authors=("Smith, J",), year=2019,
    ...            doi="10.1000/ps1")
    >>> b = Record(title="Peer support for depression.", authors=("Smith J",), year=2019)
    >>> [(m.i, m.j, m.rule) for m in deduplicate([a, b]).maybe]
    [(0, 1, 'similar titles')]
    >>> confirmed = deduplicate([a, b], {(0, 1): True})
    >>> confirmed.groups, confirmed.links[0][0].rule
    (((0, 1),), 'confirmed by reviewer')
    """
    features = [Features.of(record) for record in records]
    decisions = {tuple(sorted(pair)): same for pair, same in (decisions or {}).items()}
    links: list[DuplicateLink] = []
    maybes: dict[tuple[int, int], MaybePair] = {}
    for i, j in sorted(candidate_pairs(features)):
        decided = decisions.get((i, j))
        verdict = compare(features[i], features[j])
        if decided is True:
            links.append(DuplicateLink(i, j, "confirmed by reviewer", verdict.score,
                                       verdict.reasons))  # fmt: skip
        elif decided is None and verdict.decision == "duplicate":
            links.append(DuplicateLink(i, j, verdict.rule, verdict.score, verdict.reasons))
        elif decided is None and verdict.decision == "maybe":
            maybes[(i, j)] = MaybePair(i, j, verdict.score, verdict.reasons, verdict.rule)
    for (i, j), same in decisions.items():
        if same and not any((link.i, link.j) == (i, j) for link in links):
            links.append(DuplicateLink(i, j, "confirmed by reviewer", 1.0, ()))
    groups, group_links, refused = _join(features, links, decisions)
    for link in refused:
        maybes[(link.i, link.j)] = MaybePair(
            link.i, link.j, link.score, link.reasons,
            "would put different DOIs or PMIDs in one group",
        )  # fmt: skip
    member = {i: number for number, group in enumerate(groups) for i in group}
    maybe = tuple(
        sorted(
            (p for p in maybes.values() if member[p.i] != member[p.j]),
            key=lambda p: (-p.score, p.i, p.j),
        )
    )
    return DedupResult(
        groups=tuple(groups),
        maybe=maybe,
        removed=len(records) - len(groups),
        links=tuple(group_links),
        sources=tuple(_sources(records, group) for group in groups),
        keep=tuple(_most_complete(records, group) for group in groups),
        n_records=len(records),
    )


def candidate_pairs(features: Sequence[Features]) -> set[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, that share at least one blocking key.

    >>> from metareview.records.matching import Features
    >>> records = [Record(title="Peer support for depression", year=2019),
    ...            Record(title="Peer support for depression", year=2019),
    ...            Record(title="Exercise for anxiety", year=2001)]
    >>> sorted(candidate_pairs([Features.of(r) for r in records]))
    [(0, 1)]
    """
    blocks: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for index, f in enumerate(features):
        for key in _blocking_keys(f):
            blocks[key].append(index)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        if 1 < len(members) <= MAX_BLOCK:
            pairs.update((a, b) for n, a in enumerate(members) for b in members[n + 1 :])
    return pairs


def _blocking_keys(f: Features) -> Iterable[tuple[str, ...]]:
    if f.doi:
        yield ("doi", f.doi)
    if f.pmid:
        yield ("pmid", f.pmid)
    squeezed = f.title.replace(" ", "")
    if len(squeezed) >= 4:
        yield ("title start", squeezed[:20])
    if len(squeezed) > 20:
        yield ("title end", squeezed[-20:])
    if f.surname and f.year is not None:
        yield ("author year", f.surname, str(f.year))
    if f.volume and f.page:
        yield ("volume page", f.volume, f.page)


def _join(
    features: Sequence[Features],
    links: list[DuplicateLink],
    decisions: Mapping[tuple[int, int], bool],
) -> tuple[list[tuple[int, ...]], list[tuple[DuplicateLink, ...]], list[DuplicateLink]]:
    """Union the linked records, strongest rule first; refuse joins that would put different
    DOIs/PMIDs (or a pair a reviewer kept apart) in one group."""
    parent = list(range(len(features)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(features))}
    kept: list[DuplicateLink] = []
    refused: list[DuplicateLink] = []

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rank = {rule: n for n, rule in enumerate(_RULE_ORDER)}
    for link in sorted(links, key=lambda x: (rank.get(x.rule, len(rank)), -x.score, x.i, x.j)):
        a, b = root(link.i), root(link.j)
        if a == b:
            kept.append(link)
            continue
        reviewer = link.rule == "confirmed by reviewer"
        if not reviewer and _conflicting(features, members[a], members[b], decisions):
            refused.append(link)
            continue
        parent[b] = a
        members[a].extend(members.pop(b))
        kept.append(link)
    groups = sorted(tuple(sorted(group)) for group in members.values())
    number = {i: n for n, group in enumerate(groups) for i in group}
    per_group: list[list[DuplicateLink]] = [[] for _ in groups]
    for link in kept:
        per_group[number[link.i]].append(link)
    return groups, [tuple(sorted(g, key=lambda x: (x.i, x.j))) for g in per_group], refused


def _conflicting(
    features: Sequence[Features],
    left: list[int],
    right: list[int],
    decisions: Mapping[tuple[int, int], bool],
) -> bool:
    if any(identifiers_conflict(features[i], features[j]) for i in left for j in right):
        return True
    return any(decisions.get(tuple(sorted((i, j)))) is False for i in left for j in right)


def _sources(records: Sequence[Record], group: tuple[int, ...]) -> tuple[str, ...]:
    names = {records[i].source_database or records[i].source_file for i in group}
    return tuple(sorted(name for name in names if name))


def _most_complete(records: Sequence[Record], group: tuple[int, ...]) -> int:
    def completeness(i: int) -> tuple[int, int, int]:
        record = records[i]
        filled = sum(bool(v) for v in record.to_dict().values())
        return (filled, len(record.abstract), -i)

    return max(group, key=completeness)
