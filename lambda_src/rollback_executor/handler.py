"""Rollback executor: restore envs' parameters to an earlier version, record it, tell the rollback topic."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from executor import (
    Client,
    EnvOutcome,
    RollbackReport,
    RolledBack,
    Settings,
    parse_request,
    publish,
    put_update_metric,
    roll_back_env,
)

logger = Logger(service="rollback-executor")


@cache
def s3() -> Client:
    return boto3.client("s3")


@cache
def dynamodb() -> Client:
    return boto3.client("dynamodb")


@cache
def sns() -> Client:
    return boto3.client("sns")


@cache
def cloudwatch() -> Client:
    return boto3.client("cloudwatch")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = Settings.from_environ(os.environ)
    request = parse_request(event)  # pure; raises InvalidEvent
    outcomes = tuple(roll_back_env(s3(), dynamodb(), settings, request, env) for env in request.envs)
    report = RollbackReport(request, outcomes)
    for outcome in outcomes:
        log_outcome(outcome, request.request_id)
        if isinstance(outcome, RolledBack) and outcome.newly:
            put_update_metric(cloudwatch(), outcome.env)
    if report.changed_anything:  # a redelivered, already-finished request tells nobody twice
        publish(sns(), settings.rollback_topic_arn, report)
    return report.to_dict()


def log_outcome(outcome: EnvOutcome, request_id: str) -> None:
    if isinstance(outcome, RolledBack):
        message = "env rolled back" if outcome.newly else "env already rolled back"
        logger.info(message, extra={**outcome.to_dict(), "request_id": request_id})
    else:
        logger.warning("env not rolled back", extra={**outcome.to_dict(), "request_id": request_id})
