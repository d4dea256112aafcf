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


# --- a refresh-only plan, read from its saved plan file ---

SAVED = Path(__file__).parents[1] / "fixtures" / "saved_plan" / "variables.tfplan"


def _instance(attributes: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"attributes": attributes, **extra}


def _resource(type_: str, name: str, *instances: dict[str, Any], mode: str = "managed") -> dict[str, Any]:
    return {"mode": mode, "type": type_, "name": name, "instances": list(instances)}


def _saved_refresh(tmp_path: Path, previous: list[dict[str, Any]], refreshed: list[dict[str, Any]]) -> Path:
    """The fixture's saved plan with the given previous-run and refreshed states."""
    import zipfile

    target = tmp_path / "refresh.tfplan"
    states = {"tfstate-prev": _state(previous), "tfstate": _state(refreshed)}
    with zipfile.ZipFile(SAVED) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            copy.writestr(info, states.pop(info.filename, original.read(info)))
    return target


def _refresh_plan(
    tmp_path: Path, previous: list[dict[str, Any]], refreshed: list[dict[str, Any]]
) -> plans.Plan:
    from infrarep import planfile

    saved = planfile.read(_saved_refresh(tmp_path, previous, refreshed))
    path = tmp_path / "refresh.json"
    path.write_bytes(applied.refresh_document(saved, json.dumps(CONFIGURATION).encode()))
    return plans.load(path)


def test_the_refresh_drift_is_what_changed_between_the_two_states(tmp_path):
    queue = _resource("aws_sqs_queue", "q", _instance({"name": "q", "delay_seconds": 0, "tags": {"a": "1"}}))
    moved_keys = _resource("aws_sns_topic", "t", _instance({"name": "t", "tags": {"x": "1", "y": "2"}}))
    previous = [
        DB,
        queue,
        _resource("aws_iam_role", "gone", _instance({"name": "gone"})),
        moved_keys,
        _resource("aws_caller_identity", "me", _instance({"account_id": "1"}), mode="data"),
    ]
    changed_queue = _resource(
        "aws_sqs_queue", "q", _instance({"name": "q", "delay_seconds": 5, "tags": {"a": "1"}})
    )
    same_topic_other_bytes = _resource(
        "aws_sns_topic", "t", _instance({"tags": {"y": "2", "x": "1"}, "name": "t"})
    )
    refreshed = [
        DB,
        changed_queue,
        same_topic_other_bytes,
        _resource("aws_caller_identity", "me", _instance({"account_id": "2"}), mode="data"),
    ]
    plan = _refresh_plan(tmp_path, previous, refreshed)

    assert plan.has_changes is False  # a refresh-only plan proposes nothing
    drifted = {record.address: record.change for record in plan.drift}
    assert set(drifted) == {"aws_sqs_queue.q", "aws_iam_role.gone"}
    assert drifted["aws_iam_role.gone"].action is plans.Action.DELETE
    assert plans.decode_json(drifted["aws_iam_role.gone"].after) is None
    queue_change = drifted["aws_sqs_queue.q"]
    assert queue_change.action is plans.Action.UPDATE
    assert plans.decode_json(queue_change.before)["delay_seconds"] == 0
    assert plans.decode_json(queue_change.after)["delay_seconds"] == 5

    findings, _ = drift.live_findings("dev", plan)
    assert {(finding.address, finding.change) for finding in findings} == {
        ("aws_sqs_queue.q", drift.Change.CHANGED),
        ("aws_iam_role.gone", drift.Change.MISSING),
    }
    (queue_finding,) = [finding for finding in findings if finding.address == "aws_sqs_queue.q"]
    assert [(a.path, a.before, a.after) for a in queue_finding.attributes] == [("delay_seconds", 0, 5)]


def test_a_sensitive_value_changed_outside_terraform_stays_hidden(tmp_path):
    changed = json.loads(json.dumps(DB))
    changed["instances"][0]["attributes"]["password"] = "rotated"
    plan = _refresh_plan(tmp_path, [DB], [changed])

    findings, _ = drift.live_findings("dev", plan)
    (finding,) = findings
    assert [(a.path, a.before, a.after) for a in finding.attributes] == [
        ("password", drift.Marker.SENSITIVE, drift.Marker.SENSITIVE)
    ]
    assert "rotated" not in json.dumps([str(a) for a in finding.attributes])


def test_a_change_in_what_is_marked_sensitive_is_drift(tmp_path):
    marked = json.loads(json.dumps(DB))
    marked["instances"][0]["sensitive_attributes"].append([{"type": "get_attr", "value": "port"}])
    plan = _refresh_plan(tmp_path, [DB], [marked])
    assert [record.address for record in plan.drift] == ["aws_db_instance.db"]


def test_nothing_changed_nothing_drifted(tmp_path):
    plan = _refresh_plan(tmp_path, [DB], [DB])
    assert plan.drift == ()
    # The root variables: those the saved plan was given, and the declared defaults.
    assert plan.variable_value("name") == 'dev "quoted" ${x}'
    assert plan.variable_value("size") == 2
