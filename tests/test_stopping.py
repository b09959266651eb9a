"""Stopping rules: buscar against buscarpy, the knee method on hand-computed curves, SAFE, the
consecutive rule, the live sequence read from a project's log, and `records stopping`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import hypergeom

from metareview.records.events import Event, EventKind
from metareview.records.record import Record
from metareview.records.screening import StageState, screening_sequence
from metareview.records.simulation import simulate
from metareview.records.stopping_rules import (
    RandomSample,
    buscar,
    buscar_p_value,
    buscar_p_values,
    consecutive_irrelevant,
    knee,
    knee_slope_ratio,
    knee_stop_point,
    safe,
)
from metareview.store import Project
from metareview.store.review import vote
from tests.test_records_cli_commands import run

FIXTURE = Path(__file__).parent / "reference" / "buscar_buscarpy.json"


def test_buscar_p_values_equal_buscarpy():
    """buscarpy 0.0.2's calculate_h0 on 36 sequences (tests/reference/buscar_buscarpy.py)."""
    cases = json.loads(FIXTURE.read_text())["cases"]
    assert len(cases) == 36
    assert len({round(c["p_value"], 3) for c in cases}) > 10  # the fixture spans p-values
    for case in cases:
        ours = buscar_p_value(case["labels"], case["records"], case["recall_target"])
        assert ours == pytest.approx(case["p_value"], rel=1e-9, abs=1e-300)


def _brute_force_p(labels: list[int], records: int, target: float) -> float:
    """Every window of the most recent records, straight from the definition."""
    found = sum(labels)
    best = 1.0
    for n in range(1, len(labels) + 1):
        window = labels[-n:]
        before = found - sum(window)
        urn = records - (len(labels) - n)
        needed = int(np.floor(found / target)) + 1 - before
        if needed <= urn and needed > sum(window):
            best = min(best, float(hypergeom.cdf(sum(window), urn, needed, n)))
    return best


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(st.integers(0, 1), min_size=1, max_size=40),
    extra=st.integers(0, 60),
    target=st.sampled_from([0.8, 0.9, 0.95]),
)
def test_buscar_p_value_is_its_definition(labels, extra, target):
    records = len(labels) + extra
    p = buscar_p_value(labels, records, target)
    assert p == pytest.approx(_brute_force_p(labels, records, target), rel=1e-12, abs=1e-300)
    assert p == buscar_p_values(labels, records, target)[-1]


def test_buscar_stops_and_bounds_recall():
    labels = [1] * 20 + [0] * 900
    advice = buscar(labels, 1000)
    assert advice.stop and advice.statistic["p_value"] < 0.05
    missed = advice.relevant_left
    assert advice.recall_estimate == pytest.approx(20 / (20 + missed))

    # The bound is the largest number missed that is not rejected.
    def p(missed: float) -> float:
        return buscar_p_value(labels, 1000, 20 / (20 + missed - 0.5))

    assert p(missed) >= 0.05 > p(missed + 1)


def test_buscar_random_sample_recommendation_lets_it_stop():
    labels = [1] * 10 + [0] * 20
    advice = buscar(labels, 2000)
    assert not advice.stop
    # 1 more relevant record would break 95 %: (1970 − n)/1970 < 0.05 needs n = 1872.
    assert advice.screen_more == 1872
    assert buscar(labels + [0] * 1872, 2000).stop
    # The sample alone is the evidence counted: one record fewer would not reject (the
    # longer windows reaching back into the ranked records may stop a little earlier).
    assert hypergeom.cdf(0, 1970, 1, 1871) >= 0.05 > hypergeom.cdf(0, 1970, 1, 1872)


def test_buscar_when_everything_is_screened():
    advice = buscar([1, 0, 1, 0], 4)
    assert advice.recall_estimate == 1.0 and advice.relevant_left == 0.0


def test_knee_on_hand_computed_curves():
    # Gain curve 1,1,2,2,2,2: heights r_s·6 − s·2 = 4, 2, 6, 4, 2 → knee at 3;
    # ratio (2/3) / ((1 + 2 − 2)/(6 − 3)) = 2.
    assert knee_slope_ratio([1, 0, 1, 0, 0, 0]) == (3, pytest.approx(2.0))
    assert knee_slope_ratio([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]) == (4, pytest.approx(6.0))
    assert knee_slope_ratio([0, 0, 0]) is None  # a flat curve has no knee
    # 30 relevant first: ratio t − 30 must reach 156 − 30 = 126, so t = 156.
    assert knee_stop_point([1] * 30 + [0] * 300) == 156
    # 200 relevant: the threshold is 6 but nothing stops before 150 records.
    assert knee_stop_point([1] * 149 + [0] * 2) is None
    advice = knee([1] * 30 + [0] * 100, records=1000)
    assert not advice.stop and advice.screen_more == 20
    assert advice.statistic["threshold"] == 126


