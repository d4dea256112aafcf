"""Drift validator: manifests + ledger of two envs in, a result, a notification, a metric, a job result out.

moto 5.2.1 does not implement CodePipeline's PutJobSuccessResult/PutJobFailureResult, so the
codepipeline client is a real botocore client on a Stubber, injected in place of the handler's
cached one; the tests assert the exact calls made on it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import validator
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber

from infrarep import records
from infrarep.records import EventType, LedgerEntry, Manifest, Status

from .conftest import CONFIG_BUCKET, LEDGER, REGION

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
RESOURCES = {
    "module.stack.aws_sqs_queue.events": {"visibility_timeout_seconds": 30, "sqs_managed_sse_enabled": True},
    "module.stack.aws_dynamodb_table.ledger": {
        "billing_mode": "PAY_PER_REQUEST",
        "point_in_time_recovery": True,
    },
}


@pytest.fixture
def world(function_env, ledger, config_bucket, make_topic):
    """Config store, ledger, both topics, and the function's environment pointing at them."""
    drift, validation = make_topic("drift"), make_topic("validation")
    function_env(
        CONFIG_BUCKET=CONFIG_BUCKET,
        LEDGER_TABLE=LEDGER,
        DRIFT_TOPIC_ARN=drift.arn,
        VALIDATION_TOPIC_ARN=validation.arn,
    )
    return World(config_bucket, ledger, drift, validation)


class World:
    def __init__(self, s3: Any, dynamodb: Any, drift: Any, validation: Any) -> None:
        self.s3, self.dynamodb, self.drift, self.validation = s3, dynamodb, drift, validation

    def manifest(self, env: str, version: str = "v7", resources: dict | None = None) -> Manifest:
        manifest = Manifest(env=env, version=version, resources=RESOURCES if resources is None else resources)
        self.s3.put_object(
            Bucket=CONFIG_BUCKET, Key=records.manifest_key(env), Body=manifest.canonical_bytes()
        )
        return manifest

    def deployed(
        self,
        manifest: Manifest | None,
        env: str | None = None,
        version: str | None = None,
        at: datetime = T0,
        event_type: EventType = EventType.DEPLOY,
        status: Status = Status.SUCCEEDED,
        digest: bool = True,
        event_id: str | None = None,
    ) -> LedgerEntry:
        env = env or manifest.env
        version = version or manifest.version
        entry = LedgerEntry.create(
            env=env,
            at=at,
            event_id=event_id or f"{env}-{at.isoformat()}",
            version=version,
            source_commit="0f1e2d3c",
            event_type=event_type,
            status=status,
            actor="ci",
            plan_digest=None if version == records.UNKNOWN else "sha256:plan",  # a state write names no plan
            manifest_sha256=manifest.sha256() if manifest is not None and digest else None,
        )
        self.dynamodb.put_item(TableName=LEDGER, Item=entry.to_attribute_values())
        return entry

    def in_parity(self, version: str = "v7") -> None:
        self.deployed(self.manifest("staging", version))
        self.deployed(self.manifest("prod", version), at=T0 + timedelta(hours=2))


REQUEST = {"source_env": "staging", "target_env": "prod"}


def job_event(user_parameters: str = json.dumps(REQUEST), job_id: str = "job-1") -> dict:
    return {
        "CodePipeline.job": {
            "id": job_id,
            "accountId": "123456789012",
            "data": {
                "actionConfiguration": {
                    "configuration": {"FunctionName": "drift-validator", "UserParameters": user_parameters}
                },
                "inputArtifacts": [],
                "outputArtifacts": [],
            },
        }
    }


class Pipeline:
    """A codepipeline client on a Stubber, plus every call's parameters as the handler sent them."""

    def __init__(self) -> None:
        self.client = boto3.client("codepipeline", region_name=REGION)
        self.stubber = Stubber(self.client)
        self.calls: list[tuple[str, dict]] = []
        self.client.meta.events.register("provide-client-params.codepipeline.*", self._capture)

    def _capture(self, params: dict, model: Any, **_: Any) -> None:
        self.calls.append((model.name, params))

    def add_response(self, *args: Any, **kwargs: Any) -> None:
        self.stubber.add_response(*args, **kwargs)

    def add_client_error(self, *args: Any, **kwargs: Any) -> None:
        self.stubber.add_client_error(*args, **kwargs)


