"""Load and validate envs/environments.yaml: typed models, precise one-line errors.

Every value here is a declared per-environment variation: `render` writes them as the env
roots' input variables, and the parity report treats a difference that traces back to one
of them as expected. Each env's `aliases` are the exception: codes that name the env, which
the drift report normalises like its name.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from enum import Enum, StrEnum
from itertools import combinations
from pathlib import Path
from typing import Annotated, Any, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from . import schedule_expression
from .accounts import account_id_problem, role_arn_problem
from .errors import ConfigError, cut, shown
from .files import read_text

DEFAULT_CONFIG = Path("envs/environments.yaml")

# Commercial AWS regions; a typo such as us-west-9 must fail here, not at apply time.
AWS_REGIONS = frozenset(
    {
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2",
        "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
        "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ca-central-1",
        "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
        "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
        "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    }
)  # fmt: skip

# scheme://host[:port], no path: what a browser sends in the Origin header.
ORIGIN = re.compile(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?")

EnvName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,15}$")]

ALIAS = re.compile(r"[a-z0-9]*[a-z][a-z0-9]*")
"""An env's alias: the code a team writes for it (`prd`, `stg`, `p`). Lowercase letters and
digits with at least one letter: a code of digits only (`1`) would make numbers env names."""

NAME_PREFIX_MAX = 23
"""`<system>-<env>` starts every name of the env's workload; modules/payments allows 23
characters (X-Ray sampling rule names stop at 32)."""

MAX_VALUES = 10_000
"""The most values environments.yaml may hold once YAML aliases are expanded (the real file has
a few hundred): a few KB of nested aliases can stand for billions."""


class Target(StrEnum):
    LOCAL = "local"
    AWS = "aws"


class _Model(BaseModel):
    """Strict: `az_count: "3"` or `3.0` is not 3, `approval_required: 1` is not true."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _from_yaml(cls, value: Any, info: ValidationInfo) -> Any:
        """YAML has no tuples and no enums: a list becomes a tuple and a string an enum member
        where the field is one; nothing else is converted."""
        declared = cls.model_fields[info.field_name or ""].annotation
        if isinstance(value, list) and get_origin(declared) is tuple:
            return tuple(value)
        if isinstance(value, str) and isinstance(declared, type) and issubclass(declared, Enum):
            try:
                return declared(value)
            except ValueError:
                allowed = ", ".join(str(member.value) for member in declared)
                raise ValueError(f"{shown(value)} is not one of {allowed}") from None
        return value


class CapacityRange(_Model):
    min: int = Field(ge=1)
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> CapacityRange:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        return self


class PaymentsSettings(_Model):
    """The payments workload's per-env limits: sizes, rate limits, alarm thresholds."""

    lambda_memory_mb: int = Field(ge=128, le=10240)
    lambda_timeout_s: int = Field(ge=1, le=900)
    aurora_instance_class: str = Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
    aurora_instances: int = Field(ge=1, le=15)
    aurora_io_optimized: bool
    waf_rate_limit: int = Field(ge=100, le=2_000_000_000)
    api_rate_limit: int = Field(ge=1)
    api_burst_limit: int = Field(ge=1)
    xray_sampling_rate: float = Field(ge=0, le=1)
    alarm_error_threshold: int = Field(ge=1)
    alarm_p99_latency_ms: int = Field(ge=1)
    table_capacity: CapacityRange

    @model_validator(mode="after")
    def _burst_covers_rate(self) -> PaymentsSettings:
        if self.api_burst_limit < self.api_rate_limit:
            raise ValueError(
                f"api_burst_limit ({self.api_burst_limit}) is below api_rate_limit ({self.api_rate_limit})"
            )
        return self


