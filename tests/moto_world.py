"""What unit and Lambda tests build under moto's `mock_aws`, made one way: the environment that
keeps a test off real accounts, and the ledger table and versioned buckets as the modules make
them (modules/state_table, modules/config_store, terraform/bootstrap)."""

from __future__ import annotations

from typing import Any

import pytest

from infrarep import records

MOTO_REGION = "eu-west-1"
"""The region a test under moto is in unless it names one."""


def isolate_aws_env(monkeypatch: pytest.MonkeyPatch, region: str) -> None:
    """Dummy credentials and one region; nothing can reach a real account or a local endpoint."""
    for name in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CA_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.setenv("AWS_REGION", region)


def create_ledger_table(dynamodb: Any, name: str) -> None:
    """An env's ledger table as the contract describes it: (env, deployed_at) and the version index."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": records.PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": records.SORT_KEY, "AttributeType": "S"},
            {"AttributeName": "version", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": records.PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": records.SORT_KEY, "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": records.VERSION_INDEX,
                "KeySchema": [
                    {"AttributeName": "version", "KeyType": "HASH"},
                    {"AttributeName": records.SORT_KEY, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def create_bucket(s3: Any, name: str, region: str, versioned: bool = False) -> None:
    """A bucket in `region` (us-east-1 takes no location constraint), versioned if asked."""
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
