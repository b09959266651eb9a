"""The analysis plan: a TOML file read into a frozen :class:`Plan`, checked against its schema.

Every problem becomes one :class:`~metareview.errors.PlanError` naming the file, the line and
the key (``plan.toml, line 7, key 'settings.model': got 'fixd', expected one of …``).
See ``docs/plan.md`` for the format and ``plan.schema.json`` for the schema.

>>> plan = parse_plan('[data]\\nfile = "trials.csv"\\n[settings]\\npreset = "revman5"\\n'
...                   '[[category]]\\nname = "Depression"\\n')
>>> plan.settings.preset, plan.settings.model, plan.min_k.pool, plan.windows[0].name
('revman5', 'random', 2, 'All time points')
>>> parse_plan('[data]\\nfile = "t.csv"\\n[min_k]\\npool = 0\\n[[category]]\\nname = "a"\\n')
Traceback (most recent call last):
...
metareview.errors.PlanError: plan.toml, line 4, key 'min_k.pool': got 0, expected a number >= 1
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from metareview.errors import PlanError
from metareview.plan.moderators import MetaRegRequest
from metareview.plan.schema import key_lines, line_of, validate
from metareview.rob.prisma import PrismaCounts
from metareview.stats.bias.selection import check_steps
from metareview.stats.presets import get_preset


@dataclass(frozen=True)
class Settings:
    """The statistical conventions of an analysis (plan ``[settings]``, overridable per analysis).

    ``method``, ``ci_method``, ``tau_common`` and ``rho`` are ``None`` when the preset's default
    applies; ``trimfill_side`` is ``None`` when trim-and-fill chooses the side from the data.
    """

    preset: str = "metafor"
    measure: str = "SMD"
    method: str | None = None
    ci_method: str | None = None
    level: float = 0.95
    prediction_interval: bool = True
    model: str = "random"
    i2_threshold: float = 50.0
    multiple_effects: str = "combine"
    rho: float | None = None  # None: the preset's within_study_rho (metapsy 0.6, others 0.5)
    forest_layout: str = "meta"
    higher_is_better: bool = True
    tau_common: bool | None = None
    trimfill_estimator: str = "L0"
    trimfill_side: str | None = None
    selection_steps: tuple[float, ...] = (0.025,)
    nnt_cer: float = 0.2  # control event rate of the NNT in the models table (metapsyTools)

    def merged(self, overrides: dict[str, Any] | None) -> Settings:
        """A copy with the keys given in ``overrides`` replaced."""
        overrides = dict(overrides or {})
        if "selection_steps" in overrides:
            overrides["selection_steps"] = tuple(overrides["selection_steps"])
        return replace(self, **overrides)


@dataclass(frozen=True)
class Runs:
    """What is run for an outcome: row filters, subgroups, meta-regressions, sensitivity and
    small-study analyses."""

    filter: dict[str, Any] = field(default_factory=dict)
    exclude: dict[str, Any] = field(default_factory=dict)
    subgroups: tuple[str, ...] = ()
    metaregression: tuple[MetaRegRequest, ...] = ()
    sensitivity: tuple[str, ...] = ()
    small_study: tuple[str, ...] = ()
    specific_outcomes: bool = True
    extras_windows: tuple[str, ...] | None = None
    models: tuple[str, ...] = ()  # runMetaAnalysis's models (metareview.plan.models)

    def merged(self, overrides: dict[str, Any] | None) -> Runs:
        """A copy with ``overrides`` applied (filters are combined, lists replaced)."""
        overrides = dict(overrides or {})
        for key in ("filter", "exclude"):
            if key in overrides:
                overrides[key] = {**getattr(self, key), **overrides[key]}
        for key in ("subgroups", "sensitivity", "small_study", "extras_windows", "models"):
            if key in overrides:
                overrides[key] = tuple(overrides[key])
        if "metaregression" in overrides:
            overrides["metaregression"] = tuple(
                MetaRegRequest.from_plan(entry) for entry in overrides["metaregression"]
            )
        return replace(self, **overrides)


@dataclass(frozen=True)
class MinK:
    """Fewest studies for each kind of analysis (defaults as in Smit et al. and metapsy)."""

    pool: int = 2
    subgroup: int = 3
    specific_outcome: int = 5
    small_study: int = 10


@dataclass(frozen=True)
class TimeWindow:
    """Rows whose ``time`` is one of ``time`` or whose ``time_weeks`` lies within ``weeks``."""

    name: str
    time: tuple[Any, ...] | None = None
    weeks: tuple[float, float] | None = None


@dataclass(frozen=True)
class Category:
    """An outcome category (rows whose category column has one of ``values``)."""

    name: str
    values: tuple[Any, ...]
    outcomes: tuple[str, ...] | None
    settings: Settings
    runs: Runs
    key: str


@dataclass(frozen=True)
class CustomAnalysis:
    """An analysis defined by a filter alone (plan ``[[analysis]]``)."""

    name: str
    filter: dict[str, Any]
    windows: tuple[str, ...] | None
    settings: Settings
    runs: Runs
    key: str


@dataclass(frozen=True)
class Plan:
    """A validated analysis plan."""

    source: str
    base_dir: Path
    title: str
    data_file: Path
    sheet: str | None
    columns: dict[str, str]
    settings: Settings
    min_k: MinK
    category_column: str
    outcome_column: str
    rob_column: str
    rob_low: tuple[Any, ...]
    rob_domains: tuple[str, ...]
    windows: tuple[TimeWindow, ...]
    runs: Runs
    categories: tuple[Category, ...]
    custom: tuple[CustomAnalysis, ...]
    document: dict[str, Any]
    lines: dict[str, int]
    prisma_counts: Path | None = None
    rob_tool: str = "RoB 2"  # the tool named in the risk-of-bias figures
    rob_domain_names: tuple[str, ...] = ()  # () : RoB 2's names for five domains, else the columns
    # ``[[rob.override]]``: judgements agreed against the algorithm's proposal (study, result,
    # domain, proposed, judgement, justification), flagged in the report
    rob_overrides: tuple[dict[str, str], ...] = ()
    # ``[report]``: the formats every figure is written in (the SVG the report embeds first)
    # and the resolution of PNG figures
    figure_formats: tuple[str, ...] = ("svg",)
    dpi: int = 300

    @property
    def drop_incomplete(self) -> bool:
        """``data.drop_incomplete``: rows without effect data are dropped and listed."""
        return bool(self.document["data"].get("drop_incomplete", False))

    def dropping_incomplete(self) -> Plan:
        """This plan with ``data.drop_incomplete = true`` (``metareview run --drop-incomplete``)."""
        data = {**self.document["data"], "drop_incomplete": True}
        return replace(self, document={**self.document, "data": data})

    def error(self, key: str, message: str) -> PlanError:
        """A :class:`PlanError` naming ``key`` (and its line) of this plan."""
        return plan_error(self.source, [(key, message)], self.lines)

    def to_dict(self) -> dict[str, Any]:
        """The plan as parsed (JSON-ready), with the data file (and PRISMA counts) resolved."""
        document = {**self.document, "data": {**self.document["data"], "file": str(self.data_file)}}
        if self.prisma_counts is not None:
            document["prisma"] = {**document.get("prisma", {}), "counts": str(self.prisma_counts)}
        return document


def plan_error(source: str, problems: list[tuple[str, str]], lines: dict[str, int]) -> PlanError:
    """One :class:`PlanError` listing every problem as 'file, line N, key 'k': message'."""
    texts = []
    for key, message in problems:
        line = line_of(key, lines)
        where = f"{source}, line {line}" if line else source
        texts.append(f"{where}, key {key!r}: {message}")
    if len(texts) > 1:
        texts[0] = f"{len(texts)} problems: {texts[0]}"
    return PlanError("; ".join(texts))


def load_plan(path: str | Path) -> Plan:
    """Read and validate the plan file at ``path`` (relative paths in it are to its folder)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(f"{path}: no such plan file") from None
    except UnicodeDecodeError as err:
        raise PlanError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    return parse_plan(text, source=str(path), base_dir=path.parent)