def _account_id(value: Any) -> Any:
    """An account id, checked before strict typing: YAML reads an unquoted 111111111111 as a
    number, which is taken as the same 12 digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    problem = account_id_problem(value) if value is not None else None
    if problem:
        raise ValueError(problem)
    return value


class EnvSettings(_Model):
    name: EnvName
    region: str
    account_id: str | None = None
    """The env's AWS account; its provider refuses any other (`allowed_account_ids`). None: the
    account the caller's credentials reach."""
    role_arn: str | None = None
    """The deployer role in `account_id` the env's provider, infrarep and the pipeline's builds
    assume; None: the caller's credentials are used as they are."""
    vpc_cidr: str
    az_count: int = Field(ge=2, le=6)
    approval_required: bool
    deletion_protection: bool
    alert_emails: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    payments: PaymentsSettings

    @field_validator("region")
    @classmethod
    def _known_region(cls, region: str) -> str:
        if region not in AWS_REGIONS:
            raise ValueError(f"{shown(region)} is not an AWS region")
        return region

    @field_validator("account_id", mode="before")
    @classmethod
    def _known_account(cls, value: Any) -> Any:
        return _account_id(value)

    @field_validator("role_arn")
    @classmethod
    def _role_in_account(cls, role_arn: str | None, info: ValidationInfo) -> str | None:
        if role_arn is not None and (problem := role_arn_problem(role_arn, info.data.get("account_id"))):
            raise ValueError(problem)
        return role_arn

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            if not ORIGIN.fullmatch(origin):
                raise ValueError(f"{shown(origin)} is not a browser origin such as 'https://pay.example.com'")
        return origins

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, cidr: str) -> str:
        try:
            network = ipaddress.IPv4Network(cidr, strict=True)
        except ValueError as err:
            detail = str(err).replace(cidr, "it") if cidr else str(err)
            raise ValueError(f"{shown(cidr)} is not an IPv4 CIDR ({cut(detail)})") from None
        if network.prefixlen > 20:
            raise ValueError(f"{shown(cidr)} is smaller than /20; subnets are cut from it")
        return cidr


class Promotion(_Model):
    order: tuple[EnvName, ...]
    # At least an hour: the control plane's soak (a Step Functions Wait) refuses less.
    # INFRAREP_SOAK_SECONDS shortens the CLI gate for demos without touching this.
    soak_minutes: int = Field(ge=60)


class StateSettings(_Model):
    bucket_prefix: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,40}$")


class DriftSettings(_Model):
    # An EventBridge Scheduler expression: the control plane starts one drift check of every env
    # on it (a CodeBuild batch build). None: no schedule.
    schedule: str | None = None

    @field_validator("schedule")
    @classmethod
    def _scheduler_accepts(cls, schedule: str | None) -> str | None:
        if schedule is not None and (found := schedule_expression.problem(schedule)):
            raise ValueError(f"{shown(schedule)}: {found}")
        return schedule


