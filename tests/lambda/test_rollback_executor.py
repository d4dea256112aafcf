"""Rollback executor: a request writes ROLLBACK / REQUESTED and puts RollbackAccepted (the
concrete version) on its own region's default bus; nothing it writes says the env runs another
version, and it calls nothing outside its region."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import executor
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from infrarep import records
from infrarep.records import EventType, LedgerEntry, Status

from .conftest import LEDGER, REGION, ledger_entries

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
REQUESTED_AT = "2026-11-23T10:00:00Z"
ACCEPTED_INBOX = "rollback-accepted-inbox"


class World:
    """prod's ledger, and what reached the function's region's default bus and topic."""

    def __init__(self, dynamodb: Any, handler: Any) -> None:
        self.dynamodb = dynamodb
        self.events = boto3.client("events", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        # A rule on the default bus, as the stack's forwarding rule matches, into a queue to read.
        self.inbox = self.sqs.create_queue(QueueName=ACCEPTED_INBOX)["QueueUrl"]
        inbox_arn = self.sqs.get_queue_attributes(QueueUrl=self.inbox, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.events.put_rule(
            Name="rollback-accepted",
            EventPattern=json.dumps({"source": ["infrarep"], "detail-type": ["RollbackAccepted"]}),
        )
        self.events.put_targets(Rule="rollback-accepted", Targets=[{"Id": "inbox", "Arn": inbox_arn}])
        # Every call the function makes, by service and region: it must stay in its own.
        self.calls: list[tuple[str, str, str]] = []
        for client in (handler.dynamodb(), handler.sns(), handler.events()):
            client.meta.events.register("before-call", self._record)

    def _record(self, model: Any, context: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, context["client_region"], model.name))

    def row(
        self,
        version: str,
        at: datetime,
        event_type: EventType = EventType.DEPLOY,
        status: Status = Status.SUCCEEDED,
        plan_digest: str | None = "sha256:plan",
    ) -> LedgerEntry:
        entry = LedgerEntry.create(
            env="prod",
            at=at,
            event_id=f"{event_type}-{version}-{at.isoformat()}",
            version=version,
            source_commit=f"commit-{version}",
            event_type=event_type,
            status=status,
            actor="ci",
            plan_digest=plan_digest,
        )
        self.dynamodb.put_item(TableName=LEDGER, Item=entry.to_attribute_values())
        return entry

    def accepted(self) -> list[dict[str, Any]]:
        """Every RollbackAccepted event so far, as EventBridge delivered it."""
        found: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=self.inbox, MaxNumberOfMessages=10).get("Messages"):
            for message in batch:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.inbox, ReceiptHandle=message["ReceiptHandle"])
        return found


@pytest.fixture
def world(function_env, ledger, make_topic, executor_handler) -> World:
    topic = make_topic("rollback")
    function_env(ENV="prod", LEDGER_TABLE=LEDGER, ROLLBACK_TOPIC_ARN=topic.arn)
    built = World(ledger, executor_handler)
    built.topic = topic
    for day, version in enumerate(("v6", "v7")):
        built.row(version, T0 + timedelta(days=day))
    return built


def event(event_id: str = "evt-1", **detail: Any) -> dict[str, Any]:
    """The request as EventBridge delivers it (`infrarep` / `RollbackRequested`)."""
    body = {"env": "prod", "to_version": "v6", "reason": "v7 checkout errors", "initiator": "alice"}
    body.update(detail)
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "RollbackRequested",
        "source": "infrarep",
        "account": "123456789012",
        "time": REQUESTED_AT,
        "region": "eu-west-1",
        "resources": [],
        "detail": {name: value for name, value in body.items() if value is not None},
    }


def accepted_detail(world: World) -> dict[str, Any]:
    (accepted,) = world.accepted()
    assert (accepted["source"], accepted["detail-type"]) == ("infrarep", "RollbackAccepted")
    return accepted["detail"]


