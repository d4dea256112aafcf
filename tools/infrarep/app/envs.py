"""The environments of environments.yaml in promotion order: what a CI matrix runs over."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import config


@dataclass(frozen=True)
class EnvEntry:
    name: str
    region: str


def envs(config_path: Path) -> list[EnvEntry]:
    """Every env, in promotion order, with its region. Reads only the config file."""
    settings = config.load(config_path)
    return [EnvEntry(env.name, env.region) for env in settings.ordered()]
