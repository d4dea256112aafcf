"""Drift validator: do two envs' latest config manifests and ledger rows agree?

Invoked three ways, all with the same two fields:

- directly or as a Step Functions task: `{"source_env": "staging", "target_env": "prod"}`;
- as an EventBridge target: the same fields in `detail`;
- as a CodePipeline Lambda action: the same fields as JSON in
  `CodePipeline.job.data.actionConfiguration.configuration.UserParameters`.

What is compared, for envs S (source) and T (target):

1. parity: the manifests' `resources` (normalised, non-variant config) by digest,
   and by resource address when they differ;
2. version: the ledger's latest successful rows of S and T;
3. per env, the config store against the ledger: the manifest in the store is the
   one recorded for the deploy the ledger says is current (by `manifest_sha256`,
   or by version when the row has no digest, e.g. after a rollback).

A missing or unreadable manifest, or an env with no successful deploy in the
ledger, means the check could not run: outcome VALIDATION_FAILED, never a crash
and never "no drift". Gate on `outcome == "NO_DRIFT"`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from infrarep import records
from infrarep.records import InvalidRecord, LedgerEntry, Manifest

# boto3 clients carry no static types in the Lambda runtime; they are passed in as Any.
Client = Any

JOB_KEY = "CodePipeline.job"
USER_PARAMETERS = "data.actionConfiguration.configuration.UserParameters"
MAX_LISTED = 50
"""At most this many resource addresses per list in a finding (the rest are counted)."""
SUBJECT_LIMIT = 100  # SNS
JOB_SUMMARY_LIMIT = 2048  # CodePipeline executionDetails.summary
JOB_MESSAGE_LIMIT = 5000  # CodePipeline failureDetails.message
LEDGER_PAGE = 25

DRIFT_TOPIC_ENV = "DRIFT_TOPIC_ARN"
VALIDATION_TOPIC_ENV = "VALIDATION_TOPIC_ARN"


class InvalidEvent(ValueError):
    """The invocation does not say which envs to compare; the message names the field."""


class MissingSetting(RuntimeError):
    """An environment variable the function needs is not set."""


@dataclass(frozen=True)
class Settings:
    config_bucket: str
    ledger_table: str
    drift_topic_arn: str
    validation_topic_arn: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        names = (records.CONFIG_BUCKET_ENV, records.LEDGER_TABLE_ENV, DRIFT_TOPIC_ENV, VALIDATION_TOPIC_ENV)
        missing = [name for name in names if not environ.get(name)]
        if missing:
            raise MissingSetting(f"environment variable {', '.join(missing)} is not set")
        return cls(*(environ[name] for name in names))


@dataclass(frozen=True)
class DriftRequest:
    source_env: str
    target_env: str


class Outcome(StrEnum):
    NO_DRIFT = "NO_DRIFT"
    DRIFT = "DRIFT"
    VALIDATION_FAILED = "VALIDATION_FAILED"


class Kind(StrEnum):
    INVALID_REQUEST = "invalid_request"
    MANIFEST_MISSING = "manifest_missing"
    MANIFEST_INVALID = "manifest_invalid"
    LEDGER_MISSING = "ledger_missing"
    CONFIG_DIFFERS = "config_differs"
    VERSION_DIFFERS = "version_differs"
    VERSION_UNKNOWN = "version_unknown"
    STORE_DIFFERS_FROM_LEDGER = "store_differs_from_ledger"


CANNOT_CHECK = frozenset(
    {Kind.INVALID_REQUEST, Kind.MANIFEST_MISSING, Kind.MANIFEST_INVALID, Kind.LEDGER_MISSING}
)
"""Findings that mean the comparison could not be made (outcome VALIDATION_FAILED)."""


@dataclass(frozen=True)
class Finding:
    kind: Kind
    message: str
    env: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"kind": str(self.kind), "message": self.message}
        if self.env is not None:
            found["env"] = self.env
        found.update(self.facts)
        return found


@dataclass(frozen=True)
class EnvState:
    """What the config store and the ledger say about one env; `problems` say what could not be read."""

    env: str
    manifest: Manifest | None
    latest: LedgerEntry | None
    problems: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class DriftResult:
    source_env: str | None
    target_env: str | None
    findings: tuple[Finding, ...]

    @classmethod
    def invalid_request(cls, message: str) -> DriftResult:
        return cls(None, None, (Finding(Kind.INVALID_REQUEST, message),))

    @property
    def outcome(self) -> Outcome:
        if any(finding.kind in CANNOT_CHECK for finding in self.findings):
            return Outcome.VALIDATION_FAILED
        return Outcome.DRIFT if self.findings else Outcome.NO_DRIFT

    @property
    def drift_detected(self) -> bool:
        return self.outcome is Outcome.DRIFT

    @property
    def pair(self) -> str:
        """`staging -> prod`, or empty when the request did not say."""
        return f"{self.source_env} -> {self.target_env}" if self.source_env and self.target_env else ""

    def summary(self) -> str:
        pair = self.pair
        reasons = "; ".join(finding.message for finding in self.findings)
        if self.outcome is Outcome.NO_DRIFT:
            return f"no drift {pair}: same config and version"
        if self.outcome is Outcome.DRIFT:
            return f"drift {pair}: {reasons}"
        what = f"drift check {pair}" if pair else "drift check"
        return f"{what} could not run: {reasons}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "drift_detected": self.drift_detected,
            "outcome": str(self.outcome),
            "source_env": self.source_env,
            "target_env": self.target_env,
            "details": [finding.to_dict() for finding in self.findings],
        }


# --- parsing the invocation ---


def _field(mapping: object, path: str, where: str) -> Any:
    value: Any = mapping
    for name in path.split("."):
        if not isinstance(value, Mapping) or value.get(name) in (None, ""):
            raise InvalidEvent(f"missing {where}{path}")
        value = value[name]
    return value


def pipeline_job_id(event: object) -> str | None:
    """The CodePipeline job id when CodePipeline invoked the function, else None. Never raises."""
    if isinstance(event, Mapping):
        job = event.get(JOB_KEY)
        if isinstance(job, Mapping) and isinstance(job.get("id"), str) and job["id"]:
            return job["id"]
    return None


def parse_request(event: object) -> DriftRequest:
    """Which two envs to compare. Pure; raises `InvalidEvent` naming the field."""
    if not isinstance(event, Mapping):
        raise InvalidEvent(f"event: expected an object, got {type(event).__name__}")
    if JOB_KEY in event:
        if pipeline_job_id(event) is None:
            raise InvalidEvent(f"missing {JOB_KEY}.id")
        raw = _field(event[JOB_KEY], USER_PARAMETERS, f"{JOB_KEY}.")
        where = "UserParameters."
        try:
            body = json.loads(raw)
        except (TypeError, ValueError):
            raise InvalidEvent(f"UserParameters: {raw!r} is not JSON") from None
    elif "detail" in event and "source" in event:
        body, where = event["detail"], "detail."
    else:
        body, where = event, ""
    source = _field(body, "source_env", where)
    target = _field(body, "target_env", where)
    try:
        request = DriftRequest(
            records.check_env(source, f"{where}source_env"), records.check_env(target, f"{where}target_env")
        )
    except InvalidRecord as err:
        raise InvalidEvent(str(err)) from None
    if request.source_env == request.target_env:
        raise InvalidEvent(f"{where}source_env and {where}target_env are both {source!r}; name two envs")
    return request


# --- reading the world (clients passed in) ---


def read_manifest(s3: Client, bucket: str, env: str) -> Manifest | Finding:
    """The env's manifest, or the finding that says why there is none. Other S3 errors raise."""
    key = records.manifest_key(env)
    where = f"s3://{bucket}/{key}"
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return Finding(Kind.MANIFEST_MISSING, f"{where} does not exist: {env} has no manifest", env)
        raise
    try:
        manifest = Manifest.from_json(body, where=where)
    except InvalidRecord as err:
        return Finding(Kind.MANIFEST_INVALID, str(err), env)
    if manifest.env != env:
        return Finding(Kind.MANIFEST_INVALID, f"{where}: says env {manifest.env!r}, expected {env!r}", env)
    return manifest


