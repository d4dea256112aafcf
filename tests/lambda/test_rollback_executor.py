"""Rollback executor: earlier S3 version restored, ROLLBACK recorded, one notification, per-env outcome."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import executor
import pytest

from infrarep import records
from infrarep.records import EventType, LedgerEntry, Status

from .conftest import CONFIG_BUCKET, LEDGER, ledger_entries

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PARAMETERS = {
    "v6": {"instance_count": 2, "feature_flags": {"new_checkout": False}},
    "v7": {"instance_count": 3, "feature_flags": {"new_checkout": True}},
}


class Store:
    """Two deploys (v6 then v7) of each env: parameters object versions and ledger rows."""

    def __init__(self, s3: Any, dynamodb: Any) -> None:
        self.s3, self.dynamodb = s3, dynamodb
        self.version_ids: dict[tuple[str, str], str] = {}

    def deploy(self, env: str, version: str, at: datetime, commit: str | None = None) -> None:
        body = json.dumps({"env": env, **PARAMETERS.get(version, {})}).encode()
        put = self.s3.put_object(
            Bucket=CONFIG_BUCKET,
            Key=records.parameters_key(env),
            Body=body,
            ContentType="application/json",
            Metadata={records.VERSION_METADATA: version},
        )
        self.version_ids[env, version] = put["VersionId"]
        entry = LedgerEntry.create(
            env=env,
            at=at,
            event_id=f"deploy-{env}-{version}",
            version=version,
            source_commit=commit or f"commit-{version}",
            event_type=EventType.DEPLOY,
            status=Status.SUCCEEDED,
            actor="ci",
        )
        self.dynamodb.put_item(TableName=LEDGER, Item=entry.to_attribute_values())

    def current(self, env: str) -> tuple[dict, dict]:
        got = self.s3.get_object(Bucket=CONFIG_BUCKET, Key=records.parameters_key(env))
        return json.loads(got["Body"].read()), got["Metadata"]

    def version_count(self, env: str) -> int:
        listed = self.s3.list_object_versions(Bucket=CONFIG_BUCKET, Prefix=records.parameters_key(env))
        return len(listed.get("Versions", []))


@pytest.fixture
def store(function_env, ledger, config_bucket, make_topic):
    topic = make_topic("rollback")
    function_env(CONFIG_BUCKET=CONFIG_BUCKET, LEDGER_TABLE=LEDGER, ROLLBACK_TOPIC_ARN=topic.arn)
    built = Store(config_bucket, ledger)
    built.topic = topic
    for env in ("staging", "prod"):
        built.deploy(env, "v6", T0)
        built.deploy(env, "v7", T0 + timedelta(days=1))
    return built


def request(**changes: Any) -> dict:
    body = {
        "envs": ["staging", "prod"],
        "to_version": "v6",
        "object_version_id": None,
        "reason": "v7 checkout errors",
        "initiator": "alice",
    }
    body.update(changes)
    return body


def test_rolls_back_every_env_to_the_recorded_version(
    executor_handler, store, lambda_context, ledger, metric_sum
):
    result = executor_handler.handler(request(), lambda_context)

    assert result["complete"] is True
    assert result["not_rolled_back"] == []
    by_env = {outcome["env"]: outcome for outcome in result["rolled_back"]}
    assert set(by_env) == {"staging", "prod"}
    for env in ("staging", "prod"):
        body, metadata = store.current(env)
        assert body == {"env": env, **PARAMETERS["v6"]}
        assert metadata[records.VERSION_METADATA] == "v6"
        assert by_env[env]["restored_version_id"] == store.version_ids[env, "v6"]
        assert by_env[env]["version"] == "v6"
        assert by_env[env]["source_commit"] == "commit-v6"  # found through the version-index GSI
        assert by_env[env]["already_rolled_back"] is False

        rows = ledger_entries(ledger, env)
        (rollback,) = [row for row in rows if row.event_type is EventType.ROLLBACK]
        assert rollback.deployed_at == by_env[env]["deployed_at"]
        assert (rollback.version, rollback.status, rollback.actor) == ("v6", Status.SUCCEEDED, "alice")
        assert rollback.reason == "v7 checkout errors"
        assert rollback.source_commit == "commit-v6"
        assert records.latest_successful(rows) == rollback  # the ledger now says v6 runs
        assert metric_sum("EnvironmentUpdate", Env=env) == 1.0

    (note,) = store.topic.messages()
    assert note["subject"] == "infrarep: rolled back staging, prod to version v6"
    message = note["message"]
    assert message["reason"] == "v7 checkout errors"
    assert message["initiator"] == "alice"
    assert message["complete"] is True
    assert message["rolled_back"] == result["rolled_back"]
    assert message["summary"] == (
        "rollback to version v6 by alice (v7 checkout errors): rolled back staging, prod"
    )


def test_rolls_back_one_env_to_an_object_version_id(executor_handler, store, lambda_context, ledger):
    earlier = store.version_ids["prod", "v6"]

    result = executor_handler.handler(
        request(envs=["prod"], to_version=None, object_version_id=earlier), lambda_context
    )

    (outcome,) = result["rolled_back"]
    assert outcome["restored_version_id"] == earlier
    assert outcome["version"] == "v6"  # read from the restored object's metadata
    assert store.current("prod")[0] == {"env": "prod", **PARAMETERS["v6"]}
    assert store.current("staging")[0] == {"env": "staging", **PARAMETERS["v7"]}  # untouched
    (note,) = store.topic.messages()
    assert note["subject"] == f"infrarep: rolled back prod to object version {earlier}"


def test_partial_failure_says_which_envs_were_and_were_not_rolled_back(
    executor_handler, function_env, ledger, config_bucket, make_topic, lambda_context, metric_sum
):
    topic = make_topic("rollback")
    function_env(CONFIG_BUCKET=CONFIG_BUCKET, LEDGER_TABLE=LEDGER, ROLLBACK_TOPIC_ARN=topic.arn)
    store = Store(config_bucket, ledger)
    store.deploy("staging", "v6", T0)
    store.deploy("staging", "v7", T0 + timedelta(days=1))
    store.deploy("prod", "v7", T0 + timedelta(days=1))  # prod never ran v6

    result = executor_handler.handler(request(), lambda_context)

    assert result["complete"] is False
    assert [outcome["env"] for outcome in result["rolled_back"]] == ["staging"]
    assert result["not_rolled_back"] == [
        {
            "env": "prod",
            "error": f"s3://{CONFIG_BUCKET}/parameters/prod.json: none of its 1 versions has "
            "infrarep-version='v6'",
        }
    ]
    assert store.current("prod")[0] == {"env": "prod", **PARAMETERS["v7"]}
    assert [row.event_type for row in ledger_entries(ledger, "prod")] == [EventType.DEPLOY]
    assert metric_sum("EnvironmentUpdate", Env="prod") is None
    assert metric_sum("EnvironmentUpdate", Env="staging") == 1.0
    (note,) = topic.messages()
    assert note["subject"] == "infrarep: partial rollback to version v6 (prod failed)"
    assert note["message"]["not_rolled_back"] == result["not_rolled_back"]
    assert "not rolled back prod: " in note["message"]["summary"]


def test_an_env_without_a_parameters_object_is_reported(executor_handler, store, lambda_context):
    result = executor_handler.handler(request(envs=["dev", "prod"]), lambda_context)

    assert [outcome["env"] for outcome in result["rolled_back"]] == ["prod"]
    assert result["not_rolled_back"] == [
        {
            "env": "dev",
            "error": f"s3://{CONFIG_BUCKET}/parameters/dev.json does not exist: nothing to roll back",
        }
    ]


def test_an_unknown_object_version_id_is_reported(executor_handler, store, lambda_context):
    result = executor_handler.handler(
        request(envs=["prod"], to_version=None, object_version_id="no-such-version"), lambda_context
    )

    assert result["rolled_back"] == []
    (failed,) = result["not_rolled_back"]
    assert failed["error"] == f"s3://{CONFIG_BUCKET}/parameters/prod.json has no version 'no-such-version'"
    (note,) = store.topic.messages()
    assert note["subject"] == "infrarep: rollback of prod failed"


def test_a_redelivered_request_changes_and_tells_nothing_twice(
    executor_handler, store, lambda_context, ledger, metric_sum
):
    first = executor_handler.handler(request(), lambda_context)
    again = executor_handler.handler(request(), lambda_context)

    assert again["request_id"] == first["request_id"]
    assert [o["deployed_at"] for o in again["rolled_back"]] == [
        o["deployed_at"] for o in first["rolled_back"]
    ]
    assert all(outcome["already_rolled_back"] for outcome in again["rolled_back"])
    for env in ("staging", "prod"):
        assert store.version_count(env) == 3  # v6, v7, one restored copy
        assert [row.event_type for row in ledger_entries(ledger, env)].count(EventType.ROLLBACK) == 1
        assert metric_sum("EnvironmentUpdate", Env=env) == 1.0
    assert len(store.topic.messages()) == 1


def test_a_restore_whose_ledger_write_failed_is_recorded_on_retry(
    executor_handler, store, lambda_context, ledger, monkeypatch
):
    monkeypatch.setenv("LEDGER_TABLE", "missing-table")
    first = executor_handler.handler(request(envs=["prod"]), lambda_context)

    (failed,) = first["not_rolled_back"]
    assert failed["error"].startswith("parameters restored (S3 version ")
    assert f"send the same request (request_id {first['request_id']}) again" in failed["error"]
    assert store.current("prod")[0] == {"env": "prod", **PARAMETERS["v6"]}

    monkeypatch.setenv("LEDGER_TABLE", LEDGER)
    again = executor_handler.handler(request(envs=["prod"]), lambda_context)

    (outcome,) = again["rolled_back"]
    assert outcome["already_rolled_back"] is False  # the row is new, even though the copy is not
    assert store.version_count("prod") == 3
    (rollback,) = [row for row in ledger_entries(ledger, "prod") if row.event_type is EventType.ROLLBACK]
    assert rollback.deployed_at == outcome["deployed_at"]


def test_the_same_rollback_asked_again_later_runs_again(executor_handler, store, lambda_context, ledger):
    executor_handler.handler(request(envs=["prod"]), lambda_context)
    store.deploy("prod", "v7", T0 + timedelta(days=2))  # v7 went out again afterwards

    result = executor_handler.handler(request(envs=["prod"]), lambda_context)

    assert result["rolled_back"][0]["already_rolled_back"] is False
    assert store.current("prod")[0] == {"env": "prod", **PARAMETERS["v6"]}
    # Two rollbacks, two rows, even within one second of each other.
    rollbacks = [row for row in ledger_entries(ledger, "prod") if row.event_type is EventType.ROLLBACK]
    assert len(rollbacks) == 2
    assert rollbacks[0].event_id.startswith(result["request_id"] + "/")


def test_an_eventbridge_event_id_is_the_request_id(executor_handler, store, lambda_context):
    event = {"id": "evb-42", "source": "infrarep", "detail-type": "RollbackRequested", "detail": request()}

    assert executor_handler.handler(event, lambda_context)["request_id"] == "evb-42"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (request(envs=[]), r"^missing envs$"),
        (request(envs="prod"), r"^envs: expected a list of env names, got 'prod'$"),
        (request(envs=["prod", "prod"]), r"^envs: prod listed more than once$"),
        (request(envs=["prod", "../x"]), r"^envs\[1\]: '\.\./x' is not an environment name"),
        (request(to_version=None), r"^missing to_version or object_version_id"),
        (request(object_version_id="abc"), r"^to_version and object_version_id both given: give one$"),
        (
            request(to_version=None, object_version_id="abc"),
            r"names a version of one env's object, but envs has 2",
        ),
        (request(to_version="v6/../v7"), r"^to_version: 'v6/\.\./v7' is not a version"),
        (request(reason=""), r"^missing reason$"),
        (request(initiator=None), r"^missing initiator$"),
        (request(request_id="has space"), r"^request_id: 'has space' is not printable ASCII"),
        ({"source": "x", "detail": {"envs": ["prod"]}}, r"^missing detail\.to_version or detail\.object_"),
    ],
)
def test_bad_requests_name_the_field(event, message):
    with pytest.raises(executor.InvalidEvent, match=message):
        executor.parse_request(event)


def test_a_bad_request_changes_nothing(executor_handler, store, lambda_context, ledger):
    with pytest.raises(executor.InvalidEvent, match="missing initiator"):
        executor_handler.handler(request(initiator=""), lambda_context)

    assert store.version_count("prod") == 2
    assert store.topic.messages() == []


def test_unset_settings_are_named(executor_handler, aws, lambda_context, monkeypatch):
    for name in ("CONFIG_BUCKET", "LEDGER_TABLE", "ROLLBACK_TOPIC_ARN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(executor.MissingSetting, match="CONFIG_BUCKET, LEDGER_TABLE, ROLLBACK_TOPIC_ARN"):
        executor_handler.handler(request(), lambda_context)