def parse_plan(
    text: str, source: str = "plan.toml", base_dir: str | Path = ".", *, in_workspace: bool = False
) -> Plan:
    """Parse and validate plan ``text`` (see :func:`load_plan`). ``in_workspace``: the plan is
    kept in the workspace, which has no folder for it and analyses its agreed extraction
    table (:func:`workspace_problems`)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PlanError(f"{source}: not valid TOML: {err}") from None
    except RecursionError:  # tomllib recurses once per level of nested arrays or tables
        raise PlanError(
            f"{source}: not a usable plan: its arrays or tables are nested too deeply"
        ) from None
    lines = key_lines(text)
    problems = validate(document)
    if problems:
        raise plan_error(source, problems, lines)
    plan = _build(document, source, Path(base_dir), lines)
    problems = _cross_checks(plan) + (workspace_problems(plan) if in_workspace else [])
    if problems:
        raise plan_error(source, problems, lines)
    if plan.prisma_counts is not None:
        _check_prisma(plan)
    return plan


def plan_from_document(document: dict[str, Any]) -> Plan:
    """The typed plan of a plan document as :meth:`Plan.to_dict` wrote it (``results.json``'s
    ``plan``: validated when the plan was loaded, paths already resolved). Tables it lacks
    take their defaults, so part of a plan (say ``{"min_k": {"pool": 3}}``) reads too.

    >>> plan = parse_plan('[data]\\nfile = "d.csv"\\n[settings]\\npreset = "metapsy"\\n'
    ...                   '[[analysis]]\\nname = "All"\\nfilter = {}\\n')
    >>> again = plan_from_document(plan.to_dict())
    >>> again.settings == plan.settings, again.custom[0].name, again.min_k.small_study
    (True, 'All', 10)
    >>> plan_from_document({"min_k": {"pool": 3}}).min_k.pool
    3
    """
    return _build({"data": {"file": "."}, **document}, "results.json", Path("."), {})


def workspace_problems(plan: Plan) -> list[tuple[str, str]]:
    """What a plan kept in the workspace may not hold: a ``[data] sheet`` (the workspace
    analyses its agreed extraction table, a CSV) and a ``[prisma] counts`` path (the workspace
    draws the diagram from the project's own counts, and the server reads no file a plan
    names), as (key, message). Refused before any file is read.

    >>> for key, message in workspace_problems(plan_from_document({"data": {"file": "x",
    ...         "sheet": "trials"}, "prisma": {"counts": "prisma.csv"}})):
    ...     print(key, "|", message)
    data.sheet | got 'trials', expected no sheet: the workspace analyses its agreed extraction table (a CSV file)
    prisma.counts | got 'prisma.csv', expected no path: the workspace draws the PRISMA diagram from the project's own counts
    """
    problems = []
    if plan.sheet is not None:
        problems.append(
            ("data.sheet", f"got {plan.sheet!r}, expected no sheet: the workspace analyses its "
             "agreed extraction table (a CSV file)")
        )  # fmt: skip
    counts = plan.document.get("prisma", {}).get("counts")
    if counts is not None:
        problems.append(
            ("prisma.counts", f"got {counts!r}, expected no path: the workspace draws the "
             "PRISMA diagram from the project's own counts")
        )  # fmt: skip
    return problems


def _check_prisma(plan: Plan) -> None:
    """The PRISMA counts file must exist and its arithmetic hold (a DataError names the
    failed equation, the file, row and column)."""
    if not plan.prisma_counts.is_file():
        raise plan.error("prisma.counts", f"no such file: {plan.prisma_counts}")
    PrismaCounts.from_csv(plan.prisma_counts).check()


def _build(document: dict[str, Any], source: str, base_dir: Path, lines: dict[str, int]) -> Plan:
    data = document["data"]
    settings = Settings().merged(document.get("settings"))
    runs = Runs().merged(document.get("analyses"))
    outcomes = document.get("outcomes", {})
    rob = document.get("rob", {})
    windows = tuple(
        TimeWindow(
            w["name"],
            _as_tuple(w["time"]) if "time" in w else None,
            tuple(w["weeks"]) if "weeks" in w else None,
        )
        for w in document.get("time_window", [])
    ) or (TimeWindow("All time points"),)
    categories = tuple(
        Category(
            name=c["name"],
            values=_as_tuple(c.get("values", c["name"])),
            outcomes=tuple(c["outcomes"]) if "outcomes" in c else None,
            settings=settings.merged(c.get("settings")),
            runs=runs.merged(c.get("analyses")),
            key=f"category[{index}]",
        )
        for index, c in enumerate(document.get("category", []), start=1)
    )
    custom = tuple(
        CustomAnalysis(
            name=a["name"],
            filter=dict(a["filter"]),
            windows=tuple(a["windows"]) if "windows" in a else None,
            settings=settings.merged(a.get("settings")),
            runs=runs.merged(a.get("analyses")).merged({"filter": a["filter"]}),
            key=f"analysis[{index}]",
        )
        for index, a in enumerate(document.get("analysis", []), start=1)
    )
    min_k = MinK(**document.get("min_k", {}))
    report = document.get("report", {})
    return Plan(
        source=source,
        base_dir=base_dir,
        title=document.get("title", "Meta-analysis"),
        data_file=(base_dir / data["file"]),
        sheet=data.get("sheet"),
        columns=dict(data.get("columns", {})),
        settings=settings,
        min_k=min_k,
        category_column=outcomes.get("category_column", "outcome_category"),
        outcome_column=outcomes.get("outcome_column", "outcome"),
        rob_column=rob.get("column", "rob"),
        rob_low=_as_tuple(rob.get("low", "Low")),
        rob_domains=tuple(rob.get("domains", ())),
        rob_tool=rob.get("tool", "RoB 2"),
        rob_domain_names=tuple(rob.get("domain_names", ())),
        rob_overrides=tuple(dict(o) for o in rob.get("override", ())),
        windows=windows,
        runs=runs,
        categories=categories,
        custom=custom,
        document=document,
        lines=lines,
        prisma_counts=base_dir / document["prisma"]["counts"] if "prisma" in document else None,
        figure_formats=tuple(dict.fromkeys(("svg", *report.get("figure_formats", ("svg",))))),
        dpi=report.get("dpi", 300),
    )


def _tables(plan: Plan, name: str) -> list[tuple[str, dict[str, Any]]]:
    """The plan's ``[name]`` table and every category's and analysis's own, with their keys."""
    tables = [(name, plan.document.get(name, {}))]
    for kind in ("category", "analysis"):
        for index, item in enumerate(plan.document.get(kind, []), start=1):
            tables.append((f"{kind}[{index}].{name}", item.get(name, {})))
    return tables


