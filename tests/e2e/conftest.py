"""e2e fixtures: the real terraform + provider recorded by `make setup`, and a local AWS."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from infrarep import local_target, toolchain
from infrarep.errors import ToolchainError
from infrarep.terraform import TerraformRoot
from infrarep_local_aws import LocalAws

from .projects import ControlPlane, DeployedEnv, applied_control_plane, deployed_env, scratch_project

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def tools() -> toolchain.Toolchain:
    """Never skips: without a toolchain the e2e suite fails loudly."""
    try:
        return toolchain.load(toolchain.CachePaths.from_env(os.environ))
    except ToolchainError as err:
        pytest.fail(f"{err.message} ({err.hint})")


@pytest.fixture(scope="session")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAws]:
    state_dir = tmp_path_factory.mktemp("local-aws")
    started = local_target.up(state_dir)
    yield started
    local_target.down(state_dir)


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """One control plane for the suites that read or use it (applied once per session); its local
    AWS also holds the session's deployed dev (`shared_dev`)."""
    project = scratch_project(tmp_path_factory.mktemp("control-project"), with_functions=False)
    state_dir = tmp_path_factory.mktemp("control-state")
    started = local_target.up(state_dir)
    try:
        yield applied_control_plane(project, state_dir, started)
    finally:
        local_target.down(state_dir)


@pytest.fixture(scope="session")
def shared_dev(control_plane: ControlPlane) -> DeployedEnv:
    """dev (in the control region) deployed once, version e2e-1 by ci, beside the control plane:
    for every suite that checks or uses a deployed env there (test_stack, test_soak). A suite
    that changes dev behind terraform's back puts it back before it ends."""
    return deployed_env(control_plane, "dev", "us-east-1", version="e2e-1", actor="ci")


@pytest.fixture(scope="session")
def aws_for() -> Callable[..., object]:
    """`aws_for(local, "s3", "us-east-1")`: a boto3 client against a given local AWS (a plain
    factory, so fixtures of any scope may use it)."""

    return lambda target, service, region: target.client(service, region)


@pytest.fixture
def aws(local: LocalAws, aws_for: Callable[..., object]) -> Callable[..., object]:
    """`aws("s3", "us-east-1")`: a boto3 client against the session's local AWS."""
    return lambda service, region: aws_for(local, service, region)


@pytest.fixture
def terraform_root(
    tmp_path: Path, tools: toolchain.Toolchain, local: LocalAws
) -> Callable[[str], TerraformRoot]:
    """Copy a fixture root into tmp_path and return a runner for it against the local AWS."""

    def make(fixture: str) -> TerraformRoot:
        workdir = tmp_path / fixture
        shutil.copytree(FIXTURES / fixture, workdir)
        lines: list[str] = []
        return TerraformRoot(
            binary=tools.binary(),
            workdir=workdir,
            env={**tools.terraform_env(), **local_target.terraform_env(local)},
            on_line=lines.append,
        )

    return make
