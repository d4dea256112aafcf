"""Payment intake: turn POST /payments into one transaction row, one audit row and one event.

The request is checked here as well as by API Gateway's model, because the function can be
invoked without the API. Each request carries an `Idempotency-Key` header; the payment id is
derived from it, and the transaction and audit rows are written in one DynamoDB transaction
whose put fails if the payment exists. A retry with the same key therefore finds the stored
row and gets the stored response back: same status, same body, no second row. The same key
with a different request is refused (422).

`payment.created` is published after the write. If the function dies in between, the retry
publishes again (the stored payment is still PENDING): delivery is at least once, and the
worker settles a payment once however often the event arrives.

Keys are global, not per caller: use a fresh UUID per payment.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from botocore.exceptions import ClientError

# boto3 clients carry no static types in the Lambda runtime; they are passed in as Any.
Client = Any

EVENT_SOURCE = "payments.api"
DETAIL_TYPE = "payment.created"
IDEMPOTENCY_HEADER = "Idempotency-Key"
PENDING = "PENDING"
CREATED = "CREATED"
MAX_AMOUNT = 99_999_999_999  # minor units; the API model's maximum
RETENTION = timedelta(days=2557)  # 7 years, then DynamoDB TTL removes the transaction row
PAYMENT_ID_NAMESPACE = uuid.UUID("5d6f3c1e-8a0b-4f43-9d51-2f1d5a7f0c11")

_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,255}$")
_CUSTOMER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_FIELDS = frozenset({"amount", "currency", "customer_id", "description"})

# ISO 4217 codes of currencies one can pay in (no funds codes, metals or test codes).
CURRENCIES = frozenset(
    {
        "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD",
        "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP",
        "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR",
        "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF",
        "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW",
        "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD",
        "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK",
        "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB",
        "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC",
        "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD",
        "UYU", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR",
        "ZMW", "ZWG",
    }
)  # fmt: skip


class InvalidRequest(ValueError):
    """The request cannot become a payment; the message names the field and what was wrong."""


class IdempotencyConflict(ValueError):
    """The Idempotency-Key was used before with a different request."""


class MissingSetting(RuntimeError):
    """An environment variable the function needs is not set."""


class PublishFailed(RuntimeError):
    """EventBridge refused the payment.created event."""


@dataclass(frozen=True)
class Settings:
    transactions_table: str
    audit_table: str
    event_bus_name: str
    allowed_origins: frozenset[str] = frozenset()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        values = {}
        for name in ("TRANSACTIONS_TABLE", "AUDIT_TABLE", "EVENT_BUS_NAME"):
            if not environ.get(name):
                raise MissingSetting(f"environment variable {name} is not set")
            values[name] = environ[name]
        origins = frozenset(o.strip() for o in environ.get("ALLOWED_ORIGINS", "").split(",") if o.strip())
        return cls(
            transactions_table=values["TRANSACTIONS_TABLE"],
            audit_table=values["AUDIT_TABLE"],
            event_bus_name=values["EVENT_BUS_NAME"],
            allowed_origins=origins,
        )


@dataclass(frozen=True)
class PaymentRequest:
    idempotency_key: str
    amount: int
    currency: str
    customer_id: str
    description: str | None = None

    @property
    def payment_id(self) -> str:
        """Derived from the key alone, so every retry addresses the same row."""
        return "pay_" + uuid.uuid5(PAYMENT_ID_NAMESPACE, self.idempotency_key).hex

    @property
    def fingerprint(self) -> str:
        """sha256 of the request's content, to tell a retry from a reuse of the key."""
        content = {
            "amount": self.amount,
            "currency": self.currency,
            "customer_id": self.customer_id,
            "description": self.description,
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Response:
    status: int
    body: dict[str, Any]
    replayed: bool = False

    def to_proxy(self, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The Lambda proxy integration's answer."""
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if self.replayed:
            all_headers["Idempotent-Replayed"] = "true"
        return {"statusCode": self.status, "headers": all_headers, "body": json.dumps(self.body)}


def error(status: HTTPStatus, message: str) -> Response:
    return Response(status=int(status), body={"message": message})


def header(event: Mapping[str, Any], name: str) -> str | None:
    """A request header by case-insensitive name, None if absent."""
    headers = event.get("headers") or {}
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _body(event: Mapping[str, Any]) -> Any:
    raw = event.get("body")
    if raw is None or raw == "":
        raise InvalidRequest("body: expected a JSON object, got nothing")
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidRequest("body: not valid base64-encoded UTF-8") from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as err:
        raise InvalidRequest(f"body: not valid JSON ({err.msg} at position {err.pos})") from None


def parse_request(event: Mapping[str, Any]) -> PaymentRequest:
    """The payment an API Gateway proxy event asks for. Pure; raises `InvalidRequest`."""
    key = header(event, IDEMPOTENCY_HEADER)
    if key is None or key == "":
        raise InvalidRequest(f"missing {IDEMPOTENCY_HEADER} header: send a fresh UUID per payment")
    if not _IDEMPOTENCY_KEY.match(key):
        raise InvalidRequest(f"{IDEMPOTENCY_HEADER}: expected 1-255 of [A-Za-z0-9_.:-], got {key[:64]!r}")

    body = _body(event)
    if not isinstance(body, dict):
        raise InvalidRequest(f"body: expected a JSON object, got {type(body).__name__}")
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise InvalidRequest(f"body: unknown field(s) {', '.join(unknown)}")

    amount = body.get("amount")
    if amount is None:
        raise InvalidRequest("amount: required (an integer number of minor units, e.g. 1050 for 10.50)")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidRequest(f"amount: expected an integer number of minor units, got {amount!r}")
    if not 0 < amount <= MAX_AMOUNT:
        raise InvalidRequest(f"amount: expected 1 to {MAX_AMOUNT} minor units, got {amount}")

    currency = body.get("currency")
    if not isinstance(currency, str) or currency not in CURRENCIES:
        raise InvalidRequest(f"currency: expected an ISO 4217 code such as 'EUR', got {currency!r}")

    customer_id = body.get("customer_id")
    if not isinstance(customer_id, str) or not _CUSTOMER_ID.match(customer_id):
        raise InvalidRequest(f"customer_id: expected 1-64 of [A-Za-z0-9_-], got {customer_id!r}")

    description = body.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 256):
        raise InvalidRequest("description: expected a string of at most 256 characters")

    return PaymentRequest(
        idempotency_key=key,
        amount=amount,
        currency=currency,
        customer_id=customer_id,
        description=description,
    )


def timestamp(at: datetime) -> str:
    """UTC, millisecond precision, sortable: 2026-11-23T10:00:00.000Z."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def created_response(request: PaymentRequest, created_at: str) -> Response:
    return Response(
        status=int(HTTPStatus.CREATED),
        body={
            "payment_id": request.payment_id,
            "status": PENDING,
            "amount": request.amount,
            "currency": request.currency,
            "customer_id": request.customer_id,
            "created_at": created_at,
        },
    )


def transaction_writes(settings: Settings, request: PaymentRequest, now: datetime) -> list[dict[str, Any]]:
    """The two puts of a new payment, each refused if its row exists."""
    created_at = timestamp(now)
    response = created_response(request, created_at)
    payment: dict[str, Any] = {
        "payment_id": {"S": request.payment_id},
        "idempotency_key": {"S": request.idempotency_key},
        "request_sha256": {"S": request.fingerprint},
        "customer_id": {"S": request.customer_id},
        "amount": {"N": str(request.amount)},
        "currency": {"S": request.currency},
        "status": {"S": PENDING},
        "created_at": {"S": created_at},
        "updated_at": {"S": created_at},
        "expires_at": {"N": str(int((now + RETENTION).timestamp()))},
        "response_status": {"N": str(response.status)},
        "response_body": {"S": json.dumps(response.body, sort_keys=True)},
    }
    if request.description is not None:
        payment["description"] = {"S": request.description}
    audit = {
        "payment_id": {"S": request.payment_id},
        "entry": {"S": f"{created_at}#{CREATED}"},
        "action": {"S": CREATED},
        "recorded_at": {"S": created_at},
        "status": {"S": PENDING},
        "amount": {"N": str(request.amount)},
        "currency": {"S": request.currency},
        "customer_id": {"S": request.customer_id},
    }
    return [
        {
            "Put": {
                "TableName": settings.transactions_table,
                "Item": payment,
                "ConditionExpression": "attribute_not_exists(payment_id)",
            }
        },
        {
            "Put": {
                "TableName": settings.audit_table,
                "Item": audit,
                "ConditionExpression": "attribute_not_exists(payment_id)",
            }
        },
    ]


@dataclass(frozen=True)
class Outcome:
    response: Response
    created: bool
    """False when the key was seen before: the stored response is replayed."""
    pending: bool
    """True while the payment awaits the worker: payment.created must be (re)published."""
    payment_id: str


def _already_exists(err: ClientError) -> bool:
    if err.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons = err.response.get("CancellationReasons") or []
    if reasons:
        return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons)
    return "ConditionalCheckFailed" in err.response.get("Error", {}).get("Message", "")


def replay(stored: Mapping[str, Any], request: PaymentRequest) -> Outcome:
    """The stored answer to an earlier request with the same key. Pure; raises `IdempotencyConflict`."""
    if stored["request_sha256"]["S"] != request.fingerprint:
        raise IdempotencyConflict(
            f"{IDEMPOTENCY_HEADER} {request.idempotency_key!r} was already used for a different payment; "
            "send a new key for a new payment"
        )
    response = Response(
        status=int(stored["response_status"]["N"]),
        body=json.loads(stored["response_body"]["S"]),
        replayed=True,
    )
    return Outcome(
        response=response,
        created=False,
        pending=stored["status"]["S"] == PENDING,
        payment_id=request.payment_id,
    )


def record(dynamodb: Client, settings: Settings, request: PaymentRequest, now: datetime) -> Outcome:
    """Write the payment and its audit row once; on a repeated key, the stored outcome."""
    writes = transaction_writes(settings, request, now)
    try:
        dynamodb.transact_write_items(TransactItems=writes)
    except ClientError as err:
        if not _already_exists(err):
            raise
        stored = dynamodb.get_item(
            TableName=settings.transactions_table,
            Key={"payment_id": {"S": request.payment_id}},
            ConsistentRead=True,
        ).get("Item")
        if stored is None:  # the audit row exists without its payment: never written by us
            raise
        return replay(stored, request)
    response = Response(
        status=int(writes[0]["Put"]["Item"]["response_status"]["N"]),
        body=json.loads(writes[0]["Put"]["Item"]["response_body"]["S"]),
    )
    return Outcome(response=response, created=True, pending=True, payment_id=request.payment_id)


def payment_created_entry(settings: Settings, response: Response) -> dict[str, Any]:
    """The EventBridge entry announcing a payment; its detail is the created response body."""
    return {
        "Source": EVENT_SOURCE,
        "DetailType": DETAIL_TYPE,
        "Detail": json.dumps(response.body, sort_keys=True),
        "EventBusName": settings.event_bus_name,
        "Resources": [],
    }


def publish_created(events: Client, settings: Settings, outcome: Outcome) -> None:
    """Announce the payment on the bus; raises `PublishFailed` if EventBridge refuses it."""
    result = events.put_events(Entries=[payment_created_entry(settings, outcome.response)])
    if result.get("FailedEntryCount", 0):
        failed = result["Entries"][0]
        raise PublishFailed(
            f"{DETAIL_TYPE} for {outcome.payment_id}: {failed.get('ErrorCode')} {failed.get('ErrorMessage')}"
        )


def cors_headers(event: Mapping[str, Any], allowed_origins: frozenset[str]) -> dict[str, str]:
    """CORS headers for the caller's origin if it is allowed, else none."""
    origin = header(event, "Origin")
    if origin is None or origin not in allowed_origins:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
