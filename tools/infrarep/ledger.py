"""The memory of promotion, in AWS: ledger rows (DynamoDB), config snapshots (S3), the
EnvironmentUpdate metric and event. Schema and key formats come from `records`, which
the Lambda functions share. `make_clients` is where infrarep makes its boto3 clients.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import records
from .errors import InfrarepError


class LedgerUnavailable(InfrarepError):
    """The ledger or config store could not be read or written."""


@dataclass(frozen=True)
class EnvResources:
    """Where one environment keeps its records (the stack's outputs)."""

    env: str
    region: str
    ledger_table: str
    config_bucket: str


@dataclass
class Clients:
    """boto3 clients for one region (and one identity), built once by the caller."""

    dynamodb: Any
    s3: Any
    cloudwatch: Any
    events: Any
    sns: Any
    sts: Any = None


def make_clients(
    region: str, endpoint: str | None = None, ca_bundle: str | None = None, role_arn: str | None = None
) -> Clients:
    """Clients for `region`: of real AWS, or with `endpoint` of the local AWS (its certificate
    authority `ca_bundle`, and the test credentials moto takes); with `role_arn`, as that role."""
    import boto3

    local = {"aws_access_key_id": "test", "aws_secret_access_key": "test"} if endpoint is not None else {}
    session = boto3.session.Session(region_name=region, **local)
    extra: dict[str, Any] = {"endpoint_url": endpoint, "verify": ca_bundle} if endpoint is not None else {}
    if role_arn is not None:
        session = _as_role(session, role_arn, extra)
    return Clients(
        dynamodb=session.client("dynamodb", **extra),
        s3=session.client("s3", **extra),
        cloudwatch=session.client("cloudwatch", **extra),
        events=session.client("events", **extra),
        sns=session.client("sns", **extra),
        sts=session.client("sts", **extra),
    )


def _as_role(caller: Any, role_arn: str, extra: dict[str, Any]) -> Any:
    """A session acting as `role_arn`, assumed with `caller`'s credentials. The role is assumed
    again before its credentials expire: a deploy records its result after the apply, and an
    Aurora cluster alone can take longer than the hour a role session lasts."""
    import boto3
    import botocore.credentials
    import botocore.session

    sts = caller.client("sts", **extra)

    def assume() -> dict[str, str]:
        try:
            credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="infrarep", DurationSeconds=3600)[
                "Credentials"
            ]
        except Exception as err:  # botocore errors share no useful base beyond this
            raise InfrarepError(f"cannot assume {role_arn}: {err}") from err
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }

    refreshing = botocore.credentials.RefreshableCredentials.create_from_metadata(
        metadata=assume(), refresh_using=assume, method="assume-role"
    )
    core = botocore.session.Session()
    core.register_component(
        "credential_provider", botocore.credentials.CredentialResolver([_Given(refreshing)])
    )
    return boto3.session.Session(botocore_session=core, region_name=caller.region_name)


class _Given:
    """A credential provider that hands out credentials made already (botocore's resolver asks
    its providers in turn; this one always answers)."""

    METHOD = "assume-role"

    def __init__(self, credentials: Any) -> None:
        self.credentials = credentials

    def load(self) -> Any:
        return self.credentials


def record(clients: Clients, where: EnvResources, entry: records.LedgerEntry) -> bool:
    """Write one ledger row; False if that exact event was recorded already."""
    try:
        clients.dynamodb.put_item(
            TableName=where.ledger_table,
            Item=entry.to_attribute_values(),
            ConditionExpression=records.NEW_ROW_CONDITION,
        )
    except clients.dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    except Exception as err:  # botocore errors share no useful base beyond this
        raise LedgerUnavailable(f"ledger {where.ledger_table} ({where.region}): {err}") from err
    return True


def history(clients: Clients, where: EnvResources) -> list[records.LedgerEntry]:
    """All of the env's rows, newest first: the row that says what runs may be older than any
    number of drift checks and failed attempts."""
    try:
        pages = clients.dynamodb.get_paginator("query").paginate(
            TableName=where.ledger_table,
            KeyConditionExpression="#env = :env",
            ExpressionAttributeNames={"#env": records.PARTITION_KEY},
            ExpressionAttributeValues={":env": {"S": where.env}},
            ScanIndexForward=False,
        )
        items = [item for page in pages for item in page.get("Items", [])]
    except Exception as err:
        raise LedgerUnavailable(f"ledger {where.ledger_table} ({where.region}): {err}") from err
    return [records.LedgerEntry.from_item(item) for item in items]


