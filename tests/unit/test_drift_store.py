"""`drift-report --store` and `--from-store` against moto in-process: each env's report kept in its
own config store (found through its stack outputs in the state, as deploys find it), compared
with the previous one, told once, and read back with parity from the stored config manifests.

The reports are those of the real-terraform plan fixtures: live_dev.json (dev changed out of
band, 4 findings) and live_clean_dev.json (the same env without drift)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from infrarep import config, drift, drift_store, ledger, notify, records, render
from infrarep import report as reporting
from infrarep.app import drift_report as use_case
from infrarep.drift import Kind, Status

from .. import report_cases
from ..moto_world import create_bucket

REPO = Path(__file__).parents[2]
AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
QUEUE = "module.app.aws_sqs_queue.jobs"


@dataclass
class _Runner:
    """What the store reads of `runner.Runner`: the settings, the caller's clients (the state
    buckets) and each env's (its config store)."""

    settings: config.Settings

    def clients(self, region: str, role_arn: str | None = None) -> ledger.Clients:
        return ledger.make_clients(region)

    def env_clients(self, env: config.EnvSettings) -> ledger.Clients:
        return ledger.make_clients(env.region)


@pytest.fixture
def settings() -> config.Settings:
    return config.load(REPO / "envs" / "environments.yaml")


def deployed(
    settings: config.Settings, name: str, manifest: dict[str, Any] | None = None
) -> ledger.EnvResources:
    """The env's state with its stack output, its config bucket (with `manifest` stored as a
    deploy stores it) and its drift topic."""
    env = settings.env(name)
    clients = ledger.make_clients(env.region)
    topic = clients.sns.create_topic(Name=f"{name}-drift")["TopicArn"]
    stack = {
        "ledger_table_name": f"{name}-ledger",
        "config_bucket": f"{name}-config",
        "topic_arns": {"drift": topic},
    }
    bucket = render.state_bucket(settings, env.region)
    if bucket not in [b["Name"] for b in clients.s3.list_buckets()["Buckets"]]:
        create_bucket(clients.s3, bucket, env.region)
    state = {"version": 4, "outputs": {"stack": {"value": stack, "type": "object"}}}
    clients.s3.put_object(Bucket=bucket, Key=records.state_key(name), Body=json.dumps(state).encode())
    create_bucket(clients.s3, stack["config_bucket"], env.region, versioned=True)
    where = ledger.EnvResources(name, env.region, stack["ledger_table_name"], stack["config_bucket"])
    if manifest is not None:
        ledger.put_manifest(clients, where, records.Manifest(name, "v1", manifest))
    return where


def live_report(env: str, plan: str) -> drift.DriftReport:
    return drift.analyse([report_cases.env_plans(env, plan)], [Kind.LIVE], manifests=False)


def drift_inbox(region: str, topic: str) -> tuple[Any, str]:
    sqs = boto3.client("sqs", region_name=region)
    inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns", region_name=region).subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    return sqs, inbox


def scheduled_run(
    runner: _Runner, report: drift.DriftReport, at: datetime, lines: list[str]
) -> drift.History:
    """What `drift-report --env dev --notify --store` does after planning: compare with the
    previous stored report, notify, store."""
    envs = [runner.settings.env(name) for name in report.envs]
    stores, previous = use_case.previous_reports(runner, envs)
    history = drift_store.compare_with_previous(report, previous)
    targets = [
        notify.EnvTarget(
            env.name, env.region, _topic(env.region, env.name), "", stores[env.name].config_bucket
        )
        for env in envs
    ]
    lines += notify.notify(lambda target: runner.clients(target.region), targets, report, {}, history)
    use_case.store_reports(runner, stores, report, history, at, lines.append)
    return history


def _topic(region: str, env: str) -> str:
    return boto3.client("sns", region_name=region).create_topic(Name=f"{env}-drift")["TopicArn"]


def test_a_stored_report_is_written_dated_and_as_latest_and_reads_back(aws, settings):
    where = deployed(settings, "dev")
    found = live_report("dev", "live_dev.json")
    history = drift.compare(found.findings, [], drift.covered_scopes(found), "nothing")
    lines: list[str] = []

    use_case.store_reports(_Runner(settings), {"dev": where}, found, history, AT, lines.append)

    s3 = boto3.client("s3", region_name=where.region)
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=where.config_bucket)["Contents"]]
    assert sorted(keys) == ["drift-history/dev/20261123T120000.000000Z.json", "drift/dev/latest.json"]
    assert lines == ["store    dev: s3://dev-config/drift-history/dev/20261123T120000.000000Z.json"]
    document = json.loads(
        s3.get_object(Bucket=where.config_bucket, Key="drift/dev/latest.json")["Body"].read()
    )
    assert (document["schema_version"], document["env"], document["checked_at"]) == (
        reporting.SCHEMA_VERSION,
        "dev",
        "2026-11-23T12:00:00Z",
    )
    read = drift_store.read_latest(s3, where)
    assert read is not None and read.report.findings == found.findings and read.checked_at == AT
    assert read.history is not None and len(read.history.new) == 4


