"""Rollback executor: restore each env's parameters object to an earlier version and record it.

Input (direct, Step Functions, or the same fields in an EventBridge `detail`):
`{"envs": [...], "to_version": "abc123" | null, "object_version_id": "..." | null,
"reason": "...", "initiator": "...", "request_id": "..." (optional)}`.

For each env, independently: the earlier S3 object version of `parameters/<env>.json`
(by version id, or the newest whose `infrarep-version` metadata equals `to_version`)
is copied over the current one, a ROLLBACK row goes into the ledger, and one
notification covers the request. One env failing does not stop the others; the
result lists which envs were and were not rolled back.

Idempotent per request id (EventBridge `id`, else `request_id`, else a digest of the
request): the restored copy carries the id in its metadata, and the ledger row is keyed
on that copy (its LastModified, and `event_id` = `<request id>/<copy's S3 version id>`).
A redelivered request finds its own copy, writes nothing new, and reports the env as
already rolled back; the same request sent after the object changed again runs again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from infrarep import records
from infrarep.records import EventType, InvalidRecord, LedgerEntry, Status

# boto3 clients carry no static types in the Lambda runtime; they are passed in as Any.
Client = Any

ROLLBACK_TOPIC_ENV = "ROLLBACK_TOPIC_ARN"
ROLLBACK_ID_METADATA = "infrarep-rollback-id"
RESTORED_FROM_METADATA = "infrarep-restored-from"
REQUEST_ID_PATTERN = re.compile(r"^[\x21-\x7e]{1,256}$")  # printable ASCII: it goes into S3 metadata
SUBJECT_LIMIT = 100
MISSING_CODES = frozenset({"404", "NoSuchKey", "NoSuchVersion", "400", "InvalidArgument"})


class InvalidEvent(ValueError):
    """The rollback request is incomplete or contradictory; the message names the field."""


class MissingSetting(RuntimeError):
    """An environment variable the function needs is not set."""


class RollbackFailed(Exception):
    """One env could not be rolled back; the message says which object and why."""


@dataclass(frozen=True)
class Settings:
    config_bucket: str
    ledger_table: str
    rollback_topic_arn: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        names = (records.CONFIG_BUCKET_ENV, records.LEDGER_TABLE_ENV, ROLLBACK_TOPIC_ENV)
        missing = [name for name in names if not environ.get(name)]
        if missing:
            raise MissingSetting(f"environment variable {', '.join(missing)} is not set")
        return cls(*(environ[name] for name in names))


@dataclass(frozen=True)
class RollbackRequest:
    envs: tuple[str, ...]
    to_version: str | None
    object_version_id: str | None
    reason: str
    initiator: str
    request_id: str

    @property
    def target(self) -> str:
        if self.object_version_id is not None:
            return f"object version {self.object_version_id}"
        return f"version {self.to_version}"


@dataclass(frozen=True)
class RolledBack:
    env: str
    version: str
    source_commit: str
    restored_version_id: str
    """The earlier S3 version that was copied."""
    object_version_id: str
    """The new current S3 version of `parameters/<env>.json`."""
    deployed_at: str
    newly: bool
    """False when a redelivered request found this env already rolled back by it."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "version": self.version,
            "source_commit": self.source_commit,
            "restored_version_id": self.restored_version_id,
            "object_version_id": self.object_version_id,
            "deployed_at": self.deployed_at,
            "already_rolled_back": not self.newly,
        }


@dataclass(frozen=True)
class NotRolledBack:
    env: str
    error: str

    def to_dict(self) -> dict[str, str]:
        return {"env": self.env, "error": self.error}


EnvOutcome = RolledBack | NotRolledBack