def _metaregression_checks(plan: Plan) -> list[tuple[str, str]]:
    """A categorical moderator must be one of the entry's moderators, named once."""
    problems = []
    for prefix, table in _tables(plan, "analyses"):
        for index, entry in enumerate(table.get("metaregression", []), start=1):
            key = f"{prefix}.metaregression[{index}]"
            moderators = entry["moderators"]
            if len(set(moderators)) != len(moderators):
                problems.append((f"{key}.moderators", f"got {moderators}, expected each once"))
            for name in entry.get("categorical", []):
                if name not in moderators:
                    problems.append(
                        (
                            f"{key}.categorical",
                            f"got {name!r}, expected one of the moderators "
                            f"({', '.join(moderators)})",
                        )
                    )
    return problems


def _selection_checks(plan: Plan) -> list[tuple[str, str]]:
    """The selection model's cut-points must increase (the schema checks each is in (0, 1))."""
    problems = []
    for prefix, settings in _tables(plan, "settings"):
        if "selection_steps" in settings:
            try:
                check_steps(settings["selection_steps"])
            except ValueError:
                problems.append(
                    (
                        f"{prefix}.selection_steps",
                        f"got {settings['selection_steps']}, expected increasing cut-points "
                        "in (0, 1), e.g. [0.025, 0.5]",
                    )
                )
    return problems


