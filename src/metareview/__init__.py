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
    "load_table": "metareview.data.table",
    "ExtractionTable": "metareview.data.table",
    "MetareviewError": "metareview.errors",
    "DataError": "metareview.errors",
    "PlanError": "metareview.errors",
    "ConvergenceError": "metareview.errors",
    "PRESETS": "metareview.stats.presets",
    "get_preset": "metareview.stats.presets",
    "RobTable": "metareview.rob.table",
    "PrismaCounts": "metareview.rob.prisma",
    "Project": "metareview.store.project",
    "agreement": "metareview.records.agreement",
}


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'metareview' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
