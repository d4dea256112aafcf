from __future__ import annotations

from pathlib import Path

import pytest

from infrarep import config
from infrarep.errors import ConfigError

SOURCE = Path("envs/environments.yaml")


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        config.parse(text, SOURCE)
    return caught.value.message


def test_the_real_file_declares_dev_staging_prod_in_promotion_order(config_text):
    settings = config.parse(config_text(), SOURCE)
    assert [env.name for env in settings.ordered()] == ["dev", "staging", "prod"]
    assert [env.region for env in settings.ordered()] == ["us-east-1", "us-west-2", "eu-west-1"]


def test_the_other_envs_of_one_are_every_other_name_in_promotion_order(config_text):
    settings = config.parse(config_text(), SOURCE)
    assert settings.others("staging") == ("dev", "prod")
    assert settings.others("prod") == ("dev", "staging")


def test_defaults_merge_under_each_environment(config_text):
    settings = config.parse(config_text(), SOURCE)
    staging, prod = settings.environments["staging"], settings.environments["prod"]
    assert staging.az_count == 2 and prod.az_count == 3
    assert staging.payments.aurora_instance_class == "db.t4g.medium"  # from defaults
    assert prod.payments.aurora_instance_class == "db.r6g.large"  # overridden
    assert staging.payments.lambda_timeout_s == 30


def test_unknown_region_names_the_field(config_text):
    message = _error(config_text(staging={"region": "us-west-9"}))
    assert message == "envs/environments.yaml: environments.staging.region: 'us-west-9' is not an AWS region"


def test_missing_required_field_names_the_path(config_text, delete):
    message = _error(config_text(prod={"vpc_cidr": delete}))
    assert message == "envs/environments.yaml: environments.prod.vpc_cidr: required field is missing"


def test_wrong_type_names_field_and_expected_type(config_text):
    message = _error(config_text(dev={"payments": {"lambda_memory_mb": "lots"}}))
    assert message == (
        "envs/environments.yaml: environments.dev.payments.lambda_memory_mb: expected int, got 'lots'"
    )


def test_unknown_field_is_refused(config_text):
    assert _error(config_text(dev={"regoin": "us-east-1"})).endswith("environments.dev.regoin: unknown field")


@pytest.mark.parametrize("setting", [{"instance_class": "t4g.micro"}, {"storage_tier": "io2"}])
def test_settings_that_reached_no_plan_are_refused(config_text, setting):
    # The stack has no EC2 instances or EBS volumes: these were validated, then never rendered.
    (name,) = setting
    assert _error(config_text(dev=setting)).endswith(f"environments.dev.{name}: unknown field")


def test_duplicate_environment_names_are_refused(config_text):
    text = config_text().replace("\n  staging:\n", "\n  dev:\n", 1)
    message = _error(text)
    assert message.startswith("envs/environments.yaml: line ")
    assert "duplicate key 'dev'" in message


def test_an_approval_for_the_first_env_is_refused_because_nothing_reads_it(config_text):
    message = _error(config_text(dev={"approval_required": True}))
    assert "environments.dev.approval_required: true would gate nothing: dev is first" in message


def test_overlapping_cidrs_are_refused(config_text):
    message = _error(config_text(staging={"vpc_cidr": "10.0.0.0/16"}))
    assert "environments.staging.vpc_cidr: 10.0.0.0/16 overlaps dev's 10.0.0.0/16" in message


def test_tiny_vpc_is_refused(config_text):
    assert "smaller than /20" in _error(config_text(dev={"vpc_cidr": "10.0.0.0/24"}))


def test_promotion_order_must_name_every_env_once(config_text):
    message = _error(config_text({"promotion": {"order": ["dev", "prod"]}}))
    assert "promotion.order" in message and "staging" in message


def test_capacity_range_must_be_ordered(config_text):
    message = _error(config_text(prod={"payments": {"table_capacity": {"min": 50, "max": 10}}}))
    assert "environments.prod.payments.table_capacity: min (50) is larger than max (10)" in message


def test_invalid_yaml_names_the_line():
    assert _error("version: 1\nenvironments: [\n").startswith("envs/environments.yaml: line ")


def test_unknown_env_lists_the_known_ones(config_text):
    settings = config.parse(config_text(), SOURCE)
    with pytest.raises(ConfigError, match=r"no environment 'qa' \(known: dev, staging, prod\)"):
        settings.env("qa")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match=r"environments\.yaml: no such file"):
        config.load(tmp_path / "environments.yaml")


