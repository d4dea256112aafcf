"""Payment settlement: consume `payment.created` and mark the payment PROCESSED exactly once.

Each SQS message is an EventBridge event as the rule delivered it. Settling is one DynamoDB
transaction: the transaction row moves PENDING -> PROCESSED (refused unless PENDING) and an
audit row is appended. A repeated delivery of a settled payment changes nothing and counts
as success; a message that cannot be settled fails alone, so the batch reports only its id,
SQS retries it, and after five receives it rests in the DLQ.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

# boto3 clients carry no static types in the Lambda runtime; they are passed in as Any.
Client = Any

EVENT_SOURCE = "payments.api"
DETAIL_TYPE = "payment.created"
PENDING = "PENDING"
PROCESSED = "PROCESSED"


class InvalidMessage(ValueError):
    """The message is not a payment.created event; the message names what is wrong."""


class UnknownPayment(LookupError):
    """The event names a payment the transactions table does not hold."""


class MissingSetting(RuntimeError):
    """An environment variable the function needs is not set."""


@dataclass(frozen=True)
class Settings:
    transactions_table: str
    audit_table: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        for name in ("TRANSACTIONS_TABLE", "AUDIT_TABLE"):
            if not environ.get(name):
                raise MissingSetting(f"environment variable {name} is not set")
        return cls(transactions_table=environ["TRANSACTIONS_TABLE"], audit_table=environ["AUDIT_TABLE"])


@dataclass(frozen=True)
class PaymentCreated:
    event_id: str
    payment_id: str
    amount: int
    currency: str
    customer_id: str


def parse_payment_created(body: str) -> PaymentCreated:
    """The event an SQS message body carries. Pure; raises `InvalidMessage`."""
    try:
        event = json.loads(body)
    except json.JSONDecodeError as err:
        raise InvalidMessage(f"body: not valid JSON ({err.msg} at position {err.pos})") from None
    if not isinstance(event, dict):
        raise InvalidMessage(f"body: expected an EventBridge event object, got {type(event).__name__}")
    if (event.get("source"), event.get("detail-type")) != (EVENT_SOURCE, DETAIL_TYPE):
        raise InvalidMessage(
            f"unsupported event: source {event.get('source')!r}, detail-type {event.get('detail-type')!r}; "
            f"expected {EVENT_SOURCE!r}/{DETAIL_TYPE!r}"
        )
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise InvalidMessage("missing detail")
    for name, kind in (("payment_id", str), ("amount", int), ("currency", str), ("customer_id", str)):
        value = detail.get(name)
        if not isinstance(value, kind) or isinstance(value, bool) or value == "":
            raise InvalidMessage(f"detail.{name}: expected {kind.__name__}, got {value!r}")
    return PaymentCreated(
        event_id=str(event.get("id", "")),
        payment_id=detail["payment_id"],
        amount=detail["amount"],
        currency=detail["currency"],
        customer_id=detail["customer_id"],
    )


def timestamp(at: datetime) -> str:
    """UTC, millisecond precision, sortable: 2026-11-23T10:00:00.000Z."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def settlement_writes(settings: Settings, payment: PaymentCreated, now: datetime) -> list[dict[str, Any]]:
    """PENDING -> PROCESSED on the transaction (refused otherwise), plus its audit row."""
    at = timestamp(now)
    return [
        {
            "Update": {
                "TableName": settings.transactions_table,
                "Key": {"payment_id": {"S": payment.payment_id}},
                "UpdateExpression": "SET #status = :processed, processed_at = :at, updated_at = :at",
                "ConditionExpression": "#status = :pending",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":processed": {"S": PROCESSED},
                    ":pending": {"S": PENDING},
                    ":at": {"S": at},
                },
            }
        },
        {
            "Put": {
                "TableName": settings.audit_table,
                "Item": {
                    "payment_id": {"S": payment.payment_id},
                    "entry": {"S": f"{at}#{PROCESSED}"},
                    "action": {"S": PROCESSED},
                    "recorded_at": {"S": at},
                    "status": {"S": PROCESSED},
                    "event_id": {"S": payment.event_id},
                },
                "ConditionExpression": "attribute_not_exists(payment_id)",
            }
        },
    ]


@dataclass(frozen=True)
class Outcome:
    payment_id: str
    settled: bool
    """False when the payment was settled before: a repeated delivery."""


def _condition_failed(err: ClientError) -> bool:
    if err.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons = err.response.get("CancellationReasons") or []
    if reasons:
        return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons)
    return "ConditionalCheckFailed" in err.response.get("Error", {}).get("Message", "")


def settle(dynamodb: Client, settings: Settings, payment: PaymentCreated, now: datetime) -> Outcome:
    """Settle once. Raises `UnknownPayment` if there is no such payment."""
    try:
        dynamodb.transact_write_items(TransactItems=settlement_writes(settings, payment, now))
    except ClientError as err:
        if not _condition_failed(err):
            raise
        stored = dynamodb.get_item(
            TableName=settings.transactions_table,
            Key={"payment_id": {"S": payment.payment_id}},
            ConsistentRead=True,
        ).get("Item")
        if stored is None:
            raise UnknownPayment(
                f"payment {payment.payment_id} is not in {settings.transactions_table}"
            ) from None
        if stored["status"]["S"] == PROCESSED:
            return Outcome(payment_id=payment.payment_id, settled=False)
        raise
    return Outcome(payment_id=payment.payment_id, settled=True)


def batch_response(failed_message_ids: list[str]) -> dict[str, Any]:
    """The partial batch response SQS expects: only the messages to retry."""
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed_message_ids]}