@dataclass(frozen=True)
class RollbackReport:
    request: RollbackRequest
    outcomes: tuple[EnvOutcome, ...]

    @property
    def rolled_back(self) -> list[RolledBack]:
        return [outcome for outcome in self.outcomes if isinstance(outcome, RolledBack)]

    @property
    def not_rolled_back(self) -> list[NotRolledBack]:
        return [outcome for outcome in self.outcomes if isinstance(outcome, NotRolledBack)]

    @property
    def complete(self) -> bool:
        return not self.not_rolled_back

    @property
    def changed_anything(self) -> bool:
        """Worth a notification: something was newly rolled back, or something failed."""
        return bool(self.not_rolled_back) or any(outcome.newly for outcome in self.rolled_back)

    def summary(self) -> str:
        done = ", ".join(outcome.env for outcome in self.rolled_back) or "none"
        failed = "; ".join(f"{outcome.env}: {outcome.error}" for outcome in self.not_rolled_back)
        text = f"rollback to {self.request.target} by {self.request.initiator} ({self.request.reason}): "
        text += f"rolled back {done}"
        return f"{text}; not rolled back {failed}" if failed else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request.request_id,
            "complete": self.complete,
            "to_version": self.request.to_version,
            "object_version_id": self.request.object_version_id,
            "rolled_back": [outcome.to_dict() for outcome in self.rolled_back],
            "not_rolled_back": [outcome.to_dict() for outcome in self.not_rolled_back],
        }


# --- parsing the request (pure) ---


def _text(body: Mapping[str, Any], name: str, where: str) -> str:
    value = body.get(name)
    if value in (None, ""):
        raise InvalidEvent(f"missing {where}{name}")
    if not isinstance(value, str):
        raise InvalidEvent(f"{where}{name}: expected a string, got {value!r}")
    return value


def _optional_text(body: Mapping[str, Any], name: str, where: str) -> str | None:
    return None if body.get(name) in (None, "") else _text(body, name, where)


def _request_digest(body: Mapping[str, Any]) -> str:
    fields = ("envs", "to_version", "object_version_id", "reason", "initiator")
    canonical = json.dumps({name: body.get(name) for name in fields}, sort_keys=True, separators=(",", ":"))
    return "request-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def parse_request(event: object) -> RollbackRequest:
    """What to roll back, to what, why and for whom. Pure; raises `InvalidEvent` naming the field."""
    if not isinstance(event, Mapping):
        raise InvalidEvent(f"event: expected an object, got {type(event).__name__}")
    envelope_id: str | None = None
    body: Any = event
    where = ""
    if "detail" in event and "source" in event:
        body, where = event["detail"], "detail."
        envelope_id = event.get("id") if isinstance(event.get("id"), str) else None
        if not isinstance(body, Mapping):
            raise InvalidEvent(f"detail: expected an object, got {type(body).__name__}")

    envs = body.get("envs")
    if envs in (None, []):
        raise InvalidEvent(f"missing {where}envs")
    if not isinstance(envs, list):
        raise InvalidEvent(f"{where}envs: expected a list of env names, got {envs!r}")
    try:
        checked = tuple(records.check_env(env, f"{where}envs[{index}]") for index, env in enumerate(envs))
    except InvalidRecord as err:
        raise InvalidEvent(str(err)) from None
    repeated = sorted({env for env in checked if checked.count(env) > 1})
    if repeated:
        raise InvalidEvent(f"{where}envs: {', '.join(repeated)} listed more than once")

    to_version = _optional_text(body, "to_version", where)
    object_version_id = _optional_text(body, "object_version_id", where)
    if to_version is None and object_version_id is None:
        raise InvalidEvent(f"missing {where}to_version or {where}object_version_id: say what to roll back to")
    if to_version is not None and object_version_id is not None:
        raise InvalidEvent(f"{where}to_version and {where}object_version_id both given: give one")
    if object_version_id is not None and len(checked) != 1:
        raise InvalidEvent(
            f"{where}object_version_id names a version of one env's object, "
            f"but {where}envs has {len(checked)}"
        )
    if to_version is not None:
        try:
            records.check_version(to_version, f"{where}to_version")
        except InvalidRecord as err:
            raise InvalidEvent(str(err)) from None

    request_id = envelope_id or _optional_text(body, "request_id", where) or _request_digest(body)
    if not REQUEST_ID_PATTERN.fullmatch(request_id):
        raise InvalidEvent(f"{where}request_id: {request_id!r} is not printable ASCII without spaces")
    return RollbackRequest(
        envs=checked,
        to_version=to_version,
        object_version_id=object_version_id,
        reason=_text(body, "reason", where),
        initiator=_text(body, "initiator", where),
        request_id=request_id,
    )


