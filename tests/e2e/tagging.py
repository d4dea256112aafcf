"""The tagging scheme, checked on every taggable resource of a Terraform state, as AWS reports it.

A resource is taggable when its state carries `tags_all`; its tags are read back from the
service itself (not from the state), one reader per resource type.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

Client = Callable[[str], Any]

TAG_KEYS = frozenset({"System", "Environment", "ManagedBy", "CostCenter", "Version", "SourceCommit"})


def state_of(client: Client, bucket: str, key: str) -> dict[str, Any]:
    """A remote state document, read from the state bucket."""
    return json.loads(client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def assert_every_taggable_resource_tagged(
    state: dict[str, Any], client: Client, expected: dict[str, str]
) -> set[str]:
    """Every managed resource with `tags_all` carries all of TAG_KEYS with the `expected` values.

    Returns the resource types checked, so a caller can assert the walk saw what it should."""
    checked = set()
    for resource in state["resources"]:
        if resource["mode"] != "managed":
            continue
        for instance in resource["instances"]:
            attributes = instance["attributes"]
            if "tags_all" not in attributes:
                continue
            address = f"{resource.get('module', '')}.{resource['type']}.{resource['name']}".lstrip(".")
            tags = service_tags(client, resource["type"], attributes)
            assert set(tags) >= TAG_KEYS, f"{address}: missing {sorted(TAG_KEYS - set(tags))}"
            found = {key: tags[key] for key in expected}
            assert found == expected, f"{address}: {found}"
            checked.add(resource["type"])
    return checked


def _pairs(tags: Iterable[dict[str, str]], key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {tag[key]: tag[value] for tag in tags}


def service_tags(client: Client, kind: str, attributes: dict[str, Any]) -> dict[str, str]:
    """The tags the service reports for one resource of the state."""
    arn = attributes.get("arn", "")
    if kind in _EC2_KINDS:
        filters = [{"Name": "resource-id", "Values": [attributes["id"]]}]
        return _pairs(client("ec2").describe_tags(Filters=filters)["Tags"])
    if kind in _RDS_KINDS:
        return _pairs(client("rds").list_tags_for_resource(ResourceName=arn)["TagList"])
    reader = _READERS.get(kind)
    if reader is None:
        raise AssertionError(f"{kind}: taggable, but no reader of its tags yet (add one to tagging.py)")
    return reader(client, attributes, arn)


_EC2_KINDS = {
    "aws_vpc",
    "aws_subnet",
    "aws_route_table",
    "aws_security_group",
    "aws_default_security_group",
    "aws_vpc_endpoint",
    "aws_flow_log",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
}
_RDS_KINDS = {
    "aws_rds_cluster",
    "aws_rds_cluster_instance",
    "aws_db_subnet_group",
    "aws_rds_cluster_parameter_group",
}


def _codebuild(client: Client, attributes: dict[str, Any], _arn: str) -> dict[str, str]:
    (project,) = client("codebuild").batch_get_projects(names=[attributes["name"]])["projects"]
    return _pairs(project.get("tags", []), "key", "value")


def _wafv2(client: Client, _attributes: dict[str, Any], arn: str) -> dict[str, str]:
    found = client("wafv2").list_tags_for_resource(ResourceARN=arn)["TagInfoForResource"]
    return _pairs(found.get("TagList", []))


def _by_arn(
    service: str,
    call: str = "list_tags_for_resource",
    param: str = "ResourceARN",
    result: str = "Tags",
    key: str = "Key",
    value: str = "Value",
) -> Callable[[Client, dict[str, Any], str], dict[str, str]]:
    """A reader that asks `service` for the tags of a resource by its ARN (a map, or a list of pairs)."""

    def read(client: Client, _attributes: dict[str, Any], arn: str) -> dict[str, str]:
        found = getattr(client(service), call)(**{param: arn})[result]
        return found if isinstance(found, dict) else _pairs(found, key, value)

    return read


_READERS: dict[str, Callable[[Client, dict[str, Any], str], dict[str, str]]] = {
    "aws_s3_bucket": lambda c, a, _: _pairs(c("s3").get_bucket_tagging(Bucket=a["bucket"])["TagSet"]),
    "aws_kms_key": lambda c, a, _: _pairs(
        c("kms").list_resource_tags(KeyId=a["key_id"])["Tags"], "TagKey", "TagValue"
    ),
    "aws_cloudwatch_log_group": lambda c, _, arn: c("logs").list_tags_for_resource(
        resourceArn=arn.removesuffix(":*")
    )["tags"],
    "aws_sns_topic": _by_arn("sns", param="ResourceArn"),
    "aws_sqs_queue": lambda c, a, _: c("sqs").list_queue_tags(QueueUrl=a["url"]).get("Tags", {}),
    "aws_dynamodb_table": _by_arn("dynamodb", "list_tags_of_resource", "ResourceArn"),
    "aws_lambda_function": _by_arn("lambda", "list_tags", "Resource"),
    "aws_lambda_event_source_mapping": _by_arn("lambda", "list_tags", "Resource"),
    # API Gateway returns tags with the resource (moto has no GetTags; the provider reads these too).
    "aws_api_gateway_rest_api": lambda c, a, _: (
        c("apigateway").get_rest_api(restApiId=a["id"]).get("tags", {})
    ),
    "aws_api_gateway_stage": lambda c, a, _: (
        c("apigateway").get_stage(restApiId=a["rest_api_id"], stageName=a["stage_name"]).get("tags", {})
    ),
    "aws_iam_role": lambda c, a, _: _pairs(c("iam").list_role_tags(RoleName=a["name"])["Tags"]),
    "aws_sfn_state_machine": _by_arn(
        "stepfunctions", param="resourceArn", result="tags", key="key", value="value"
    ),
    "aws_codebuild_project": _codebuild,
    "aws_codepipeline": _by_arn("codepipeline", param="resourceArn", result="tags", key="key", value="value"),
    "aws_cloudwatch_event_rule": _by_arn("events"),
    "aws_cloudwatch_event_bus": _by_arn("events"),
    "aws_cloudwatch_metric_alarm": _by_arn("cloudwatch"),
    "aws_cloudwatch_dashboard": _by_arn("cloudwatch"),
    "aws_wafv2_web_acl": _wafv2,
    "aws_secretsmanager_secret": lambda c, _, arn: _pairs(
        c("secretsmanager").describe_secret(SecretId=arn).get("Tags", [])
    ),
    "aws_appautoscaling_target": _by_arn("application-autoscaling"),
    "aws_xray_group": _by_arn("xray"),
    "aws_xray_sampling_rule": _by_arn("xray"),
}
