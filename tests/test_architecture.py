"""The layers of DESIGN.md import only downward; this test fails on any upward import."""

from __future__ import annotations

import ast

from tests.conftest import REPO

PACKAGE = REPO / "src" / "metareview"
BASE = {"errors"}
ALLOWED = {
    "stats": BASE | {"stats"},
    "data": BASE | {"stats", "data"},
    "rob": BASE | {"stats", "data", "rob"},
    "plan": BASE | {"stats", "data", "rob", "plan"},
    "report": BASE | {"stats", "data", "rob", "plan", "report"},
    "records": BASE | {"stats", "records"},
    "store": BASE | {"stats", "data", "rob", "records", "store"},
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
