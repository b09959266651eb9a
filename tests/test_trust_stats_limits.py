"""Issue 14, item 11 (stats and plan): inputs that raised internal errors or asked for
unbounded memory or time now get a clear error, or work."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metareview.errors import AnalysisError, PlanError
from metareview.plan.plan import parse_plan
from metareview.plan.robustness import MAX_K_CASE_DIAGNOSTICS, robustness_sections
from metareview.stats.gosh import gosh, memory_needed
from metareview.stats.metaregression import MAX_PERMUTATIONS, metareg
from metareview.stats.pooling import pool
from metareview.stats.wls import LinearModel
from tests.test_cli_basics import run_cli

TABLE = "study,yi,vi\nA,0.1,0.01\nB,0.3,0.02\nC,0.2,0.015\nD,0.5,0.03\n"


def _one_line_error(result, code: int) -> str:
    assert result.returncode == code, result.stderr
    assert result.stderr.count("\n") == 1 and "internal error" not in result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_unknown_measure_is_a_usage_error(tmp_path):
    data = tmp_path / "t.csv"
    data.write_text(TABLE)
    message = _one_line_error(run_cli("analyze", str(data), "--measure", "ZCOR"), 2)
    assert "'ZCOR' is not one of" in message and "SMD" in message


def test_a_plan_with_only_a_title_and_data_says_it_has_no_analysis():
    with pytest.raises(PlanError, match="defines no analysis"):
        parse_plan('title = "x"\n[data]\nfile = "t.csv"\n')


def test_a_deeply_nested_plan_is_a_plan_error():
    deep = "a = " + "[" * 50_000 + "]" * 50_000 + "\n"
    with pytest.raises(PlanError, match="nested too deeply"):
        parse_plan(deep)


def test_a_deeply_nested_plan_is_one_line_on_the_command_line(tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text("a = " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert "nested too deeply" in _one_line_error(run_cli("run", str(plan)), 2)


def test_meta_regression_is_linear_in_k():
    """A k × k matrix at k = 200,000 would need 320 GB: the fit must not form one."""
    rng = np.random.default_rng(1)
    k = 200_000
    x = rng.normal(size=k)
    y = 0.2 + 0.1 * x + rng.normal(scale=0.2, size=k)
    v = rng.uniform(0.01, 0.05, size=k)
    res = metareg(y, v, {"x": x}, method="DL")
    assert res.coefficients[1].estimate == pytest.approx(0.1, abs=0.01)
    state = LinearModel(y, v, np.column_stack([np.ones(k), x])).at(0.01)
    assert np.isfinite([state.tr_p, state.tr_pp, state.yp3y]).all()


def test_linear_model_terms_equal_the_k_by_k_formulas():
    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(7), rng.normal(size=7), rng.normal(size=7)])
    y, v = rng.normal(size=7), rng.uniform(0.01, 0.1, size=7)
    state = LinearModel(y, v, X).at(0.05)
    W = np.diag(1 / (v + 0.05))
    P = W - W @ X @ np.linalg.inv(X.T @ W @ X) @ X.T @ W
    assert state.tr_p == pytest.approx(np.trace(P), rel=1e-12)
    assert state.tr_pp == pytest.approx(np.trace(P @ P), rel=1e-12)
    assert state.yp3y == pytest.approx(y @ P @ P @ P @ y, rel=1e-10)
    rss, trace = LinearModel(y, v, X).ols_residual_terms()
    H = X @ np.linalg.inv(X.T @ X) @ X.T
    assert rss == pytest.approx(y @ (np.eye(7) - H) @ y, rel=1e-12)
    assert trace == pytest.approx(np.trace((np.eye(7) - H) @ np.diag(v)), rel=1e-12)


def test_case_diagnostics_are_left_out_with_a_note_beyond_their_limit():
    k = MAX_K_CASE_DIAGNOSTICS + 1
    rng = np.random.default_rng(3)
    y, v = rng.normal(0.3, 0.2, k), rng.uniform(0.01, 0.1, k)
    studies = [f"S{i}" for i in range(k)]

    class Settings:
        method, ci_method, level, preset, by = "DL", "z", 0.95, "metafor", None

    sections = robustness_sections(y, v, studies, list(range(2, k + 2)), pool(y, v), Settings)
    assert sections.leave_one_out is None and sections.influence is None
    assert sections.notes and f"{k:,} studies" in sections.notes[0]


def test_gosh_says_how_much_memory_too_many_subsets_need():
    yi = np.linspace(0.1, 0.9, 40)
    with pytest.raises(AnalysisError, match=r"needs about 8\d\.\d GB of memory"):
        gosh(yi, np.full(40, 0.02), subsets=10**9)
    assert memory_needed(40, 10**9) > 4 * 2**30


def test_gosh_subsets_1e9_on_the_command_line(tmp_path):
    data = tmp_path / "t.csv"
    rows = "".join(f"S{i},{0.1 + 0.02 * i:.2f},0.02\n" for i in range(40))
    data.write_text("study,yi,vi\n" + rows)
    result = run_cli("gosh", str(data), "--subsets", str(10**9))
    assert "GB of memory" in _one_line_error(result, 1)


def test_permutations_are_bounded():
    yi, vi = [0.1, 0.3, 0.35, 0.6, 0.8, 0.5], [0.02, 0.03, 0.02, 0.04, 0.03, 0.02]
    with pytest.raises(ValueError, match="at most 100,000"):
        metareg(yi, vi, {"dose": [1, 2, 2, 3, 4, 3]}, permutations=10**12)
    assert MAX_PERMUTATIONS == 100_000
    plan = (
        '[data]\nfile = "t.csv"\n[[category]]\nname = "a"\n'
        '[analyses]\nmetaregression = [{ moderators = ["x"], permutations = 1000000000000 }]\n'
    )
    with pytest.raises(PlanError, match="permutations"):
        parse_plan(plan)


def test_permutations_are_bounded_on_the_command_line(tmp_path):
    data = tmp_path / "t.csv"
    data.write_text("study,yi,vi,dose\nA,0.1,0.02,1\nB,0.3,0.03,2\nC,0.35,0.02,2\nD,0.6,0.04,3\n")
    result = run_cli("metareg", str(data), "--mods", "dose", "--permutations", str(10**12))
    assert "100000" in _one_line_error(result, 2).replace(",", "")


@settings(max_examples=25, deadline=None)
@given(
    st.integers(min_value=1, max_value=60_000),
    st.sampled_from([("[", "]"), ("{a = ", "}"), ("[{b = ", "}]")]),
    st.sampled_from(["a = ", "settings.x = ", "[data]\nfile = "]),
)
def test_plans_nested_to_any_depth_end_in_a_plan_error(depth, brackets, key):
    """Deep TOML joins the fuzzers: any nesting ends in a PlanError (never a RecursionError)."""
    opening, closing = brackets
    text = '[data]\nfile = "t.csv"\n' if not key.startswith("[data]") else ""
    with pytest.raises(PlanError):
        parse_plan(text + key + opening * depth + closing * depth + "\n")
