"""On real AWS terraform acts as the caller, with the caller's credentials, as infrarep's own
AWS calls do; on the local AWS it never sees them."""

from __future__ import annotations

from pathlib import Path

import pytest

from infrarep import config, runner, toolchain
from infrarep.workspace import Workspace

REPO = Path(__file__).parents[2]
CALLER = {
    "AWS_PROFILE": "deployer",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc",
    "AWS_SESSION_TOKEN": "token",
    "HTTPS_PROXY": "http://proxy.internal:3128",
}


@pytest.fixture
def aws_runner(monkeypatch, tmp_path) -> runner.Runner:
    tools = toolchain.Toolchain(
        terraform="/opt/terraform",
        flavour="terraform",
        terraform_version="1.11.4",
        provider_mode="mirror",
        mirror=None,
        provider_h1=None,
        cli_config=str(tmp_path / "terraformrc"),
    )
    monkeypatch.setattr(toolchain, "load", lambda _paths: tools)
    for name, value in CALLER.items():
        monkeypatch.setenv(name, value)
    settings = config.load(REPO / "envs" / "environments.yaml").model_copy(
        update={"target": config.Target.AWS}
    )
    workspace = Workspace(project=REPO, state_dir=tmp_path, config_path=REPO / "envs" / "environments.yaml")
    return runner.Runner(settings, workspace, lambda _line: None, verbose=False)


def test_on_real_aws_terraform_gets_the_callers_credentials_and_proxies(aws_runner):
    env = aws_runner.root(REPO / "envs" / "dev").env
    assert {name: env.get(name) for name in CALLER} == CALLER
    assert env["TF_CLI_CONFIG_FILE"] == aws_runner.tools.cli_config


def test_only_aws_and_proxy_settings_are_passed_on():
    environ = {"AWS_REGION": "eu-west-1", "no_proxy": "localhost", "GITHUB_TOKEN": "x", "AWSOME": "y"}
    assert runner.caller_aws_env(environ) == {"AWS_REGION": "eu-west-1", "no_proxy": "localhost"}
