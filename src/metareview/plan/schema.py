"""The plan's JSON schema, a validator for the subset of JSON Schema it uses, and key lines.

The schema (``plan.schema.json`` beside this module) is the plan's documentation and its
check at once. :func:`validate` walks a parsed TOML document against it and returns every
problem as ``(key, message)`` with the key in dotted form (``category[2].settings.model``);
:func:`key_lines` finds the line of each key in the TOML text so errors can name it.

>>> problems = validate({"data": {"file": "x.csv"}, "settings": {"model": "fixd"}})
>>> problems
[('settings.model', "got 'fixd', expected one of random, fixed, fixed_if_low_i2")]
>>> key_lines('[data]\\nfile = "x.csv"\\n[[category]]\\nname = "A"\\n')["category[1].name"]
4
"""

from __future__ import annotations

import difflib
import json
import re
from functools import cache
from importlib import resources
from typing import Any

Problem = tuple[str, str]


@cache
def plan_schema() -> dict[str, Any]:
    """The plan's JSON schema (draft 2020-12) as a dict."""
    text = resources.files("metareview.plan").joinpath("plan.schema.json").read_text("utf-8")
    return json.loads(text)


def validate(document: dict[str, Any]) -> list[Problem]:
    """Every way ``document`` departs from the plan schema, as ``(key, message)`` pairs."""
    schema = plan_schema()
    problems: list[Problem] = []
    _check(document, schema, "", schema, problems)
    return problems


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = {**root["$defs"][name], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}
_TYPE_WORDS = {
    "object": "a table",
    "array": "a list",
    "string": "text",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
}


def _describe(schema: dict[str, Any], root: dict[str, Any]) -> str:
    schema = _resolve(schema, root)
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(_describe(option, root) for option in schema["anyOf"])
    return _TYPE_WORDS.get(schema.get("type", ""), "a value")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _check(
    value: Any, schema: dict[str, Any], path: str, root: dict[str, Any], problems: list[Problem]
) -> None:
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        options = [_resolve(option, root) for option in schema["anyOf"]]
        matching = [o for o in options if _TYPES[o["type"]](value)]
        if not matching:
            problems.append((path, f"got {value!r}, expected {_describe(schema, root)}"))
            return
        _check(value, matching[0], path, root, problems)
        return
    if "enum" in schema:
        if value not in schema["enum"]:
            problems.append((path, f"got {value!r}, expected {_describe(schema, root)}"))
        return
    kind = schema.get("type")
    if kind and not _TYPES[kind](value):
        problems.append((path, f"got {value!r}, expected {_TYPE_WORDS[kind]}"))
        return
    if kind in ("number", "integer"):
        _check_range(value, schema, path, problems)
    elif kind == "object":
        _check_object(value, schema, path, root, problems)
    elif kind == "array":
        size = len(value)
        if size < schema.get("minItems", 0) or size > schema.get("maxItems", size):
            low, high = schema.get("minItems", 0), schema.get("maxItems")
            want = f"exactly {low}" if low == high else f"at least {low}"
            problems.append((path, f"got {size} item(s), expected {want}"))
        for index, item in enumerate(value, start=1):
            _check(item, schema.get("items", {}), f"{path}[{index}]", root, problems)


def _check_range(value: float, schema: dict[str, Any], path: str, problems: list[Problem]) -> None:
    bounds = [
        ("minimum", lambda v, b: v >= b, ">="),
        ("maximum", lambda v, b: v <= b, "<="),
        ("exclusiveMinimum", lambda v, b: v > b, ">"),
        ("exclusiveMaximum", lambda v, b: v < b, "<"),
    ]
    for key, ok, sign in bounds:
        if key in schema and not ok(value, schema[key]):
            problems.append((path, f"got {value!r}, expected a number {sign} {schema[key]}"))


def _check_object(
    value: dict[str, Any],
    schema: dict[str, Any],
    path: str,
    root: dict[str, Any],
    problems: list[Problem],
) -> None:
    properties = schema.get("properties", {})
    for key in schema.get("required", []):
        if key not in value:
            problems.append((_join(path, key), "is required but missing"))
    if len(value) < schema.get("minProperties", 0):
        problems.append((path, f"expected at least one of {', '.join(properties)}"))
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            _check(item, properties[key], _join(path, key), root, problems)
        elif extra is False:
            hint = difflib.get_close_matches(key, list(properties), n=1, cutoff=0.6)
            known = f"did you mean {hint[0]!r}?" if hint else "known keys: " + ", ".join(properties)
            problems.append((_join(path, key), f"is not a known key ({known})"))
        elif isinstance(extra, dict):
            _check(item, extra, _join(path, key), root, problems)


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(
    r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*="""
)


def _split_key(text: str) -> list[str]:
    parts = re.findall(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_\-]+)""", text)
    return [a or b or c for a, b, c in parts]


def key_lines(text: str) -> dict[str, int]:
    """Line number (1-based) of every table header and key assignment in TOML ``text``.

    Keys are dotted; elements of arrays of tables are numbered from 1 (``analysis[2].name``).
    Keys inside inline tables and multi-line values take the line of the key that holds them.
    """
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}
    table = ""
    depth = 0  # open brackets/braces of a multi-line value
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = _strip_comment(line)
        if depth == 0:
            header = _HEADER.match(stripped)
            if header:
                parts = _split_key(header.group(2))
                if header.group(1) == "[[":
                    table = _join(_qualify(parts[:-1], counts), parts[-1])
                    counts[table] = counts.get(table, 0) + 1
                    table = f"{table}[{counts[table]}]"
                else:
                    table = _qualify(parts, counts)
                lines.setdefault(table, number)
                continue
            assign = _ASSIGN.match(stripped)
            if assign:
                key = ".".join(_split_key(assign.group(1)))
                lines.setdefault(_join(table, key), number)
        depth += _bracket_balance(stripped)
        depth = max(depth, 0)
    return lines


def _qualify(parts: list[str], counts: dict[str, int]) -> str:
    """A header's dotted path, with the current element index of any array of tables in it."""
    path = ""
    for part in parts:
        path = _join(path, part)
        if path in counts:
            path = f"{path}[{counts[path]}]"
    return path


def _strip_comment(line: str) -> str:
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[:index]
    return line


def _bracket_balance(line: str) -> int:
    text = re.sub(r""""[^"]*"|'[^']*'""", "", line)
    if "=" in text:
        text = text.split("=", 1)[1]
    elif _HEADER.match(line):
        return 0
    return text.count("[") + text.count("{") - text.count("]") - text.count("}")


def line_of(key: str, lines: dict[str, int]) -> int | None:
    """The line of ``key`` or of the nearest enclosing key that has one."""
    while key:
        if key in lines:
            return lines[key]
        key = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", key) if re.search(r"(\.|\[)", key) else ""
    return None
