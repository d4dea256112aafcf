"""Rollback executor: request a rollback of this env (REQUESTED row + the deploy build that applies it)."""

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
def control(service: str, region: str) -> Client:
    """A client in the control region: the release bundles and the deploy project live there."""
    return boto3.client(service, region_name=region)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = Settings.from_environ(os.environ)
    request = parse_request(event, settings.env)  # pure; raises InvalidEvent
    s3, codebuild = control("s3", settings.build_region), control("codebuild", settings.build_region)
    outcome = request_rollback(dynamodb(), s3, codebuild, settings, request)
    if isinstance(outcome, Requested) and not outcome.newly:
        logger.info("rollback already requested", extra=outcome.to_dict())
        return outcome.to_dict()  # a redelivered request tells nobody twice
    if isinstance(outcome, Requested):
        logger.info("rollback requested", extra=outcome.to_dict())
    else:
        logger.warning("rollback not requested", extra=outcome.to_dict())
    publish(sns(), settings.rollback_topic_arn, outcome, request)
    return outcome.to_dict()