def rows_of_version(clients: Clients, where: EnvResources, version: str) -> list[records.LedgerEntry]:
    """Every row of `version` in the env, newest first (through the `version-index` GSI)."""
    try:
        pages = clients.dynamodb.get_paginator("query").paginate(
            TableName=where.ledger_table,
            IndexName=records.VERSION_INDEX,
            KeyConditionExpression="#version = :version",
            FilterExpression="#env = :env",
            ExpressionAttributeNames={"#version": "version", "#env": records.PARTITION_KEY},
            ExpressionAttributeValues={":version": {"S": version}, ":env": {"S": where.env}},
            ScanIndexForward=False,
        )
        items = [item for page in pages for item in page.get("Items", [])]
    except Exception as err:
        raise LedgerUnavailable(f"ledger {where.ledger_table} ({where.region}): {err}") from err
    return [records.LedgerEntry.from_item(item) for item in items]


def read_snapshot(clients: Clients, where: EnvResources, version: str) -> dict[str, Any] | None:
    """The parameters `snapshot` stored for `version`; None if the config store has none."""
    key = records.tfvars_key(where.env, version)
    try:
        answer = clients.s3.get_object(Bucket=where.config_bucket, Key=key)
    except clients.s3.exceptions.NoSuchKey:
        return None
    except Exception as err:
        raise LedgerUnavailable(f"config store {where.config_bucket} ({where.region}): {err}") from err
    try:
        parameters = json.loads(answer["Body"].read())
    except ValueError as err:
        raise LedgerUnavailable(f"s3://{where.config_bucket}/{key}: not JSON ({err})") from err
    if not isinstance(parameters, dict):
        raise LedgerUnavailable(f"s3://{where.config_bucket}/{key}: expected an object of variables")
    return parameters


def snapshot(clients: Clients, where: EnvResources, version: str, parameters: dict[str, Any]) -> str:
    """Store the env's rendered parameters for `version`: the current parameters object (what a
    rollback restores) and an immutable per-version copy. Returns the S3 version id."""
    body = json.dumps(parameters, sort_keys=True, indent=2).encode()
    metadata = {records.VERSION_METADATA: version}
    try:
        clients.s3.put_object(
            Bucket=where.config_bucket,
            Key=records.tfvars_key(where.env, version),
            Body=body,
            Metadata=metadata,
        )
        answer = clients.s3.put_object(
            Bucket=where.config_bucket, Key=records.parameters_key(where.env), Body=body, Metadata=metadata
        )
    except Exception as err:
        raise LedgerUnavailable(f"config store {where.config_bucket} ({where.region}): {err}") from err
    return str(answer.get("VersionId", ""))


def put_manifest(clients: Clients, where: EnvResources, manifest: records.Manifest) -> None:
    """Store the env's config manifest where the drift validator reads it."""
    try:
        clients.s3.put_object(
            Bucket=where.config_bucket,
            Key=records.manifest_key(where.env),
            Body=manifest.canonical_bytes(),
            ContentType="application/json",
            Metadata={records.VERSION_METADATA: manifest.version},
        )
    except Exception as err:
        raise LedgerUnavailable(f"config store {where.config_bucket} ({where.region}): {err}") from err


def publish_update(clients: Clients, update: records.EnvironmentUpdate) -> None:
    """The EnvironmentUpdate metric and event: dashboards count it, the env's rule reacts to it."""
    try:
        clients.cloudwatch.put_metric_data(
            Namespace=records.METRIC_NAMESPACE,
            MetricData=[
                {
                    "MetricName": records.METRIC_ENVIRONMENT_UPDATE,
                    "Dimensions": [{"Name": "Env", "Value": update.env}],
                    "Value": 1.0,
                    "Unit": "Count",
                }
            ],
        )
        clients.events.put_events(Entries=[update.to_event_entry()])
    except Exception as err:
        raise LedgerUnavailable(f"EnvironmentUpdate for {update.env}: {err}") from err
