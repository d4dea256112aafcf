"""Release an env's lock that a run left behind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import env_lock
from .context import Progress, now, open_project


@dataclass(frozen=True)
class UnlockOptions:
    env: str
    lock_id: str
    config_path: Path


def unlock(options: UnlockOptions, progress: Progress) -> env_lock.Holder | None:
    """Release the env's lock `lock_id`; the holder it named, or None if the env was not held.
    The id guards against releasing a newer run's lock (`env_lock.unlock`)."""
    project = open_project(options.config_path, progress)
    target = project.env(options.env)
    store, key = project.runner().env_locks(target)
    return env_lock.unlock(store, key, target.name, options.lock_id, now())
