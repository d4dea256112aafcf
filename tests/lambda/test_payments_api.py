"""Payments API: POST /payments under moto, in-process.

A valid request becomes one transaction row, one audit row and one payment.created event;
a bad one is a 400 that says what is wrong; a repeated Idempotency-Key gets the first answer
back and writes nothing.
"""

from __future__ import annotations

import base64
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
    payment_intake,
)

InvalidRequest = payment_intake.InvalidRequest
parse_request = payment_intake.parse_request

KEY = "6f1c7a52-3c1e-4c8e-9a55-8d0d2f6f9a10"


def api_event(body: Any = None, key: str | None = KEY, **headers: str) -> dict[str, Any]:
    """An API Gateway REST proxy event for POST /payments."""
    if body is None:
        body = {"amount": 1050, "currency": "EUR", "customer_id": "cus_42"}
    all_headers = {"Content-Type": "application/json", **headers}
    if key is not None:
        all_headers["Idempotency-Key"] = key
    return {
        "resource": "/payments",
        "path": "/payments",
        "httpMethod": "POST",
        "headers": all_headers,
        "body": body if isinstance(body, str) else json.dumps(body),
        "isBase64Encoded": False,
        "requestContext": {"requestId": "req-1", "stage": "v1", "httpMethod": "POST"},
    }


@pytest.fixture
def tables(aws):
    return create_tables()


@pytest.fixture
def bus(aws):
    return create_bus()


@pytest.fixture
def api(aws, tables, bus, function_env):
    function_env(
        TRANSACTIONS_TABLE=TRANSACTIONS,
        AUDIT_TABLE=AUDIT,
        EVENT_BUS_NAME=BUS,
        ALLOWED_ORIGINS="https://pay.example.com",
    )
    return fresh_handler("payments_api")


def test_a_valid_payment_is_recorded_audited_and_announced(api, tables, bus, lambda_context):
    response = api.handler(api_event(), lambda_context)

    assert response["statusCode"] == 201
    body = json.loads(response["body"])
    assert body["payment_id"].startswith("pay_")
    assert {k: body[k] for k in ("status", "amount", "currency", "customer_id")} == {
        "status": "PENDING",
        "amount": 1050,
        "currency": "EUR",
        "customer_id": "cus_42",
    }

    [transaction] = all_items(tables, TRANSACTIONS)
    assert transaction["payment_id"] == {"S": body["payment_id"]}
    assert transaction["status"] == {"S": "PENDING"}
    assert transaction["amount"] == {"N": "1050"}
    assert transaction["idempotency_key"] == {"S": KEY}
    assert int(transaction["expires_at"]["N"]) > 0

    [audit] = all_items(tables, AUDIT)
    assert audit["payment_id"] == {"S": body["payment_id"]}
    assert audit["action"] == {"S": "CREATED"}

    [event] = bus.received()
    assert (event["source"], event["detail-type"]) == ("payments.api", "payment.created")
    assert event["detail"] == body


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (api_event({"amount": 10.5, "currency": "EUR", "customer_id": "c1"}), "amount: expected an integer"),
        (api_event({"amount": 0, "currency": "EUR", "customer_id": "c1"}), "amount: expected 1 to"),
        (api_event({"amount": -5, "currency": "EUR", "customer_id": "c1"}), "amount: expected 1 to"),
        (api_event({"amount": True, "currency": "EUR", "customer_id": "c1"}), "amount: expected an integer"),
        (api_event({"currency": "EUR", "customer_id": "c1"}), "amount: required"),
        (
            api_event({"amount": 100, "currency": "eur", "customer_id": "c1"}),
            "currency: expected an ISO 4217",
        ),
        (
            api_event({"amount": 100, "currency": "XYZ", "customer_id": "c1"}),
            "currency: expected an ISO 4217",
        ),
        (api_event({"amount": 100, "currency": "EUR"}), "customer_id: expected"),
        (api_event({"amount": 100, "currency": "EUR", "customer_id": "c1", "x": 1}), "unknown field(s) x"),
        (api_event("[1, 2]"), "body: expected a JSON object, got list"),
        (api_event("{not json"), "body: not valid JSON"),
        (api_event(key=None), "missing Idempotency-Key header"),
        (api_event(key="has spaces"), "Idempotency-Key: expected"),
    ],
)
def test_an_invalid_request_is_a_400_that_names_the_problem(api, tables, bus, lambda_context, event, message):
    response = api.handler(event, lambda_context)

    assert response["statusCode"] == 400
    assert message in json.loads(response["body"])["message"]
    assert all_items(tables, TRANSACTIONS) == []
    assert all_items(tables, AUDIT) == []
    assert bus.received() == []