@pytest.fixture
def pipeline(validator_handler, monkeypatch):
    """The stubbed client in place of the handler's; any unexpected or missing call fails the test."""
    stubbed = Pipeline()
    monkeypatch.setattr(validator_handler, "codepipeline", lambda: stubbed.client)
    with stubbed.stubber:
        yield stubbed
        stubbed.stubber.assert_no_pending_responses()


def expect_success(stubber: Pipeline, job_id: str = "job-1") -> None:
    stubber.add_response(
        "put_job_success_result",
        {},
        {
            "jobId": job_id,
            "executionDetails": {"summary": ANY, "externalExecutionId": ANY, "percentComplete": 100},
        },
    )


def expect_failure(stubber: Pipeline, job_id: str = "job-1") -> None:
    stubber.add_response(
        "put_job_failure_result",
        {},
        {
            "jobId": job_id,
            "failureDetails": {"type": "JobFailed", "message": ANY, "externalExecutionId": ANY},
        },
    )


# --- the decision: what counts as drift ---


def test_envs_in_parity_report_no_drift_and_put_a_zero(validator_handler, world, lambda_context, metric_sum):
    world.in_parity()

    result = validator_handler.handler(REQUEST, lambda_context)

    assert result == {
        "drift_detected": False,
        "outcome": "NO_DRIFT",
        "source_env": "staging",
        "target_env": "prod",
        "details": [],
    }
    assert world.drift.messages() == []
    assert world.validation.messages() == []
    assert metric_sum("DriftDetected", SourceEnv="staging", TargetEnv="prod") == 0.0


def test_config_drift_is_published_to_the_drift_topic_and_counted(
    validator_handler, world, lambda_context, metric_sum
):
    world.deployed(world.manifest("staging"))
    prod_resources = {
        "module.stack.aws_sqs_queue.events": {
            "visibility_timeout_seconds": 60,
            "sqs_managed_sse_enabled": True,
        },
        "module.stack.aws_dynamodb_table.ledger": RESOURCES["module.stack.aws_dynamodb_table.ledger"],
        "module.stack.aws_sns_topic.extra": {"fifo_topic": False},
    }
    world.deployed(world.manifest("prod", resources=prod_resources))

    result = validator_handler.handler(REQUEST, lambda_context)

    assert result["drift_detected"] is True
    assert result["outcome"] == "DRIFT"
    (finding,) = result["details"]
    assert finding["kind"] == "config_differs"
    assert finding["differing"] == {"addresses": ["module.stack.aws_sqs_queue.events"], "count": 1}
    assert finding["only_in_target"] == {"addresses": ["module.stack.aws_sns_topic.extra"], "count": 1}
    assert finding["only_in_source"] == {"addresses": [], "count": 0}

    (note,) = world.drift.messages()
    assert note["subject"] == "infrarep: drift staging -> prod"
    assert note["message"]["drift_detected"] is True
    assert note["message"]["details"] == result["details"]
    assert note["message"]["summary"].startswith(
        "drift staging -> prod: staging and prod differ in non-variant"
    )
    assert world.validation.messages() == []
    assert metric_sum("DriftDetected", SourceEnv="staging", TargetEnv="prod") == 1.0


def test_a_version_not_yet_promoted_is_drift(validator_handler, world, lambda_context):
    world.deployed(world.manifest("staging", "v8"))
    world.deployed(world.manifest("prod", "v7"))

    result = validator_handler.handler(REQUEST, lambda_context)

    assert [d["kind"] for d in result["details"]] == ["version_differs"]
    assert result["details"][0]["source_version"] == "v8"
    assert result["details"][0]["target_version"] == "v7"
    (note,) = world.drift.messages()
    assert "staging runs v8, prod runs v7" in note["message"]["summary"]


def test_the_latest_successful_row_counts_not_a_later_failed_one(validator_handler, world, lambda_context):
    world.in_parity("v7")
    world.deployed(None, env="prod", version="v8", at=T0 + timedelta(hours=3), status=Status.FAILED)

    result = validator_handler.handler(REQUEST, lambda_context)

    assert result["outcome"] == "NO_DRIFT"


