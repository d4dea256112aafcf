"""plans: reading real `terraform show -json` output (tests/fixtures/plans, see its README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infrarep import plans
from infrarep.plans import Action, PlanUnreadable

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"


def test_normal_plan_reads_variables_changes_and_configuration():
    plan = plans.load(FIXTURES / "parity_dev.json")

    assert plan.format_version.startswith("1.")
    assert plan.has_changes
    assert plan.variable_value("env") == "dev"
    assert plan.variable_value("queues") == {"audit": 0}
    assert plan.variable_sensitive("token")
    assert not plan.variable_sensitive("memory_mb")
    addresses = {record.address for record in plan.changes}
    assert 'module.app.aws_sqs_queue.extra["audit"]' in addresses  # for_each
    assert "module.app.aws_sqs_queue.worker[0]" in addresses  # count
    assert "module.app.module.store.aws_s3_bucket.this" in addresses  # nested module
    assert "module.app.terraform_data.marker" in addresses  # no arguments at all


def test_instance_keys_and_module_paths():
    plan = plans.load(FIXTURES / "parity_staging.json")
    by_address = {record.address: record for record in plan.changes}

    assert by_address["module.app.aws_sqs_queue.worker[1]"].index == 1
    assert by_address['module.app.aws_sqs_queue.extra["replay"]'].index == "replay"
    bucket = by_address["module.app.module.store.aws_s3_bucket.this"]
    assert bucket.module == ("app", "store")
    assert bucket.config_address == "aws_s3_bucket.this"
    assert plan.config.resource(("app", "store"), "aws_s3_bucket.this") is not None


def test_only_configured_attributes_are_decoded():
    plan = plans.load(FIXTURES / "parity_dev.json")

    assert "memory_size" in plan.attribute_names  # the lambda's configuration sets it
    assert plans.DERIVED_TAGS in plan.attribute_names
    assert "arn" not in plan.attribute_names  # computed, nobody configures it
    assert "last_modified" not in plan.attribute_names


def test_data_sources_are_records_of_mode_data():
    plan = plans.load(FIXTURES / "parity_prod.json")
    data = [record for record in plan.changes if not record.managed]

    assert [record.address for record in data] == [
        "module.app.module.store.data.aws_iam_policy_document.tls_only"
    ]
    assert data[0].change.action is Action.READ
    assert data[0].config_address == "data.aws_iam_policy_document.tls_only"


def test_refresh_only_plan_has_drift_and_no_resource_changes():
    plan = plans.load(FIXTURES / "live_dev.json")

    assert not plan.has_changes
    assert plan.changes == ()
    actions = {record.address: record.change.action for record in plan.drift}
    assert actions["module.app.aws_sns_topic_subscription.jobs"] is Action.DELETE
    assert actions["module.app.aws_lambda_function.fn"] is Action.UPDATE


def test_summarise_leaves_out_no_ops_and_reads():
    summary = plans.summarise(FIXTURES / "pending_dev.json")

    assert summary.headline() == "+1 ~3 -0"
    assert summary.by_type()["aws_sns_topic_subscription"] == {"create": 1}
    prod = plans.summarise(FIXTURES / "parity_prod.json")
    assert all(not action.address.startswith("module.app.module.store.data.") for action in prod.actions)
    assert prod.count(Action.CREATE) == 15


@pytest.mark.parametrize(
    ("module_address", "path"),
    [
        ("", ()),
        ("module.app", ("app",)),
        ("module.app.module.store", ("app", "store")),
        ('module.app["eu.west"].module.store[2]', ("app", "store")),
        ('module.app["a\\"b"]', ("app",)),
    ],
)
def test_module_path_drops_instance_keys(module_address, path):
    assert plans.module_path(module_address) == path


# --- bad input: one clear error naming the file ---


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_truncated_plan_names_the_file(tmp_path):
    whole = (FIXTURES / "parity_dev.json").read_bytes()
    path = _write(tmp_path, "cut.json", whole[: len(whole) // 2])

    with pytest.raises(PlanUnreadable) as raised:
        plans.load(path)
    assert raised.value.message.startswith(f"{path}: not a terraform plan JSON (")
    assert "truncated" in raised.value.message


def test_a_malformed_resource_change_is_named_where_it_is_in_the_file(tmp_path):
    document = json.loads((FIXTURES / "parity_dev.json").read_text())
    document["resource_changes"][2]["address"] = 42
    path = _write(tmp_path, "plan.json", json.dumps(document).encode())

    with pytest.raises(PlanUnreadable) as raised:
        plans.load(path)
    assert raised.value.message == (
        f"{path}: not a terraform plan JSON (Expected `str`, got `int` - at `$.resource_changes[2].address`)"
    )


def test_an_after_that_is_not_an_object_is_named_when_its_values_are_read(tmp_path):
    document = json.loads((FIXTURES / "parity_dev.json").read_text())
    address = document["resource_changes"][2]["address"]
    document["resource_changes"][2]["change"]["after"] = "not an object"
    plan = plans.load(_write(tmp_path, "plan.json", json.dumps(document).encode()))

    with pytest.raises(PlanUnreadable) as raised:
        plan.rows  # noqa: B018 - reading the values is what fails
    assert raised.value.message.startswith(f"{plan.path}: not a terraform plan JSON ({address}: Expected")


def test_rows_hold_configured_attributes_then_the_nested_blocks_the_masks_show():
    plan = plans.load(FIXTURES / "parity_dev.json")

    assert plan.view_names[: len(plan.attribute_names)] == plan.attribute_names
    shown = {name for names in plan.block_names for name in names}
    assert set(plan.view_names) == set(plan.attribute_names) | shown
    for record, row, blocks in zip(plan.changes, plan.rows, plan.block_names, strict=True):
        if row is None:
            continue
        after = plans.decode_json(record.change.after)
        assert [plans.decode_json(value) for value in row] == [after.get(name) for name in plan.view_names]
        assert all(isinstance(after[name], list) and after[name] for name in blocks)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file"),
        (b"   \n", "empty file"),
        (b"<html>nope</html>", "not a terraform plan JSON"),
        (b"[1, 2]", "not a terraform plan JSON"),
        (b'{"terraform_version": "1.11.4"}', "not a terraform plan JSON"),  # no format_version
        (b'{"format_version": "2.0", "planned_values": {}}', "unsupported plan format_version '2.0'"),
        (b'{"format_version": "1.0", "values": {}}', "not a plan (no planned_values)"),  # a state
    ],
)
def test_malformed_plans_name_the_file(tmp_path, content, expected):
    path = _write(tmp_path, "plan.json", content)

    with pytest.raises(PlanUnreadable) as raised:
        plans.load(path)
    assert raised.value.message.startswith(f"{path}: ")
    assert expected in raised.value.message


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(PlanUnreadable, match="no such plan file"):
        plans.load(tmp_path / "absent.json")
    with pytest.raises(PlanUnreadable, match="is a directory"):
        plans.load(tmp_path)


def test_unexpected_actions_name_the_resource(tmp_path):
    document = json.loads((FIXTURES / "pending_dev.json").read_bytes())
    document["resource_changes"][0]["change"]["actions"] = ["update", "create", "delete"]
    path = _write(tmp_path, "odd.json", json.dumps(document).encode())

    with pytest.raises(PlanUnreadable) as raised:
        plans.load(path)
    assert raised.value.message.startswith(f"{path}: module.app.aws_iam_role.fn: unexpected actions")


def test_a_malformed_module_address_names_the_resource(tmp_path):
    document = json.loads((FIXTURES / "pending_dev.json").read_bytes())
    document["resource_changes"][-1]["module_address"] = "module.app.modul.store"
    address = document["resource_changes"][-1]["address"]
    path = _write(tmp_path, "odd.json", json.dumps(document).encode())

    with pytest.raises(PlanUnreadable) as raised:
        plans.load(path)
    assert raised.value.message == f"{path}: {address}: not a module address: 'module.app.modul.store'"
