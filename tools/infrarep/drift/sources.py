"""The module sources a plan was made from, read from disk with the HCL parser: what plan JSON
leaves out (`dynamic` blocks, `locals`, literals inside expressions that have references) for
the tracer (`tracing.py`), and where each resource block is written (for SARIF).

Module dirs: the root dir itself, `.terraform/modules/modules.json` (every module `terraform
init` installed, registry and git ones included), else local paths (`./`, `../`) resolved from
the calling module's dir. Each dir is read once, all its `*.tf` files (override files patch
blocks rather than declare them, and are left out). A file that does not parse, or a module
whose dir is not there, is a `problem`: one line naming it; the tracer then falls back to what
plan JSON shows for that module.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

from .. import plans

Body = dict[str, Any]
"""A block's body as python-hcl2 gives it: attributes by name (expressions as `${...}` strings,
quoted strings with their quotes), nested blocks as lists of bodies, `dynamic` blocks under
`dynamic` as [{'"label"': body}]."""

HCL_OPTIONS = hcl2.SerializationOptions(with_comments=False)


def label(text: str) -> str:
    """`"aws_s3_bucket"` (a block label as python-hcl2 keeps it) -> `aws_s3_bucket`."""
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


@dataclass
class ModuleSource:
    """One module dir as parsed: its resource blocks, locals, module calls and variables."""

    directory: Path
    resources: dict[str, Body] = field(default_factory=dict)
    """By address in the module: `aws_sqs_queue.this`, `data.aws_iam_policy_document.x`."""
    files: dict[str, Path] = field(default_factory=dict)
    """The file of each resource block, by address."""
    locals: dict[str, Any] = field(default_factory=dict)
    calls: dict[str, Body] = field(default_factory=dict)
    variables: dict[str, Body] = field(default_factory=dict)
    texts: dict[Path, str] = field(default_factory=dict)
    broken: list[str] = field(default_factory=list)
    """`file: reason` of the files that did not parse (their blocks are missing above)."""

    def dynamic_blocks(self, address: str) -> tuple[str, ...]:
        """The top-level block types `address` sets in `dynamic` blocks."""
        body = self.resources.get(address)
        return tuple(name for name, _ in dynamic_in(body)) if body else ()


def dynamic_in(body: Body) -> Iterator[tuple[str, Body]]:
    """The `dynamic` blocks directly in `body`, as (block type, the dynamic block's body)."""
    for item in body.get("dynamic") or ():
        if isinstance(item, dict):
            for name, inner in item.items():
                if isinstance(inner, dict):
                    yield label(name), inner


def parse_module(directory: Path) -> ModuleSource:
    """Every `*.tf` file of one module dir (override files left out), merged."""
    module = ModuleSource(directory)
    for path in sorted(directory.glob("*.tf")):
        if path.name == "override.tf" or path.name.endswith("_override.tf"):
            continue
        try:
            text = module.texts[path] = path.read_text(encoding="utf-8")
            document = hcl2.loads(text, serialization_options=HCL_OPTIONS)
        except Exception as err:  # the parser raises several kinds; any of them means "does not parse"
            module.broken.append(f"{path}: does not parse ({_first_line(err)})")
            continue
        _collect(module, path, document)
    return module


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0][:120] if text else type(err).__name__


def _collect(module: ModuleSource, path: Path, document: dict[str, Any]) -> None:
    for kind, prefix in (("resource", ""), ("data", "data.")):
        for block in document.get(kind) or ():
            for type_label, named in block.items():
                if not isinstance(named, dict):
                    continue
                for name, body in named.items():
                    if isinstance(body, dict):
                        address = f"{prefix}{label(type_label)}.{label(name)}"
                        module.resources[address] = body
                        module.files[address] = path
    for block in document.get("locals") or ():
        module.locals.update((name, value) for name, value in block.items() if not name.startswith("__"))
    for kind, target in (("module", module.calls), ("variable", module.variables)):
        for block in document.get(kind) or ():
            for name, body in block.items():
                if isinstance(body, dict):
                    target[label(name)] = body


