"""Deployment recorder: turn a stack-update event into one ledger row and write it once.

Two events are understood, both as delivered by EventBridge:

- `infrarep` / `EnvironmentUpdate`, published by the CLI after an apply; its
  detail is `records.EnvironmentUpdate`.
- `aws.s3` / `Object Created` for `<env>/terraform.tfstate` in the state
  bucket: a state write nobody announced (version and commit `unknown`).

The row's key comes from the event's `time` and `id` (or, when the publisher
already wrote the row, from the key it put in the detail), so a redelivered
event hits the same key and the conditional put refuses it: "already recorded".

Only announced updates count in the EnvironmentUpdate metric: terraform may
write state several times per apply, and an announced apply would be counted
twice. Unannounced writes stay visible in the ledger, and the drift validator
reports an env whose latest row has no version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from infrarep import records
from infrarep.records import EventType, InvalidRecord, LedgerEntry, Status

S3_SOURCE = "aws.s3"
S3_OBJECT_CREATED = "Object Created"

# boto3 clients carry no static types in the Lambda runtime; they are passed in as Any.
Client = Any


class InvalidEvent(ValueError):
    """The event cannot be recorded; the message names the missing or wrong field."""


class MissingSetting(RuntimeError):
    """An environment variable the function needs is not set."""


@dataclass(frozen=True)
class Settings:
    ledger_table: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        table = environ.get(records.LEDGER_TABLE_ENV)
        if not table:
            raise MissingSetting(f"environment variable {records.LEDGER_TABLE_ENV} is not set")
        return cls(ledger_table=table)


@dataclass(frozen=True)
class Outcome:
    entry: LedgerEntry
    recorded: bool
    """False when the row already existed: the event was delivered before."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "recorded": self.recorded,
            "already_recorded": not self.recorded,
            "env": self.entry.env,
            "deployed_at": self.entry.deployed_at,
            "version": self.entry.version,
            "status": str(self.entry.status),
            "event_id": self.entry.event_id,
        }


def _field(mapping: Mapping[str, Any], path: str) -> Any:
    """`_field(event, "detail.object.key")`; raises `InvalidEvent("missing detail.object.key")`."""
    value: Any = mapping
    for name in path.split("."):
        if not isinstance(value, Mapping) or value.get(name) in (None, ""):
            raise InvalidEvent(f"missing {path}")
        value = value[name]
    return value


def parse_stack_update(event: Mapping[str, Any]) -> LedgerEntry:
    """The ledger row an EventBridge event stands for. Pure; raises `InvalidEvent`."""
    if not isinstance(event, Mapping):
        raise InvalidEvent(f"event: expected an object, got {type(event).__name__}")
    event_id = _field(event, "id")
    if not isinstance(event_id, str):
        raise InvalidEvent(f"id: expected a string, got {event_id!r}")
    source, detail_type = event.get("source"), event.get("detail-type")
    try:
        at = records.parse_timestamp(_field(event, "time"), where="time")
        if (source, detail_type) == (records.EVENT_SOURCE, records.DETAIL_TYPE):
            update = records.EnvironmentUpdate.from_detail(_field(event, "detail"))
            return update.to_entry(at=at, event_id=event_id)
        if (source, detail_type) == (S3_SOURCE, S3_OBJECT_CREATED):
            key = _field(event, "detail.object.key")
            requester = event["detail"].get("requester")
            return LedgerEntry.create(
                env=records.env_from_state_key(str(key)),
                at=at,
                event_id=event_id,
                version=records.UNKNOWN,
                source_commit=records.UNKNOWN,
                event_type=EventType.DEPLOY,
                status=Status.SUCCEEDED,
                actor=requester if isinstance(requester, str) and requester else records.UNKNOWN,
            )
    except InvalidRecord as err:
        raise InvalidEvent(str(err)) from None
    raise InvalidEvent(
        f"unsupported event: source {source!r}, detail-type {detail_type!r}; expected "
        f"{records.EVENT_SOURCE!r}/{records.DETAIL_TYPE!r} or {S3_SOURCE!r}/{S3_OBJECT_CREATED!r}"
    )


def record(dynamodb: Client, table: str, entry: LedgerEntry) -> Outcome:
    """Write the row unless its key exists. A failed condition means the event was recorded before."""
    try:
        dynamodb.put_item(
            TableName=table,
            Item=entry.to_attribute_values(),
            ConditionExpression=records.NEW_ROW_CONDITION,
        )
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return Outcome(entry=entry, recorded=False)
        raise
    return Outcome(entry=entry, recorded=True)


def counts_as_update(outcome: Outcome) -> bool:
    """A newly recorded, announced update (not a redelivery, not a bare state write)."""
    return outcome.recorded and outcome.entry.version != records.UNKNOWN


def put_update_metric(cloudwatch: Client, entry: LedgerEntry) -> None:
    """One `Infrarep/EnvironmentUpdate` data point (dimension Env) for a newly recorded update."""
    cloudwatch.put_metric_data(
        Namespace=records.METRIC_NAMESPACE,
        MetricData=[
            {
                "MetricName": records.METRIC_ENVIRONMENT_UPDATE,
                "Dimensions": [{"Name": "Env", "Value": entry.env}],
                "Value": 1.0,
                "Unit": "Count",
            }
        ],
    )
