"""Fixtures of the local AWS's tests: a running local AWS and boto3 clients against it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from infrarep_local_aws import LocalAws, down, up


@pytest.fixture(scope="session")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAws]:
    state_dir = tmp_path_factory.mktemp("local-aws")
    started = up(state_dir)
    yield started
    down(state_dir)


@pytest.fixture
def aws_for() -> Callable[..., object]:
    """`aws_for(local, "s3", "us-east-1")`: a boto3 client against a given local AWS."""
    return lambda target, service, region: target.client(service, region)


@pytest.fixture
def aws(local: LocalAws) -> Callable[..., object]:
    """`aws("s3", "us-east-1")`: a boto3 client against the session's local AWS."""
    return lambda service, region: local.client(service, region)


@pytest.fixture
def local_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in-process with the local AWS's changes installed (no server)."""
    from moto import mock_aws

    from infrarep_local_aws.server import install_extensions

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    install_extensions()
    with mock_aws():
        yield
