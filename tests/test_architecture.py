"""The layers of DESIGN.md import only downward; this test fails on any upward import, on a
package no layer rule covers, and on a cycle of imports between modules."""

from __future__ import annotations

import ast

from tests.conftest import REPO

PACKAGE = REPO / "src" / "metareview"
BASE = {"errors"}
LIBRARY = {"stats", "data", "rob", "plan", "report", "records", "store"}
BATCH = {
    "scale"
}  # batch work on a backend: over plan, records and stats; only front ends import it
FRONT_ENDS = {"cli", "web"}  # they may import every library layer; no library layer imports them
ALLOWED = {
    "stats": BASE | {"stats"},
    "data": BASE | {"stats", "data"},
    "rob": BASE | {"stats", "data", "rob"},
    "plan": BASE | {"stats", "data", "rob", "plan"},
    "report": BASE | {"stats", "data", "rob", "plan", "report"},
    "records": BASE | {"stats", "records"},
    "store": BASE | {"stats", "data", "rob", "records", "store"},
    "scale": BASE | {"stats", "data", "rob", "plan", "records", "scale"},
    "cli": BASE | LIBRARY | BATCH | {"cli", "web"},  # `metareview serve` starts the web app
    "web": BASE | LIBRARY | {"web"},
}


def _imported_layers(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "metareview" and len(parts) > 1:
                yield node.lineno, parts[1]


def test_layers_import_only_downward():
    violations = []
    for layer, allowed in ALLOWED.items():
        for path in sorted((PACKAGE / layer).rglob("*.py")) if (PACKAGE / layer).is_dir() else []:
            for line, imported in _imported_layers(path):
                if imported not in allowed and imported != "__version__":
                    violations.append(
                        f"{path.relative_to(REPO)}:{line} imports metareview.{imported}"
                    )
    assert not violations, "upward imports (see docs/architecture.md):\n" + "\n".join(violations)


def test_no_relative_imports_across_layers():
    offenders = [
        str(path.relative_to(REPO))
        for path in PACKAGE.rglob("*.py")
        if any(
            isinstance(node, ast.ImportFrom) and node.level > 1
            for node in ast.walk(ast.parse(path.read_text()))
        )
    ]
    assert not offenders, f"use absolute metareview.* imports: {offenders}"


def test_every_package_has_a_layer_rule():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert packages <= set(ALLOWED), f"place {sorted(packages - set(ALLOWED))} in ALLOWED"
    assert set(ALLOWED) == LIBRARY | BATCH | FRONT_ENDS


def test_no_library_module_names_a_front_end():
    """The lazy public API (``metareview/__init__.py``) and the error module stay below the
    front ends too; only ``python -m metareview`` starts the CLI."""
    for name in ("__init__.py", "errors.py"):
        tree = ast.parse((PACKAGE / name).read_text())
        named = [
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            if n.value.split(".")[:2] in (["metareview", "cli"], ["metareview", "web"])
        ]
        imported = [layer for _, layer in _imported_layers(PACKAGE / name) if layer in FRONT_ENDS]
        assert not named and not imported, f"{name} names a front end: {named + imported}"


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_graph():
    """Each module → the metareview modules it imports when it is imported (top-level
    statements only: imports inside functions or ``if TYPE_CHECKING`` run later or never)."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for module, path in paths.items():
        found = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in paths else node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[module] = {m for m in found if m in paths and m != module}
    return graph


def _cycle(graph):
    state, stack = {}, []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for imported in sorted(graph[module]):
            if state.get(imported) == "open":
                return [*stack[stack.index(imported) :], imported]
            if imported not in state and (found := visit(imported)):
                return found
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_cycles():
    cycle = _cycle(_module_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]


def test_the_vocabulary_imports_only_the_errors():
    graph = _module_graph()
    assert graph["metareview.stats.vocabulary"] == {"metareview.errors"}