def test_a_manifest_changed_behind_the_ledger_is_drift(validator_handler, world, lambda_context):
    world.in_parity()
    # Someone rewrote prod's manifest (same version label, different bytes) after the recorded deploy.
    world.manifest("prod", resources={**RESOURCES, "module.stack.aws_sns_topic.extra": {}})
    world.manifest("staging", resources={**RESOURCES, "module.stack.aws_sns_topic.extra": {}})

    result = validator_handler.handler(REQUEST, lambda_context)

    kinds = sorted((d["kind"], d.get("env")) for d in result["details"])
    assert kinds == [("store_differs_from_ledger", "prod"), ("store_differs_from_ledger", "staging")]
    assert result["drift_detected"] is True


def test_a_row_without_a_digest_is_checked_by_version(validator_handler, world, lambda_context):
    manifest = world.manifest("staging", "v7")
    world.deployed(manifest)
    world.deployed(world.manifest("prod", "v7"))
    # A rollback of prod to v6 records no manifest digest; the store still holds the v7 manifest.
    world.deployed(
        None,
        env="prod",
        version="v6",
        at=T0 + timedelta(hours=1),
        event_type=EventType.ROLLBACK,
        digest=False,
    )

    result = validator_handler.handler(REQUEST, lambda_context)

    kinds = {d["kind"]: d for d in result["details"]}
    assert kinds["store_differs_from_ledger"]["env"] == "prod"
    assert kinds["store_differs_from_ledger"]["store_version"] == "v7"
    assert kinds["store_differs_from_ledger"]["ledger_version"] == "v6"
    assert kinds["version_differs"]["target_version"] == "v6"


def test_an_unannounced_state_write_is_drift(validator_handler, world, lambda_context):
    world.in_parity()
    world.deployed(None, env="prod", version=records.UNKNOWN, at=T0 + timedelta(hours=5))

    result = validator_handler.handler(REQUEST, lambda_context)

    assert [(d["kind"], d["env"]) for d in result["details"]] == [("version_unknown", "prod")]


# --- could not check: a validation failure, not a crash ---


def test_a_missing_manifest_goes_to_the_validation_topic(
    validator_handler, world, lambda_context, metric_sum
):
    world.deployed(world.manifest("staging"))
    world.deployed(Manifest("prod", "v7", RESOURCES))  # recorded, but never written to the store

    result = validator_handler.handler(REQUEST, lambda_context)

    assert result["outcome"] == "VALIDATION_FAILED"
    assert result["drift_detected"] is False
    (finding,) = result["details"]
    assert finding == {
        "kind": "manifest_missing",
        "env": "prod",
        "message": f"s3://{CONFIG_BUCKET}/manifests/prod/manifest.json does not exist: prod has no manifest",
    }
    (note,) = world.validation.messages()
    assert note["subject"] == "infrarep: drift check staging -> prod could not run"
    assert "manifests/prod/manifest.json does not exist" in note["message"]["summary"]
    assert world.drift.messages() == []
    assert metric_sum("DriftDetected", SourceEnv="staging", TargetEnv="prod") is None


def test_an_unreadable_manifest_is_named(validator_handler, world, lambda_context):
    world.in_parity()
    world.s3.put_object(Bucket=CONFIG_BUCKET, Key="manifests/prod/manifest.json", Body=b'{"env": "prod"')

    result = validator_handler.handler(REQUEST, lambda_context)

    (finding,) = result["details"]
    assert finding["kind"] == "manifest_invalid"
    assert finding["message"].startswith(f"s3://{CONFIG_BUCKET}/manifests/prod/manifest.json: not JSON")


def test_a_manifest_filed_under_the_wrong_env_is_named(validator_handler, world, lambda_context):
    world.in_parity()
    staging_doc = Manifest("staging", "v7", RESOURCES).canonical_bytes()
    world.s3.put_object(Bucket=CONFIG_BUCKET, Key="manifests/prod/manifest.json", Body=staging_doc)

    result = validator_handler.handler(REQUEST, lambda_context)

    assert result["details"][0]["message"].endswith("says env 'staging', expected 'prod'")


