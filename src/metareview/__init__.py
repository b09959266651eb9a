"""metareview: a systematic review of randomized trials, from search exports to the report.

The public entry points are re-exported here lazily, so ``import metareview`` stays fast
and a layer is imported only when it is used.

>>> import metareview
>>> metareview.__version__
'0.1.0'
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_PUBLIC = {
    "subgroup_analysis": "metareview.stats.subgroups",
    "metareg": "metareview.stats.metaregression",
    "leave_one_out": "metareview.stats.leave_one_out",
    "influence": "metareview.stats.influence",
    "find_outliers": "metareview.stats.outliers",
    "gosh": "metareview.stats.gosh",
    "gosh_diagnostics": "metareview.stats.gosh_diagnostics",
    "load_plan": "metareview.plan.plan",
    "run_plan": "metareview.plan.runner",
    "ReviewResults": "metareview.plan.results",
    "write_report": "metareview.report.build",
    "forest_plot": "metareview.report.forest_plot",
    "load_table": "metareview.data.table",
    "ExtractionTable": "metareview.data.table",
    "MetareviewError": "metareview.errors",
    "DataError": "metareview.errors",
    "PlanError": "metareview.errors",
    "ConvergenceError": "metareview.errors",
    "PRESETS": "metareview.stats.presets",
    "get_preset": "metareview.stats.presets",
    "pool": "metareview.stats.pooling",
    "pool_many": "metareview.stats.batch",
    "estimate_tau2": "metareview.stats.tau2",
    "analyze": "metareview.plan.analysis",
    "AnalysisSettings": "metareview.plan.analysis",
    "compute_effects": "metareview.data.effects",
    "RobTable": "metareview.rob.table",
    "PrismaCounts": "metareview.rob.prisma",
    "Project": "metareview.store.project",
    "agreement": "metareview.records.agreement",
    "Ranker": "metareview.records.active_learning",
    "simulate": "metareview.records.simulation",
    "small_study_effects": "metareview.stats.bias.small_study",
    "regression_test": "metareview.stats.bias.egger",
    "rank_correlation_test": "metareview.stats.bias.begg",
    "trim_and_fill": "metareview.stats.bias.trimfill",
    "pet_peese": "metareview.stats.bias.pet_peese",
    "fail_safe_n": "metareview.stats.bias.failsafe",
    "selection_model": "metareview.stats.bias.selection",
    "funnel_data": "metareview.stats.bias.funnel",
    "funnel_plot": "metareview.report.funnel_plot",
    "read_records": "metareview.records.importers",
    "read_many": "metareview.records.importers",
    "deduplicate": "metareview.records.dedup",
}


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'metareview' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
