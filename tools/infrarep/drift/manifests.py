"""The three kinds of drift, kept apart: pure functions over plans read by `plans.load`.

1. live drift (`live_findings`): the cloud changed behind terraform - `resource_drift`
   of a refresh-only plan, never terraform's exit code;
2. pending change (`pending_findings`): `resource_changes` that are not no-ops;
3. parity drift (`parity_findings`): two envs differ in something that is not a declared
   per-env variation. A difference is expected when its value comes, through the plan's
   `configuration`, from a root input variable whose values differ between the two envs
   (resource expression -> module variable -> module call argument -> root variable);
   or from a value the provider assigns per resource; or when `drift-policy.yaml`
   accepts it. A literal that differs, or an expression that differs between the envs,
   is drift. This works on any terraform configuration's plan JSON.

Values are compared after normalising each env's name, region and account id (so
`arn:aws:sqs:us-east-1:111111111111:shop-dev-jobs` equals its staging sibling) and
provider noise (`EMPTY_VALUES`, `OWNED_ATTRIBUTES`). Sensitive values are compared but
never shown: `Marker.SENSITIVE` stands in for them in every finding.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from fnmatch import fnmatchcase
from functools import cached_property
from itertools import compress, groupby, islice, pairwise
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any, Literal, NamedTuple

import msgspec
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .. import plans
from ..errors import ConfigError
from ..plans import Action, ConfigResource, Plan, ResourceChange, ResourceDrift
from ..records import UNKNOWN, Manifest, canonical

PathStep = str | int
ValuePath = tuple[PathStep, ...]


class Kind(StrEnum):
    LIVE = "live"
    PENDING = "pending"
    PARITY = "parity"


class Verdict(StrEnum):
    DRIFT = "drift"
    EXPECTED = "expected"


class Change(StrEnum):
    CHANGED = "changed"  # live: attributes changed outside terraform
    MISSING = "missing"  # live: deleted outside terraform
    CREATE = "create"  # pending
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    DIFFERS = "differs"  # parity: attributes differ
    ONLY_IN = "only_in"  # parity: the resource exists in one env of the pair
    MODULE = "module"  # parity: a module call's source or version differs


class Marker(StrEnum):
    """Stand-ins for values a finding must not or cannot show."""

    SENSITIVE = "(sensitive)"
    UNKNOWN = "(known after apply)"
    ABSENT = "(absent)"


# --- findings and the report ---


@dataclass(frozen=True)
class AttributeDiff:
    """One attribute that differs. For parity, `before` is the pair's first env, `after` the second."""

    path: str
    before: Any
    after: Any
    verdict: Verdict = Verdict.DRIFT
    reason: str = ""


@dataclass(frozen=True)
class DriftFinding:
    kind: Kind
    scope: str
    """The env (`dev`) for live and pending; the pair (`dev~staging`) for parity."""
    address: str
    type: str
    change: Change
    verdict: Verdict
    reason: str = ""
    attributes: tuple[AttributeDiff, ...] = ()


@dataclass(frozen=True)
class ScopeSummary:
    kind: Kind
    scope: str
    resources: int
    """Resources looked at: drifted ones (live), planned changes (pending), compared pairs (parity)."""
    drift: int = 0
    expected: int = 0
    unknown: int = 0
    """Values not compared because the plan knows them only after apply."""
    normalised: int = 0
    """Resources whose differences were all provider noise (see `EMPTY_VALUES`, `OWNED_ATTRIBUTES`)."""


@dataclass(frozen=True)
class DriftReport:
    envs: tuple[str, ...]
    kinds: tuple[Kind, ...]
    pairs: tuple[tuple[str, str], ...]
    findings: tuple[DriftFinding, ...]
    summaries: tuple[ScopeSummary, ...]
    manifests: Mapping[str, Manifest] = field(default_factory=dict)
    inventory: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per env, the normalised addresses of its managed resources (for the html matrix)."""

    @property
    def drift(self) -> bool:
        return any(finding.verdict is Verdict.DRIFT for finding in self.findings)

    def drift_count(self, kind: Kind | None = None, scope: str | None = None) -> int:
        return sum(
            1
            for finding in self.findings
            if finding.verdict is Verdict.DRIFT
            and (kind is None or finding.kind is kind)
            and (scope is None or finding.scope == scope)
        )


def pair_scope(left: str, right: str) -> str:
    return f"{left}~{right}"


def scope_envs(scope: str) -> tuple[str, ...]:
    """`dev~staging` -> ("dev", "staging"); `dev` -> ("dev",)."""
    return tuple(scope.split("~"))


def default_pairs(envs: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Neighbours in promotion order: dev~staging, staging~prod."""
    return tuple(pairwise(envs))


# --- normalisation: env identity ---

_ARN_ACCOUNT = re.compile(rb"arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:([0-9]{12}):")
_SENTINELS = {"env": "\x01\x02", "region": "\x01\x03", "account_id": "\x01\x04"}
"""Stand-ins while replacing: control characters, so no env name, region or account id can
match inside one (a chained replace never re-replaces its own output)."""
PLACEHOLDERS = {"env": "${env}", "region": "${region}", "account_id": "${account_id}"}


@dataclass(frozen=True)
class EnvIdentity:
    """What makes one env's values differ from a sibling's without being drift."""

    name: str
    region: str | None = None
    account_id: str | None = None

    @cached_property
    def _patterns(self) -> tuple[tuple[str, re.Pattern[str], str], ...]:
        """(token, its pattern, sentinel), longest token first. A token only matches as a whole word:
        `dev` in `shop-dev-jobs` or `devQueue`, not in `device`; `prod` not in `product`;
        `Dev` in `ShopDevTable`; `DEV` in `SHOP_DEV`; the region also inside a zone (`us-east-1a`)."""
        tokens: dict[str, tuple[str, str, str]] = {}  # token: (kind, not before it, not after it)
        if self.name:
            lower, upper, capital = self.name.lower(), self.name.upper(), self.name.capitalize()
            tokens[lower] = ("env", "[a-z0-9]", "[a-z0-9]")
            tokens.setdefault(capital, ("env", "[A-Z0-9]", "[a-z0-9]"))
            tokens.setdefault(upper, ("env", "[A-Z0-9]", "[A-Z0-9]"))
            tokens.setdefault(self.name, ("env", "[A-Za-z0-9]", "[A-Za-z0-9]"))
        if self.region:
            tokens[self.region] = ("region", "[a-z0-9]", "[0-9]")
        if self.account_id:
            tokens[self.account_id] = ("account_id", "[0-9]", "[0-9]")
        ordered = sorted(tokens.items(), key=lambda item: -len(item[0]))  # longest first
        # The token's first character leads the pattern (so the regex engine jumps to candidates),
        # and the lookbehind follows it: `d(?<![a-z0-9]d)ev(?![a-z0-9])`, 6x faster than `(?<!..)dev`.
        return tuple(
            (
                token,
                re.compile(
                    f"{re.escape(token[0])}(?<!{before}{re.escape(token[0])}){re.escape(token[1:])}(?!{after})"
                ),
                _SENTINELS[kind],
            )
            for token, (kind, before, after) in ordered
        )

    @cached_property
    def _byte_patterns(self) -> tuple[tuple[bytes, re.Pattern[bytes], bytes], ...]:
        return tuple(
            (token.encode(), re.compile(pattern.pattern.encode()), sentinel.encode())
            for token, pattern, sentinel in self._patterns
        )

    def text(self, value: str) -> str:
        """`shop-dev-jobs` -> `shop-${env}-jobs` (and the region and account id likewise)."""
        for token, pattern, sentinel in self._patterns:
            if token in value:  # a plain search first: most values hold no token
                value = pattern.sub(sentinel, value)
        if "\x01" in value:
            for kind, sentinel in _SENTINELS.items():
                value = value.replace(sentinel, PLACEHOLDERS[kind])
        return value

    @cached_property
    def byte_tokens(self) -> tuple[tuple[bytes, bytes], ...]:
        """(token, sentinel) pairs of `raw`, longest first."""
        tokens = {name: _SENTINELS["env"] for name in (self.name, self.name.upper(), self.name.capitalize())}
        tokens[self.region or ""] = _SENTINELS["region"]
        tokens[self.account_id or ""] = _SENTINELS["account_id"]
        ordered = sorted(
            ((token, sentinel) for token, sentinel in tokens.items() if token), key=lambda t: -len(t[0])
        )
        return tuple((token.encode(), sentinel.encode()) for token, sentinel in ordered)

    def raw(self, data: bytes) -> bytes:
        """A loose, fast form of the replacement on raw JSON, for equality checks only (the result
        is not JSON): every occurrence is replaced, also inside words (`prod` in `product`). Two
        values equal after this are equal modulo the envs' identities; unequal ones are looked at
        again with `text` (whole words), and as written."""
        for token, sentinel in self.byte_tokens:
            data = data.replace(token, sentinel)
        return data

    def raw_json(self, data: bytes) -> bytes:
        """`text`'s whole-word replacement on raw JSON, still valid JSON."""
        for token, pattern, sentinel in self._byte_patterns:
            if token in data:
                data = pattern.sub(sentinel, data)
        return self.placeholders(data)

    @staticmethod
    def placeholders(data: bytes) -> bytes:
        """`raw` output -> JSON again: the stand-ins become `${env}`, `${region}`, `${account_id}`."""
        if b"\x01" in data:
            for kind, sentinel in _SENTINELS.items():
                data = data.replace(sentinel.encode(), PLACEHOLDERS[kind].encode())
        return data

    def value(self, value: Any) -> Any:
        """Normalise every string (and map key) inside a JSON value."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(key): self.value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return value

    def is_identity(self, value: Any) -> bool:
        """Is `value` this env's name, region or account id (normalising makes it equal anyway)?"""
        return isinstance(value, str) and value in {self.name, self.region, self.account_id}


def detect_identity(env: str, plan: Plan, region: str | None = None) -> EnvIdentity:
    """The env's identity: its name, its region (given, else the `aws` provider's `region`)
    and its account id (the first account id in an ARN the plan holds)."""
    return EnvIdentity(env, region or _provider_region(plan), _account_id(plan))


def _provider_region(plan: Plan) -> str | None:
    provider = plan.config.provider("aws")
    if provider is None:
        return None
    expressions = plan.config.decoded(provider.expressions)
    region = expressions.get("region") if isinstance(expressions, dict) else None
    if not isinstance(region, dict):
        return None
    if isinstance(region.get("constant_value"), str):
        return str(region["constant_value"])
    for reference in region.get("references", []):
        if reference.startswith("var.") and isinstance(plan.variable_value(reference[4:]), str):
            return str(plan.variable_value(reference[4:]))
    return None


_ACCOUNT_SAMPLE = 500
"""Resources whose ARNs vote for the env's account id (enough to outvote a few cross-account ARNs)."""