class Settings(_Model):
    """The whole file, after defaults are merged into each environment."""

    version: int
    system: str = Field(pattern=r"^[a-z][a-z0-9-]{1,20}$")
    cost_center: str = Field(min_length=1)
    target: Target
    control_region: str
    control_account_id: str | None = None
    """The control plane's account (`EnvSettings.account_id`, for the control plane)."""
    control_role_arn: str | None = None
    """The deployer role the control plane's provider assumes (`EnvSettings.role_arn`)."""
    state: StateSettings
    promotion: Promotion
    drift: DriftSettings = DriftSettings()
    environments: dict[EnvName, EnvSettings]
    aliases: dict[EnvName, tuple[str, ...]] = Field(default_factory=dict)
    """Each env's aliases (`environments.<env>.aliases`): codes the drift report normalises like
    the env's name. Not an `EnvSettings` field: they reach no plan, they only name the env."""

    @field_validator("control_account_id", mode="before")
    @classmethod
    def _known_control_account(cls, value: Any) -> Any:
        return _account_id(value)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.control_role_arn is not None and (
            problem := role_arn_problem(self.control_role_arn, self.control_account_id)
        ):
            raise ValueError(f"control_role_arn: {problem}")
        if self.version != 1:
            raise ValueError(f"version: only version 1 is supported, got {shown(self.version)}")
        if self.control_region not in AWS_REGIONS:
            raise ValueError(f"control_region: {shown(self.control_region)} is not an AWS region")
        if sorted(self.promotion.order) != sorted(self.environments):
            raise ValueError(
                f"promotion.order: {shown(list(self.promotion.order))} must name each environment "
                f"once ({', '.join(self.environments)})"
            )
        first = self.environments[self.promotion.order[0]]
        if first.approval_required:
            raise ValueError(
                f"environments.{first.name}.approval_required: true would gate nothing: {first.name} is "
                "first in promotion.order, deployed directly and never promoted into; set it to false"
            )
        with_account = [env.name for env in self.ordered() if env.account_id is not None]
        if with_account and self.control_account_id is None:
            raise ValueError(
                f"control_account_id: required once an env has an account_id ({with_account[0]}): "
                "each env's config store lets the control plane's account replicate into it"
            )
        for env in self.environments.values():
            prefix = f"{self.system}-{env.name}"
            if len(prefix) > NAME_PREFIX_MAX:
                raise ValueError(
                    f"environments.{env.name}: {prefix!r} (system-env, the prefix of its resource names) "
                    f"is {len(prefix)} characters, at most {NAME_PREFIX_MAX}: shorten the env name or system"
                )
        for left, right in combinations(self.environments.values(), 2):
            # Envs in accounts of their own may reuse a range; in one account they may not
            # (an env without account_id is in the caller's account).
            if left.account_id != right.account_id:
                continue
            if ipaddress.IPv4Network(left.vpc_cidr).overlaps(ipaddress.IPv4Network(right.vpc_cidr)):
                account = f" (both in account {left.account_id})" if left.account_id else ""
                raise ValueError(
                    f"environments.{right.name}.vpc_cidr: {right.vpc_cidr} overlaps "
                    f"{left.name}'s {left.vpc_cidr}{account}"
                )
        return self

    def env(self, name: str, source: Path = DEFAULT_CONFIG) -> EnvSettings:
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(self.promotion.order)
            raise ConfigError(f"{source}: no environment {shown(name)} (known: {known})") from None

    def ordered(self) -> list[EnvSettings]:
        return [self.environments[name] for name in self.promotion.order]

    def others(self, name: str) -> tuple[str, ...]:
        """Every env's name but `name`'s, in promotion order (a name built from `prod-us` is
        that env's, never `prod`'s with a suffix)."""
        return tuple(other for other in self.promotion.order if other != name)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys instead of silently keeping the last one."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise ConfigError(
                f"line {key_node.start_mark.line + 1}: duplicate key {shown(key)} "
                f"(first on line {seen[key] + 1})"
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


YAML_ERRORS = (yaml.YAMLError, ValueError)
"""What reading YAML raises: ValueError where a scalar looks like a date or a number Python
cannot build (`2024-13-45`, an integer of 5,000 digits)."""


def yaml_problem(err: Exception, text: str) -> str:
    """One of YAML_ERRORS as one line: `line N: not valid YAML (what)`."""
    if isinstance(err, yaml.reader.ReaderError):
        line = text.count("\n", 0, err.position) + 1
        code = err.character if isinstance(err.character, int) else ord(err.character)
        return f"line {line}: not valid YAML (character #x{code:04x} is not allowed)"
    mark = getattr(err, "problem_mark", None)
    where = f"line {mark.line + 1}: " if mark is not None else ""
    problem = " ".join(str(getattr(err, "problem", None) or err).split())
    return f"{where}not valid YAML ({cut(problem)})"


