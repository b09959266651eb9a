"""GRADE and PRISMA in a review run by a plan: ``[grade]``, ``[prisma]``, the report's summary of
findings and flow diagram, and ``metareview grade PLAN.toml``."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from metareview.cli import main
from metareview.errors import DataError, PlanError
from metareview.plan.grade_review import assess_review, unapplied_decisions
from metareview.plan.plan import load_plan
from metareview.plan.runner import run_plan
from metareview.report.build import write_report
from metareview.report.methods_text import methods_paragraph
from tests.test_run import _small_plan

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "peer-support"


def _thirdwave(tmp_path: Path, shared_data: Path, extra: str = "") -> Path:
    """ThirdWave (18 trials, dmetar; preset meta) with its RiskOfBias column as the overall
    judgement and small-study tests."""
    return _small_plan(
        tmp_path,
        shared_data,
        '[analysis.analyses]\nsmall_study = ["egger", "trimfill"]\n'
        '[rob]\ncolumn = "RiskOfBias"\nlow = "low"\n' + extra,
    )


@pytest.fixture(scope="module")
def thirdwave(tmp_path_factory, shared_data):
    folder = tmp_path_factory.mktemp("grade-thirdwave")
    extra = (
        "[grade]\nmid = 0.3\n"
        '[[grade.decision]]\ndomain = "indirectness"\nlevels = 0\n'
        'footnote = "students and adults alike"\n'
    )
    extra += (
        '[[grade.decision]]\noutcome = "Perceived stress"\ndomain = "indirectness"\n'
        'levels = -1\nfootnote = "stress scales differ from the clinical outcome"\n'
    )
    return run_plan(load_plan(_thirdwave(folder, shared_data, extra)), jobs=1), folder


def test_grade_takes_its_inputs_from_the_stored_analysis(thirdwave, shared_data):
    results, _ = thirdwave
    (assessment,) = assess_review(results)
    record = results["perceived-stress/all-time-points"]
    ev = assessment.evidence
    random = record.result["random"]
    assert (ev.k, ev.estimate, ev.ci_lower, ev.ci_upper) == (
        18,
        random["estimate"],
        random["ci_lower"],
        random["ci_upper"],
    )
    assert ev.i2 == record.result["heterogeneity"]["i2"]
    assert (ev.pi_lower, ev.pi_upper) == (random["pi_lower"], random["pi_upper"])
    # preset meta reports meta's metabias (the classic Egger test), not metafor's regtest
    small = record.result["small_study"]
    assert ev.egger_p == small["egger"]["pvalue"] != small["egger_rma"]["pvalue"]
    assert ev.trimfill_k0 == record.result["small_study"]["trim_and_fill"]["k0"]
    # share of weight at high risk, recomputed from the raw table and the stored weights
    raw = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv").set_index("Author")
    weights = {s["study"]: s["weight"] for s in record.result["studies"]}
    high = sum(w for s, w in weights.items() if raw.loc[s, "RiskOfBias"] == "high")
    assert math.isclose(ev.high_risk_weight, high / sum(weights.values()), rel_tol=1e-12)
    assert 0 < ev.high_risk_weight < 1


def test_a_fixed_effect_headline_weighs_risk_of_bias_by_its_own_weights(thirdwave, shared_data):
    """GRADE's share of weight at high risk uses the weights of the model the review reports:
    under a fixed-effect headline, the inverse-variance weights 1/vᵢ, not the random ones."""
    from metareview.plan.grade_review import evidence_from_record

    results, _ = thirdwave
    record = replace(results["perceived-stress/all-time-points"], model="fixed")
    ev = evidence_from_record(record, rob_column="RiskOfBias")
    raw = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv").set_index("Author")
    inverse = {s["study"]: 1 / s["vi"] for s in record.result["studies"]}
    high = sum(w for s, w in inverse.items() if raw.loc[s, "RiskOfBias"] == "high")
    assert math.isclose(ev.high_risk_weight, high / sum(inverse.values()), rel_tol=1e-12)
    assert ev.estimate == record.result["fixed"]["estimate"]
    random = {s["study"]: s["weight"] for s in record.result["studies"]}
    random_share = sum(w for s, w in random.items() if raw.loc[s, "RiskOfBias"] == "high") / 100
    assert not math.isclose(ev.high_risk_weight, random_share, rel_tol=1e-6)


def test_the_most_specific_decision_wins_and_rates_down(thirdwave):
    results, _ = thirdwave
    (assessment,) = assess_review(results)
    indirect = next(d for d in assessment.domains if d.domain == "indirectness")
    assert (indirect.levels, indirect.footnote) == (
        -1,
        "stress scales differ from the clinical outcome",
    )
    plain = assess_review(replace(results, plan={**results.plan, "grade": {"mid": 0.3}}))[0]
    assert assessment.downgrade == plain.downgrade + 1


def test_report_has_the_summary_of_findings_and_a_grade_sentence(thirdwave):
    results, folder = thirdwave
    index = write_report(results, folder / "out")
    html = index.read_text()
    assert '<section id="summary-of-findings">' in html and 'href="#summary-of-findings"' in html
    assert "stress scales differ from the clinical outcome" in html
    sof = pd.read_csv(folder / "out" / "tables" / "summary-of-findings.csv")
    assert sof.loc[0, "Outcome"] == "Perceived stress, All time points"
    assert (folder / "out" / "tables" / "summary-of-findings.html").read_text().startswith("<table")
    text, references = methods_paragraph(results)
    assert "rated with GRADE" in text and "minimal important difference of 0.3" in text
    assert any(r.startswith("Guyatt GH") for r in references)


def test_grade_can_be_switched_off(tmp_path, shared_data):
    results = run_plan(
        load_plan(_thirdwave(tmp_path, shared_data, "[grade]\nenabled = false\n")), jobs=1
    )
    assert assess_review(results) == ()
    index = write_report(results, tmp_path / "out")
    assert "summary-of-findings" not in index.read_text()
    assert not (tmp_path / "out" / "tables" / "summary-of-findings.csv").exists()
    assert "GRADE" not in methods_paragraph(results)[0]


def test_a_decision_for_an_outcome_not_rated_is_a_warning_and_the_report_goes_on(
    tmp_path, shared_data
):
    extra = (
        '[[grade.decision]]\noutcome = "Anxiety"\ndomain = "indirectness"\nlevels = -1\n'
        'footnote = "another population"\n'
    )
    results = run_plan(load_plan(_thirdwave(tmp_path, shared_data, extra)), jobs=1)
    warning = (
        "GRADE decision for 'Anxiety' (indirectness) not applied: no such outcome (rated: "
        "'Perceived stress, All time points', 'Perceived stress')"
    )
    assert unapplied_decisions(results) == (warning,)
    (assessment,) = assess_review(results)  # rated as without the decision
    indirect = next(d for d in assessment.domains if d.domain == "indirectness")
    assert indirect.levels == 0 and not indirect.footnote
    html = write_report(results, tmp_path / "out").read_text()
    warnings = html.split('<section id="analysis-warnings">')[1].split("</section>")[0]
    assert "<td>GRADE</td><td>GRADE decision for &#39;Anxiety&#39; (indirectness) not applied" in (
        warnings
    )
    assert "another population" not in html


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '[[grade.decision]]\ndomain = "indirect"\nlevels = -1\nfootnote = "x"\n',
            r"key 'grade.decision\[1\].domain': got 'indirect'",
        ),
        ("[grade]\nmid = -1\n", r"key 'grade.mid': got -1"),
        ('[prisma]\ncounts = "nowhere.csv"\n', r"key 'prisma.counts': no such file"),
    ],
)
def test_bad_grade_and_prisma_keys_are_plan_errors_naming_the_key(
    tmp_path, shared_data, extra, message
):
    with pytest.raises(PlanError, match=message):
        load_plan(_thirdwave(tmp_path, shared_data, extra))


def test_inconsistent_prisma_counts_fail_naming_the_equation(tmp_path, shared_data):
    counts = (EXAMPLE / "prisma.csv").read_text().replace(",3322\n", ",3300\n")
    assert counts != (EXAMPLE / "prisma.csv").read_text()
    (tmp_path / "prisma.csv").write_text(counts)
    plan = _thirdwave(tmp_path, shared_data, '[prisma]\ncounts = "prisma.csv"\n')
    with pytest.raises(DataError) as caught:
        load_plan(plan)
    text = str(caught.value)
    assert "prisma.csv, row" in text and "column 'n'" in text
    assert "records screened − records excluded = reports sought for retrieval" in text
    assert "3455 − 3300 = 155" in text


def test_cli_grade_accepts_a_plan(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        main(["grade", str(EXAMPLE / "plan.toml"), "-o", str(tmp_path / "sof.html"), "--json"])
    assert done.value.code == 0
    document = json.loads(capsys.readouterr().out)
    outcomes = {o["outcome"]: o for o in document["outcomes"]}
    for category in ("Clinical recovery", "Personal recovery", "Functional recovery", "Stigma"):
        assert outcomes[f"{category}, Post-test"]["certainty"] in (
            "High",
            "Moderate",
            "Low",
            "Very low",
        )
    stigma = next(
        d for d in outcomes["Stigma, Post-test"]["domains"] if d["domain"] == "indirectness"
    )
    assert stigma["footnote"].startswith("stigma measured with validated")
    assert (tmp_path / "sof.html").read_text().startswith('<table class="sof">')


def test_cli_grade_refuses_table_options_with_a_plan(capsys):
    with pytest.raises(SystemExit) as done:
        main(["grade", str(EXAMPLE / "plan.toml"), "--mid", "0.3"])
    assert done.value.code == 2
    assert "--mid: options for a data table" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:  # a plan sets its level in [settings]
        main(["grade", str(EXAMPLE / "plan.toml"), "--level", "0.95"])
    assert done.value.code == 2
    assert "--level: options for a data table" in capsys.readouterr().err


@pytest.mark.parametrize(
    "option",
    [
        ["--preset", "revman5"],
        ["--method", "DL"],
        ["--ci", "knha"],
        ["--measure", "RR"],
        ["--rob-column", "rob"],
        ["--design", "observational"],
        ["--rob-serious", "0.3"],
    ],
)
def test_cli_grade_refuses_pooling_and_rating_options_with_a_plan(capsys, option):
    """A plan sets them in [settings], [rob] and [grade]: given with a plan they would be
    ignored silently, so they are refused."""
    with pytest.raises(SystemExit) as done:
        main(["grade", str(EXAMPLE / "plan.toml"), *option])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert f"{option[0]}: options for a data table" in err and len(err.strip().splitlines()) == 1
