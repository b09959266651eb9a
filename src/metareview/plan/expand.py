"""Expansion of a plan into concrete analyses: outcome × time window × role.

For every outcome category and every time window the plan yields a *main* analysis; in the
windows chosen for extras (default: the first) it adds the category's specific outcomes,
subgroup analyses, meta-regressions, small-study analyses and sensitivity runs. ``[[analysis]]`` entries add
analyses defined by a filter alone. Each :class:`AnalysisSpec` names the rows it takes by
filters; the runner applies them.

>>> from metareview.plan.plan import parse_plan
>>> plan = parse_plan('''
... [data]
... file = "t.csv"
... [[time_window]]
... name = "Post-test"
... time = "post"
... [[category]]
... name = "Clinical recovery"
... values = "clinical recovery"
... outcomes = ["depression"]
... [category.analyses]
... sensitivity = ["low_rob_only"]
... ''')
>>> [spec.id for spec in expand_plan(plan)]
['clinical-recovery/post-test', 'clinical-recovery/post-test/low-rob-only', 'clinical-recovery/post-test/outcome-depression']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from metareview.plan.models import MODEL_LABELS, model_id, model_settings
from metareview.plan.moderators import MetaRegRequest
from metareview.plan.plan import Plan, Runs, Settings, TimeWindow

SENSITIVITY_LABELS = {
    "leave_one_out": "Leave-one-out",
    "gosh": "GOSH plot",
    "outliers_removed": "Outliers removed",
    "influential_removed": "Influential cases removed",
    "low_rob_only": "Low risk of bias only",
    "one_per_study_combined": "One effect per study (combined)",
    "one_per_study_lowest": "One effect per study (lowest)",
    "one_per_study_highest": "One effect per study (highest)",
}
# sensitivity runs that exclude studies found by the main analysis (run after it)
DERIVED_RUNS = ("outliers_removed", "influential_removed")


@dataclass(frozen=True)
class AnalysisSpec:
    """One concrete meta-analysis of the review.

    ``role`` is ``main`` (an outcome category or ``[[analysis]]`` in one window), ``specific``
    (one specific outcome of a category), ``sensitivity`` or ``model`` (one of ``models``,
    :mod:`metareview.plan.models`); for these two ``variant`` names which and ``parent`` is
    the id of the main analysis it varies. ``filters`` map a column to the values kept
    (a tuple) or a ``{"min", "max"}`` range; ``exclude`` the values dropped.
    """

    id: str
    title: str
    group: str
    window: str
    role: str
    settings: Settings
    filters: dict[str, Any]
    exclude: dict[str, Any] = field(default_factory=dict)
    window_rule: TimeWindow | None = None
    outcome: str | None = None
    variant: str | None = None
    parent: str | None = None
    subgroups: tuple[str, ...] = ()
    metaregression: tuple[MetaRegRequest, ...] = ()
    small_study: tuple[str, ...] = ()
    leave_one_out: bool = False
    gosh: bool = False
    min_k: int = 2

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "group": self.group,
            "window": self.window,
            "role": self.role,
            "outcome": self.outcome,
            "variant": self.variant,
            "parent": self.parent,
            "filters": {key: _jsonable(value) for key, value in self.filters.items()},
            "exclude": {key: _jsonable(value) for key, value in self.exclude.items()},
            "subgroups": list(self.subgroups),
            "metaregression": [request.to_dict() for request in self.metaregression],
            "small_study": list(self.small_study),
            "leave_one_out": self.leave_one_out,
            "gosh": self.gosh,
            "min_k": self.min_k,
        }


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def slug(text: str) -> str:
    """A file- and URL-safe id part.

    >>> slug("6–9 months (FU 1)")
    '6-9-months-fu-1'
    """
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "x"


def expand_plan(
    plan: Plan, outcomes_found: dict[str, list[str]] | None = None
) -> list[AnalysisSpec]:
    """The concrete analyses of ``plan``, in report order.

    ``outcomes_found`` maps a category name to the specific outcomes present in the data
    (used when the category does not list them).
    """
    specs: list[AnalysisSpec] = []
    extras_default = (plan.windows[0].name,)
    for category in plan.categories:
        base = {**category.runs.filter, plan.category_column: category.values}
        extras = category.runs.extras_windows or extras_default
        for window in plan.windows:
            with_extras = window.name in extras
            specs.extend(
                _main_and_sensitivity(
                    plan, category.name, base, category.runs, category.settings, window, with_extras
                )
            )
            if not (with_extras and category.runs.specific_outcomes):
                continue
            found = (outcomes_found or {}).get(category.name, [])
            for outcome in category.outcomes or tuple(found):
                specs.append(
                    AnalysisSpec(
                        id=f"{slug(category.name)}/{slug(window.name)}/outcome-{slug(outcome)}",
                        title=f"{category.name}: {outcome}, {window.name}",
                        group=category.name,
                        window=window.name,
                        role="specific",
                        settings=category.settings,
                        filters={**base, plan.outcome_column: (outcome,)},
                        exclude=category.runs.exclude,
                        window_rule=window,
                        outcome=outcome,
                        min_k=plan.min_k.specific_outcome,
                    )
                )
    for custom in plan.custom:
        extras = custom.runs.extras_windows or extras_default
        for window in plan.windows:
            if custom.windows and window.name not in custom.windows:
                continue
            specs.extend(
                _main_and_sensitivity(
                    plan,
                    custom.name,
                    custom.runs.filter,
                    custom.runs,
                    custom.settings,
                    window,
                    window.name in extras,
                )
            )
    return specs


def _main_and_sensitivity(
    plan: Plan,
    group: str,
    filters: dict[str, Any],
    runs: Runs,
    settings: Settings,
    window: TimeWindow,
    with_extras: bool,
) -> list[AnalysisSpec]:
    main_id = f"{slug(group)}/{slug(window.name)}"
    main = AnalysisSpec(
        id=main_id,
        title=f"{group}, {window.name}",
        group=group,
        window=window.name,
        role="main",
        settings=settings,
        filters=dict(filters),
        exclude=runs.exclude,
        window_rule=window,
        subgroups=runs.subgroups if with_extras else (),
        metaregression=runs.metaregression if with_extras else (),
        small_study=runs.small_study if with_extras else (),
        leave_one_out=with_extras and "leave_one_out" in runs.sensitivity,
        gosh=with_extras and "gosh" in runs.sensitivity,
        min_k=plan.min_k.pool,
    )
    specs = [main]
    if not with_extras:
        return specs
    for variant in runs.sensitivity:
        if variant in ("leave_one_out", "gosh"):  # drawn from the main analysis
            continue
        variant_settings = settings
        variant_filters = dict(filters)
        if variant == "low_rob_only":
            variant_filters[plan.rob_column] = plan.rob_low
        elif variant.startswith("one_per_study_"):
            variant_settings = settings.merged(
                {
                    "multiple_effects": variant.removeprefix("one_per_study_").replace(
                        "combined", "combine"
                    )
                }
            )
        specs.append(
            _variant(
                main,
                f"{main_id}/{slug(variant)}",
                "sensitivity",
                variant,
                SENSITIVITY_LABELS[variant],
                variant_settings,
                variant_filters,
            )
        )
    for model in runs.models:
        model_filters = dict(filters)
        if model == "rob":
            model_filters[plan.rob_column] = plan.rob_low
        specs.append(
            _variant(
                main,
                model_id(main_id, model),
                "model",
                model,
                MODEL_LABELS[model],
                model_settings(model, settings),
                model_filters,
            )
        )
    return specs


def _variant(
    main: AnalysisSpec,
    spec_id: str,
    role: str,
    variant: str,
    label: str,
    settings: Settings,
    filters: dict[str, Any],
) -> AnalysisSpec:
    """A sensitivity run or model of ``main``: its rows and window, none of its extras."""
    return replace(
        main,
        id=spec_id,
        title=f"{main.title}: {label.lower()}",
        role=role,
        settings=settings,
        filters=filters,
        variant=variant,
        parent=main.id,
        subgroups=(),
        metaregression=(),
        small_study=(),
        leave_one_out=False,
        gosh=False,
    )
