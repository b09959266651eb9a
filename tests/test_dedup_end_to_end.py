"""Import three database exports of one search, written the way each database writes them,
and deduplicate: the same trials are grouped across formats, every database is kept as a
source, and the look-alikes (an erratum, the protocol, a conference abstract of another year,
a follow-up) are not merged."""

from __future__ import annotations

from pathlib import Path

from metareview.records.dedup import deduplicate
from metareview.records.importers import all_records, read_many

PUBMED = """\
PMID- 30100001
TI  - Internet-delivered cognitive behavioural therapy for insomnia in older adults:
      a randomised controlled trial.
FAU - Müller, Anna
FAU - Smith, John
DP  - 2019 Mar
JT  - Journal of sleep research
TA  - J Sleep Res
VI  - 28
IP  - 2
PG  - e12745
LID - 10.1111/jsr.12745 [doi]
AB  - Insomnia is common in older adults. We randomised 240 participants to internet CBT-I
      or sleep hygiene education; CBT-I reduced insomnia severity at 8 weeks.

PMID- 30100002
TI  - Peer support for postnatal depression: protocol for a randomised trial.
FAU - Lee, Kim
DP  - 2017
JT  - BMC psychiatry
VI  - 17
PG  - 45
LID - 10.1186/s12888-017-0045-1 [doi]

PMID- 30100003
TI  - Erratum: Internet-delivered cognitive behavioural therapy for insomnia in older
      adults: a randomised controlled trial.
DP  - 2019 Jun
JT  - Journal of sleep research
VI  - 28
IP  - 3
PG  - e12800
LID - 10.1111/jsr.12800 [doi]
"""

EMBASE = """\
TY  - JOUR
T1  - Internet-delivered cognitive behavioural therapy for insomnia in older adults: A randomised controlled trial
A1  - Muller A.
A1  - Smith J.
Y1  - 2019//
JF  - Journal of Sleep Research
VL  - 28
IS  - 2
SP  - e12745
N2  - Insomnia is common in older adults. We randomised 240 participants to internet CBT-I or sleep hygiene education; CBT-I reduced insomnia severity at 8 weeks.
L2  - http://dx.doi.org/10.1111/jsr.12745
DB  - Embase
ER  -

TY  - JOUR
T1  - Peer support for postnatal depression: a randomised trial
A1  - Lee K.
Y1  - 2019//
JF  - BMC Psychiatry
VL  - 19
SP  - 210
DB  - Embase
ER  -

TY  - CONF
T1  - Internet-delivered cognitive behavioural therapy for insomnia in older adults
A1  - Muller A.
Y1  - 2017//
JF  - Sleep Medicine
VL  - 40
SP  - S12
DB  - Embase
ER  -
"""

WOS = """\
FN Clarivate Analytics Web of Science
VR 1.0
PT J
AU Muller, A
   Smith, J
AF Muller, Anna
   Smith, John
TI INTERNET-DELIVERED COGNITIVE BEHAVIOURAL THERAPY FOR INSOMNIA IN OLDER
   ADULTS - A RANDOMISED CONTROLLED TRIAL
SO JOURNAL OF SLEEP RESEARCH
PY 2019
VL 28
IS 2
AR e12745
DI 10.1111/JSR.12745
ER

PT J
AF Lee, Kim
TI Peer support for postnatal depression: a randomised trial
SO BMC PSYCHIATRY
PY 2019
VL 19
BP 210
ER

PT J
AF Lee, Kim
TI Peer support for postnatal depression: 2-year follow-up of a randomised trial
SO BMC PSYCHIATRY
PY 2021
VL 21
BP 77
ER

EF
"""


def test_three_databases_one_search(tmp_path: Path) -> None:
    files = {"pubmed.nbib": PUBMED, "embase.ris": EMBASE, "savedrecs.txt": WOS}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    results = read_many([tmp_path / name for name in files])
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
