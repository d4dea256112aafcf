"""Lambda handlers under moto's `mock_aws`, in-process.

Every function's entry module is `handler.py`, so `load_handler("drift_validator")`
imports it under a unique module name. Each function directory is also put on
`sys.path`, as its zip root is in Lambda, so `handler.py` finds the module beside
it (`recorder`, `validator`, `executor`; their names differ on purpose).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from infrarep import package, records

from ..moto_world import MOTO_REGION as REGION
from ..moto_world import create_bucket, create_ledger_table

LAMBDA_SRC = Path(__file__).resolve().parents[2] / "lambda_src"
FUNCTIONS = package.functions(LAMBDA_SRC)["control"]

for _function in FUNCTIONS:
    if str(LAMBDA_SRC / _function) not in sys.path:
        sys.path.insert(0, str(LAMBDA_SRC / _function))


def load_handler(function: str) -> ModuleType:
    """Import `lambda_src/<function>/handler.py` as module `<function>_handler` (once)."""
    name = f"{function}_handler"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, LAMBDA_SRC / function / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _clear_client_caches(module: ModuleType) -> None:
    for value in vars(module).values():
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()


@dataclass
class FakeLambdaContext:
    function_name: str = "infrarep-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:infrarep-test"
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    log_group_name: str = "/aws/lambda/infrarep-test"
    log_stream_name: str = "2026/11/23/[$LATEST]0000"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture(autouse=True)
def powertools_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "infrarep-test")


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch, aws: None) -> Callable[..., dict[str, str]]:
    """`function_env(LEDGER_TABLE="ledger", ...)`: the Lambda's environment variables."""

    def set_env(**values: str) -> dict[str, str]:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return values

    return set_env


def _handler_fixture(function: str) -> Callable[[], Iterator[ModuleType]]:
    def fixture(aws: None) -> Iterator[ModuleType]:
        module = load_handler(function)
        _clear_client_caches(module)  # clients are built lazily, inside this test's mock_aws
        yield module
        _clear_client_caches(module)

    return fixture


recorder_handler = pytest.fixture(_handler_fixture("deployment_recorder"))
validator_handler = pytest.fixture(_handler_fixture("drift_validator"))
executor_handler = pytest.fixture(_handler_fixture("rollback_executor"))


# --- the world the functions see ---

LEDGER = "infrarep-ledger"
CONFIG_BUCKET = "infrarep-config"


@pytest.fixture
def ledger(aws: None) -> Any:
    """The ledger table exactly as the contract describes it; returns a dynamodb client."""
    client = boto3.client("dynamodb", region_name=REGION)
    create_ledger_table(client, LEDGER)
    return client


def ledger_entries(client: Any, env: str) -> list[records.LedgerEntry]:
    """Every row of one env, oldest first, read back through the shared schema."""
    response = client.query(
        TableName=LEDGER,
        KeyConditionExpression="env = :env",
        ExpressionAttributeValues={":env": {"S": env}},
    )
    return [records.LedgerEntry.from_item(item) for item in response["Items"]]


@pytest.fixture
def config_bucket(aws: None) -> Any:
    """The versioned config store; returns an s3 client."""
    client = boto3.client("s3", region_name=REGION)
    create_bucket(client, CONFIG_BUCKET, REGION, versioned=True)
    return client


@dataclass
class Topic:
    """An SNS topic with an SQS queue subscribed, so a test can read what was published."""

    arn: str
    queue_url: str
    sqs: Any

    def messages(self) -> list[dict[str, Any]]:
        """Every notification so far: `{"subject": ..., "message": <parsed JSON body>}`."""
        found: list[dict[str, Any]] = []
        while True:
            response = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            batch = response.get("Messages", [])
            if not batch:
                return found
            for raw in batch:
                envelope = json.loads(raw["Body"])
                found.append({"subject": envelope.get("Subject"), "message": json.loads(envelope["Message"])})
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=raw["ReceiptHandle"])


@pytest.fixture
def make_topic(aws: None) -> Callable[[str], Topic]:
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)

    def make(name: str) -> Topic:
        arn = sns.create_topic(Name=name)["TopicArn"]
        queue_url = sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)
        return Topic(arn=arn, queue_url=queue_url, sqs=sqs)

    return make


@pytest.fixture
def metric_sum(aws: None) -> Callable[..., float | None]:
    """`metric_sum("EnvironmentUpdate", Env="prod")`: the Sum of a metric's data points, None if never put."""
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)

    def total(name: str, **dimensions: str) -> float | None:
        wanted = [{"Name": key, "Value": value} for key, value in sorted(dimensions.items())]
        listed = cloudwatch.list_metrics(Namespace=records.METRIC_NAMESPACE, MetricName=name)["Metrics"]
        if not any(sorted(m["Dimensions"], key=lambda d: d["Name"]) == wanted for m in listed):
            return None
        now = datetime.now(UTC)
        points = cloudwatch.get_metric_statistics(
            Namespace=records.METRIC_NAMESPACE,
            MetricName=name,
            Dimensions=wanted,
            StartTime=now - timedelta(hours=1),
            EndTime=now + timedelta(minutes=5),
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
        return sum(point["Sum"] for point in points)

    return total