def test_drift_is_told_once_persists_then_resolves_and_is_told_again_when_back(aws, settings):
    where = deployed(settings, "dev")
    runner = _Runner(settings)
    sqs, inbox = drift_inbox(where.region, _topic(where.region, "dev"))
    drifted, clean = live_report("dev", "live_dev.json"), live_report("dev", "live_clean_dev.json")

    def told() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=inbox, ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(message["Body"]) for message in messages]

    first = scheduled_run(runner, drifted, AT, [])
    (message,) = told()
    assert len(first.new) == 4 and len(message["findings"]) == 4
    assert message["compared_with"] == "each env's previous stored report"  # none before: all new

    lines: list[str] = []
    second = scheduled_run(runner, drifted, AT + timedelta(hours=6), lines)
    assert (second.new, len(second.persisting)) == (frozenset(), 4)
    assert told() == [] and lines[0] == "dev: metric"  # the metric still says drift; no message
    assert second.baseline == "the previous stored report of dev (2026-11-23T12:00:00Z)"

    third = scheduled_run(runner, clean, AT + timedelta(hours=12), [])
    assert len(third.resolved) == 4 and told() == []

    fourth = scheduled_run(runner, drifted, AT + timedelta(hours=18), [])
    assert len(fourth.new) == 4 and len(told()) == 1

    stored = drift_store.read_latest(boto3.client("s3", region_name=where.region), where)
    assert stored is not None and stored.history is not None and len(stored.history.new) == 4
    s3 = boto3.client("s3", region_name=where.region)
    listed = s3.list_objects_v2(Bucket=where.config_bucket, Prefix="drift-history/dev/")
    assert len(listed["Contents"]) == 4  # four dated reports
    assert [
        item["Key"] for item in s3.list_objects_v2(Bucket=where.config_bucket, Prefix="drift/")["Contents"]
    ] == ["drift/dev/latest.json"]


def test_from_store_reports_each_envs_stored_drift_and_parity_from_the_manifests(aws, settings):
    queue = {"type": "aws_sqs_queue", "attributes": {"delay_seconds": 0}}
    deployed(settings, "dev", {QUEUE: queue})
    staging = deployed(settings, "staging", {QUEUE: queue})
    deployed(settings, "prod", {QUEUE: {"type": "aws_sqs_queue", "attributes": {"delay_seconds": 30}}})
    runner = _Runner(settings)
    scheduled_run(runner, live_report("dev", "live_dev.json"), AT, [])
    clean_staging = live_report("staging", "live_clean_dev.json")
    use_case.store_reports(
        runner, {"staging": staging}, clean_staging, None, AT + timedelta(minutes=5), print
    )
    lines: list[str] = []

    stored, manifests = use_case.read_fleet(runner, settings.ordered(), lines.append)

    assert lines == ["drift-report: prod: never checked (no stored report)"]
    fleet = {name: drift.StoredEnv(read.report, read.history) for name, read in stored.items()}
    found, history = drift.fleet_report(["dev", "staging", "prod"], fleet, manifests, frozenset(Kind))
    assert found.envs == ("dev", "staging")
    drifted = {(f.kind, f.scope) for f in found.findings if f.verdict is drift.Verdict.DRIFT}
    assert drifted == {(Kind.LIVE, "dev")}
    (parity,) = [f for f in found.findings if f.kind is Kind.PARITY]
    assert (parity.scope, parity.verdict) == ("staging~prod", drift.Verdict.UNKNOWN)
    assert [(d.path, d.before, d.after) for d in parity.attributes] == [("delay_seconds", 0, 30)]
    assert history is not None and {history.status(f) for f in found.findings if f.kind is Kind.LIVE} == {
        Status.NEW
    }
    checked = {
        name: stored[name].checked_at if name in stored else None for name in ("dev", "staging", "prod")
    }
    table = reporting.render(found, reporting.Format.TABLE, history=history, checked=checked)
    assert (
        "  dev: checked 2026-11-23T12:00:00Z\n  staging: checked 2026-11-23T12:05:00Z\n  prod: never checked"
        in table
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"schema_version": 1, "envs": ["dev"], "kin', "not a whole JSON document, truncated or not JSON"),
        (
            b'{"schema_version": 2, "env": "dev"}',
            "a drift report of schema version 2; this infrarep reads version 1",
        ),
    ],
)
def test_a_stored_report_that_cannot_be_read_is_one_line_naming_it(aws, settings, body, message):
    where = deployed(settings, "dev")
    s3 = boto3.client("s3", region_name=where.region)
    s3.put_object(Bucket=where.config_bucket, Key=records.latest_drift_key("dev"), Body=body)

    with pytest.raises(reporting.UnreadableReport) as raised:
        use_case.previous_reports(_Runner(settings), [settings.env("dev")])

    assert raised.value.message.startswith(f"s3://dev-config/drift/dev/latest.json: {message}")
    assert "\n" not in raised.value.message


def test_another_envs_report_in_the_store_is_refused(aws, settings):
    dev, staging = deployed(settings, "dev"), deployed(settings, "staging")
    found = live_report("staging", "live_clean_dev.json")
    use_case.store_reports(_Runner(settings), {"staging": staging}, found, None, AT, lambda _: None)
    body = (
        boto3.client("s3", region_name=staging.region)
        .get_object(Bucket=staging.config_bucket, Key=records.latest_drift_key("staging"))["Body"]
        .read()
    )
    boto3.client("s3", region_name=dev.region).put_object(
        Bucket=dev.config_bucket, Key=records.latest_drift_key("dev"), Body=body
    )

    with pytest.raises(reporting.UnreadableReport, match=r"not a stored drift report of dev \(env 'staging'"):
        drift_store.read_latest(boto3.client("s3", region_name=dev.region), dev)


def test_an_env_never_deployed_cannot_store_and_is_never_checked_in_the_fleet(aws, settings):
    lines: list[str] = []
    with pytest.raises(
        use_case.ConfigError, match=r"^dev: the stack has no outputs yet; deploy it before --store"
    ):
        use_case.previous_reports(_Runner(settings), [settings.env("dev")])
    create_bucket(boto3.client("s3", region_name="us-east-1"), "infrarep-tfstate-us-east-1", "us-east-1")
    assert use_case.read_fleet(_Runner(settings), [settings.env("dev")], lines.append) == ({}, {})
    assert lines == ["drift-report: dev: never checked (never deployed)"]
