"""The drift package is layered: each module imports only the modules below it, so there is no
import circle and a module can be read knowing only what is under it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import infrarep.drift

PACKAGE = Path(infrarep.drift.__file__).parent
LAYERS = (
    "model",
    "history",
    "fleet",
    "values",
    "identity",
    "noise",
    "policy",
    "sources",
    "tracing",
    "side",
    "verdicts",
    "live",
    "pending",
    "parity",
    "manifests",
    "analysis",
)
"""Bottom first: the findings and the report; the entry point (`analysis`) at the top."""


def sibling_imports(module: str) -> set[str]:
    """The drift modules `module` imports (`from .x import ...`, `from . import x`), anywhere in it."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_every_drift_module_has_a_layer():
    modules = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__"}

    assert modules == set(LAYERS)


@pytest.mark.parametrize("module", LAYERS)
def test_a_drift_module_imports_only_modules_below_it(module):
    below = set(LAYERS[: LAYERS.index(module)])

    assert sibling_imports(module) <= below, f"drift/{module}.py imports a module at or above it"