def test_a_repeated_key_gets_the_same_response_and_writes_no_second_row(api, tables, bus, lambda_context):
    first = api.handler(api_event(), lambda_context)
    second = api.handler(api_event(), lambda_context)

    assert second["statusCode"] == first["statusCode"] == 201
    assert json.loads(second["body"]) == json.loads(first["body"])
    assert second["headers"]["Idempotent-Replayed"] == "true"
    assert len(all_items(tables, TRANSACTIONS)) == 1
    assert len(all_items(tables, AUDIT)) == 1


def test_a_replay_after_settlement_keeps_the_first_answer_and_publishes_nothing(
    api, tables, bus, lambda_context
):
    first = api.handler(api_event(), lambda_context)
    bus.received()
    payment_id = json.loads(first["body"])["payment_id"]
    tables.update_item(
        TableName=TRANSACTIONS,
        Key={"payment_id": {"S": payment_id}},
        UpdateExpression="SET #s = :p",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":p": {"S": "PROCESSED"}},
    )

    replay = api.handler(api_event(), lambda_context)

    assert json.loads(replay["body"]) == json.loads(first["body"])
    assert bus.received() == []


def test_a_replay_of_a_pending_payment_announces_it_again(api, tables, bus, lambda_context):
    """The first call may have died between the write and the event: at-least-once delivery."""
    api.handler(api_event(), lambda_context)
    api.handler(api_event(), lambda_context)

    assert len(bus.received()) == 2
    assert len(all_items(tables, TRANSACTIONS)) == 1


def test_a_reused_key_with_another_request_is_refused(api, tables, bus, lambda_context):
    api.handler(api_event(), lambda_context)
    other = {"amount": 999, "currency": "EUR", "customer_id": "cus_42"}

    response = api.handler(api_event(other), lambda_context)

    assert response["statusCode"] == 422
    assert "already used for a different payment" in json.loads(response["body"])["message"]
    [transaction] = all_items(tables, TRANSACTIONS)
    assert transaction["amount"] == {"N": "1050"}


def test_cors_answers_only_allowed_origins(api, tables, bus, lambda_context):
    allowed = api.handler(api_event(Origin="https://pay.example.com"), lambda_context)
    other = api.handler(
        api_event(key="another-key", Origin="https://evil.example.com"),
        lambda_context,
    )

    assert allowed["headers"]["Access-Control-Allow-Origin"] == "https://pay.example.com"
    assert "Access-Control-Allow-Origin" not in other["headers"]


def test_parse_request_reads_headers_case_insensitively_and_base64_bodies():
    body = json.dumps({"amount": 1, "currency": "JPY", "customer_id": "c"}).encode()
    event = {
        "headers": {"idempotency-key": "k-1"},
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }

    request = parse_request(event)

    assert (request.idempotency_key, request.amount, request.currency) == ("k-1", 1, "JPY")


def test_the_payment_id_depends_on_the_key_only():
    a = parse_request(api_event({"amount": 1, "currency": "EUR", "customer_id": "a"}, key="k"))
    b = parse_request(api_event({"amount": 2, "currency": "USD", "customer_id": "b"}, key="k"))

    assert a.payment_id == b.payment_id
    assert a.fingerprint != b.fingerprint


def test_an_empty_body_is_invalid():
    with pytest.raises(InvalidRequest, match="got nothing"):
        parse_request({"headers": {"Idempotency-Key": "k"}, "body": None})


def test_settings_name_the_missing_variable():
    with pytest.raises(payment_intake.MissingSetting, match="EVENT_BUS_NAME"):
        payment_intake.Settings.from_environ({"TRANSACTIONS_TABLE": "t", "AUDIT_TABLE": "a"})
