"""Fixtures shared by every test layer."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from . import workers
from .moto_world import MOTO_REGION, isolate_aws_env

ROOT = Path(__file__).resolve().parent.parent
REAL_CONFIG = ROOT / "envs" / "environments.yaml"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest units first (tests/workers.py), in a serial run as on xdist's workers."""
    workers.check_shared_fixtures(items)
    workers.longest_first(items)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`--dist loadfile` with the files that share a session fixture kept on one worker."""
    if config.getoption("dist") != "loadfile":
        return None
    return workers.SharedFixtureFileScheduling(config, log)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's AWS, in-process, with nothing able to reach a real account or a local endpoint."""
    from moto import mock_aws

    isolate_aws_env(monkeypatch, MOTO_REGION)
    with mock_aws():
        yield


def _deep_update(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if value is _DELETE:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_update(target[key], value)
        else:
            target[key] = value


_DELETE = object()


@pytest.fixture
def delete() -> object:
    """Marker for `config_text(staging={"region": delete})`: drop that key."""
    return _DELETE


@pytest.fixture
def config_text() -> Callable[..., str]:
    """The real environments.yaml with changes: `config_text(staging={"region": "us-west-9"})`."""
    base = yaml.safe_load(REAL_CONFIG.read_text())

    def make(top: dict[str, Any] | None = None, **env_changes: dict[str, Any]) -> str:
        document = copy.deepcopy(base)
        _deep_update(document, top or {})
        for env, changes in env_changes.items():
            document["environments"].setdefault(env, {})
            _deep_update(document["environments"][env], changes)
        return yaml.safe_dump(document, sort_keys=False)

    return make


@pytest.fixture
def write_config(config_text: Callable[..., str]) -> Callable[..., Path]:
    """Write a changed environments.yaml under `directory/envs/` (beside an empty modules/, so
    `directory` is a project) and return its path."""

    def make(directory: Path, top: dict[str, Any] | None = None, **env_changes: dict[str, Any]) -> Path:
        path = directory / "envs" / "environments.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        (directory / "modules").mkdir(exist_ok=True)
        path.write_text(config_text(top, **env_changes))
        return path

    return make