# --- the config store (client passed in) ---


@dataclass(frozen=True)
class RestoredObject:
    version: str
    restored_version_id: str
    object_version_id: str
    at: datetime
    newly: bool


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _head(s3: Client, bucket: str, key: str, version_id: str | None = None) -> dict[str, Any] | None:
    params = {"Bucket": bucket, "Key": key} | ({"VersionId": version_id} if version_id else {})
    try:
        return s3.head_object(**params)
    except ClientError as err:
        if _code(err) in MISSING_CODES:
            return None
        raise


def _whole_seconds(at: datetime) -> datetime:
    """HEAD reports LastModified in whole seconds, CopyObject with milliseconds: key on seconds."""
    return at.replace(microsecond=0)


def _labelled(head: Mapping[str, Any]) -> str | None:
    """The `infrarep-version` an object version was written with, if any."""
    return head.get("Metadata", {}).get(records.VERSION_METADATA)


def find_version(s3: Client, bucket: str, key: str, request: RollbackRequest) -> tuple[str, dict[str, Any]]:
    """The earlier version to restore (id and its HEAD), by id or by `infrarep-version` metadata."""
    where = f"s3://{bucket}/{key}"
    if request.object_version_id is not None:
        head = _head(s3, bucket, key, request.object_version_id)
        if head is None:
            raise RollbackFailed(f"{where} has no version {request.object_version_id!r}")
        return request.object_version_id, head
    seen = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        for listed in page.get("Versions", []):  # newest first; delete markers are listed apart
            if listed["Key"] != key:
                continue
            seen += 1
            head = _head(s3, bucket, key, listed["VersionId"])
            if head is not None and _labelled(head) == request.to_version:
                return listed["VersionId"], head
    if not seen:
        raise RollbackFailed(f"{where} does not exist: nothing to roll back")
    raise RollbackFailed(
        f"{where}: none of its {seen} versions has {records.VERSION_METADATA}={request.to_version!r}"
    )


def restore_parameters(s3: Client, bucket: str, env: str, request: RollbackRequest) -> RestoredObject:
    """Copy the earlier version over the current one, unless this request already did."""
    key = records.parameters_key(env)
    current = _head(s3, bucket, key)
    if current is not None and current.get("Metadata", {}).get(ROLLBACK_ID_METADATA) == request.request_id:
        metadata = current["Metadata"]
        return RestoredObject(
            version=metadata.get(records.VERSION_METADATA, request.to_version or records.UNKNOWN),
            restored_version_id=metadata.get(RESTORED_FROM_METADATA, ""),
            object_version_id=str(current.get("VersionId")),
            at=_whole_seconds(current["LastModified"]),
            newly=False,
        )
    version_id, source = find_version(s3, bucket, key, request)
    version = _labelled(source) or request.to_version or records.UNKNOWN
    metadata = {
        **source.get("Metadata", {}),
        records.VERSION_METADATA: version,
        ROLLBACK_ID_METADATA: request.request_id,
        RESTORED_FROM_METADATA: version_id,
    }
    copied = s3.copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": key, "VersionId": version_id},
        MetadataDirective="REPLACE",
        Metadata=metadata,
        ContentType=source.get("ContentType") or "application/json",
    )
    return RestoredObject(
        version=version,
        restored_version_id=version_id,
        object_version_id=str(copied.get("VersionId")),
        at=_whole_seconds(copied["CopyObjectResult"]["LastModified"]),
        newly=True,
    )


# --- the ledger (client passed in) ---


def recorded_deploy(dynamodb: Client, table: str, env: str, version: str) -> LedgerEntry | None:
    """The latest successful DEPLOY of `version` to `env`, through the version-index GSI."""
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        IndexName=records.VERSION_INDEX,
        KeyConditionExpression="#version = :version",
        FilterExpression="#env = :env",
        ExpressionAttributeNames={"#version": "version", "#env": records.PARTITION_KEY},
        ExpressionAttributeValues={":version": {"S": version}, ":env": {"S": env}},
        ScanIndexForward=False,
    )
    for page in pages:
        for item in page.get("Items", []):
            entry = LedgerEntry.from_item(item)
            if entry.event_type is EventType.DEPLOY and entry.status is Status.SUCCEEDED:
                return entry
    return None