def test_an_env_never_deployed_cannot_be_compared(validator_handler, world, lambda_context):
    world.deployed(world.manifest("staging"))
    world.manifest("prod")

    result = validator_handler.handler(REQUEST, lambda_context)

    assert result["outcome"] == "VALIDATION_FAILED"
    assert [(d["kind"], d["env"]) for d in result["details"]] == [("ledger_missing", "prod")]


# --- input ---


def test_the_request_can_come_as_an_eventbridge_detail(validator_handler, world, lambda_context):
    world.in_parity()
    event = {"id": "e-1", "source": "infrarep.schedule", "detail-type": "DriftCheck", "detail": REQUEST}

    assert validator_handler.handler(event, lambda_context)["outcome"] == "NO_DRIFT"


def test_a_direct_call_without_target_env_raises_and_publishes_nothing(
    validator_handler, world, lambda_context
):
    with pytest.raises(validator.InvalidEvent, match=r"^missing target_env$"):
        validator_handler.handler({"source_env": "staging"}, lambda_context)

    assert world.validation.messages() == []


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"source_env": "prod", "target_env": "prod"}, r"both 'prod'; name two envs"),
        ({"source_env": "Prod!", "target_env": "dev"}, r"^source_env: 'Prod!' is not an environment name"),
        ({"source": "x", "detail": {"source_env": "dev"}}, r"^missing detail\.target_env$"),
        (job_event("staging->prod"), r"^UserParameters: 'staging->prod' is not JSON$"),
        (job_event(json.dumps({"source_env": "dev"})), r"^missing UserParameters\.target_env$"),
        ([], r"^event: expected an object, got list$"),
    ],
)
def test_bad_requests_name_the_field(event, message):
    with pytest.raises(validator.InvalidEvent, match=message):
        validator.parse_request(event)


def test_a_repeated_check_gives_the_same_answer(validator_handler, world, lambda_context):
    world.deployed(world.manifest("staging", "v8"))
    world.deployed(world.manifest("prod", "v7"))

    first = validator_handler.handler(REQUEST, lambda_context)
    again = validator_handler.handler(REQUEST, lambda_context)

    assert first == again
    # Read-only check: notifications are at-least-once, one per invocation, never merged or lost.
    assert len(world.drift.messages()) == 2


def test_the_ledger_is_read_across_pages(validator_handler, world, lambda_context):
    world.deployed(world.manifest("staging", "v7"))
    world.deployed(world.manifest("prod", "v7"))
    # More failed rows than one query page after the successful deploy, then a same-second pair
    # in which the row that knows its version must win over the state write.
    for minute in range(1, validator.LEDGER_PAGE * 2 + 3):
        world.deployed(
            None, env="prod", version="v9", at=T0 + timedelta(minutes=minute), status=Status.FAILED
        )

    assert validator.latest_recorded(world.dynamodb, LEDGER, "prod").version == "v7"

    later = T0 + timedelta(hours=6)
    world.deployed(world.manifest("prod", "v8"), at=later, event_id="announce")
    world.deployed(None, env="prod", version=records.UNKNOWN, at=later, event_id="state-write")
    assert validator.latest_recorded(world.dynamodb, LEDGER, "prod").version == "v8"


# --- CodePipeline ---


def test_no_drift_succeeds_the_pipeline_job(validator_handler, world, lambda_context, pipeline):
    world.in_parity()
    expect_success(pipeline)

    result = validator_handler.handler(job_event(), lambda_context)

    assert result["outcome"] == "NO_DRIFT"
    ((operation, params),) = pipeline.calls
    assert operation == "PutJobSuccessResult"
    assert params["executionDetails"]["summary"] == "no drift staging -> prod: same config and version"
    assert params["executionDetails"]["externalExecutionId"] == lambda_context.aws_request_id


def test_drift_fails_the_pipeline_job_with_the_reason(validator_handler, world, lambda_context, pipeline):
    world.deployed(world.manifest("staging", "v8"))
    world.deployed(world.manifest("prod", "v7"))
    pipeline.add_response(
        "put_job_failure_result",
        {},
        {
            "jobId": "job-1",
            "failureDetails": {
                "type": "JobFailed",
                "message": "drift staging -> prod: staging runs v8, prod runs v7",
                "externalExecutionId": lambda_context.aws_request_id,
            },
        },
    )

    result = validator_handler.handler(job_event(), lambda_context)

    assert result["drift_detected"] is True
    assert len(world.drift.messages()) == 1