def test_safe_needs_a_random_sample_then_its_three_criteria():
    first = safe([1, 0], records=1000, random_sample=None)
    assert not first.stop and first.screen_more == 10 and "phase 1" in first.message
    sample = RandomSample(50, 5)  # 10 % relevant → 100 expected → 200 to screen
    short = safe([1] * 30 + [0] * 100, records=1000, random_sample=sample)
    assert not short.stop and short.screen_more == 70
    assert safe([1] * 30 + [0] * 170, records=1000, random_sample=sample).stop
    not_in_a_row = safe([1] * 30 + [0] * 169 + [1], records=1000, random_sample=sample)
    assert not not_in_a_row.stop and "50 irrelevant in a row" in not_in_a_row.message
    with pytest.raises(ValueError, match="random sample"):
        RandomSample(10, 11)


def test_consecutive_irrelevant():
    assert consecutive_irrelevant([1] + [0] * 50, records=100).stop
    advice = consecutive_irrelevant([0] * 10 + [1] + [0] * 5, records=20, run=50)
    assert not advice.stop and advice.screen_more == 4  # only 4 records are left


def test_rules_reject_labels_that_are_not_zero_or_one():
    with pytest.raises(ValueError, match="labels must be 1"):
        buscar([1, 2], 10)
    with pytest.raises(ValueError, match="at least the 3 screened"):
        knee([1, 0, 0], 2)


def test_screening_sequence_follows_undo_and_blinding():
    t = datetime(2026, 1, 1, tzinfo=UTC)
    log = [
        Event(1, t, "ana", EventKind.DECISION, "ta", 5, "include"),
        Event(2, t, "ana", EventKind.DECISION, "ta", 6, "maybe"),
        Event(3, t, "ana", EventKind.UNDO, "ta", 5, None, data={"undoes": 1}),
        Event(4, t, "ana", EventKind.DECISION, "ta", 5, "exclude"),
        Event(5, t, "ben", EventKind.DECISION, "ta", 6, "exclude"),
        Event(6, t, "ben", EventKind.DECISION, "ta", 5, "exclude"),
        Event(7, t, "ben", EventKind.DECISION, "ta", 9, "include"),  # ana has not voted
    ]
    state = StageState.from_events(log, "ta")
    assert screening_sequence(state, "ana") == ((6, 1), (5, 0))
    # Team: 6 completes at event 5 (a conflict counts as kept), 5 at event 6; 9 is blinded.
    assert screening_sequence(state) == ((6, 1), (5, 0))


@pytest.fixture
def screened_project(tmp_path):
    path = str(tmp_path / "p.mrproj")
    with Project.open(path, create=True) as project:
        records = [Record(title=f"Trial {i}") for i in range(400)]
        ids = project.add_import("hits.ris", records, actor="lead").record_ids
        for record_id in ids[:260]:
            for who in ("ana", "ben"):
                decision = "include" if record_id <= 12 else "exclude"
                vote(project, record_id, reviewer=who, stage="ta", decision=decision)
        vote(project, ids[300], reviewer="ana", stage="ta", decision="include")
    return path


def test_records_stopping_prints_every_rule(screened_project):
    code, out, err = run("stopping", screened_project)
    assert code == 0, err
    assert "260 of 400 records screened, 12 kept, 140 unscreened" in out
    for rule in ("buscar:", "knee: stop", "SAFE: go on", "50 consecutive irrelevant: stop"):
        assert rule in out
    code, out, _ = run("stopping", screened_project, "--reviewer", "ana", "--json")
    advice = {a["rule"]: a for a in json.loads(out)}
    assert advice["buscar"]["screened"] == 261 and advice["buscar"]["relevant_found"] == 13
    assert set(advice["buscar"]["statistic"]) == {"p_value", "recall_target", "alpha"}
    code, out, _ = run("stopping", screened_project, "--random-sample", "40:1", "--json")
    safe_advice = next(a for a in json.loads(out) if a["rule"] == "SAFE")
    assert safe_advice["stop"] and safe_advice["statistic"]["expected_relevant"] == 10


def test_records_stopping_bad_random_sample_is_one_line(screened_project):
    code, _, err = run("stopping", screened_project, "--random-sample", "many")
    assert code == 2 and "SIZE:RELEVANT" in err and "Traceback" not in err


def test_simulation_reports_every_rule():
    texts = [f"exercise depression trial {i}" for i in range(8)] + [
        f"unrelated topic number {i} of hospital history" for i in range(300)
    ]
    result = simulate(texts, [1] * 8 + [0] * 300, seed=1)
    names = " | ".join(result.stopping)
    assert "knee" in names and "SAFE" in names and "Callaghan" in names
    for stop in result.stopping.values():
        assert stop["screened"] is None or 0 <= stop["recall"] <= 1
