"""Inputs and outputs tables of a Terraform module, for the generated part of its README."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, cut
from .files import read_text

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    description: str
    default: str | None  # None: required


@dataclass(frozen=True)
class Output:
    name: str
    description: str


def _unquote(text: Any) -> str:
    if isinstance(text, str) and len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            return json.loads(text)
        except ValueError:
            return text[1:-1]
    return str(text)


def _expression(value: Any) -> str:
    if isinstance(value, str):
        match = re.fullmatch(r"\$\{(.*)\}", value, flags=re.S)
        return match.group(1) if match else value
    return json.dumps(value, default=str)


def _blocks(tf_text: str, kind: str) -> list[tuple[str, dict[str, Any]]]:
    import hcl2

    document = hcl2.load(io.StringIO(tf_text))
    return [(_unquote(name), body) for block in document.get(kind, []) for name, body in block.items()]


def variables(tf_text: str) -> list[Variable]:
    found = [
        Variable(
            name=name,
            type=_expression(body.get("type", "any")),
            description=_unquote(body.get("description", "")),
            default=_expression(body["default"]) if "default" in body else None,
        )
        for name, body in _blocks(tf_text, "variable")
    ]
    return sorted(found, key=lambda v: (v.default is not None, v.name))


def outputs(tf_text: str) -> list[Output]:
    return sorted(
        (Output(name, _unquote(body.get("description", ""))) for name, body in _blocks(tf_text, "output")),
        key=lambda o: o.name,
    )


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def tables(module: Path) -> str:
    """The generated section: required inputs first, then optional, then outputs."""
    inputs: list[Variable] = []
    results: list[Output] = []
    from lark.exceptions import LarkError  # what python-hcl2's parser raises

    for path in sorted(module.glob("*.tf")):
        text = read_text(path)
        try:
            inputs += variables(text)
            results += outputs(text)
        except LarkError as err:
            raise ConfigError(f"{path}: not valid HCL ({cut(' '.join(str(err).split()))})") from None
    inputs.sort(key=lambda v: (v.default is not None, v.name))
    results.sort(key=lambda o: o.name)
    lines = [BEGIN, "## Inputs", "", "| name | type | default | description |", "|---|---|---|---|"]
    for item in inputs:
        default = "required" if item.default is None else f"`{_cell(item.default)}`"
        lines.append(f"| `{item.name}` | `{_cell(item.type)}` | {default} | {_cell(item.description)} |")
    lines += ["", "## Outputs", "", "| name | description |", "|---|---|"]
    lines += [f"| `{item.name}` | {_cell(item.description)} |" for item in results]
    lines.append(END)
    return "\n".join(lines) + "\n"


def updated_readme(readme: str, generated: str) -> str:
    """The README with its generated section replaced (or appended if it has none)."""
    if BEGIN in readme and END in readme:
        head, _, rest = readme.partition(BEGIN)
        _, _, tail = rest.partition(END)
        return head + generated.rstrip("\n") + tail
    return readme.rstrip("\n") + "\n\n" + generated
