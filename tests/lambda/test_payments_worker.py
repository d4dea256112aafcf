"""Payments worker: SQS batches of payment.created under moto, in-process.

A batch reports exactly the messages that failed; the rest are settled once, even when SQS
delivers them again.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest_payments import (
    AUDIT,
    BUS,
    TRANSACTIONS,
    all_items,
    create_bus,
    create_tables,
    fresh_handler,
    payment_settlement,
)
from .test_payments_api import api_event


def sqs_event(*bodies: tuple[str, str]) -> dict[str, Any]:
    """An SQS event source batch: (messageId, body) pairs."""
    return {
        "Records": [
            {
                "messageId": message_id,
                "receiptHandle": f"rh-{message_id}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:infrarep-test-payments-created",
            }
            for message_id, body in bodies
        ]
    }


def payment_created(payment_id: str, event_id: str = "evt-1") -> str:
    return json.dumps(
        {
            "version": "0",
            "id": event_id,
            "source": "payments.api",
            "detail-type": "payment.created",
            "detail": {"payment_id": payment_id, "amount": 500, "currency": "EUR", "customer_id": "cus_1"},
        }
    )


@pytest.fixture
def tables(aws):
    return create_tables()


@pytest.fixture
def env(function_env):
    return function_env(TRANSACTIONS_TABLE=TRANSACTIONS, AUDIT_TABLE=AUDIT, EVENT_BUS_NAME=BUS)


@pytest.fixture
def worker(aws, tables, env):
    return fresh_handler("payments_worker")


def seed_pending(tables: Any, payment_id: str) -> None:
    tables.put_item(
        TableName=TRANSACTIONS,
        Item={
            "payment_id": {"S": payment_id},
            "status": {"S": "PENDING"},
            "customer_id": {"S": "cus_1"},
            "created_at": {"S": "2026-11-23T10:00:00.000Z"},
        },
    )


def status_of(tables: Any, payment_id: str) -> str:
    item = tables.get_item(TableName=TRANSACTIONS, Key={"payment_id": {"S": payment_id}})["Item"]
    return item["status"]["S"]


def test_a_partial_failure_reports_only_the_failed_messages(worker, tables, lambda_context):
    seed_pending(tables, "pay_good")
    batch = sqs_event(
        ("m-good", payment_created("pay_good")),
        ("m-unknown", payment_created("pay_missing")),
        ("m-garbled", "{not json"),
    )

    result = worker.handler(batch, lambda_context)

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-unknown"}, {"itemIdentifier": "m-garbled"}]}
    assert status_of(tables, "pay_good") == "PROCESSED"
    [audit] = all_items(tables, AUDIT)
    assert (audit["payment_id"], audit["action"]) == ({"S": "pay_good"}, {"S": "PROCESSED"})


def test_a_clean_batch_reports_no_failures(worker, tables, lambda_context):
    for payment_id in ("pay_a", "pay_b"):
        seed_pending(tables, payment_id)

    result = worker.handler(
        sqs_event(("m-a", payment_created("pay_a")), ("m-b", payment_created("pay_b"))), lambda_context
    )

    assert result == {"batchItemFailures": []}
    assert {status_of(tables, p) for p in ("pay_a", "pay_b")} == {"PROCESSED"}


def test_a_repeated_delivery_settles_once(worker, tables, lambda_context):
    seed_pending(tables, "pay_once")

    first = worker.handler(sqs_event(("m-1", payment_created("pay_once"))), lambda_context)
    again = worker.handler(sqs_event(("m-2", payment_created("pay_once", event_id="evt-2"))), lambda_context)

    assert first == again == {"batchItemFailures": []}
    assert len(all_items(tables, AUDIT)) == 1


def test_settles_what_the_api_announced(worker, tables, env, lambda_context):
    """The API's event, as the rule delivers it to the queue, is what the worker understands."""
    bus = create_bus()
    api = fresh_handler("payments_api")
    created = json.loads(api.handler(api_event(), lambda_context)["body"])
    [delivered] = bus.received()

    result = worker.handler(sqs_event(("m-api", json.dumps(delivered))), lambda_context)

    assert result == {"batchItemFailures": []}
    assert status_of(tables, created["payment_id"]) == "PROCESSED"
    assert sorted(item["action"]["S"] for item in all_items(tables, AUDIT)) == ["CREATED", "PROCESSED"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[]", "expected an EventBridge event object"),
        (json.dumps({"source": "other", "detail-type": "payment.created"}), "unsupported event"),
        (
            json.dumps({"source": "payments.api", "detail-type": "payment.created", "detail": {"amount": 1}}),
            "detail.payment_id",
        ),
    ],
)
def test_parse_names_what_is_wrong(body, message):
    with pytest.raises(payment_settlement.InvalidMessage, match=message):
        payment_settlement.parse_payment_created(body)
