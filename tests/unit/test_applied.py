"""An applied env read as a plan: state + configuration + variables -> what `plans.load` reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infrarep import applied, drift, plans
from infrarep.drift.values import mask_node

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
    assert "hunter2" not in manifest.canonical_bytes().decode()


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
    assert mask_node(marked, ("block", "x")) is True


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
ACTIONS = {"no-op": 0, "update": 3, "delete": 5}  # planproto.Action


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def drift_entry(address: str, action: str, previous: str | None = None) -> bytes:
    """One `resource_drift` entry as terraform writes it into `tfplan` (field 18)."""
    change = _varint(1 << 3) + _varint(ACTIONS[action]) if ACTIONS[action] else b""
    body = _field(13, address.encode()) + (_field(14, previous.encode()) if previous else b"")
    return _field(18, body + _field(9, change))


def _instance(attributes: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"attributes": attributes, **extra}


def _resource(type_: str, name: str, *instances: dict[str, Any], mode: str = "managed") -> dict[str, Any]:
    return {"mode": mode, "type": type_, "name": name, "instances": list(instances)}


def saved_refresh(
    tmp_path: Path,
    previous: list[dict[str, Any]],
    refreshed: list[dict[str, Any]],
    drift_entries: list[bytes],
) -> Path:
    """The fixture's saved plan with the given previous-run and refreshed states and drift."""
    import zipfile

    target = tmp_path / "refresh.tfplan"
    with zipfile.ZipFile(SAVED) as original:
        entries = {info.filename: original.read(info) for info in original.infolist()}
    entries |= {"tfstate-prev": _state(previous), "tfstate": _state(refreshed)}
    entries["tfplan"] += b"".join(drift_entries)
    with zipfile.ZipFile(target, "w") as copy:
        for name, data in entries.items():
            copy.writestr(name, data)
    return target


def _refresh_plan(tmp_path: Path, *args: Any) -> plans.Plan:
    from infrarep import planfile

    saved = planfile.read(saved_refresh(tmp_path, *args))
    path = tmp_path / "refresh.json"
    path.write_bytes(applied.refresh_document(saved, json.dumps(CONFIGURATION).encode()))
    return plans.load(path)


QUEUE = _resource("aws_sqs_queue", "q", _instance({"name": "q", "delay_seconds": 0, "tags": {"a": "1"}}))


def test_terraform_s_drift_verdicts_with_the_values_of_both_states(tmp_path):
    previous = [DB, QUEUE, _resource("aws_iam_role", "gone", _instance({"name": "gone"}))]
    changed_queue = _resource(
        "aws_sqs_queue", "q", _instance({"name": "q", "delay_seconds": 5, "tags": {"a": "1"}})
    )
    refreshed = [DB, changed_queue]
    drift_entries = [drift_entry("aws_sqs_queue.q", "update"), drift_entry("aws_iam_role.gone", "delete")]
    plan = _refresh_plan(tmp_path, previous, refreshed, drift_entries)

    assert plan.has_changes is False  # a refresh-only plan proposes nothing
    drifted = {record.address: record.change for record in plan.drift}
    assert set(drifted) == {"aws_sqs_queue.q", "aws_iam_role.gone"}
    assert drifted["aws_iam_role.gone"].action is plans.Action.DELETE
    assert plans.decode_json(drifted["aws_iam_role.gone"].after) is None
    assert drifted["aws_sqs_queue.q"].action is plans.Action.UPDATE

    findings, _ = drift.live_findings("dev", plan)
    assert {(finding.address, finding.change) for finding in findings} == {
        ("aws_sqs_queue.q", drift.Change.CHANGED),
        ("aws_iam_role.gone", drift.Change.MISSING),
    }
    (queue_finding,) = [finding for finding in findings if finding.address == "aws_sqs_queue.q"]
    assert [(a.path, a.before, a.after) for a in queue_finding.attributes] == [("delay_seconds", 0, 5)]


def test_a_moved_object_keeps_its_previous_address_and_is_no_finding(tmp_path):
    """terraform applies `moved` blocks to the previous run's state before it refreshes: both
    states hold the object at its new address; the drift entry names the old one."""
    plan = _refresh_plan(
        tmp_path, [QUEUE], [QUEUE], [drift_entry("aws_sqs_queue.q", "no-op", "aws_sqs_queue.old")]
    )

    (moved,) = plan.drift
    assert (moved.address, moved.change.action) == ("aws_sqs_queue.q", plans.Action.NO_OP)
    findings, summary = drift.live_findings("dev", plan)
    assert findings == []
    assert summary.normalised == 1


def test_a_sensitive_value_changed_outside_terraform_stays_hidden(tmp_path):
    changed = json.loads(json.dumps(DB))
    changed["instances"][0]["attributes"]["password"] = "rotated"
    plan = _refresh_plan(tmp_path, [DB], [changed], [drift_entry("aws_db_instance.db", "update")])

    findings, _ = drift.live_findings("dev", plan)
    (finding,) = findings
    assert [(a.path, a.before, a.after) for a in finding.attributes] == [
        ("password", drift.Marker.SENSITIVE, drift.Marker.SENSITIVE)
    ]
    assert "rotated" not in json.dumps([str(a) for a in finding.attributes])


def test_nothing_drifted_with_the_saved_plan_s_variables(tmp_path):
    plan = _refresh_plan(tmp_path, [DB], [DB], [])
    assert plan.drift == ()
    # The root variables: those the saved plan was given, and the declared defaults.
    assert plan.variable_value("name") == 'dev "quoted" ${x}'
    assert plan.variable_value("size") == 2


def test_a_drift_entry_without_its_object_is_named(tmp_path):
    from infrarep import planfile

    saved = planfile.read(saved_refresh(tmp_path, [], [], [drift_entry("aws_sqs_queue.q", "update")]))
    with pytest.raises(
        applied.StateUnreadable, match=r"refresh\.tfplan: aws_sqs_queue\.q drifted but is not"
    ):
        applied.refresh_document(saved, json.dumps(CONFIGURATION).encode())


def test_a_drift_action_terraform_never_writes_is_refused(tmp_path):
    from infrarep import planfile

    create = _field(18, _field(13, b"aws_sqs_queue.q") + _field(9, _varint(1 << 3) + _varint(1)))
    with pytest.raises(planfile.PlanFileUnreadable, match=r"aws_sqs_queue\.q: unexpected drift \(action 1"):
        planfile.read(saved_refresh(tmp_path, [], [], [create]))


def test_the_manifest_keeps_a_sibling_env_s_name_that_holds_this_env_s(tmp_path):
    """deploy builds the manifest with the same identity drift-report uses: `prod-us` in prod's
    values names that env, it is not prod's name and a suffix."""
    db = {**DB, "instances": [{**DB["instances"][0], "attributes": {"identifier": "infrarep-prod-us"}}]}
    plan = _load(tmp_path, _state([db]), {"required": "x", "env": "prod"})

    def identifier(others: tuple[str, ...]) -> object:
        manifest = drift.env_manifest("prod", plan, "v1", "eu-west-1", others=others)
        return manifest.resources["aws_db_instance.db"]["attributes"]["identifier"]

    assert identifier(("dev", "prod-us")) == "infrarep-prod-us"
    assert identifier(()) != "infrarep-prod-us"
