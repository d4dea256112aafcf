"""Rollback executor: ACCEPT a rollback request of this function's env; the deploy build applies it.

Nothing here changes the env. A rollback is applied only by `infrarep rollback`, which plans,
applies that plan and records ROLLBACK / SUCCEEDED with the plan's digest. This function
accepts a request: it writes a ROLLBACK / REQUESTED row (which never counts as what the env
runs, see `records.applied`) and puts an `infrarep` / `RollbackAccepted` event naming the
concrete version on its own region's default bus. The stack forwards that event to the
control region, where a rule starts the deploy project on that version's release bundle
(`infrarep rollback --env E --to V --reason R`). The function calls only services of its own
region: it runs in the env's private subnets, whose only way out is the region's VPC endpoints.

Input, direct (Step Functions) or as an EventBridge `detail` (`infrarep` / `RollbackRequested`):
`{"env": "prod", "to_version": "v6" | "previous" | null, "reason": "...", "initiator": "...",
"requested_at": "<ISO-8601>", "request_id": "..."}`. With `to_version` "previous" (or none) the
env goes back to the version it ran before the current one. `requested_at` defaults to the EventBridge `time`,
`request_id` to the EventBridge `id` (else a digest of the request).

Idempotent per request: the REQUESTED row's key is derived from `requested_at` and the request
id, and a conditional put writes it once. A redelivered request finds its row and puts no
second event. If the event cannot be put, the row is taken back, so a retry starts afresh.
A request this function must refuse (a version never deployed to the env) writes nothing and
puts nothing; the rollback topic is told why. A request for another env, or malformed, is
invalid input (`InvalidEvent`): nothing is written either.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from infrarep import records
from infrarep.records import EventType, InvalidRecord, LedgerEntry, Status

# boto3 clients carry no static types in the Lambda runtime; they are passed in as Any.
Client = Any

ENV_ENV = "ENV"
ROLLBACK_TOPIC_ENV = "ROLLBACK_TOPIC_ARN"

EVENT_DETAIL_TYPE = "RollbackRequested"
ACCEPTED_DETAIL_TYPE = "RollbackAccepted"
"""What this function puts on its region's default bus; modules/promotion_pipeline's
rollback_build.tf turns its detail into the deploy build's StartBuild parameters."""

PREVIOUS = "previous"
"""`to_version` that names no version: the one the env ran before the current one."""
REQUEST_ID_PATTERN = re.compile(r"^[\x21-\x7e]{1,256}$")  # printable ASCII, no spaces
SUBJECT_LIMIT = 100


class InvalidEvent(ValueError):
    """The rollback request is incomplete or contradictory; the message names the field."""


class MissingSetting(RuntimeError):
    """An environment variable the function needs is not set."""


class Refused(Exception):
    """The rollback cannot be requested as asked; the message says why. Nothing was written."""


@dataclass(frozen=True)
class Settings:
    env: str
    ledger_table: str
    rollback_topic_arn: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        names = (ENV_ENV, records.LEDGER_TABLE_ENV, ROLLBACK_TOPIC_ENV)
        missing = [name for name in names if not environ.get(name)]
        if missing:
            raise MissingSetting(f"environment variable {', '.join(missing)} is not set")
        return cls(*(environ[name] for name in names))


@dataclass(frozen=True)
class RollbackRequest:
    env: str
    to_version: str | None
    """None: the version the env ran before the current one."""
    reason: str
    initiator: str
    requested_at: datetime
    request_id: str

    @property
    def target(self) -> str:
        return f"version {self.to_version}" if self.to_version else "the previous version"


@dataclass(frozen=True)
class Requested:
    """The rollback was accepted: its REQUESTED row and the event that has the build started."""

    entry: LedgerEntry
    event_id: str | None
    """The RollbackAccepted event's id; None when a redelivered request found its row (the
    event was put the first time)."""

    @property
    def newly(self) -> bool:
        return self.event_id is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "requested": True,
            "already_requested": not self.newly,
            "env": self.entry.env,
            "version": self.entry.version,
            "source_commit": self.entry.source_commit,
            "request_id": self.entry.event_id,
            "deployed_at": self.entry.deployed_at,
            "status": str(self.entry.status),
            "accepted_event_id": self.event_id,
        }


@dataclass(frozen=True)
class NotRequested:
    request: RollbackRequest
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "requested": False,
            "env": self.request.env,
            "request_id": self.request.request_id,
            "error": self.error,
        }


