"""Keep the project's own files tidy: the module READMEs' tables and the Terraform formatting."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .. import docs as module_docs
from ..errors import InfrarepError
from ..files import read_text, write_atomic

TERRAFORM_DIRS = ("modules", "envs", "terraform", "tests/e2e/fixtures", "tests/fixtures/plans/src")
"""The folders holding the project's Terraform files, from its root."""


@dataclass(frozen=True)
class DocsOptions:
    check: bool = False
    """Write nothing; only report the READMEs that are out of date."""
    modules: Path = Path("modules")


def docs(options: DocsOptions) -> list[Path]:
    """Regenerate the inputs/outputs tables of each module's README.md; the READMEs written
    (with `check`: those that would be)."""
    modules = options.modules
    if not modules.is_dir():
        raise InfrarepError(f"{modules}: no such folder", hint="run from the project root")
    stale = []
    for module in sorted(path for path in modules.iterdir() if path.is_dir()):
        readme = module / "README.md"
        current = read_text(readme) if readme.exists() else f"# {module.name}\n"
        wanted = module_docs.updated_readme(current, module_docs.tables(module))
        if wanted != current:
            stale.append(readme)
            if not options.check:
                write_atomic(readme, wanted)
    return stale


@dataclass(frozen=True)
class FmtOptions:
    check: bool = False
    """Format nothing; only list the files that need it."""
    project: Path = Path()


def fmt(options: FmtOptions) -> list[str]:
    """Format the project's Terraform files with the terraform `setup` found; the files
    formatted (with `check`: those that need it)."""
    from .. import toolchain
    from ..terraform import TerraformRoot

    tools = toolchain.load(toolchain.CachePaths.from_env(os.environ))
    root = TerraformRoot(tools.binary(), options.project.resolve(), env=tools.terraform_env())
    targets = [target for target in TERRAFORM_DIRS if (options.project / target).is_dir()]
    return root.fmt(targets, check=options.check)
