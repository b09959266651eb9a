"""Dedup benchmark: pairwise recall and precision of ``metareview.records.dedup.deduplicate``.

    python benchmarks/dedup_benchmark.py [../shared/data/records]

Three sets, all from real exports in ``shared/data/records``:

``cross-database``
    The 13 non-BibTeX exports together (2,362 records: PubMed via Mendeley XML, Web of Science
    via Zotero RIS, WoS RIS, Scopus RIS, an ASySD RIS with planted duplicates, and seven
    ASReview exports). Truth: ``dedup_labels.csv`` (made by ``make_dedup_labels.py`` and
    checked by hand); records in no labelled duplicate pair are unique.
``ris-vs-bibtex``
    One Zotero library (1,000 items) exported as RIS and as BibTeX. Truth: the k-th entry of
    one file is the k-th of the other (the same item; all 1,000 DOIs agree position by position)
    plus the library's own duplicates from the labels.
``perturbed``
    Every PubMed (Mendeley XML) record, plus for a random half of them (seed 20240611) a copy
    rewritten the way another database would export it: Embase/WoS-style author names, upper-
    case or reformatted titles, abbreviated journal names and page ranges, DOI with a resolver
    prefix or missing, abstract or PMID missing, and for 5% the year one later (epub vs print).

``cross-database, no identifiers``
    The cross-database set with every DOI and PMID removed: the same hand-checked labels,
    matched on titles, authors, journals, volumes, pages, years and abstracts alone.
``no-id probe (tune)`` / ``no-id probe (held-out)``
    The labelled pairs of ``make_dedup_probe.py`` (``dedup_probe.csv``): real records as two
    databases would export them without any identifier (title, author, journal, page and
    early-online year variants), plus hard non-duplicates (protocol vs results, part 1 vs 2,
    erratum, comment, reply, conference abstract, series volumes, follow-up reports). The
    rules were tuned on the ``tune`` half only.

Reported per set: records, true duplicate pairs, predicted pairs, pairwise recall and
precision of the automatic merges, the "maybe" queue's size and the recall after a person has
confirmed every true pair in it. Target: recall ≥ 0.95 at precision ≥ 0.999.

To measure an older version of the rules on the same sets, run this script with that
version's ``src`` first on ``PYTHONPATH`` (the probe does not depend on the library's
normalisation, so both runs see the same pairs).
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import random
import re
import sys
import time
from pathlib import Path

from metareview.records.dedup import deduplicate
from metareview.records.importers import read_records
from metareview.records.record import Record

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_dedup_probe  # noqa: E402  (a sibling script, not a package)

SEED = 20240611


def pairs_of(groups) -> set[tuple[int, int]]:
    return {pair for group in groups for pair in itertools.combinations(sorted(group), 2)}


def components(n: int, links) -> list[tuple[int, ...]]:
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in links:
        parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    return [tuple(g) for g in groups.values()]


def labelled_links(records, labels_path: Path) -> tuple[list[tuple[int, int]], set]:
    index = {(Path(r.source_file).name, r.source_position): i for i, r in enumerate(records)}
    links: list[tuple[int, int]] = []
    distinct: list[tuple[int, int]] = []
    with labels_path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            a = index.get((row["file_a"], int(row["position_a"])))
            b = index.get((row["file_b"], int(row["position_b"])))
            if a is None or b is None:
                continue
            (links if row["duplicate"] == "1" else distinct).append((min(a, b), max(a, b)))
    return links, set(distinct)


def score(name: str, records, truth_links, known_distinct=frozenset()) -> dict:
    truth = pairs_of(components(len(records), truth_links))
    clash = truth & set(known_distinct)
    if clash:
        raise SystemExit(f"{name}: labels contradict themselves on {sorted(clash)[:5]}")
    start = time.perf_counter()
    result = deduplicate(records)
    seconds = time.perf_counter() - start
    predicted = pairs_of(result.groups)
    hits = truth & predicted
    maybe = {(p.i, p.j) for p in result.maybe}
    confirmed = [pair for pair in maybe if pair in truth]
    after_review = pairs_of(components(len(records), list(predicted) + confirmed)) & truth
    row = {
        "set": name,
        "records": len(records),
        "true_pairs": len(truth),
        "predicted_pairs": len(predicted),
        "recall": len(hits) / len(truth) if truth else 1.0,
        "precision": len(hits) / len(predicted) if predicted else 1.0,
        "false_pairs": len(predicted - truth),
        "maybe": len(result.maybe),
        "recall_after_review": len(after_review) / len(truth) if truth else 1.0,
        "seconds": seconds,
    }
    row["missed"] = sorted(truth - predicted)[:10]
    row["false"] = sorted(predicted - truth)[:10]
    row["missed_all"] = truth - predicted
    return row


def probe_rows(folder: Path) -> list[dict]:
    """The no-identifier probe, one row per half, with the misses counted by variant class."""
    pairs = make_dedup_probe.probe(folder)
    rows = []
    for half in ("tune", "held-out"):
        chosen = [p for p in pairs if p.split == half]
        records, truth = make_dedup_probe.records_and_truth(chosen)
        row = score(f"no-id probe ({half})", records, truth)
        missed: dict[str, int] = {}
        for i, _ in row["missed_all"]:
            kind = chosen[i // 2].kind
            missed[kind] = missed.get(kind, 0) + 1
        row["missed_by_class"] = dict(sorted(missed.items()))
        row["negatives"] = sum(p.label == 0 for p in chosen)
        rows.append(row)
    return rows


def perturb(record: Record, rng: random.Random) -> Record:
    """The record as a second database might export it."""
    title = record.title
    style = rng.choice(["upper", "no-period", "dashes", "same"])
    if style == "upper":
        title = title.upper().rstrip(".")
    elif style == "no-period":
        title = title.rstrip(".")
    elif style == "dashes":
        title = title.replace(": ", " - ").replace("-", " ").rstrip(".")
    authors = tuple(_embase_name(a) if rng.random() < 0.5 else a.upper() for a in record.authors)
    journal = record.journal
    if rng.random() < 0.5:
        journal = " ".join(w[:4] if len(w) > 5 else w for w in re.split(r"\s+", journal))
    pages = record.pages
    match = re.fullmatch(r"(\d+)-(\d+)", pages)
    if match and len(match.group(1)) == len(match.group(2)) and rng.random() < 0.5:
        start, end = match.groups()  # 1032-1038 -> 1032-8, as MEDLINE abbreviates
        shared = next((k for k in range(len(start)) if start[k] != end[k]), len(start) - 1)
        pages = f"{start}-{end[shared:]}"
    doi = record.doi
    if rng.random() < 0.4:
        doi = ""
    elif doi and rng.random() < 0.5:
        doi = "https://doi.org/" + doi.upper()
    year = record.year + 1 if record.year and rng.random() < 0.05 else record.year
    return dataclasses.replace(
        record,
        title=title,
        authors=authors,
        journal=journal,
        pages=pages,
        doi=doi,
        pmid="" if rng.random() < 0.7 else record.pmid,
        abstract="" if rng.random() < 0.3 else record.abstract,
        year=year,
        source_database="Embase (perturbed)",
    )


def _embase_name(author: str) -> str:
    family, _, given = author.partition(",")
    initials = "".join(f"{p[0]}." for p in given.replace(".", " ").split() if p)
    return f"{family.strip()} {initials}".strip()


def main(folder: Path) -> list[dict]:
    files = sorted(p for p in folder.iterdir() if p.suffix != ".bib")
    cross = [r for p in files for r in read_records(p).records]
    links, distinct = labelled_links(cross, HERE / "dedup_labels.csv")
    rows = [score("cross-database", cross, links, distinct)]
    bare = [dataclasses.replace(r, doi="", pmid="") for r in cross]
    rows.append(score("cross-database, no identifiers", bare, links, distinct))

    ris = read_records(folder / "asysd_zotero_export.ris").records
    bib = read_records(folder / "asysd_zotero_export.bib").records
    both = ris + bib
    own, own_distinct = labelled_links(ris, HERE / "dedup_labels.csv")
    n = len(ris)
    twin = [(k, k + n) for k in range(n)]
    rows.append(
        score("ris-vs-bibtex", both, twin + own + [(i + n, j + n) for i, j in own], own_distinct)
    )

    pubmed = read_records(folder / "asysd_mendeley_export.xml").records
    pubmed_links, pubmed_distinct = labelled_links(pubmed, HERE / "dedup_labels.csv")
    rng = random.Random(SEED)
    chosen = sorted(rng.sample(range(len(pubmed)), len(pubmed) // 2))
    copies = [perturb(pubmed[i], rng) for i in chosen]
    m = len(pubmed)
    truth = pubmed_links + [(i, m + k) for k, i in enumerate(chosen)]
    rows.append(score("perturbed", [*pubmed, *copies], truth, pubmed_distinct))
    rows.extend(probe_rows(folder))
    return rows


def report(rows: list[dict]) -> str:
    head = "| set | records | true pairs | predicted | recall | precision | false pairs | maybe | recall after review | seconds |"
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        lines.append(
            f"| {r['set']} | {r['records']} | {r['true_pairs']} | {r['predicted_pairs']} | "
            f"{r['recall']:.4f} | {r['precision']:.4f} | {r['false_pairs']} | {r['maybe']} | "
            f"{r['recall_after_review']:.4f} | {r['seconds']:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    default = HERE.parent.parent / "shared" / "data" / "records"
    results = main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
    print(report(results))
    for r in results:
        if r["missed"] or r["false"]:
            print(f"{r['set']}: first missed pairs {r['missed']}, first false pairs {r['false']}")
        if "missed_by_class" in r:
            print(
                f"{r['set']}: {r['negatives']} hard non-duplicate pairs; missed duplicates by "
                f"class {r['missed_by_class']}"
            )
