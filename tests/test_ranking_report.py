"""The ranking benchmark's report of saved runs (``benchmarks/ranking_candidates.py
--report``): it reads both kinds of saved runs, and names the reviews on which a candidate is
worse than ASReview's default, in each metric's own direction (issue 19's held-out seeds)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def ranking_candidates():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import ranking_candidates
    finally:
        sys.path.remove(str(BENCHMARKS))
    return ranking_candidates


def test_a_synergy_simulation_run_is_two_rows_the_default_and_asreview(ranking_candidates):
    rows = ranking_candidates.saved_runs(BENCHMARKS / "ranking_seeds3-9" / "asreview-seeds3-9.json")
    assert len(rows) == 2 * 9 * 7
    assert {row["candidate"] for row in rows} == {"default", "asreview"}
    assert sorted({row["seed"] for row in rows}) == list(range(3, 10))
    first = rows[0]
    assert set(first) == {"dataset", "candidate", "seed", "wss95", "rrf10", "atd", "loss"}
    candidate_runs = ranking_candidates.saved_runs(
        BENCHMARKS / "ranking_seeds3-9" / "minilm-seeds3-9.json"
    )
    assert {row["candidate"] for row in candidate_runs} == {"shipped-minilm"}


def test_worse_than_asreview_follows_each_metrics_direction(ranking_candidates, capsys):
    table = pd.DataFrame(
        [
            {"dataset": d, "candidate": c, "seed": 0, "wss95": w, "rrf10": w, "atd": a, "loss": a}
            for d, c, w, a in (
                ("A", "asreview", 0.5, 0.10),
                ("A", "new", 0.6, 0.20),  # higher WSS@95 (better), higher loss (worse)
                ("B", "asreview", 0.5, 0.10),
                ("B", "new", 0.4, 0.05),  # lower WSS@95 (worse), lower loss (better)
            )
        ]
    )
    ranking_candidates.print_tables(table, ["asreview", "new"])
    out = capsys.readouterr().out.splitlines()
    lines = [line for line in out if line.startswith("- ") and "worse than ASReview on" in line]
    assert lines == [f"- new worse than ASReview on: {r}" for r in ("B", "B", "A", "A")]


def test_the_held_out_seeds_report_what_benchmarks_readme_says(ranking_candidates, capsys):
    """minilm at or above ASReview's WSS@95 on every review over seeds 3-9; the default not."""
    rows = [
        row
        for name in ("asreview-seeds3-9.json", "minilm-seeds3-9.json")
        for row in ranking_candidates.saved_runs(BENCHMARKS / "ranking_seeds3-9" / name)
    ]
    ranking_candidates.print_tables(pd.DataFrame(rows), ["default", "asreview", "shipped-minilm"])
    out = capsys.readouterr().out
    wss = out.split("\nrrf10\n")[0]
    assert "- shipped-minilm worse than ASReview on: none" in wss
    assert "- default worse than ASReview on: Jeyaraman_2020, Sep_2021" in wss


def test_the_paired_loss_differences_are_what_benchmarks_readme_says(ranking_candidates):
    """The fifteenth round's paired comparison with ASReview over seeds 0-9: minilm's and
    the vector-svm reader's loss differences are a tenth of their standard errors."""
    rows = [
        row
        for path in (
            "synergy_asreview_seeds.json",
            "ranking_seeds3-9/asreview-seeds3-9.json",
            "ranking_round11/shipped-minilm.json",
            "ranking_seeds3-9/minilm-seeds3-9.json",
            "ranking_round15/seeds0-2.json",
            "ranking_round15/seeds3-9.json",
        )
        for row in ranking_candidates.saved_runs(BENCHMARKS / path)
    ]
    table = pd.DataFrame(rows)
    minilm = ranking_candidates.paired_with_asreview(table, "shipped-minilm")["loss"]
    vectors = ranking_candidates.paired_with_asreview(table, "switch10-rerank10-vecsvm")["loss"]
    assert [round(minilm[0], 5), round(minilm[1], 4), *minilm[2:]] == [-0.00021, 0.0019, 58, 32, 90]
    assert [round(vectors[0], 5), round(vectors[1], 4), *vectors[2:]] == [
        0.00018,
        0.0019,
        56,
        34,
        90,
    ]
