"""The ledger schema, the config manifest format and the deployment event: one definition for all.

The CLI and the three Lambdas (deployment recorder, drift validator, rollback
executor) read and write the same records through this module. It is pure and
stdlib only, because `infrarep package` bundles it into every Lambda zip as
`infrarep/records.py` beside `infrarep/__init__.py`: it must import nothing else
from `infrarep` and no third-party package.

Ledger: a DynamoDB table named by `$LEDGER_TABLE`, partition key `env` (S),
sort key `deployed_at` (S), GSI `version-index` (hash `version`, range
`deployed_at`, projection ALL). `deployed_at` is the time of the event, ISO-8601
UTC with microseconds and `Z`, then `#` and a suffix derived from the event id,
so a redelivered event maps to the same key and a conditional put
(`attribute_not_exists(env)`) records it once.

Config store: a versioned S3 bucket named by `$CONFIG_BUCKET`, keys built by
`manifest_key`, `parameters_key`, `tfvars_key`, `drift_report_key`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

# --- names shared with the stack (env vars, table layout, metrics, events) ---

LEDGER_TABLE_ENV = "LEDGER_TABLE"
CONFIG_BUCKET_ENV = "CONFIG_BUCKET"

PARTITION_KEY = "env"
SORT_KEY = "deployed_at"
VERSION_INDEX = "version-index"
NEW_ROW_CONDITION = "attribute_not_exists(env)"

UNKNOWN = "unknown"
"""The version or source commit of an update that did not say (e.g. a state-object write)."""

VERSION_METADATA = "infrarep-version"
"""S3 user metadata on `parameters/<env>.json` (and tfvars snapshots): the version it belongs to."""

EVENT_SOURCE = "infrarep"
DETAIL_TYPE = "EnvironmentUpdate"

METRIC_NAMESPACE = "Infrarep"
METRIC_ENVIRONMENT_UPDATE = "EnvironmentUpdate"  # dimension Env
METRIC_DRIFT_DETECTED = "DriftDetected"  # dimensions SourceEnv, TargetEnv

STATE_OBJECT_NAME = "terraform.tfstate"

ENV_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
SORT_KEY_PATTERN = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)#([0-9a-f]{12})$")
SUFFIX_LENGTH = 12


class InvalidRecord(ValueError):
    """A ledger item, manifest, event detail or name breaks the format; the message names the field."""


class EventType(StrEnum):
    DEPLOY = "DEPLOY"
    ROLLBACK = "ROLLBACK"
    DRIFT_CHECK = "DRIFT_CHECK"


class Status(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"
    REQUESTED = "REQUESTED"
    """A rollback asked for (by the rollback executor) and not yet applied: it changes nothing."""


VERSION_SETTING_EVENTS = frozenset({EventType.DEPLOY, EventType.ROLLBACK})
"""Event types whose successful row says which version an env runs now."""


# --- names and keys ---


def check_env(env: object, where: str = "env") -> str:
    """Return `env` if it is a usable environment name (it becomes an S3 key segment), else raise."""
    if not isinstance(env, str) or not ENV_PATTERN.fullmatch(env):
        raise InvalidRecord(
            f"{where}: {env!r} is not an environment name (lowercase letters, digits, '-', '_'; at most 64)"
        )
    return env


def check_version(version: object, where: str = "version") -> str:
    """Return `version` if it is usable as a version label (it becomes part of an S3 key), else raise."""
    if not isinstance(version, str) or not VERSION_PATTERN.fullmatch(version):
        raise InvalidRecord(
            f"{where}: {version!r} is not a version (letters, digits, '.', '_', '+', '-'; at most 128)"
        )
    return version


def manifest_key(env: str) -> str:
    """`manifests/<env>/manifest.json`: the env's config manifest (see `Manifest`)."""
    return f"manifests/{check_env(env)}/manifest.json"


DRIFT_HISTORY_PREFIX = "drift-history/"
"""Where the dated drift reports are kept: the config store's lifecycle expires what is under it
(modules/config_store, `drift_history_days`), never `latest_drift_key`."""


