"""The common settings of a plan as a form, and a plan document written back as TOML text.

A person (the workspace's plan form) edits the settings most reviews change — title, preset,
measure, τ² estimator, CI method, model, outcome categories, time windows, subgroups,
sensitivity analyses, small-study (bias) tests and GRADE — and :func:`apply_form` writes them
into the plan's document, keeping every other key (a category's own settings, the
multiverse, meta-regressions …). :func:`toml_text` writes a document as TOML that
:func:`~metareview.plan.plan.parse_plan` reads back to the same document.

>>> text = '[data]\\nfile = "extraction.csv"\\n[[analysis]]\\nname = "All"\\nfilter = {}\\n'
>>> form = form_of(text)
>>> form.preset, form.windows
('metafor', '')
>>> new = apply_form(text, replace(form, preset="revman5", windows="Post-test = post\\n"
...                                "Follow-up = weeks 24-52", subgroups="format, rob"))
>>> from metareview.plan.plan import parse_plan
>>> plan = parse_plan(new)
>>> plan.settings.preset, [w.name for w in plan.windows], plan.windows[1].weeks
('revman5', ['Post-test', 'Follow-up'], (24.0, 52.0))
>>> plan.runs.subgroups, plan.custom[0].name
(('format', 'rob'), 'All')
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass, replace  # noqa: F401  (replace: the docstring)
from typing import Any

from metareview.errors import PlanError

SENSITIVITY = ("leave_one_out", "gosh", "outliers_removed", "influential_removed",
               "low_rob_only", "one_per_study_combined", "one_per_study_lowest",
               "one_per_study_highest")  # fmt: skip
SMALL_STUDY = ("egger", "trimfill", "selection")
#: The form's fields and the plan keys whose problems are shown beside each.
FORM_KEYS = {
    "title": ("title",),
    "preset": ("settings.preset",),
    "measure": ("settings.measure",),
    "method": ("settings.method",),
    "ci_method": ("settings.ci_method",),
    "model": ("settings.model", "settings.i2_threshold"),
    "outcomes": ("category", "outcomes"),
    "windows": ("time_window",),
    "subgroups": ("analyses.subgroups",),
    "sensitivity": ("analyses.sensitivity",),
    "small_study": ("analyses.small_study",),
    "grade": ("grade",),
}
_WEEKS = re.compile(r"^weeks\s+(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)$", re.I)


@dataclass(frozen=True)
class PlanForm:
    """The form's values, as typed (text fields are one entry per line)."""

    title: str = ""
    preset: str = "metafor"
    measure: str = "SMD"
    method: str = ""  # empty: the preset's
    ci_method: str = ""  # empty: the preset's
    model: str = "random"
    outcomes: str = ""  # "Name = value, value" per line (values of outcome_category)
    windows: str = ""  # "Name = time value(s)" or "Name = weeks FROM-TO" per line
    subgroups: str = ""  # columns, separated by commas or lines
    sensitivity: tuple[str, ...] = ()
    small_study: tuple[str, ...] = ()
    grade: bool = True
    grade_design: str = "RCT"
    grade_mid: str = ""  # empty: GRADE's rough guide for the measure


