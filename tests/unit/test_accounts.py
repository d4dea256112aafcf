"""One account per env: environments.yaml's account_id and role_arn, what render makes of them,
and the refusal of credentials that reach another account."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hcl2
import pytest

from infrarep import accounts, config, ledger, render
from infrarep.errors import ConfigError, InfrarepError
from infrarep.runner import Runner, WrongAccount

SOURCE = Path("envs/environments.yaml")
REPO = Path(__file__).parents[2]
DEV_ROLE = "arn:aws:iam::111111111111:role/infrarep-deployer"
STAGING_ROLE = "arn:aws:iam::222222222222:role/infrarep-deployer"
CONTROL = {"control_account_id": "333333333333"}


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        config.parse(text, SOURCE)
    return caught.value.message


def _two_accounts(config_text, **changes) -> config.Settings:  # type: ignore[no-untyped-def]
    """dev in 111111111111, staging and prod in 222222222222, the control plane in 333333333333."""
    text = config_text(
        {**CONTROL, "control_role_arn": "arn:aws:iam::333333333333:role/infrarep-deployer"},
        dev={"account_id": "111111111111", "role_arn": DEV_ROLE},
        staging={"account_id": "222222222222", "role_arn": STAGING_ROLE},
        prod={"account_id": "222222222222", "role_arn": STAGING_ROLE},
        **changes,
    )
    return config.parse(text, SOURCE)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"dev": {"account_id": "11111111111"}},
            "environments.dev.account_id: '11111111111' is not an AWS account id: 12 digits",
        ),
        (
            {"dev": {"account_id": "acct-1111111"}},
            "environments.dev.account_id: 'acct-1111111' is not an AWS account id",
        ),
        (
            {"dev": {"account_id": "111111111111", "role_arn": STAGING_ROLE}},
            f"environments.dev.role_arn: {STAGING_ROLE} is a role in account 222222222222, "
            "not in account_id 111111111111",
        ),
        (
            {"dev": {"account_id": "111111111111", "role_arn": "infrarep-deployer"}},
            "environments.dev.role_arn: 'infrarep-deployer' is not an IAM role ARN",
        ),
        (
            {"dev": {"role_arn": DEV_ROLE}},
            "environments.dev.role_arn: a role_arn needs the account_id it belongs to: set account_id too",
        ),
        (
            {
                "dev": {"account_id": "111111111111"},
                "staging": {"account_id": "111111111111", "vpc_cidr": "10.0.0.0/16"},
            },
            "environments.staging.vpc_cidr: 10.0.0.0/16 overlaps dev's 10.0.0.0/16 "
            "(both in account 111111111111)",
        ),
    ],
)
def test_bad_account_settings_are_one_line_naming_env_and_field(config_text, changes, expected):
    message = _error(config_text(CONTROL, **changes))
    assert message.startswith(f"envs/environments.yaml: {expected}"), message
    assert "\n" not in message


def test_the_control_planes_role_must_be_in_its_account(config_text):
    message = _error(config_text({"control_account_id": "333333333333", "control_role_arn": DEV_ROLE}))
    assert message == (
        f"envs/environments.yaml: control_role_arn: {DEV_ROLE} is a role in account 111111111111, "
        "not in account_id 333333333333"
    )


def test_an_env_account_needs_the_control_planes(config_text):
    message = _error(config_text(dev={"account_id": "111111111111"}))
    assert message.startswith(
        "envs/environments.yaml: control_account_id: required once an env has an account_id (dev)"
    )


def test_overlapping_ranges_in_different_accounts_are_fine(config_text):
    settings = config.parse(
        config_text(
            CONTROL,
            dev={"account_id": "111111111111"},
            staging={"account_id": "222222222222", "vpc_cidr": "10.0.0.0/16"},
        ),
        SOURCE,
    )
    assert settings.env("staging").vpc_cidr == settings.env("dev").vpc_cidr


def test_an_unquoted_account_id_is_the_same_twelve_digits(config_text):
    text = config_text(CONTROL, dev={"account_id": "111111111111"}).replace("'111111111111'", "111111111111")
    assert "account_id: 111111111111\n" in text
    assert config.parse(text, SOURCE).env("dev").account_id == "111111111111"


def test_a_bad_account_id_renders_nothing_and_exits_1(tmp_path, write_config):
    path = write_config(tmp_path, CONTROL, dev={"account_id": "1234"})
    done = subprocess.run(
        [sys.executable, "-m", "infrarep.cli", "render", "--config", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "environments.dev.account_id: '1234' is not an AWS account id" in done.stderr
    assert not (tmp_path / "envs" / "dev").exists()


def test_env_roots_get_their_account_role_and_the_control_planes_account(config_text):
    settings = _two_accounts(config_text)
    tfvars = render.env_files(settings, settings.env("staging"))[render.TFVARS_FILE]
    assert 'account_id         = "222222222222"\n' in tfvars
    assert f'deployer_role_arn  = "{STAGING_ROLE}"\n' in tfvars
    assert 'control_account_id = "333333333333"\n' in tfvars


def test_without_accounts_nothing_is_rendered_for_them(config_text):
    settings = config.parse(config_text(), SOURCE)
    for env in settings.ordered():
        assert {"account_id", "deployer_role_arn", "control_account_id"}.isdisjoint(
            render.env_variables(settings, env)
        )
    control = render.control_plane_variables(settings)
    assert {"account_id", "deployer_role_arn"}.isdisjoint(control)
    assert all(set(env) == {"name", "region", "approval_required"} for env in control["environments"])


def test_the_control_plane_gets_each_envs_account_and_role_and_its_own(config_text):
    settings = _two_accounts(config_text)
    variables = render.control_plane_variables(settings)
    assert 'account_id        = "333333333333"' in render.control_plane_files(settings)[render.TFVARS_FILE]
    assert (variables["account_id"], variables["deployer_role_arn"]) == (
        "333333333333",
        "arn:aws:iam::333333333333:role/infrarep-deployer",
    )
    assert [
        (env["name"], env["account_id"], env["deployer_role_arn"]) for env in variables["environments"]
    ] == [
        ("dev", "111111111111", DEV_ROLE),
        ("staging", "222222222222", STAGING_ROLE),
        ("prod", "222222222222", STAGING_ROLE),
    ]


def test_every_env_root_declares_what_render_may_give_it():
    declared = hcl2.loads((REPO / "envs" / "dev" / "variables.tf").read_text())["variable"]
    names = {name.strip('"') for block in declared for name in block}
    assert {"account_id", "deployer_role_arn", "control_account_id"} <= names
    main = (REPO / "envs" / "dev" / "main.tf").read_text()
    assert "allowed_account_ids = var.account_id == null ? null : [var.account_id]" in main
    assert "for_each = var.deployer_role_arn == null ? [] : [var.deployer_role_arn]" in main


def test_wrong_account_names_expected_and_actual():
    assert accounts.wrong_account("dev", "111111111111", "111111111111", DEV_ROLE) is None
    assert accounts.wrong_account("dev", "111111111111", "123456789012", None) == (
        "dev: the credentials reach account 123456789012, but dev is in account 111111111111"
    )


@dataclass
class _Identity:
    """What `Runner.require_account` uses of a runner: clients per region and role."""

    def clients(self, region: str, role_arn: str | None = None) -> ledger.Clients:
        return ledger.make_clients(region, role_arn=role_arn)


def test_the_assumed_role_reaches_its_own_account(aws):
    # moto: an assumed role's credentials act in the role's account.
    Runner.require_account(_Identity(), "dev", "us-east-1", "111111111111", DEV_ROLE)  # type: ignore[arg-type]
    clients = ledger.make_clients("us-east-1", role_arn=DEV_ROLE)
    assert clients.sts.get_caller_identity()["Account"] == "111111111111"


def test_an_assumed_role_is_assumed_again_before_its_credentials_expire(aws):
    clients = ledger.make_clients("us-east-1", role_arn=DEV_ROLE)
    credentials = clients.s3._request_signer._credentials  # shared by every client of the env
    first = credentials.get_frozen_credentials().access_key
    # As an hour later: botocore refreshes credentials that expire within its advisory window.
    credentials._expiry_time = datetime.now(UTC) + timedelta(minutes=5)
    assert clients.sts.get_caller_identity()["Account"] == "111111111111"
    assert credentials.get_frozen_credentials().access_key != first
    assert clients.dynamodb._request_signer._credentials is credentials


def test_a_role_that_cannot_be_assumed_is_one_line_naming_it(aws, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "")
    with pytest.raises(InfrarepError) as refused:
        ledger.make_clients("us-east-1", role_arn=DEV_ROLE)
    assert refused.value.message.startswith(f"cannot assume {DEV_ROLE}: ")


def test_credentials_of_another_account_are_refused_before_any_plan(aws):
    # No role: the caller's credentials are moto's default account, not dev's.
    with pytest.raises(WrongAccount) as refused:
        Runner.require_account(_Identity(), "dev", "us-east-1", "111111111111", None)  # type: ignore[arg-type]
    assert refused.value.message == (
        "dev: the credentials reach account 123456789012, but dev is in account 111111111111"
    )


def test_nothing_is_checked_without_an_account(aws):
    Runner.require_account(_Identity(), "dev", "us-east-1", None, None)  # type: ignore[arg-type]
