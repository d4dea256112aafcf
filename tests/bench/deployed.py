"""For the benchmarks that run on the envs `make demo` deployed: the project's runner, the
environment raw terraform needs to reach the same local AWS, and a timer for commands."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Deployed:
    runner: Any  # infrarep.runner.Runner
    project: Path
    terraform: str  # the binary infrarep runs
    terraform_env: dict[str, str]


def deployed_project(config_path: Path) -> Deployed:
    """The project of `config_path` with its local AWS running (else a one-line exit)."""
    from infrarep import config, local_target
    from infrarep.app.context import state_dir
    from infrarep.errors import InfrarepError
    from infrarep.runner import Runner
    from infrarep.workspace import Workspace

    project = config_path.resolve().parents[1]
    workspace = Workspace(project=project, state_dir=state_dir(), config_path=config_path)
    try:
        runner = Runner(config.load(config_path), workspace, lambda _line: None, verbose=False)
    except InfrarepError as err:
        raise SystemExit(f"{err.message} (run `make demo` first)") from None
    terraform_env = {
        **os.environ,
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        **runner.tools.terraform_env(),
        **(local_target.terraform_env(runner.local) if runner.local else {}),
    }
    return Deployed(runner, project, str(runner.tools.binary().path), terraform_env)


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    """Wall seconds of one command (exit 0 or 2) and its stderr."""
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(argv[:3])} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, done.stderr
