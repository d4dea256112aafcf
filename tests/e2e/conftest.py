"""e2e fixtures: the real terraform + provider recorded by `make setup`, and a local AWS."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

from infrarep import local_aws, toolchain
from infrarep.errors import ToolchainError
from infrarep.terraform import TerraformRoot

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def tools() -> toolchain.Toolchain:
    """Never skips: without a toolchain the e2e suite fails loudly."""
    try:
        return toolchain.load(toolchain.CachePaths.from_env(os.environ))
    except ToolchainError as err:
        pytest.fail(f"{err.message} ({err.hint})")


@pytest.fixture(scope="session")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[local_aws.LocalAws]:
    state_dir = tmp_path_factory.mktemp("local-aws")
    started = local_aws.up(state_dir)
    yield started
    local_aws.down(state_dir)


@pytest.fixture(scope="session")
def aws_for() -> Callable[..., object]:
    """`aws_for(local, "s3", "us-east-1")`: a boto3 client against a given local AWS (a plain
    factory, so fixtures of any scope may use it)."""

    def client(target: local_aws.LocalAws, service: str, region: str) -> object:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=target.endpoint,
            verify=target.ca_bundle,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    return client


@pytest.fixture
def aws(local: local_aws.LocalAws, aws_for: Callable[..., object]) -> Callable[..., object]:
    """`aws("s3", "us-east-1")`: a boto3 client against the session's local AWS."""
    return lambda service, region: aws_for(local, service, region)


@pytest.fixture
def terraform_root(
    tmp_path: Path, tools: toolchain.Toolchain, local: local_aws.LocalAws
) -> Callable[[str], TerraformRoot]:
    """Copy a fixture root into tmp_path and return a runner for it against the local AWS."""

    def make(fixture: str) -> TerraformRoot:
        workdir = tmp_path / fixture
        shutil.copytree(FIXTURES / fixture, workdir)
        lines: list[str] = []
        return TerraformRoot(
            binary=tools.binary(),
            workdir=workdir,
            env={**tools.terraform_env(), **local.terraform_env()},
            on_line=lines.append,
        )

    return make