def test_a_request_writes_requested_and_puts_the_accepted_event_with_that_version(
    world, executor_handler, lambda_context, metric_sum
):
    result = executor_handler.handler(event(), lambda_context)

    assert result["requested"] is True and result["already_requested"] is False
    (requested,) = [row for row in ledger_entries(world.dynamodb, "prod") if row.status is Status.REQUESTED]
    assert (requested.event_type, requested.version, requested.source_commit) == (
        EventType.ROLLBACK,
        "v6",
        "commit-v6",
    )
    assert (requested.actor, requested.reason, requested.plan_digest) == ("alice", "v7 checkout errors", None)
    # Nothing was applied: the ledger still says prod runs v7, and no update was counted.
    assert records.latest_successful(ledger_entries(world.dynamodb, "prod")).version == "v7"
    assert metric_sum("EnvironmentUpdate", Env="prod") is None

    assert accepted_detail(world) == {
        "env": "prod",
        "to_version": "v6",
        "reason": "v7 checkout errors",
        "actor": "alice",
        "request_id": "evt-1",
        "requested_at": "2026-11-23T10:00:00.000000Z",
    }
    assert result["accepted_event_id"]

    (note,) = world.topic.messages()
    assert note["subject"] == "infrarep: rollback of prod to v6 requested"
    assert note["message"]["accepted_event_id"] == result["accepted_event_id"]
    assert note["message"]["status"] == "REQUESTED"
    assert "requested by alice (v7 checkout errors)" in note["message"]["summary"]


def test_it_calls_only_services_of_its_own_region(world, executor_handler, lambda_context):
    executor_handler.handler(event(), lambda_context)

    assert {(service, region) for service, region, _ in world.calls} == {
        ("dynamodb", REGION),
        ("events", REGION),
        ("sns", REGION),
    }
    assert ("events", REGION, "PutEvents") in world.calls


def test_previous_becomes_the_concrete_version_before_the_running_one(
    world, executor_handler, lambda_context
):
    executor_handler.handler(event("evt-1", to_version=None), lambda_context)
    assert accepted_detail(world)["to_version"] == "v6"

    # Once v6 was really rolled back to (an applied ROLLBACK), "previous" is v7 again.
    world.row("v6", T0 + timedelta(days=3), event_type=EventType.ROLLBACK)
    executor_handler.handler(event("evt-2", to_version="previous"), lambda_context)
    assert accepted_detail(world)["to_version"] == "v7"


def test_a_rollback_row_that_applied_nothing_does_not_move_previous(world, executor_handler, lambda_context):
    """The executor of old wrote ROLLBACK / SUCCEEDED without a plan: prod still runs v7."""
    world.row("v6", T0 + timedelta(days=3), event_type=EventType.ROLLBACK, plan_digest=None)

    executor_handler.handler(event(to_version=None), lambda_context)

    assert accepted_detail(world)["to_version"] == "v6"


def test_a_redelivered_request_puts_nothing_twice(world, executor_handler, lambda_context):
    first = executor_handler.handler(event(), lambda_context)
    again = executor_handler.handler(event(), lambda_context)

    assert again["already_requested"] is True and again["accepted_event_id"] is None
    assert again["deployed_at"] == first["deployed_at"]
    assert len(world.accepted()) == 1
    assert [row.status for row in ledger_entries(world.dynamodb, "prod")].count(Status.REQUESTED) == 1
    assert len(world.topic.messages()) == 1  # nobody is told twice


def test_the_same_request_direct_or_from_step_functions_is_keyed_on_its_id(
    world, executor_handler, lambda_context
):
    direct = {
        "env": "prod",
        "to_version": "v6",
        "reason": "drift after the soak",
        "initiator": "promotion soak",
        "requested_at": REQUESTED_AT,
        "request_id": "soak-staging-42",
    }
    executor_handler.handler(direct, lambda_context)
    executor_handler.handler(direct, lambda_context)

    assert accepted_detail(world)["request_id"] == "soak-staging-42"


