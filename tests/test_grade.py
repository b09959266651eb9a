"""GRADE: every proposed downgrade rule, reviewer decisions, OIS, the SoF table and the CLI.

Rules: GRADE Handbook (Schünemann et al. 2013) section 5; Guyatt et al., J Clin Epidemiol
2011;64 (GRADE 4 risk of bias, 5 publication bias, 6 imprecision — RR 0.75/1.25 as rough
thresholds of appreciable benefit/harm, 7 inconsistency); Cochrane Handbook 10.10.2 (I²
bands). OIS hand-computed: two-sided α 0.05, power 0.80, z = 1.959964 + 0.841621.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from metareview.cli import main
from metareview.rob.grade import (
    GradeDecision,
    GradeRules,
    OutcomeEvidence,
    grade,
    optimal_information_size,
    rate_imprecision,
    rate_inconsistency,
    rate_publication_bias,
    rate_risk_of_bias,
)
from metareview.rob.sof import (
    absolute_effect,
    evidence_from_pool,
    format_effect,
    high_risk_weight,
    sof_csv,
    sof_html,
    summary_of_findings,
)
from metareview.rob.vocabulary import Judgement
from metareview.stats.pooling import pool

RULES = GradeRules()


def ev(**kw):
    base = dict(outcome="O", measure="SMD", k=12, participants=2000, estimate=-0.5,
                ci_lower=-0.7, ci_upper=-0.3, i2=10.0, pi_lower=-0.8, pi_upper=-0.2)  # fmt: skip
    return OutcomeEvidence(**{**base, **kw})


@pytest.mark.parametrize(
    ("share", "rules", "expected"),
    [(None, RULES, 0), (0.2, RULES, 0), (0.49, RULES, 0), (0.5, RULES, -1), (0.9, RULES, -1),
     (0.9, GradeRules(rob_very_serious=0.8), -2), (0.3, GradeRules(rob_serious=0.25), -1)],
)  # fmt: skip
def test_risk_of_bias_rule(share, rules, expected):
    levels, rule = rate_risk_of_bias(ev(high_risk_weight=share), rules)
    assert levels == expected
    assert ("not assessed" in rule) == (share is None)


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"i2": 10.0}, 0),
        ({"i2": 55.0}, -1),
        ({"i2": 80.0}, -1),  # I² ≥ 75 but the PI stays on one side
        ({"i2": 80.0, "pi_lower": -1.5, "pi_upper": 0.4}, -2),
        ({"i2": 30.0, "pi_lower": -1.0, "pi_upper": 0.1}, -1),  # PI crosses, CI does not
        ({"i2": 30.0, "ci_upper": 0.1, "pi_lower": -1.0, "pi_upper": 0.3}, 0),  # both cross
        ({"k": 1, "i2": None, "pi_lower": None, "pi_upper": None}, 0),
    ],
)
def test_inconsistency_rule(kw, expected):
    assert rate_inconsistency(ev(**kw), RULES)[0] == expected


def test_optimal_information_size_by_hand():
    z2 = (1.959964 + 0.841621) ** 2
    assert optimal_information_size(ev(), RULES) == 2 * math.ceil(2 * z2 / 0.2**2) == 786
    binary = ev(measure="RR", control_risk=0.2)
    expected = 2 * math.ceil(z2 * (0.2 * 0.8 + 0.15 * 0.85) / 0.05**2)
    assert optimal_information_size(binary, RULES) == expected == 1806
    assert optimal_information_size(ev(measure="MD"), RULES) is None


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, 0),  # CI -0.7 to -0.3, beyond the MID -0.2
        ({"ci_lower": -0.4, "ci_upper": -0.1}, -1),  # crosses one MID threshold
        ({"ci_lower": -0.4, "ci_upper": 0.1}, -1),  # crosses the null (and -0.2)
        ({"ci_lower": -0.5, "ci_upper": 0.3}, -2),  # appreciable benefit and harm
        ({"ci_lower": -0.3, "ci_upper": 0.1, "participants": 300}, -2),  # null + below OIS
        ({"participants": 300}, -1),  # precise-looking CI but below OIS
        ({"measure": "RR", "estimate": math.log(0.6), "ci_lower": math.log(0.5),
          "ci_upper": math.log(0.7)}, 0),
        ({"measure": "RR", "estimate": math.log(0.8), "ci_lower": math.log(0.7),
          "ci_upper": math.log(0.95)}, -1),  # includes RR 0.75
        ({"measure": "RR", "estimate": math.log(0.85), "ci_lower": math.log(0.77),
          "ci_upper": math.log(0.95)}, 0),  # between 0.75 and 1: no threshold inside
        ({"measure": "RR", "estimate": 0.0, "ci_lower": math.log(0.6),
          "ci_upper": math.log(1.4)}, -2),  # includes 0.75 and 1.25
    ],
)  # fmt: skip
def test_imprecision_rule(kw, expected):
    levels, rule = rate_imprecision(ev(**kw), RULES)
    assert levels == expected, rule


def test_imprecision_with_the_reviewers_mid():
    small_mid = GradeRules(mid=0.05)  # OIS 2 × 6280 = 12560 participants
    assert rate_imprecision(ev(ci_lower=-0.4, ci_upper=-0.1, participants=13000), small_mid)[0] == 0
    assert rate_imprecision(ev(ci_lower=-0.4, ci_upper=-0.1), small_mid)[0] == -1
    assert (
        rate_imprecision(
            ev(measure="MD", ci_lower=-4.0, ci_upper=-1.0, participants=None), GradeRules(mid=2.0)
        )[0]
        == -1
    )


@pytest.mark.parametrize(
    ("kw", "expected", "text"),
    [
        ({}, 0, "not assessed"),
        ({"egger_p": 0.04}, -1, "p = 0.040"),
        ({"egger_p": 0.3}, 0, "≥ 0.1"),
        ({"egger_p": 0.01, "k": 6}, 0, "not interpretable"),
        ({"trimfill_k0": 3, "trimfill_ci": (-0.5, 0.05)}, -1, "adjusted CI crosses the null"),
        ({"trimfill_k0": 3, "trimfill_ci": (-0.6, -0.1)}, 0, "adds 3"),
    ],
)
def test_publication_bias_rule(kw, expected, text):
    levels, rule = rate_publication_bias(ev(**kw), RULES)
    assert levels == expected and text in rule


def test_certainty_and_reviewer_decisions():
    evidence = ev(high_risk_weight=0.7, i2=60.0, ci_lower=-0.4, ci_upper=0.1)
    proposed = grade(evidence)
    assert proposed.certainty == "Very low"  # −1 RoB, −1 inconsistency, −1 imprecision
    decided = grade(evidence, [
        GradeDecision("inconsistency", 0, "heterogeneity explained by dose (subgroup analysis)"),
        GradeDecision("indirectness", -1, "only inpatients were studied"),
        GradeDecision("risk of bias", -1, "most weight from open-label trials"),
    ])  # fmt: skip
    ratings = {d.domain: d for d in decided.domains}
    assert ratings["inconsistency"].overridden and ratings["inconsistency"].proposed == -1
    assert not ratings["risk of bias"].overridden
    assert ratings["risk of bias"].footnote == "most weight from open-label trials"
    assert decided.certainty == "Very low"
    assert len(decided.footnotes) == 4
    assert grade(ev(design="observational")).certainty == "Low"
    with pytest.raises(ValueError, match="needs a footnote"):
        GradeDecision("imprecision", -1, " ")
    with pytest.raises(ValueError, match="levels must be"):
        GradeDecision("imprecision", -3, "x")
    with pytest.raises(ValueError, match="domain must be one of"):
        GradeDecision("bias", -1, "x")


def test_evidence_from_a_pooled_result_and_the_sof_table():
    yi, vi = [0.1, 0.3, 0.5, 0.2], [0.02, 0.03, 0.05, 0.04]
    pooled = pool(yi, vi, method="DL", studies=["A", "B", "C", "D"])
    rob = {
        "A": Judgement.HIGH,
        "B": Judgement.LOW,
        "C": Judgement.HIGH,
        "D": Judgement.SOME_CONCERNS,
    }
    evidence = evidence_from_pool(
        pooled, outcome="Hope", measure="SMD", participants=420, overall_rob=rob
    )
    weights = pd.Series(pooled.weights, index=pooled.studies)
    assert evidence.high_risk_weight == pytest.approx((weights["A"] + weights["C"]) / weights.sum())
    assert evidence.estimate == pooled.random.estimate and evidence.i2 == pooled.i2
    with pytest.raises(KeyError, match="'D'"):
        high_risk_weight(pooled.studies, pooled.weights, {k: v for k, v in rob.items() if k != "D"})
    rr = ev(
        outcome="Remission",
        measure="RR",
        estimate=math.log(1.25),
        ci_lower=math.log(1.02),
        ci_upper=math.log(1.53),
        participants=800,
        k=5,
    )
    assert format_effect(rr) == "RR 1.25 (1.02 to 1.53)"
    table = summary_of_findings([grade(evidence), grade(rr)])
    assert table["Participants (studies)"].tolist() == ["420 (4 studies)", "800 (5 studies)"]
    letters = table.attrs["footnotes"]
    assert all(mark in letters for marks in table["Footnotes"] for mark in marks.split(",") if mark)
    html = sof_html([grade(evidence), grade(rr)])
    assert "<caption>Summary of findings</caption>" in html and "RR 1.25 (1.02 to 1.53)" in html
    csv_text = sof_csv([grade(evidence), grade(rr)])
    assert (
        csv_text.splitlines()[0]
        == "Outcome,Participants (studies),Effect (95% CI),Absolute effect (per 1000),Certainty,Footnotes"
    )
    assert "footnote a" in csv_text


def test_cli_grade_on_the_suicide_ideation_trials(shared_data, tmp_path, capsys):
    frame = pd.read_csv(shared_data / "metapsy" / "suicide.csv")
    data = tmp_path / "ideation.csv"
    frame[frame["Hedges' g ideation"].notna()].to_csv(data, index=False)
    out = tmp_path / "sof.html"
    args = ["grade", str(data), "--col", "yi=Hedges' g ideation", "--col", "sei=Standard Error Ideation",
            "--col", "study=Study", "--rob-column", "RoB_overall_ideation", "--participants-column",
            "Total number of participants", "--outcome-column", "Age_group",
            "--decision", "Adults/indirectness=-1:mostly inpatients", "-o", str(out), "--json"]  # fmt: skip
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 0
    import json

    document = json.loads(capsys.readouterr().out)
    by_outcome = {o["outcome"]: o for o in document["outcomes"]}
    assert set(by_outcome) == {"Adults", "Adolescents"}
    adults = {d["domain"]: d for d in by_outcome["Adults"]["domains"]}
    assert adults["indirectness"]["levels"] == -1 and adults["indirectness"]["overridden"]
    assert adults["risk of bias"]["levels"] == -1  # most of the weight from high-risk trials
    assert "Summary of findings" in out.read_text()
    with pytest.raises(SystemExit) as done:
        main(
            [
                "grade",
                str(data),
                "--col",
                "yi=Hedges' g ideation",
                "--col",
                "sei=Standard Error Ideation",
                "--col",
                "study=Study",
                "--decision",
                "indirectness=-1",
            ]
        )
    assert done.value.code == 2 and "DOMAIN=LEVELS:FOOTNOTE" in capsys.readouterr().err


def test_small_study_analyses_feed_the_publication_bias_rule():
    from metareview.stats.bias.small_study import small_study_effects

    yi = [0.71, 0.35, 1.79, 0.18, 0.42, 0.60, 0.31, 0.95, 0.22, 1.20]
    vi = [0.068, 0.039, 0.119, 0.014, 0.030, 0.060, 0.020, 0.090, 0.010, 0.150]
    pooled = pool(yi, vi, method="REML")
    bias = small_study_effects(yi, vi, preset="metafor")
    evidence = evidence_from_pool(
        pooled, outcome="O", measure="SMD", participants=1000, small_study=bias
    )
    assert evidence.egger_p == bias.primary_egger.pvalue
    assert evidence.trimfill_k0 == bias.trim_and_fill.k0
    levels, rule = rate_publication_bias(evidence, RULES)
    assert "Egger's test p = " in rule and levels == (-1 if bias.primary_egger.pvalue < 0.10 else 0)
    not_run = small_study_effects(yi[:5], vi[:5])
    assert (
        evidence_from_pool(
            pool(yi[:5], vi[:5]), outcome="O", measure="SMD", participants=None, small_study=not_run
        ).egger_p
        is None
    )


def test_absolute_effects_per_1000_by_hand():
    """Risk with intervention: RR × CR; OR: odds × OR back to a risk; RD: CR + RD."""
    from metareview.rob.sof import absolute_effect

    odds = ev(
        measure="OR",
        estimate=math.log(2.0),
        ci_lower=math.log(1.5),
        ci_upper=math.log(3.0),
        control_risk=0.2,
    )
    # 0.25 × 2 = 0.5 → 333; 0.25 × 1.5 = 0.375 → 273; 0.25 × 3 = 0.75 → 429
    assert absolute_effect(odds) == "200 vs 333 per 1000: 133 more (73 more to 229 more)"
    diff = ev(measure="RD", estimate=-0.05, ci_lower=-0.1, ci_upper=0.0, control_risk=0.2)
    assert absolute_effect(diff) == "200 vs 150 per 1000: 50 fewer (100 fewer to 0 more)"
    assert absolute_effect(ev()) == "—" and absolute_effect(ev(measure="RR")) == "—"


def test_cli_grade_binary_outcome_with_observed_control_risk(shared_data, tmp_path, capsys):
    """dmetar DepressionMortality (18 cohorts): RR 2.02 (1.63 to 2.52) as in Harrer et al.,
    Doing Meta-Analysis in R, ch. 4; the control risk is the pooled control-arm risk."""
    import json

    data = shared_data / "dmetar" / "DepressionMortality.csv"
    frame = pd.read_csv(data)
    control = frame["event.c"].sum() / frame["n.c"].sum()
    args = ["grade", str(data), "--measure", "RR", "--design", "observational", "--col", "study=author",
            "--col", "event_arm1=event.e", "--col", "totaln_arm1=n.e", "--col", "event_arm2=event.c",
            "--col", "totaln_arm2=n.c", "-o", str(tmp_path / "sof.csv"), "--json"]  # fmt: skip
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 0
    outcome = json.loads(capsys.readouterr().out)["outcomes"][0]
    assert outcome["start"] == "Low" and outcome["participants"] == int(
        frame["n.e"].sum() + frame["n.c"].sum()
    )
    assert f"{math.exp(outcome['estimate']):.2f}" == "2.02"
    sof = pd.read_csv(tmp_path / "sof.csv")
    expected = (
        f"{control * 1000:.0f} vs {control * math.exp(outcome['estimate']) * 1000:.0f} per 1000"
    )
    assert sof.loc[0, "Absolute effect (per 1000)"].startswith(expected)


def test_effects_that_round_to_zero_print_without_a_sign():
    near_zero = ev(estimate=-0.001, ci_lower=-0.3, ci_upper=0.0004, pi_lower=-0.004)
    assert format_effect(near_zero) == "SMD 0.00 (-0.30 to 0.00)"
    assert "prediction interval 0.00 to" in rate_inconsistency(near_zero, RULES)[1]
    tiny = ev(measure="RR", estimate=math.log(0.999), ci_lower=math.log(0.9),
              ci_upper=math.log(1.1), control_risk=0.3)  # fmt: skip
    assert absolute_effect(tiny) == "300 vs 300 per 1000: 0 more (30 fewer to 30 more)"


def test_participants_are_a_lower_bound_when_some_trials_report_no_sizes():
    """A precomputed-g row without ns must not blank the whole outcome's participants: the
    count becomes "≥ N", and it decides the optimal information size only when it reaches it."""
    import pandas as pd

    from metareview.rob.grade import GradeRules, OutcomeEvidence, rate_imprecision
    from metareview.rob.sof import participants_count

    rows = pd.DataFrame(
        {"study": ["A", "B", "C"], "n_arm1": [60, 40, None], "n_arm2": [58, 41, None]}
    )
    assert participants_count(rows) == (199, True)
    assert participants_count(rows.iloc[:2]) == (199, False)
    assert participants_count(rows.iloc[2:]) == (None, False)

    def imprecision(participants, incomplete):
        ev = OutcomeEvidence(
            "Hope",
            "SMD",
            k=3,
            participants=participants,
            estimate=0.35,
            ci_lower=0.25,
            ci_upper=0.45,
            participants_incomplete=incomplete,
        )
        return rate_imprecision(ev, GradeRules())

    complete_short = imprecision(199, False)
    bound_short = imprecision(199, True)
    assert complete_short[0] == -1  # 199 < OIS (786 for SMD 0.2) counts against it
    assert bound_short[0] == 0 and "not assessable" in bound_short[1]
    assert imprecision(900, True)[0] == 0 and "reached" in imprecision(900, True)[1]


def test_cli_grade_level_sets_the_pooled_interval_and_the_table_heading(
    shared_data, tmp_path, capsys
):
    """``--level 0.9``: the 90% CI of the pooled log RR as R metafor (fixture:
    tests/reference/grade_level.R → grade_level.json) and the SoF column "Effect (90% CI)"."""
    import json

    reference = Path(__file__).parent / "reference" / "grade_level.json"
    expected = json.loads(reference.read_text())["depression_mortality_rr_reml_level90"]
    data = shared_data / "dmetar" / "DepressionMortality.csv"
    args = ["grade", str(data), "--measure", "RR", "--col", "study=author", "--col",
            "event_arm1=event.e", "--col", "totaln_arm1=n.e", "--col", "event_arm2=event.c",
            "--col", "totaln_arm2=n.c"]  # fmt: skip
    with pytest.raises(SystemExit) as done:
        main([*args, "--level", "0.9", "-o", str(tmp_path / "sof.csv"), "--json"])
    assert done.value.code == 0
    outcome = json.loads(capsys.readouterr().out)["outcomes"][0]
    assert outcome["level"] == 0.9 and outcome["k"] == expected["k"]
    for key in ("estimate", "ci_lower", "ci_upper"):
        assert outcome[key] == pytest.approx(expected[key], rel=1e-6)
    assert "Effect (90% CI)" in pd.read_csv(tmp_path / "sof.csv").columns
    with pytest.raises(SystemExit) as done:
        main([*args, "--level", "90"])
    err = capsys.readouterr().err.strip()
    assert done.value.code == 2 and "--level" in err and "0.9" in err
    assert len(err.splitlines()) == 1
