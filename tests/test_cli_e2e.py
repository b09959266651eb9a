"""End to end: the ``metareview`` command on real files, as a review team uses it.

Each test runs the CLI in-process (``metareview.cli.main``) and checks what a user sees: the
exit code, one ``metareview: error: …`` line for bad input, JSON that parses, sane numbers.
"""

from __future__ import annotations

import json
import re

import pytest

from metareview.cli import main
from tests.conftest import REPO


def run_cli(capsys, *argv):
    """Run ``metareview argv…``; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as done:
        main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return done.value.code, out, err


def assert_one_error_line(code, err, *fragments, exit_code=2):
    """Bad input: exit code 2 (or 1), one stderr line naming what was wrong, no traceback."""
    assert code == exit_code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("metareview: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_docs_have_no_merge_conflict_markers():
    for path in (REPO / "docs").glob("*.md"):
        text = path.read_text()
        assert not re.search(r"^(<{7}|>{7}|={7})( |$)", text, re.M), path.name


def third_wave(shared_data):
    return [shared_data / "dmetar" / "ThirdWave.csv", "--col", "study=Author", "--col", "yi=TE"]


def test_thirdwave_meta_knha_matches_the_book(capsys, shared_data):
    """Harrer et al., Doing Meta-Analysis in R, ch. 4: g = 0.58 [0.38; 0.78] (meta, HK)."""
    argv = [*third_wave(shared_data), "--col", "sei=seTE", "--preset", "meta", "--ci", "knha"]
    code, out, err = run_cli(capsys, "analyze", *argv, "--json")
    assert code == 0, err
    random = json.loads(out)["random"]
    assert [round(random[k], 4) for k in ("estimate", "ci_lower", "ci_upper")] == [
        0.5771,
        0.3782,
        0.7760,
    ]


def test_effects_of_precomputed_yi_without_measure_is_a_usage_error(capsys, shared_data):
    code, _, err = run_cli(capsys, "effects", *third_wave(shared_data), "--col", "sei=seTE")
    assert_one_error_line(code, err, "ThirdWave.csv", "--measure")


@pytest.mark.parametrize(
    ("command", "output", "expected"),
    [
        ("effects", "out.json", "ending in .csv"),
        ("effects", "no-such-folder/out.csv", "existing folder"),
        ("gosh", "out.csv", "ending in .parquet"),
    ],
)
def test_output_file_is_checked_before_any_work(
    capsys, shared_data, tmp_path, command, output, expected
):
    argv = [*third_wave(shared_data), "--col", "sei=seTE", "--measure", "SMD"]
    code, _, err = run_cli(capsys, command, *argv, "-o", tmp_path / output)
    assert_one_error_line(code, err, "--output", expected)
    assert not (tmp_path / output).exists()


def test_many_problems_stay_one_readable_line(capsys, shared_data):
    depression = shared_data / "metapsy" / "depression.csv"
    argv = [depression, "--col", "yi=target_group", "--col", "sei=SE"]
    code, _, err = run_cli(capsys, "analyze", *argv)
    assert_one_error_line(code, err, "row 2, column 'target_group'", "got 'Adults'", "406 more")
    assert len(err) < 1000


def filled_prisma_template(shared_data, path, **changes):
    """The PRISMA2020 template with totals filled in (its 'Database 1, xxx' lists left as is)."""
    import pandas as pd

    counts = {
        "database_results": 1200, "register_results": 80, "website_results": 10,
        "organisation_results": 5, "citations_results": 15, "duplicates": 300,
        "excluded_automatic": 0, "excluded_other": 0, "records_screened": 980,
        "records_excluded": 900, "dbr_sought_reports": 80, "dbr_notretrieved_reports": 5,
        "other_sought_reports": 30, "other_notretrieved_reports": 2, "dbr_assessed": 75,
        "dbr_excluded": 60, "other_assessed": 28, "other_excluded": 25, "new_studies": 18,
        "new_reports": 18, "total_studies": 18, "total_reports": 18,
    } | changes  # fmt: skip
    template = pd.read_csv(
        shared_data / "prisma" / "PRISMA.csv", dtype=object, keep_default_na=False
    )
    for name, n in counts.items():
        template.loc[template["data"] == name, "n"] = str(n)
    template.to_csv(path, index=False)
    return path


def test_prisma_template_with_totals_shows_them_not_placeholder_databases(
    capsys, shared_data, tmp_path
):
    counts = filled_prisma_template(shared_data, tmp_path / "prisma.csv")
    code, _, err = run_cli(capsys, "prisma", counts, "-o", tmp_path / "flow.svg")
    assert code == 0, err
    svg = (tmp_path / "flow.svg").read_text()
    assert "Databases (n = 1200)" in svg and "Registers (n = 80)" in svg
    assert "Database 1" not in svg


def test_prisma_box_text_stays_inside_its_box(shared_data, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from metareview.report.prisma_diagram import prisma_diagram
    from metareview.rob.prisma import PrismaCounts

    counts = PrismaCounts.from_csv(filled_prisma_template(shared_data, tmp_path / "p.csv"))
    ax = prisma_diagram(counts)
    ax.figure.set_dpi(200)  # as save_prisma_diagram writes it (text is relatively wider)
    ax.figure.canvas.draw()  # applies the equal aspect: the layout as saved
    renderer = ax.figure.canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, Rectangle)]
    overflowing = []
    for text in ax.texts:
        if not text.get_text() or text.get_rotation():
            continue
        extent = text.get_window_extent(renderer)
        centre = ((extent.x0 + extent.x1) / 2, (extent.y0 + extent.y1) / 2)
        box = next((b for b in boxes if b.contains(*centre)), None)
        if box is not None and (extent.x0 < box.x0 or extent.x1 > box.x1):
            overflowing.append(text.get_text())
    plt.close(ax.figure)
    assert not overflowing, overflowing


def test_effects_text_table_is_not_padded_by_one_long_note(capsys):
    extraction = REPO / "examples" / "peer-support" / "extraction.csv"
    code, out, err = run_cli(capsys, "effects", extraction)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1].split() == [
        "row",
        "study",
        "yi",
        "vi",
        "sei",
        "ci_lower",
        "ci_upper",
        "es_source",
        "note",
    ]
    plain = next(line for line in lines[2:] if line.split()[0] == "3")  # a row without a note
    assert len(plain) < 100, plain
    assert any("sign flipped" in line for line in lines)


def test_grade_counts_studies_not_comparisons(capsys):
    """Summary-of-findings tables give participants (studies): several outcomes of one trial
    in the same category are one study."""
    import pandas as pd

    extraction = REPO / "examples" / "peer-support" / "extraction.csv"
    argv = [extraction, "--outcome-column", "outcome_category", "--where", "time=post"]
    code, out, err = run_cli(capsys, "grade", *argv, "--json")
    assert code == 0, err
    frame = pd.read_csv(extraction)
    frame = frame[frame["time"] == "post"]
    for outcome in json.loads(out)["outcomes"]:
        rows = frame[frame["outcome_category"] == outcome["outcome"]]
        assert (outcome["k"], outcome["studies"]) == (len(rows), rows["study"].nunique())
    code, out, err = run_cli(capsys, "grade", *argv)
    assert "(22 studies, 30 comparisons)" in out


def test_rob_on_a_table_that_is_not_a_rob_table_says_so_once(capsys, shared_data, tmp_path):
    argv = [*third_wave(shared_data)[:1], "-o", tmp_path / "rob"]
    code, _, err = run_cli(capsys, "rob", *argv)
    assert_one_error_line(code, err, "ThirdWave.csv, row 1", "Author, TE", "--domain", "--overall")


def test_gosh_json_has_every_documented_key(capsys, shared_data):
    argv = [*third_wave(shared_data), "--col", "sei=seTE", "--subsets", "50", "--json"]
    code, out, err = run_cli(capsys, "gosh", *argv)
    assert code == 0, err
    documented = {"method", "k", "studies", "n_subsets", "exhaustive", "seed", "estimate_range",
                  "i2_range", "output", "dropped", "diagnostics"}  # fmt: skip
    assert set(json.loads(out)) == documented