def _models_checks(plan: Plan) -> list[tuple[str, str]]:
    """``analyses.models``: each named once; outliers and influence are found in the overall
    model, so they need it; the multilevel models are fitted by REML or ML."""
    problems: list[tuple[str, str]] = []
    items = [*zip(plan.categories, plan.document.get("category", []))]
    items += zip(plan.custom, plan.document.get("analysis", []))
    for item, table in items:
        own = "models" in table.get("analyses", {})
        key = f"{item.key}.analyses.models" if own else "analyses.models"
        models = item.runs.models
        if len(set(models)) != len(models):
            problems.append((key, f"got {list(models)}, expected each model once"))
        derived = [m for m in ("outliers", "influence") if m in models]
        if derived and "overall" not in models:
            problems.append(
                (
                    key,
                    f"got {', '.join(derived)} without 'overall': outliers and influential "
                    "cases are found in the overall model; expected 'overall' in the list too",
                )
            )
        multilevel = [m for m in ("threelevel", "che") if m in models]
        method = item.settings.method or get_preset(item.settings.preset).tau2_method
        if multilevel and method not in ("REML", "ML"):
            problems.append(
                (
                    key,
                    f"got {', '.join(multilevel)} with the tau^2 method {method} "
                    f"({item.name}); expected settings.method REML or ML for the "
                    "three-level and CHE models",
                )
            )
    return list(dict.fromkeys(problems))


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, list) else (value,)


