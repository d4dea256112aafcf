"""Rollback executor: a request writes ROLLBACK / REQUESTED and starts the deploy build that
applies it; nothing it writes says the env runs another version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import executor
import pytest
from botocore.exceptions import ClientError

from infrarep import records
from infrarep.records import EventType, LedgerEntry, Status

from .conftest import LEDGER, ledger_entries

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CONTROL_REGION = "us-east-1"
PROJECT = "infrarep-control-deploy"
RELEASES = "infrarep-control-config-123456789012"
BUNDLE = "releases/source.zip"
REQUESTED_AT = "2026-11-23T10:00:00Z"


class World:
    """prod's ledger, the control plane's release bundles and deploy project, and what was sent."""

    def __init__(self, dynamodb: Any, handler: Any) -> None:
        self.dynamodb = dynamodb
        self.s3 = boto3.client("s3", region_name=CONTROL_REGION)
        self.codebuild = boto3.client("codebuild", region_name=CONTROL_REGION)
        self.s3.create_bucket(Bucket=RELEASES)
        self.s3.put_bucket_versioning(Bucket=RELEASES, VersioningConfiguration={"Status": "Enabled"})
        self.bundles: dict[str, str] = {}
        self.started: list[dict[str, Any]] = []
        # What the function really sends to CodeBuild, read off its own client.
        handler.control("codebuild", CONTROL_REGION).meta.events.register(
            "provide-client-params.codebuild.StartBuild",
            lambda params, **_: self.started.append(dict(params)),
        )

    def create_project(self) -> None:
        self.codebuild.create_project(
            name=PROJECT,
            # The real project's source is CODEPIPELINE; plain moto insists on a location.
            source={"type": "S3", "location": f"{RELEASES}/{BUNDLE}"},
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "ARM_CONTAINER",
                "image": "aws/codebuild/amazonlinux-aarch64-standard:3.0",
                "computeType": "BUILD_GENERAL1_SMALL",
            },
            serviceRole="arn:aws:iam::123456789012:role/infrarep-control-builds",
        )

    def release(self, version: str) -> None:
        put = self.s3.put_object(
            Bucket=RELEASES, Key=BUNDLE, Body=f"zip of {version}".encode(), Metadata={"version": version}
        )
        self.bundles[version] = put["VersionId"]

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

    def builds(self) -> list[dict[str, Any]]:
        ids = self.codebuild.list_builds_for_project(projectName=PROJECT)["ids"]
        return self.codebuild.batch_get_builds(ids=ids)["builds"] if ids else []


@pytest.fixture
def world(function_env, ledger, make_topic, executor_handler) -> World:
    topic = make_topic("rollback")
    function_env(
        ENV="prod",
        LEDGER_TABLE=LEDGER,
        ROLLBACK_TOPIC_ARN=topic.arn,
        ROLLBACK_BUILD_PROJECT=PROJECT,
        ROLLBACK_BUILD_REGION=CONTROL_REGION,
        RELEASE_BUCKET=RELEASES,
        RELEASE_KEY=BUNDLE,
    )
    built = World(ledger, executor_handler)
    built.topic = topic
    built.create_project()
    for day, version in enumerate(("v6", "v7")):
        built.release(version)
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


def overrides(started: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in started["environmentVariablesOverride"]}


def test_a_request_writes_requested_and_starts_the_deploy_build_of_that_version(
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

    (started,) = world.started
    assert started["projectName"] == PROJECT
    assert overrides(started) == {
        "DEPLOY_ENV": "prod",
        "ROLLBACK_TO": "v6",
        "ROLLBACK_REASON": "v7 checkout errors",
        "ROLLBACK_ACTOR": "alice",
        "ROLLBACK_REQUEST_ID": "evt-1",
    }
    assert (started["sourceTypeOverride"], started["sourceLocationOverride"]) == (
        "S3",
        f"{RELEASES}/{BUNDLE}",
    )
    assert started["sourceVersion"] == world.bundles["v6"]  # v6's code, not the newest bundle
    (build,) = world.builds()
    assert build["id"] == result["build_id"]

    (note,) = world.topic.messages()
    assert note["subject"] == "infrarep: rollback of prod to v6 requested"
    assert note["message"]["build_id"] == result["build_id"]
    assert note["message"]["status"] == "REQUESTED"
    assert "requested by alice (v7 checkout errors)" in note["message"]["summary"]


def test_without_a_version_it_requests_the_one_before_the_running_one(
    world, executor_handler, lambda_context
):
    executor_handler.handler(event("evt-1", to_version=None), lambda_context)
    assert overrides(world.started[-1])["ROLLBACK_TO"] == "v6"

    # Once v6 was really rolled back to (an applied ROLLBACK), "previous" is v7 again.
    world.row("v6", T0 + timedelta(days=3), event_type=EventType.ROLLBACK)
    executor_handler.handler(event("evt-2", to_version="previous"), lambda_context)
    assert overrides(world.started[-1])["ROLLBACK_TO"] == "v7"


def test_a_rollback_row_that_applied_nothing_does_not_move_previous(world, executor_handler, lambda_context):
    """The executor of old wrote ROLLBACK / SUCCEEDED without a plan: prod still runs v7."""
    world.row("v6", T0 + timedelta(days=3), event_type=EventType.ROLLBACK, plan_digest=None)

    executor_handler.handler(event(to_version=None), lambda_context)

    assert overrides(world.started[-1])["ROLLBACK_TO"] == "v6"


def test_a_redelivered_request_starts_no_second_build(world, executor_handler, lambda_context):
    first = executor_handler.handler(event(), lambda_context)
    again = executor_handler.handler(event(), lambda_context)

    assert again["already_requested"] is True and again["build_id"] is None
    assert again["deployed_at"] == first["deployed_at"]
    assert len(world.builds()) == 1
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

    assert len(world.builds()) == 1
    assert overrides(world.started[0])["ROLLBACK_REQUEST_ID"] == "soak-staging-42"


def test_when_the_build_cannot_start_nothing_stays_requested_and_a_retry_starts_it(
    world, executor_handler, lambda_context
):
    world.codebuild.delete_project(name=PROJECT)

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        executor_handler.handler(event(), lambda_context)
    assert [row.status for row in ledger_entries(world.dynamodb, "prod")] == [Status.SUCCEEDED] * 2

    world.create_project()
    result = executor_handler.handler(event(), lambda_context)  # the retry of the same event
    assert result["requested"] is True and result["build_id"]
    assert len(world.builds()) == 1


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
    assert world.started == []
    (note,) = world.topic.messages()
    assert note["subject"] == "infrarep: rollback of prod not requested"
    assert error in note["message"]["summary"]


def test_a_version_without_a_release_bundle_is_refused(world, executor_handler, lambda_context):
    world.row("v5", T0 - timedelta(days=1))  # deployed from a laptop: never bundled

    result = executor_handler.handler(event(to_version="v5"), lambda_context)

    assert result["requested"] is False
    assert result["error"] == (
        f"s3://{RELEASES}/{BUNDLE} holds no release bundle of version 'v5': "
        "roll it back with `infrarep rollback` from a checkout of its commit"
    )
    assert world.started == []


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
    assert world.started == []


def test_missing_settings_are_named(world, executor_handler, lambda_context, monkeypatch):
    monkeypatch.delenv("ROLLBACK_BUILD_PROJECT")
    monkeypatch.delenv("RELEASE_BUCKET")
    with pytest.raises(
        executor.MissingSetting,
        match="environment variable ROLLBACK_BUILD_PROJECT, RELEASE_BUCKET is not set",
    ):
        executor_handler.handler(event(), lambda_context)
