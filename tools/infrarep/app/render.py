"""Render each root's committed tfvars and backend config, and the target's generated files,
from environments.yaml."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import config
from .. import render as rendering
from .context import project_root


@dataclass(frozen=True)
class RenderOptions:
    config_path: Path
    envs: Sequence[str] = ()
    """Only these envs; none: every env."""
    check: bool = False
    """Write nothing; only report what differs."""


def render(options: RenderOptions) -> list[rendering.FileChange]:
    """Bring each root's committed and generated files in line with environments.yaml; the
    files written or deleted (with `check`: the committed ones that would be)."""
    settings = config.load(options.config_path)
    envs = options.envs
    selected = [settings.env(name, options.config_path) for name in envs] if envs else settings.ordered()
    return rendering.sync(settings, selected, project_root(options.config_path), write=not options.check)
