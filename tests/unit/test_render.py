from __future__ import annotations

import json
from pathlib import Path

import hcl2
import pytest

from infrarep import render
from infrarep.config import Target
from infrarep.local_target import ENDPOINT_SERVICES


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", '"plain"'),
        ('say "hi"', r'"say \"hi\""'),
        ("C:\\path", r'"C:\\path"'),
        ('${file("/etc/passwd")}', r'"$${file(\"/etc/passwd\")}"'),
        ("%{ if true }x%{ endif }", '"%%{ if true }x%%{ endif }"'),
        ("two\nlines", r'"two\nlines"'),
        (True, "true"),
        (3, "3"),
        (0.05, "0.05"),
        (None, "null"),
        (["a", 1], '["a", 1]'),
        ({"Team": "pay${x}"}, '{ "Team" = "pay$${x}" }'),
        ({}, "{}"),
    ],
)
def test_hcl_literals_cannot_inject_configuration(value, expected):
    assert render.hcl(value) == expected


def test_hcl_refuses_what_it_cannot_express():
    with pytest.raises(TypeError, match="set"):
        render.hcl({1, 2})


def test_local_override_points_every_service_of_every_alias_at_the_variable():
    text = render.local_override(["", "replica"], ENDPOINT_SERVICES)
    assert text.count('provider "aws" {') == 2
    assert text.count('alias = "replica"') == 1
    for service in ENDPOINT_SERVICES:
        assert text.count(f"    {service:<14} = var.local_aws_endpoint") == 2
    assert "s3_use_path_style           = true" in text
    assert "skip_credentials_validation = true" in text
    assert "access_key" not in text and "secret_key" not in text


def test_backend_config_carries_no_local_options_and_the_local_backend_file_is_local_only():
    backend = render.backend_config("state", "dev/terraform.tfstate", "us-east-1")
    assert 'bucket       = "state"' in backend
    assert "use_lockfile = true" in backend
    assert "use_path_style" not in backend
    local = render.generated_files(Target.LOCAL, backend=True)[render.LOCAL_BACKEND_FILE] or ""
    assert "use_path_style              = true" in local
    assert "bucket" not in local  # only what the local target adds; backend.hcl comes first
    root = Path("envs/dev")
    assert render.backend_files(root, Target.AWS) == [root / "backend.hcl"]
    assert render.backend_files(root, Target.LOCAL) == [root / "backend.hcl", root / "local_backend.hcl"]


def test_the_local_target_generates_override_variable_force_destroy_and_backend_options():
    files = render.generated_files(Target.LOCAL, backend=True)
    assert set(files) == set(render.GENERATED_FILES)
    assert parse_tfvars(files[render.LOCAL_TFVARS_FILE] or "") == {"force_destroy": True}
    assert files[render.LOCAL_OVERRIDE_FILE] == render.local_override([""], ENDPOINT_SERVICES)
    without_backend = render.generated_files(Target.LOCAL, backend=False)
    assert set(without_backend) == set(render.GENERATED_FILES) - {render.LOCAL_BACKEND_FILE}


def test_real_aws_generates_nothing_and_removes_what_the_local_target_left():
    files = render.generated_files(Target.AWS, backend=True)
    assert files == dict.fromkeys(render.GENERATED_FILES, None)


def test_committed_files_are_the_same_whatever_the_target(config_text, tmp_path):
    from infrarep import config

    local, real = config.parse(config_text()), config.parse(config_text({"target": "aws"}))
    assert local.target is Target.LOCAL and real.target is Target.AWS
    committed = render.committed_files(local, local.ordered(), tmp_path)
    assert committed == render.committed_files(real, real.ordered(), tmp_path)
    assert {path.name for path in committed} == set(render.COMMITTED_FILES)
    assert not any("force_destroy" in text for text in committed.values())


def test_rendering_is_deterministic():
    assert render.local_override([""], ENDPOINT_SERVICES) == render.local_override([""], ENDPOINT_SERVICES)


def parse_tfvars(text: str) -> object:
    """python-hcl2 keeps string quotes; the plain values, as terraform reads them."""

    def plain(value: object) -> object:
        if isinstance(value, str) and value.startswith('"') and value.endswith('"'):
            return json.loads(value)
        if isinstance(value, dict):
            return {plain(key): plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    parsed = hcl2.loads(text)
    parsed.pop("__comments__", None)
    return plain(parsed)


def test_env_files_are_the_declared_variations_only(config_text):
    from infrarep import config

    settings = config.parse(config_text())
    staging = render.env_files(settings, settings.env("staging"))
    tfvars = parse_tfvars(staging[render.TFVARS_FILE])
    assert tfvars == render.env_variables(settings, settings.env("staging"))
    assert (tfvars["env"], tfvars["promotion_source_env"]) == ("staging", "dev")
    assert tfvars["state_bucket"] == "infrarep-tfstate-us-west-2"
    assert tfvars["payments"] == settings.env("staging").payments.model_dump(mode="json")
    first = parse_tfvars(render.env_files(settings, settings.env("dev"))[render.TFVARS_FILE])
    assert first["promotion_source_env"] is None


def test_object_variables_are_laid_out_as_terraform_fmt_would():
    body = render.hcl_body({"env": "dev", "az_count": 2, "limits": {"rate": 5, "range": {"min": 1}}, "x": []})
    assert body == (
        'env      = "dev"\n'
        "az_count = 2\n"
        "limits = {\n"
        '  "rate" = 5\n'
        '  "range" = {\n'
        '    "min" = 1\n'
        "  }\n"
        "}\n"
        "x = []"
    )


def test_a_hostile_value_renders_literally(config_text):
    from infrarep import config

    settings = config.parse(config_text({"cost_center": 'x" \\ ${file("/etc/passwd")} %{ if true }'}))
    tfvars = render.env_files(settings, settings.env("dev"))[render.TFVARS_FILE]
    assert r'cost_center          = "x\" \\ $${file(\"/etc/passwd\")} %%{ if true }"' in tfvars


def test_plan_changes_writes_stale_and_deletes_unwanted():
    wanted = {"a": "new", "b": "same", "c": None, "d": None}
    current = {"a": "old", "b": "same", "c": "leftover", "d": None}
    assert render.plan_changes(wanted, current) == [
        render.FileChange("a", "write"),
        render.FileChange("c", "delete"),
    ]


def test_control_plane_gets_the_promotion_order_soak_and_its_own_state_key(config_text):
    from infrarep import config

    settings = config.parse(config_text())
    files = render.control_plane_files(settings)
    tfvars = files[render.TFVARS_FILE]
    assert 'region         = "us-east-1"' in tfvars
    assert "soak_seconds   = 3600" in tfvars
    names = next(line for line in tfvars.splitlines() if line.startswith("environments"))
    assert names.index('"dev"') < names.index('"staging"') < names.index('"prod"')
    assert '"name" = "staging", "region" = "us-west-2", "approval_required" = true' in names
    backend = files[render.BACKEND_FILE]
    assert 'key          = "control-plane/terraform.tfstate"' in backend
    assert 'bucket       = "infrarep-tfstate-us-east-1"' in backend


def test_the_control_plane_gets_the_drift_schedule_or_null(config_text, delete):
    from infrarep import config

    scheduled = config.parse(config_text({"drift": {"schedule": "rate(12 hours)"}}))
    assert 'drift_schedule = "rate(12 hours)"' in render.control_plane_files(scheduled)[render.TFVARS_FILE]
    unscheduled = config.parse(config_text({"drift": delete}))
    assert "drift_schedule = null" in render.control_plane_files(unscheduled)[render.TFVARS_FILE]
