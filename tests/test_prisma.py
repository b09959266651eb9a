"""PRISMA 2020 counts (the PRISMA2020 R package's CSV) and the flow diagram.

Smit et al. 2023 (Psychological Medicine 53:5332–5341, abstract and Figure 1): 3455 records
screened, 133 full texts assessed, 30 trials included, 28 meta-analysed. The paper's abstract
does not give the records identified or the duplicates, so those stay "not reported" and the
identification equation is listed as unchecked.
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import pytest

from metareview.cli import main
from metareview.errors import DataError
from metareview.report.prisma_diagram import save_prisma_diagram
from metareview.rob.prisma import PrismaCounts

NOT_REPORTED = dict.fromkeys(
    ["previous_studies", "previous_reports", "database_results", "register_results",
     "website_results", "organisation_results", "citations_results", "duplicates",
     "excluded_automatic", "excluded_other", "other_sought_reports",
     "other_notretrieved_reports", "other_assessed", "new_reports", "total_studies",
     "total_reports", "total_reports_ma"],
)  # fmt: skip


# The counts of Smit et al. 2023 up to the studies included in the review.
SMIT_2023 = {
    "records_screened": 3455,
    "records_excluded": 3322,
    "dbr_sought_reports": 133,
    "dbr_notretrieved_reports": 0,
    "dbr_assessed": 133,
    "dbr_excluded": (("Reports excluded", 103),),
    "new_studies": 30,
}


@pytest.fixture()
def template(shared_data):
    return shared_data / "prisma" / "PRISMA.csv"


@pytest.fixture()
def smit(template, tmp_path):
    counts = PrismaCounts.from_csv(template).with_counts(
        **NOT_REPORTED,
        database_specific_results=(),
        register_specific_results=(),
        other_excluded=(),
        **SMIT_2023,
        total_studies_ma=28,
    )
    path = tmp_path / "smit2023.csv"
    counts.to_csv(path)
    return path


def test_the_packages_template_is_accepted_as_is(template):
    counts = PrismaCounts.from_csv(template)
    assert counts.database_results == 0 and counts.records_screened == 0
    assert counts.dbr_excluded == (("Reason1", None), ("Reason2", None), ("Reason3", None))
    assert len(counts.check().checked) == 4


def test_round_trip_keeps_the_template_rows_and_fills_n(smit, template):
    original = template.read_text().splitlines()
    written = smit.read_text().splitlines()
    assert len(written) == len(original)
    assert written[0] == original[0]
    row = next(line for line in written if line.startswith("records_screened,"))
    assert row.endswith(",3455")
    again = PrismaCounts.from_csv(smit)
    assert (again.records_screened, again.dbr_assessed, again.total_studies_ma) == (3455, 133, 28)
    assert again.database_results is None


def test_smit_counts_are_consistent(smit):
    result = PrismaCounts.from_csv(smit).check()
    names = [e.name for e in result.checked]
    assert "records screened − records excluded = reports sought for retrieval" in names
    assert any("133 − 103 = 30" in e.expression for e in result.checked)
    assert any("records identified" in u for u in result.unchecked)


def test_smit_diagram_has_every_count_in_its_box(smit, tmp_path):
    svg = save_prisma_diagram(PrismaCounts.from_csv(smit), tmp_path / "prisma.svg").read_text()
    texts = [re.sub(r"\s+", " ", t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)]
    joined = " ".join(texts)  # a box's lines are consecutive <text> elements
    for label, n in [
        ("Records screened", 3455),
        ("Records excluded", 3322),
        ("Reports sought for retrieval", 133),
        ("Reports assessed for eligibility", 133),
        ("Reports excluded", 103),
        ("New studies included in review", 30),
        ("Studies included in meta-analysis", 28),
        ("Reports not retrieved", 0),
    ]:
        # the label, then its count, with no other count in between
        assert re.search(rf"{re.escape(label)}[^()]*\(n = {n}\)", joined), (label, n, joined)
    for phase in ("Identification", "Screening", "Included"):
        assert phase in texts


@pytest.mark.parametrize("suffix", [".png", ".pdf"])
def test_diagram_in_png_and_pdf(smit, tmp_path, suffix):
    path = save_prisma_diagram(PrismaCounts.from_csv(smit), tmp_path / f"prisma{suffix}")
    head = path.read_bytes()[:8]
    assert head.startswith(b"\x89PNG" if suffix == ".png" else b"%PDF")


def test_inconsistent_counts_name_the_failed_equation(smit, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        smit.read_text()
        .replace("dbr_sought_reports,node11,box6,", "dbr_sought_reports,node11,box6,", 1)
        .replace("records_excluded,node10", "records_excluded,node10", 1)
    )
    text = bad.read_text().splitlines()
    text = [
        line.rsplit(",", 1)[0] + ",3300" if line.startswith("records_excluded,") else line
        for line in text
    ]
    bad.write_text("\n".join(text) + "\n")
    with pytest.raises(DataError) as info:
        PrismaCounts.from_csv(bad).check()
    message = str(info.value)
    assert "records screened − records excluded = reports sought for retrieval" in message
    assert "3455 − 3300 = 155" in message and "got '133'" in message
    assert "bad.csv, row 19, column 'n'" in message


def test_every_failed_equation_is_reported():
    counts = PrismaCounts(
        database_results=100,
        duplicates=10,
        records_screened=80,
        records_excluded=50,
        dbr_sought_reports=30,
        dbr_assessed=25,
        dbr_excluded=(("Wrong design", 20),),
        new_studies=6,
        total_studies=9,
        previous_studies=2,
        total_studies_ma=10,
    )
    with pytest.raises(DataError) as info:
        counts.check()
    message = str(info.value)
    for equation in (
        "records identified − removed before screening = records screened",
        "reports sought − reports not retrieved = reports assessed",
        "reports assessed − reports excluded = new studies included",
        "previous studies + new studies = total studies",
        "studies in meta-analysis ≤ studies included",
    ):
        assert equation in message


def test_specific_databases_must_sum_to_the_total():
    counts = PrismaCounts(
        database_results=100, database_specific_results=(("PubMed", 60), ("Embase", 30))
    )
    with pytest.raises(DataError, match=r"specific databases sum to the database total: 90"):
        counts.check()


def test_unreadable_counts_name_row_and_column(tmp_path, template):
    bad = tmp_path / "bad.csv"
    lines = template.read_text().splitlines()
    lines = [
        line.rsplit(",", 1)[0] + ",many" if line.startswith("duplicates,") else line
        for line in lines
    ]
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        DataError, match=r"bad.csv, row 14, column 'n': got 'many', expected a whole number"
    ):
        PrismaCounts.from_csv(bad)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="PRISMA2020 header"):
        PrismaCounts.from_csv(other)


def test_update_with_other_methods_draws_all_columns(tmp_path):
    counts = PrismaCounts(  # a line per box of the diagram: previous, databases, other methods
        previous_studies=12, previous_reports=14,
        database_specific_results=(("PubMed", 2000), ("Embase", 1500)), duplicates=400,
        records_screened=3100, records_excluded=3000,
        dbr_sought_reports=100, dbr_notretrieved_reports=4,
        dbr_assessed=96, dbr_excluded=(("Not randomized", 70), ("Wrong population", 6)),
        website_results=5, citations_results=9,
        other_sought_reports=14, other_notretrieved_reports=2,
        other_assessed=12, other_excluded=(("Not randomized", 10),),
        new_studies=22, total_studies=34,
    )  # fmt: skip
    svg = save_prisma_diagram(counts, tmp_path / "update.svg").read_text()
    joined = " ".join(
        re.sub(r"\s+", " ", t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)
    )
    for text in (
        "Previous studies",
        "Identification of new studies via other methods",
        "PubMed (n = 2000)",
        "Citation searching (n = 9)",
        "Not randomized (n = 70)",
        "Total studies included in review (n = 34)",
    ):
        assert text in joined


def test_cli_prisma_writes_the_diagram_and_fails_on_bad_arithmetic(smit, tmp_path, capsys):
    out = tmp_path / "flow.svg"
    with pytest.raises(SystemExit) as done:
        main(["prisma", str(smit), "-o", str(out)])
    assert done.value.code == 0 and out.is_file()
    assert "equations hold" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(smit.read_text().replace("new_studies,node15,box10", "new_studies,node15,box10"))
    lines = [
        line.rsplit(",", 1)[0] + ",31" if line.startswith("new_studies,") else line
        for line in bad.read_text().splitlines()
    ]
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(SystemExit) as done:
        main(["prisma", str(bad), "-o", str(tmp_path / "x.svg")])
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert err.startswith("metareview: error:") and "reports assessed − reports excluded" in err
    assert not (tmp_path / "x.svg").exists()


def test_a_semicolon_in_a_reason_or_database_name_survives_the_csv():
    """The PRISMA2020 list cell separates its entries with ';': a reviewer's reason "Wrong
    dose; too low" must not make the counts unreadable (every workspace run drew from them
    and failed); its ';' is written as ','."""
    counts = PrismaCounts(
        database_results=90,
        database_specific_results=(("MEDLINE; via Ovid", 60), ("Embase", 30)),
        dbr_excluded=(("Wrong dose; too low", 2), ("Not an RCT, quasi", 1)),
    )
    back = PrismaCounts.from_text(counts.to_csv())
    assert back.database_specific_results == (("MEDLINE, via Ovid", 60), ("Embase", 30))
    assert back.dbr_excluded == (("Wrong dose, too low", 2), ("Not an RCT, quasi", 1))
