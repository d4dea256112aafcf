"""Deployment recorder: EventBridge event in, one ledger row and one metric out, exactly once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import recorder
from botocore.exceptions import ClientError

from infrarep import records
from infrarep.records import EventType, LedgerEntry, Status

from .conftest import LEDGER, REGION, ledger_entries

MANIFEST_SHA = "a" * 64


def update_event(event_id: str = "evt-1", time: str = "2026-11-23T10:00:00Z", **detail: Any) -> dict:
    body = {
        "env": "prod",
        "version": "abc123",
        "source_commit": "0f1e2d3c",
        "status": "SUCCEEDED",
        "actor": "alice",
        "plan_digest": "sha256:plan",
        "manifest_sha256": MANIFEST_SHA,
    }
    body.update(detail)
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "EnvironmentUpdate",
        "source": "infrarep",
        "account": "123456789012",
        "time": time,
        "region": REGION,
        "resources": [],
        "detail": {name: value for name, value in body.items() if value is not None},
    }


def state_event(key: str = "staging/terraform.tfstate", event_id: str = "s3-evt-1") -> dict:
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-11-23T09:59:58Z",
        "region": REGION,
        "resources": ["arn:aws:s3:::infrarep-state"],
        "detail": {
            "version": "0",
            "bucket": {"name": "infrarep-state"},
            "object": {"key": key, "size": 2048, "etag": "0123", "version-id": "v-1"},
            "request-id": "REQ",
            "requester": "123456789012",
            "reason": "PutObject",
        },
    }


@pytest.fixture
def env_vars(function_env):
    return function_env(LEDGER_TABLE=LEDGER)


def test_records_an_environment_update_and_puts_the_metric(
    recorder_handler, ledger, env_vars, lambda_context, metric_sum
):
    result = recorder_handler.handler(update_event(), lambda_context)

    suffix = records.idempotency_suffix("evt-1")
    assert result == {
        "recorded": True,
        "already_recorded": False,
        "env": "prod",
        "deployed_at": f"2026-11-23T10:00:00.000000Z#{suffix}",
        "version": "abc123",
        "status": "SUCCEEDED",
        "event_id": "evt-1",
    }
    item = ledger.get_item(
        TableName=LEDGER, Key={"env": {"S": "prod"}, "deployed_at": {"S": result["deployed_at"]}}
    )["Item"]
    assert {name: value["S"] for name, value in item.items()} == {
        "env": "prod",
        "deployed_at": f"2026-11-23T10:00:00.000000Z#{suffix}",
        "version": "abc123",
        "source_commit": "0f1e2d3c",
        "event_type": "DEPLOY",
        "status": "SUCCEEDED",
        "actor": "alice",
        "plan_digest": "sha256:plan",
        "manifest_sha256": MANIFEST_SHA,
        "event_id": "evt-1",
    }
    assert metric_sum("EnvironmentUpdate", Env="prod") == 1.0
    assert metric_sum("EnvironmentUpdate", Env="staging") is None


def test_a_redelivered_event_is_recorded_once(recorder_handler, ledger, env_vars, lambda_context, metric_sum):
    first = recorder_handler.handler(update_event(), lambda_context)
    again = recorder_handler.handler(update_event(), lambda_context)

    assert first["recorded"] is True
    assert again["recorded"] is False
    assert again["already_recorded"] is True
    assert again["deployed_at"] == first["deployed_at"]
    assert len(ledger_entries(ledger, "prod")) == 1
    assert metric_sum("EnvironmentUpdate", Env="prod") == 1.0  # no second data point either


def test_two_events_in_the_same_second_are_two_rows(recorder_handler, ledger, env_vars, lambda_context):
    recorder_handler.handler(update_event("evt-1", status="FAILED"), lambda_context)
    recorder_handler.handler(update_event("evt-2"), lambda_context)

    rows = ledger_entries(ledger, "prod")
    assert {(row.event_id, row.status) for row in rows} == {
        ("evt-1", Status.FAILED),
        ("evt-2", Status.SUCCEEDED),
    }
    # The failed update does not count as what prod runs.
    assert records.latest_successful(rows).event_id == "evt-2"


def test_an_update_whose_row_the_publisher_wrote_is_not_recorded_twice(
    recorder_handler, ledger, env_vars, lambda_context, metric_sum
):
    # The CLI writes its row, then announces it carrying that row's key.
    written = LedgerEntry.create(
        env="prod",
        at=datetime(2026, 11, 23, 9, 58, 12, 345678, tzinfo=UTC),
        event_id="cli-7f3a",
        version="abc123",
        source_commit="0f1e2d3c",
        event_type=EventType.DEPLOY,
        status=Status.SUCCEEDED,
        actor="alice",
    )
    ledger.put_item(TableName=LEDGER, Item=written.to_attribute_values())
    event = update_event(plan_digest=None, manifest_sha256=None)
    event["detail"] = records.EnvironmentUpdate.from_entry(written).to_detail()

    result = recorder_handler.handler(event, lambda_context)

    assert result["already_recorded"] is True
    assert result["deployed_at"] == written.deployed_at
    assert ledger_entries(ledger, "prod") == [written]
    assert metric_sum("EnvironmentUpdate", Env="prod") is None  # the CLI counted it already


def test_a_publisher_key_is_used_when_its_row_is_missing(recorder_handler, ledger, env_vars, lambda_context):
    event = update_event()
    event["detail"].update(event_id="cli-1", deployed_at=f"2026-11-23T09:00:00.000000Z#{'b' * 12}")

    recorder_handler.handler(event, lambda_context)

    (row,) = ledger_entries(ledger, "prod")
    assert (row.event_id, row.deployed_at) == ("cli-1", f"2026-11-23T09:00:00.000000Z#{'b' * 12}")


def test_optional_detail_fields_stay_absent(recorder_handler, ledger, env_vars, lambda_context):
    recorder_handler.handler(update_event(plan_digest=None, manifest_sha256=None), lambda_context)

    (row,) = ledger.scan(TableName=LEDGER)["Items"]
    assert "plan_digest" not in row
    assert "manifest_sha256" not in row


def test_a_state_object_write_is_recorded_with_an_unknown_version(
    recorder_handler, ledger, env_vars, lambda_context, metric_sum
):
    result = recorder_handler.handler(state_event(), lambda_context)

    assert result["env"] == "staging"
    (row,) = ledger_entries(ledger, "staging")
    assert row.version == records.UNKNOWN
    assert row.source_commit == records.UNKNOWN
    assert row.event_type is EventType.DEPLOY
    assert row.actor == "123456789012"
    assert row.deployed_at.startswith("2026-11-23T09:59:58.000000Z#")
    # Not counted: an announced apply would count twice (terraform may write state more than once).
    assert metric_sum("EnvironmentUpdate", Env="staging") is None


def test_a_missing_env_is_a_named_error_and_nothing_is_written(
    recorder_handler, ledger, env_vars, lambda_context, metric_sum
):
    event = update_event()
    del event["detail"]["env"]

    with pytest.raises(recorder.InvalidEvent, match=r"^missing detail\.env$"):
        recorder_handler.handler(event, lambda_context)

    assert ledger.scan(TableName=LEDGER)["Items"] == []
    assert metric_sum("EnvironmentUpdate", Env="prod") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.pop("id"), r"^missing id$"),
        (lambda e: e.update(time="yesterday"), r"^time: 'yesterday' is not an ISO-8601 timestamp$"),
        (lambda e: e.update(source="aws.ec2"), r"^unsupported event: source 'aws\.ec2'"),
        (lambda e: e["detail"].update(status="DONE"), r"^detail\.status: 'DONE' is not one of SUCCEEDED, "),
        (
            lambda e: e["detail"].update(env="../prod"),
            r"^detail\.env: '\.\./prod' is not an environment name",
        ),
        (lambda e: e["detail"].update(version="a/b"), r"^detail\.version: 'a/b' is not a version"),
        (lambda e: e.update(detail="prod"), r"^detail: expected an object, got str$"),
        (
            lambda e: e["detail"].update(event_id="cli-1"),
            r"^detail\.event_id and detail\.deployed_at come together",
        ),
        (
            lambda e: e["detail"].update(event_id="cli-1", deployed_at="2026-11-23"),
            r"^detail\.deployed_at: '2026-11-23' is not",
        ),
    ],
)
def test_bad_update_events_name_the_field(change, message):
    event = update_event()
    change(event)
    with pytest.raises(recorder.InvalidEvent, match=message):
        recorder.parse_stack_update(event)


@pytest.mark.parametrize(
    "key", ["prod/terraform.tfstate.tflock", "prod/nested/terraform.tfstate", "terraform.tfstate"]
)
def test_only_the_state_object_itself_is_an_update(key):
    with pytest.raises(recorder.InvalidEvent, match=r"is not '<env>/terraform\.tfstate'"):
        recorder.parse_stack_update(state_event(key=key))


def test_an_unset_table_name_is_reported(recorder_handler, aws, lambda_context, monkeypatch):
    monkeypatch.delenv("LEDGER_TABLE", raising=False)
    with pytest.raises(recorder.MissingSetting, match="LEDGER_TABLE is not set"):
        recorder_handler.handler(update_event(), lambda_context)


def test_a_failed_write_is_not_mistaken_for_a_duplicate(recorder_handler, aws, env_vars, lambda_context):
    # No table: the write fails for a reason other than the condition, and that must surface.
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        recorder_handler.handler(update_event(), lambda_context)


def test_logs_are_structured(recorder_handler, ledger, env_vars, lambda_context, caplog):
    recorder_handler.handler(update_event(), lambda_context)

    (record,) = [r for r in caplog.records if r.getMessage() == "deployment recorded"]
    line = json.loads(recorder_handler.logger.registered_formatter.format(record))
    assert line["message"] == "deployment recorded"
    assert line["service"] == "deployment-recorder"
    assert line["env"] == "prod"
    assert line["version"] == "abc123"
    assert line["function_request_id"] == lambda_context.aws_request_id
