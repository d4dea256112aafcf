"""What each env runs, since when, by whom, and what its last drift check found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import ledger
from ..config import EnvSettings
from ..runner import Runner, env_resources
from ..status import EnvStatus
from .context import Progress, open_project


@dataclass(frozen=True)
class StatusOptions:
    config_path: Path


def status(options: StatusOptions, progress: Progress) -> list[EnvStatus]:
    """Every env's status, in promotion order."""
    project = open_project(options.config_path, progress)
    return env_statuses(project.runner(), project.settings.ordered())


def env_statuses(runner: Runner, envs: Sequence[EnvSettings]) -> list[EnvStatus]:
    """Each env's status from its own ledger; an env whose stack has no outputs yet (never
    deployed) has no rows."""
    shown = []
    for env in envs:
        where = env_resources(runner, env)
        rows = ledger.history(runner.env_clients(env), where) if where else []
        shown.append(EnvStatus.of(env.name, env.region, rows))
    return shown
