"""What a plain `pip install infrarep` brings is enough for every command; the local AWS (its
own package, local_aws/) is needed only by the local target."""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tools" / "infrarep"
LOCAL_AWS = "infrarep_local_aws"  # installed for the local target only, imported when it is used


def _needed(requirements: list[str]) -> set[str]:
    """The distributions these requirements install here (no extras, this platform's markers)."""
    needed = set()
    for text in requirements:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            needed.add(canonicalize_name(requirement.name))
    return needed


def _closure(names: set[str]) -> set[str]:
    """The distributions `names` need, with what they need in turn."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += _needed(importlib.metadata.requires(name) or [])
    return seen


def _imports(source: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"infrarep", LOCAL_AWS}


def test_every_module_the_commands_import_is_a_runtime_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _closure(_needed(project["dependencies"]))
    providers = importlib.metadata.packages_distributions()
    missing = {
        f"{source.name}: {module}"
        for source in sorted(PACKAGE.glob("*.py"))
        for module in _imports(source)
        if not {canonicalize_name(dist) for dist in providers.get(module, [module])} & runtime
    }
    assert not missing, f"imported but not in [project].dependencies: {sorted(missing)}"


def test_every_module_imports_without_the_local_aws_or_moto():
    modules = sorted(
        ".".join(("infrarep", *source.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        for source in PACKAGE.rglob("*.py")
    )
    absent = f"import sys; sys.modules.update(dict.fromkeys([{LOCAL_AWS!r}, 'moto'], None))"
    imported = subprocess.run(
        [sys.executable, "-c", "; ".join([absent, *(f"import {module}" for module in modules)])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
