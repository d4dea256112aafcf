"""Where one project's files, and each run's own files, live."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

KEPT_RUNS = 10
"""Run directories kept per root (`.infrarep/runs/<name>/`); older ones go when a run plans."""
_RUN_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}")


def new_run_id() -> str:
    """`20261202T071203Z-3f2a9c1b`: in time order, unique across the processes of a checkout."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Workspace:
    """Where the project, its per-run files and the local AWS state live. Each run (each
    infrarep process) keeps its plans and tfvars in its own directory, so a second run of an
    env never replaces the saved plan the first is about to apply."""

    project: Path
    state_dir: Path
    config_path: Path
    run_id: str = field(default_factory=new_run_id)

    def env_root(self, env: str) -> Path:
        return self.project / "envs" / env

    def run_dir(self, name: str) -> Path:
        return self.state_dir / "runs" / name / self.run_id

    def prune_runs(self, name: str, keep: int = KEPT_RUNS) -> None:
        """Remove all but the `keep` newest run directories of `name` (never this run's), and
        whatever else lies there (the single-directory layout of earlier versions)."""
        runs = self.state_dir / "runs" / name
        entries = [path.name for path in runs.iterdir()] if runs.is_dir() else []
        for entry in stale_runs(entries, self.run_id, keep):
            path = runs / entry
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def lambda_packages(self) -> Path:
        return self.project / "dist" / "lambda"


def stale_runs(names: Sequence[str], current: str, keep: int) -> list[str]:
    """Entries of a root's runs directory to remove: all but the `keep` newest runs (by id,
    which sorts in time order) and the `current` one; anything not named like a run."""
    runs = sorted(name for name in names if _RUN_ID.fullmatch(name) and name != current)
    kept = set(runs[-(keep - 1) :]) if keep > 1 else set()
    return sorted(name for name in names if name != current and name not in kept)
