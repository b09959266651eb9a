"""The multiverse of a plan's outcome: ``[category.multiverse]`` (or ``[analysis.multiverse]``).

A category or analysis with a ``multiverse`` table gets a multiverse analysis
(:func:`metareview.plan.multiverse.multiverse`) of its rows in one time window, with the
category's measure, preset, direction and ρ, the plan's risk-of-bias column and the pool
minimum k; with ``bootstrap = N`` also the specification-curve test. The result is a
:class:`MultiverseRecord`: its summary and test go to ``results.json``, its specifications to
``tables/multiverse-<id>.csv`` and ``.parquet`` (:mod:`metareview.report.build`).

>>> from metareview.plan.plan import parse_plan
>>> plan = parse_plan('[data]\\nfile = "t.csv"\\n[[category]]\\nname = "Pain"\\n'
...                   '[category.multiverse]\\nmethods = ["REML", "DL"]\\nby = ["format"]\\n')
>>> [(request.key, request.window) for request in multiverse_requests(plan)]
[('category[1].multiverse', 'All time points')]
>>> parse_plan('[data]\\nfile = "t.csv"\\n[[category]]\\nname = "Pain"\\n'
...            '[category.multiverse]\\nwindow = "Post"\\n')
Traceback (most recent call last):
...
metareview.errors.PlanError: plan.toml, line 6, key 'category[1].multiverse.window': got 'Post', expected one of All time points
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from metareview.plan.expand import slug
from metareview.plan.multiverse import Factors, multiverse, specification_test
from metareview.plan.multiverse_record import MultiverseRecord, factors_document
from metareview.plan.selection import filter_rows, in_window
from metareview.stats.presets import get_preset

if TYPE_CHECKING:
    from metareview.plan.plan import Plan, Settings, TimeWindow

FACTOR_KEYS = ("studies", "effects", "methods", "models", "ci_methods")


@dataclass(frozen=True)
class MultiverseRequest:
    """One plan ``multiverse`` table, resolved: where it came from and what it analyses."""

    key: str
    name: str
    window: str
    filters: dict[str, Any]
    exclude: dict[str, Any]
    settings: Settings
    table: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{slug(self.name)}/{slug(self.window)}/multiverse"


def multiverse_requests(plan: Plan) -> list[MultiverseRequest]:
    """Every ``multiverse`` table of ``plan``'s categories and analyses, in plan order."""
    requests = []
    for item in (*plan.categories, *plan.custom):
        kind, index = item.key.split("[")
        table = plan.document[kind][int(index.rstrip("]")) - 1].get("multiverse")
        if table is None:
            continue
        filters = dict(item.runs.filter)
        if kind == "category":
            filters[plan.category_column] = item.values
        window = table.get("window", plan.windows[0].name)
        requests.append(
            MultiverseRequest(
                f"{item.key}.multiverse",
                item.name,
                window,
                filters,
                dict(item.runs.exclude),
                item.settings,
                table,
            )
        )
    return requests


def multiverse_checks(plan: Plan) -> list[tuple[str, str]]:
    """Problems the schema cannot see: a known window, a risk-of-bias column for ``low_rob``."""
    names = [window.name for window in plan.windows]
    problems = []
    for request in multiverse_requests(plan):
        if request.window not in names:
            problems.append(
                (
                    f"{request.key}.window",
                    f"got {request.window!r}, expected one of {', '.join(names)}",
                )
            )
    return problems


def multiverse_columns(plan: Plan) -> list[tuple[str, str]]:
    """(key, column) of every column the plan's multiverses read."""
    wanted = []
    for request in multiverse_requests(plan):
        wanted += [(f"{request.key}.by", column) for column in request.table.get("by", [])]
        if "low_rob" in request.table.get("studies", []):
            wanted.append(("rob.column", plan.rob_column))
    return wanted


def request_factors(plan: Plan, request: MultiverseRequest) -> Factors:
    """The :class:`Factors` of a request: its levels, else the defaults of ``Factors``."""
    settings = request.settings
    rho = settings.rho if settings.rho is not None else get_preset(settings.preset).within_study_rho
    return Factors(
        **{key: tuple(request.table[key]) for key in FACTOR_KEYS if key in request.table},
        filters={column: () for column in request.table.get("by", [])},
        rob_column=plan.rob_column if "low_rob" in request.table.get("studies", []) else None,
        rob_low=tuple(str(v) for v in plan.rob_low),
        rho=rho,
        level=settings.level,
        min_k=plan.min_k.pool,
        preset=settings.preset,
    )


def run_multiverses(
    plan: Plan, effects: dict[tuple, pd.DataFrame], workers: int = 1
) -> tuple[MultiverseRecord, ...]:
    """Every multiverse of ``plan`` on the runner's effect-size tables (keyed by measure,
    preset and direction); the tests' resamples are fitted by ``workers`` processes."""
    requests = multiverse_requests(plan)
    if workers > 1 and any(request.table.get("bootstrap") for request in requests):
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return _run(plan, effects, requests, pool.map, workers)
    return _run(plan, effects, requests, map, 1)


def _run(
    plan: Plan,
    effects: dict[tuple, pd.DataFrame],
    requests: list[MultiverseRequest],
    mapper: Callable[..., Iterable[Any]],
    chunks: int,
) -> tuple[MultiverseRecord, ...]:
    records = []
    windows: dict[str, TimeWindow] = {window.name: window for window in plan.windows}
    for request in requests:
        settings = request.settings
        frame = effects[(settings.measure, settings.preset, settings.higher_is_better)]
        frame = filter_rows(frame, request.filters, request.exclude)
        window = windows[request.window]
        frame = frame[in_window(frame, window.time, window.weeks)]
        factors = request_factors(plan, request)
        result = multiverse(frame, factors)
        test = None
        iterations = request.table.get("bootstrap", 0)
        if iterations and not result.fitted().empty:
            test = specification_test(
                frame, result, iterations=iterations, seed=request.table.get("seed", 0),
                mapper=mapper, chunks=chunks,
            ).to_dict()  # fmt: skip
        records.append(
            MultiverseRecord(
                id=request.id,
                group=request.name,
                title=f"{request.name}, {request.window}",
                window=request.window,
                factors=factors_document(factors),
                choices=result.choices,
                summary=result.summary_numbers(),
                test=test,
                specifications=result.specifications,
            )
        )
    return tuple(records)