def latest_recorded(dynamodb: Client, table: str, env: str) -> LedgerEntry | None:
    """The env's latest successful DEPLOY/ROLLBACK row, reading newest first and stopping early."""
    seen: list[LedgerEntry] = []
    paginator = dynamodb.get_paginator("query")
    pages = paginator.paginate(
        TableName=table,
        KeyConditionExpression="#env = :env",
        ExpressionAttributeNames={"#env": records.PARTITION_KEY},
        ExpressionAttributeValues={":env": {"S": env}},
        ScanIndexForward=False,
        PaginationConfig={"PageSize": LEDGER_PAGE},
    )
    for page in pages:
        rows = [LedgerEntry.from_item(item) for item in page.get("Items", [])]
        seen.extend(rows)
        best = records.latest_successful(seen)
        # Rows sharing the best row's timestamp may sit on the next page; stop once past it.
        if best is not None and rows and _timestamp(rows[-1]) < _timestamp(best):
            return best
    return records.latest_successful(seen)


def _timestamp(entry: LedgerEntry) -> str:
    return entry.deployed_at.partition("#")[0]


def load_env_state(s3: Client, dynamodb: Client, settings: Settings, env: str) -> EnvState:
    manifest = read_manifest(s3, settings.config_bucket, env)
    latest = latest_recorded(dynamodb, settings.ledger_table, env)
    problems: list[Finding] = []
    if isinstance(manifest, Finding):
        problems.append(manifest)
        manifest = None
    if latest is None:
        message = f"ledger {settings.ledger_table} has no successful deploy of {env}"
        problems.append(Finding(Kind.LEDGER_MISSING, message, env))
    return EnvState(env=env, manifest=manifest, latest=latest, problems=tuple(problems))


