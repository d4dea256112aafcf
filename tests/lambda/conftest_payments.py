"""The payments workload's world under moto: tables as modules/payments_tables declares them,
the custom bus with a queue that hears payment.created, and the two handlers.

Imported by tests/lambda/test_payments_*.py (plain helpers, not fixtures: each test module
declares its own fixtures from these).
"""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import boto3

from infrarep import package

from .conftest import LAMBDA_SRC, REGION, load_handler

PAYMENTS_FUNCTIONS = package.functions(LAMBDA_SRC)["workload"]
for _function in PAYMENTS_FUNCTIONS:
    if str(LAMBDA_SRC / _function) not in sys.path:
        sys.path.insert(0, str(LAMBDA_SRC / _function))

# The functions' core modules, importable now that their folders are on sys.path.
payment_intake = importlib.import_module("payment_intake")
payment_settlement = importlib.import_module("payment_settlement")

TRANSACTIONS = "infrarep-test-payments-transactions"
AUDIT = "infrarep-test-payments-audit"
BUS = "infrarep-test-payments"


def fresh_handler(function: str) -> ModuleType:
    """`lambda_src/<function>/handler.py`, its cached clients dropped (rebuilt inside mock_aws)."""
    module = load_handler(function)
    for value in vars(module).values():
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()
    return module


def create_tables() -> Any:
    """Both tables with the keys and indexes of modules/payments_tables; returns a dynamodb client."""
    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(
        TableName=TRANSACTIONS,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"}
            for name in ("payment_id", "customer_id", "status", "created_at")
        ],
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": f"{name}-index",
                "KeySchema": [
                    {"AttributeName": key, "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            }
            for name, key in (("customer", "customer_id"), ("status", "status"))
        ],
    )
    client.create_table(
        TableName=AUDIT,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "payment_id", "AttributeType": "S"},
            {"AttributeName": "entry", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "payment_id", "KeyType": "HASH"},
            {"AttributeName": "entry", "KeyType": "RANGE"},
        ],
    )
    return client


def all_items(client: Any, table: str) -> list[dict[str, Any]]:
    return client.scan(TableName=table, ConsistentRead=True)["Items"]


@dataclass
class Bus:
    """The custom bus, with a queue subscribed to payment.created as modules/events routes it."""

    name: str
    queue_url: str
    sqs: Any

    def received(self) -> list[dict[str, Any]]:
        """Every event delivered so far (parsed EventBridge envelopes), consumed."""
        found: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not batch:
                return found
            for message in batch:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def create_bus() -> Bus:
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    events.create_event_bus(Name=BUS)
    queue_url = sqs.create_queue(QueueName=f"{BUS}-created")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name=f"{BUS}-created",
        EventBusName=BUS,
        EventPattern=json.dumps({"source": ["payments.api"], "detail-type": ["payment.created"]}),
    )
    events.put_targets(Rule=f"{BUS}-created", EventBusName=BUS, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return Bus(name=BUS, queue_url=queue_url, sqs=sqs)