def drift_report_key(env: str, checked_at: datetime) -> str:
    """`drift-history/<env>/<YYYYmmddTHHMMSS.ffffffZ>.json`: one drift report `drift-report
    --store` made (keys sort by check time)."""
    return f"{DRIFT_HISTORY_PREFIX}{check_env(env)}/{checked_at.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}.json"


def latest_drift_key(env: str) -> str:
    """`drift/<env>/latest.json`: the env's newest stored drift report."""
    return f"drift/{check_env(env)}/latest.json"


def parameters_key(env: str) -> str:
    """`parameters/<env>.json`: the env's rendered parameters, the object a rollback restores."""
    return f"parameters/{check_env(env)}.json"


def tfvars_key(env: str, version: str) -> str:
    """`tfvars/<env>/<version>.tfvars.json`: the tfvars snapshot of one deployed version."""
    return f"tfvars/{check_env(env)}/{check_version(version)}.tfvars.json"


def state_key(env: str) -> str:
    """`<env>/terraform.tfstate`: the env's object in the remote-state bucket."""
    return f"{check_env(env)}/{STATE_OBJECT_NAME}"


def env_from_state_key(key: str) -> str:
    """The env a state-object key belongs to; raises unless the key is exactly `<env>/terraform.tfstate`."""
    env, sep, name = key.partition("/")
    if not sep or name != STATE_OBJECT_NAME:
        raise InvalidRecord(f"state key {key!r} is not '<env>/{STATE_OBJECT_NAME}'")
    return check_env(env, where=f"state key {key!r}")


# --- timestamps and the ledger key ---


def format_timestamp(at: datetime) -> str:
    """`2026-11-23T10:00:00.000000Z`: UTC, microseconds, `Z`. Fixed width, so it sorts as text."""
    if at.tzinfo is None:
        raise InvalidRecord(f"timestamp {at.isoformat()} has no timezone; pass an aware datetime")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: object, where: str = "time") -> datetime:
    """Parse an ISO-8601 timestamp with a timezone (EventBridge's `2026-11-23T10:00:00Z` included)."""
    if not isinstance(text, str):
        raise InvalidRecord(f"{where}: {text!r} is not an ISO-8601 timestamp")
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRecord(f"{where}: {text!r} is not an ISO-8601 timestamp") from None
    if at.tzinfo is None:
        raise InvalidRecord(f"{where}: {text!r} has no timezone")
    return at.astimezone(UTC)


def idempotency_suffix(event_id: str) -> str:
    """12 hex characters derived from the event id: the same event always gets the same suffix."""
    if not event_id:
        raise InvalidRecord("event_id: empty")
    return hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:SUFFIX_LENGTH]


def ledger_sort_key(at: datetime, event_id: str) -> str:
    """`<format_timestamp(at)>#<idempotency_suffix(event_id)>`, the `deployed_at` of a row."""
    return f"{format_timestamp(at)}#{idempotency_suffix(event_id)}"


def ledger_key(env: str, at: datetime, event_id: str) -> dict[str, str]:
    """The primary key of the row for one event: `{"env": ..., "deployed_at": ...}`."""
    return {PARTITION_KEY: check_env(env), SORT_KEY: ledger_sort_key(at, event_id)}