@dataclass
class Sources:
    """The module dirs of one env's configuration, read once each."""

    root: Path
    modules: dict[tuple[str, ...], ModuleSource] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """One line each: a module whose dir is not on disk, a file that does not parse."""

    def module(self, path: tuple[str, ...]) -> ModuleSource | None:
        return self.modules.get(path)

    def hidden(self) -> plans.Hidden:
        """The block types each resource sets in `dynamic` blocks (see `plans.with_hidden`)."""
        found: dict[tuple[tuple[str, ...], str], tuple[str, ...]] = {}
        for path, module in self.modules.items():
            for address in module.resources:
                names = module.dynamic_blocks(address)
                if names:
                    found[(path, address)] = names
        return found

    def block_location(self, address: str) -> tuple[str, int] | None:
        """Where the block of a resource address (`module.app["a"].aws_sqs_queue.jobs[0]`) is
        written: its file relative to the root dir, and the line the block starts on."""
        module_address, config_address = split_address(address)
        module = self.modules.get(plans.module_path(module_address))
        if module is None or config_address not in module.files:
            return None
        path = module.files[config_address]
        line = _block_line(module.texts[path], config_address)
        return os.path.relpath(path, self.root), line


def mismatch(sources: Sources, config: plans.Configuration) -> str | None:
    """Why a plan's `config` was not made from `sources` (one line naming the first module whose
    resource blocks or module calls are not the ones on disk); None when every module read has
    the blocks and calls the plan has."""
    for path in sorted(sources.modules):
        module, planned = sources.modules[path], config.module(path)
        if planned is None:
            continue
        where = module_label(path)
        for kind, on_disk, in_plan in (
            ("resource", set(module.resources), {resource.address for resource in planned.resources}),
            (
                "module call",
                {f"{name} ({label(str(body.get('source', '')))})" for name, body in module.calls.items()},
                {f"{name} ({call.source})" for name, call in planned.module_calls.items()},
            ),
        ):
            if on_disk != in_plan:
                only_plan, only_disk = sorted(in_plan - on_disk), sorted(on_disk - in_plan)
                shown = (
                    f"{kind} {only_plan[0]} is in the plan only"
                    if only_plan
                    else (f"{kind} {only_disk[0]} is on disk only")
                )
                return f"{where} in {module.directory}: {shown}"
    return None


def module_label(path: tuple[str, ...]) -> str:
    return ".".join(f"module.{name}" for name in path) if path else "the root module"


_MODULE_PART = re.compile(r'^((?:module\.[^.\[]+(?:\[(?:"(?:[^"\\]|\\.)*"|[0-9]+)\])?\.)*)(.*)$')
_INSTANCE_KEY = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[0-9]+)\]$')


def split_address(address: str) -> tuple[str, str]:
    """`module.app["a"].aws_sqs_queue.jobs[0]` -> (`module.app["a"]`, `aws_sqs_queue.jobs`)."""
    match = _MODULE_PART.match(address)
    assert match is not None  # the pattern matches every string
    return match.group(1).rstrip("."), _INSTANCE_KEY.sub("", match.group(2))


def _block_line(text: str, config_address: str) -> int:
    parts = config_address.split(".")
    kind, type_name, name = ("data", *parts[1:]) if parts[0] == "data" else ("resource", *parts)
    pattern = re.compile(rf'^[ \t]*{kind}\s+"{re.escape(type_name)}"\s+"{re.escape(name)}"', re.M)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def read_sources(root: Path, config: plans.Configuration) -> Sources:
    """The sources of `config`'s modules under the root module dir `root`."""
    sources = Sources(root)
    installed = _installed_modules(root, sources.problems)
    dirs: dict[tuple[str, ...], Path] = {(): root}
    for call in config.calls():
        parent = dirs.get(call.path[:-1])
        where = installed.get(".".join(call.path))
        if where is None and parent is not None and call.source.startswith(("./", "../")):
            where = Path(os.path.normpath(parent / call.source))
        label_text = plans.module_prefix(call.path).rstrip(".")
        if where is None or not where.is_dir():
            hint = "" if installed else " (run terraform init)"
            sources.problems.append(f"{label_text}: source {call.source!r} is not on disk{hint}")
            continue
        dirs[call.path] = where
    parsed: dict[Path, ModuleSource] = {}
    for path, directory in dirs.items():
        key = directory.resolve()
        if key not in parsed:
            parsed[key] = parse_module(directory)
            sources.problems.extend(parsed[key].broken)
        sources.modules[path] = parsed[key]
    return sources


def _installed_modules(root: Path, problems: list[str]) -> dict[str, Path]:
    """`.terraform/modules/modules.json`: module key (`app.store`) -> its dir."""
    manifest = root / ".terraform" / "modules" / "modules.json"
    if not manifest.is_file():
        return {}
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8")).get("Modules") or []
    except (OSError, ValueError, AttributeError) as err:
        problems.append(f"{manifest}: not a module manifest ({_first_line(err)})")
        return {}
    return {
        str(entry["Key"]): root / str(entry["Dir"])
        for entry in entries
        if isinstance(entry, dict) and entry.get("Key") and entry.get("Dir")
    }