def _merge(defaults: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse(text: str, source: Path = DEFAULT_CONFIG) -> Settings:
    """Parse the YAML text of environments.yaml; errors name `source`, the field and the problem."""
    try:
        return _parse(text, source)
    except RecursionError:
        raise ConfigError(f"{source}: nested too deeply, or a value contains itself") from None


def _parse(text: str, source: Path) -> Settings:
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except ConfigError as err:
        raise ConfigError(f"{source}: {err.message}") from None
    except YAML_ERRORS as err:
        raise ConfigError(f"{source}: {yaml_problem(err, text)}") from None
    if _expanded_size(document, {}) > MAX_VALUES:
        raise ConfigError(
            f"{source}: more than {MAX_VALUES} values once its aliases are expanded",
            hint="write the values out instead of nesting aliases",
        )
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    environments = document.get("environments")
    if not isinstance(environments, dict) or not environments:
        raise ConfigError(f"{source}: environments: expected a mapping of environment names")
    defaults = document.pop("defaults", {}) or {}
    if not isinstance(defaults, dict):
        raise ConfigError(f"{source}: defaults: expected a mapping")
    if "aliases" in defaults:
        raise ConfigError(
            f"{source}: defaults.aliases: an alias names one environment; list it under that one"
        )
    if "aliases" in document:
        raise ConfigError(
            f"{source}: aliases: unknown field (an env's aliases go in environments.<env>.aliases)"
        )
    document["aliases"] = _aliases(environments, source)
    document["environments"] = {
        name: {"name": name, **_merge(defaults, _settings_of(values))} if isinstance(values, dict) else values
        for name, values in environments.items()
    }
    try:
        return Settings.model_validate(document)
    except ValidationError as err:
        raise ConfigError(f"{source}: {_describe(err)}") from None


def _settings_of(env: dict[str, Any]) -> dict[str, Any]:
    """An env's mapping without its `aliases`, which name the env and are no setting of it."""
    return {key: value for key, value in env.items() if key != "aliases"}


def _aliases(environments: dict[Any, Any], source: Path) -> dict[str, tuple[str, ...]]:
    """`environments.<env>.aliases` of every env, checked: codes, each claimed by one env only."""
    claimed: dict[str, tuple[str, ...]] = {str(name): () for name in environments}
    for name, values in environments.items():
        given = values.get("aliases", []) if isinstance(values, dict) else []
        where = f"{source}: environments.{cut(str(name))}.aliases"
        if not isinstance(given, list):
            raise ConfigError(f"{where}: expected a list of codes such as [prd, p], got {shown(given)}")
        for position, alias in enumerate(given):
            if not isinstance(alias, str):
                raise ConfigError(f"{where}.{position}: expected string, got {shown(alias)}")
            problem = alias_problem(str(name), alias, claimed)
            if problem:
                raise ConfigError(f"{where}.{position}: {problem}")
            claimed[str(name)] = tuple(dict.fromkeys((*claimed[str(name)], alias)))
    return {name: aliases for name, aliases in claimed.items() if aliases}


def alias_problem(env: str, alias: str, claimed: Mapping[str, Sequence[str]]) -> str | None:
    """Why `alias` cannot name `env`, given every env's name (the keys of `claimed`) and the
    aliases they claim; None when it can."""
    if not ALIAS.fullmatch(alias):
        return f"{shown(alias)} is not an alias: lowercase letters and digits, at least one letter (e.g. prd)"
    if alias == env:
        return f"{shown(alias)} is the environment's own name"
    if alias in claimed:
        return f"{shown(alias)} is the name of environment {alias}"
    for other, aliases in claimed.items():
        if other != env and alias in aliases:
            return f"{shown(alias)} is also an alias of {other}"
    return None


def _expanded_size(value: object, sizes: dict[int, int]) -> int:
    """How many values `value` holds with every alias written out; each shared part counted once
    (`sizes`, by id), so this takes as long as the file is, not as its expansion."""
    known = sizes.get(id(value))
    if known is not None:
        return known
    if isinstance(value, dict):
        children: list[object] = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set):
        children = list(value)
    else:
        return 1
    sizes[id(value)] = total = 1 + sum(_expanded_size(child, sizes) for child in children)
    return total


def load(path: Path = DEFAULT_CONFIG) -> Settings:
    try:
        text = read_text(path)
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file", hint="run from the project root or pass --config"
        ) from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror})") from None
    return parse(text, path)


def _describe(err: ValidationError) -> str:
    """The first problem as `field.path: what`, in the words a user can act on."""
    problem = err.errors(include_url=False)[0]
    location = ".".join(cut(str(part)) for part in problem["loc"])
    kind, message = problem["type"], problem["msg"]
    received = problem.get("input")
    if kind == "missing":
        return f"{location}: required field is missing"
    if kind == "extra_forbidden":
        return f"{location}: unknown field"
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
        return f"{location}: {message}" if location else message
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{location}: expected {kind.split('_')[0]}, got {shown(received)}"
    return f"{location}: {message}, got {shown(received)}"