def test_when_the_event_cannot_be_put_nothing_stays_requested_and_a_retry_puts_it(
    world, executor_handler, lambda_context
):
    with Stubber(executor_handler.events()) as bus_down:
        bus_down.add_client_error("put_events", "ServiceUnavailable", http_status_code=503)
        with pytest.raises(ClientError, match="ServiceUnavailable"):
            executor_handler.handler(event(), lambda_context)
    assert [row.status for row in ledger_entries(world.dynamodb, "prod")] == [Status.SUCCEEDED] * 2

    result = executor_handler.handler(event(), lambda_context)  # the retry of the same event
    assert result["requested"] is True and result["accepted_event_id"]
    assert accepted_detail(world)["to_version"] == "v6"


def test_an_entry_eventbridge_rejects_is_an_error_and_takes_the_row_back(
    world, executor_handler, lambda_context
):
    rejected = {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "boom"}]}
    with Stubber(executor_handler.events()) as bus:
        bus.add_response("put_events", rejected)
        with pytest.raises(executor.EventNotPut, match="RollbackAccepted: InternalFailure: boom"):
            executor_handler.handler(event(), lambda_context)
    assert [row.status for row in ledger_entries(world.dynamodb, "prod")] == [Status.SUCCEEDED] * 2


@pytest.mark.parametrize(
    ("detail", "error"),
    [
        ({"to_version": "v9"}, "prod: version 'v9' was never deployed (deployed, newest first: v7, v6)"),
        ({"to_version": None, "_only_v7": True}, "prod: no earlier version to roll back to (it runs v7)"),
    ],
)
def test_a_version_that_cannot_be_restored_is_refused_and_nothing_is_written(
    world, executor_handler, lambda_context, detail, error
):
    if detail.pop("_only_v7", False):
        world.dynamodb.delete_item(
            TableName=LEDGER,
            Key={
                "env": {"S": "prod"},
                "deployed_at": {"S": ledger_entries(world.dynamodb, "prod")[0].deployed_at},
            },
        )
    rows_before = ledger_entries(world.dynamodb, "prod")

    result = executor_handler.handler(event(**detail), lambda_context)

    assert result == {"requested": False, "env": "prod", "request_id": "evt-1", "error": error}
    assert ledger_entries(world.dynamodb, "prod") == rows_before
    assert world.accepted() == []
    (note,) = world.topic.messages()
    assert note["subject"] == "infrarep: rollback of prod not requested"
    assert error in note["message"]["summary"]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ([], "event: expected an object, got list"),
        ({**event(), "detail-type": "EnvironmentUpdate"}, "detail-type: expected 'RollbackRequested'"),
        (event(env=None), "missing detail.env"),
        (event(env="staging"), "detail.env: 'staging' is not this function's env 'prod'"),
        (event(to_version="v6/../x"), "detail.to_version: 'v6/../x' is not a version"),
        (event(reason=None), "missing detail.reason"),
        (event(initiator=7), "detail.initiator: expected a string, got 7"),
        (event(requested_at="yesterday"), "detail.requested_at: 'yesterday' is not an ISO-8601 timestamp"),
        ({"env": "prod", "reason": "r", "initiator": "a"}, "missing requested_at"),
        (event(request_id="has space"), "detail.request_id: 'has space' is not printable ASCII"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    world, executor_handler, lambda_context, request_, message
):
    with pytest.raises(executor.InvalidEvent, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        executor_handler.handler(request_, lambda_context)
    assert [row.status for row in ledger_entries(world.dynamodb, "prod")] == [Status.SUCCEEDED] * 2
    assert world.accepted() == []


def test_missing_settings_are_named(world, executor_handler, lambda_context, monkeypatch):
    monkeypatch.delenv("LEDGER_TABLE")
    monkeypatch.delenv("ROLLBACK_TOPIC_ARN")
    with pytest.raises(
        executor.MissingSetting,
        match="environment variable LEDGER_TABLE, ROLLBACK_TOPIC_ARN is not set",
    ):
        executor_handler.handler(event(), lambda_context)
