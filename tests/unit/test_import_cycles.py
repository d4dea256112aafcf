"""No two infrarep modules import each other, directly or through others: not at the top, and
not inside a function (an import moved into a function hides a circle, it does not end it)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "tools" / "infrarep"


def module_names(package: Path) -> dict[str, Path]:
    """Every module of the package under its dotted name (`infrarep.app.deploy`); a package's
    `__init__.py` under the package's name."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = [package.name, *path.relative_to(package).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imported(module: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that `module` imports anywhere in its body."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            # `from . import drift` imports the module drift; `from .drift import Kind` a name in it
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in found if name in known and name != module}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle per group of modules that reach each other (Tarjan's strongly connected
    components), as a path that starts and ends at the same module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_circle(graph, group) for group in groups]


def _circle(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start = group[0]
    paths = {start: [start]}
    todo = [start]
    while todo:
        node = todo.pop(0)
        for target in sorted(graph[node] & set(group)):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                todo.append(target)
    raise AssertionError(f"{group}: not a strongly connected group")


def import_graph(package: Path) -> dict[str, set[str]]:
    names = module_names(package)
    return {module: imported(module, path, set(names)) for module, path in names.items()}


def test_no_infrarep_module_imports_itself_through_others():
    found = cycles(import_graph(PACKAGE))
    assert not found, "import circles: " + "; ".join(" -> ".join(circle) for circle in found)


def test_the_graph_sees_every_kind_of_import():
    graph = import_graph(PACKAGE)
    assert "infrarep.runner" in graph["infrarep.drift_runs"]  # from .runner import Runner
    assert "infrarep.drift" in graph["infrarep.drift_runs"]  # from .drift import Kind
    assert "infrarep.toolchain" in graph["infrarep.runner"]  # from . import toolchain


def test_a_circle_through_a_function_level_import_is_found(tmp_path):
    package = tmp_path / "infrarep"
    (package / "app").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "app" / "__init__.py").write_text("")
    (package / "runner.py").write_text("from .app import deploy\n")
    (package / "app" / "deploy.py").write_text("from ..ledger import record\n")
    (package / "ledger.py").write_text("def record():\n    from . import runner\n")
    (package / "plans.py").write_text("from . import ledger\n")
    assert cycles(import_graph(package)) == [
        ["infrarep.app.deploy", "infrarep.ledger", "infrarep.runner", "infrarep.app.deploy"]
    ]
