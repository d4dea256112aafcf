"""Payments API (API Gateway proxy, POST /payments): accept a payment once per Idempotency-Key."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cache
from http import HTTPStatus
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from payment_intake import (
    Client,
    IdempotencyConflict,
    InvalidRequest,
    Settings,
    cors_headers,
    error,
    parse_request,
    publish_created,
    record,
)

logger = Logger(service="payments-api")
metrics = Metrics(namespace="Payments", service="payments-api")


@cache
def dynamodb() -> Client:
    return boto3.client("dynamodb")


@cache
def events() -> Client:
    return boto3.client("events")


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = Settings.from_environ(os.environ)
    cors = cors_headers(event, settings.allowed_origins)
    try:
        request = parse_request(event)  # pure; raises InvalidRequest
        outcome = record(dynamodb(), settings, request, now=datetime.now(UTC))  # the one write
    except InvalidRequest as err:
        metrics.add_metric(name="PaymentRejected", unit=MetricUnit.Count, value=1)
        logger.info("payment refused", extra={"reason": str(err)})
        return error(HTTPStatus.BAD_REQUEST, str(err)).to_proxy(cors)
    except IdempotencyConflict as err:
        metrics.add_metric(name="PaymentRejected", unit=MetricUnit.Count, value=1)
        logger.info("idempotency key reused", extra={"reason": str(err)})
        return error(HTTPStatus.UNPROCESSABLE_ENTITY, str(err)).to_proxy(cors)

    fields = {"payment_id": outcome.payment_id, "idempotency_key": request.idempotency_key}
    if outcome.pending:  # at least once: a retry republishes until the worker has settled
        publish_created(events(), settings, outcome)
    if outcome.created:
        metrics.add_metric(name="PaymentAccepted", unit=MetricUnit.Count, value=1)
        logger.info("payment accepted", extra=fields)
    else:
        metrics.add_metric(name="PaymentReplayed", unit=MetricUnit.Count, value=1)
        logger.info("payment replayed", extra=fields)
    return outcome.response.to_proxy(cors)
