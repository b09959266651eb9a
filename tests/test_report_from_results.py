"""The report renders from ``results.json`` alone: every figure draws what the run stored
(trim-and-fill's imputed studies, leave-one-out, influence, the GOSH cloud), and nothing in
the report fits a model again (issue 13)."""

from __future__ import annotations

import ast
import importlib
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from metareview.plan.plan import load_plan
from metareview.plan.results import ReviewResults
from metareview.plan.runner import run_plan
from metareview.report.build import write_report
from metareview.stats.bias.trimfill import trim_and_fill
from metareview.stats.gosh import GoshResult, gosh
from metareview.stats.influence import InfluenceResult, influence
from metareview.stats.leave_one_out import LeaveOneOutResult, leave_one_out
from metareview.stats.pooling import pool
from tests.report_records import thirdwave_plan

REPORT = Path(__file__).resolve().parents[1] / "src" / "metareview" / "report"

#: The functions that fit or test anything: pooling, τ², influence, leave-one-out, outliers,
#: the small-study tests, GOSH, subgroups, the Mantel–Haenszel and Peto pools, the
#: regressions (meta-regression, multilevel models), the multiverse and its test.
FITTING = {
    "analyze",
    "pool",
    "pool_many",
    "estimate_tau2",
    "trim_and_fill",
    "gosh",
    "influence",
    "influential_many",
    "leave_one_out",
    "find_outliers",
    "regression_test",
    "rank_correlation_test",
    "pet_peese",
    "selection_model",
    "fail_safe_n",
    "small_study_effects",
    "subgroup_analysis",
    "mantel_haenszel",
    "peto",
    "mantel_haenszel_random",
    "metareg",
    "permutation_test",
    "fit_multilevel",
    "multiverse",
    "specification_test",
}


@pytest.fixture(scope="module")
def run(tmp_path_factory, shared_data):
    """ThirdWave (18 trials) with trim-and-fill, leave-one-out and GOSH."""
    folder = tmp_path_factory.mktemp("from-results")
    plan = thirdwave_plan(
        folder,
        shared_data,
        'sensitivity = ["leave_one_out", "gosh"]\nsmall_study = ["egger", "trimfill"]',
    )
    results = run_plan(load_plan(plan), jobs=1, cache_dir=folder / "cache")
    index = write_report(results, folder / "first")
    return results, index, folder


def refuse_fitting(monkeypatch):
    """Make every fitting function, wherever a metareview module imported it, raise."""

    def refuse(*args, **kwargs):
        raise AssertionError("the report fitted a model again")

    for name, module in list(sys.modules.items()):
        if not name.startswith("metareview."):
            continue
        for attribute in FITTING & set(vars(module)):
            if callable(getattr(module, attribute)):
                monkeypatch.setattr(module, attribute, refuse)


def test_the_report_is_the_same_from_results_json_with_fitting_refused(run, monkeypatch):
    _, index, folder = run
    stored = json.loads((folder / "first" / "results.json").read_text(encoding="utf-8"))
    refuse_fitting(monkeypatch)
    again = write_report(ReviewResults.from_dict(stored), folder / "second")
    assert again.read_text(encoding="utf-8") == index.read_text(encoding="utf-8")
    figures = sorted(p.name for p in (folder / "first" / "figures").glob("*.svg"))
    assert any(name.startswith("gosh-") for name in figures)
    assert any(name.startswith("baujat-") for name in figures)
    for name in figures:
        first = (folder / "first" / "figures" / name).read_text(encoding="utf-8")
        assert (folder / "second" / "figures" / name).read_text(encoding="utf-8") == first


def test_the_stored_sections_equal_a_fresh_fit(run):
    """What the figures draw equals the statistics functions' own results on the same studies
    and settings (so the figures are those the report drew before it stopped refitting)."""
    results, _, _ = run
    record = results["perceived-stress/all-time-points"]
    result = record.result
    yi = [s["yi"] for s in result["studies"]]
    vi = [s["vi"] for s in result["studies"]]
    labels = [str(s["study"]) for s in result["studies"]]
    settings = {k: result[k] for k in ("method", "ci_method", "level", "preset")}
    stored_tf = result["small_study"]["trim_and_fill"]
    fresh_tf = trim_and_fill(
        yi, vi, estimator=stored_tf["estimator"], side=stored_tf["side"], **settings
    )
    assert stored_tf["filled_yi"] == list(fresh_tf.filled_yi)
    assert stored_tf["filled_vi"] == list(fresh_tf.filled_vi)
    fresh_loo = leave_one_out(yi, vi, studies=labels, **settings)
    stored_loo = LeaveOneOutResult.from_dict(
        result["leave_one_out"], result["method"], result["ci_method"]
    )
    assert stored_loo == fresh_loo
    assert result["random"] == pool(yi, vi, studies=labels, **settings).random.to_dict()
    fresh_influence = influence(yi, vi, method=result["method"], studies=labels)
    assert InfluenceResult.from_dict(result["influence"], result["method"]) == fresh_influence
    fresh_gosh = gosh(yi, vi, method=result["method"], subsets=20_000, seed=0, studies=labels)
    stored_gosh = GoshResult.from_dict(record.gosh)
    assert stored_gosh.n_subsets == 20_000 and not stored_gosh.exhaustive
    assert np.array_equal(stored_gosh.membership, fresh_gosh.membership)
    for name in ("estimate", "tau2", "i2", "h2", "q", "subset_k"):
        assert np.array_equal(getattr(stored_gosh, name), getattr(fresh_gosh, name), equal_nan=True)


def _fitting_calls(path: Path) -> list[str]:
    """The functions of :data:`FITTING` a module imports from metareview (at any depth, so
    imports inside functions count), or reaches through a metareview module it imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {
                alias.asname or alias.name
                for alias in node.names
                if alias.name.startswith("metareview.")
            }
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("metareview."):
            for alias in node.names:
                imported = getattr(importlib.import_module(node.module), alias.name, None)
                if isinstance(imported, ModuleType):
                    modules.add(alias.asname or alias.name)
                elif alias.name in FITTING:
                    found.append(f"from {node.module} import {alias.name}")
    found += [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in FITTING
        and ast.unparse(node.value) in modules
    ]
    return found


@pytest.mark.parametrize("module", sorted(path.name for path in REPORT.glob("*.py")))
def test_no_report_module_reaches_a_function_that_fits_or_tests(module):
    assert _fitting_calls(REPORT / module) == []