Outcome = Requested | NotRequested


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
    fields = ("env", "to_version", "reason", "initiator", "requested_at")
    canonical = json.dumps({name: body.get(name) for name in fields}, sort_keys=True, separators=(",", ":"))
    return "request-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def parse_request(event: object, this_env: str) -> RollbackRequest:
    """What to roll back, to what, why, for whom. Pure; raises `InvalidEvent` naming the field."""
    if not isinstance(event, Mapping):
        raise InvalidEvent(f"event: expected an object, got {type(event).__name__}")
    body: Any = event
    where = ""
    envelope: Mapping[str, Any] = {}
    if "detail" in event and "source" in event:
        body, where, envelope = event["detail"], "detail.", event
        if not isinstance(body, Mapping):
            raise InvalidEvent(f"detail: expected an object, got {type(body).__name__}")
        if envelope.get("detail-type") != EVENT_DETAIL_TYPE:
            raise InvalidEvent(
                f"detail-type: expected {EVENT_DETAIL_TYPE!r}, got {envelope.get('detail-type')!r}"
            )

    try:
        env = records.check_env(_text(body, "env", where), f"{where}env")
        to_version = _optional_text(body, "to_version", where)
        if to_version == PREVIOUS:
            to_version = None
        if to_version is not None:
            records.check_version(to_version, f"{where}to_version")
        when = _optional_text(body, "requested_at", where)
        if when is None and isinstance(envelope.get("time"), str):
            when, field = envelope["time"], "time"
        else:
            field = f"{where}requested_at"
        if when is None:
            raise InvalidEvent(f"missing {where}requested_at")
        requested_at = records.parse_timestamp(when, where=field)
    except InvalidRecord as err:
        raise InvalidEvent(str(err)) from None
    if env != this_env:
        raise InvalidEvent(f"{where}env: {env!r} is not this function's env {this_env!r}")

    envelope_id = envelope.get("id") if isinstance(envelope.get("id"), str) else None
    request_id = _optional_text(body, "request_id", where) or envelope_id or _request_digest(body)
    if not REQUEST_ID_PATTERN.fullmatch(request_id):
        raise InvalidEvent(f"{where}request_id: {request_id!r} is not printable ASCII without spaces")
    return RollbackRequest(
        env=env,
        to_version=to_version,
        reason=_text(body, "reason", where),
        initiator=_text(body, "initiator", where),
        requested_at=requested_at,
        request_id=request_id,
    )


# --- what to roll back to (pure, from the env's ledger rows) ---


def applied_deploys(rows: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """The applied DEPLOY rows (`records.applied`) with a known version, newest first."""
    deploys = [
        row
        for row in rows
        if row.event_type is EventType.DEPLOY and records.applied(row) and row.version != records.UNKNOWN
    ]
    return sorted(deploys, key=lambda row: row.deployed_at, reverse=True)


def restore_point(rows: list[LedgerEntry], env: str, to_version: str | None) -> LedgerEntry:
    """The DEPLOY row of the version to go back to: `to_version`'s newest, or (None) that of
    the newest version other than the one the env runs now. Raises `Refused`."""
    deploys = applied_deploys(rows)
    if to_version is not None:
        for row in deploys:
            if row.version == to_version:
                return row
        known = ", ".join(dict.fromkeys(row.version for row in deploys)) or "none"
        raise Refused(f"{env}: version {to_version!r} was never deployed (deployed, newest first: {known})")
    running = records.latest_successful(rows, env=env)
    current = running.version if running is not None else None
    for row in deploys:
        if row.version != current:
            return row
    raise Refused(f"{env}: no earlier version to roll back to (it runs {current or 'nothing known'})")


# --- the world (clients passed in) ---


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def ledger_rows(dynamodb: Client, table: str, env: str) -> list[LedgerEntry]:
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="#env = :env",
        ExpressionAttributeNames={"#env": records.PARTITION_KEY},
        ExpressionAttributeValues={":env": {"S": env}},
        ScanIndexForward=False,
    )
    return [LedgerEntry.from_item(item) for page in pages for item in page.get("Items", [])]


def existing_row(dynamodb: Client, table: str, request: RollbackRequest) -> LedgerEntry | None:
    """The row this request wrote before (a redelivery), if any."""
    key = records.ledger_key(request.env, request.requested_at, request.request_id)
    item = dynamodb.get_item(
        TableName=table, Key={name: {"S": value} for name, value in key.items()}, ConsistentRead=True
    ).get("Item")
    return LedgerEntry.from_item(item) if item else None


