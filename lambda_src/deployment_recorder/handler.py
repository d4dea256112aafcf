"""Deployment recorder (EventBridge target): one ledger row and one metric per stack update."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from recorder import Client, Settings, counts_as_update, parse_stack_update, put_update_metric, record

logger = Logger(service="deployment-recorder")


@cache
def dynamodb() -> Client:
    return boto3.client("dynamodb")


@cache
def cloudwatch() -> Client:
    return boto3.client("cloudwatch")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = Settings.from_environ(os.environ)
    entry = parse_stack_update(event)  # pure; raises InvalidEvent
    outcome = record(dynamodb(), settings.ledger_table, entry)  # the one write, conditional
    fields = {"env": entry.env, "version": entry.version, "deployed_at": entry.deployed_at}
    if counts_as_update(outcome):
        put_update_metric(cloudwatch(), entry)
    if outcome.recorded:
        logger.info("deployment recorded", extra={**fields, "status": str(entry.status)})
    else:
        logger.info("deployment already recorded", extra={**fields, "event_id": entry.event_id})
    return outcome.to_dict()
