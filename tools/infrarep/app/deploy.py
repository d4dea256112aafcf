"""Plan and apply the roots: bootstrap, control-plane, plan, deploy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..render import CONTROL_PLANE_ROOT
from ..runner import PlannedRun
from ..workflow import Applied, deploy_release
from .context import Progress, actor_name, now, open_env_job, open_project

BOOTSTRAP_ROOT = Path("terraform") / "bootstrap"


@dataclass(frozen=True)
class BootstrapOptions:
    config_path: Path
    verbose: bool = False


def bootstrap(options: BootstrapOptions, progress: Progress) -> PlannedRun:
    """Plan the remote-state buckets (local state) and apply the plan if it changes anything."""
    project = open_project(options.config_path, progress, options.verbose)
    project.require_ready([], packages=False)
    runner = project.runner()
    root = project.workspace.project / BOOTSTRAP_ROOT
    run = runner.plan("bootstrap", root, runner.bootstrap_backend(), var_files=[])
    if run.summary.changes:
        runner.apply(run)
    return run


@dataclass(frozen=True)
class ControlPlaneOptions:
    config_path: Path
    version: str | None = None
    plan_only: bool = False
    verbose: bool = False


def control_plane(options: ControlPlaneOptions, progress: Progress) -> PlannedRun:
    """Plan the control plane and, unless `plan_only`, apply exactly that plan if it changes
    anything."""
    project = open_project(options.config_path, progress, options.verbose)
    project.require_ready([], packages=False)
    runner = project.runner()
    settings = project.settings
    runner.require_account(
        "control plane", settings.control_region, settings.control_account_id, settings.control_role_arn
    )
    release = project.release(options.version)
    root = project.workspace.project / CONTROL_PLANE_ROOT
    run = runner.plan("control", root, runner.backend(root), [runner.release_vars("control", release)])
    if run.summary.changes and not options.plan_only:
        runner.apply(run)
    return run


@dataclass(frozen=True)
class PlanOptions:
    env: str
    config_path: Path
    version: str | None = None
    verbose: bool = False


def plan(options: PlanOptions, progress: Progress) -> PlannedRun:
    """Plan one env into a saved plan (with its JSON form) and apply nothing."""
    job = open_env_job(options.config_path, options.env, options.version, progress, options.verbose)
    root = job.project.workspace.env_root(options.env)
    return job.runner.plan(
        options.env, root, job.runner.backend(root), [job.runner.release_vars(options.env, job.release)]
    )


@dataclass(frozen=True)
class DeployOptions:
    env: str
    config_path: Path
    version: str | None = None
    actor: str | None = None
    verbose: bool = False


def deploy(options: DeployOptions, progress: Progress) -> Applied:
    """Plan one env, apply exactly that saved plan and record it (`workflow.deploy_release`)."""
    job = open_env_job(options.config_path, options.env, options.version, progress, options.verbose)
    return deploy_release(job.runner, job.env, job.release, actor_name(options.actor), now)
