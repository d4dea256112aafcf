"""The one place a command opens its project: settings, workspace, runner, release, and the
checks every command that runs terraform makes first.

Imported when `infrarep` starts (the `local` commands use `state_dir`): the heavy modules are
imported where they are first needed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, InfrarepError

if TYPE_CHECKING:
    from ..config import EnvSettings, Settings
    from ..runner import Release, Runner
    from ..workspace import Workspace

Progress = Callable[[str], None]
STATE_DIR_SETTING = "INFRAREP_STATE_DIR"
"""The Lambda packages an env's stack deploys (`infrarep package` builds them)."""


class StaleRender(InfrarepError):
    """A rendered file no longer matches environments.yaml: terraform would run on old inputs."""


def state_dir() -> Path:
    """Where per-checkout runtime state (the local AWS PID file, plans) lives."""
    configured = os.environ.get(STATE_DIR_SETTING)
    return Path(configured) if configured else Path.cwd() / ".infrarep"


def project_root(config_path: Path) -> Path:
    """The project the config belongs to: the folder holding its envs/ folder and modules/.
    Commands write there (render: envs/<env>/, terraform/*/), so a config anywhere else is an
    error rather than a reason to treat its grandparent as a project."""
    folder = config_path.resolve().parent
    if folder.name != "envs" or not (folder.parent / "modules").is_dir():
        raise InfrarepError(
            f"{config_path}: not in the envs/ folder of a project (a folder with envs/ and modules/)",
            hint="run from the project root, or pass --config <project>/envs/environments.yaml",
        )
    return folder.parent


def actor_name(given: str | None) -> str:
    """Who acts, for the ledger: --actor, else what started the CodeBuild build (e.g.
    codepipeline/<pipeline>), else the login name."""
    if given:
        return given
    if initiator := os.environ.get("CODEBUILD_INITIATOR"):
        return initiator
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return "unknown"


def now() -> datetime:
    return datetime.now(UTC)


class Project:
    """One project as environments.yaml describes it. The workspace (which checks where the
    config lies) and the runner (which loads the toolchain and finds the local AWS) are
    made when first used, so a command fails on its first problem in the order it meets them."""

    def __init__(self, settings: Settings, config_path: Path, progress: Progress, verbose: bool) -> None:
        self.settings = settings
        self.config_path = config_path
        self.progress = progress
        self.verbose = verbose
        self._runner: Runner | None = None

    @cached_property
    def workspace(self) -> Workspace:
        from ..workspace import Workspace

        return Workspace(
            project=project_root(self.config_path), state_dir=state_dir(), config_path=self.config_path
        )

    def env(self, name: str) -> EnvSettings:
        """The env's settings; an unknown name is an error naming the config file."""
        return self.settings.env(name, self.config_path)

    def ready_env(self, name: str) -> EnvSettings:
        """The env's settings, once its rendered files and the Lambda packages are current."""
        target = self.env(name)
        self.require_ready([target])
        return target

    def require_ready(self, envs: Sequence[EnvSettings], *, packages: bool = True) -> None:
        """Refuse to run terraform on stale committed files (those of `envs` and the shared
        roots) or, with `packages`, without the Lambda packages the stack deploys; then write
        the target's generated files of those roots (a fresh clone needs no render step)."""
        from .. import render

        workspace = self.workspace
        for path, text in render.committed_files(self.settings, list(envs), workspace.project).items():
            current = path.read_text() if path.exists() else None
            if current != text:
                raise StaleRender(
                    f"{path.relative_to(workspace.project)}: stale, does not match {self.config_path.name}",
                    hint="run `infrarep render` (and commit the result)",
                )
        self._require_env_roots(envs)
        from .. import package

        for name in package.function_names(workspace.project / "lambda_src") if packages else ():
            if not (workspace.lambda_packages() / f"{name}.zip").exists():
                raise ConfigError(
                    f"{workspace.lambda_packages() / name}.zip: missing Lambda package",
                    hint="run `infrarep package`",
                )
        render.sync_generated(self.settings, list(envs), workspace.project)

    def _require_env_roots(self, envs: Sequence[EnvSettings]) -> None:
        """Each env's root holds the hand-written files of the first env's root (`env_roots`)."""
        from .. import env_roots, render

        first = self.settings.promotion.order[0]

        def hand_written(env: str) -> dict[str, bytes]:
            root = self.workspace.env_root(env)
            names = [path.name for path in root.iterdir() if path.is_file()] if root.is_dir() else []
            rendered = render.env_files(self.settings, self.settings.environments[env])
            return {name: (root / name).read_bytes() for name in env_roots.hand_written(names, rendered)}

        reference = hand_written(first)
        for env in envs:
            if env.name != first:
                env_roots.check_root(env.name, hand_written(env.name), first, reference)

    def runner(self) -> Runner:
        """The project's runner (terraform streams its output with `verbose`), made once."""
        if self._runner is None:
            from ..runner import Runner

            self._runner = Runner(self.settings, self.workspace, self.progress, self.verbose)
        return self._runner

    def release(self, version: str | None) -> Release:
        """The release being deployed: --version, else RELEASE.json's, else the git commit."""
        from ..runner import current_release

        return current_release(self.workspace.project, version)


def open_project(config_path: Path, progress: Progress, verbose: bool = False) -> Project:
    """Load environments.yaml; the workspace and runner follow on first use. `verbose`:
    terraform's own output goes to `progress` too."""
    from .. import config

    return Project(config.load(config_path), config_path, progress, verbose)


@dataclass(frozen=True)
class EnvJob:
    """What a command that runs terraform on one env starts from."""

    project: Project
    env: EnvSettings
    runner: Runner
    release: Release


def open_env_job(
    config_path: Path, env: str, version: str | None, progress: Progress, verbose: bool
) -> EnvJob:
    """The project, the env once it is ready (`Project.ready_env`), the runner and the release
    (`version`, else RELEASE.json's, else the git commit)."""
    project = open_project(config_path, progress, verbose)
    target = project.ready_env(env)
    runner = project.runner()
    runner.require_env_account(target)
    return EnvJob(project, target, runner, project.release(version))
