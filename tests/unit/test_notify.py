"""drift-report --notify: the DriftDetected metric, the drift topic message, the DRIFT_CHECK ledger row.

The pure parts over a report of the real-terraform plan fixtures; `notify` itself against
moto's in-process AWS (no network).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from infrarep import drift, ledger, notify, plans, records
from infrarep.drift import DriftReport, Kind

from ..moto_world import create_ledger_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
REGION = "us-east-1"
TOKENS = ("dev-token-not-secret-really", "staging-token-do-not-print", "prod-token-do-not-print")
AT = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


def load_env(env: str, *files: str) -> drift.EnvPlans:
    loaded = [plans.load(FIXTURES / file) for file in files]
    normal = next((plan for plan in loaded if plan.has_changes), None)
    refresh = next((plan for plan in loaded if not plan.has_changes), None)
    return drift.EnvPlans(env, drift.detect_identity(env, normal or refresh), normal, refresh)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def found() -> DriftReport:
    """dev changed out of band; staging~prod has a hard-coded value; dev~staging is clean."""
    envs = [
        load_env("dev", "live_dev.json", "parity_dev.json"),
        load_env("staging", "parity_staging.json"),
        load_env("prod", "parity_prod.json"),
    ]
    return drift.analyse(envs, [Kind.LIVE, Kind.PARITY], version="v1")


def dimensions(datum: dict[str, Any]) -> dict[str, str]:
    return {item["Name"]: item["Value"] for item in datum["Dimensions"]}


def test_metric_per_scope_of_the_env_and_one_per_env(found):
    data = notify.metric_data(found, "staging")

    assert all(datum["MetricName"] == records.METRIC_DRIFT_DETECTED for datum in data)
    values = [(dimensions(datum), datum["Value"]) for datum in data]
    assert values == [
        ({"Env": "staging", "Kind": "live"}, 0.0),
        ({"SourceEnv": "dev", "TargetEnv": "staging", "Kind": "parity"}, 0.0),
        ({"SourceEnv": "staging", "TargetEnv": "prod", "Kind": "parity"}, 1.0),
        ({"Env": "staging"}, 1.0),  # what the stack's alarm watches
    ]
    dev = notify.metric_data(found, "dev")
    assert (dimensions(dev[0]), dev[0]["Value"]) == ({"Env": "dev", "Kind": "live"}, 1.0)


def test_message_lists_only_the_envs_drift(found):
    subject, body = notify.message(found, "dev")

    assert subject == "infrarep: drift involving dev: 4 finding(s)"
    assert body["env"] == "dev" and body["drift"] is True
    assert {finding["scope"] for finding in body["findings"]} == {"dev"}
    assert {summary["scope"] for summary in body["summary"]} == {"dev", "dev~staging"}
    assert body["manifest"]["entries"] > 0
    _, prod = notify.message(found, "prod")
    assert [finding["address"] for finding in prod["findings"]] == ["module.app.aws_sqs_queue.jobs"]


def test_message_never_carries_sensitive_values(found):
    for env in ("dev", "staging", "prod"):
        _, body = notify.message(found, env)
        text = json.dumps(body)
        assert not any(token in text for token in TOKENS)


def test_ledger_reason_and_entries(found):
    assert notify.ledger_reason(found, "dev") == "drift: live dev 4"
    assert notify.ledger_reason(found, "prod") == "drift: parity staging~prod 1"
    clean = drift.analyse([load_env("dev", "parity_dev.json")], [Kind.LIVE])
    assert notify.ledger_reason(clean, "dev") == "no drift (live)"

    entries = notify.drift_check_entries(
        found,
        ["dev", "prod"],
        at=AT,
        event_ids={"dev": "a" * 32, "prod": "b" * 32},
        version="v1",
        source_commit="0" * 40,
        actor="tester",
    )

    dev = entries["dev"]
    assert dev.event_type is records.EventType.DRIFT_CHECK
    assert dev.status is records.Status.SUCCEEDED
    assert dev.manifest_sha256 == found.manifests["dev"].sha256()
    assert dev.reason == "drift: live dev 4"


def test_notify_sends_metric_message_and_ledger_row(aws, found):
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    topic = sns.create_topic(Name="infrarep-dev-drift")["TopicArn"]
    inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"}
    )
    create_ledger_table(dynamodb, "ledger")
    target = notify.EnvTarget("dev", REGION, topic, "ledger", "config-bucket")
    entries = notify.drift_check_entries(
        found, ["dev"], at=AT, event_ids={"dev": "c" * 32}, version="v1", source_commit="0" * 40, actor="t"
    )

    sent = notify.notify(lambda to: ledger.make_clients(to.region), [target], found, entries)

    assert sent == ["dev: metric, sns, ledger"]
    (received,) = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10)["Messages"]
    body = json.loads(received["Body"])
    assert body["env"] == "dev" and len(body["findings"]) == 4
    metrics = boto3.client("cloudwatch", region_name=REGION).list_metrics(
        Namespace=records.METRIC_NAMESPACE, MetricName=records.METRIC_DRIFT_DETECTED
    )["Metrics"]
    assert {"Env": "dev"} in [dimensions(metric) for metric in metrics]
    (row,) = dynamodb.scan(TableName="ledger")["Items"]
    entry = records.LedgerEntry.from_item(row)
    assert (entry.event_type, entry.reason) == (records.EventType.DRIFT_CHECK, "drift: live dev 4")


def test_notify_failure_names_env_and_region(aws, found):
    target = notify.EnvTarget("dev", REGION, f"arn:aws:sns:{REGION}:123456789012:absent", "ledger", "b")

    with pytest.raises(notify.NotifyFailed, match=r"^dev \(us-east-1\): drift notification failed"):
        notify.notify(lambda to: ledger.make_clients(to.region), [target], found, {})
