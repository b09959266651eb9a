"""Build the hand-checked duplicate labels of the dedup benchmark (``dedup_labels.csv``).

Run once by a person; the CSV it writes is committed and is the benchmark's ground truth:

    python benchmarks/make_dedup_labels.py ../shared/data/records > benchmarks/dedup_labels.csv

How the labels were made (independently of ``metareview.records.dedup``'s rules):

1. A wide net of candidate pairs over the 13 non-BibTeX exports in ``shared/data/records``
   (PubMed-via-Mendeley XML, WoS/Zotero RIS, WoS RIS, Scopus RIS, an ASySD RIS with planted
   duplicates, and the seven ASReview exports): pairs sharing a DOI, a PMID, year+volume+first
   page, or one of the three rarest title words, kept when titles are ≥ 0.75 alike (rapidfuzz
   ratio) or an identifier/citation is shared.
2. Certain duplicates: same DOI with titles ≥ 0.90 alike and neither an erratum; or titles
   ≥ 0.97 alike with the same year, volume and first page and compatible first authors.
3. Everything else in the net was looked at by a person. The pairs whose verdict needed
   judgement are listed in ``HAND`` below with the reason; the rest differ in DOI/PMID or in
   year, volume or first page and are distinct publications (letters in different issues,
   follow-up papers, errata with their own DOIs, same-titled case reports).
"""

from __future__ import annotations

import csv
import itertools
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from rapidfuzz import fuzz

from metareview.records.importers import read_records
from metareview.records.normalize import first_surname, fold, normalize_doi, start_page

#: (file, position, file, position) -> (duplicate?, why): the verdicts that needed a person.
HAND = {
    ("asysd_mendeley_export.xml", 1000, "asysd_zotero_export.ris", 965): (
        1, "PubMed's translated title of a German paper; same author, year, journal, pages"),
    ("asysd_mendeley_export.xml", 1132, "asysd_zotero_export.ris", 972): (
        1, "same DOI; WoS prefixes the section name 'Cardiovascular Images'"),
    ("asysd_mendeley_export.xml", 406, "asysd_zotero_export.ris", 294): (
        1, "same title, authors, journal, volume; first page 860 vs 859 is a data-entry slip"),
    ("asysd_mendeley_export.xml", 809, "asysd_zotero_export.ris", 695): (
        1, "same title, author, year, pages; one export lacks the volume"),
    ("asysd_mendeley_export.xml", 812, "asysd_zotero_export.ris", 374): (
        1, "same title, author, year, volume; pages 988 vs 968 is a typo"),
    ("asysd_mendeley_export.xml", 833, "asysd_zotero_export.ris", 479): (
        1, "same supplement abstract; volume given as 'Suppl' in one export"),
    ("asysd_mendeley_export.xml", 980, "asysd_zotero_export.ris", 874): (
        1, "same paper; PubMed pages '351,366-368' vs WoS '366-+'"),
    ("asysd_mendeley_export.xml", 379, "asysd_zotero_export.ris", 677): (
        1, "both are the erratum (same DOI and page); WoS titles it like the article"),
    ("asysd_mendeley_export.xml", 16, "asysd_zotero_export.ris", 644): (
        1, "both are the erratum (same DOI and page); WoS titles it like the article"),
    ("asysd_mendeley_export.xml", 359, "asysd_zotero_export.ris", 485): (
        1, "both are the erratum (same DOI and page)"),
    ("asysd_mendeley_export.xml", 17, "asysd_zotero_export.ris", 765): (
        1, "both are the correction notice (same DOI)"),
    ("asysd_mendeley_export.xml", 532, "asysd_zotero_export.ris", 631): (
        1, "both are the correction notice (same DOI)"),
    ("asysd_mendeley_export.xml", 438, "asysd_zotero_export.ris", 449): (
        1, "the author reply (Rusbridge) on the same page, same title"),
    ("asysd_mendeley_export.xml", 438, "asysd_zotero_export.ris", 438): (
        0, "letter by Stern-Bertholtz vs PubMed's record of the reply by Rusbridge"),
    ("asysd_mendeley_export.xml", 498, "asysd_zotero_export.ris", 155): (
        1, "same paper; first author misspelt Brodal in WoS (found on checking disagreements)"),
    ("asysd_mendeley_export.xml", 987, "asysd_zotero_export.ris", 864): (
        1, "translated title; first author misspelt Butjels in WoS (found on checking "
           "disagreements)"),
    ("asysd_zotero_export.ris", 438, "asysd_zotero_export.ris", 449): (
        0, "a letter and its author reply: two items on one page"),
    ("asysd_mendeley_export.xml", 649, "asysd_zotero_export.ris", 760): (
        1, "same article under two DOIs (vr.105467, vetrec-2019-105467: one manuscript number); "
           "same volume, issue and abstract (found when checking merges without identifiers)"),
    ("asysd_mendeley_export.xml", 835, "asysd_zotero_export.ris", 286): (
        1, "same article under two DOIs (vr.105642, vetrec-2019-105642: one manuscript number); "
           "same volume, issue and abstract (found when checking merges without identifiers)"),
}  # fmt: skip

