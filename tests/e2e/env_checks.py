"""boto3 checks of one deployed environment: the stack's promises and the workload's declared limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infrarep.config import EnvSettings

from .tagging import assert_every_taggable_resource_tagged, state_of

Client = Callable[[str], Any]


ACCOUNT = "123456789012"  # moto's default account: the caller's, where the state buckets are


def as_role(local: Any, service: str, region: str, role_arn: str) -> Any:
    """A boto3 client against the local AWS acting as `role_arn`: moto keeps what an assumed
    role creates or reads in that role's account."""
    import boto3

    assumed = local.client("sts", region).assume_role(RoleArn=role_arn, RoleSessionName="e2e")
    credentials = assumed["Credentials"]
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=local.endpoint,
        verify=local.ca_bundle,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def assert_stack_matches(
    env: EnvSettings, client: Client, version: str, state_client: Client | None = None
) -> None:
    """Ledger on-demand with PITR and stream, config store versioned and private, control
    functions arm64, VPC endpoints for every service the functions call, one tagging scheme on
    every taggable resource of the env's state. `client`: the env's account; `state_client`:
    the caller's, where the state is (default: the same)."""
    prefix = f"infrarep-{env.name}"
    dynamodb = client("dynamodb")
    table = dynamodb.describe_table(TableName=f"{prefix}-ledger")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    backups = dynamodb.describe_continuous_backups(TableName=f"{prefix}-ledger")
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    assert table["DeletionProtectionEnabled"] is env.deletion_protection

    s3 = client("s3")
    bucket = f"{prefix}-config-{env.account_id or ACCOUNT}"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4

    functions = client("lambda")
    for short in ("drift-validator", "deployment-recorder", "rollback-executor"):
        config = functions.get_function(FunctionName=f"{prefix}-{short}")["Configuration"]
        assert (config["Architectures"], config["Handler"]) == (["arm64"], "handler.handler")

    ec2 = client("ec2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": [env.vpc_cidr]}])["Vpcs"]
    (vpc,) = vpcs
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])
    services = {endpoint["ServiceName"].rsplit(".", 1)[1] for endpoint in endpoints["VpcEndpoints"]}
    wanted = {"s3", "dynamodb", "lambda", "sns", "events", "sts", "logs", "states", "kms", "monitoring"}
    assert wanted <= services, wanted - services
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    assert len({subnet["AvailabilityZone"] for subnet in subnets}) == env.az_count

    state = state_of(
        state_client or client, f"infrarep-tfstate-{env.region}", f"{env.name}/terraform.tfstate"
    )
    expected = {"System": "infrarep", "Environment": env.name, "ManagedBy": "terraform", "Version": version}
    checked = assert_every_taggable_resource_tagged(state, client, expected)
    assert {
        "aws_vpc",
        "aws_dynamodb_table",
        "aws_s3_bucket",
        "aws_lambda_function",
        "aws_rds_cluster",
    } <= checked


def assert_workload_matches(env: EnvSettings, client: Client) -> None:
    """`client(service)`: a boto3 client for the env's region."""
    name = f"infrarep-{env.name}-payments"
    limits = env.payments

    api = next(a for a in client("apigateway").get_rest_apis()["items"] if a["name"] == name)
    stage = client("apigateway").get_stage(restApiId=api["id"], stageName="v1")
    settings = stage["methodSettings"]["*/*"]
    assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (
        limits.api_rate_limit,
        limits.api_burst_limit,
    )
    assert stage["tracingEnabled"] is True

    wafv2 = client("wafv2")
    acl_summary = next(a for a in wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"] if a["Name"] == name)
    acl = wafv2.get_web_acl(Name=name, Scope="REGIONAL", Id=acl_summary["Id"])["WebACL"]
    rate_rule = next(r for r in acl["Rules"] if r["Name"] == "rate-limit-per-ip")
    assert rate_rule["Statement"]["RateBasedStatement"]["Limit"] == limits.waf_rate_limit
    associated = wafv2.get_web_acl_for_resource(ResourceArn=stage_arn(api["id"], client))
    assert associated["WebACL"]["Name"] == name

    rule = client("xray").get_sampling_rules()["SamplingRuleRecords"]
    rates = {r["SamplingRule"]["RuleName"]: r["SamplingRule"]["FixedRate"] for r in rule}
    assert rates[name] == limits.xray_sampling_rate

    rds = client("rds")
    cluster = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]
    assert cluster["Engine"] == "aurora-postgresql"
    assert cluster["StorageType"] == ("aurora-iopt1" if limits.aurora_io_optimized else "aurora")
    members = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [name]}])["DBInstances"]
    classes = [member["DBInstanceClass"] for member in members]
    assert classes == [limits.aurora_instance_class] * limits.aurora_instances

    targets = client("application-autoscaling").describe_scalable_targets(ServiceNamespace="dynamodb")
    table = f"table/{name}-transactions"
    bounds = {
        t["ScalableDimension"]: (t["MinCapacity"], t["MaxCapacity"])
        for t in targets["ScalableTargets"]
        if t["ResourceId"] == table
    }
    capacity = (limits.table_capacity.min, limits.table_capacity.max)
    assert bounds == {
        "dynamodb:table:ReadCapacityUnits": capacity,
        "dynamodb:table:WriteCapacityUnits": capacity,
    }

    sqs = client("sqs")
    queue = sqs.get_queue_url(QueueName=f"{name}-created")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert f":{name}-created-dlq" in attributes["RedrivePolicy"]
    assert int(attributes["VisibilityTimeout"]) > limits.lambda_timeout_s
    assert attributes["ReceiveMessageWaitTimeSeconds"] == "20"
    dlq = sqs.get_queue_url(QueueName=f"{name}-created-dlq")["QueueUrl"]
    dlq_attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
    assert dlq_attributes["MessageRetentionPeriod"] == "1209600"

    functions = client("lambda")
    for short in ("api", "worker"):
        config = functions.get_function(FunctionName=f"{name}-{short}")["Configuration"]
        assert (config["MemorySize"], config["Timeout"]) == (limits.lambda_memory_mb, limits.lambda_timeout_s)
        assert config["Architectures"] == ["arm64"]

    alarms = {
        a["AlarmName"]: a["Threshold"]
        for a in client("cloudwatch").describe_alarms(AlarmNamePrefix=name)["MetricAlarms"]
    }
    assert alarms[f"{name}-api-5xx"] == limits.alarm_error_threshold
    assert alarms[f"{name}-api-latency-p99"] == limits.alarm_p99_latency_ms
    assert alarms[f"{name}-created-dead-letters"] == 0


def stage_arn(api_id: str, client: Client) -> str:
    region = client("apigateway").meta.region_name
    return f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/v1"
