"""Payments worker (SQS, partial batch responses): settle each payment.created exactly once."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from payment_settlement import Client, Settings, batch_response, parse_payment_created, settle

logger = Logger(service="payments-worker")
metrics = Metrics(namespace="Payments", service="payments-worker")


@cache
def dynamodb() -> Client:
    return boto3.client("dynamodb")


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = Settings.from_environ(os.environ)
    failed: list[str] = []
    for message in event.get("Records", []):
        message_id = message["messageId"]
        try:
            payment = parse_payment_created(message["body"])  # pure; raises InvalidMessage
            outcome = settle(dynamodb(), settings, payment, now=datetime.now(UTC))  # the one write
        except Exception:  # one bad message must not fail the batch: report it alone
            logger.exception("payment not settled", extra={"message_id": message_id})
            failed.append(message_id)
            continue
        fields = {"payment_id": outcome.payment_id, "message_id": message_id}
        if outcome.settled:
            metrics.add_metric(name="PaymentSettled", unit=MetricUnit.Count, value=1)
            logger.info("payment settled", extra=fields)
        else:
            metrics.add_metric(name="PaymentRedelivered", unit=MetricUnit.Count, value=1)
            logger.info("payment already settled", extra=fields)
    if failed:
        metrics.add_metric(name="SettlementFailed", unit=MetricUnit.Count, value=len(failed))
    return batch_response(failed)