def test_a_missing_manifest_fails_the_job_and_tells_the_validation_topic(
    validator_handler, world, lambda_context, pipeline
):
    world.deployed(world.manifest("staging"))
    expect_failure(pipeline)

    result = validator_handler.handler(job_event(), lambda_context)

    assert result["outcome"] == "VALIDATION_FAILED"
    ((operation, params),) = pipeline.calls
    assert operation == "PutJobFailureResult"
    assert "manifests/prod/manifest.json does not exist" in params["failureDetails"]["message"]
    (note,) = world.validation.messages()
    assert "manifests/prod/manifest.json does not exist" in note["message"]["summary"]


def test_bad_user_parameters_fail_the_job_instead_of_raising(
    validator_handler, world, lambda_context, pipeline
):
    pipeline.add_response(
        "put_job_failure_result",
        {},
        {
            "jobId": "job-1",
            "failureDetails": {
                "type": "JobFailed",
                "message": "drift check could not run: missing UserParameters.target_env",
                "externalExecutionId": ANY,
            },
        },
    )

    result = validator_handler.handler(job_event(json.dumps({"source_env": "staging"})), lambda_context)

    assert result["outcome"] == "VALIDATION_FAILED"
    assert result["details"] == [{"kind": "invalid_request", "message": "missing UserParameters.target_env"}]
    (note,) = world.validation.messages()
    assert note["message"]["details"] == result["details"]


def test_a_redelivered_job_is_not_reported_twice(validator_handler, world, lambda_context, pipeline):
    world.in_parity()
    expect_success(pipeline)
    pipeline.add_client_error(
        "put_job_success_result",
        service_error_code="InvalidJobStateException",
        service_message="Job job-1 is in state Succeeded",
    )

    first = validator_handler.handler(job_event(), lambda_context)
    again = validator_handler.handler(job_event(), lambda_context)  # must not raise

    assert first == again
    assert [operation for operation, _ in pipeline.calls] == ["PutJobSuccessResult"] * 2


def test_an_internal_error_still_fails_the_job_then_raises(
    validator_handler, aws, function_env, config_bucket, lambda_context, pipeline
):
    function_env(
        CONFIG_BUCKET=CONFIG_BUCKET,
        LEDGER_TABLE="no-such-table",
        DRIFT_TOPIC_ARN="arn:aws:sns:eu-west-1:123456789012:drift",
        VALIDATION_TOPIC_ARN="arn:aws:sns:eu-west-1:123456789012:validation",
    )
    expect_failure(pipeline)

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        validator_handler.handler(job_event(), lambda_context)

    ((operation, params),) = pipeline.calls
    assert operation == "PutJobFailureResult"
    assert params["failureDetails"]["message"].startswith(
        "drift validator failed: An error occurred (Resource"
    )


def test_unset_settings_are_named(validator_handler, aws, lambda_context, monkeypatch):
    for name in ("CONFIG_BUCKET", "LEDGER_TABLE", "DRIFT_TOPIC_ARN", "VALIDATION_TOPIC_ARN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(validator.MissingSetting, match="CONFIG_BUCKET, LEDGER_TABLE, DRIFT_TOPIC_ARN"):
        validator_handler.handler(REQUEST, lambda_context)


def test_a_failed_job_report_does_not_hide_the_error(
    validator_handler, aws, function_env, config_bucket, lambda_context, pipeline
):
    function_env(
        CONFIG_BUCKET=CONFIG_BUCKET,
        LEDGER_TABLE="no-such-table",
        DRIFT_TOPIC_ARN="arn:aws:sns:eu-west-1:123456789012:drift",
        VALIDATION_TOPIC_ARN="arn:aws:sns:eu-west-1:123456789012:validation",
    )
    pipeline.add_client_error("put_job_failure_result", service_error_code="JobNotFoundException")

    # The original error surfaces, not the report's.
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        validator_handler.handler(job_event(), lambda_context)
