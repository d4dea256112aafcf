"""Drift validator (EventBridge, Step Functions task, CodePipeline action): compare two envs."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from validator import (
    Client,
    DriftResult,
    InvalidEvent,
    Settings,
    compare,
    load_env_state,
    notification_for,
    parse_request,
    pipeline_job_id,
    publish,
    put_drift_metric,
    report_failure,
    report_to_job,
)

logger = Logger(service="drift-validator")


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


@cache
def codepipeline() -> Client:
    return boto3.client("codepipeline")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job_id = pipeline_job_id(event)  # None unless CodePipeline invoked us
    try:
        settings = Settings.from_environ(os.environ)
        result = check(event, settings, job_id)
        announce(result, settings)
    except Exception as err:
        if job_id is not None:  # the pipeline must not wait for its timeout
            logger.exception("drift check failed", extra={"job_id": job_id})
            fail_job(job_id, f"drift validator failed: {err}", context.aws_request_id)
        raise
    if job_id is not None and not report_to_job(codepipeline(), job_id, result, context.aws_request_id):
        logger.info("job result already reported", extra={"job_id": job_id})
    return result.to_dict()


def check(event: dict[str, Any], settings: Settings, job_id: str | None) -> DriftResult:
    try:
        request = parse_request(event)  # pure; raises InvalidEvent
    except InvalidEvent as err:
        if job_id is None:
            raise
        return DriftResult.invalid_request(str(err))  # a misconfigured action fails its job
    source = load_env_state(s3(), dynamodb(), settings, request.source_env)
    target = load_env_state(s3(), dynamodb(), settings, request.target_env)
    return compare(source, target)  # pure


def announce(result: DriftResult, settings: Settings) -> None:
    fields = {
        "source_env": result.source_env,
        "target_env": result.target_env,
        "outcome": str(result.outcome),
        "kinds": [str(finding.kind) for finding in result.findings],
    }
    note = notification_for(result, settings)
    if note is not None:
        fields["message_id"] = publish(sns(), note)
    put_drift_metric(cloudwatch(), result)
    logger.info("drift checked", extra=fields)


def fail_job(job_id: str, message: str, execution_id: str) -> None:
    """Best effort: a failure to report must not hide the error being reported."""
    try:
        report_failure(codepipeline(), job_id, message, execution_id)
    except Exception:
        logger.exception("could not report the failure to the job", extra={"job_id": job_id})
