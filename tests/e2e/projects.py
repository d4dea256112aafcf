"""Scratch projects for the CLI e2e suites: a copy of the project's Terraform (and, where a
stack is deployed, its packaged functions) on its own local AWS, driven through the real CLI."""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infrarep import local_target, package, render
from infrarep_local_aws import LocalAws

REPO = Path(__file__).resolve().parents[2]
FUNCTIONS = package.function_names(REPO / "lambda_src")


def scratch_project(where: Path, with_functions: bool = True) -> Path:
    """modules/, envs/, terraform/ and lambda_src/ copied under `where` (runs never touch the
    repo), with dist/lambda built when the env stacks are to be deployed. Like a fresh clone,
    without the local target's generated files: the commands write those themselves."""
    for folder in ("modules", "envs", "terraform", "lambda_src"):
        shutil.copytree(
            REPO / folder,
            where / folder,
            ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "__pycache__", *render.GENERATED_FILES),
        )
    if with_functions:
        package_functions(where)
    return where


def package_functions(where: Path) -> None:
    """dist/lambda under `where`: what an env deploy uploads."""
    shutil.copytree(_built_functions(), where / "dist" / "lambda", dirs_exist_ok=True)


@functools.cache
def _built_functions() -> Path:
    """The packages built once per test run (pip resolves their dependencies): every scratch
    project deploys the same repository code."""
    built = Path(tempfile.mkdtemp(prefix="infrarep-e2e-packages-"))
    atexit.register(shutil.rmtree, built, ignore_errors=True)
    for name in FUNCTIONS:
        package.build(name, REPO / "lambda_src" / name, built, package.SHARED_FILES)
    return built


def running_local_aws(state_dir: Path) -> Iterator[tuple[Path, LocalAws]]:
    """For a yield fixture: a local AWS of its own, stopped afterwards."""
    started = local_target.up(state_dir)
    try:
        yield state_dir, started
    finally:
        local_target.down(state_dir)


@dataclass(frozen=True)
class ControlPlane:
    """A local AWS with the state buckets and the control plane applied through the real CLI."""

    project: Path
    state_dir: Path
    local: LocalAws
    applied: dict[str, Any]  # `infrarep control-plane --json`


def applied_control_plane(project: Path, state_dir: Path, local: LocalAws) -> ControlPlane:
    boot = run_infrarep(project, state_dir, "bootstrap")
    assert boot.returncode == 0, boot.stderr[-3000:]
    applied = run_infrarep(project, state_dir, "control-plane", "--version", "cp-1", "--json")
    assert applied.returncode == 0, applied.stderr[-3000:]
    return ControlPlane(project, state_dir, local, json.loads(applied.stdout))


@dataclass(frozen=True)
class DeployedEnv:
    """One env deployed through the real CLI into a control plane's local AWS, and what the
    ledger and `status` said right after the deploy (later suites add drift checks to its
    history)."""

    world: ControlPlane
    env: str
    version: str
    applied: dict[str, Any]  # `infrarep deploy --json`
    ledger_after: list[dict[str, Any]]  # the env's ledger rows, as DynamoDB returns them
    status_after: dict[str, Any]  # `infrarep status --json`


def deployed_env(world: ControlPlane, env: str, region: str, version: str, actor: str) -> DeployedEnv:
    package_functions(world.project)
    args = ("deploy", "--env", env, "--version", version, "--actor", actor, "--json")
    deploy = run_infrarep(world.project, world.state_dir, *args)
    assert deploy.returncode == 0, deploy.stderr[-3000:]
    rows = world.local.client("dynamodb", region).query(
        TableName=f"infrarep-{env}-ledger",
        KeyConditionExpression="#e = :e",
        ExpressionAttributeNames={"#e": "env"},
        ExpressionAttributeValues={":e": {"S": env}},
    )["Items"]
    shown = run_infrarep(world.project, world.state_dir, "status", "--json")
    assert shown.returncode == 0, shown.stderr[-2000:]
    return DeployedEnv(world, env, version, json.loads(deploy.stdout), rows, json.loads(shown.stdout))


def run_infrarep(
    project: Path,
    state_dir: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: int = 1800,
) -> subprocess.CompletedProcess[str]:
    """`infrarep ARGS` in the project against the local AWS of `state_dir`, with no TTY."""
    return subprocess.run(
        [sys.executable, "-m", "infrarep.cli", *args],
        cwd=project,
        env={**os.environ, "INFRAREP_STATE_DIR": str(state_dir), **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
