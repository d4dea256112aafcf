"""The local AWS stands alone: installed without infrarep, none of it reaches for infrarep."""

from __future__ import annotations

import ast
from pathlib import Path

import infrarep_local_aws


def test_no_module_imports_infrarep():
    package = Path(infrarep_local_aws.__file__).parent
    imported = {
        f"{source.name}: {name}"
        for source in sorted(package.rglob("*.py"))
        for node in ast.walk(ast.parse(source.read_text()))
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and node.level == 0
            else []
        )
        if name.split(".")[0] == "infrarep"
    }
    assert not imported