def test_burst_below_rate_is_refused_where_it_is_declared(config_text):
    message = _error(config_text(prod={"payments": {"api_burst_limit": 10}}))
    assert "environments.prod.payments: api_burst_limit (10) is below api_rate_limit (1000)" in message


def test_error_alarm_threshold_must_be_at_least_one(config_text):
    assert "environments.dev.payments.alarm_error_threshold" in _error(
        config_text(dev={"payments": {"alarm_error_threshold": 0}})
    )


def test_allowed_origin_with_a_path_is_refused_naming_the_env(config_text):
    message = _error(config_text(staging={"allowed_origins": ["https://pay.example.com/checkout"]}))
    assert "environments.staging.allowed_origins" in message
    assert "'https://pay.example.com/checkout' is not a browser origin" in message


def test_a_soak_under_an_hour_is_refused(config_text):
    message = _error(config_text({"promotion": {"soak_minutes": 30}}))
    assert "promotion.soak_minutes" in message and "60" in message


# --- aliases: the codes a team writes for an env ---


def test_aliases_are_read_per_env_and_are_no_setting(config_text):
    settings = config.parse(config_text(prod={"aliases": ["prd", "p"]}, staging={"aliases": ["stg"]}), SOURCE)

    assert settings.aliases == {"staging": ("stg",), "prod": ("prd", "p")}
    assert "aliases" not in config.EnvSettings.model_fields  # every EnvSettings field reaches a plan
    assert config.parse(config_text(), SOURCE).aliases == {}


@pytest.mark.parametrize(
    ("aliases", "expected"),
    [
        ("prd", ": expected a list of codes such as [prd, p], got 'prd'"),
        (["prd", "PRD"], ".1: 'PRD' is not an alias: lowercase letters and digits, at least one letter"),
        ([""], ".0: '' is not an alias: lowercase"),
        (["p-1"], ".0: 'p-1' is not an alias: lowercase"),
        (["1"], ".0: '1' is not an alias: lowercase"),
        ([7], ".0: expected string, got 7"),
        (["dev"], ".0: 'dev' is the name of environment dev"),
        (["prod"], ".0: 'prod' is the environment's own name"),
        (["prd", "s"], ".1: 's' is also an alias of staging"),
    ],
    ids=["not-a-list", "upper-case", "empty", "separator", "digits-only", "not-text", "another-env",
         "own-name", "claimed-twice"],
)  # fmt: skip
def test_a_bad_alias_names_the_env_and_its_position(config_text, aliases, expected):
    message = _error(config_text(staging={"aliases": ["stg", "s"]}, prod={"aliases": aliases}))

    assert message.startswith(f"{SOURCE}: environments.prod.aliases{expected}")


def test_aliases_belong_to_one_env(config_text):
    assert _error(config_text({"defaults": {"aliases": ["x"]}})) == (
        f"{SOURCE}: defaults.aliases: an alias names one environment; list it under that one"
    )
    assert _error(config_text({"aliases": {"prod": ["prd"]}})) == (
        f"{SOURCE}: aliases: unknown field (an env's aliases go in environments.<env>.aliases)"
    )


def test_an_alias_listed_twice_in_one_env_counts_once(config_text):
    assert config.parse(config_text(prod={"aliases": ["prd", "prd"]}), SOURCE).aliases == {"prod": ("prd",)}


# --- drift.schedule: the control plane's scheduled drift check ---


def test_the_drift_schedule_is_read_and_off_when_unset(config_text, delete):
    assert config.parse(
        config_text({"drift": {"schedule": "cron(0 6 ? * MON-FRI *)"}}), SOURCE
    ).drift.schedule == ("cron(0 6 ? * MON-FRI *)")
    assert config.parse(config_text({"drift": delete}), SOURCE).drift.schedule is None


def test_a_schedule_scheduler_would_refuse_names_the_field(config_text):
    message = _error(config_text({"drift": {"schedule": "rate(1 hours)"}}))
    assert message == (
        "envs/environments.yaml: drift.schedule: 'rate(1 hours)': rate(1 hours): with 1 the unit is 'hour'"
    )


def test_a_schedule_that_is_no_string_is_refused(config_text):
    assert _error(config_text({"drift": {"schedule": 6}})) == (
        "envs/environments.yaml: drift.schedule: expected string, got 6"
    )
