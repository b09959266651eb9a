"""evaluate_stopping: recall at stopping per rule over simulated runs, checked by hand on
tiny cases, and on stopping points computed from a hand-made screening order."""

from __future__ import annotations

import pytest

from metareview.records.simulation import stopping_points
from metareview.records.stopping_evaluation import evaluate_stopping


def test_recall_at_stopping_by_hand():
    # 20 runs of one rule: recall 1.0 in 17, 0.9 in 2, never stopped in 1 (counts as 1.0).
    runs = [{"rule": {"screened": 10, "recall": 1.0, "work_saved": 0.5}}] * 17
    runs += [{"rule": {"screened": 8, "recall": 0.9, "work_saved": 0.6}}] * 2
    runs += [{"rule": {"screened": None, "recall": None, "work_saved": None}}]
    row = evaluate_stopping(runs).rules[0]
    assert row.runs == 20 and row.never_stopped == 1
    assert row.mean_recall == pytest.approx((18 * 1.0 + 2 * 0.9) / 20)
    assert row.below_target == pytest.approx(2 / 20)
    assert row.min_recall == pytest.approx(0.9)
    # 5th percentile of 20 values sorted [0.9, 0.9, 1.0, ...]: position 0.95 → 0.9 + 0.95 × 0
    assert row.recall_p5 == pytest.approx(0.9)
    assert row.mean_work_saved == pytest.approx((17 * 0.5 + 2 * 0.6) / 20)


def test_exactly_the_target_is_not_below_it():
    runs = [{"r": {"screened": 5, "recall": 19 / 20, "work_saved": 0.1}}]
    assert evaluate_stopping(runs, recall_target=0.95).rules[0].below_target == 0.0


def test_rules_keep_their_order_and_frame_has_one_row_each():
    order = [1, 0, 1] + [0] * 60 + [1] + [0] * 200  # the last relevant found late
    every = [1] * 4 + [0] * 262
    points = stopping_points(order, every, seed=0, stop_run=50)
    evaluation = evaluate_stopping([points, points])
    frame = evaluation.to_frame()
    assert list(frame.index) == list(points)
    consecutive = frame.loc["50 consecutive irrelevant"]
    # 50 irrelevant in a row after the 3rd record: stops at 53 with 2 of 3 relevant found
    assert consecutive["mean_recall"] == pytest.approx(2 / 3)
    assert consecutive["below_target"] == 1.0
    assert evaluation.to_dict()["rules"][0]["rule"] == "50 consecutive irrelevant"
    assert "50 consecutive irrelevant: 2 runs" in evaluation.summary()


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="no simulated runs"):
        evaluate_stopping([])
    with pytest.raises(ValueError, match="recall_target"):
        evaluate_stopping([{"r": {"screened": None}}], recall_target=1.5)