# --- the ledger row ---


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRecord(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _optional_text(value: object, where: str) -> str | None:
    return None if value is None else _text(value, where)


def _optional_sha256(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not SHA256_PATTERN.fullmatch(value):
        raise InvalidRecord(f"{where}: {value!r} is not a lowercase hex sha256")
    return value


E = TypeVar("E", bound=StrEnum)


def _enum(kind: type[E], value: object, where: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidRecord(f"{where}: {value!r} is not one of {allowed}") from None


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the deployment ledger. Build new rows with `LedgerEntry.create`."""

    env: str
    deployed_at: str
    version: str
    source_commit: str
    event_type: EventType
    status: Status
    actor: str
    event_id: str
    plan_digest: str | None = None
    manifest_sha256: str | None = None
    reason: str | None = None
    approver: str | None = None
    """Who approved a promotion into this env (staging, prod); None where none was needed."""

    def __post_init__(self) -> None:
        check_env(self.env)
        if not SORT_KEY_PATTERN.fullmatch(self.deployed_at):
            raise InvalidRecord(
                f"deployed_at: {self.deployed_at!r} is not '<YYYY-MM-DDTHH:MM:SS.ffffffZ>#<12 hex>'"
            )
        check_version(self.version)
        _text(self.source_commit, "source_commit")
        _text(self.actor, "actor")
        _text(self.event_id, "event_id")
        _enum(EventType, self.event_type, "event_type")
        _enum(Status, self.status, "status")
        _optional_text(self.plan_digest, "plan_digest")
        _optional_sha256(self.manifest_sha256, "manifest_sha256")
        _optional_text(self.reason, "reason")
        _optional_text(self.approver, "approver")

    @classmethod
    def create(
        cls,
        *,
        env: str,
        at: datetime,
        event_id: str,
        version: str,
        source_commit: str,
        event_type: EventType,
        status: Status,
        actor: str,
        plan_digest: str | None = None,
        manifest_sha256: str | None = None,
        reason: str | None = None,
        approver: str | None = None,
    ) -> LedgerEntry:
        """A new row for the event `event_id` that happened `at`; its key is stable across redeliveries."""
        return cls(
            env=env,
            deployed_at=ledger_sort_key(at, event_id),
            version=version,
            source_commit=source_commit,
            event_type=event_type,
            status=status,
            actor=actor,
            event_id=event_id,
            plan_digest=plan_digest,
            manifest_sha256=manifest_sha256,
            reason=reason,
            approver=approver,
        )

    @property
    def at(self) -> datetime:
        """When the event happened (the timestamp part of `deployed_at`)."""
        return parse_timestamp(self.deployed_at.partition("#")[0], where="deployed_at")

    def key(self) -> dict[str, str]:
        return {PARTITION_KEY: self.env, SORT_KEY: self.deployed_at}

    def to_item(self) -> dict[str, str]:
        """Attributes as plain strings (boto3 Table resource); optional attributes left out when None."""
        item = {
            "env": self.env,
            "deployed_at": self.deployed_at,
            "version": self.version,
            "source_commit": self.source_commit,
            "event_type": str(self.event_type),
            "status": str(self.status),
            "actor": self.actor,
            "event_id": self.event_id,
        }
        optional = {
            "plan_digest": self.plan_digest,
            "manifest_sha256": self.manifest_sha256,
            "reason": self.reason,
            "approver": self.approver,
        }
        item.update({name: value for name, value in optional.items() if value is not None})
        return item

    def to_attribute_values(self) -> dict[str, dict[str, str]]:
        """The same item in the low-level client's shape: `{"env": {"S": "prod"}, ...}`."""
        return {name: {"S": value} for name, value in self.to_item().items()}

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> LedgerEntry:
        """Read a row in either shape (plain strings or `{"S": ...}`); unknown attributes are ignored."""
        plain = {
            name: value["S"] if isinstance(value, Mapping) and "S" in value else value
            for name, value in item.items()
        }
        where = f"ledger item {plain.get('env')!r}/{plain.get('deployed_at')!r}"
        try:
            return cls(
                env=plain.get("env"),  # type: ignore[arg-type]  # validated in __post_init__
                deployed_at=_text(plain.get("deployed_at"), "deployed_at"),
                version=plain.get("version"),  # type: ignore[arg-type]
                source_commit=plain.get("source_commit"),  # type: ignore[arg-type]
                event_type=_enum(EventType, plain.get("event_type"), "event_type"),
                status=_enum(Status, plain.get("status"), "status"),
                actor=plain.get("actor"),  # type: ignore[arg-type]
                event_id=plain.get("event_id"),  # type: ignore[arg-type]
                plan_digest=plain.get("plan_digest"),
                manifest_sha256=plain.get("manifest_sha256"),
                reason=plain.get("reason"),
                approver=plain.get("approver"),
            )
        except InvalidRecord as err:
            raise InvalidRecord(f"{where}: {err}") from None


def applied(entry: LedgerEntry) -> bool:
    """Whether `entry` was written after an apply, so it can say which version its env runs.

    That is a SUCCEEDED DEPLOY or ROLLBACK that either names the saved plan it applied
    (`plan_digest`: `deploy`, `promote` and `rollback` write it after terraform applied) or
    records a state-object write nobody announced (version `unknown`: terraform applied
    something). A REQUESTED rollback, a SUCCEEDED row that names no plan (the rollback
    executor of old copied parameters and wrote one without applying anything), failures
    and drift checks are not.
    """
    return (
        entry.status is Status.SUCCEEDED
        and entry.event_type in VERSION_SETTING_EVENTS
        and (entry.plan_digest is not None or entry.version == UNKNOWN)
    )


def latest_successful(entries: Iterable[LedgerEntry], env: str | None = None) -> LedgerEntry | None:
    """The row that says which version `env` runs now: the newest row written after an apply
    (see `applied`).

    EventBridge times have whole seconds, so a state-object write and the CLI's announcement of
    the same apply can share a timestamp: within one timestamp a row that knows its version wins.
    With `env=None` the entries are assumed to be one env's already.
    """
    candidates = [entry for entry in entries if applied(entry) and (env is None or entry.env == env)]
    return max(candidates, key=_recency, default=None)


DRIFT_FOUND_PREFIX = "drift: "
"""How a DRIFT_CHECK row's reason starts when the check found drift (`drift: live dev 4`)."""


def drift_found(entry: LedgerEntry) -> bool:
    """Whether a DRIFT_CHECK row says drift was found."""
    if entry.event_type is not EventType.DRIFT_CHECK:
        raise InvalidRecord(f"{entry.env} {entry.deployed_at}: a {entry.event_type} row is not a drift check")
    return (entry.reason or "").startswith(DRIFT_FOUND_PREFIX)


def _recency(entry: LedgerEntry) -> tuple[str, bool, str]:
    timestamp = entry.deployed_at.partition("#")[0]
    return (timestamp, entry.version != UNKNOWN, entry.deployed_at)


# --- the config manifest ---


def canonical(document: object) -> str:
    """The manifest's canonical JSON text of `document`: sorted keys, no whitespace, non-ASCII kept."""
    try:
        return json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as err:
        raise InvalidRecord(f"manifest: not canonical JSON ({err})") from None


class Manifest:
    """An env's config manifest: the normalised, non-variant config of every resource, by address.

    Stored at `manifest_key(env)` as `canonical_bytes()`. `sha256()` digests the whole
    document (what the ledger's `manifest_sha256` holds); `resources_sha256()` digests
    the resources only, so two envs in parity have equal `resources_sha256()`.
    Immutable; equal when their canonical bytes are.
    """

    __slots__ = ("_resources", "_resources_json", "entries", "env", "version")

    def __init__(self, env: str, version: str, resources: Mapping[str, Any]) -> None:
        if not isinstance(resources, Mapping):
            raise InvalidRecord(f"manifest.resources: expected an object, got {type(resources).__name__}")
        try:
            resources_json = canonical(resources)
        except InvalidRecord:
            _reject_non_finite(resources, "manifest.resources")  # names the path of a NaN
            raise
        self._set(env, version, resources_json.encode("utf-8"), len(resources), resources)

    @classmethod
    def from_canonical(cls, env: str, version: str, resources_json: bytes, entries: int) -> Manifest:
        """A manifest whose producer wrote the resources' canonical JSON itself (the drift engine,
        which would otherwise decode and re-encode every value). Trusted as canonical:
        `Manifest.from_json(m.canonical_bytes())` must give `m` back, which the producer's tests
        check. `resources` is decoded on first use."""
        manifest = cls.__new__(cls)
        manifest._set(env, version, resources_json, entries, None)
        return manifest

    def _set(
        self, env: str, version: str, resources_json: bytes, entries: int, resources: Mapping[str, Any] | None
    ) -> None:
        check_env(env, "manifest.env")
        check_version(version, "manifest.version")
        for name, value in (
            ("env", env),
            ("version", version),
            ("entries", entries),
            ("_resources", resources),
            ("_resources_json", resources_json),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Manifest is immutable (cannot set {name})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Manifest):
            return NotImplemented
        return (self.env, self.version, self._resources_json) == (
            other.env,
            other.version,
            other._resources_json,
        )

    def __hash__(self) -> int:
        return hash((self.env, self.version, self._resources_json))

    def __repr__(self) -> str:
        return f"Manifest(env={self.env!r}, version={self.version!r}, entries={self.entries})"

    @property
    def resources(self) -> Mapping[str, Any]:
        if self._resources is None:
            object.__setattr__(self, "_resources", json.loads(self._resources_json))
        assert self._resources is not None
        return self._resources

    def to_dict(self) -> dict[str, Any]:
        return {"env": self.env, "version": self.version, "resources": dict(self.resources)}

    def canonical_bytes(self) -> bytes:
        """The manifest as JSON with sorted keys, no whitespace and non-ASCII kept, in UTF-8: the
        same bytes for the same manifest, stored in S3 and digested."""
        env, version = canonical(self.env).encode("utf-8"), canonical(self.version).encode("utf-8")
        return b'{"env":%s,"resources":%s,"version":%s}' % (env, self._resources_json, version)

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    def resources_sha256(self) -> str:
        return hashlib.sha256(self._resources_json).hexdigest()

    @classmethod
    def from_json(cls, data: bytes | str, where: str = "manifest") -> Manifest:
        """Parse a stored manifest; `where` (e.g. the S3 key) starts every error message."""
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError) as err:
            raise InvalidRecord(f"{where}: not JSON ({err})") from None
        if not isinstance(document, dict):
            raise InvalidRecord(f"{where}: expected an object, got {type(document).__name__}")
        missing = [name for name in ("env", "version", "resources") if name not in document]
        if missing:
            raise InvalidRecord(f"{where}: missing {', '.join(missing)}")
        try:
            return cls(env=document["env"], version=document["version"], resources=document["resources"])
        except InvalidRecord as err:
            raise InvalidRecord(f"{where}: {err}") from None


@dataclass(frozen=True)
class ManifestDifferences:
    """Two manifests' resources compared address by address (each list sorted)."""

    only_in_source: tuple[str, ...]
    only_in_target: tuple[str, ...]
    differing: tuple[str, ...]
    """In both, with different canonical config."""


def manifest_differences(source: Mapping[str, Any], target: Mapping[str, Any]) -> ManifestDifferences:
    """The addresses only in `source`, only in `target`, and in both with different config: how
    the drift validator and `drift-report --from-store` compare two envs' manifests."""
    shared = source.keys() & target.keys()
    differing = (name for name in shared if canonical(source[name]) != canonical(target[name]))
    return ManifestDifferences(
        only_in_source=tuple(sorted(source.keys() - target.keys())),
        only_in_target=tuple(sorted(target.keys() - source.keys())),
        differing=tuple(sorted(differing)),
    )


def _reject_non_finite(value: object, where: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidRecord(f"{where}: {value!r} has no JSON form")
    if isinstance(value, Mapping):
        for name, item in value.items():
            _reject_non_finite(item, f"{where}.{name}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _reject_non_finite(item, f"{where}[{index}]")


# --- the deployment event ---


@dataclass(frozen=True)
class EnvironmentUpdate:
    """The detail of the `infrarep` / `EnvironmentUpdate` event the CLI publishes after an apply.

    `event_id` and `deployed_at` are optional and come together: the key of the ledger row the
    publisher already wrote (`EnvironmentUpdate.from_entry(entry)`). The deployment recorder then
    writes that same key, so its conditional put finds the row and nothing is counted twice.
    Without them the recorder keys the row on the EventBridge event's `time` and `id`.
    `plan_digest` is the evidence of the apply: a SUCCEEDED update without it is recorded but
    never says which version the env runs (`applied`).
    """

    env: str
    version: str
    source_commit: str
    status: Status
    actor: str
    plan_digest: str | None = None
    manifest_sha256: str | None = None
    event_id: str | None = None
    deployed_at: str | None = None

    def __post_init__(self) -> None:
        check_env(self.env, "detail.env")
        check_version(self.version, "detail.version")
        _text(self.source_commit, "detail.source_commit")
        _enum(Status, self.status, "detail.status")
        _text(self.actor, "detail.actor")
        _optional_text(self.plan_digest, "detail.plan_digest")
        _optional_sha256(self.manifest_sha256, "detail.manifest_sha256")
        if (self.event_id is None) != (self.deployed_at is None):
            raise InvalidRecord("detail.event_id and detail.deployed_at come together: give both or neither")
        _optional_text(self.event_id, "detail.event_id")
        if self.deployed_at is not None and not SORT_KEY_PATTERN.fullmatch(self.deployed_at):
            raise InvalidRecord(
                f"detail.deployed_at: {self.deployed_at!r} is not '<YYYY-MM-DDTHH:MM:SS.ffffffZ>#<12 hex>'"
            )

    @classmethod
    def from_entry(cls, entry: LedgerEntry) -> EnvironmentUpdate:
        """The event announcing a DEPLOY row already written, carrying that row's key."""
        return cls(
            env=entry.env,
            version=entry.version,
            source_commit=entry.source_commit,
            status=entry.status,
            actor=entry.actor,
            plan_digest=entry.plan_digest,
            manifest_sha256=entry.manifest_sha256,
            event_id=entry.event_id,
            deployed_at=entry.deployed_at,
        )

    def to_detail(self) -> dict[str, str]:
        detail = {
            "env": self.env,
            "version": self.version,
            "source_commit": self.source_commit,
            "status": str(self.status),
            "actor": self.actor,
        }
        optional = {
            "plan_digest": self.plan_digest,
            "manifest_sha256": self.manifest_sha256,
            "event_id": self.event_id,
            "deployed_at": self.deployed_at,
        }
        detail.update({name: value for name, value in optional.items() if value is not None})
        return detail

    def to_event_entry(self, event_bus_name: str = "default") -> dict[str, str]:
        """One entry for EventBridge `put_events(Entries=[...])`."""
        return {
            "Source": EVENT_SOURCE,
            "DetailType": DETAIL_TYPE,
            "Detail": json.dumps(self.to_detail(), sort_keys=True),
            "EventBusName": event_bus_name,
        }

    @classmethod
    def from_detail(cls, detail: object) -> EnvironmentUpdate:
        """Parse an event's `detail`; errors read `missing detail.env` or `detail.status: 'X' is not ...`."""
        if not isinstance(detail, Mapping):
            raise InvalidRecord(f"detail: expected an object, got {type(detail).__name__}")
        for name in ("env", "version", "source_commit", "status", "actor"):
            if detail.get(name) in (None, ""):
                raise InvalidRecord(f"missing detail.{name}")
        return cls(
            env=detail["env"],
            version=detail["version"],
            source_commit=detail["source_commit"],
            status=_enum(Status, detail["status"], "detail.status"),
            actor=detail["actor"],
            plan_digest=detail.get("plan_digest"),
            manifest_sha256=detail.get("manifest_sha256"),
            event_id=detail.get("event_id"),
            deployed_at=detail.get("deployed_at"),
        )

    def to_entry(self, *, at: datetime, event_id: str) -> LedgerEntry:
        """The DEPLOY row this update is recorded as: under the publisher's key if it gave one,
        else under the delivering event's `at` and `event_id`."""
        fields: dict[str, Any] = {
            "env": self.env,
            "version": self.version,
            "source_commit": self.source_commit,
            "event_type": EventType.DEPLOY,
            "status": self.status,
            "actor": self.actor,
            "plan_digest": self.plan_digest,
            "manifest_sha256": self.manifest_sha256,
        }
        if self.event_id is not None and self.deployed_at is not None:
            return LedgerEntry(deployed_at=self.deployed_at, event_id=self.event_id, **fields)
        return LedgerEntry.create(at=at, event_id=event_id, **fields)