# --- deciding (pure) ---


def _listed(names: list[str]) -> dict[str, Any]:
    return {"addresses": names[:MAX_LISTED], "count": len(names)}


def diff_resources(source: Mapping[str, Any], target: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Resource addresses only in the source, only in the target, and in both with different config."""
    found = records.manifest_differences(source, target)
    return {
        "only_in_source": _listed(list(found.only_in_source)),
        "only_in_target": _listed(list(found.only_in_target)),
        "differing": _listed(list(found.differing)),
    }


def store_against_ledger(state: EnvState) -> list[Finding]:
    """Is the manifest in the config store the one of the deploy the ledger says is current?"""
    manifest, latest = state.manifest, state.latest
    if manifest is None or latest is None or latest.version == records.UNKNOWN:
        return []
    if latest.manifest_sha256 is not None and latest.manifest_sha256 != manifest.sha256():
        return [
            Finding(
                Kind.STORE_DIFFERS_FROM_LEDGER,
                f"{state.env}'s manifest in the config store is not the one recorded for its deploy of "
                f"{latest.version}",
                state.env,
                {"store_sha256": manifest.sha256(), "ledger_sha256": latest.manifest_sha256},
            )
        ]
    if latest.manifest_sha256 is None and manifest.version != latest.version:
        return [
            Finding(
                Kind.STORE_DIFFERS_FROM_LEDGER,
                f"{state.env}'s manifest is for version {manifest.version} but the ledger says it runs "
                f"{latest.version}",
                state.env,
                {"store_version": manifest.version, "ledger_version": latest.version},
            )
        ]
    return []


def compare(source: EnvState, target: EnvState) -> DriftResult:
    """The drift between two envs. Pure."""
    problems = (*source.problems, *target.problems)
    if problems or source.manifest is None or target.manifest is None:
        return DriftResult(source.env, target.env, problems)
    if source.latest is None or target.latest is None:  # unreachable: LEDGER_MISSING is a problem
        return DriftResult(source.env, target.env, problems)
    findings = [*store_against_ledger(source), *store_against_ledger(target)]
    unknown = [row.env for row in (source.latest, target.latest) if row.version == records.UNKNOWN]
    for env in unknown:
        findings.append(
            Finding(
                Kind.VERSION_UNKNOWN,
                f"{env}'s latest update came with no version (a state write infrarep did not announce)",
                env,
            )
        )
    if not unknown and source.latest.version != target.latest.version:
        findings.append(
            Finding(
                Kind.VERSION_DIFFERS,
                f"{source.env} runs {source.latest.version}, {target.env} runs {target.latest.version}",
                facts={"source_version": source.latest.version, "target_version": target.latest.version},
            )
        )
    if source.manifest.resources_sha256() != target.manifest.resources_sha256():
        diff = diff_resources(source.manifest.resources, target.manifest.resources)
        counts = ", ".join(f"{part['count']} {name.replace('_', ' ')}" for name, part in diff.items())
        findings.append(
            Finding(
                Kind.CONFIG_DIFFERS,
                f"{source.env} and {target.env} differ in non-variant config ({counts})",
                facts=diff,
            )
        )
    return DriftResult(source.env, target.env, tuple(findings))


# --- telling the world (clients passed in) ---


@dataclass(frozen=True)
class Notification:
    topic_arn: str
    subject: str
    message: dict[str, Any]


def notification_for(result: DriftResult, settings: Settings) -> Notification | None:
    """Drift goes to the drift topic, a check that could not run to the validation topic."""
    if result.outcome is Outcome.DRIFT:
        topic, subject = settings.drift_topic_arn, f"infrarep: drift {result.pair}"
    elif result.outcome is Outcome.VALIDATION_FAILED:
        what = f"drift check {result.pair}" if result.pair else "drift check"
        topic, subject = settings.validation_topic_arn, f"infrarep: {what} could not run"
    else:
        return None
    return Notification(topic, subject[:SUBJECT_LIMIT], {"summary": result.summary(), **result.to_dict()})


def publish(sns: Client, note: Notification) -> str:
    response = sns.publish(
        TopicArn=note.topic_arn,
        Subject=note.subject,
        Message=json.dumps(note.message, ensure_ascii=False, sort_keys=True),
    )
    return str(response["MessageId"])


def put_drift_metric(cloudwatch: Client, result: DriftResult) -> bool:
    """`Infrarep/DriftDetected` = 1 on drift, 0 on none; nothing when the check could not run."""
    if result.outcome is Outcome.VALIDATION_FAILED:
        return False
    cloudwatch.put_metric_data(
        Namespace=records.METRIC_NAMESPACE,
        MetricData=[
            {
                "MetricName": records.METRIC_DRIFT_DETECTED,
                "Dimensions": [
                    {"Name": "SourceEnv", "Value": str(result.source_env)},
                    {"Name": "TargetEnv", "Value": str(result.target_env)},
                ],
                "Value": 1.0 if result.drift_detected else 0.0,
                "Unit": "Count",
            }
        ],
    )
    return True


def report_to_job(codepipeline: Client, job_id: str, result: DriftResult, execution_id: str) -> bool:
    """Success only for NO_DRIFT. False when the job already had its result (a redelivered invocation)."""
    summary = result.summary()
    try:
        if result.outcome is Outcome.NO_DRIFT:
            codepipeline.put_job_success_result(
                jobId=job_id,
                executionDetails={
                    "summary": summary[:JOB_SUMMARY_LIMIT],
                    "externalExecutionId": execution_id,
                    "percentComplete": 100,
                },
            )
        else:
            report_failure(codepipeline, job_id, summary, execution_id)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == "InvalidJobStateException":
            return False
        raise
    return True


def report_failure(codepipeline: Client, job_id: str, message: str, execution_id: str) -> None:
    codepipeline.put_job_failure_result(
        jobId=job_id,
        failureDetails={
            "type": "JobFailed",
            "message": message[:JOB_MESSAGE_LIMIT],
            "externalExecutionId": execution_id,
        },
    )