def _values(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def form_of(text: str) -> PlanForm:
    """The form's values as the plan ``text`` has them (a plan that is not TOML gives the
    defaults; the TOML editor shows its error)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        document = {}
    settings = document.get("settings", {})
    analyses = document.get("analyses", {})
    grade = document.get("grade", {})
    outcomes = []
    for category in document.get("category", []):
        values = category.get("values", category.get("name"))
        outcomes.append(f"{category.get('name', '')} = {', '.join(_values(values))}")
    windows = []
    for window in document.get("time_window", []):
        if "weeks" in window and "time" not in window:
            low, high = window["weeks"]
            windows.append(f"{window.get('name', '')} = weeks {low:g}-{high:g}")
        else:
            windows.append(
                f"{window.get('name', '')} = {', '.join(_values(window.get('time', '')))}"
            )
    return PlanForm(
        title=str(document.get("title", "")),
        preset=str(settings.get("preset", "metafor")),
        measure=str(settings.get("measure", "SMD")),
        method=str(settings.get("method", "")),
        ci_method=str(settings.get("ci_method", "")),
        model=str(settings.get("model", "random")),
        outcomes="\n".join(outcomes),
        windows="\n".join(windows),
        subgroups=", ".join(_values(analyses.get("subgroups", []))),
        sensitivity=tuple(analyses.get("sensitivity", ())),
        small_study=tuple(analyses.get("small_study", ())),
        grade=bool(grade.get("enabled", True)),
        grade_design=str(grade.get("design", "RCT")),
        grade_mid="" if "mid" not in grade else f"{grade['mid']:g}",
    )


def _lines(text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _, value = line.partition("=")
        pairs.append((name.strip(), value.strip()))
    return pairs


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


def apply_form(text: str, form: PlanForm, problems: list[str] | None = None) -> str:
    """``text`` with the form's values written in (every other key kept), as TOML text.

    A line the form cannot read (a window without a name, weeks that are not ``FROM-TO``) is
    a :class:`~metareview.errors.PlanError` naming the plan key, as the plan's own checks do;
    given a ``problems`` list, such lines are left out and their messages added to it instead
    (so the rest of the plan can still be checked).
    """
    raising = problems is None
    problems = [] if problems is None else problems
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PlanError(f"plan.toml: not valid TOML: {err}") from None
    if form.title.strip():
        document["title"] = form.title.strip()
    settings = document.setdefault("settings", {})
    for key in ("preset", "measure", "method", "ci_method", "model"):
        value = getattr(form, key).strip()
        if value:
            settings[key] = value
        else:
            settings.pop(key, None)
    old = {c.get("name"): c for c in document.get("category", [])}
    categories = []
    for name, values in _lines(form.outcomes):
        if not name:
            problems.append(f"plan.toml, key 'category': a line has no name: '= {values}'")
            continue
        listed = _split(values) or [name]
        category = {**old.get(name, {}), "name": name}
        category["values"] = listed[0] if len(listed) == 1 else listed
        categories.append(category)
    if categories:
        document["category"] = categories
    else:
        document.pop("category", None)
    windows = []
    for name, value in _lines(form.windows):
        if not name:
            problems.append(f"plan.toml, key 'time_window': a line has no name: '= {value}'")
            continue
        weeks = _WEEKS.match(value)
        if weeks:
            windows.append({"name": name, "weeks": [float(weeks[1]), float(weeks[2])]})
        elif value.lower().startswith("weeks"):
            problems.append(
                f"plan.toml, key 'time_window': {name}: got {value!r}, expected weeks FROM-TO "
                "(e.g. weeks 24-39)"
            )
        else:
            listed = _split(value) or [name]
            windows.append({"name": name, "time": listed[0] if len(listed) == 1 else listed})
    if windows:
        document["time_window"] = windows
    else:
        document.pop("time_window", None)
    analyses = document.setdefault("analyses", {})
    analyses["subgroups"] = _split(form.subgroups)
    analyses["sensitivity"] = list(form.sensitivity)
    analyses["small_study"] = list(form.small_study)
    grade = document.setdefault("grade", {})
    grade["enabled"] = form.grade
    grade["design"] = form.grade_design or "RCT"
    mid = form.grade_mid.strip()
    if mid:
        try:
            grade["mid"] = float(mid)
        except ValueError:
            problems.append(f"plan.toml, key 'grade.mid': got {mid!r}, expected a number > 0")
    else:
        grade.pop("mid", None)
    if problems and raising:
        raise PlanError("; ".join(problems))
    return toml_text(document)


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE.match(key) else json.dumps(key, ensure_ascii=False)


def _inline(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items()) + " }"
    raise PlanError(f"plan.toml: cannot write {type(value).__name__} value {value!r} as TOML")


def toml_text(document: dict[str, Any]) -> str:
    """A plan document as TOML text: top-level tables as ``[table]``, arrays of tables as
    ``[[table]]``, anything deeper inline.

    >>> doc = {"title": "T", "settings": {"level": 0.9}, "category": [{"name": "A",
    ...        "settings": {"preset": "meta"}}]}
    >>> tomllib.loads(toml_text(doc)) == doc
    True
    """
    head, tables = [], []
    for key, value in document.items():
        if isinstance(value, dict):
            tables.append(f"\n[{_key(key)}]")
            tables += [f"{_key(k)} = {_inline(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                tables.append(f"\n[[{_key(key)}]]")
                tables += [f"{_key(k)} = {_inline(v)}" for k, v in item.items()]
        else:
            head.append(f"{_key(key)} = {_inline(value)}")
    return "\n".join(head + tables).strip() + "\n"
