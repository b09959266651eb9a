"""``check-revman``: RevMan's stored numbers beside metareview's revman5 preset.

Fleiss1993.rm5 holds RevMan 5.0's own unrounded results for a Mantel–Haenszel fixed-effect
odds ratio (7 trials): every number must agree to 1e-6 relative. The data package of the
same review prints them rounded to six decimals. The hand-built files cover the methods,
models and measures the real file lacks (their stored numbers are metareview's: they test
that every number is found and compared, see tests/data/revman/make_files.py).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from metareview.data.revman import read_revman
from metareview.data.revman.model import StoredValue
from metareview.plan.revman_check import CheckedNumber, check_review
from tests.revman_files import HANDBUILT, HANDBUILT_FILES, fleiss
from tests.test_cli_e2e import run_cli


def test_fleiss_rm5_agrees_with_revman_to_1e6(shared_data):
    report = check_review(read_revman(fleiss(shared_data, ".rm5")))
    assert report.passed
    # 7 trials x (effect, CI, weight) + the total's 11 numbers.
    assert len(report.numbers) == 7 * 4 + 11
    assert {n.decimals for n in report.numbers} == {None}
    assert max(n.rel_diff for n in report.numbers) < 1e-6
    total = {n.quantity: n for n in report.numbers if n.level == "total"}
    assert total["effect"].stored == pytest.approx(0.8968655609130709, rel=1e-15)
    assert total["effect"].ours == pytest.approx(0.8968655609130709, rel=1e-12)
    assert total["i2"].ours == pytest.approx(39.67458045558399, rel=1e-12)
    # The continuous outcome has no stored results: listed, not silently passed over.
    assert [s.what for s in report.skipped] == [
        "outcome 1.2 'Mental Health Treatment versus Control'"
    ]


def test_fleiss_rm5_tolerance_is_real(shared_data):
    """RevMan's P of chi2 differs from the exact chi2 tail by 5.8e-7 relative: a 1e-8
    tolerance must fail on it (and only on it)."""
    report = check_review(read_revman(fleiss(shared_data, ".rm5")), rel_tol=1e-8)
    assert [(n.level, n.quantity) for n in report.failed] == [("total", "p_chi2")]


def test_fleiss_package_agrees_within_its_rounding(shared_data):
    report = check_review(read_revman(fleiss(shared_data, ".zip")))
    assert report.passed and len(report.numbers) == 7 * 4 + 9  # no weight column for totals
    assert {n.decimals for n in report.numbers if n.quantity == "effect"} == {6}
    p_z = next(n for n in report.numbers if n.quantity == "p_z")
    assert (p_z.stored, p_z.decimals) == (0.00101, 6)


def test_a_changed_stored_number_fails(shared_data):
    review = read_revman(fleiss(shared_data, ".rm5"))
    outcome = review.outcomes[0]
    stored = {**outcome.stored, "chi2": StoredValue(9.9461)}
    changed = replace(review, outcomes=(replace(outcome, stored=stored), *review.outcomes[1:]))
    report = check_review(changed)
    assert not report.passed
    assert [(n.quantity, n.ok) for n in report.failed] == [("chi2", False)]


def test_rounded_tolerance():
    inside = CheckedNumber("1.1", "total", "", "effect", 0.896866, 6, 0.8968655609, 1e-6)
    outside = CheckedNumber("1.1", "total", "", "effect", 0.896866, 6, 0.8968630, 1e-6)
    assert inside.ok and not outside.ok
    assert CheckedNumber("1.1", "total", "", "tau2", 0.0, None, 0.0, 1e-6).ok
    assert not CheckedNumber("1.1", "total", "", "tau2", 0.0, None, 1e-3, 1e-6).ok
    assert not CheckedNumber("1.1", "total", "", "tau2", 0.1, None, None, 1e-6).ok


@pytest.mark.parametrize("name", HANDBUILT_FILES)
def test_handbuilt_files_pass(name):
    report = check_review(read_revman(HANDBUILT / name))
    assert report.passed, report.summary()
    review = read_revman(HANDBUILT / name)
    for outcome in review.outcomes:
        checked = [n for n in report.numbers if n.outcome == outcome.id]
        stored = sum(len(s.stored) for sub in outcome.subgroups for s in sub.studies)
        stored += sum(len(sub.stored) for sub in outcome.subgroups) + len(outcome.stored)
        assert len(checked) == stored, outcome.id  # every stored number is compared


def test_handbuilt_files_cover_every_method_model_and_measure():
    seen = set()
    for name in HANDBUILT_FILES:
        for outcome in read_revman(HANDBUILT / name).outcomes:
            s = outcome.settings
            seen |= {s.data_type, s.method, s.model, s.measure}
            seen |= {f"{s.data_type}/{s.method}/{s.model}"}
            if outcome.has_subgroups:
                seen.add(f"subgroups/{s.model}/{s.totals}")
            if s.swap_events:
                seen.add("swap")
    wanted = {
        "dichotomous", "continuous", "generic", "oe", "MH", "IV", "PETO", "fixed", "random",
        "OR", "RR", "RD", "MD", "SMD", "PETO_OR", "HR", "swap",
        "dichotomous/MH/fixed", "dichotomous/MH/random", "dichotomous/IV/random",
        "dichotomous/IV/fixed", "dichotomous/PETO/fixed", "continuous/IV/fixed",
        "continuous/IV/random", "generic/IV/fixed", "generic/IV/random", "oe/PETO/fixed",
        "oe/PETO/random", "subgroups/random/YES", "subgroups/fixed/YES", "subgroups/random/SUB",
    }  # fmt: skip
    assert wanted <= seen, wanted - seen


def test_cli_lists_every_number_and_exits_0(shared_data, capsys):
    code, out, _ = run_cli(capsys, "check-revman", fleiss(shared_data, ".rm5"))
    assert code in (0, None)
    assert out.count(" yes") == 39 and "39 numbers checked: all agree." in out
    assert "not checked:" in out


def test_cli_json_and_exit_1_on_disagreement(shared_data, capsys):
    code, out, _ = run_cli(
        capsys, "check-revman", fleiss(shared_data, ".rm5"), "--json", "--rel-tol", "1e-9"
    )
    document = json.loads(out)
    assert code == 1
    assert document["passed"] is False and document["checked"] == 39
    assert document["failed"] == 1 and document["numbers"][0]["tolerance"] == "1e-09 relative"


def test_cli_exit_1_when_nothing_to_check(tmp_path, capsys):
    path = tmp_path / "empty.rm5"
    path.write_text("<COCHRANE_REVIEW><ANALYSES_AND_DATA/></COCHRANE_REVIEW>")
    code, out, _ = run_cli(capsys, "check-revman", path)
    assert code == 1 and "no stored number to check" in out


def test_fleiss_csv_export_agrees_including_the_continuous_outcome(shared_data):
    """RevMan 5's CSV export of the same review holds RevMan's numbers for the continuous
    outcome too (IV, fixed, MD), rounded to eight decimals."""
    report = check_review(read_revman(shared_data / "revman" / "Fleiss1993_CR.csv"))
    assert report.passed, report.summary()
    md = [n for n in report.numbers if n.outcome == "1.2"]
    assert len(md) == 5 * 4 + 11 and {n.decimals for n in md} == {8}
    total = {n.quantity: n for n in md if n.level == "total"}
    assert total["effect"].stored == -0.70938839
    assert total["effect"].ours == pytest.approx(-0.70938839, abs=5e-9)
    # RevMan's P of chi2 is good to ~6 digits: within rounding + 1e-6 relative, not rounding alone
    assert abs(total["p_chi2"].ours - total["p_chi2"].stored) > 5e-9
    assert not any(n.quantity.endswith("_between") for n in report.numbers)  # no subgroups


def test_a_study_in_two_subgroups_counts_twice_in_the_total():
    """RevMan pools a study once per subgroup row, also in the total (a shared control arm):
    the re-run must neither reject the repeated rows nor combine them."""
    from metareview.data.revman.rm5 import read_rm5
    from metareview.plan.revman_export import review_with_results
    from metareview.plan.revman_fit import fit_outcome
    from metareview.plan.revman_plan import review_plan

    data = (HANDBUILT / "dichotomous.rm5").read_bytes()
    extra = b'<DICH_DATA STUDY_ID="STD-A" EVENTS_1="12" TOTAL_1="100" EVENTS_2="20" TOTAL_2="98"/>'
    data = data.replace(b"<NAME>Children</NAME>", b"<NAME>Children</NAME>" + extra, 1)
    review = read_rm5(data, "twice.rm5")
    fits = fit_outcome(review.outcome("1.1"))
    assert len(fits["total"].studies) == 6 and len(fits["subgroups"][2].studies) == 3
    assert sum(w for _, _, w in fits["total"].studies.values()) == pytest.approx(100)
    assert check_review(review_with_results(review)).passed
    _, notes = review_plan(review, "extraction.csv")
    assert any("Ødegaard 2001 appear(s) in several subgroups" in n.reason for n in notes)


def test_cli_bad_file_is_one_located_line(tmp_path, capsys):
    from tests.test_cli_e2e import assert_one_error_line

    path = tmp_path / "cut.rm5"
    path.write_bytes((HANDBUILT / "continuous.rm5").read_bytes()[:3000])
    code, _, err = run_cli(capsys, "check-revman", path)
    assert_one_error_line(code, err, "cut.rm5, row", "well-formed XML")
    code, _, err = run_cli(capsys, "import-revman", path, "-o", tmp_path / "out")
    assert_one_error_line(code, err, "cut.rm5, row", "well-formed XML")


def test_stored_numbers_we_cannot_recompute_fail_and_say_why():
    """RevMan stored a total, but every study's data are gone: nothing is silently passed."""
    from metareview.data.revman.rm5 import read_rm5

    data = (HANDBUILT / "continuous.rm5").read_bytes()
    for value in (b'SD_1="3.9"', b'SD_1="4.8"'):  # the two studies of outcome 2.4
        data = data.replace(value, b'SD_1=""')
    report = check_review(read_rm5(data, "gone.rm5"))
    failed = [n for n in report.failed if n.outcome == "2.4"]
    assert failed and all(n.ours is None for n in failed)
    assert any(
        "2.4 total" in s.what and "no row has an estimable" in s.reason for s in report.skipped
    )
