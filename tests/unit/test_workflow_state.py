"""Reading an env's state (and its stack outputs) straight from the S3 backend (moto in-process)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infrarep import config, ledger, records, render
from infrarep.errors import InfrarepError
from infrarep.runner import env_resources, stack_outputs, stored_state

REPO = Path(__file__).parents[2]
STACK = {"ledger_table_name": "infrarep-dev-ledger", "config_bucket": "infrarep-dev-config-123456789012"}


@dataclass
class _Runner:
    """What the state readers use of `runner.Runner`: the settings and per-region clients."""

    settings: config.Settings
    s3: Any = None

    def clients(self, region: str) -> ledger.Clients:
        made = ledger.make_clients(region)
        return made if self.s3 is None else dataclasses.replace(made, s3=self.s3)

    def env_clients(self, env: config.EnvSettings) -> ledger.Clients:
        return self.clients(env.region)


@pytest.fixture
def settings() -> config.Settings:
    return config.load(REPO / "envs" / "environments.yaml")


def _put_state(settings: config.Settings, env: config.EnvSettings, state: dict[str, Any] | bytes) -> None:
    s3 = ledger.make_clients(env.region).s3
    bucket = render.state_bucket(settings, env.region)
    s3.create_bucket(Bucket=bucket)
    body = state if isinstance(state, bytes) else json.dumps(state).encode()
    s3.put_object(Bucket=bucket, Key=records.state_key(env.name), Body=body)


def test_an_env_never_applied_has_no_state_and_no_outputs(aws, settings):
    dev = settings.env("dev")
    runner = _Runner(settings)
    assert env_resources(runner, dev) is None  # no state bucket in the region yet
    ledger.make_clients(dev.region).s3.create_bucket(Bucket=render.state_bucket(settings, dev.region))
    assert stored_state(runner, dev.region, records.state_key(dev.name)) is None
    assert env_resources(runner, dev) is None


def test_the_stack_outputs_come_from_the_applied_state(aws, settings):
    dev = settings.env("dev")
    _put_state(settings, dev, {"version": 4, "outputs": {"stack": {"value": STACK, "type": "object"}}})
    where = env_resources(_Runner(settings), dev)
    assert where == ledger.EnvResources("dev", dev.region, STACK["ledger_table_name"], STACK["config_bucket"])


def test_a_state_without_the_stack_output_is_not_deployed(aws, settings):
    dev = settings.env("dev")
    _put_state(settings, dev, {"version": 4, "outputs": {}})
    assert stack_outputs(_Runner(settings), dev) is None


def test_a_corrupt_state_is_named(aws, settings):
    dev = settings.env("dev")
    _put_state(settings, dev, b"<html>not a state</html>")
    with pytest.raises(
        InfrarepError, match=r"^s3://infrarep-tfstate-us-east-1/dev/terraform\.tfstate: not a"
    ):
        env_resources(_Runner(settings), dev)


def test_an_unreachable_backend_is_one_line_naming_the_state(aws, settings):
    dev = settings.env("dev")

    class Unreachable:
        exceptions = ledger.make_clients(dev.region).s3.exceptions

        def get_object(self, **_: Any) -> None:
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url="https://127.0.0.1:9")

    with pytest.raises(InfrarepError) as raised:
        env_resources(_Runner(settings, s3=Unreachable()), dev)
    assert raised.value.message.startswith(
        "s3://infrarep-tfstate-us-east-1/dev/terraform.tfstate: cannot read"
    )
    assert "\n" not in raised.value.message