def _cross_checks(plan: Plan) -> list[tuple[str, str]]:
    """Checks the schema cannot express: unique names, known windows, complete windows."""
    problems: list[tuple[str, str]] = []
    if not plan.categories and not plan.custom:
        problems.append(
            (
                "category",
                "the plan defines no analysis: expected a [[category]] (one per outcome "
                "category) or an [[analysis]] table; 'metareview init DATA' writes a plan "
                "with them",
            )
        )
    names = plan.document.get("rob", {}).get("domain_names")
    if names is not None and len(names) != len(plan.rob_domains):
        problems.append(
            (
                "rob.domain_names",
                f"got {len(names)} names, expected one per domain ({len(plan.rob_domains)})",
            )
        )
    for index, override in enumerate(plan.rob_overrides, start=1):
        if not str(override.get("justification", "-")).strip():
            problems.append(
                (f"rob.override[{index}].justification", "is empty, expected the written reason")
            )
    window_names = [w.name for w in plan.windows]
    for index, window in enumerate(plan.windows, start=1):
        key = f"time_window[{index}]"
        if "time_window" in plan.document and window.time is None and window.weeks is None:
            problems.append((key, "expected 'time' (values of the time column) or 'weeks'"))
        if window.weeks is not None and window.weeks[0] > window.weeks[1]:
            problems.append((f"{key}.weeks", f"got {list(window.weeks)}, expected [from, to]"))
        if window_names.index(window.name) != index - 1:
            problems.append((f"{key}.name", f"got {window.name!r}, expected a name used once"))
    seen: set[str] = set()
    for item in (*plan.categories, *plan.custom):
        if item.name in seen:
            problems.append((f"{item.key}.name", f"got {item.name!r}, expected a name used once"))
        seen.add(item.name)
    problems += _metaregression_checks(plan)
    problems += _selection_checks(plan)
    problems += _models_checks(plan)
    from metareview.plan.multiverse_plan import multiverse_checks  # it imports this module

    problems += multiverse_checks(plan)
    runs = [("analyses", plan.runs)] + [(f"{i.key}.analyses", i.runs) for i in plan.categories]
    runs += [(f"{i.key}.windows", i) for i in plan.custom if i.windows]
    for key, item in runs:
        wanted = item.extras_windows if isinstance(item, Runs) else item.windows
        for name in wanted or ():
            if name not in window_names:
                problems.append(
                    (key, f"got window {name!r}, expected one of {', '.join(window_names)}")
                )
    return problems