def _account_id(plan: Plan) -> str | None:
    """The account id most ARNs in the plan carry: a bucket policy naming another account, or
    a shared ECR registry, must not become the env's account id."""
    sample: list[bytes] = []
    for record in plan.changes[:_ACCOUNT_SAMPLE]:
        view = record.after
        sample += map(bytes, (*(view.raw_values() if view is not None else ()), record.change.before))
    for drifted in plan.drift[:_ACCOUNT_SAMPLE]:
        sample += map(bytes, (drifted.change.before, drifted.change.after))
    votes = Counter(_ARN_ACCOUNT.findall(b"\x1e".join(sample)))  # \x1e: never inside JSON text
    if not votes:
        return None
    return votes.most_common(1)[0][0].decode()


# --- normalisation: provider noise ---

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


OWNED_ATTRIBUTES: tuple[OwnedAttribute, ...] = (
    # S3: since provider v4 every bucket setting has its own resource; the bucket still reads
    # the setting back (versioning flips to enabled, policy appears) once the owner applies.
    OwnedAttribute("aws_s3_bucket", "versioning", "aws_s3_bucket_versioning", "bucket"),
    OwnedAttribute(
        "aws_s3_bucket",
        "server_side_encryption_configuration",
        "aws_s3_bucket_server_side_encryption_configuration",
        "bucket",
    ),
    OwnedAttribute("aws_s3_bucket", "logging", "aws_s3_bucket_logging", "bucket"),
    OwnedAttribute("aws_s3_bucket", "lifecycle_rule", "aws_s3_bucket_lifecycle_configuration", "bucket"),
    OwnedAttribute(
        "aws_s3_bucket", "replication_configuration", "aws_s3_bucket_replication_configuration", "bucket"
    ),
    OwnedAttribute("aws_s3_bucket", "policy", "aws_s3_bucket_policy", "bucket"),
    OwnedAttribute("aws_s3_bucket", "acl", "aws_s3_bucket_acl", "bucket"),
    OwnedAttribute("aws_s3_bucket", "grant", "aws_s3_bucket_acl", "bucket"),
    OwnedAttribute("aws_s3_bucket", "cors_rule", "aws_s3_bucket_cors_configuration", "bucket"),
    OwnedAttribute("aws_s3_bucket", "website", "aws_s3_bucket_website_configuration", "bucket"),
    OwnedAttribute(
        "aws_s3_bucket", "object_lock_configuration", "aws_s3_bucket_object_lock_configuration", "bucket"
    ),
    OwnedAttribute(
        "aws_s3_bucket", "acceleration_status", "aws_s3_bucket_accelerate_configuration", "bucket"
    ),
    OwnedAttribute("aws_s3_bucket", "request_payer", "aws_s3_bucket_request_payment_configuration", "bucket"),
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


def _canonical(value: Any) -> bytes:
    return msgspec.json.encode(value, order="sorted")


def value_diffs(before: Any, after: Any, path: ValuePath = ()) -> Iterable[tuple[ValuePath, Any, Any]]:
    """Leaves that differ between two pruned JSON values. Lists with the same elements in
    another order are equal (terraform sets have no order; envs may sort them differently)."""
    if before == after:
        return
    if _containers(before, after, dict):
        left, right = before or {}, after or {}
        for key in sorted(set(left) | set(right), key=str):
            yield from value_diffs(left.get(key), right.get(key), (*path, key))
        return
    if _containers(before, after, list):
        left_items, right_items = before or [], after or []
        if len(left_items) == len(right_items) and sorted(map(_canonical, left_items)) == sorted(
            map(_canonical, right_items)
        ):
            return
        for position in range(max(len(left_items), len(right_items))):
            left_item = left_items[position] if position < len(left_items) else None
            right_item = right_items[position] if position < len(right_items) else None
            yield from value_diffs(left_item, right_item, (*path, position))
        return
    yield path, before, after


def _containers(before: Any, after: Any, kind: type) -> bool:
    """Both are `kind` or None (not both None: equal values never get here)."""
    return isinstance(before, kind | None) and isinstance(after, kind | None)


def value_at(value: Any, path: ValuePath) -> Any:
    for step in path:
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value


def mask_at(mask: Any, path: ValuePath) -> bool:
    """terraform's after_unknown / *_sensitive masks: `true` at the path or above it."""
    for step in path:
        if mask is True:
            return True
        if isinstance(step, int) and isinstance(mask, list) and step < len(mask):
            mask = mask[step]
        elif isinstance(step, str) and isinstance(mask, dict):
            mask = mask.get(step)
        else:
            return False
    return mask is True


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def path_text(path: ValuePath) -> str:
    """("environment", 0, "variables", "A") -> `environment[0].variables.A`; odd keys quoted."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif _IDENTIFIER.match(step):
            text += f".{step}" if text else step
        else:
            text += f"[{msgspec.json.encode(step).decode()}]"
    return text


# --- the drift policy ---

DEFAULT_POLICY_NAME = "drift-policy.yaml"


class PolicyRule(BaseModel):
    """An accepted difference: resource type and/or address pattern, attribute path, reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str | None = Field(default=None, min_length=1)
    address: str | None = Field(default=None, min_length=1)
    attribute: str | None = Field(default=None, min_length=1)
    reason: str = Field(min_length=1)
    kinds: tuple[Kind, ...] = (Kind.PARITY,)

    @model_validator(mode="after")
    def _targets_something(self) -> PolicyRule:
        if self.type is None and self.address is None:
            raise ValueError("give `type` or `address` (or both)")
        return self

    def matches(self, kind: Kind, resource_type: str, address: str, attribute: str | None) -> bool:
        if kind not in self.kinds:
            return False
        if self.type is not None and not fnmatchcase(resource_type, self.type):
            return False
        if self.address is not None and not fnmatchcase(address, self.address):
            return False
        if self.attribute is None:
            return True
        if attribute is None:
            return False
        return (
            fnmatchcase(attribute, self.attribute)
            or attribute.startswith(self.attribute + ".")
            or attribute.startswith(self.attribute + "[")
        )


class Policy(BaseModel):
    """`drift-policy.yaml`: differences a team has accepted, each with its reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    accepted: tuple[PolicyRule, ...] = ()
    source: str = Field(default=DEFAULT_POLICY_NAME, exclude=True)

    def accepts(self, kind: Kind, resource_type: str, address: str, attribute: str | None) -> str | None:
        """The reason of the first rule that accepts this difference, else None."""
        for rule in self.accepted:
            if rule.matches(kind, resource_type, address, attribute):
                return f"accepted by {self.source}: {rule.reason}"
        return None


def parse_policy(text: str, source: Path) -> Policy:
    from ..config import YAML_ERRORS, yaml_problem

    try:
        document = yaml.safe_load(text)
    except YAML_ERRORS as err:
        raise ConfigError(f"{source}: {yaml_problem(err, text)}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: expected a mapping with `accepted:`")
    try:
        return Policy.model_validate({**document, "source": source.name})
    except ValidationError as err:
        problem = err.errors(include_url=False)[0]
        where = ".".join(str(part) for part in problem["loc"])
        message = str(problem["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{source}: {where}: {message}" if where else f"{source}: {message}") from None


def load_policy(path: Path) -> Policy:
    from ..files import read_text

    try:
        return parse_policy(read_text(path), path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such drift policy file") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror})") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply, or a value contains itself") from None


# --- live drift ---


def live_findings(
    env: str, plan: Plan, policy: Policy | None = None
) -> tuple[list[DriftFinding], ScopeSummary]:
    """What changed outside terraform, from the plan's `resource_drift`."""
    owned = _Ownership(plan)
    findings: list[DriftFinding] = []
    normalised = 0
    drifted = [record for record in plan.drift if record.managed]
    for record in drifted:
        action = record.change.action
        if action is Action.DELETE:
            finding = DriftFinding(
                Kind.LIVE,
                env,
                record.address,
                record.type,
                Change.MISSING,
                Verdict.DRIFT,
                "deleted outside terraform",
            )
        else:
            attributes = _full_diffs(record, owned.attributes(record))
            if not attributes:
                normalised += 1
                continue
            finding = DriftFinding(
                Kind.LIVE,
                env,
                record.address,
                record.type,
                Change.CHANGED,
                Verdict.DRIFT,
                "changed outside terraform",
                attributes,
            )
        findings.append(_apply_policy(finding, policy))
    return findings, _summary(Kind.LIVE, env, len(drifted), findings, normalised=normalised)


def _full_diffs(record: ResourceDrift, ignored: frozenset[str]) -> tuple[AttributeDiff, ...]:
    change = record.change
    before, after = plans.decode_json(change.before), plans.decode_json(change.after)
    before_sensitive = plans.decode_json(change.before_sensitive)
    after_sensitive = plans.decode_json(change.after_sensitive)
    before = {k: v for k, v in (before or {}).items() if k not in ignored}
    after = {k: v for k, v in (after or {}).items() if k not in ignored}
    found: list[tuple[ValuePath, Any, Any]] = list(value_diffs(prune(before), prune(after)))
    tag_changes = {path[1:] for path, _, _ in found if path[:1] == ("tags",)}
    diffs = []
    for path, old, new in found:
        if path[:1] == (plans.DERIVED_TAGS,) and path[1:] in tag_changes:
            continue  # tags_all repeats what tags already shows
        if _unset_zero(old, new):
            continue
        diffs.append(
            AttributeDiff(
                path_text(path),
                _masked(old, before_sensitive, path),
                _masked(new, after_sensitive, path),
            )
        )
    return tuple(diffs)


def _unset_zero(old: Any, new: Any) -> bool:
    """null on one side, 0 or false on the other: SDKv2 providers read an unset number or
    bool back as its zero value (a nested `period` null -> 0 right after a clean apply)."""
    if (old is None) == (new is None):
        return False
    value = new if old is None else old
    return isinstance(value, bool | int | float) and not value


def _shown(value: Any, sensitive: bool, unknown: bool = False) -> Any:
    if unknown:
        return Marker.UNKNOWN
    if sensitive:
        return Marker.SENSITIVE
    return Marker.ABSENT if value is None else value


def _masked(value: Any, sensitive_mask: Any, path: ValuePath, unknown: bool = False) -> Any:
    """`_shown` for the value at `path`, with every sensitive part below it replaced too (a diff
    can sit on a map or list that holds a sensitive element)."""
    node = mask_node(sensitive_mask, path)
    if node is True or unknown:
        return _shown(value, node is True, unknown)
    if node is not None and value is not None:
        value = redact(value, node)
    return _shown(value, False)


def mask_node(mask: Any, path: ValuePath) -> Any:
    """The part of a terraform mask that covers `path`: True when the path or one above it is
    marked, else the nested mask (None if nothing below is marked)."""
    for step in path:
        if mask is True:
            return True
        if isinstance(step, int) and isinstance(mask, list) and step < len(mask):
            mask = mask[step]
        elif isinstance(step, str) and isinstance(mask, dict):
            mask = mask.get(step)
        else:
            return None
    return mask


def redact(value: Any, mask: Any) -> Any:
    """`value` with every part `mask` marks replaced by `Marker.SENSITIVE`."""
    if mask is True:
        return Marker.SENSITIVE
    if isinstance(mask, dict) and isinstance(value, dict):
        return {key: redact(item, mask.get(key)) for key, item in value.items()}
    if isinstance(mask, list) and isinstance(value, list):
        return [
            redact(item, mask[position] if position < len(mask) else None)
            for position, item in enumerate(value)
        ]
    return value


class _Ownership:
    """Which attributes of a resource another configured resource owns (`OWNED_ATTRIBUTES`)."""

    def __init__(self, plan: Plan) -> None:
        self.config = plan.config
        self._cache: dict[tuple[tuple[str, ...], str], frozenset[str]] = {}

    def attributes(self, record: plans.Record) -> frozenset[str]:
        key = (record.module, record.config_address)
        if key not in self._cache:
            self._cache[key] = self._find(record)
        return self._cache[key]

    def _find(self, record: plans.Record) -> frozenset[str]:
        rules = [rule for rule in OWNED_ATTRIBUTES if rule.resource_type == record.type]
        module = self.config.module(record.module) if rules else None
        owned = set()
        for rule in rules:
            if rule.anywhere:
                if any(
                    candidate.type == rule.owner_type and candidate.mode == plans.Mode.MANAGED
                    for _, candidate in self.config.resources()
                ):
                    owned.add(rule.attribute)
                continue
            for candidate in module.resources if module is not None else ():
                if candidate.type != rule.owner_type or candidate.mode != plans.Mode.MANAGED:
                    continue
                link = self.config.expressions(candidate).get(rule.link)
                references = link.get("references", []) if isinstance(link, dict) else []
                if not references or any(_refers_to(ref, record.config_address) for ref in references):
                    owned.add(rule.attribute)
        return frozenset(owned)


def _refers_to(reference: str, config_address: str) -> bool:
    return reference == config_address or reference.startswith((config_address + ".", config_address + "["))


# --- pending changes ---


def pending_findings(
    env: str, plan: Plan, policy: Policy | None = None
) -> tuple[list[DriftFinding], ScopeSummary]:
    """What applying the code would change: `resource_changes` other than no-op and data reads."""
    attributes = _AttributeSets(plan)
    owned = _Ownership(plan)
    findings: list[DriftFinding] = []
    for record in plan.changes:
        if not record.managed:
            continue
        action = record.change.action
        if action in (Action.NO_OP, Action.READ):
            continue
        change = Change(action.value)
        details: tuple[AttributeDiff, ...] = ()
        reason = f"terraform will {action.value} it"
        if action in (Action.UPDATE, Action.REPLACE):
            details = _planned_diffs(plan, record, attributes, owned.attributes(record))
            if action is Action.REPLACE:
                reason = _replace_reason(record)
            elif not details:
                reason = "terraform will update attributes the configuration does not set"
        finding = DriftFinding(
            Kind.PENDING, env, record.address, record.type, change, Verdict.DRIFT, reason, details
        )
        findings.append(_apply_policy(finding, policy))
    return findings, _summary(Kind.PENDING, env, len(findings), findings)


def _replace_reason(record: ResourceChange) -> str:
    paths = plans.decode_json(record.change.replace_paths) or []
    shown = ", ".join(path_text(tuple(path)) for path in paths if isinstance(path, list))
    because = f" ({record.action_reason})" if record.action_reason else ""
    return f"terraform will replace it{because}" + (f": {shown} forces it" if shown else "")


def _planned_diffs(
    plan: Plan, record: ResourceChange, sets: _AttributeSets, ignored: frozenset[str]
) -> tuple[AttributeDiff, ...]:
    change = record.change
    before = plans.decode_json(change.before) or {}
    unknown = plans.decode_json(change.after_unknown)
    before_sensitive = plans.decode_json(change.before_sensitive)
    after_sensitive = plans.decode_json(change.after_sensitive)
    view = record.after
    raw_values = view.raw_values() if view is not None else ()
    names, _ = sets.of(record)
    after = {name: plans.decode_json(raw_values[plan.attribute_index[name]]) for name in names}
    diffs: list[AttributeDiff] = []
    for name in names:
        if name in ignored:
            continue
        for path, old, new in value_diffs(prune(before.get(name)), prune(after[name]), (name,)):
            is_unknown = mask_at(unknown, path)
            diffs.append(
                AttributeDiff(
                    path_text(path),
                    _masked(old, before_sensitive, path),
                    _masked(new, after_sensitive, path, unknown=is_unknown),
                )
            )
    if isinstance(unknown, dict):
        for name, flag in sorted(unknown.items()):
            if (
                flag is True
                and name not in after
                and name not in ignored
                and prune(before.get(name)) is not None
            ):
                diffs.append(
                    AttributeDiff(name, _masked(before.get(name), before_sensitive, (name,)), Marker.UNKNOWN)
                )
    return tuple(diffs)


# --- tracing values to where they are set ---


class SourceKind(StrEnum):
    VARIABLE = "variable"  # a root input variable (a declared per-env variation)
    CONSTANT = "constant"  # a literal in the configuration
    COMPUTED = "computed"  # an attribute the provider assigns, or a data source's result
    OPAQUE = "opaque"  # something plan JSON does not describe (a local value of the root module)
    # A child module's local value: plan JSON leaves out its expression, but the module's code
    # is the same in both envs (its source is compared separately), so it can only differ
    # through the module's inputs, which are traced in its place.
    LOCAL = "local"


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    name: str
    """`var.memory_mb`, `module.app call argument retention_seconds`, `aws_sqs_queue.jobs.url`."""
    path: ValuePath = ()
    """For a variable: where inside its value (`var.payments.memory_mb` -> ("memory_mb",))."""
    value: str = ""
    """For a constant: its normalised value as canonical JSON."""


@dataclass(frozen=True)
class Coverage:
    """Where a value comes from: the sources its expression reads."""

    sources: frozenset[Source]
    coarse: bool
    """The expression sets a whole map/object around the value, not the value itself."""
    where: str


Read = tuple[tuple[str, ...], str]
"""A resource block a trace looked up, as (module path, address), found or not; or
(module path, `plans.DATA_SOURCES`) for the list of a module's data sources."""
CUT: Read = ((), "(a trace cut at a cycle)")


class _Recording:
    """A tracer's reads while it is entered; on leaving, they count for the enclosing one too.
    (A class, not a generator context manager: every traced expression opens one.)"""

    __slots__ = ("_stack", "reads")

    def __init__(self, stack: list[set[Read]]) -> None:
        self._stack = stack
        self.reads: set[Read] = set()

    def __enter__(self) -> set[Read]:
        self._stack.append(self.reads)
        return self.reads

    def __exit__(self, *_: object) -> None:
        self._stack.pop()
        if self._stack:
            self._stack[-1] |= self.reads


@dataclass(frozen=True)
class _Scope:
    path: tuple[str, ...]
    each: Any = None  # the for_each expression `each.*` refers to


_INDEX = re.compile(r"\[[^\]]*\]")
_MAX_DEPTH = 64


def _label(path: tuple[str, ...]) -> str:
    return ".".join(f"module.{name}" for name in path) if path else "the root module"


def _specific(references: list[str]) -> list[str]:
    """Drop `aws_x.y` when `aws_x.y.arn` is listed too (terraform lists both)."""
    listed = set(references)
    return [
        ref
        for ref in dict.fromkeys(references)
        if not any(other != ref and other.startswith((ref + ".", ref + "[")) for other in listed)
    ]


def _is_expression(node: Any) -> bool:
    return isinstance(node, dict) and set(node) <= {"references", "constant_value"}


def _expression_at(expressions: Any, path: ValuePath) -> tuple[dict[str, Any] | None, ValuePath]:
    """The expression that sets the value at `path`, and the rest of the path below it."""
    node = expressions
    for position, step in enumerate(path):
        if _is_expression(node):
            return node, path[position:]
        if isinstance(node, list) and isinstance(step, int):
            node = node[step] if step < len(node) else (node[0] if node else None)
        elif isinstance(node, dict) and isinstance(step, str):
            node = node.get(step)
        else:
            return None, ()
        if node is None:
            return None, ()
    return (node, ()) if _is_expression(node) else (None, ())


def _expressions_in(node: Any, where: str) -> Iterable[tuple[str, dict[str, Any]]]:
    """Every expression inside a resource's expressions object (through nested blocks)."""
    if _is_expression(node):
        yield where, node
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from _expressions_in(item, f"{where}.{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _expressions_in(item, where)


class Tracer:
    """Traces values of one plan through its `configuration` to root variables and literals."""

    def __init__(self, plan: Plan, identity: EnvIdentity) -> None:
        self.plan = plan
        self.config = plan.config
        self.identity = identity
        self._memo: dict[tuple[int, tuple[str, ...], int], frozenset[Source]] = {}
        self._active: set[tuple[int, tuple[str, ...], int]] = set()
        self._coverage: dict[tuple[tuple[str, ...], str, ValuePath], Coverage | None] = {}
        self._memo_reads: dict[tuple[int, tuple[str, ...], int], frozenset[Read]] = {}
        self._reads: list[set[Read]] = []

    # What a trace read: the resource blocks it looked up (compared across code by `plans.changed_blocks`).

    def recording(self) -> _Recording:
        """Collect the resource blocks (and modules' data source lists) the traces inside read."""
        return _Recording(self._reads)

    def note(self, reads: Iterable[Read]) -> None:
        """Count `reads` (of a result kept from an earlier trace) as read by the traces recording."""
        if self._reads:
            self._reads[-1].update(reads)

    # The entry points.

    def attribute(
        self, module: tuple[str, ...], resource: ConfigResource, path: ValuePath
    ) -> Coverage | None:
        """Where the value at `path` of a resource's `after` comes from; None if nothing in the
        configuration sets it (a computed attribute, or a nested value the provider fills in)."""
        key = (module, resource.address, path)
        if key not in self._coverage:
            self._coverage[key] = self._attribute(module, resource, path)
        return self._coverage[key]

    def _attribute(
        self, module: tuple[str, ...], resource: ConfigResource, path: ValuePath
    ) -> Coverage | None:
        expressions = self.config.expressions(resource)
        scope = self._resource_scope(module, resource)
        where = f"{plans.module_prefix(module)}{resource.address}"
        if path[:1] == (plans.DERIVED_TAGS,):
            return self._tags_all(module, resource, expressions, scope, where)
        expression, rest = _expression_at(expressions, path)
        if expression is None:
            return None
        covered = path_text(path[: len(path) - len(rest)])
        if rest and "constant_value" in expression and not expression.get("references"):
            constant = value_at(expression["constant_value"], rest)
            source = Source(SourceKind.CONSTANT, f"{where}.{covered}", value=self._constant(constant))
            return Coverage(frozenset({source}), coarse=False, where=f"{where}.{path_text(path)}")
        sources = self.expression(expression, scope, f"{where}.{covered}")
        return Coverage(sources, coarse=bool(rest), where=f"{where}.{covered}")

    def existence(self, module: tuple[str, ...], resource: ConfigResource) -> frozenset[Source]:
        """What decides how many instances exist: count/for_each of the resource and its modules."""
        sources: set[Source] = set()
        for depth in range(1, len(module) + 1):
            call = self.config.call(module[:depth])
            if call is None:
                continue
            for what, raw in (("count", call.count_expression), ("for_each", call.for_each_expression)):
                expression = self.config.decoded(raw)
                if expression is not None:
                    where = f"{_label(module[:depth])} {what}"
                    sources |= self.expression(expression, _Scope(module[: depth - 1]), where)
        for what, raw in (("count", resource.count_expression), ("for_each", resource.for_each_expression)):
            expression = self.config.decoded(raw)
            if expression is not None:
                where = f"{plans.module_prefix(module)}{resource.address} {what}"
                sources |= self.expression(expression, _Scope(module), where)
        return frozenset(sources)

    def attribute_sources(
        self, module: tuple[str, ...], resource: ConfigResource, name: str
    ) -> frozenset[Source]:
        """Everything a top-level attribute reads, through all its nested blocks."""
        expressions = self.config.expressions(resource)
        scope = self._resource_scope(module, resource)
        where = f"{plans.module_prefix(module)}{resource.address}"
        sources: set[Source] = set()
        for inner, expression in _expressions_in(expressions.get(name), f"{where}.{name}"):
            sources |= self.expression(expression, scope, inner)
        return frozenset(sources)

    # Expressions and references.

    def expression(self, expression: Any, scope: _Scope, where: str, depth: int = 0) -> frozenset[Source]:
        if not isinstance(expression, dict):
            return frozenset({Source(SourceKind.OPAQUE, where)})
        key = (id(expression), scope.path, id(scope.each))
        if key in self._memo:
            self.note(self._memo_reads[key])
            return self._memo[key]
        if key in self._active or depth > _MAX_DEPTH:
            self.note((CUT,))  # results traced around a cut are not complete enough to reuse
            return frozenset()  # a reference cycle: the outer call collects the rest
        self._active.add(key)
        with self.recording() as reads:
            result = self._expression(expression, scope, where, depth, key)
        self._memo[key] = result
        self._memo_reads[key] = frozenset(reads)
        return result

    def _expression(
        self, expression: dict[str, Any], scope: _Scope, where: str, depth: int, key: Any
    ) -> frozenset[Source]:
        try:
            sources: set[Source] = set()
            references = expression.get("references") or []
            if "constant_value" in expression:
                sources.add(
                    Source(SourceKind.CONSTANT, where, value=self._constant(expression["constant_value"]))
                )
            for reference in _specific(references):
                sources |= self._reference(reference, scope, where, depth + 1)
            if not references and "constant_value" not in expression:
                # e.g. `timestamp()`: no inputs, so the same in every env unless it is not pure
                sources.add(Source(SourceKind.CONSTANT, where, value="(an expression without references)"))
            return frozenset(sources)
        finally:
            self._active.discard(key)

    def _reference(self, reference: str, scope: _Scope, where: str, depth: int) -> frozenset[Source]:
        parts = (_INDEX.sub("", reference) if "[" in reference else reference).split(".")
        head = parts[0]
        prefix = plans.module_prefix(scope.path)
        if head == "var" and len(parts) > 1:
            return self._variable(parts[1], tuple(parts[2:]), scope.path, depth)
        if head == "local" and len(parts) > 1:
            return self._local(scope.path, parts[1], depth)
        if head == "module" and len(parts) > 2:
            return self._output(scope.path, parts[1], parts[2], depth)
        if head == "each":
            if scope.each is None:
                return frozenset({Source(SourceKind.OPAQUE, f"{prefix}{reference}")})
            return self.expression(scope.each, _Scope(scope.path), f"{where} (for_each)", depth)
        if head in ("count", "self"):
            return frozenset()
        if head in ("path", "terraform"):
            return frozenset({Source(SourceKind.CONSTANT, reference, value=reference)})
        if head == "data" and len(parts) > 2:
            return self._data(scope.path, parts[1], parts[2], depth)
        if len(parts) > 1:
            return self._managed(scope.path, parts[0], parts[1], parts[2] if len(parts) > 2 else None, depth)
        return frozenset({Source(SourceKind.OPAQUE, f"{prefix}{reference}")})

    def _variable(
        self, name: str, inner: tuple[str, ...], path: tuple[str, ...], depth: int
    ) -> frozenset[Source]:
        if not path:
            return frozenset({Source(SourceKind.VARIABLE, f"var.{name}", path=inner)})
        call = self.config.call(path)
        module = self.config.module(path)
        if call is None or module is None:
            return frozenset({Source(SourceKind.OPAQUE, f"{plans.module_prefix(path)}var.{name}")})
        arguments = self.config.decoded(call.expressions)
        argument = arguments.get(name) if isinstance(arguments, dict) else None
        if isinstance(argument, dict):
            each = self.config.decoded(call.for_each_expression)
            scope = _Scope(path[:-1], each)
            return self.expression(argument, scope, f"{_label(path)} call argument {name}", depth)
        declared = module.variables.get(name)
        if declared is not None and isinstance(declared.default, msgspec.Raw):
            default = plans.decode_json(declared.default)
            where = f"default of {_label(path)} variable {name}"
            return frozenset({Source(SourceKind.CONSTANT, where, value=self._constant(default))})
        return frozenset({Source(SourceKind.OPAQUE, f"{plans.module_prefix(path)}var.{name}")})

    def _local(self, path: tuple[str, ...], name: str, depth: int) -> frozenset[Source]:
        """A local of a child module stands for all the module's inputs: its variables (traced
        to the root) and its data sources. A root module's local stays opaque: env roots are
        separate code, so theirs may differ."""
        shown = f"{plans.module_prefix(path)}local.{name}"
        module = self.config.module(path) if path else None
        self.note(((path, plans.DATA_SOURCES),))
        if module is None:
            return frozenset({Source(SourceKind.OPAQUE, shown)})
        sources: set[Source] = {Source(SourceKind.LOCAL, shown)}
        for variable in sorted(module.variables):
            sources |= self._variable(variable, (), path, depth)
        for resource in module.resources:
            if resource.mode == plans.Mode.DATA:
                sources.add(Source(SourceKind.COMPUTED, f"{plans.module_prefix(path)}{resource.address}"))
        return frozenset(sources)

    def _output(self, path: tuple[str, ...], call: str, output: str, depth: int) -> frozenset[Source]:
        child = (*path, call)
        module = self.config.module(child)
        declared = module.outputs.get(output) if module is not None else None
        expression = self.config.decoded(declared.expression) if declared is not None else None
        if expression is None:
            return frozenset(
                {Source(SourceKind.OPAQUE, f"{plans.module_prefix(path)}module.{call}.{output}")}
            )
        return self.expression(expression, _Scope(child), f"output {output} of {_label(child)}", depth)

    def _data(self, path: tuple[str, ...], kind: str, name: str, depth: int) -> frozenset[Source]:
        address = f"data.{kind}.{name}"
        self.note(((path, address),))
        resource = self.config.resource(path, address)
        computed = Source(SourceKind.COMPUTED, f"{plans.module_prefix(path)}{address}")
        if resource is None:
            return frozenset({computed})
        return frozenset({computed}) | self._inputs(path, resource, depth)

    def _managed(
        self, path: tuple[str, ...], kind: str, name: str, attribute: str | None, depth: int
    ) -> frozenset[Source]:
        address = f"{kind}.{name}"
        self.note(((path, address),))
        resource = self.config.resource(path, address)
        shown = f"{plans.module_prefix(path)}{address}" + (f".{attribute}" if attribute else "")
        if resource is not None and attribute is not None:
            expression = self.config.expressions(resource).get(attribute)
            if _is_expression(expression):
                return self.expression(expression, self._resource_scope(path, resource), shown, depth)
        return frozenset({Source(SourceKind.COMPUTED, shown)})

    def _inputs(self, path: tuple[str, ...], resource: ConfigResource, depth: int) -> frozenset[Source]:
        scope = self._resource_scope(path, resource)
        where = f"{plans.module_prefix(path)}{resource.address}"
        sources: set[Source] = set()
        for inner, expression in _expressions_in(self.config.expressions(resource), where):
            sources |= self.expression(expression, scope, inner, depth)
        return frozenset(sources)

    def _resource_scope(self, path: tuple[str, ...], resource: ConfigResource) -> _Scope:
        return _Scope(path, self.config.decoded(resource.for_each_expression))

    def _tags_all(
        self,
        module: tuple[str, ...],
        resource: ConfigResource,
        expressions: dict[str, Any],
        scope: _Scope,
        where: str,
    ) -> Coverage | None:
        sources: set[Source] = set()
        tags = expressions.get("tags")
        if _is_expression(tags):
            sources |= self.expression(tags, scope, f"{where}.tags")
        provider = self.config.provider(resource.provider_config_key)
        if provider is not None:
            provider_expressions = self.config.decoded(provider.expressions)
            default_tags = (
                provider_expressions.get("default_tags") if isinstance(provider_expressions, dict) else None
            )
            if isinstance(default_tags, list) and default_tags and isinstance(default_tags[0], dict):
                expression = default_tags[0].get("tags")
                if _is_expression(expression):
                    provider_path = (
                        plans.module_path(provider.module_address) if provider.module_address else ()
                    )
                    label = f"provider {provider.name} default_tags"
                    sources |= self.expression(expression, _Scope(provider_path), label)
        if not sources:
            return None
        return Coverage(frozenset(sources), coarse=True, where=f"{where}.tags_all")

    def configures(self, resource: ConfigResource) -> bool:
        """Does the resource get `tags_all` (it sets `tags`, or its provider has default_tags)?"""
        if "tags" in self.config.configured(resource):
            return True
        provider = self.config.provider(resource.provider_config_key)
        if provider is None:
            return False
        expressions = self.config.decoded(provider.expressions)
        return isinstance(expressions, dict) and bool(expressions.get("default_tags"))

    def _constant(self, value: Any) -> str:
        return _canonical(self.identity.value(value)).decode()


# --- parity ---


class _AttributeSets:
    """Per configured resource: the attributes its configuration sets (+ tags_all), in the order
    of the plan's attribute view, and a getter that picks their raw values out of the view."""

    def __init__(self, plan: Plan, tracer: Tracer | None = None) -> None:
        self.plan = plan
        self.tracer = tracer or Tracer(plan, EnvIdentity(""))
        self._cache: dict[
            tuple[str, str, str, str], tuple[tuple[str, ...], Callable[[tuple[Any, ...]], tuple[Any, ...]]]
        ] = {}

    def of(
        self, record: plans.Record
    ) -> tuple[tuple[str, ...], Callable[[tuple[Any, ...]], tuple[Any, ...]]]:
        key = (record.module_address, record.mode, record.type, record.name)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._build(record)
        return found

    def _build(
        self, record: plans.Record
    ) -> tuple[tuple[str, ...], Callable[[tuple[Any, ...]], tuple[Any, ...]]]:
        resource = self.plan.config.resource(record.module, record.config_address)
        names: list[str] = []
        if resource is not None:
            names = sorted(self.plan.config.configured(resource))
            if self.tracer.configures(resource):
                names.append(plans.DERIVED_TAGS)
        index = self.plan.attribute_index
        names = [name for name in dict.fromkeys(names) if name in index]
        positions = [index[name] for name in names]
        if not positions:
            return (), lambda values: ()
        if len(positions) == 1:
            only = positions[0]
            return tuple(names), lambda values: (values[only],)
        getter = itemgetter(*positions)
        return tuple(names), getter


@dataclass
class EnvPlans:
    """One env's input to the drift engine: its identity, and the plans read for it."""

    env: str
    identity: EnvIdentity
    plan: Plan | None = None
    """The normal plan (pending changes, parity; also live drift when there is no refresh plan)."""
    refresh: Plan | None = None
    """The refresh-only plan (live drift)."""


_BLOCK_OF = attrgetter("module_address", "mode", "type", "name")
"""The resource block of a record (instances of one block come one after the other)."""


class _Side:
    """One env of a parity comparison, prepared once and shared by the pairs it is in."""

    def __init__(self, env: EnvPlans) -> None:
        assert env.plan is not None
        self.env = env.env
        self.identity = env.identity
        self.plan = env.plan
        self.tracer = Tracer(self.plan, self.identity)
        self.sets = _AttributeSets(self.plan, self.tracer)
        self.records: dict[str, ResourceChange] = {}
        self.fingerprints: dict[str, tuple[tuple[str, ...], bytes]] = {}
        normalise_address = self.identity.text
        join = b"\x1f".join
        astuple = msgspec.structs.astuple
        keys: list[str] = []
        attribute_names: list[tuple[str, ...]] = []
        values: list[bytes] = []
        self.runs: list[tuple[list[str], list[ResourceChange], list[tuple[Any, ...]]]] = []
        """Instances of one block, one after the other: their keys, records and `after` views."""
        for (_, mode, _, _), instances in groupby(self.plan.changes, _BLOCK_OF):
            if mode != plans.Mode.MANAGED:
                continue  # data sources are not compared
            records = [record for record in instances if getattr(record.change, "after", None) is not None]
            if not records:
                continue  # deleted resources are not planned
            names, pick = self.sets.of(records[0])
            addresses = [record.address for record in records]
            run_keys = [normalise_address(address) if '"' in address else address for address in addresses]
            rows = [astuple(record.change.after) for record in records]  # type: ignore[attr-defined]
            self.runs.append((run_keys, records, rows))
            self.records.update(zip(run_keys, records, strict=True))
            keys.extend(run_keys)
            attribute_names.extend([names] * len(records))
            values.extend(map(join, map(pick, rows)))
        # EnvIdentity.raw over all resources at once (\x1e and \x1f never occur in JSON text).
        normalised = self.identity.raw(b"\x1e".join(values)).split(b"\x1e") if values else []
        self.fingerprints = dict(zip(keys, zip(attribute_names, normalised, strict=True), strict=True))

    def config_resource(self, record: plans.Record) -> ConfigResource | None:
        return self.plan.config.resource(record.module, record.config_address)

    def raw_values(self, record: ResourceChange) -> dict[str, msgspec.Raw]:
        """The raw JSON of each attribute the resource's configuration sets."""
        names, pick = self.sets.of(record)
        view = record.after
        return dict(zip(names, pick(view.raw_values()), strict=True)) if view is not None else {}

    def values(self, record: ResourceChange) -> tuple[dict[str, Any], Any, Any]:
        """The configured attributes' values, the unknown mask and the sensitive mask."""
        values = {name: plans.decode_json(raw) for name, raw in self.raw_values(record).items()}
        unknown = plans.decode_json(record.change.after_unknown)
        sensitive = plans.decode_json(record.change.after_sensitive)
        return values, unknown, sensitive

    def variable(self, source: Source) -> Any:
        return value_at(self.plan.variable_value(source.name.removeprefix("var.")), source.path)

    def variable_sensitive(self, source: Source) -> bool:
        return self.plan.variable_sensitive(source.name.removeprefix("var."))


@dataclass
class _PairStats:
    unknown: int = 0


def parity_findings(
    left_env: EnvPlans, right_env: EnvPlans, policy: Policy | None = None
) -> tuple[list[DriftFinding], ScopeSummary]:
    """Parity drift between two envs' normal plans: inventory, attributes, module calls."""
    return _parity(_Side(left_env), _Side(right_env), policy)


def _parity(left: _Side, right: _Side, policy: Policy | None) -> tuple[list[DriftFinding], ScopeSummary]:
    scope = pair_scope(left.env, right.env)
    findings: list[DriftFinding] = []
    stats = _PairStats()
    findings.extend(_module_parity(left, right, scope))
    for key in sorted(left.records.keys() - right.records.keys()):
        findings.append(_only_in(left, right, key, scope))
    for key in sorted(right.records.keys() - left.records.keys()):
        findings.append(_only_in(right, left, key, scope))
    common = 0
    judged: dict[tuple[Any, ...], Any] = {}  # verdicts per value, and results per attribute
    right_prints = right.fingerprints
    for key, fingerprint in left.fingerprints.items():
        other = right_prints.get(key)
        if other is None:
            continue
        common += 1
        if other == fingerprint:
            continue
        finding = _attribute_parity(left, right, key, scope, stats, judged)
        if finding is not None:
            findings.append(finding)
    findings = [_apply_policy(finding, policy) for finding in findings]
    return findings, _summary(Kind.PARITY, scope, common, findings, unknown=stats.unknown)


def _module_parity(left: _Side, right: _Side, scope: str) -> list[DriftFinding]:
    ours = {call.path: call for call in left.plan.config.calls()}
    theirs = {call.path: call for call in right.plan.config.calls()}
    findings = []
    for path in sorted(ours.keys() | theirs.keys()):
        mine, other = ours.get(path), theirs.get(path)
        address = plans.module_prefix(path).rstrip(".")
        if mine is None or other is None:
            present = left.env if mine is not None else right.env
            findings.append(
                DriftFinding(
                    Kind.PARITY,
                    scope,
                    address,
                    "module",
                    Change.ONLY_IN,
                    Verdict.DRIFT,
                    f"called only in {present}",
                )
            )
            continue
        diffs = tuple(
            AttributeDiff(
                name, mine_value or Marker.ABSENT, other_value or Marker.ABSENT, Verdict.DRIFT, reason
            )
            for name, mine_value, other_value, reason in (
                ("source", mine.source, other.source, "module source differs"),
                ("version", mine.version, other.version, "module version constraint differs"),
            )
            if mine_value != other_value
        )
        if diffs:
            findings.append(
                DriftFinding(
                    Kind.PARITY,
                    scope,
                    address,
                    "module",
                    Change.MODULE,
                    Verdict.DRIFT,
                    diffs[0].reason,
                    diffs,
                )
            )
    return findings


def _only_in(present: _Side, absent: _Side, key: str, scope: str) -> DriftFinding:
    record = present.records[key]
    mine = present.config_resource(record)
    theirs = absent.config_resource(record)
    verdict, reason = Verdict.DRIFT, f"not in {absent.env}'s configuration"
    if mine is not None and theirs is not None:
        verdict, reason = _judge_existence(present, absent, record, mine, theirs)
    elif theirs is None and absent.plan.config.module(record.module) is None:
        reason = f"{_label(record.module)} is not in {absent.env}'s configuration"
    return DriftFinding(
        Kind.PARITY, scope, key, record.type, Change.ONLY_IN, verdict, f"only in {present.env}: {reason}"
    )


def _judge_existence(
    present: _Side, absent: _Side, record: ResourceChange, mine: ConfigResource, theirs: ConfigResource
) -> tuple[Verdict, str]:
    ours = present.tracer.existence(record.module, mine)
    other = absent.tracer.existence(record.module, theirs)
    if not ours and not other:
        return Verdict.DRIFT, "it has no count or for_each, yet exists in one env only"
    if _structure(ours) != _structure(other):
        return Verdict.DRIFT, "count/for_each is configured differently: " + _contrast(
            present.env, ours, absent.env, other
        )
    explaining = _differing_variables(present, absent, ours)
    if explaining:
        return (
            Verdict.EXPECTED,
            "count/for_each follows a declared per-env variation: "
            + _describe_variables(present, absent, explaining),
        )
    computed = sorted(source.name for source in ours if source.kind is SourceKind.COMPUTED)
    if computed:
        return Verdict.EXPECTED, f"count/for_each derives from {', '.join(computed)}"
    return (
        Verdict.DRIFT,
        "count/for_each reads the same inputs in both envs, yet this instance exists in one only",
    )


def _attribute_parity(
    left: _Side,
    right: _Side,
    key: str,
    scope: str,
    stats: _PairStats,
    judged: dict[tuple[Any, ...], Any],
) -> DriftFinding | None:
    record_left, record_right = left.records[key], right.records[key]
    names_left, print_left = left.fingerprints[key]
    names_right, print_right = right.fingerprints[key]
    raw_left, raw_right = left.raw_values(record_left), right.raw_values(record_right)
    same_names = names_left == names_right
    if same_names:  # only the attributes whose loose prints (`EnvIdentity.raw`) differ
        prints = zip(names_left, print_left.split(b"\x1f"), print_right.split(b"\x1f"), strict=True)
        candidates = sorted(name for name, mine, theirs in prints if mine != theirs)
    else:
        candidates = sorted(raw_left.keys() | raw_right.keys())
    masks = (
        record_left.change.after_unknown,
        record_right.change.after_unknown,
        record_left.change.after_sensitive,
        record_right.change.after_sensitive,
    )
    mask_texts = tuple(map(bytes, masks))
    block = (record_left.module_address, record_left.type, record_left.name)
    diffs: list[AttributeDiff] = []
    for name in candidates:
        mine, theirs = bytes(raw_left.get(name, plans.NULL)), bytes(raw_right.get(name, plans.NULL))
        if mine == theirs or (not same_names and left.identity.raw(mine) == right.identity.raw(theirs)):
            continue  # the same as written, or the same once normalised
        # Instances of one block often differ alike (count = 10, memory from a variable): judge once.
        memo = (*block, name, mine, theirs, *mask_texts)
        found = judged.get(memo)
        if found is None:
            found = judged[memo] = _attribute_diffs(
                left, right, record_left, record_right, name, mine, theirs, masks, judged
            )
        unknown, attribute_diffs = found
        stats.unknown += unknown
        diffs.extend(attribute_diffs)
    if not diffs:
        return None
    verdict = Verdict.DRIFT if any(diff.verdict is Verdict.DRIFT for diff in diffs) else Verdict.EXPECTED
    return DriftFinding(Kind.PARITY, scope, key, record_left.type, Change.DIFFERS, verdict, "", tuple(diffs))


def _attribute_diffs(
    left: _Side,
    right: _Side,
    record_left: ResourceChange,
    record_right: ResourceChange,
    name: str,
    mine: bytes,
    theirs: bytes,
    masks: tuple[msgspec.Raw, msgspec.Raw, msgspec.Raw, msgspec.Raw],
    judged: dict[tuple[Any, ...], Any],
) -> tuple[int, tuple[AttributeDiff, ...]]:
    """The differences inside one attribute that differs between the envs (how many values were
    unknown, and each difference with its verdict)."""
    unknown_left, unknown_right, sensitive_left, sensitive_right = (plans.decode_json(mask) for mask in masks)
    config_left = left.config_resource(record_left)
    config_right = right.config_resource(record_right)
    original_left, original_right = plans.decode_json(mine), plans.decode_json(theirs)
    normal_left = prune(left.identity.value(original_left))
    normal_right = prune(right.identity.value(original_right))
    unknown = 0
    diffs: list[AttributeDiff] = []
    for path, _, _ in value_diffs(normal_left, normal_right, (name,)):
        if mask_at(unknown_left, path) or mask_at(unknown_right, path):
            unknown += 1
            continue
        sensitive = mask_at(sensitive_left, path) or mask_at(sensitive_right, path)
        shown_left = value_at({name: original_left}, path)
        shown_right = value_at({name: original_right}, path)
        if shown_left is not None and shown_left == shown_right:
            continue  # equal as written (`/dev/null` in dev and staging): only normalising split them
        canonical_left, canonical_right = _canonical(shown_left), _canonical(shown_right)
        if left.identity.raw(canonical_left) == right.identity.raw(canonical_right):
            continue  # equal once each env's name/region/account is replaced, also inside words
        memo = (record_left.module_address, record_left.type, record_left.name, path)
        memo += (canonical_left, canonical_right, sensitive)
        if memo not in judged:
            coverage_left = (
                left.tracer.attribute(record_left.module, config_left, path) if config_left else None
            )
            coverage_right = (
                right.tracer.attribute(record_right.module, config_right, path) if config_right else None
            )
            if coverage_left is None and coverage_right is None:
                judged[memo] = (Verdict.EXPECTED, "")  # nothing configures it: the provider fills it in
            else:
                judged[memo] = _judge(
                    left, right, coverage_left, coverage_right, shown_left, shown_right, sensitive
                )
        verdict, reason = judged[memo]
        if not reason:
            continue
        diffs.append(
            AttributeDiff(
                path_text(path),
                _shown(shown_left, sensitive) if sensitive else _masked(shown_left, sensitive_left, path),
                _shown(shown_right, sensitive) if sensitive else _masked(shown_right, sensitive_right, path),
                verdict,
                reason,
            )
        )
    return unknown, tuple(diffs)


def _structure(sources: frozenset[Source]) -> frozenset[tuple[SourceKind, str, ValuePath, str]]:
    return frozenset((source.kind, source.name, source.path, source.value) for source in sources)


def _differing_variables(left: _Side, right: _Side, sources: frozenset[Source]) -> list[Source]:
    """Root variables among `sources` whose values differ between the envs and are not just each
    env's name, region or account id (normalising already equalises those)."""
    found = []
    for source in sorted(sources, key=lambda item: (item.name, item.path)):
        if source.kind is not SourceKind.VARIABLE:
            continue
        mine, theirs = left.variable(source), right.variable(source)
        if mine == theirs:
            continue
        if left.identity.is_identity(mine) and right.identity.is_identity(theirs):
            continue
        found.append(source)
    return found


def _identity_variables(left: _Side, right: _Side, sources: frozenset[Source]) -> list[Source]:
    return [
        source
        for source in sorted(sources, key=lambda item: item.name)
        if source.kind is SourceKind.VARIABLE
        and left.identity.is_identity(left.variable(source))
        and right.identity.is_identity(right.variable(source))
    ]


def _follows(value_left: Any, value_right: Any, variable_left: Any, variable_right: Any) -> bool:
    """Does a value that differs track a variable that differs (for coarse or opaque origins)?"""
    if value_left == variable_left and value_right == variable_right:
        return True
    if isinstance(variable_left, dict | list) and isinstance(variable_right, dict | list):
        return any(
            _follows(value_left, value_right, inner_left, inner_right)
            for _, inner_left, inner_right in value_diffs(variable_left, variable_right)
        )
    if isinstance(variable_left, bool | dict | list) or variable_left is None:
        return False
    text_left, text_right = str(variable_left), str(variable_right)
    if not isinstance(value_left, str | int | float) or not isinstance(value_right, str | int | float):
        return False
    shown_left, shown_right = str(value_left), str(value_right)
    return (
        bool(text_left)
        and text_left in shown_left
        and shown_left.replace(text_left, text_right) == shown_right
    )


def _judge(
    left: _Side,
    right: _Side,
    coverage_left: Coverage | None,
    coverage_right: Coverage | None,
    value_left: Any,
    value_right: Any,
    sensitive: bool,
) -> tuple[Verdict, str]:
    """Is a difference in one value between two envs a declared variation or drift? And why."""
    if coverage_left is None or coverage_right is None:
        configured = left.env if coverage_left is not None else right.env
        coverage = coverage_left or coverage_right
        assert coverage is not None
        return Verdict.DRIFT, f"set in {configured}'s configuration only ({coverage.where})"
    ours, theirs = coverage_left.sources, coverage_right.sources
    if _structure(ours) != _structure(theirs):
        return Verdict.DRIFT, "configured differently: " + _contrast(
            left.env, ours, right.env, theirs, sensitive
        )
    explaining = _differing_variables(left, right, ours)
    opaque = sorted(source.name for source in ours if source.kind is SourceKind.OPAQUE)
    if explaining:
        precise = not coverage_left.coarse and not opaque
        if precise or any(
            _follows(value_left, value_right, left.variable(source), right.variable(source))
            for source in explaining
        ):
            through = sorted(source.name for source in ours if source.kind is SourceKind.LOCAL)
            via = f"through {', '.join(through)} (same module code in both envs): " if through else ""
            if through:  # a local stands for all its module's inputs: name the ones the value tracks
                explaining = [
                    source
                    for source in explaining
                    if _follows(value_left, value_right, left.variable(source), right.variable(source))
                ] or explaining
            return Verdict.EXPECTED, f"{via}declared per-env variation: " + _describe_variables(
                left, right, explaining
            )
    computed = sorted(source.name for source in ours if source.kind is SourceKind.COMPUTED)
    if computed:
        return Verdict.EXPECTED, f"derived from {', '.join(computed)}, which each env reads or assigns itself"
    identity = _identity_variables(left, right, ours)
    if identity and not opaque:
        names = ", ".join(source.name for source in identity)
        return (
            Verdict.DRIFT,
            f"differs beyond the env's name/region although it follows only {names}: "
            "branching on the env is not a declared variation",
        )
    if opaque:
        return (
            Verdict.DRIFT,
            f"comes through {', '.join(opaque)}, which plan JSON does not describe, "
            "and does not follow a per-env variable",
        )
    inputs = sorted({source.name for source in ours if source.kind is SourceKind.VARIABLE})
    if inputs:
        return Verdict.DRIFT, f"differs although its inputs ({', '.join(inputs)}) are the same in both envs"
    return Verdict.DRIFT, "differs although both envs configure it the same way"


def _contrast(
    left_env: str, ours: frozenset[Source], right_env: str, theirs: frozenset[Source], sensitive: bool = False
) -> str:
    only_ours = _structure(ours) - _structure(theirs)
    only_theirs = _structure(theirs) - _structure(ours)
    mine = [source for source in ours if (source.kind, source.name, source.path, source.value) in only_ours]
    other = [
        source for source in theirs if (source.kind, source.name, source.path, source.value) in only_theirs
    ]
    return f"{left_env}: {_describe(mine, sensitive)}; {right_env}: {_describe(other, sensitive)}"


def _describe(sources: Iterable[Source], sensitive: bool) -> str:
    shown = []
    for source in sorted(sources, key=lambda item: (item.kind, item.name)):
        if source.kind is SourceKind.CONSTANT:
            value = Marker.SENSITIVE.value if sensitive else _cut(source.value)
            shown.append(f"{source.name} = {value}")
        elif source.kind is SourceKind.VARIABLE:
            shown.append(source.name + "".join(f".{step}" for step in source.path))
        else:
            shown.append(source.name)
    return ", ".join(shown) or "nothing"


def _describe_variables(left: _Side, right: _Side, sources: list[Source]) -> str:
    parts = []
    for source in sources:
        name = source.name + "".join(f".{step}" for step in source.path)
        if left.variable_sensitive(source) or right.variable_sensitive(source):
            parts.append(f"{name} (sensitive)")
            continue
        mine = _cut(_canonical(left.variable(source)).decode(), 40)
        theirs = _cut(_canonical(right.variable(source)).decode(), 40)
        parts.append(f"{name} ({left.env}: {mine}, {right.env}: {theirs})")
    return ", ".join(parts)


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the config manifest ---


def manifest(env: EnvPlans, version: str = UNKNOWN) -> Manifest:
    """The env's config manifest: per resource (by normalised address), the configured
    attributes that are not per-env variations, normalised; module calls with their source.
    Resources whose count/for_each follows a variable are listed once, as `address[*]`."""
    return _manifest(_Side(env), version)


def env_manifest(env: str, plan: Plan, version: str, region: str | None = None) -> Manifest:
    """The config manifest of one env from its normal plan: what `deploy` uploads to
    `records.manifest_key(env)` as `canonical_bytes()` and records as `manifest_sha256`
    (`sha256()`), and what the drift_validator Lambda reads back with `Manifest.from_json`.
    The same manifest drift-report computes for the env (give the same `region`: the env's
    region from environments.yaml). Pure: the plan comes in read (`plans.load`)."""
    return manifest(EnvPlans(env, detect_identity(env, plan, region), plan), version)


class _Kept(NamedTuple):
    """One attribute that goes into the manifest."""

    name: str
    column: int  # in the plan's attribute view (`Plan.attribute_index`)
    literal: bool  # a literal: kept as written, not normalised
    blocks: Any  # the expressions of nested blocks (only the configured parts are kept), else None


@dataclass(frozen=True)
class _Shape:
    """How every instance of one resource block goes into the manifest."""

    kept: tuple[_Kept, ...]  # sorted by name
    variant: bool  # count/for_each differs between envs: the instances merge into `address[*]`
    type: str

    @cached_property
    def nested(self) -> bool:
        return any(item.blocks is not None for item in self.kept)

    @cached_property
    def template(self) -> bytes:
        """`%s:{"attributes":{"name":%s,...},"type":"aws_x"}`: the key, then the kept values."""
        values = b",".join(b"%s:%%s" % _json_text(item.name).replace(b"%", b"%%") for item in self.kept)
        return b'%%s:{"attributes":{%s},"type":%s}' % (values, _json_text(self.type).replace(b"%", b"%%"))


def _has_empty(data: bytes) -> bool:
    """Might this raw JSON hold a value `prune` drops (null, "", [], {})? If not, it needs no pruning."""
    return b"null" in data or b'""' in data or b"[]" in data or b"{}" in data


_NUMBER_NOT_AS_WRITTEN = re.compile(rb"[\x1f\[:,](?:-?\d+[.eE]|-0(?!\d))")
"""In raw JSON values joined by \\x1f (and led by one): a number that decoding and `records.canonical`
would write otherwise (a fraction or exponent: `1.50`, `1e3`; `-0`). Matches inside strings too,
which only costs speed."""
_SPACED = re.compile(rb"[\x1f\[\]{}:,][ \t\n\r]|[ \t\n\r][\x1f\[\]{}:,]")
"""Whitespace between JSON tokens (or inside a string, which only costs speed)."""


def _json_text(text: str) -> bytes:
    """A string as `records.canonical` writes it."""
    return encode_basestring(text).encode()


_ESCAPED = re.compile(r'[\x00-\x1f"\\]')


def _json_texts(texts: list[str]) -> list[bytes]:
    """`_json_text` of each (at once when none needs an escape)."""
    if _ESCAPED.search("".join(texts)):
        return [_json_text(text) for text in texts]
    joined = '"\x1f"'.join(texts)
    return f'"{joined}"'.encode().split(b"\x1f")


def identity_paths(plan: Plan, identity: EnvIdentity) -> frozenset[tuple[str, ValuePath]]:
    """Where the plan's root variables hold the env's own name, region or account id."""
    found: set[tuple[str, ValuePath]] = set()

    def walk(name: str, value: Any, path: ValuePath) -> None:
        if identity.is_identity(value):
            found.add((name, path))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(name, item, (*path, key))
        elif isinstance(value, list):
            for position, item in enumerate(value):
                walk(name, item, (*path, position))

    for name in plan.variables:
        walk(name, plan.variable_value(name), ())
    return frozenset(found)


@dataclass
class _Classification:
    """What classifying one code version (for one use of identity-valued variables) found.

    A `donor` is the classification of other code with the same skeleton (module calls,
    variables, outputs, providers) and the same use of identity-valued variables: its code
    differs only in the resource blocks `changed`. A block's shape is taken from the donor
    when the block is unchanged and none of the blocks its traces read is (`footprints`)."""

    config: plans.Configuration
    columns: Mapping[str, int]  # the plan's attribute index (`_Kept.column`)
    donor: _Classification | None = None
    changed: frozenset[Read] = frozenset()
    shapes: dict[tuple[str, str, str, str], _Shape] = field(default_factory=dict)  # per block
    footprints: dict[tuple[str, str, str, str], frozenset[Read]] = field(default_factory=dict)
    verdicts: dict[Any, tuple[bool, bool, frozenset[Read]]] = field(default_factory=dict)  # by text
    distinct: dict[Any, _Shape] = field(default_factory=dict)  # equal shapes of blocks, as one

    def shape(self, side: _Side, record: ResourceChange) -> _Shape:
        block = (record.module_address, record.mode, record.type, record.name)
        found = self.shapes.get(block)
        if found is None:
            found = self._donated(block, side, record)
            if found is None:
                with side.tracer.recording() as reads:
                    found = _shape(side, record, self)
                self.footprints[block] = frozenset(reads)
            if not found.nested:  # nested blocks' expressions do not hash; they are built anyway
                found = self.distinct.setdefault((found.kept, found.variant, found.type), found)
            self.shapes[block] = found
        return found

    def _donated(
        self, block: tuple[str, str, str, str], side: _Side, record: ResourceChange
    ) -> _Shape | None:
        donor = self.donor
        reads = donor.footprints.get(block) if donor is not None else None
        if donor is None or reads is None or CUT in reads:
            return None
        if (record.module, record.config_address) in self.changed or not reads.isdisjoint(self.changed):
            return None
        self.footprints[block] = reads
        shape = donor.shapes[block]
        if self.same_columns:
            return shape
        kept = tuple(item._replace(column=self.columns[item.name]) for item in shape.kept)
        return _Shape(kept, shape.variant, shape.type)

    @cached_property
    def same_columns(self) -> bool:
        """Do the donor's plans (whose code differs) index attributes as this code's plans do?"""
        return self.donor is not None and self.donor.columns == self.columns


class Classifications:
    """Which attributes of each resource block go into a manifest depends on the code and on
    which root variable values are the env's own name/region/account, nothing else: envs
    that agree on both (dev, staging and prod of one release) classify once. Envs whose code
    differs in some resource blocks classify those, and those that read them, again."""

    def __init__(self) -> None:
        self._shared: dict[Any, _Classification] = {}

    def of(self, plan: Plan, identity: EnvIdentity) -> _Classification:
        """The classification for envs like this one."""
        paths = identity_paths(plan, identity)
        key = (plan.config.digest, paths)
        found = self._shared.get(key)
        if found is None:
            donor = next(
                (
                    other
                    for (_, other_paths), other in self._shared.items()
                    if other_paths == paths and other.config.skeleton_digest == plan.config.skeleton_digest
                ),
                None,
            )
            changed = plans.changed_blocks(donor.config, plan.config) if donor is not None else frozenset()
            found = self._shared[key] = _Classification(plan.config, plan.attribute_index, donor, changed)
        return found


def _manifest(
    side: _Side, version: str, classifications: Classifications | None = None, as_written: bool = True
) -> Manifest:
    """The manifest's canonical JSON is written straight from the plan's raw JSON where decoding
    and re-encoding would give the same bytes (`_built_apart`); the other resources are built
    value by value. `as_written=False` builds them all (the tests compare the two)."""
    classification = (classifications or Classifications()).of(side.plan, side.identity)
    # The records by shape: blocks of the same shape are written as one.
    groups: dict[int, tuple[_Shape, list[str], list[ResourceChange], list[tuple[Any, ...]]]] = {}
    for names, records, rows in side.runs:
        shape = classification.shape(side, records[0])
        group = groups.get(id(shape))
        if group is None:
            group = groups[id(shape)] = (shape, [], [], [])
        group[1].extend(names)
        group[2].extend(records)
        group[3].extend(rows)
    # Per shape, the kept values column by column; those to normalise go through one pass together.
    tables: list[list[list[Any]]] = []
    stream: list[Any] = []
    for shape, _, _, rows in groups.values():
        columns = [list(map(itemgetter(item.column), rows)) for item in shape.kept]
        for item, column in zip(shape.kept, columns, strict=True):
            if not item.literal:
                stream.extend(column)
        tables.append(columns)
    normalised = iter(side.identity.raw_json(b"\x1f".join(stream)).split(b"\x1f") if stream else ())
    keys: list[str] = []
    entries: list[bytes] = []
    built: dict[str, Any] = {}  # the resources built value by value
    sorted_objects: dict[bytes, bytes] = {}
    for (shape, names, records, _), columns in zip(groups.values(), tables, strict=True):
        for position, item in enumerate(shape.kept):
            if not item.literal:
                columns[position] = list(islice(normalised, len(records)))
        apart = _built_apart(shape, records, columns, sorted_objects) if as_written else None
        if apart is None:
            apart = set(range(len(records)))
        written = [position not in apart for position in range(len(records))] if apart else None
        rows = zip(_json_texts(names), *columns, strict=True)
        keys.extend(compress(names, written) if written else names)
        entries.extend(map(shape.template.__mod__, compress(rows, written) if written else rows))
        for position in sorted(apart):
            _build(built, shape, names[position], records[position], [column[position] for column in columns])
    for call in side.plan.config.calls():
        built[plans.module_prefix(call.path).rstrip(".")] = {
            "type": "module",
            "source": call.source,
            "version": call.version,
        }
    for key, entry in built.items():
        keys.append(key)
        entries.append(b"%s:%s" % (_json_text(key), canonical(entry).encode()))
    order = sorted(range(len(keys)), key=keys.__getitem__)
    resources = b"{%s}" % b",".join(map(entries.__getitem__, order))
    return Manifest.from_canonical(side.env, version, resources, len(keys))


def _built_apart(
    shape: _Shape, records: list[ResourceChange], columns: list[list[Any]], sorted_objects: dict[bytes, bytes]
) -> set[int] | None:
    """Which records of a shape must be built value by value (None: all of them); the others are
    written from their raw values, which `records.canonical` would write the same once decoded.
    Objects among those are re-encoded with sorted keys (normalising a key may change their
    order). Sensitive values, escapes, whitespace, fractions and values `prune` might drop are
    built."""
    if shape.variant or shape.nested:
        return None
    apart: set[int] = set()
    sensitive = list(map(_AFTER_SENSITIVE, records))
    if b"true" in b"".join(sensitive):
        apart.update(position for position, raw in enumerate(sensitive) if b"true" in bytes(raw))
    for position, column in enumerate(columns):
        joined = b"\x1f".join(column)
        values = joined.split(b"\x1f")  # as bytes, which format 3x faster than raw views
        # Strings only? (An unescaped \x1f cannot be inside one, and `""` can only be a whole value.)
        strings = joined[:1] == b'"' and joined.count(b'\x1f"') == len(column) - 1
        if strings:
            clean = b"\\" not in joined and b'""' not in joined
        else:  # non-negative integers only, or anything else written as it is
            clean = joined.replace(b"\x1f", b"").isdigit() or _as_written(joined)
        if not clean:
            apart.update(index for index, raw in enumerate(values) if not _as_written(raw))
        if not strings and b'{"' in joined:
            for raw in set(values).difference(sorted_objects):  # the others are built apart
                written = _as_written(raw)
                sorted_objects[raw] = (
                    msgspec.json.encode(plans.decode_json(raw), order="sorted") if written else raw
                )
            values = list(map(sorted_objects.__getitem__, values))
        columns[position] = values
    return apart


_AFTER_SENSITIVE = attrgetter("change.after_sensitive")


def _as_written(data: bytes) -> bool:
    """Would decoding and `records.canonical` write this raw JSON (values joined by \x1f) as it is?"""
    return not (
        b"\\" in data
        or _has_empty(data)
        or _NUMBER_NOT_AS_WRITTEN.search(b"\x1f" + data)
        or (any(space in data for space in (b" ", b"\n", b"\t", b"\r")) and _SPACED.search(data))
    )


def _build(built: dict[str, Any], shape: _Shape, key: str, record: ResourceChange, values: list[Any]) -> None:
    """One resource's manifest entry from its kept values: sensitive parts replaced, nested blocks
    cut to what the configuration sets, empty values dropped, instances merged."""
    raw_sensitive = bytes(record.change.after_sensitive)
    sensitive = plans.decode_json(raw_sensitive) if b"true" in raw_sensitive else None
    decoded = plans.decode_json(b"[%s]" % b",".join(values))
    entry = {"type": record.type, "attributes": _attributes(shape.kept, decoded, sensitive)}
    if shape.variant:
        collapsed = f"{plans.module_prefix(record.module)}{record.config_address}[*]"
        built[collapsed] = _merge_instances(built.get(collapsed), entry)
    else:
        built[key] = entry


def _attributes(kept: tuple[_Kept, ...], values: list[Any], sensitive: Any) -> dict[str, Any]:
    attributes = {}
    for item, value in zip(kept, values, strict=True):
        node = mask_node(sensitive, (item.name,)) if sensitive is not None else None
        if node is True:
            attributes[item.name] = Marker.SENSITIVE.value
            continue
        if node is not None:
            value = _plain_markers(redact(value, node))
        if item.blocks is not None:
            value = _configured_part(item.blocks, value)
        attributes[item.name] = prune(value)
    return attributes


def _shape(side: _Side, record: ResourceChange, classification: _Classification) -> _Shape:
    config = side.config_resource(record)
    kept, variant = _classify(side, record, config, classification) if config is not None else ((), False)
    return _Shape(kept, variant, record.type)


def _classify(
    side: _Side, record: ResourceChange, config: ConfigResource, classification: _Classification
) -> tuple[tuple[_Kept, ...], bool]:
    """Which attributes go into the manifest (their values come from literals and the env's own
    name/region/account only), and whether count/for_each varies between envs. Attributes of a
    resource with a varying count/for_each that read count.index or each.* are left out: they
    differ per instance by design. Verdicts are kept by expression text across blocks, with the
    blocks their traces read (counted as read again by every block that uses them)."""
    verdicts = classification.verdicts
    tracer = side.tracer
    existence_key = (
        "existence",
        record.module,
        bytes(config.count_expression),
        bytes(config.for_each_expression),
    )
    if existence_key not in verdicts:  # blocks with the same count/for_each text in a module agree
        with tracer.recording() as reads:
            variant = any(
                source.kind is not SourceKind.CONSTANT
                and not (
                    source.kind is SourceKind.VARIABLE and side.identity.is_identity(side.variable(source))
                )
                for source in tracer.existence(record.module, config)
            )
        verdicts[existence_key] = (variant, False, frozenset(reads))
    variant, _, reads = verdicts[existence_key]
    tracer.note(reads)
    names, _ = side.sets.of(record)
    expressions = side.plan.config.expressions(config)
    index = side.plan.attribute_index
    module = record.module
    kept = []
    for_each = _canonical(tracer.config.decoded(config.for_each_expression))
    for name in names:
        expression = expressions.get(name)
        if expression is None:
            continue  # tags_all: default_tags carry the release version
        if variant and any(_per_instance(inner) for _, inner in _expressions_in(expression, name)):
            continue
        memo = (_canonical(expression), module, for_each)
        if memo not in verdicts:
            with tracer.recording() as reads:
                sources = tracer.attribute_sources(module, config, name)
            kinds = {source.kind for source in sources}
            literal = kinds <= {SourceKind.CONSTANT}
            included = literal or (
                kinds <= {SourceKind.CONSTANT, SourceKind.VARIABLE}
                and all(
                    side.identity.is_identity(side.variable(source))
                    for source in sources
                    if source.kind is SourceKind.VARIABLE
                )
            )
            verdicts[memo] = (included, literal, frozenset(reads))
        included, literal, reads = verdicts[memo]
        if reads:
            tracer.note(reads)
        if included:
            blocks = expression if isinstance(expression, list) else None
            kept.append(_Kept(name, index[name], literal, blocks))
    return tuple(sorted(kept, key=lambda item: item.name)), variant


def _plain_markers(value: Any) -> Any:
    if isinstance(value, Marker):
        return value.value
    if isinstance(value, dict):
        return {key: _plain_markers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_markers(item) for item in value]
    return value


def _per_instance(expression: dict[str, Any]) -> bool:
    return any(ref.startswith(("count.", "each.")) for ref in expression.get("references") or [])


def _configured_part(expressions: Any, value: Any) -> Any:
    """The parts of a value the configuration sets (nested blocks lose provider-filled leaves)."""
    if _is_expression(expressions):
        return value
    if isinstance(expressions, list) and isinstance(value, list):
        return [
            _configured_part(expressions[position] if position < len(expressions) else expressions[0], item)
            for position, item in enumerate(value)
            if expressions
        ]
    if isinstance(expressions, dict) and isinstance(value, dict):
        return {key: _configured_part(inner, value.get(key)) for key, inner in expressions.items()}
    return value


_VARIES = "(varies by instance)"


def _merge_instances(existing: dict[str, Any] | None, entry: dict[str, Any]) -> dict[str, Any]:
    if existing is None:
        return entry
    merged = dict(existing["attributes"])
    for name, value in entry["attributes"].items():
        if merged.get(name, value) != value:
            merged[name] = _VARIES
    for name in merged.keys() - entry["attributes"].keys():
        merged[name] = _VARIES
    return {"type": entry["type"], "attributes": merged}


# --- policy and summaries ---


def _apply_policy(finding: DriftFinding, policy: Policy | None) -> DriftFinding:
    if policy is None or not policy.accepted:
        return finding
    if not finding.attributes:
        if finding.verdict is Verdict.DRIFT:
            accepted = policy.accepts(finding.kind, finding.type, finding.address, None)
            if accepted:
                return _replace(finding, verdict=Verdict.EXPECTED, reason=f"{finding.reason}; {accepted}")
        return finding
    attributes = []
    for diff in finding.attributes:
        accepted = (
            policy.accepts(finding.kind, finding.type, finding.address, diff.path)
            if diff.verdict is Verdict.DRIFT
            else None
        )
        attributes.append(_replace(diff, verdict=Verdict.EXPECTED, reason=accepted) if accepted else diff)
    verdict = Verdict.DRIFT if any(diff.verdict is Verdict.DRIFT for diff in attributes) else Verdict.EXPECTED
    return _replace(finding, verdict=verdict, attributes=tuple(attributes))


def _replace(item: Any, **changes: Any) -> Any:
    return replace(item, **changes)


def _summary(
    kind: Kind,
    scope: str,
    resources: int,
    findings: list[DriftFinding],
    unknown: int = 0,
    normalised: int = 0,
) -> ScopeSummary:
    drift = sum(1 for finding in findings if finding.verdict is Verdict.DRIFT)
    return ScopeSummary(kind, scope, resources, drift, len(findings) - drift, unknown, normalised)


# --- everything at once ---


def analyse(
    envs: Sequence[EnvPlans],
    kinds: Iterable[Kind] = tuple(Kind),
    pairs: Sequence[tuple[str, str]] | None = None,
    policy: Policy | None = None,
    version: str = UNKNOWN,
    manifests: bool = True,
) -> DriftReport:
    """The drift report over `envs` (in promotion order): live drift and pending changes per
    env, parity drift per pair (default: neighbours), a config manifest per env."""
    with plans.cycle_collection_paused():
        return _analyse(envs, kinds, pairs, policy, version, manifests)


def _analyse(
    envs: Sequence[EnvPlans],
    kinds: Iterable[Kind],
    pairs: Sequence[tuple[str, str]] | None,
    policy: Policy | None,
    version: str,
    manifests: bool,
) -> DriftReport:
    wanted = tuple(kind for kind in Kind if kind in set(kinds))
    by_env = {env.env: env for env in envs}
    chosen_pairs = tuple(pairs) if pairs is not None else default_pairs([env.env for env in envs])
    for left, right in chosen_pairs:
        for name in (left, right):
            if name not in by_env:
                raise ConfigError(f"pair {pair_scope(left, right)}: no plan for env {name!r}")
    findings: list[DriftFinding] = []
    summaries: list[ScopeSummary] = []
    if Kind.LIVE in wanted:
        for env in envs:
            plan = env.refresh or env.plan
            if plan is None:
                raise ConfigError(f"{env.env}: live drift needs a refresh-only plan (or a normal plan)")
            found, summary = live_findings(env.env, plan, policy)
            findings.extend(found)
            summaries.append(summary)
    if Kind.PENDING in wanted:
        for env in envs:
            if env.plan is None:
                raise ConfigError(f"{env.env}: pending changes need a normal plan")
            found, summary = pending_findings(env.env, env.plan, policy)
            findings.extend(found)
            summaries.append(summary)
    sides: dict[str, _Side] = {}
    inventory: dict[str, tuple[str, ...]] = {}
    built: dict[str, Manifest] = {}
    if Kind.PARITY in wanted:
        for env in envs:
            if env.plan is None:
                raise ConfigError(f"{env.env}: parity needs a normal plan")
            sides[env.env] = _Side(env)
            inventory[env.env] = tuple(sides[env.env].records)
        for left, right in chosen_pairs:
            found, summary = _parity(sides[left], sides[right], policy)
            findings.extend(found)
            summaries.append(summary)
        if manifests:
            classifications = Classifications()
            built = {name: _manifest(side, version, classifications) for name, side in sides.items()}
    order = {env.env: position for position, env in enumerate(envs)}
    kind_order = {kind: position for position, kind in enumerate(Kind)}

    def sort_key(finding: DriftFinding) -> tuple[int, tuple[int, ...], str]:
        scope = tuple(order.get(name, len(order)) for name in scope_envs(finding.scope))
        return (kind_order[finding.kind], scope, finding.address)

    return DriftReport(
        envs=tuple(env.env for env in envs),
        kinds=wanted,
        pairs=chosen_pairs if Kind.PARITY in wanted else (),
        findings=tuple(sorted(findings, key=sort_key)),
        summaries=tuple(summaries),
        manifests=built,
        inventory=inventory,
    )