NOTICE = re.compile(r"erratum|correction|corrigendum|\(vol \d+", re.IGNORECASE)


def load(folder: Path):
    records = []
    for path in sorted(folder.iterdir()):
        if path.suffix != ".bib":
            records.extend(read_records(path).records)
    return records


def candidates(records):
    titles = [fold(r.title) for r in records]
    frequency = Counter(w for t in titles for w in set(t.split()))
    blocks = defaultdict(set)
    for i, r in enumerate(records):
        if r.doi:
            blocks["doi", normalize_doi(r.doi)].add(i)
        if r.pmid:
            blocks["pmid", r.pmid].add(i)
        if r.volume and r.pages:
            blocks["cite", r.year, fold(r.volume), start_page(r.pages)].add(i)
        for word in sorted(set(titles[i].split()), key=lambda w: (frequency[w], w))[:3]:
            blocks["word", word].add(i)
    pairs = set()
    for members in blocks.values():
        if len(members) <= 400:
            pairs.update(itertools.combinations(sorted(members), 2))
    for i, j in sorted(pairs):
        a, b = records[i], records[j]
        similarity = fuzz.ratio(titles[i], titles[j]) / 100
        same_doi = bool(a.doi) and normalize_doi(a.doi) == normalize_doi(b.doi)
        same_pmid = bool(a.pmid) and a.pmid == b.pmid
        same_cite = (
            a.year == b.year
            and bool(a.volume)
            and fold(a.volume) == fold(b.volume)
            and bool(start_page(a.pages))
            and start_page(a.pages) == start_page(b.pages)
        )
        if similarity >= 0.75 or same_doi or same_pmid or (same_cite and similarity >= 0.4):
            yield i, j, similarity, same_doi, same_cite


def key(record):
    return Path(record.source_file).name, record.source_position


def main(folder: Path) -> None:
    records = load(folder)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["file_a", "position_a", "file_b", "position_b", "duplicate", "basis"])
    for i, j, similarity, same_doi, same_cite in candidates(records):
        a, b = records[i], records[j]
        pair = (*key(a), *key(b))
        notice = bool(NOTICE.search(a.title) or NOTICE.search(b.title))
        sa, sb = first_surname(a.authors), first_surname(b.authors)
        authors_fit = sa == sb or (sa and sb and (sa.endswith(sb) or sb.endswith(sa)))
        if pair in HAND:
            label, basis = HAND[pair]
            basis = f"hand: {basis}"
        elif same_doi and similarity >= 0.9 and not notice:
            label, basis = 1, "same DOI, same title"
        elif similarity >= 0.97 and same_cite and authors_fit and not notice:
            label, basis = 1, "same title, first author, year, volume and first page"
        elif similarity >= 0.85:
            label, basis = 0, "hand: similar titles, but identifiers or citation details differ"
        else:
            continue  # distinct and not close: not listed (every unlisted pair is distinct)
        writer.writerow([*pair, label, basis])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
