"""Nothing assumes three envs: a fourth, `prod-us` in us-east-2 after prod, is rendered, listed,
gated and placed in the control plane's order like the others (render only, no AWS)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from infrarep import cli, config, env_roots, promote, records, render
from infrarep.errors import ConfigError

from .test_render import parse_tfvars

REPO = Path(__file__).resolve().parents[2]
FOURTH = {
    "region": "us-east-2",
    "vpc_cidr": "10.3.0.0/16",
    "allowed_origins": ["https://pay.us.example.com"],
    "payments": {
        "lambda_memory_mb": 1024,
        "api_rate_limit": 1000,
        "api_burst_limit": 2000,
        "alarm_error_threshold": 1,
        "alarm_p99_latency_ms": 1000,
    },
}
ORDER = ["dev", "staging", "prod", "prod-us"]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        cli.main(list(argv))
    out, err = capsys.readouterr()
    return int(exited.value.code), out, err


@pytest.fixture
def four_envs(tmp_path, write_config) -> Path:
    """A project whose environments.yaml has prod-us after prod, and the repository's env roots."""
    cfg = write_config(tmp_path, {"promotion": {"order": ORDER}}, **{"prod-us": FOURTH})
    for env in ("dev", "staging", "prod"):
        shutil.copytree(REPO / "envs" / env, tmp_path / "envs" / env)
    return cfg


def test_render_writes_the_fourth_env_root_from_its_own_settings(four_envs, tmp_path, capsys):
    code, out, _ = _run(capsys, "render", "--config", str(four_envs))
    assert code == 0, out
    root = tmp_path / "envs" / "prod-us"
    settings = config.load(four_envs)
    wanted = render.generated_files(settings.target, backend=True)
    generated = [name for name, text in wanted.items() if text is not None]
    assert sorted(path.name for path in root.iterdir()) == sorted(
        [*render.env_files(settings, settings.env("prod-us")), *generated]
    )
    tfvars = parse_tfvars((root / render.TFVARS_FILE).read_text())
    assert isinstance(tfvars, dict)
    assert (tfvars["env"], tfvars["region"], tfvars["vpc_cidr"]) == ("prod-us", "us-east-2", "10.3.0.0/16")
    assert (tfvars["promotion_source_env"], tfvars["state_bucket"]) == ("prod", "infrarep-tfstate-us-east-2")
    backend = (root / render.BACKEND_FILE).read_text()
    assert f'key          = "{records.state_key("prod-us")}"' in backend
    assert records.state_key("prod-us") == "prod-us/terraform.tfstate"
    assert records.env_from_state_key("prod-us/terraform.tfstate") == "prod-us"
    assert _run(capsys, "render", "--config", str(four_envs), "--check")[0] == 0


def test_the_control_plane_and_the_bootstrap_get_every_env_in_order(four_envs):
    settings = config.load(four_envs)
    control = parse_tfvars(render.control_plane_files(settings)[render.TFVARS_FILE] or "")
    assert isinstance(control, dict)
    assert control["environments"] == [
        {"name": "dev", "region": "us-east-1", "approval_required": False},
        {"name": "staging", "region": "us-west-2", "approval_required": True},
        {"name": "prod", "region": "eu-west-1", "approval_required": True},
        {"name": "prod-us", "region": "us-east-2", "approval_required": True},
    ]
    bootstrap = parse_tfvars(render.bootstrap_files(settings)[render.TFVARS_FILE] or "")
    assert isinstance(bootstrap, dict)
    assert bootstrap["regions"] == ["us-east-1", "us-west-2", "eu-west-1", "us-east-2"]


def test_envs_lists_the_fourth_env_last(four_envs, capsys):
    code, out, _ = _run(capsys, "envs", "--config", str(four_envs), "--json")
    assert code == 0
    assert [(entry["name"], entry["region"]) for entry in json.loads(out)] == [
        ("dev", "us-east-1"),
        ("staging", "us-west-2"),
        ("prod", "eu-west-1"),
        ("prod-us", "us-east-2"),
    ]


def _gates(target: str) -> dict[str, bool]:
    at = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    source = ORDER[ORDER.index(target) - 1]
    row = records.LedgerEntry.create(
        env=source,
        at=at,
        event_id="e1",
        version="v1",
        source_commit="abc",
        event_type=records.EventType.DEPLOY,
        status=records.Status.SUCCEEDED,
        actor="ci",
    )
    request = promote.PromotionRequest(
        target=target,
        version="v1",
        order=tuple(ORDER),
        soak=timedelta(hours=1),
        approval_required=True,
        approver="a",
    )
    results = promote.evaluate(request, [row], previous_has_live_drift=False, now=at + timedelta(minutes=5))
    return {str(result.gate): result.passed for result in results}


def test_the_soak_holds_only_the_promotion_into_the_last_env():
    assert "soak_time" not in _gates("prod")
    assert _gates("prod-us")["soak_time"] is False


def test_a_new_env_root_without_the_shared_files_is_refused_before_terraform(four_envs, tmp_path, capsys):
    """terraform would take a folder holding only rendered files as an empty configuration with
    local state, and plan nothing: the root is checked first."""
    assert _run(capsys, "render", "--config", str(four_envs))[0] == 0
    code, _, err = _run(capsys, "plan", "--config", str(four_envs), "--env", "prod-us")
    assert code == 1
    shared = "backend.tf, main.tf, outputs.tf, variables.tf, versions.tf"
    assert (
        f"error: envs/prod-us: missing {shared}: every env root holds the hand-written files of envs/dev"
        in err
    )
    assert "hint: copy them: cp envs/dev/backend.tf envs/dev/main.tf" in err


def test_env_roots_must_hold_exactly_the_first_roots_files():
    reference = {"main.tf": b"module", "versions.tf": b"terraform"}
    env_roots.check_root("prod-us", dict(reference), "dev", reference)
    with pytest.raises(ConfigError, match=r"^envs/prod-us: missing versions\.tf: "):
        env_roots.check_root("prod-us", {"main.tf": b"module"}, "dev", reference)
    with pytest.raises(
        ConfigError, match=r"^envs/prod-us/extra\.tf, envs/prod-us/main\.tf: not as in envs/dev"
    ):
        env_roots.check_root("prod-us", {**reference, "main.tf": b"other", "extra.tf": b""}, "dev", reference)
    assert env_roots.hand_written(["main.tf", "backend.hcl", "terraform.auto.tfvars", "x.tf.json"], []) == [
        "main.tf",
        "x.tf.json",
    ]
    assert env_roots.hand_written(["main.tf", "local_aws.tf"], ["local_aws.tf"]) == ["main.tf"]


def test_an_env_name_too_long_for_the_resource_names_is_refused_naming_it(config_text):
    text = config_text(
        {"promotion": {"order": [*ORDER[:3], "prod-us-east-two"]}}, **{"prod-us-east-two": FOURTH}
    )
    with pytest.raises(ConfigError) as refused:
        config.parse(text)
    assert (
        "environments.prod-us-east-two: 'infrarep-prod-us-east-two' (system-env, the prefix of its resource "
        in (refused.value.message)
    )
    assert "is 25 characters, at most 23" in refused.value.message
    config.parse(config_text({"promotion": {"order": ORDER}}, **{"prod-us": FOURTH}))