def rollback_entry(env: str, restored: RestoredObject, request: RollbackRequest, commit: str) -> LedgerEntry:
    """The ROLLBACK row, keyed on the restored copy: the same copy always maps to the same row."""
    return LedgerEntry.create(
        env=env,
        at=restored.at,
        event_id=f"{request.request_id}/{restored.object_version_id}",
        version=restored.version,
        source_commit=commit,
        event_type=EventType.ROLLBACK,
        status=Status.SUCCEEDED,
        actor=request.initiator,
        reason=request.reason,
    )


def record(dynamodb: Client, table: str, entry: LedgerEntry) -> bool:
    """Conditional put; False when the row exists (a redelivered request)."""
    try:
        dynamodb.put_item(
            TableName=table, Item=entry.to_attribute_values(), ConditionExpression=records.NEW_ROW_CONDITION
        )
    except ClientError as err:
        if _code(err) == "ConditionalCheckFailedException":
            return False
        raise
    return True


# --- one env, start to end ---


def roll_back_env(
    s3: Client, dynamodb: Client, settings: Settings, request: RollbackRequest, env: str
) -> EnvOutcome:
    """Restore and record one env; any failure becomes this env's `NotRolledBack`, never the others'."""
    try:
        restored = restore_parameters(s3, settings.config_bucket, env, request)
    except (RollbackFailed, InvalidRecord) as err:
        return NotRolledBack(env, str(err))
    except ClientError as err:
        return NotRolledBack(env, f"config store: {err}")
    try:
        deploy = None
        if restored.version != records.UNKNOWN:
            deploy = recorded_deploy(dynamodb, settings.ledger_table, env, restored.version)
        entry = rollback_entry(env, restored, request, deploy.source_commit if deploy else records.UNKNOWN)
        newly_recorded = record(dynamodb, settings.ledger_table, entry)
    except (ClientError, InvalidRecord) as err:
        return NotRolledBack(
            env,
            f"parameters restored (S3 version {restored.object_version_id}) but not recorded in the ledger: "
            f"{err}; send the same request (request_id {request.request_id}) again to record it",
        )
    return RolledBack(
        env=env,
        version=restored.version,
        source_commit=entry.source_commit,
        restored_version_id=restored.restored_version_id,
        object_version_id=restored.object_version_id,
        deployed_at=entry.deployed_at,
        newly=restored.newly or newly_recorded,
    )


# --- telling the world (clients passed in) ---


def subject_for(report: RollbackReport) -> str:
    envs = ", ".join(report.request.envs)
    if not report.rolled_back:
        subject = f"infrarep: rollback of {envs} failed"
    elif not report.complete:
        failed = ", ".join(outcome.env for outcome in report.not_rolled_back)
        subject = f"infrarep: partial rollback to {report.request.target} ({failed} failed)"
    else:
        subject = f"infrarep: rolled back {envs} to {report.request.target}"
    return subject[:SUBJECT_LIMIT]


def publish(sns: Client, topic_arn: str, report: RollbackReport) -> str:
    message = {
        "summary": report.summary(),
        "reason": report.request.reason,
        "initiator": report.request.initiator,
        **report.to_dict(),
    }
    response = sns.publish(
        TopicArn=topic_arn,
        Subject=subject_for(report),
        Message=json.dumps(message, ensure_ascii=False, sort_keys=True),
    )
    return str(response["MessageId"])


def put_update_metric(cloudwatch: Client, env: str) -> None:
    """A rollback changes what the env runs: one `Infrarep/EnvironmentUpdate` point, dimension Env."""
    cloudwatch.put_metric_data(
        Namespace=records.METRIC_NAMESPACE,
        MetricData=[
            {
                "MetricName": records.METRIC_ENVIRONMENT_UPDATE,
                "Dimensions": [{"Name": "Env", "Value": env}],
                "Value": 1.0,
                "Unit": "Count",
            }
        ],
    )
