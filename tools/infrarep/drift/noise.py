"""Provider noise: differences the AWS provider makes on its own, which are not drift (empty
values it reads back, zero values of unset numbers, attributes another resource owns)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import plans
from ..plans import Plan

EMPTY_VALUES: tuple[Any, ...] = (None, "", (), {})
"""Values that mean "not set". The AWS provider reads an unset map back as `{}` and an unset
list as `[]` (e.g. `tags` null -> {} and `layers` null -> [] in `resource_drift` right after
a clean apply, on real AWS too), and SDKv2 cannot tell an unset string from "". Map entries
and attributes holding one of these are dropped before comparing."""


@dataclass(frozen=True)
class OwnedAttribute:
    """`attribute` of `resource_type` is managed by a separate `owner_type` resource whose
    `link` argument points at it; when such an owner is configured, differences in the
    attribute are the owner's business (its own record shows them) and are ignored here.
    `anywhere`: the owner usually sits in another module and reaches the resource through
    module inputs, so any configured owner of that type counts."""

    resource_type: str
    attribute: str
    owner_type: str
    link: str
    anywhere: bool = False


_S3_BUCKET_SETTINGS = {
    "versioning": "aws_s3_bucket_versioning",
    "server_side_encryption_configuration": "aws_s3_bucket_server_side_encryption_configuration",
    "logging": "aws_s3_bucket_logging",
    "lifecycle_rule": "aws_s3_bucket_lifecycle_configuration",
    "replication_configuration": "aws_s3_bucket_replication_configuration",
    "policy": "aws_s3_bucket_policy",
    "acl": "aws_s3_bucket_acl",
    "grant": "aws_s3_bucket_acl",
    "cors_rule": "aws_s3_bucket_cors_configuration",
    "website": "aws_s3_bucket_website_configuration",
    "object_lock_configuration": "aws_s3_bucket_object_lock_configuration",
    "acceleration_status": "aws_s3_bucket_accelerate_configuration",
    "request_payer": "aws_s3_bucket_request_payment_configuration",
}
"""Bucket attribute: the resource that owns it since provider v4. The bucket still reads the
setting back (versioning flips to enabled, policy appears) once the owner applies."""

OWNED_ATTRIBUTES: tuple[OwnedAttribute, ...] = (
    *(OwnedAttribute("aws_s3_bucket", name, owner, "bucket") for name, owner in _S3_BUCKET_SETTINGS.items()),
    # Security groups: standalone rule resources own the group's inline rule lists.
    OwnedAttribute(
        "aws_security_group", "ingress", "aws_vpc_security_group_ingress_rule", "security_group_id"
    ),
    OwnedAttribute("aws_security_group", "egress", "aws_vpc_security_group_egress_rule", "security_group_id"),
    OwnedAttribute("aws_security_group", "ingress", "aws_security_group_rule", "security_group_id"),
    OwnedAttribute("aws_security_group", "egress", "aws_security_group_rule", "security_group_id"),
    # IAM roles list the inline and attached policies that separate resources manage.
    OwnedAttribute("aws_iam_role", "inline_policy", "aws_iam_role_policy", "role"),
    OwnedAttribute("aws_iam_role", "managed_policy_arns", "aws_iam_role_policy_attachment", "role"),
    # Topic and queue policies set by their policy resources read back on the topic/queue.
    OwnedAttribute("aws_sns_topic", "policy", "aws_sns_topic_policy", "arn"),
    OwnedAttribute("aws_sqs_queue", "policy", "aws_sqs_queue_policy", "queue_url"),
    OwnedAttribute("aws_sqs_queue", "redrive_policy", "aws_sqs_queue_redrive_policy", "queue_url"),
    OwnedAttribute(
        "aws_sqs_queue", "redrive_allow_policy", "aws_sqs_queue_redrive_allow_policy", "queue_url"
    ),
    # Routes created as aws_route resources show up in the table's inline `route` list.
    OwnedAttribute("aws_route_table", "route", "aws_route", "route_table_id"),
    # An Aurora cluster lists the instances created after it; a stage names the web ACL
    # a separate association attaches (right after a clean apply: [] -> members, "" -> ARN).
    OwnedAttribute("aws_rds_cluster", "cluster_members", "aws_rds_cluster_instance", "cluster_identifier"),
    OwnedAttribute(
        "aws_api_gateway_stage", "web_acl_arn", "aws_wafv2_web_acl_association", "resource_arn", anywhere=True
    ),
)


def prune(value: Any) -> Any:
    """`value` with every empty value (`EMPTY_VALUES`) dropped from maps; None if nothing is left.
    List positions are kept (an empty element becomes None)."""
    if isinstance(value, dict):
        kept = {key: pruned for key, item in value.items() if (pruned := prune(item)) is not None}
        return kept or None
    if isinstance(value, list):
        items = [prune(item) for item in value]
        return items if any(item is not None for item in items) else None
    if value is None or value == "":
        return None
    return value


def unset_zero(old: Any, new: Any) -> bool:
    """null on one side, 0 or false on the other: SDKv2 providers read an unset number or
    bool back as its zero value (a nested `period` null -> 0 right after a clean apply)."""
    if (old is None) == (new is None):
        return False
    value = new if old is None else old
    return isinstance(value, bool | int | float) and not value


class Ownership:
    """Which attributes of a resource another configured resource owns (`OWNED_ATTRIBUTES`)."""

    def __init__(self, plan: Plan) -> None:
        self.config = plan.config
        self._cache: dict[tuple[tuple[str, ...], str], dict[str, tuple[str, ...]]] = {}

    def attributes(self, record: plans.Record) -> frozenset[str]:
        return frozenset(self.owners(record))

    def owners(self, record: plans.Record) -> dict[str, tuple[str, ...]]:
        """Each owned attribute of the resource, with the owners' addresses in its module (none
        for an owner that may be anywhere)."""
        key = (record.module, record.config_address)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._find(record)
        return found

    def _find(self, record: plans.Record) -> dict[str, tuple[str, ...]]:
        rules = [rule for rule in OWNED_ATTRIBUTES if rule.resource_type == record.type]
        module = self.config.module(record.module) if rules else None
        owned: dict[str, tuple[str, ...]] = {}
        for rule in rules:
            if rule.anywhere:
                if any(
                    candidate.type == rule.owner_type and candidate.mode == plans.Mode.MANAGED
                    for _, candidate in self.config.resources()
                ):
                    owned.setdefault(rule.attribute, ())
                continue
            for candidate in module.resources if module is not None else ():
                if candidate.type != rule.owner_type or candidate.mode != plans.Mode.MANAGED:
                    continue
                link = self.config.expressions(candidate).get(rule.link)
                references = link.get("references", []) if isinstance(link, dict) else []
                if not references or any(_refers_to(ref, record.config_address) for ref in references):
                    owned[rule.attribute] = (*owned.get(rule.attribute, ()), candidate.address)
        return owned


def _refers_to(reference: str, config_address: str) -> bool:
    return reference == config_address or reference.startswith((config_address + ".", config_address + "["))
