"""An applied env read as a plan: state + configuration + variables -> what `plans.load` reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infrarep import applied, drift, plans

CONFIGURATION = {
    "provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}},
    "root_module": {
        "resources": [
            {
                "address": "aws_db_instance.db",
                "mode": "managed",
                "type": "aws_db_instance",
                "name": "db",
                "provider_config_key": "aws",
                "expressions": {
                    "engine": {"constant_value": "postgres"},
                    "password": {"constant_value": "hunter2"},
                    "identifier": {"references": ["var.env"]},
                },
            },
        ],
        "variables": {"env": {"default": "dev"}, "size": {"default": 2}, "required": {}},
    },
}


def _state(resources: list[dict[str, Any]], version: int = 4) -> bytes:
    return json.dumps({"version": version, "terraform_version": "1.11.4", "resources": resources}).encode()


DB = {
    "mode": "managed",
    "type": "aws_db_instance",
    "name": "db",
    "instances": [
        {
            "attributes": {
                "identifier": "infrarep-dev",
                "engine": "postgres",
                "password": "hunter2",
                "port": 5432,
            },
            "sensitive_attributes": [[{"type": "get_attr", "value": "password"}]],
        }
    ],
}


def _load(tmp_path: Path, state: bytes, variables: dict[str, Any] | None = None) -> plans.Plan:
    document = applied.plan_document(
        state, json.dumps(CONFIGURATION).encode(), variables or {"required": "x"}, "1.11.4"
    )
    path = tmp_path / "applied.json"
    path.write_bytes(document)
    return plans.load(path)


def test_every_managed_object_becomes_a_no_op_with_terraform_s_address(tmp_path):
    state = _state(
        [
            DB,
            {
                "module": 'module.app["blue"]',
                "mode": "managed",
                "type": "aws_iam_role",
                "name": "worker",
                "instances": [
                    {"index_key": 0, "attributes": {"name": "w0"}},
                    {"index_key": 1, "attributes": {"name": "w1"}},
                ],
            },
            {
                "mode": "managed",
                "type": "aws_sqs_queue",
                "name": "q",
                "instances": [
                    {"index_key": 'a"b', "attributes": {"name": "qa"}},
                    {"index_key": "old", "deposed": "0f1e2d3c", "attributes": {"name": "gone"}},
                ],
            },
            {
                "mode": "data",
                "type": "aws_caller_identity",
                "name": "me",
                "instances": [{"attributes": {"account_id": "123456789012"}}],
            },
        ]
    )
    plan = _load(tmp_path, state)

    assert [change.address for change in plan.changes] == [
        "aws_db_instance.db",
        'module.app["blue"].aws_iam_role.worker[0]',
        'module.app["blue"].aws_iam_role.worker[1]',
        'aws_sqs_queue.q["a\\"b"]',
    ]
    assert {change.change.action for change in plan.changes} == {plans.Action.NO_OP}
    worker = plan.changes[2]
    assert (worker.module_address, worker.module, worker.index) == ('module.app["blue"]', ("app",), 1)
    assert plans.summarise(tmp_path / "applied.json").changes is False


def test_the_state_s_sensitive_paths_become_the_sensitive_mask(tmp_path):
    db = _load(tmp_path, _state([DB])).changes[0]
    assert plans.decode_json(db.change.after_sensitive) == {"password": True}
    assert plans.decode_json(db.change.before) == DB["instances"][0]["attributes"]


def test_the_manifest_of_the_applied_env_hides_sensitive_values(tmp_path):
    manifest = drift.env_manifest("dev", _load(tmp_path, _state([DB])), "v1", "us-east-1")
    attributes = manifest.resources["aws_db_instance.db"]["attributes"]
    assert attributes["engine"] == "postgres"
    assert attributes["password"] == drift.Marker.SENSITIVE.value
    assert "hunter2" not in manifest.canonical_json()


def test_root_variables_add_the_declared_defaults_the_plan_was_not_given(tmp_path):
    plan = _load(tmp_path, _state([]), {"required": "x", "env": "staging"})
    assert {name: plan.variable_value(name) for name in plan.variables} == {
        "env": "staging",
        "required": "x",
        "size": 2,
    }


@pytest.mark.parametrize(
    ("paths", "mask"),
    [
        ([], {}),
        ([[{"type": "get_attr", "value": "a"}]], {"a": True}),
        (
            [
                [
                    {"type": "get_attr", "value": "rules"},
                    {"type": "index", "value": {"value": 2, "type": "number"}},
                ],
                [
                    {"type": "get_attr", "value": "env"},
                    {"type": "index", "value": {"value": "KEY", "type": "string"}},
                ],
            ],
            {"rules": [None, None, True], "env": {"KEY": True}},
        ),
        (
            [
                [{"type": "get_attr", "value": "block"}, {"type": "get_attr", "value": "secret"}],
                [{"type": "get_attr", "value": "block"}],
            ],
            {"block": True},
        ),
    ],
)
def test_sensitive_paths_as_a_mask(paths, mask):
    assert applied.sensitive_mask(paths) == mask


def test_a_marked_path_covers_what_lies_below_it():
    marked = applied.sensitive_mask(
        [
            [{"type": "get_attr", "value": "block"}],
            [{"type": "get_attr", "value": "block"}, {"type": "get_attr", "value": "x"}],
        ]
    )
    assert drift.mask_node(marked, ("block", "x")) is True


def test_outputs_come_from_the_state():
    state = json.dumps(
        {"version": 4, "outputs": {"stack": {"value": {"ledger_table_name": "t"}, "type": "object"}}}
    )
    assert applied.outputs(state.encode(), "s3://b/k")["stack"]["value"] == {"ledger_table_name": "t"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{}", "not a terraform state"),
        (_state([], version=3), "unsupported state version 3"),
        (b"<html>", "not a"),
    ],
)
def test_an_unreadable_state_is_named(data, message):
    with pytest.raises(applied.StateUnreadable, match=message) as raised:
        applied.plan_document(data, b"{}", {}, "1.11.4", where="s3://states/dev/terraform.tfstate")
    assert raised.value.message.startswith("s3://states/dev/terraform.tfstate: ")