def requested_entry(request: RollbackRequest, restore: LedgerEntry) -> LedgerEntry:
    """The ROLLBACK / REQUESTED row; its key depends only on the request, not on the version."""
    return LedgerEntry.create(
        env=request.env,
        at=request.requested_at,
        event_id=request.request_id,
        version=restore.version,
        source_commit=restore.source_commit,
        event_type=EventType.ROLLBACK,
        status=Status.REQUESTED,
        actor=request.initiator,
        reason=request.reason,
    )


def claim(dynamodb: Client, table: str, entry: LedgerEntry) -> bool:
    """Conditional put of the REQUESTED row; False when the request already wrote it."""
    try:
        dynamodb.put_item(
            TableName=table, Item=entry.to_attribute_values(), ConditionExpression=records.NEW_ROW_CONDITION
        )
    except ClientError as err:
        if _code(err) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def release_claim(dynamodb: Client, table: str, entry: LedgerEntry) -> None:
    """Take back a REQUESTED row whose event was never put, so a retry starts afresh."""
    dynamodb.delete_item(
        TableName=table,
        Key={name: {"S": value} for name, value in entry.key().items()},
        ConditionExpression="#status = :requested",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":requested": {"S": str(Status.REQUESTED)}},
    )


class EventNotPut(RuntimeError):
    """EventBridge did not accept the RollbackAccepted event; the message says why."""


def accepted_detail(entry: LedgerEntry, request: RollbackRequest) -> dict[str, str]:
    """The RollbackAccepted event's detail: everything the deploy build needs, the version concrete."""
    return {
        "env": entry.env,
        "to_version": entry.version,
        "reason": request.reason,
        "actor": request.initiator,
        "request_id": request.request_id,
        "requested_at": records.format_timestamp(request.requested_at),
    }


def put_accepted(events: Client, entry: LedgerEntry, request: RollbackRequest) -> str:
    """Put RollbackAccepted on this region's default bus; returns the event's id."""
    answer = events.put_events(
        Entries=[
            {
                "Source": records.EVENT_SOURCE,
                "DetailType": ACCEPTED_DETAIL_TYPE,
                "Detail": json.dumps(accepted_detail(entry, request), sort_keys=True),
            }
        ]
    )
    (result,) = answer["Entries"]
    if answer.get("FailedEntryCount") or "EventId" not in result:
        raise EventNotPut(f"{ACCEPTED_DETAIL_TYPE}: {result.get('ErrorCode')}: {result.get('ErrorMessage')}")
    return str(result["EventId"])


def request_rollback(
    dynamodb: Client, events: Client, settings: Settings, request: RollbackRequest
) -> Outcome:
    """The REQUESTED row and the RollbackAccepted event, once per request; a refusal writes nothing."""
    table = settings.ledger_table
    found = existing_row(dynamodb, table, request)
    if found is not None:
        return Requested(found, event_id=None)
    try:
        restore = restore_point(ledger_rows(dynamodb, table, request.env), request.env, request.to_version)
    except Refused as err:
        return NotRequested(request, str(err))
    entry = requested_entry(request, restore)
    if not claim(dynamodb, table, entry):  # a concurrent delivery of the same request won
        return Requested(entry, event_id=None)
    try:
        event_id = put_accepted(events, entry, request)
    except Exception:
        release_claim(dynamodb, table, entry)
        raise
    return Requested(entry, event_id)


# --- telling the world ---


def subject_for(outcome: Outcome) -> str:
    if isinstance(outcome, Requested):
        subject = f"infrarep: rollback of {outcome.entry.env} to {outcome.entry.version} requested"
    else:
        subject = f"infrarep: rollback of {outcome.request.env} not requested"
    return subject[:SUBJECT_LIMIT]


def message_for(outcome: Outcome, request: RollbackRequest) -> dict[str, Any]:
    if isinstance(outcome, Requested):
        summary = (
            f"rollback of {request.env} to {outcome.entry.version} requested by {request.initiator} "
            f"({request.reason}): the control plane's deploy build applies it (event "
            f"{outcome.event_id}); the ledger says ROLLBACK SUCCEEDED once it has"
        )
    else:
        summary = f"rollback of {request.env} to {request.target} not requested: {outcome.error}"
    return {"summary": summary, "reason": request.reason, "initiator": request.initiator, **outcome.to_dict()}


def publish(sns: Client, topic_arn: str, outcome: Outcome, request: RollbackRequest) -> str:
    response = sns.publish(
        TopicArn=topic_arn,
        Subject=subject_for(outcome),
        Message=json.dumps(message_for(outcome, request), ensure_ascii=False, sort_keys=True),
    )
    return str(response["MessageId"])
