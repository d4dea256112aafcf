"""Rollback executor: accept a rollback of this env (REQUESTED row + RollbackAccepted on its region's bus)."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from executor import Client, Requested, Settings, parse_request, publish, request_rollback

logger = Logger(service="rollback-executor")


@cache
def dynamodb() -> Client:
    return boto3.client("dynamodb")


@cache
def sns() -> Client:
    return boto3.client("sns")


@cache
def events() -> Client:
    return boto3.client("events")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = Settings.from_environ(os.environ)
    request = parse_request(event, settings.env)  # pure; raises InvalidEvent
    outcome = request_rollback(dynamodb(), events(), settings, request)
    if isinstance(outcome, Requested) and not outcome.newly:
        logger.info("rollback already requested", extra=outcome.to_dict())
        return outcome.to_dict()  # a redelivered request tells nobody twice
    if isinstance(outcome, Requested):
        logger.info("rollback accepted", extra=outcome.to_dict())
    else:
        logger.warning("rollback not requested", extra=outcome.to_dict())
    publish(sns(), settings.rollback_topic_arn, outcome, request)
    return outcome.to_dict()
